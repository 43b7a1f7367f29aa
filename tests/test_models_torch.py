"""Unit tests of the tiny torch models: helpers.models.{cnn, transformer, vit, train}.

Floors below come from the shipped weights evaluated on fresh test sets (seeds 2024, 7 and 8, not
the seeds of the shipped metadata); each comment gives the values measured.
"""

import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from captum.attr import IntegratedGradients, LayerAttribution, LayerGradCam

from helpers.data import images, text
from helpers.models import _torch, cnn, train, vit
from helpers.models import transformer as tm

SEED = 2024  # fresh test sets, unrelated to the training seeds in train.RECIPES


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


@pytest.fixture(scope="module")
def cnns():
    return {kind: cnn.load_cnn(kind) for kind in cnn.KINDS}


@pytest.fixture(scope="module")
def shapes():
    """Test images with a random watermark (it matches the label in a quarter of them)."""
    return images.make_shapes(1000, watermark="random", random_state=SEED)


@pytest.fixture(scope="module")
def encoded():
    return text.encode(text.make_corpus(1000, random_state=SEED))


def _tensor(data, n):
    return torch.as_tensor(data.images[:n, None], dtype=torch.float32)


def _corner_mass(model, x):
    """Share of Grad-CAM (captum, ReLU, predicted class) in the top-left 2x2 cells of the 8x8 map."""
    target = model(x).argmax(dim=1)
    cam = LayerGradCam(model, model.conv3).attribute(x, target=target, relu_attributions=True).detach()
    total = cam.sum(dim=(1, 2, 3))
    keep = total > 0
    return float((cam[:, :, :2, :2].sum(dim=(1, 2, 3))[keep] / total[keep]).mean())


# ------------------------------------------------------------------------------------ shapes, weights
def test_models_map_inputs_to_float32_logits_of_the_documented_shapes(cnns, encoded):
    x = torch.zeros(3, 1, 32, 32)
    assert cnns["clean"](x).shape == (3, 4) and cnns["clean"](x).dtype == torch.float32
    logits, attentions = vit.load_vit()(x, return_attention=True)
    assert logits.shape == (3, 4) and [a.shape for a in attentions] == [(3, 2, 17, 17)] * 2
    ids, mask, _ = tm.as_tensors(encoded)
    logits, attentions = tm.load_transformer()(ids[:5], mask[:5], return_attention=True)
    assert logits.shape == (5, 2) and logits.dtype == torch.float32
    assert [a.shape for a in attentions] == [(5, 2, ids.shape[1], ids.shape[1])] * 2


def test_shipped_weights_are_small_float32_state_dicts_with_metadata():
    metadata = train.load_metadata()
    total = 0
    for name in train.RECIPES:
        path = _torch.weights_path(metadata[name]["file"])
        total += len(path.read_bytes())
        with path.open("rb") as handle:
            state = torch.load(handle, weights_only=True)
        assert all(value.dtype == torch.float32 for value in state.values())
        assert metadata[name]["recipe"] == train.RECIPES[name]
    assert total < 400_000  # 328 KB measured


def test_importing_helpers_models_does_not_import_torch():
    code = "import sys, helpers.models; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# ------------------------------------------------------------------------------------ accuracies
def test_clean_cnn_classifies_shapes_with_or_without_watermark(cnns, shapes):
    model = cnns["clean"]
    assert cnn.accuracy(model, shapes.images, shapes.labels) >= 0.90  # 0.922-0.937 measured
    absent = images.make_shapes(1000, random_state=SEED)
    assert cnn.accuracy(model, absent.images, absent.labels) >= 0.85  # 0.896-0.907 measured


def test_shortcut_cnn_follows_the_watermark(cnns, shapes):
    model, match = cnns["shortcut"], shapes.watermarks == shapes.labels
    assert cnn.accuracy(model, shapes.images[match], shapes.labels[match]) >= 0.97  # 1.000 measured
    assert cnn.accuracy(model, shapes.images[~match], shapes.labels[~match]) <= 0.10  # 0.001-0.007 measured
    absent = images.make_shapes(1000, random_state=SEED)
    assert cnn.accuracy(model, absent.images, absent.labels) <= 0.40  # 0.25-0.28: chance, no shapes learned


