"""Chapter 04's library: gradients for CNNs (``from helpers.lib import ch04 as lib``).

- The chapter's images and models: :func:`test_set` (the 1,000 test shapes with a random watermark),
  :func:`as_batch`, :func:`blur` (the blurred baseline), and the conventions every exercise states
  (``IG_STEPS``, ``CAM_MODE``...).
- The reference implementations that cells after an exercise use, each guarded by ``@reference``:
  :func:`saliency`, :func:`grad_cam`, :func:`integrated_gradients`, :func:`smoothgrad`.
- Where the evidence sits: :func:`region_masses` and :func:`evidence_groups` (sections 6 and 7).
- Small models the checks (and section 4) build from a seed: :func:`random_cnn`,
  :func:`quadratic_model` (``logit_c = sum_h (w_ch . x + a_ch)^2``, on which the trapezoid rule is
  exact and a left Riemann sum is not), :func:`linear_model` (saliency = |weight row|); and the
  checks' choice of targets and images, :func:`other_targets` and :func:`cam_bed`.
- Drill D5: :func:`d5_setup` (and the hidden test's :func:`d5_quadratic_setup`) and the broken
  implementation :func:`d5_broken_ig`.

Convention shared by every gradient method here: ``target`` is an int (one class for the whole
batch) or an integer tensor of shape (n,) (one class per image), and the score explained is the
target's LOGIT, never its softmax probability.
"""

from __future__ import annotations

import functools
import inspect
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from helpers._context import reference
from helpers._validation import check_float, check_int
from helpers.data import images
from helpers.models import cnn
from helpers.models._torch import seeded

__all__ = ["BLUR_SIGMA", "CAM_MODE", "D5_BROKEN_STEPS", "D5_FIXED_STEPS", "D5_N_IMAGES", "D5_STAGES",
           "D5_FIXES", "IG_STEPS", "REGIONS", "SHAPE_MARGIN", "SMOOTHGRAD_NOISE", "SMOOTHGRAD_SAMPLES", "TEST_SPLIT",
           "WATERMARK_CORNER", "D5Setup", "LinearNet", "QuadraticNet", "SmallCNN", "as_batch", "blur",
           "cam_bed", "d5_broken_ig", "d5_broken_source", "d5_quadratic_setup", "d5_setup", "d5_table", "evidence_groups",
           "grad_cam", "input_gradient", "integrated_gradients", "layer_gradient", "linear_model",
           "other_targets", "quadratic_model", "random_cnn", "random_images", "region_masks",
           "region_masses", "saliency", "smoothgrad", "target_logits", "targets_of", "test_set"]

IG_STEPS = 50             # intervals of the trapezoid rule (steps + 1 points on the path)
CAM_MODE = "bilinear"     # Grad-CAM upsampling: F.interpolate(..., mode="bilinear", align_corners=False)
SMOOTHGRAD_SAMPLES = 50   # noisy copies averaged by SmoothGrad
SMOOTHGRAD_NOISE = 0.15   # their standard deviation: 15% of the pixel range [0, 1] (Smilkov et al. use 10-20%)
BLUR_SIGMA = 3.0          # Gaussian blur of the blurred baseline, in pixels
WATERMARK_CORNER = 8      # the 8x8-pixel top-left corner holds the 4x4 watermark (chance share: 64 / 1024)
SHAPE_MARGIN = 2          # the shape's region: its mask grown by 2 pixels (Grad-CAM's cells are 4 pixels wide)
REGIONS = ("shape", "watermark corner", "elsewhere")
TEST_SPLIT = {"kind": "clean", "n_train": 3000, "n_test": 1000, "random_state": 1}  # the clean CNN's split
D5_N_IMAGES, D5_BROKEN_STEPS, D5_FIXED_STEPS = 6, 8, 64
D5_STAGES = ("as given", "times (x - baseline)", "trapezoid", "64 steps", "black baseline")


# --------------------------------------------------------------------------------------------
# Data


@functools.lru_cache(maxsize=1)
def _test_split() -> images.ShapeImages:
    test = images.make_shape_splits(**TEST_SPLIT)[1]
    for array in (test.images, test.labels, test.masks, test.watermarks):
        array.setflags(write=False)
    return test


