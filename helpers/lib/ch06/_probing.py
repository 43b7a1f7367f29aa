"""Probing: the probing images and their control task, the references for capturing activations and
probing layers, and decodable vs used (removing a probe's directions from a layer)."""

from __future__ import annotations

import copy
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from torch import nn

from helpers._context import reference
from helpers._validation import check_int
from helpers.data import images, text
from helpers.models import transformer
from helpers.models._torch import seeded

CNN_LAYERS = ("relu1", "relu2", "relu3", "pool")   # the TinyCNN's layers probed, input side first
TEXT_LAYERS = ("blocks.0.tokens_in", "blocks.1.tokens_in", "norm")  # the transformer's, read at [CLS]
PROBE_C = 1.0          # inverse L2 strength of the probe's logistic regression
PROBE_MAX_ITER = 500   # lbfgs converges in < 200 iterations on standardised summaries
PROBE_FOLDS = 3        # 3 folds, not 5: 5 folds over every layer of three networks would eat the 60 s budget
POOL_GRID = 4          # conv maps are averaged over a 4x4 grid of cells before probing
N_PROBE = 600          # probing images
RENDERINGS = 4         # renderings per geometry in the probing set
WATERMARK_READ = 0.9   # drill D6: a layer "encodes" the watermark when its probe reaches this accuracy


def one_blas_thread() -> None:
    """Limit numpy's and scipy's BLAS to one thread for the rest of the session (threadpoolctl).

    The probes are many small scikit-learn fits (lbfgs on a few hundred rows): on a busy 2-core machine,
    two BLAS threads made them 7 to 25 times slower than one (the threads wait for each other), while
    one thread costs nothing measurable on a quiet machine. torch's own threads are not affected.
    """
    import scipy.linalg  # noqa: F401  (loads scipy's BLAS, so that the limit reaches it too)
    from threadpoolctl import threadpool_limits
    threadpool_limits(1, user_api="blas")


def probe_estimator():
    """The chapter's linear probe: ``make_pipeline(StandardScaler(), LogisticRegression(C=PROBE_C,
    max_iter=PROBE_MAX_ITER))`` (lbfgs, multinomial). Fit it on training folds only: the scaler too."""
    return make_pipeline(StandardScaler(), LogisticRegression(C=PROBE_C, max_iter=PROBE_MAX_ITER))


class ProbeImages(NamedTuple):
    images: np.ndarray      # (n, 32, 32) in [0, 1]
    labels: np.ndarray      # (n,) shape class
    watermarks: np.ndarray  # (n,) watermark pattern, drawn at random (independent of the class)
    types: np.ndarray       # (n,) the geometry each image renders (its *type*): RENDERINGS images per type


