"""Chapter 08's library: do explanations tell the truth? (``from helpers.lib import ch08 as lib``).

- The chapter's images and models: :func:`image_setup` (chapter 04's clean and shortcut CNNs and test
  images each classifies correctly) and :func:`explain_images` (the maps of chapter 04's methods,
  computed with chapter 04's references, and a random map).
- The reference implementations that cells after an exercise use, each guarded by ``@reference``:
  :func:`deletion_curve`, :func:`insertion_curve` and :func:`randomization_sanity`; and the tools
  around them: :func:`imputed` (ROAD's noisy linear imputation), :func:`road_scores`,
  :func:`randomized_copy`, :func:`parameter_layers`.
- Test beds the checks build cases from (inputs only, never an answer): :func:`deletion_bed`,
  :func:`sanity_bed`.

The tables (chapter 02's effects as a classifier), the agreement metrics and the uncertainty studies
live in :mod:`helpers.lib.ch08_tables`; this module re-exports them.

Conventions of the chapter (the exercises state them): a *feature* is one entry of an input (a pixel of
one channel, a column of a table); attributions have the input's shape; the score of a curve is the
target's **softmax probability**; features are deleted most important first (the largest signed
attribution), ties broken by the lower flat index first (a stable sort of ``-attribution``); after step
``k`` of ``steps`` the first ``k * d // steps`` features of that order are deleted (``d`` features per
input); the area under a curve is the trapezoid rule over the fraction deleted, ``k * d // steps / d``.
"""

from __future__ import annotations

import copy
import functools
from typing import NamedTuple

import numpy as np
import torch
from scipy import sparse
from scipy.sparse.linalg import spsolve
from torch import nn

from helpers._context import reference
from helpers._validation import check_int
from helpers.lib import ch04
from helpers.lib.ch08_tables import (
    AGREEMENT_K,
    FEATURES,
    PATCH,
    TabularNet,
    TabularSetup,
    agreement,
    agreement_matrix,
    effects_classification,
    explain_table,
    patch_lime,
    patch_permutation_importance,
    patch_shap,
    patch_sums,
    spearman_rows,
    table_permutation_importance,
    tabular_setup,
    top_features,
    train_tabular,
)
from helpers.models import cnn

__all__ = ["AGREEMENT_K", "FEATURES", "PATCH", "TabularNet", "TabularSetup", "agreement", "agreement_matrix",
           "effects_classification", "explain_table", "patch_lime", "patch_permutation_importance", "patch_shap",
           "patch_sums", "table_permutation_importance", "tabular_setup", "top_features", "train_tabular",
           "CURVE_STEPS", "N_IMAGES", "ROAD_FRACTIONS", "ROAD_NOISE", "SMOOTHGRAD_SAMPLES", "METHODS", "DrillSetup", "ImageSetup", "d8_setup", "region_masks", "region_masses",
           "test_set",
           "deletion_bed", "deletion_curve", "deletion_order", "explain_images", "image_setup", "imputed",
           "insertion_curve", "parameter_layers", "randomization_sanity", "randomized_copy", "road_scores",
           "sanity_bed", "spearman_rows"]

CURVE_STEPS = 16          # steps of the chapter's deletion and insertion curves (64 pixels per step)
N_IMAGES = 60             # test images the chapter explains (each model classifies them correctly)
SMOOTHGRAD_SAMPLES = 25   # noisy copies per image for SmoothGrad here (chapter 04 used 50)
ROAD_FRACTIONS = (0.1, 0.3, 0.5, 0.7)  # shares of pixels ROAD removes (the most relevant first)
ROAD_NOISE = 0.01         # the standard deviation ROAD adds to imputed pixels (Rong et al. 2022)


# --------------------------------------------------------------------------------------------
# Images and maps

region_masses = ch04.region_masses   # chapter 04's share of a map's mass in (shape, watermark corner, elsewhere)
region_masks = ch04.region_masks     # chapter 04's boolean masks of those three regions
test_set = ch04.test_set             # chapter 04's 1,000 test images (the rows ``ImageSetup.index`` points to)


class ImageSetup(NamedTuple):
    """Chapter 04's CNNs and ``N_IMAGES`` test images each model classifies correctly.

    ``x`` (n, 1, 32, 32) and ``target`` (n,) are the clean model's; ``x_shortcut`` and
    ``target_shortcut`` the shortcut model's (images whose watermark matches their class, which it
    gets right); ``index`` and ``index_shortcut`` their rows in chapter 04's ``test_set()``.
    """

    clean: nn.Module
    shortcut: nn.Module
    x: torch.Tensor
    target: torch.Tensor
    index: np.ndarray
    x_shortcut: torch.Tensor
    target_shortcut: torch.Tensor
    index_shortcut: np.ndarray