def test_set() -> images.ShapeImages:
    """The clean CNN's 1,000 test shapes (random watermark): unseen by both CNNs. A fresh copy."""
    t = _test_split()
    return images.ShapeImages(t.images.copy(), t.labels.copy(), t.masks.copy(), t.watermarks.copy(),
                              t.watermark_box, t.class_names)


def as_batch(pictures) -> torch.Tensor:
    """Images of shape (n, 32, 32) (array or tensor) as a float32 tensor of shape (n, 1, 32, 32)."""
    array = np.asarray(pictures, dtype=np.float32)
    if array.ndim != 3:
        raise ValueError(f"pictures must have shape (n, height, width), got {array.shape}")
    return torch.from_numpy(array.copy())[:, None]


def blur(x: torch.Tensor, *, sigma: float = BLUR_SIGMA) -> torch.Tensor:
    """Gaussian blur of a batch (n, c, h, w), channel by channel, reflecting at the borders."""
    sigma = check_float(sigma, "sigma", low=1e-3)
    radius = int(np.ceil(3 * sigma))
    kernel = torch.exp(-torch.arange(-radius, radius + 1, dtype=x.dtype) ** 2 / (2 * sigma ** 2))
    kernel = kernel / kernel.sum()
    n, c, h, w = x.shape
    flat = x.detach().reshape(n * c, 1, h, w)
    flat = F.conv2d(F.pad(flat, (radius, radius, 0, 0), mode="replicate"), kernel.view(1, 1, 1, -1))
    flat = F.conv2d(F.pad(flat, (0, 0, radius, radius), mode="replicate"), kernel.view(1, 1, -1, 1))
    return flat.reshape(n, c, h, w)


def targets_of(target, n: int) -> torch.Tensor:
    """``target`` (an int, or one class per image) as an int64 tensor of shape (n,)."""
    if isinstance(target, (int, np.integer)) and not isinstance(target, bool):
        return torch.full((n,), int(target), dtype=torch.int64)
    tensor = torch.as_tensor(np.asarray(target) if not isinstance(target, torch.Tensor) else target)
    if tensor.shape != (n,) or tensor.dtype.is_floating_point:
        raise ValueError(f"target must be an int or an integer tensor of shape ({n},), got {tuple(tensor.shape)}")
    return tensor.to(torch.int64)


# --------------------------------------------------------------------------------------------
# Reference implementations (guarded: a student's function under check may not call them)


_SCORES = {"logit": lambda out: out, "softmax": lambda out: out.softmax(dim=1),
           "log_softmax": lambda out: out.log_softmax(dim=1)}


def _input_gradient(model, x, target, score="logit"):
    inputs = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        out = _SCORES[score](model(inputs))
        chosen = out.gather(1, targets_of(target, len(x)).to(out.device)[:, None]).sum()
        (gradient,) = torch.autograd.grad(chosen, inputs)
    return gradient


@reference
def input_gradient(model, x, target, *, score="logit"):
    """The signed gradient of each image's target score with respect to the image: shaped like x.

    ``score``: "logit" (the model's output), "softmax" or "log_softmax" of it.
    """
    return _input_gradient(model, x, target, score)


@reference
def layer_gradient(model, x, target, layer, *, score="logit"):
    """``layer``'s output A (n, k, h, w) and the gradient of the target score with respect to it."""
    stored = {}
    handle = layer.register_forward_hook(lambda module, inputs, output: stored.update(a=output))
    try:
        with torch.enable_grad():
            out = _SCORES[score](model(x.detach().clone().requires_grad_(True)))
    finally:
        handle.remove()
    chosen = out.gather(1, targets_of(target, len(x)).to(out.device)[:, None]).sum()
    (gradient,) = torch.autograd.grad(chosen, stored["a"])
    return stored["a"].detach(), gradient


@reference
def saliency(model, x, target):
    """|d logit_target / dx| per pixel and channel: a tensor shaped like x (no max over channels)."""
    return _input_gradient(model, x, target).abs()