def probe_images(random_state: int = 0, n_images: int = N_PROBE) -> ProbeImages:
    """The probing set: n_images / RENDERINGS shape geometries (class, size, position), each rendered
    RENDERINGS times with its own brightness, pixel noise and random watermark. The geometry is the
    image's *type* for Hewitt & Liang's control task (:func:`control_labels`)."""
    n = check_int(n_images, "n_images", minimum=RENDERINGS)
    rng = np.random.default_rng(check_int(random_state, "random_state", minimum=0))
    base = images.make_shapes(n // RENDERINGS, random_state=int(rng.integers(2 ** 31)))
    types = np.repeat(np.arange(len(base)), RENDERINGS)
    masks = base.masks[types]
    intensity = rng.uniform(0.5, 1.0, len(types))
    pictures = masks * intensity[:, None, None] + 0.15 * rng.standard_normal(masks.shape)
    marks = rng.integers(0, len(images.WATERMARK_PATTERNS), len(types))
    row, col, h, w = base.watermark_box
    pictures[:, row:row + h, col:col + w] = images.WATERMARK_PATTERNS[marks]
    return ProbeImages(np.clip(pictures, 0, 1), base.labels[types], marks, types)


def image_batch(data) -> torch.Tensor:
    """``data.images`` (n, 32, 32) as a float32 tensor (n, 1, 32, 32)."""
    return torch.as_tensor(np.asarray(data.images, dtype=np.float32))[:, None].clone()


def _pooled(value) -> bool:
    return value.ndim == 4 and min(value.shape[2:]) >= POOL_GRID


def summarise(activations) -> dict:
    """What a probe reads: each map (n, c, h, w) of at least 4x4 averaged over a POOL_GRID x POOL_GRID grid of
    cells and flattened to (n, c * 16); other activations flattened to (n, -1). float64 numpy arrays."""
    out = {}
    for name, value in activations.items():
        value = torch.as_tensor(value).detach().double()
        if _pooled(value):
            value = F.adaptive_avg_pool2d(value, POOL_GRID)
        out[name] = value.flatten(1).numpy()
    return out


def control_labels(types, random_state: int = 0, n_classes: int = 4) -> np.ndarray:
    """Hewitt & Liang's control task: every type (here a shape geometry, rendered several times) gets a
    label drawn at random, and every image of that type carries it. A probe can solve it only by
    memorising type -> label, never from the shape class. Returns (n,) int."""
    types = np.asarray(types)
    _, index = np.unique(types, return_inverse=True)
    table = np.random.default_rng(random_state).integers(0, n_classes, index.max() + 1)
    return table[index]


def random_copy(model: nn.Module, random_state: int = 0) -> nn.Module:
    """A copy of ``model`` with every layer re-initialised from ``random_state`` (same architecture,
    untrained), in eval mode: the baseline that says what the architecture alone makes decodable."""
    def build():
        fresh = copy.deepcopy(model)
        for module in fresh.modules():
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()
        return fresh
    return seeded(build, random_state).eval()


class TextData(NamedTuple):
    ids: torch.Tensor     # (n, T) int64, [CLS] first
    mask: torch.Tensor    # (n, T) bool
    labels: np.ndarray    # (n,) 1 = positive cue
    cue_word: np.ndarray  # (n,) index of the cue word among the 8 cues (the type of the control task)
    cue_position: np.ndarray  # (n,) the position of the (first) cue token in ids


def text_data(random_state: int = 0, n_texts: int = 400) -> TextData:
    """Cue texts encoded as the shipped transformer was trained (length 21)."""
    corpus = text.make_corpus(check_int(n_texts, "n_texts", minimum=2), random_state=random_state)
    encoded = text.encode(corpus, length=21)
    ids, mask, labels = transformer.as_tensors(encoded)
    cues = text.POSITIVE_CUES + text.NEGATIVE_CUES
    first = len(text.SPECIAL_TOKENS) + len(text.FILLER)
    position = np.array([int(np.ravel(p)[0]) for p in encoded.cue_positions])
    word = ids.numpy()[np.arange(len(ids)), position]
    return TextData(ids, mask, labels.numpy(), (word - first).astype(int) % len(cues), position)


# --------------------------------------------------------------------------------------------
# References (guarded: a student's function under check may not call them)


def _capture(model, layer_names, inputs, batch_size=None):
    names = [layer_names] if isinstance(layer_names, str) else list(layer_names)
    modules = [model.get_submodule(name) for name in names]
    store = {name: [] for name in names}
    handles = [module.register_forward_hook(lambda m, i, out, name=name: store[name].append(out.detach()))
               for name, module in zip(names, modules)]
    step = len(inputs) if batch_size is None else batch_size
    try:
        with torch.no_grad():
            for start in range(0, len(inputs), max(step, 1)):
                model(inputs[start:start + step])
    finally:
        for handle in handles:
            handle.remove()
    return {name: torch.cat(store[name]) for name in names}


@reference
def capture_activations(model, layer_names, inputs, *, batch_size=None) -> dict:
    """The outputs of the named submodules on ``inputs``: ``{name: Tensor (n, ...)}``, detached.

    One forward pass per batch of ``batch_size`` inputs (all at once by default), forward hooks removed
    in a ``finally``, the model's mode left alone.
    """
    return _capture(model, layer_names, inputs, batch_size)


def _folds(labels, cv, random_state):
    return list(StratifiedKFold(cv, shuffle=True, random_state=random_state).split(np.zeros(len(labels)), labels))


def _cv_accuracy(estimator, X, y, folds):
    scores = []
    for train, test in folds:
        fitted = clone(estimator).fit(X[train], y[train])
        scores.append(float(np.mean(fitted.predict(X[test]) == y[test])))
    return float(np.mean(scores))


def _probe_layers(activations, labels, control=None, cv=PROBE_FOLDS, random_state=0, estimator=None):
    estimator = probe_estimator() if estimator is None else estimator
    labels = np.asarray(labels)
    folds = _folds(labels, cv, random_state)
    result = {"accuracy": {}, "control": None, "selectivity": None}
    if control is not None:
        result["control"], result["selectivity"] = {}, {}
    for name, X in activations.items():
        X = np.asarray(X)
        result["accuracy"][name] = _cv_accuracy(estimator, X, labels, folds)
        if control is not None:
            result["control"][name] = _cv_accuracy(estimator, X, np.asarray(control), folds)
            result["selectivity"][name] = result["accuracy"][name] - result["control"][name]
    return result


@reference
def probe_layers(activations, labels, *, control_labels=None, cv=PROBE_FOLDS, random_state=0, estimator=None):
    """Cross-validated probe accuracy per layer, and the control task's accuracy and selectivity.

    Returns ``{"accuracy": {layer: float}, "control": {layer: float} or None, "selectivity": ...}``.
    """
    return _probe_layers(activations, labels, control_labels, cv, random_state, estimator)


# --------------------------------------------------------------------------------------------
# Decodable vs used


def probe_directions(X, labels) -> np.ndarray:
    """The directions, in the raw summary space, that the chapter's probe uses: the rows of its
    coefficients divided by the scaler's standard deviations, orthonormalised. (k, d)."""
    probe = probe_estimator().fit(np.asarray(X), np.asarray(labels))
    scaler, logistic = probe[0], probe[-1]
    raw = logistic.coef_ / scaler.scale_[None]
    q, _ = np.linalg.qr(raw.T)
    return q.T


def inlp_directions(X, labels, *, n_iterations: int = 6) -> np.ndarray:
    """Iterative nullspace projection (Ravfogel et al. 2020): fit the probe, project its directions out,
    fit again on what is left, ``n_iterations`` times. Returns the removed directions, orthonormal (k, d)."""
    X = np.asarray(X, dtype=float)
    basis = np.zeros((0, X.shape[1]))
    for _ in range(check_int(n_iterations, "n_iterations", minimum=1)):
        left = X - X @ basis.T @ basis
        new = probe_directions(left, labels)
        new = new - new @ basis.T @ basis
        q, _ = np.linalg.qr(np.vstack([basis, new]).T)
        basis = q.T
    return basis


def predictions_without(model, layer_name, x, directions) -> torch.Tensor:
    """Predicted classes when the ``directions`` (k, d), orthonormal in the summary space of
    ``layer_name``, are projected out of the layer's activations (the rest of the network unchanged).

    A map's summary is the mean of each channel over a POOL_GRID x POOL_GRID grid of cells: subtracting from
    every pixel of a cell the cell's component U^T U s removes exactly that component from the summary s
    and changes nothing orthogonal to it.
    """
    U = torch.as_tensor(np.asarray(directions), dtype=torch.float32)

    def remove(module, inputs, out):
        if _pooled(out):
            s = F.adaptive_avg_pool2d(out, POOL_GRID)
            part = ((s.flatten(1) @ U.T) @ U).view_as(s)
            return out - F.interpolate(part, size=out.shape[2:], mode="nearest")
        return out - (out.flatten(1) @ U.T @ U).view_as(out)

    handle = model.get_submodule(layer_name).register_forward_hook(remove)
    try:
        with torch.no_grad():
            return model(x).argmax(dim=1)
    finally:
        handle.remove()


class D6Setup(NamedTuple):
    probe_x: torch.Tensor      # (N_PROBE, 1, 32, 32) the probing images
    watermarks: np.ndarray     # (N_PROBE,) their watermark patterns
    test_x: torch.Tensor       # (400, 1, 32, 32) test images (random watermarks)
    test_labels: torch.Tensor  # (400,)


def d6_setup(random_state: int = 0) -> D6Setup:
    """Drill D6's images: a probing set (seed ``random_state``) and 400 test images (seed + 5)."""
    probe, test = probe_images(random_state), probe_images(random_state + 5, 400)
    return D6Setup(image_batch(probe), probe.watermarks, image_batch(test), torch.as_tensor(test.labels))