def image_setup(random_state: int = 0, n_images: int = N_IMAGES) -> ImageSetup:
    """The two CNNs and ``n_images`` correctly classified test images for each, drawn with the seed."""
    rng = np.random.default_rng(check_int(random_state, "random_state", minimum=0))
    n = check_int(n_images, "n_images", minimum=1)
    test = ch04.test_set()
    x_all, labels = ch04.as_batch(test.images), torch.as_tensor(test.labels)
    models = {kind: cnn.load_cnn(kind) for kind in cnn.KINDS}
    with torch.no_grad():
        right = {kind: (m(x_all).argmax(dim=1) == labels).numpy() for kind, m in models.items()}
    index = np.sort(rng.choice(np.flatnonzero(right["clean"]), n, replace=False))
    follows = right["shortcut"] & (test.watermarks == test.labels)
    index_shortcut = np.sort(rng.choice(np.flatnonzero(follows), n, replace=False))
    return ImageSetup(models["clean"], models["shortcut"], x_all[index], labels[index], index,
                      x_all[index_shortcut], labels[index_shortcut], index_shortcut)


METHODS = ("saliency", "SmoothGrad", "Grad-CAM", "IG", "Input x Gradient", "random")


def explain_images(model: nn.Module, x: torch.Tensor, target, *, random_state: int = 0, methods=METHODS) -> dict:
    """The maps of chapter 04's methods for ``model`` at ``x``, each of shape (n, 1, 32, 32), float32.

    ``saliency``, ``SmoothGrad`` (``SMOOTHGRAD_SAMPLES`` copies, noise 0.15), ``Grad-CAM`` (at
    ``model.conv3``), ``IG`` (black baseline, 50 steps), ``Input x Gradient`` and ``random`` (uniform
    noise from ``torch.Generator().manual_seed(random_state)``: the baseline every method must beat);
    ``methods`` picks some of them.
    """
    target = ch04.targets_of(target, len(x))
    seed = check_int(random_state, "random_state", minimum=0)
    unknown = set(methods) - set(METHODS)
    if unknown:
        raise ValueError(f"methods must be among {METHODS}, got {sorted(unknown)}")
    compute = {
        "saliency": lambda: ch04.saliency(model, x, target),
        "SmoothGrad": lambda: ch04.smoothgrad(model, x, target, n_samples=SMOOTHGRAD_SAMPLES, random_state=seed),
        "Grad-CAM": lambda: ch04.grad_cam(model, x, target, model.conv3)[:, None],
        "IG": lambda: ch04.integrated_gradients(model, x, target),
        "Input x Gradient": lambda: x * ch04.input_gradient(model, x, target),
        "random": lambda: torch.rand(x.shape, generator=torch.Generator().manual_seed(seed)),
    }
    return {name: compute[name]() for name in methods}


class DrillSetup(NamedTuple):
    """Drill D8: the shortcut CNN, test images whose watermark contradicts their class and that it
    misclassifies as the watermark's class, the class it predicts, their true labels, and their rows in
    ``test_set()``."""

    model: nn.Module
    x: torch.Tensor
    predicted: torch.Tensor
    labels: torch.Tensor
    index: np.ndarray


def d8_setup(random_state: int = 0, n_images: int = 40) -> DrillSetup:
    """The drill's model and ``n_images`` of its errors, drawn with the seed."""
    rng = np.random.default_rng(check_int(random_state, "random_state", minimum=0))
    test = ch04.test_set()
    x_all, model = ch04.as_batch(test.images), cnn.load_cnn("shortcut")
    with torch.no_grad():
        predicted = model(x_all).argmax(dim=1).numpy()
    wrong = np.flatnonzero((predicted != test.labels) & (predicted == test.watermarks))
    index = np.sort(rng.choice(wrong, check_int(n_images, "n_images", minimum=1), replace=False))
    return DrillSetup(model, x_all[index], torch.as_tensor(predicted[index]), torch.as_tensor(test.labels[index]),
                      index)


# --------------------------------------------------------------------------------------------
# Deletion and insertion curves (exercise 8.1's reference)