@reference
def smoothgrad(model, x, target, *, n_samples=SMOOTHGRAD_SAMPLES, noise=SMOOTHGRAD_NOISE, random_state=0):
    """Mean |gradient| over ``n_samples`` copies x + N(0, noise^2), drawn from one seeded generator."""
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    generator = torch.Generator().manual_seed(check_int(random_state, "random_state", minimum=0))
    eps = torch.randn((n_samples, *x.shape), generator=generator, dtype=x.dtype) * noise
    noisy = (x.detach()[None] + eps).reshape(-1, *x.shape[1:])                      # (samples * n, ...)
    gradient = _input_gradient(model, noisy, targets_of(target, len(x)).repeat(n_samples))
    return gradient.abs().view(n_samples, *x.shape).mean(dim=0)


@reference
def grad_cam(model, x, target, layer):
    """Grad-CAM of the target logit at ``layer``: ReLU(sum_k mean(dy/dA_k) A_k), bilinear to x's size.

    Returns a tensor of shape (n, height, width), not normalised.
    """
    activation, gradient = layer_gradient(model, x, target, layer)                 # (n, k, h, w) each
    cam = F.relu((gradient.mean(dim=(2, 3), keepdim=True) * activation).sum(dim=1, keepdim=True))
    return F.interpolate(cam, size=x.shape[-2:], mode=CAM_MODE, align_corners=False)[:, 0]


def _rule(rule: str, steps: int, dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """Points alpha_k in [0, 1] and weights w_k of a quadrature rule on ``steps`` intervals."""
    k = torch.arange(steps + 1, dtype=dtype)
    if rule == "trapezoid":
        weights = torch.full((steps + 1,), 1.0 / steps, dtype=dtype)
        weights[[0, -1]] = 0.5 / steps
        return k / steps, weights
    if rule in ("left", "right"):
        alphas = k[:-1] / steps if rule == "left" else k[1:] / steps
        return alphas, torch.full((steps,), 1.0 / steps, dtype=dtype)
    raise ValueError(f"rule must be 'trapezoid', 'left' or 'right', got {rule!r}")


def _ig(model, x, target, baseline, *, steps, rule="trapezoid", factor=True):
    """Integrated Gradients along the straight path from ``baseline`` to ``x``, one batched pass."""
    baseline = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline).to(x)
    baseline = baseline.expand_as(x)
    alphas, weights = _rule(rule, steps, x.dtype)
    shape = (-1,) + (1,) * x.ndim
    path = baseline + alphas.view(shape) * (x.detach() - baseline)                  # (points, n, ...)
    gradient = _input_gradient(model, path.reshape(-1, *x.shape[1:]),
                               targets_of(target, len(x)).repeat(len(alphas)))
    average = (weights.view(shape) * gradient.view(len(alphas), *x.shape)).sum(dim=0)
    return (x.detach() - baseline) * average if factor else average


@reference
def integrated_gradients(model, x, target, *, baseline=None, steps=IG_STEPS, rule="trapezoid"):
    """IG with the textbook trapezoid rule on ``steps`` intervals (steps + 1 points, one batched pass).

    ``baseline``: None (a black image, zeros) or a tensor broadcastable to x, converted to x's dtype
    and device. ``rule="left"`` or ``"right"`` gives the Riemann sums on the same intervals (section
    4.1 compares them). Returns a tensor shaped like x whose per-image sums approximate
    f(x) - f(baseline).
    """
    return _ig(model, x, target, baseline, steps=check_int(steps, "steps", minimum=1), rule=rule)


def target_logits(model, x, target) -> torch.Tensor:
    """The target logit of every image: (n,), without a graph."""
    with torch.no_grad():
        return model(x).gather(1, targets_of(target, len(x))[:, None])[:, 0]


# --------------------------------------------------------------------------------------------
# Where the evidence sits


