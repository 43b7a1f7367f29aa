"""Chapter 08's library against the field's libraries and closed forms: deletion curves against Quantus
PixelFlipping and shap.benchmark, ROAD's imputation against Quantus's, the cascading randomisation against
Quantus MPRT, the agreement metrics on hand examples, and the plots."""

import warnings

import matplotlib
import numpy as np
import pytest
import quantus
import torch
from quantus.functions.perturb_func import batch_baseline_replacement_by_indices, noisy_linear_imputation
from quantus.functions.similarity_func import correlation_spearman

from helpers import plots
from helpers.lib import ch04
from helpers.lib import ch08 as lib

matplotlib.use("Agg")


def _pixel_flipping(model, x, a, target, steps):
    metric = quantus.PixelFlipping(features_in_step=x[0].numel() // steps, abs=False, normalise=False,
                                   perturb_func=batch_baseline_replacement_by_indices, perturb_baseline=0.0,
                                   return_auc_per_sample=False, disable_warnings=True, display_progressbar=False)
    return np.array(metric(model=model, x_batch=x.numpy(), y_batch=ch04.targets_of(target, len(x)).numpy(),
                           a_batch=a.numpy(), channel_first=True, softmax=True, device="cpu"))


@pytest.mark.parametrize(("seed", "shape", "steps"), [(0, (3, 1, 6, 8), 8), (1, (2, 1, 9, 7), 9), (2, (4, 1, 8, 8), 64)])
def test_deletion_curve_equals_quantus_pixel_flipping_after_its_first_point(seed, shape, steps):
    model, x, a, target = lib.deletion_bed(seed, shape=shape)
    ours = lib.deletion_curve(model, x, a, target, steps=steps)
    assert np.abs(_pixel_flipping(model, x, a, target, steps) - ours["scores"][:, 1:]).max() < 1e-6
    with torch.no_grad():
        unmasked = model(x).softmax(dim=1).gather(1, target[:, None])[:, 0].double().numpy()
    assert np.allclose(ours["scores"][:, 0], unmasked, atol=1e-7)
    assert np.allclose(ours["fractions"], np.arange(steps + 1) / steps)
    assert np.allclose(ours["auc"], np.trapezoid(ours["scores"], dx=1 / steps, axis=1))


def test_quantus_auc_does_not_run_under_numpy_2_4():
    """The notebook says so: Quantus's calculate_auc calls np.trapz, which numpy 2.4 no longer has."""
    model, x, a, target = lib.deletion_bed(0)
    metric = quantus.PixelFlipping(features_in_step=6, return_auc_per_sample=True, normalise=False,
                                   disable_warnings=True)
    with pytest.raises(AttributeError, match="trapz"):
        metric(model=model, x_batch=x.numpy(), y_batch=target.numpy(), a_batch=a.numpy(), channel_first=True)


@pytest.mark.slow  # shap compiles its masking code with numba on the first call (about ten seconds)
def test_deletion_curve_equals_shap_benchmark_on_a_table():
    import shap
    import shap.benchmark
    model, x, a, _ = lib.deletion_bed(3, shape=(5, 9), dtype=torch.float64)
    a = a.abs() + 0.01

    def probability(rows):
        with torch.no_grad():
            return model(torch.as_tensor(rows)).softmax(dim=1)[:, 1].numpy()

    ours = lib.deletion_curve(model, x, a, 1, steps=9)
    masker = shap.maskers.Independent(np.zeros((1, 9)), max_samples=1)
    benchmark = shap.benchmark.SequentialMasker("remove", "absolute", masker, probability, x.numpy())
    result = benchmark(a.numpy(), "mine", percent=1.5 / 9, silent=True)
    assert np.abs(benchmark.inner.score_values[-1] - ours["scores"]).max() < 1e-12
    # 9 steps divide the 99 intervals of shap's 100-point interpolation: its value is exact
    assert abs(result.value - (ours["auc"].mean() - ours["scores"][:, 0].mean())) < 1e-12


def test_deletion_order_breaks_ties_by_the_lower_index_and_deletes_the_largest_signed_first():
    x = torch.zeros(1, 6)
    order = lib.deletion_order(torch.tensor([[1.0, -2.0, 3.0, 1.0, 0.0, 1.0]]), x)
    assert order.tolist() == [[2, 0, 3, 5, 4, 1]]