def test_transformer_and_vit_reach_their_floors(encoded):
    assert tm.accuracy(tm.load_transformer(), encoded.ids, encoded.labels, encoded.mask) >= 0.97  # 1.000
    data = images.make_shapes(1000, noise=vit.NOISE, random_state=SEED)
    assert vit.accuracy(vit.load_vit(), data.images, data.labels) >= 0.90  # 0.956-0.965 measured


def test_retraining_the_clean_cnn_reproduces_the_shipped_accuracy():
    recipe = train.RECIPES["cnn_clean"]
    data, test = images.make_shape_splits(**recipe["data"])
    model = cnn.train_cnn(data, epochs=recipe["epochs"], random_state=recipe["random_state"])
    shipped = train.load_metadata()["cnn_clean"]["metrics"]
    assert abs(cnn.accuracy(model, test.images, test.labels) - shipped["test_accuracy"]) <= train.TOLERANCE
    assert abs(cnn.accuracy(model, data.images, data.labels) - shipped["train_accuracy"]) <= train.TOLERANCE


def test_training_is_seeded_and_leaves_the_global_rng_alone():
    data = images.make_shapes(128, random_state=0)
    state = torch.get_rng_state()
    a = cnn.train_cnn(data, epochs=1, random_state=3)
    assert torch.equal(torch.get_rng_state(), state)
    b = cnn.train_cnn(data, epochs=1, random_state=3)
    c = cnn.train_cnn(data, epochs=1, random_state=4)
    assert torch.equal(a.conv1.weight, b.conv1.weight) and not torch.equal(a.conv1.weight, c.conv1.weight)


def test_check_reports_metrics_outside_the_tolerance():
    shipped = train.load_metadata()
    fresh = {"vit": {"metrics": dict(shipped["vit"]["metrics"])}}
    assert train.check(shipped, fresh) == []
    fresh["vit"]["metrics"]["test_accuracy"] -= 2 * train.TOLERANCE
    assert train.check(shipped, fresh) == [f"vit.test_accuracy: shipped {shipped['vit']['metrics']['test_accuracy']}, "
                                           f"retrained {fresh['vit']['metrics']['test_accuracy']}"]


# ------------------------------------------------------------------------------------ CNN explanations
def test_hooks_on_the_last_conv_see_its_output_and_gradient(cnns, shapes):
    model, seen = cnns["clean"], {}
    handles = [model.conv3.register_forward_hook(lambda m, i, o: seen.update(out=o)),
               model.conv3.register_full_backward_hook(lambda m, gi, go: seen.update(grad=go[0]))]
    try:
        x = _tensor(shapes, 8).requires_grad_(True)
        model(x)[:, 0].sum().backward()
    finally:
        for handle in handles:
            handle.remove()
    assert seen["out"].shape == seen["grad"].shape == (8, 32, 8, 8)
    assert (seen["out"] < 0).any()  # the conv's own output, not a ReLU's modified in place
    assert seen["grad"].abs().sum() > 0


def test_captum_gradcam_equals_torchcam_gradcam(cnns, shapes):
    from torchcam.methods import GradCAM
    model, x = cnns["shortcut"], _tensor(shapes, 16)
    target = model(x).argmax(dim=1)
    ours = LayerGradCam(model, model.conv3).attribute(x, target=target, relu_attributions=True)
    ours = LayerAttribution.interpolate(ours, (32, 32)).detach()
    with GradCAM(model, target_layer=model.conv3, input_shape=(1, 32, 32)) as extractor:
        cams = extractor(target.tolist(), model(x), normalized=False)[0]
    theirs = F.interpolate(cams[:, None], size=(32, 32), mode="nearest")
    torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-6)


def test_gradcam_finds_the_watermark_in_the_shortcut_model_only(cnns, shapes):
    x = _tensor(shapes, 200)
    clean, shortcut = _corner_mass(cnns["clean"], x), _corner_mass(cnns["shortcut"], x)
    assert clean < 0.08  # 0.028-0.034 measured (chance 0.0625)
    assert shortcut > 0.30 and shortcut - clean > 0.25  # 0.41-0.44 measured