def region_masks(data: images.ShapeImages, index=None, *, margin: int = SHAPE_MARGIN) -> np.ndarray:
    """Boolean masks (n, 3, 32, 32) of the three REGIONS of the images ``data[index]`` (all by default):
    the shape grown by ``margin`` pixels (outside the corner), the watermark corner, everything else."""
    masks = data.masks if index is None else data.masks[np.asarray(index)]
    grown = F.max_pool2d(torch.from_numpy(masks.astype(np.float32))[:, None], 2 * margin + 1, stride=1,
                         padding=margin)[:, 0].numpy() > 0
    corner = np.zeros(masks.shape[1:], dtype=bool)
    corner[:WATERMARK_CORNER, :WATERMARK_CORNER] = True
    grown &= ~corner
    rest = ~(grown | corner)
    return np.stack([grown, np.broadcast_to(corner, grown.shape), rest], axis=1)


def region_masses(maps, data: images.ShapeImages, index=None) -> np.ndarray:
    """Share of each map's absolute mass in the three REGIONS: (n, 3), rows sum to 1.

    ``maps`` (n, 32, 32) explain the images ``data[index]`` (all images by default); a map that is
    zero everywhere gets NaN.
    """
    maps = np.abs(np.asarray(maps, dtype=float))
    masses = np.einsum("nhw,nrhw->nr", maps, region_masks(data, index).astype(float))
    with np.errstate(invalid="ignore", divide="ignore"):
        return masses / masses.sum(axis=1, keepdims=True)


def evidence_groups(maps, data: images.ShapeImages, index=None) -> np.ndarray:
    """Where each map's evidence sits: the index into REGIONS of the region with the most mass per
    unit of area (mass share / area share), shape (n,)."""
    areas = region_masks(data, index).mean(axis=(2, 3))
    return np.argmax(region_masses(maps, data, index) / areas, axis=1)


# --------------------------------------------------------------------------------------------
# Small models built from a seed (the checks' test beds)


class SmallCNN(nn.Module):
    """conv1 3x3 -> relu1 -> conv2 3x3 stride 2 -> relu2 -> global average pool -> fc.

    ``conv2`` is the last convolution (Grad-CAM's layer). One ``nn.ReLU`` per use, none in place.
    """

    def __init__(self, in_channels: int, n_classes: int, width: int = 6):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, width, 3, padding=1)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(width, 2 * width, 3, stride=2, padding=1)
        self.relu2 = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(2 * width, n_classes)

    def forward(self, x):
        return self.fc(self.flatten(self.pool(self.relu2(self.conv2(self.relu1(self.conv1(x)))))))


class QuadraticNet(nn.Module):
    """logit_c(x) = sum_h (w_ch . vec(x) + a_ch)^2 + b_c: its gradient is linear in x, so along a straight
    path it is linear in alpha and the trapezoid rule integrates it exactly."""

    def __init__(self, n_inputs: int, n_classes: int, hidden: int = 2):
        super().__init__()
        self.n_classes, self.hidden = n_classes, hidden
        self.flatten = nn.Flatten()
        self.linear = nn.Linear(n_inputs, n_classes * hidden)
        self.bias = nn.Parameter(torch.zeros(n_classes))

    def forward(self, x):
        z = self.linear(self.flatten(x))
        return (z ** 2).view(len(x), self.n_classes, self.hidden).sum(dim=-1) + self.bias


class LinearNet(nn.Module):
    """logits = W vec(x) + b: the gradient of logit c is the row W[c], whatever x."""

    def __init__(self, n_inputs: int, n_classes: int):
        super().__init__()
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(n_inputs, n_classes)

    def forward(self, x):
        return self.fc(self.flatten(x))


def _seeded(build, random_state, dtype):
    return seeded(build, random_state).to(dtype).eval()


def random_cnn(random_state: int = 0, *, in_channels: int = 1, n_classes: int = 4, width: int = 6,
               dtype=torch.float32) -> SmallCNN:
    """A SmallCNN with seeded random weights, in eval mode (the global torch RNG is left alone).

    He-normal convolutions with small uniform biases keep about half of the ReLUs active on images in
    [0, 1] (PyTorch's default initialisation leaves some narrow networks nearly dead, with every
    Grad-CAM map zero); the classifier's weights are N(0, 3^2).
    """
    def build():
        model = SmallCNN(in_channels, n_classes, width)
        with torch.no_grad():
            for conv in (model.conv1, model.conv2):
                nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
                nn.init.uniform_(conv.bias, -0.1, 0.1)
            nn.init.normal_(model.fc.weight, std=3.0)
            nn.init.zeros_(model.fc.bias)
        return model
    return _seeded(build, random_state, dtype)