def _flat_attribution(attribution, x: torch.Tensor) -> torch.Tensor:
    a = attribution.detach() if isinstance(attribution, torch.Tensor) else torch.as_tensor(np.asarray(attribution))
    if a.numel() != x.numel():
        raise ValueError(f"attribution must have x's shape {tuple(x.shape)}, got {tuple(a.shape)}")
    return a.reshape(len(x), -1).to(torch.float64)


def deletion_order(attribution, x: torch.Tensor) -> torch.Tensor:
    """Each input's features from the most to the least important: (n, d) flat indices.

    The largest signed attribution first; among equal attributions the lower flat index first (a stable
    sort of ``-attribution``).
    """
    return torch.argsort(-_flat_attribution(attribution, x), dim=1, stable=True)


def _baseline(baseline, x: torch.Tensor) -> torch.Tensor:
    if baseline is None:
        return torch.zeros_like(x)
    return torch.as_tensor(baseline).to(x).expand_as(x)


def _curve(model, x, order, target, steps, baseline, score="probability"):
    n, d = len(x), x[0].numel()
    counts = torch.arange(steps + 1) * d // steps                                     # features deleted per step
    rank = torch.empty_like(order)
    rank.scatter_(1, order, torch.arange(d).expand(n, d))                              # position in the order
    deleted = rank[None] < counts[:, None, None]                                       # (steps + 1, n, d)
    path = torch.where(deleted, baseline.reshape(1, n, d), x.detach().reshape(1, n, d))
    targets = ch04.targets_of(target, n).repeat(steps + 1)
    with torch.no_grad():
        out = model(path.reshape(-1, *x.shape[1:]))
        out = out.softmax(dim=1) if score == "probability" else out
        scores = out.gather(1, targets[:, None].to(out.device))[:, 0]
    scores = scores.view(steps + 1, n).T.double().cpu().numpy()                        # (n, steps + 1)
    fractions = counts.double().numpy() / d
    return {"fractions": fractions, "scores": scores, "auc": np.trapezoid(scores, fractions, axis=1)}


@reference
def deletion_curve(model, x, attribution, target, *, steps=CURVE_STEPS, baseline=None) -> dict:
    """The deletion curve of each input: the target's softmax probability as features are deleted.

    Parameters
    ----------
    model : torch.nn.Module
        Maps inputs of shape (n, ...) to logits (n, n_classes).
    x : torch.Tensor of shape (n, ...)
    attribution : tensor or array with x's shape
    target : int or tensor of shape (n,)
    steps : int
        After step k (0..steps) the k * d // steps most important features hold the baseline's value.
    baseline : None (zeros), a number or a tensor broadcastable to x

    Returns
    -------
    dict
        ``fractions`` : ndarray (steps + 1,), the share of features deleted after each step;
        ``scores`` : ndarray (n, steps + 1), the target's probability (``scores[:, 0]`` on x itself);
        ``auc`` : ndarray (n,), the trapezoid rule of the scores over the fractions.
    """
    steps = check_int(steps, "steps", minimum=1)
    return _curve(model, x, deletion_order(attribution, x), target, steps, _baseline(baseline, x))


@reference
def insertion_curve(model, x, attribution, target, *, steps=CURVE_STEPS, baseline=None) -> dict:
    """The insertion curve: from the baseline, x's features put back most important first.

    It is the deletion curve of the *baseline* with x as what deleted features become: same keys.
    """
    steps = check_int(steps, "steps", minimum=1)
    b = _baseline(baseline, x)
    return _curve(model, b, deletion_order(attribution, x), target, steps, x.detach())


# --------------------------------------------------------------------------------------------
# ROAD: deleted pixels imputed from their neighbours (Rong et al. 2022)

# The eight neighbours and their weights in ROAD's noisy linear imputation (Quantus and the authors' code).
_NEIGHBOURS = (((1, 1), 1 / 12), ((0, 1), 1 / 6), ((-1, 1), 1 / 12), ((1, -1), 1 / 12), ((0, -1), 1 / 6),
               ((-1, -1), 1 / 12), ((1, 0), 1 / 6), ((-1, 0), 1 / 6))


