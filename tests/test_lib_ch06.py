"""Unit tests of chapter 06's library (helpers.lib.ch06): the references against scikit-learn, scipy,
captum and closed forms, the control task and the removal of probe directions against their definitions."""

import numpy as np
import pytest
import torch
from scipy import stats
from sklearn.model_selection import StratifiedKFold, cross_val_score

from helpers.lib import ch06 as lib


def test_capture_matches_a_manual_forward_pass_and_removes_hooks():
    model = lib.random_cnn(1, width=4)
    x = lib.random_inputs(0, (5, 1, 8, 8))
    acts = lib.capture_activations(model, ["relu1", "conv2"], x, batch_size=2)
    with torch.no_grad():
        relu1 = model.relu1(model.conv1(x))
        assert torch.allclose(acts["relu1"], relu1, atol=1e-6)
        assert torch.allclose(acts["conv2"], model.conv2(relu1), atol=1e-6)
    assert not acts["relu1"].requires_grad
    assert all(not m._forward_hooks for m in model.modules())


def test_capture_removes_hooks_when_the_model_raises():
    model = lib.random_cnn(2, width=4)

    def broken(x):
        model.relu1(model.conv1(x))
        raise RuntimeError("boom")
    model.forward = broken
    with pytest.raises(RuntimeError, match="boom"):
        lib.capture_activations(model, "relu1", lib.random_inputs(0, (2, 1, 8, 8)))
    assert all(not m._forward_hooks for m in model.modules())


def test_probe_layers_equals_cross_val_score_with_the_same_folds():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 60)
    X = rng.normal(size=(60, 5)) + np.eye(3, 5)[y]
    control = lib.control_labels(np.arange(60) % 20, 0)
    result = lib.probe_layers({"a": X}, y, control_labels=control, random_state=4)
    folds = list(StratifiedKFold(3, shuffle=True, random_state=4).split(X, y))
    task = cross_val_score(lib.probe_estimator(), X, y, cv=folds).mean()
    ctl = cross_val_score(lib.probe_estimator(), X, control, cv=folds).mean()
    assert np.isclose(result["accuracy"]["a"], task) and np.isclose(result["control"]["a"], ctl)
    assert np.isclose(result["selectivity"]["a"], task - ctl)


def test_control_labels_are_constant_per_type_and_cover_the_classes():
    types = np.repeat(np.arange(50), 4)
    labels = lib.control_labels(types, 3)
    assert all(len(set(labels[types == t])) == 1 for t in range(50))
    assert set(labels) == {0, 1, 2, 3}


def test_probe_images_render_each_geometry_several_times():
    data = lib.probe_images(1, 40)
    assert data.images.shape == (40, 32, 32) and np.all(np.bincount(data.types) == lib.RENDERINGS)
    assert all(len(set(data.labels[data.types == t])) == 1 for t in range(10))


def test_tcav_closed_form_on_a_linear_network():
    model = lib.linear_net(0)
    x = lib.random_inputs(0, (7, 1, 6, 6))
    result = lib.tcav_score(model, "hidden", x, 1, lib.random_inputs(1, (8, 1, 6, 6), shift=0.4),
                            lib.random_inputs(2, (8, 1, 6, 6)))
    w = model.fc.weight.detach().double().numpy()[1]
    assert np.isclose(np.linalg.norm(result["cav"]), 1)
    assert np.allclose(result["derivatives"], w @ result["cav"], atol=1e-6)
    assert result["score"] == float(w @ result["cav"] > 0)


def test_tcav_equals_captum_on_the_same_cav():
    model = lib.random_cnn(3, width=4)
    x = lib.random_inputs(4, (9, 1, 8, 8))
    concept, random = lib.random_inputs(5, (10, 1, 8, 8), shift=0.3), lib.random_inputs(6, (10, 1, 8, 8))
    ours = lib.tcav_score(model, "relu1", x, 2, concept, random)
    theirs = lib.captum_tcav(model, "relu1", x, 2, concept, random, model_id="test")
    assert ours["score"] == theirs["score"] and np.allclose(ours["cav"], theirs["cav"], atol=1e-6)
    # captum 0.9's "magnitude" is the mean derivative along its (unnormalised) CAV weights
    assert np.isclose(theirs["magnitude"], ours["derivatives"].mean() * theirs["cav_norm"], rtol=1e-4, atol=1e-8)