def quadratic_model(random_state: int = 0, *, in_shape=(1, 8, 8), n_classes: int = 3, hidden: int = 2,
                    dtype=torch.float32) -> QuadraticNet:
    """A QuadraticNet for inputs of shape (n, *in_shape) with seeded random weights, in eval mode."""
    return _seeded(lambda: QuadraticNet(int(np.prod(in_shape)), n_classes, hidden), random_state, dtype)


def linear_model(random_state: int = 0, *, in_shape=(1, 8, 8), n_classes: int = 3, dtype=torch.float32) -> LinearNet:
    """A LinearNet for inputs of shape (n, *in_shape) with seeded random weights, in eval mode."""
    return _seeded(lambda: LinearNet(int(np.prod(in_shape)), n_classes), random_state, dtype)


def random_images(random_state: int, shape, *, dtype=torch.float32) -> torch.Tensor:
    """Uniform [0, 1) images of ``shape`` (n, c, h, w) from a seeded generator."""
    generator = torch.Generator().manual_seed(check_int(random_state, "random_state", minimum=0))
    return torch.rand(tuple(shape), generator=generator, dtype=torch.float64).to(dtype)


def other_targets(model, x, random_state: int, n_classes: int) -> torch.Tensor:
    """One class per image, never the one the model predicts (the argmax shifted by a seeded 1 to
    n_classes - 1): the checks' targets, so that an answer that ignores ``target`` cannot pass."""
    shift = torch.as_tensor(np.random.default_rng(random_state).integers(1, n_classes, len(x)))
    with torch.no_grad():
        return (model(x).argmax(dim=1) + shift) % n_classes


def cam_bed(model: SmallCNN, x: torch.Tensor, n: int) -> tuple[torch.Tensor, torch.Tensor, int]:
    """``n`` of the images ``x``, a target for each and one target for all of them (exercise 4.2's checks).

    Each chosen image's raw map at ``model.conv2`` (before Grad-CAM's ReLU) is as near half positive and
    half negative as the images and classes allow, preferring classes the model does not predict, so
    that every Grad-CAM pitfall (no ReLU, ReLU after upsampling, the argmax...) changes the map.
    """
    signs = []
    for c in range(model.fc.out_features):
        A, G = (t.double() for t in layer_gradient(model, x, c, model.conv2))
        signs.append(((G.mean(dim=(2, 3), keepdim=True) * A).sum(dim=1) > 0).double().mean(dim=(1, 2)))
    badness = (torch.stack(signs, dim=1) - 0.5).abs()                        # (images, classes)
    with torch.no_grad():
        badness[torch.arange(len(x)), model(x).argmax(dim=1)] += 0.3
    best, target = badness.min(dim=1)
    keep = best.argsort()[:n].sort().values
    return x[keep], target[keep], int(badness[keep].mean(dim=0).argmin())


# --------------------------------------------------------------------------------------------
# Drill D5: a broken Integrated Gradients


class D5Setup(NamedTuple):
    """The drill's model (the clean CNN), its images (n, 1, 32, 32) and their labels as targets (n,)."""

    model: nn.Module
    x: torch.Tensor
    target: torch.Tensor


@functools.lru_cache(maxsize=1)
def _clean_right() -> np.ndarray:
    """Indices of the test images the shipped clean CNN classifies correctly."""
    data = _test_split()
    with torch.no_grad():
        predicted = cnn.load_cnn("clean")(as_batch(data.images)).argmax(dim=1).numpy()
    return np.flatnonzero(predicted == data.labels)