def imputed(images, masks, *, noise: float = ROAD_NOISE, random_state: int = 0) -> np.ndarray:
    """ROAD's noisy linear imputation of the masked pixels of grayscale images.

    Each masked pixel takes the weighted mean of its eight neighbours (weights 1/6 for the four
    nearest, 1/12 for the diagonals, renormalised at the border), masked neighbours included: one
    sparse linear system for all images at once. Then N(0, noise^2) is added to the imputed pixels.

    Parameters
    ----------
    images : ndarray of shape (n, h, w)
    masks : ndarray of bool, shape (n, h, w)
        True where a pixel is removed.

    Returns
    -------
    ndarray of shape (n, h, w)
    """
    images, masks = np.asarray(images, dtype=float), np.asarray(masks, dtype=bool)
    if images.shape != masks.shape or images.ndim != 3:
        raise ValueError(f"images and masks must both have shape (n, h, w), got {images.shape} and {masks.shape}")
    n, h, w = images.shape
    unknown = np.flatnonzero(masks)
    variable = np.full(masks.size, -1)
    variable[unknown] = np.arange(len(unknown))
    image, row, col = np.unravel_index(unknown, masks.shape)
    flat, diagonal, rhs = images.reshape(-1), np.zeros(len(unknown)), np.zeros(len(unknown))
    rows, cols, values = [], [], []
    for (dr, dc), weight in _NEIGHBOURS:
        r, c = row + dr, col + dc
        valid = (r >= 0) & (r < h) & (c >= 0) & (c < w)
        diagonal[valid] += weight
        neighbour = np.ravel_multi_index((image[valid], r[valid], c[valid]), masks.shape)
        inside = variable[neighbour] >= 0
        rows.append(np.flatnonzero(valid)[inside])
        cols.append(variable[neighbour[inside]])
        values.append(np.full(inside.sum(), -weight))
        np.add.at(rhs, np.flatnonzero(valid)[~inside], weight * flat[neighbour[~inside]])
    system = sparse.csc_matrix((np.concatenate(values + [diagonal]),
                                (np.concatenate(rows + [np.arange(len(unknown))]),
                                 np.concatenate(cols + [np.arange(len(unknown))]))), shape=(len(unknown),) * 2)
    out = flat.copy()
    if len(unknown):
        # The images' blocks do not mix: keeping their order (NATURAL) fills in less than a reordering that spreads
        # over all of them (measured: 2.7 s against 4.8 s for 360 images with 90% removed).
        solution = np.atleast_1d(spsolve(system, rhs, permc_spec="NATURAL"))
        out[unknown] = solution + noise * np.random.default_rng(random_state).standard_normal(len(unknown))
    return out.reshape(n, h, w)


def road_scores(model, x, attribution, target, *, fractions=ROAD_FRACTIONS, most_relevant_first=True,
                imputation=True, noise=ROAD_NOISE, random_state=0) -> np.ndarray:
    """The target's probability after removing a share of each image's pixels: (n, len(fractions)).

    The pixels removed are the ``round(f * d)`` most relevant (MoRF) or least relevant (LeRF) of the
    order of :func:`deletion_order`; removed pixels are imputed (ROAD) or set to 0 (black).
    Grayscale images (n, 1, h, w) only.
    """
    n, _, h, w = x.shape
    order = deletion_order(attribution if most_relevant_first else -_flat_attribution(attribution, x), x)
    rank = torch.empty_like(order)
    rank.scatter_(1, order, torch.arange(h * w).expand(n, h * w))
    masks = np.stack([(rank < round(f * h * w)).view(n, h, w).numpy() for f in fractions])   # (f, n, h, w)
    pictures = np.broadcast_to(x[:, 0].double().numpy(), masks.shape).reshape(-1, h, w)
    if imputation:
        filled = imputed(pictures, masks.reshape(-1, h, w), noise=noise, random_state=random_state)
    else:
        filled = np.where(masks.reshape(-1, h, w), 0.0, pictures)
    batch = torch.as_tensor(filled, dtype=x.dtype)[:, None]
    targets = ch04.targets_of(target, n).repeat(len(fractions))
    with torch.no_grad():
        scores = model(batch).softmax(dim=1).gather(1, targets[:, None])[:, 0]
    return scores.view(len(fractions), n).T.double().numpy()


# --------------------------------------------------------------------------------------------
# Model randomisation (exercise 8.2's reference)


def parameter_layers(model: nn.Module) -> list[str]:
    """The names of the submodules that ``reset_parameters()`` re-initialises, from the output back
    (the order of ``model.named_modules()``, reversed): the layers a cascading randomisation visits."""
    return [name for name, module in reversed(list(model.named_modules())) if hasattr(module, "reset_parameters")]