def test_counts_are_floored_and_the_last_step_deletes_everything():
    model, x, a, target = lib.deletion_bed(4, shape=(2, 1, 7, 9))
    curve = lib.deletion_curve(model, x, a, target, steps=5)
    assert np.allclose(curve["fractions"] * 63, [0, 12, 25, 37, 50, 63])
    with torch.no_grad():
        black = model(torch.zeros_like(x)).softmax(dim=1).gather(1, target[:, None])[:, 0].double().numpy()
    assert np.allclose(curve["scores"][:, -1], black, atol=1e-7)


def test_insertion_is_the_deletion_curve_of_the_baseline_towards_x():
    model, x, a, target = lib.deletion_bed(5)
    inserted = lib.insertion_curve(model, x, a, target, steps=8)
    with torch.no_grad():
        start = model(torch.zeros_like(x)).softmax(dim=1).gather(1, target[:, None])[:, 0].double().numpy()
        end = model(x).softmax(dim=1).gather(1, target[:, None])[:, 0].double().numpy()
    assert np.allclose(inserted["scores"][:, 0], start, atol=1e-7) and np.allclose(inserted["scores"][:, -1], end, atol=1e-7)


def test_deletion_curve_rejects_an_attribution_of_another_size():
    model, x, a, target = lib.deletion_bed(0)
    with pytest.raises(ValueError, match="x's shape"):
        lib.deletion_curve(model, x, a[:, :, :3], target, steps=4)


def test_imputation_equals_quantus_noisy_linear_imputation():
    rng = np.random.default_rng(1)
    images, masks = rng.random((3, 12, 10)), rng.random((3, 12, 10)) < 0.4
    ours = lib.imputed(images, masks, noise=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = np.stack([noisy_linear_imputation(images[i][None], np.flatnonzero(masks[i]), noise=0.0)[0]
                           for i in range(3)])
    assert np.abs(ours - theirs).max() < 1e-12
    assert np.array_equal(ours[~masks], images[~masks])
    noisy = lib.imputed(images, masks, noise=0.01, random_state=3)
    assert np.array_equal(noisy, lib.imputed(images, masks, noise=0.01, random_state=3))
    assert 0.005 < np.std(noisy[masks] - ours[masks]) < 0.015


def test_imputation_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="shape"):
        lib.imputed(np.zeros((2, 4, 4)), np.zeros((2, 4, 5), dtype=bool))


def test_road_scores_without_imputation_are_black_deletion():
    model, x, a, target = lib.deletion_bed(6, shape=(3, 1, 8, 8))
    black = lib.road_scores(model, x, a, target, fractions=(0.25, 0.5), imputation=False)
    curve = lib.deletion_curve(model, x, a, target, steps=4)
    assert np.allclose(black, curve["scores"][:, 1:3], atol=1e-7)


def _explain(model, x, target):
    return (x * ch04._input_gradient(model, x, target)).detach()


@pytest.mark.parametrize("absolute", [True, False])
def test_randomization_sanity_equals_quantus_mprt(absolute):
    model, x, target = lib.sanity_bed(2, shape=(3, 1, 8, 8))

    def explain_func(model, inputs, targets, **kwargs):
        return _explain(model, torch.as_tensor(inputs), torch.as_tensor(targets)).numpy()

    ours = lib.randomization_sanity(model, x, target, _explain, random_state=5, absolute=absolute)
    metric = quantus.MPRT(similarity_func=correlation_spearman, layer_order="top_down", seed=4, abs=absolute,
                          normalise=True, disable_warnings=True, display_progressbar=False)
    with torch.random.fork_rng(devices=[]):
        theirs = metric(model=model, x_batch=x.numpy(), y_batch=target.numpy(), a_batch=None, channel_first=True,
                        explain_func=explain_func, softmax=False, device="cpu")
    assert list(theirs) == ["original"] + ours["layers"]
    assert np.abs(np.array([theirs[k] for k in ours["layers"]]) - ours["similarity"]).max() < 1e-12


def test_randomized_copy_leaves_the_model_and_the_random_state_alone():
    model, _, _ = lib.sanity_bed(0)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    state = torch.random.get_rng_state()
    twin = lib.randomized_copy(model, ["fc"], random_state=1)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())
    assert not torch.equal(twin.fc.weight, model.fc.weight) and torch.equal(twin.conv1.weight, model.conv1.weight)
    assert lib.parameter_layers(model) == ["fc", "conv2", "conv1"]
    assert lib.parameter_layers(lib.image_setup(0, n_images=1).clean) == ["fc", "conv3", "conv2", "conv1"]