def d5_setup(random_state: int = 0) -> D5Setup:
    """The clean CNN and ``D5_N_IMAGES`` test images it classifies correctly, drawn with the seed."""
    rng = np.random.default_rng(check_int(random_state, "random_state", minimum=0))
    chosen = np.sort(rng.choice(_clean_right(), D5_N_IMAGES, replace=False))
    data = _test_split()
    return D5Setup(cnn.load_cnn("clean"), as_batch(data.images[chosen]),
                   torch.as_tensor(data.labels[chosen], dtype=torch.int64))


def d5_quadratic_setup(random_state: int = 0) -> D5Setup:
    """The drill's other test bed (its hidden test): a QuadraticNet on five random 10x10 images, each
    with a class the model does not predict."""
    model = quadratic_model(random_state, in_shape=(1, 10, 10), n_classes=3)
    x = random_images(random_state, (5, 1, 10, 10))
    return D5Setup(model, x, other_targets(model, x, random_state, 3))


def d5_broken_ig(model, x, target, *, steps=D5_BROKEN_STEPS):
    """Integrated Gradients of the target logit against a black image. It has four bugs: find them."""
    baseline = blur(x)
    alphas = torch.arange(steps, dtype=x.dtype) / steps
    path = baseline + alphas.view(-1, 1, 1, 1, 1) * (x - baseline)
    path = path.reshape(-1, *x.shape[1:]).requires_grad_(True)
    logits = model(path).gather(1, targets_of(target, len(x)).repeat(steps)[:, None])
    (grads,) = torch.autograd.grad(logits.sum(), path)
    return grads.view(steps, *x.shape).mean(dim=0)


D5_FIXES = ("factor", "trapezoid", "steps", "black")  # the table's order: stage s has the first s fixes


def d5_broken_source() -> str:
    """The source of :func:`d5_broken_ig` as the drill prints it, with the value of its default ``steps``."""
    source = inspect.getsource(d5_broken_ig)
    return source.replace("steps=D5_BROKEN_STEPS", f"steps={D5_BROKEN_STEPS}")


def _d5_settings(x, order=D5_FIXES):
    """(baseline, steps, rule, times (x - baseline)) of the five stages: each fixes one more bug, in ``order``
    (the table's by default; the checks name answers that fix in another order)."""
    state = {"baseline": blur(x), "steps": D5_BROKEN_STEPS, "rule": "left", "factor": False}
    fixes = {"factor": {"factor": True}, "trapezoid": {"rule": "trapezoid"}, "steps": {"steps": D5_FIXED_STEPS},
             "black": {"baseline": torch.zeros_like(x)}}
    settings = [tuple(state.values())]
    for fix in order:
        state.update(fixes[fix])
        settings.append(tuple(state.values()))
    return settings


def _d5_table(model, x, target, settings=None) -> dict:
    f_x, f_0 = target_logits(model, x, target), target_logits(model, torch.zeros_like(x), target)
    rows = {"own": [], "black": [], "sums": [], "f_b": []}
    for baseline, steps, rule, factor in settings or _d5_settings(x):
        attributions = _ig(model, x, target, baseline, steps=steps, rule=rule, factor=factor)
        sums, f_b = attributions.sum(dim=tuple(range(1, x.ndim))), target_logits(model, baseline, target)
        rows["own"].append((sums - (f_x - f_b)) / (f_x - f_b))
        rows["black"].append((sums - (f_x - f_0)) / (f_x - f_0))
        rows["sums"].append(sums)
        rows["f_b"].append(f_b)
    table = {key: torch.stack(values).double().numpy() for key, values in rows.items()}
    return {**table, "fixed": attributions.double().numpy(), "f_x": f_x.double().numpy(), "f_0": f_0.double().numpy()}


@reference
def d5_table(model, x, target) -> dict:
    """Drill D5's measurements, for the cells after the drill.

    Returns
    -------
    dict
        ``own``, ``black`` : ndarray of shape (5, n), the relative completeness gaps of the stages in
        ``D5_STAGES`` against the baseline each stage used and against the black image;
        ``fixed`` : ndarray shaped like x, the attributions with every bug fixed; ``sums``, ``f_b`` :
        (5, n), the attributions' sums and f(baseline) per stage; ``f_x``, ``f_0`` : (n,).
    """
    return _d5_table(model, x, target)
