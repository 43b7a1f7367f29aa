"""Unit tests of chapter 04's library (helpers.lib.ch04) and of its overlays in helpers.plots.

The references are compared with the field's libraries (captum, torchcam) on small seeded models; the
quadrature rules with closed forms on the quadratic model, where the trapezoid rule is exact.
"""

import matplotlib
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from captum.attr import IntegratedGradients, LayerAttribution, LayerGradCam, Saliency
from torchcam.methods import GradCAM

from helpers import plots
from helpers.checks import ch04 as check
from helpers.lib import ch04 as lib

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def bed():
    """A random CNN, 5 images of 2 x 12 x 16 and one target per image."""
    model = lib.random_cnn(3, in_channels=2, n_classes=3)
    x = lib.random_images(1, (5, 2, 12, 16))
    return model, x, torch.tensor([0, 2, 1, 1, 0])


def _relative(a, b):
    return float((a - b).abs().max() / b.abs().max())


# --------------------------------------------------------------------------------------------
# References against captum and torchcam


def test_saliency_equals_captum_and_the_linear_closed_form(bed):
    model, x, target = bed
    assert _relative(lib.saliency(model, x, target), Saliency(model).attribute(x, target=target, abs=True)) < 1e-6
    linear = lib.linear_model(0, in_shape=(2, 12, 16), n_classes=3)
    expected = linear.fc.weight.detach()[target].abs().view(x.shape)
    assert _relative(lib.saliency(linear, x, target), expected) < 1e-6


def test_input_gradient_of_the_softmax_differs_from_the_logit(bed):
    model, x, target = bed
    logit, soft = lib.input_gradient(model, x, target), lib.input_gradient(model, x, target, score="softmax")
    assert logit.shape == x.shape and _relative(soft, logit) > 0.1


def test_grad_cam_equals_captum_and_torchcam_bilinear(bed):
    model, x, target = bed
    ours = lib.grad_cam(model, x, target, model.conv2)
    captum = LayerAttribution.interpolate(
        LayerGradCam(model, model.conv2).attribute(x, target=target, relu_attributions=True), (12, 16), "bilinear")
    with GradCAM(model, model.conv2) as extractor:
        low = extractor(target.tolist(), model(x), normalized=False)[0]
    torchcam = F.interpolate(low[:, None], size=(12, 16), mode="bilinear", align_corners=False)[:, 0]
    assert ours.shape == (5, 12, 16) and bool((ours >= 0).all())
    assert _relative(ours, captum[:, 0].detach()) < 1e-6 and _relative(ours, torchcam) < 1e-6
    assert not any(len(m._forward_hooks) for m in model.modules())  # the hook was removed


@pytest.mark.parametrize("steps", [1, 7, 50])
def test_integrated_gradients_is_captums_trapezoid_rescaled(bed, steps):
    model, x, target = bed
    ours = lib.integrated_gradients(model, x, target, steps=steps)
    captum = IntegratedGradients(model).attribute(x, target=target, n_steps=steps + 1, method="riemann_trapezoid")
    assert _relative(ours, captum.detach() * (steps + 1) / steps) < 1e-5


@pytest.mark.parametrize("rule", ["left", "right"])
def test_riemann_sums_equal_captums(bed, rule):
    model, x, target = bed
    ours = lib.integrated_gradients(model, x, target, steps=9, rule=rule)
    captum = IntegratedGradients(model).attribute(x, target=target, n_steps=9, method=f"riemann_{rule}")
    assert _relative(ours, captum.detach()) < 1e-5


def test_baseline_in_another_dtype_is_converted_and_broadcast(bed):
    model, x, target = bed
    baseline = lib.random_images(4, x.shape[1:], dtype=torch.float64)
    ours = lib.integrated_gradients(model, x, target, baseline=baseline, steps=5)
    same = lib.integrated_gradients(model, x, target, baseline=baseline.float().expand_as(x), steps=5)
    assert ours.dtype == torch.float32 and torch.allclose(ours, same)


def test_trapezoid_is_exact_on_the_quadratic_model_and_riemann_sums_are_not():
    model = lib.quadratic_model(2, in_shape=(1, 6, 6), n_classes=3)
    x, target = lib.random_images(5, (4, 1, 6, 6)), 1
    delta = lib.target_logits(model, x, target) - lib.target_logits(model, torch.zeros_like(x), target)
    gap = {rule: ((lib.integrated_gradients(model, x, target, steps=10, rule=rule).sum(dim=(1, 2, 3)) - delta)
                  / delta).abs().max().item() for rule in ["trapezoid", "left", "right"]}
    assert gap["trapezoid"] < 1e-5 and gap["left"] > 1e-3 and gap["right"] > 1e-3
    with pytest.raises(ValueError, match="rule must be"):
        lib.integrated_gradients(model, x, target, rule="midpoint")


def test_completeness_gap_on_the_clean_cnn_is_small_at_50_steps():
    setup = lib.d5_setup(0)
    ig = lib.integrated_gradients(setup.model, setup.x, setup.target)
    delta = lib.target_logits(setup.model, setup.x, setup.target) - lib.target_logits(
        setup.model, torch.zeros_like(setup.x), setup.target)
    assert float(((ig.sum(dim=(1, 2, 3)) - delta) / delta).abs().median()) < 0.01