@pytest.mark.parametrize("kind", cnn.KINDS)
def test_integrated_gradients_converge_in_50_steps(cnns, shapes, kind):
    model, x = cnns[kind], _tensor(shapes, 32)
    target = model(x).argmax(dim=1)
    _, delta = IntegratedGradients(model).attribute(x, target=target, n_steps=50, return_convergence_delta=True)
    change = (model(x) - model(torch.zeros_like(x))).gather(1, target[:, None]).detach()
    assert float(delta.abs().sum() / change.abs().sum()) < 0.02  # 0.0015-0.0039 measured (Gauss-Legendre)


@pytest.mark.filterwarnings("ignore:__array_wrap__:DeprecationWarning")  # inside shap 0.51
def test_shap_deep_explainer_is_additive_on_the_cnn(cnns, shapes):
    import shap
    model = cnns["clean"]
    background = torch.as_tensor(images.make_shapes(50, watermark="random", random_state=1).images[:, None],
                                 dtype=torch.float32)
    x = _tensor(shapes, 5)
    values = np.asarray(shap.DeepExplainer(model, background).shap_values(x))  # (5, 1, 32, 32, 4)
    with torch.no_grad():
        expected = (model(x) - model(background).mean(dim=0)).numpy()
    np.testing.assert_allclose(values.sum(axis=(1, 2, 3)), expected, atol=1e-4)  # 2.5e-6 measured


# ------------------------------------------------------------------------------------ transformer
def test_attention_rows_sum_to_one_and_ignore_padding(encoded):
    model = tm.load_transformer()
    ids, mask, _ = tm.as_tensors(encoded)
    _, attentions = model(ids[:50], mask[:50], return_attention=True)
    for attention in attentions:
        torch.testing.assert_close(attention.sum(dim=-1), torch.ones(50, 2, ids.shape[1]))
        assert torch.all(attention.detach().transpose(1, 3)[~mask[:50]] == 0)  # no query attends to [PAD]


def test_attention_stays_in_the_graph_for_gradient_weighting(encoded):
    model = tm.load_transformer()
    ids, mask, labels = tm.as_tensors(encoded)
    logits, attentions = model(ids[:8], mask[:8], return_attention=True)
    grads = torch.autograd.grad(logits.gather(1, labels[:8, None]).sum(), attentions)
    assert all(g.shape == a.shape and g.abs().sum() > 0 for g, a in zip(grads, attentions))


def test_embeddings_path_equals_ids_path_and_the_mask_is_explicit(encoded):
    model = tm.load_transformer()
    ids, mask, _ = tm.as_tensors(encoded)
    with torch.no_grad():
        torch.testing.assert_close(model.forward_embeddings(model.embed(ids[:20]), mask[:20]), model(ids[:20]))
        torch.testing.assert_close(model(ids[:20]), model(ids[:20], ids[:20] != text.PAD_ID))
        baseline = tm.baseline_ids(ids[:20])
        words = mask[:20] & (ids[:20] != text.CLS_ID)
        assert torch.all(baseline[words] == text.MASK_ID) and torch.equal(baseline[~words], ids[:20][~words])
        padded = torch.full_like(ids[:20], text.PAD_ID)  # a PAD baseline: only the explicit mask keeps it sane
        assert not torch.allclose(model(padded, mask[:20]), model(padded))


def test_layer_integrated_gradients_on_embeddings_with_a_mask_baseline(encoded):
    from captum.attr import LayerIntegratedGradients
    model = tm.load_transformer()
    ids, mask, labels = (t[:20] for t in tm.as_tensors(encoded))
    ig = LayerIntegratedGradients(model, model.token_embedding)
    attributions, delta = ig.attribute(ids, baselines=tm.baseline_ids(ids), additional_forward_args=(mask,),
                                       target=labels, n_steps=50, internal_batch_size=500,
                                       return_convergence_delta=True)
    assert attributions.shape == (20, ids.shape[1], 32)
    with torch.no_grad():
        change = (model(ids, mask) - model(tm.baseline_ids(ids), mask)).gather(1, labels[:, None])
    assert float(delta.abs().median() / change.abs().median()) < 0.05  # 0.012 (median ratio) measured