def test_agreement_on_a_hand_example():
    a = np.array([[3.0, -2.0, 1.0, 0.5]])
    b = np.array([[-3.0, 0.1, 1.0, 2.0]])
    # top 2: a -> [0, 1], b -> [0, 3]; shared: feature 0 (opposite signs); same rank: position 0
    result = lib.agreement(a, b, k=2)
    assert result["feature"].tolist() == [0.5] and result["rank"].tolist() == [0.5] and result["sign"].tolist() == [0.0]
    assert lib.top_features(np.array([[1.0, -1.0, 0.5]]), 2).tolist() == [[0, 1]]      # ties: lower index first


def test_agreement_matrix_is_symmetric_with_ones_on_the_diagonal():
    rng = np.random.default_rng(0)
    table = lib.agreement_matrix({name: rng.standard_normal((5, 6)) for name in "abc"}, "sign")
    assert np.allclose(table.to_numpy(), table.to_numpy().T) and np.allclose(np.diag(table.to_numpy()), 1)


def test_spearman_rows_averages_ties_and_gives_nan_for_a_constant_row():
    from scipy.stats import spearmanr
    a = np.array([[1.0, 1.0, 2.0, 3.0], [1.0, 1.0, 1.0, 1.0]])
    b = np.array([[4.0, 3.0, 2.0, 1.0], [1.0, 2.0, 3.0, 4.0]])
    values = lib.spearman_rows(a, b)
    assert values[0] == pytest.approx(spearmanr(a[0], b[0])[0]) and np.isnan(values[1])


def test_patch_sums_and_patch_permutation_importance():
    maps = torch.arange(2 * 32 * 32, dtype=torch.float32).view(2, 1, 32, 32)
    sums = lib.patch_sums(maps)
    assert sums.shape == (2, 16) and sums[0, 0] == maps[0, 0, :8, :8].sum()

    class Corner(torch.nn.Module):  # reads patch 0 only
        def forward(self, x):
            score = x[:, 0, :8, :8].mean(dim=(1, 2))
            return torch.stack([score, 0.5 * torch.ones_like(score)], dim=1)

    x = torch.as_tensor(np.random.default_rng(0).random((40, 1, 32, 32)), dtype=torch.float32)
    labels = Corner()(x).argmax(dim=1).numpy()
    importance = lib.patch_permutation_importance(Corner(), x, labels, n_repeats=3)
    assert importance[0] > 0.1 and np.all(importance[1:] == 0)


def test_the_table_model_explains_its_log_odds():
    X, y, truth = lib.effects_classification(200, random_state=1)
    assert np.allclose(truth.sum(axis=1), (2 * X[:, 0] + X[:, 1] ** 2 + 1.5 * (X[:, 2] > 0) + X[:, 3] * X[:, 4]
                                           - 1.75), atol=1e-5)
    model = lib.TabularNet()
    with torch.no_grad():
        logits = model(torch.as_tensor(X))
    assert torch.equal(logits[:, 0], torch.zeros(200))


def test_drill_images_are_errors_that_follow_the_watermark():
    drill = lib.d8_setup(0)
    test = lib.test_set()
    assert len(drill.x) == 40 and torch.equal(drill.labels, torch.as_tensor(test.labels[drill.index]))
    assert np.all(test.watermarks[drill.index] == drill.predicted.numpy())
    assert np.all(drill.predicted.numpy() != drill.labels.numpy())


def test_explain_images_rejects_unknown_methods():
    setup = lib.image_setup(0, n_images=2)
    maps = lib.explain_images(setup.clean, setup.x, setup.target, methods=("Grad-CAM", "random"))
    assert set(maps) == {"Grad-CAM", "random"} and maps["random"].shape == setup.x.shape
    with pytest.raises(ValueError, match="methods"):
        lib.explain_images(setup.clean, setup.x, setup.target, methods=("LRP",))


def test_plots_return_axes_and_reject_bad_input():
    rng = np.random.default_rng(0)
    fractions = np.linspace(0, 1, 5)
    ax = plots.perturbation_curves(fractions, {"a": rng.random((4, 5)), "random": rng.random((4, 5))})
    assert len(ax.lines) == 2
    with pytest.raises(ValueError, match="points per curve"):
        plots.perturbation_curves(fractions, {"a": rng.random((4, 3))})
    ax = plots.sanity_curves(["fc", "conv1"], {"m": rng.random((2, 3))}, dashed={"m": rng.random((2, 3))})
    assert len(ax.lines) == 3
    import pandas as pd
    ax = plots.agreement_heatmap(pd.DataFrame(np.eye(2), index=["a", "b"], columns=["a", "b"]))
    assert len(ax.texts) == 4
    with pytest.raises(ValueError, match="square"):
        plots.agreement_heatmap(pd.DataFrame(np.ones((2, 3))))