def test_smoothgrad_is_seeded():
    model, x = lib.random_cnn(0), lib.random_images(0, (3, 1, 10, 10))
    first, again = lib.smoothgrad(model, x, 1, n_samples=8, random_state=4), lib.smoothgrad(model, x, 1, n_samples=8, random_state=4)
    other = lib.smoothgrad(model, x, 1, n_samples=8, random_state=5)
    assert torch.equal(first, again) and not torch.equal(first, other) and bool((first >= 0).all())


def test_references_are_guarded_inside_a_students_function():
    def delegating(model, x, target):
        return lib.saliency(model, x, target)
    feedback = check.saliency.run(delegating)
    assert feedback.outcome.value == "incorrect" and "reference implementation" in feedback.message


# --------------------------------------------------------------------------------------------
# Data, regions, models, drill D5


def test_targets_of_accepts_an_int_or_one_class_per_image_and_rejects_the_rest():
    assert lib.targets_of(2, 3).tolist() == [2, 2, 2]
    assert lib.targets_of(np.array([0, 1, 1]), 3).dtype == torch.int64
    with pytest.raises(ValueError, match="shape"):
        lib.targets_of(torch.tensor([0, 1]), 3)
    with pytest.raises(ValueError):
        lib.targets_of(torch.tensor([0.5, 1.0, 2.0]), 3)


def test_blur_keeps_constants_shape_and_dtype():
    x = torch.full((2, 1, 9, 9), 0.3, dtype=torch.float64)
    assert torch.allclose(lib.blur(x), x) and lib.blur(x).dtype == torch.float64
    spike = torch.zeros(1, 1, 15, 15)
    spike[0, 0, 7, 7] = 1.0
    blurred = lib.blur(spike, sigma=1.0)
    assert abs(float(blurred.sum()) - 1.0) < 1e-5 and float(blurred.max()) < 0.2
    with pytest.raises(ValueError):
        lib.blur(x, sigma=0.0)


def test_test_set_is_a_fresh_copy_and_as_batch_checks_shapes():
    first = lib.test_set()
    first.images[0, 0, 0] = 7.0
    assert lib.test_set().images[0, 0, 0] != 7.0 and len(first) == 1000
    assert lib.as_batch(first.images[:3]).shape == (3, 1, 32, 32)
    with pytest.raises(ValueError, match="shape"):
        lib.as_batch(first.images[0])


def test_regions_partition_the_image_and_masses_sum_to_one():
    data = lib.test_set()
    masks = lib.region_masks(data, np.arange(20))
    assert masks.shape == (20, 3, 32, 32) and np.all(masks.sum(axis=1) == 1)
    assert np.all(masks[:, 1, :8, :8]) and not masks[:, 1, 8:, :].any()
    masses = lib.region_masses(np.random.default_rng(0).random((20, 32, 32)), data, np.arange(20))
    assert np.allclose(masses.sum(axis=1), 1.0)
    corner_only = np.zeros((20, 32, 32))
    corner_only[:, 2, 2] = 1.0
    assert np.all(lib.evidence_groups(corner_only, data, np.arange(20)) == lib.REGIONS.index("watermark corner"))


def test_random_models_are_seeded_and_leave_the_global_generator_alone():
    state = torch.random.get_rng_state()
    a, b = lib.random_cnn(5, width=4), lib.random_cnn(5, width=4)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert lib.quadratic_model(1, dtype=torch.float64).linear.weight.dtype == torch.float64


def test_d5_broken_ig_is_the_first_stage_and_the_table_ends_with_the_fixed_ig():
    model, x, target = lib.d5_setup(0)
    assert x.shape == (lib.D5_N_IMAGES, 1, 32, 32) and torch.equal(x, lib.d5_setup(0).x)
    broken = lib.d5_broken_ig(model, x, target)
    table = lib.d5_table(model, x, target)
    sums = broken.sum(dim=(1, 2, 3)).double().numpy()
    assert np.allclose(sums, table["sums"][0], rtol=1e-5)
    fixed = lib.integrated_gradients(model, x, target, steps=lib.D5_FIXED_STEPS).double().numpy()
    assert np.allclose(table["fixed"], fixed, atol=1e-6)
    assert table["own"].shape == table["black"].shape == (len(lib.D5_STAGES), lib.D5_N_IMAGES)


# --------------------------------------------------------------------------------------------
# helpers.plots: the overlays chapter 04 draws


def test_heatmap_overlay_draws_a_colour_bar_and_rejects_mismatched_maps():
    ax = plots.heatmap_overlay(np.zeros((8, 8)), torch.rand(8, 8), signed=True, box=(0, 0, 4, 4), label="IG")
    assert len(ax.figure.axes) == 2 and ax.figure.axes[1].get_ylabel() == "IG"
    with pytest.raises(ValueError, match="shape"):
        plots.heatmap_overlay(np.zeros((8, 8)), np.zeros((4, 4)))
    with pytest.raises(ValueError, match="finite"):
        plots.heatmap_overlay(np.zeros((8, 8)), np.full((8, 8), np.nan))


def test_attribution_grid_has_one_panel_per_image_and_method():
    fig = plots.attribution_grid(np.zeros((2, 8, 8)), {"a": np.ones((2, 8, 8)), "b": -np.ones((2, 8, 8))},
                                 signed={"b"}, row_labels=["x", "y"])
    assert len(fig.axes) == 2 * 2 + 2  # panels and one colour bar per column
    with pytest.raises(ValueError, match="maps"):
        plots.attribution_grid(np.zeros((2, 8, 8)), {"a": np.ones((3, 8, 8))})