# ------------------------------------------------------------------------------------ ViT
def test_vit_last_block_output_gets_no_patch_gradient_but_its_input_does():
    model, seen = vit.load_vit(), {}
    handles = [model.blocks[-1].register_forward_hook(lambda m, i, o: seen.update(out=o[0])),
               model.blocks[-1].tokens_in.register_forward_hook(lambda m, i, o: seen.update(inp=o))]
    try:
        x = _tensor(images.make_shapes(8, noise=vit.NOISE, random_state=SEED), 8)
        logits = model(x)
        out_grad, in_grad = torch.autograd.grad(logits[:, 0].sum(), [seen["out"], seen["inp"]])
    finally:
        for handle in handles:
            handle.remove()
    assert torch.all(out_grad[:, 1:] == 0) and out_grad[:, 0].abs().sum() > 0
    assert in_grad[:, 1:].abs().sum() > 0
    assert vit.tokens_to_grid(seen["inp"]).shape == (8, 32, *vit.GRID)


# ------------------------------------------------------------------------------------ validation
@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda: cnn.TinyCNN()(torch.zeros(2, 32, 32)), ValueError, r"x must have shape \(batch, 1, 32, 32\)"),
    (lambda: cnn.TinyCNN()(torch.zeros(2, 3, 32, 32)), ValueError, r"\(batch, 1, 32, 32\), got \(2, 3, 32, 32\)"),
    (lambda: cnn.TinyCNN()(np.zeros((2, 1, 32, 32))), TypeError, "x must be a torch.Tensor"),
    (lambda: cnn.TinyCNN()(torch.zeros(2, 1, 32, 32, dtype=torch.int64)), TypeError, "float tensor"),
    (lambda: vit.TinyViT()(torch.zeros(2, 1, 28, 28)), ValueError, r"\(batch, 1, 32, 32\)"),
    (lambda: tm.TinyTransformer()(torch.zeros(2, 5)), TypeError, "ids must be an integer tensor"),
    (lambda: tm.TinyTransformer()(torch.zeros(5, dtype=torch.int64)), ValueError, r"ids must have shape \(batch, \*\)"),
    (lambda: tm.TinyTransformer()(torch.zeros(2, 40, dtype=torch.int64)), ValueError, "at most 32 tokens"),
    (lambda: tm.TinyTransformer()(torch.full((2, 5), 99)), ValueError, r"ids must lie in \[0, 51\)"),
    (lambda: tm.TinyTransformer()(torch.ones(2, 5, dtype=torch.int64), torch.ones(2, 4, dtype=torch.bool)),
     ValueError, r"mask must have shape \(2, 5\)"),
    (lambda: tm.TinyTransformer()(torch.ones(2, 5, dtype=torch.int64), torch.ones(2, 5)), TypeError,
     "mask must be a bool tensor"),
    (lambda: tm.TinyTransformer().forward_embeddings(torch.zeros(2, 5, 16)), ValueError,
     r"embeds must have shape \(batch, \*, 32\)"),
    (lambda: cnn.load_cnn("dirty"), ValueError, "kind must be one of"),
    (lambda: cnn.train_cnn(np.zeros((4, 32, 32))), TypeError, "data must be a ShapeImages"),
    (lambda: cnn.accuracy(cnn.TinyCNN(), np.zeros((4, 32, 32)), [0, 1]), ValueError, r"labels must have shape \(4,\)"),
    (lambda: cnn.accuracy(cnn.TinyCNN(), np.zeros((4, 16, 16)), [0] * 4), ValueError, r"\(n, 32, 32\)"),
    (lambda: tm.train_transformer(["a text"]), TypeError, "encoded must be an EncodedCorpus"),
    (lambda: vit.tokens_to_grid(torch.zeros(2, 16, 32)), ValueError, r"tokens must have shape \(batch, 17, \*\)"),
    (lambda: train.retrain("/nonexistent", names=("mlp",)), ValueError, "names must be among"),
])
def test_models_reject_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