def test_captum_reuses_a_cached_cav_under_the_same_model_id(tmp_path):
    x = lib.random_inputs(4, (9, 1, 8, 8))
    concept, random = lib.random_inputs(5, (10, 1, 8, 8), shift=0.3), lib.random_inputs(6, (10, 1, 8, 8))
    a, b = lib.random_cnn(3, width=4), lib.random_cnn(8, width=4)
    first = lib.captum_tcav(a, "relu1", x, 2, concept, random, model_id="same", save_path=tmp_path)
    stale = lib.captum_tcav(b, "relu1", x, 2, concept, random, model_id="same", save_path=tmp_path)
    own = lib.captum_tcav(b, "relu1", x, 2, concept, random, model_id="b")
    assert np.allclose(stale["cav"], first["cav"]) and not np.allclose(stale["cav"], own["cav"], atol=0.1)
    assert own["cav"] @ lib.tcav_score(b, "relu1", x, 2, concept, random)["cav"] > 1 - 1e-6


def test_tcav_experiment_repeats_tcav_score_and_the_t_test():
    model = lib.random_cnn(9, width=4)
    x = lib.random_inputs(1, (7, 1, 8, 8))
    concept = lib.random_inputs(2, (8, 1, 8, 8), shift=0.3)
    randoms = [lib.random_inputs(10 + k, (6 + k % 2, 1, 8, 8)) for k in range(5)]
    found = lib.tcav_experiment(model, "relu2", x, 1, concept, randoms)
    assert found["concept"] == [lib.tcav_score(model, "relu2", x, 1, concept, r)["score"] for r in randoms[1:]]
    assert found["random"] == [lib.tcav_score(model, "relu2", x, 1, randoms[0], r)["score"] for r in randoms[1:]]
    t = lib.tcav_significance(found["concept"], found["random"])
    assert (found["statistic"], found["pvalue"]) == (t["statistic"], t["pvalue"])


def test_predict_with_replaces_masked_concepts_and_removes_its_hook():
    from helpers.models import cbm
    model = cbm.load_cbm("independent")
    data = lib.concept_data(3, 40)
    truth = lib.true_concepts(model, data)
    full = torch.ones_like(truth, dtype=torch.bool)
    with torch.no_grad():
        assert torch.equal(lib.predict_with(model, data.x, truth, full), model.head(truth).argmax(1))
        assert torch.equal(lib.predict_with(model, data.x), model(data.x).argmax(1))
    none = torch.zeros_like(full)
    assert torch.equal(lib.predict_with(model, data.x, truth, none), lib.predict_with(model, data.x))
    assert not model.bottleneck._forward_hooks
    curve = lib.intervention_curve(model, data)
    assert curve.shape == (len(cbm.CONCEPTS) + 1,) and curve[-1] == 1.0
    assert curve[0] == float((lib.predict_with(model, data.x) == data.labels).double().mean())
    leaky = cbm.load_cbm("leaky")
    assert lib.true_concepts(leaky, data).shape == (40, len(cbm.LEAKY_CONCEPTS))


def test_significance_is_scipys_student_test():
    a, b = np.array([0.9, 1.0, 0.8, 1.0]), np.array([0.1, 0.5, 0.7, 0.3, 0.2])
    expected = stats.ttest_ind(a, b)
    result = lib.tcav_significance(a, b)
    assert np.isclose(result["statistic"], expected.statistic) and np.isclose(result["pvalue"], expected.pvalue)


def test_inlp_directions_are_orthonormal_and_remove_what_the_probe_reads():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 200)
    X = rng.normal(size=(200, 12)) + 2 * np.eye(4, 12)[y]
    U = lib.inlp_directions(X, y, n_iterations=2)
    assert np.allclose(U @ U.T, np.eye(len(U)), atol=1e-8)
    left = X - X @ U.T @ U
    assert lib.probe_layers({"x": left}, y)["accuracy"]["x"] < 0.45


def test_predictions_without_removes_exactly_the_summary_component():
    model = lib.random_cnn(5, width=4)
    x = lib.random_inputs(6, (4, 1, 16, 16))
    summary = lib.summarise(lib.capture_activations(model, ["relu1"], x))["relu1"]
    U = np.linalg.qr(np.random.default_rng(0).normal(size=(summary.shape[1], 2)))[0].T
    kept = {}
    handle = model.conv2.register_forward_pre_hook(lambda m, args: kept.update(a=args[0]))
    lib.predictions_without(model, "relu1", x, U)
    handle.remove()
    after = lib.summarise({"relu1": kept["a"]})["relu1"]
    assert np.allclose(after @ U.T, 0, atol=1e-5)
    assert np.allclose(after, summary - summary @ U.T @ U, atol=1e-5)


def test_random_copy_has_the_architecture_but_not_the_weights():
    model = lib.random_cnn(7)
    state = torch.random.get_rng_state()
    copy = lib.random_copy(model, 0)
    assert torch.equal(state, torch.random.get_rng_state())
    assert [n for n, _ in copy.named_parameters()] == [n for n, _ in model.named_parameters()]
    assert not torch.equal(copy.conv1.weight, model.conv1.weight)