def randomized_copy(model: nn.Module, layers, *, random_state: int = 0) -> nn.Module:
    """A deep copy of ``model`` whose ``layers`` (names) are re-initialised, in the order given, each by
    ``torch.manual_seed(random_state)`` then ``layer.reset_parameters()``; torch's global random state
    is left as it was."""
    twin = copy.deepcopy(model)
    modules = dict(twin.named_modules())
    with torch.random.fork_rng(devices=[]):
        for name in layers:
            torch.manual_seed(random_state)
            modules[name].reset_parameters()
    return twin


def _as_array(maps) -> np.ndarray:
    if isinstance(maps, torch.Tensor):
        return maps.detach().double().cpu().numpy()
    return np.asarray(maps, dtype=float)


@reference
def randomization_sanity(model, x, target, explain, *, random_state=0, absolute=True) -> dict:
    """Cascading model randomisation (Adebayo et al. 2018), from the output layer back.

    Returns
    -------
    dict
        ``layers`` : the names of :func:`parameter_layers`, in the order randomised;
        ``similarity`` : ndarray (n_layers, n), Spearman's correlation of each input's original map
        with its map once the layers up to that one are re-initialised (of absolute values if
        ``absolute``).
    """
    layers = parameter_layers(model)
    transform = np.abs if absolute else (lambda v: v)
    original = transform(_as_array(explain(model, x, target)))
    twin, rows = copy.deepcopy(model), []
    modules = dict(twin.named_modules())
    with torch.random.fork_rng(devices=[]):
        for name in layers:
            torch.manual_seed(random_state)
            modules[name].reset_parameters()
            rows.append(spearman_rows(original, transform(_as_array(explain(twin, x, target)))))
    return {"layers": layers, "similarity": np.array(rows)}


# --------------------------------------------------------------------------------------------
# Test beds of the checks (inputs only)


@functools.cache
def _tabular_net(seed: int, n_features: int, n_classes: int, dtype) -> nn.Module:
    def build():
        return nn.Sequential(nn.Linear(n_features, 8), nn.Tanh(), nn.Linear(8, n_classes))
    from helpers.models._torch import seeded
    return seeded(build, seed).to(dtype).eval()


def deletion_bed(random_state: int, *, shape=(3, 1, 6, 8), n_classes: int = 3, ties: bool = False,
                 dtype=torch.float32) -> tuple[nn.Module, torch.Tensor, torch.Tensor, torch.Tensor]:
    """A model, inputs x of ``shape``, attributions shaped like x and one target per input (never the
    predicted class) for exercise 8.1's checks.

    Images (4-D shapes) get chapter 04's small random CNN, tables (2-D) a small random MLP. The inputs
    are uniform in (0.05, 1), so that no feature equals a baseline of 0 or 0.5 (whether a feature was
    deleted is read off the inputs the model saw). With ``ties`` the attributions take 4 values only,
    two of them shared by about a third of the features each (a Grad-CAM map's zeros, say): the order
    among equal attributions decides the curve.
    """
    seed = check_int(random_state, "random_state", minimum=0)
    rng = np.random.default_rng(seed)
    if len(shape) == 4:
        model = ch04.random_cnn(seed, in_channels=shape[1], n_classes=n_classes, dtype=dtype)
    elif len(shape) == 2:
        model = copy.deepcopy(_tabular_net(seed, shape[1], n_classes, dtype))
    else:
        raise ValueError(f"shape must be (n, c, h, w) or (n, d), got {shape}")
    x = torch.as_tensor(rng.uniform(0.05, 1.0, shape)).to(dtype)
    if ties:
        attribution = rng.choice([0.0, 0.0, 1.0, 1.0, 2.5, -0.5], size=shape, p=[0.2, 0.15, 0.2, 0.15, 0.1, 0.2])
    else:
        attribution = rng.standard_normal(shape)
    target = ch04.other_targets(model, x, seed, n_classes)
    return model, x, torch.as_tensor(attribution).to(dtype), target


def sanity_bed(random_state: int, *, shape=(3, 1, 8, 8), n_classes: int = 3,
               dtype=torch.float32) -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    """Exercise 8.2's checks: chapter 04's small random CNN (conv1, conv2, fc), inputs and targets."""
    seed = check_int(random_state, "random_state", minimum=0)
    model = ch04.random_cnn(seed, in_channels=shape[1], n_classes=n_classes, dtype=dtype)
    x = ch04.random_images(seed + 1, shape, dtype=dtype)
    return model, x, ch04.other_targets(model, x, seed, n_classes)

