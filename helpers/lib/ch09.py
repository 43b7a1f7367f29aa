"""Chapter 09, the round-2 mock task: the shipped data and model, blocks of pixels, and references.

What a notebook uses: :func:`task_setup` (the lesion images and the shipped CNN), :class:`PixelClassifier`
(the CNN behind a scikit-learn-style ``predict`` / ``predict_proba`` / ``score`` on flat rows of pixels, so
that chapter 01's permutation importance applies to it), :func:`block_groups` (the pixel columns of each
8x8 block), :func:`malignant_probability`, and the references the checks compare with (``@reference``):
:func:`block_permutation_importance` (scikit-learn's permutation importance as the engine) and
:func:`block_deletion`. Test beds for the checks: :func:`deletion_bed`, :func:`performance_bed`.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np
import torch
from sklearn.inspection import permutation_importance as _sk_permutation_importance

from helpers._context import reference
from helpers._validation import check_int
from helpers.data import lesions
from helpers.lib import ch04
from helpers.models import lesion

__all__ = ["BLOCK", "CAM_LAYER", "CLASS_NAMES", "CLINICS", "GRID", "MALIGNANT", "PI_IMAGES", "PI_REPEATS",
           "PixelClassifier", "TaskSetup", "block_deletion", "block_groups", "block_permutation_importance", "cam_maps",
           "cam_share", "deletion_bed", "flat", "malignant_probability", "performance_bed", "task_setup"]

SIZE = 32
BLOCK = 8                 # blocks of 8x8 pixels ...
GRID = SIZE // BLOCK      # ... in a 4x4 grid, numbered row by row: block (r, c) covers rows 8r..8r+7, cols 8c..8c+7
MALIGNANT = 1             # the class index of "malignant"
CLASS_NAMES = lesions.CLASS_NAMES
CLINICS = lesions.CLINICS
CAM_LAYER = lesion.CAM_LAYER
PI_IMAGES = 500           # exercise 9.2: permutation importance on the first 500 test images ...
PI_REPEATS = 5            # ... with 5 repeats (about 80 forward passes of 500 images: a few seconds)


class TaskSetup(NamedTuple):
    """The mock task's material: the shipped CNN (eval mode) and the two splits of the lesion images."""

    model: lesion.LesionCNN
    train: lesions.LesionImages
    test: lesions.LesionImages


@functools.lru_cache(maxsize=2)
def _splits():
    return lesions.load_lesions("train"), lesions.load_lesions("test")


def _copy(data: lesions.LesionImages) -> lesions.LesionImages:
    return lesions.LesionImages(images=data.images.copy(), labels=data.labels.copy(), clinic=data.clinic.copy())


def task_setup() -> TaskSetup:
    """A fresh copy of the shipped model and of both splits (the files are read once per process)."""
    train, test = _splits()
    return TaskSetup(model=lesion.load_lesion_cnn(), train=_copy(train), test=_copy(test))


def flat(images) -> np.ndarray:
    """Images (n, 32, 32) or (n, 1, 32, 32) as rows of pixels (n, 1024), float32, row by row."""
    array = images.detach().cpu().numpy() if isinstance(images, torch.Tensor) else np.asarray(images)
    if array.ndim not in (3, 4) or array.shape[-2:] != (SIZE, SIZE):
        raise ValueError(f"images must have shape (n, {SIZE}, {SIZE}) or (n, 1, {SIZE}, {SIZE}), got {array.shape}")
    return array.reshape(len(array), SIZE * SIZE).astype(np.float32)


def block_groups(block: int = BLOCK, size: int = SIZE) -> list[np.ndarray]:
    """The pixel columns of each block of a flattened ``size`` x ``size`` image, blocks row by row.

    Parameters
    ----------
    block : int, default=8
        Side of a block; it must divide ``size``.
    size : int, default=32

    Returns
    -------
    list of ndarray
        ``(size // block) ** 2`` arrays of ``block * block`` column indices; entry ``r * (size // block) + c``
        is block (r, c): rows ``block*r .. block*r + block - 1``, columns ``block*c ..``.
    """
    block, size = check_int(block, "block", minimum=1), check_int(size, "size", minimum=1)
    if size % block:
        raise ValueError(f"block must divide size {size}, got {block}")
    index = np.arange(size * size).reshape(size, size)
    g = size // block
    return [index[block * r:block * (r + 1), block * c:block * (c + 1)].ravel() for r in range(g) for c in range(g)]


class PixelClassifier:
    """A torch image classifier behind scikit-learn's interface, on flattened images.

    ``predict``, ``predict_proba`` and ``score`` take ``X`` of shape (n, size * size) (float pixels,
    one image per row, as :func:`flat` makes them); ``score`` is the accuracy, as a scikit-learn
    classifier's. The model runs in eval mode without gradients, in batches of 500.

    Parameters
    ----------
    model : torch.nn.Module
        Maps (n, 1, size, size) float32 images to logits (n, n_classes).
    size : int, default=32
    """

    def __init__(self, model, *, size: int = SIZE):
        self.model, self.size = model, check_int(size, "size", minimum=1)

    def fit(self, X, y):  # scikit-learn's scorers require an estimator that can fit; this one is fitted
        return self

    def _images(self, X) -> torch.Tensor:
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 2 or X.shape[1] != self.size * self.size:
            raise ValueError(f"X must have shape (n, {self.size * self.size}), got {X.shape}")
        return torch.from_numpy(X).reshape(-1, 1, self.size, self.size)

    @torch.no_grad()
    def _logits(self, X) -> torch.Tensor:
        x = self._images(X)
        was = self.model.training
        self.model.eval()
        try:
            return torch.cat([self.model(x[i:i + 500]) for i in range(0, len(x), 500)]) if len(x) else \
                torch.zeros((0, 2))
        finally:
            self.model.train(was)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (n, n_classes) (the softmax of the logits)."""
        return self._logits(X).softmax(dim=1).double().numpy()

    def predict(self, X) -> np.ndarray:
        """Predicted classes, shape (n,)."""
        return self._logits(X).argmax(dim=1).numpy()

    def score(self, X, y) -> float:
        """Accuracy: the share of rows whose predicted class equals y."""
        return float(np.mean(self.predict(X) == np.asarray(y)))


@torch.no_grad()
def malignant_probability(model, images) -> np.ndarray:
    """P(malignant) of each image, shape (n,): the softmax of the model's logits, class 1 (float64)."""
    return PixelClassifier(model).predict_proba(flat(images))[:, MALIGNANT]


# --------------------------------------------------------------------------------------------
# References (the checks compare with these; later cells of the notebook may call them)


class _BlockIndexModel:
    """The model seen through a table of row numbers, one column per group (and one for the columns of X in
    no group, if any): column g holds the row group g's pixels are read from. scikit-learn's permutation
    importance of column g of that table is the grouped permutation importance of group g (chapter 01's
    ``joint_permutation_importance``, for every group in one call, scored by the classifier's own ``score``)."""

    def __init__(self, model, X, groups):
        self.model, self.X = model, np.asarray(X)
        self.groups = [np.asarray(group, dtype=int) for group in groups]
        rest = np.setdiff1d(np.arange(self.X.shape[1]), np.concatenate(self.groups) if self.groups else [])
        self.parts = self.groups + ([rest] if len(rest) else [])

    def table(self):
        return np.tile(np.arange(len(self.X), dtype=float)[:, None], (1, len(self.parts)))

    def fit(self, table, y):
        return self

    def score(self, table, y):
        table = np.asarray(table).astype(int)
        X = np.empty_like(self.X)
        for k, part in enumerate(self.parts):
            X[:, part] = self.X[table[:, k]][:, part]
        return self.model.score(X, y)


@reference
def block_permutation_importance(model, X, y, groups, *, n_repeats=PI_REPEATS, random_state=0):
    """Grouped permutation importance with scikit-learn as the engine (one call for every group).

    Parameters
    ----------
    model : fitted estimator with ``score(X, y)``
    X : ndarray of shape (n, n_features)
    y : ndarray of shape (n,)
    groups : list of sequences of int
        Disjoint groups of columns.
    n_repeats : int, default=5
    random_state : int, default=0
        scikit-learn's seed: it draws its own permutations, so the values are not those of a function
        written to chapter 01's contract, only values of the same distribution.

    Returns
    -------
    ndarray of shape (len(groups), n_repeats)
        The drops of ``model.score``.
    """
    wrapper = _BlockIndexModel(model, X, groups)
    drawn = _sk_permutation_importance(wrapper, wrapper.table(), np.asarray(y), n_repeats=n_repeats,
                                       random_state=random_state)
    return drawn.importances[:len(wrapper.groups)]


def _block_masses(maps, block: int) -> np.ndarray:
    """Sums of ``maps`` (n, h, w) over blocks of ``block`` x ``block`` pixels: (n, h // block, w // block)."""
    n, h, w = maps.shape
    return maps.reshape(n, h // block, block, w // block, block).sum(axis=(2, 4))


def _as_maps(maps, n: int, h: int, w: int) -> np.ndarray:
    array = maps.detach().cpu().double().numpy() if isinstance(maps, torch.Tensor) else np.asarray(maps, float)
    if array.shape == (n, 1, h, w):
        array = array[:, 0]
    if array.shape != (n, h, w):
        raise ValueError(f"maps must have shape ({n}, {h}, {w}), got {array.shape}")
    return array


@torch.no_grad()
def _probability(model, x, target) -> torch.Tensor:
    return model(x).softmax(dim=1).gather(1, target.view(-1, 1))[:, 0]


@reference
def block_deletion(model, x, maps, target, *, block=BLOCK):
    """The drop of the target's probability when a block of each image is replaced by the image's mean.

    Parameters
    ----------
    model : torch.nn.Module
    x : torch.Tensor of shape (n, c, h, w)
    maps : array-like or Tensor of shape (n, h, w)
        Attributions; a block's mass is the sum of the map over it.
    target : int or torch.Tensor of shape (n,)
    block : int, default=8

    Returns
    -------
    dict
        ``"top"``: ndarray (n,), p(x) - p(x with its largest-mass block replaced) (ties: the first block in
        row-major order); ``"average"``: ndarray (n,), the mean of that drop over all blocks of the image.
    """
    n, _, h, w = x.shape
    masses = _block_masses(_as_maps(maps, n, h, w), block).reshape(n, -1)      # (n, blocks)
    t = ch04.targets_of(target, n)
    p = _probability(model, x, t)
    mean = x.mean(dim=(1, 2, 3), keepdim=True)                                  # (n, 1, 1, 1)
    drops = []
    for b in range(masses.shape[1]):
        r, c = divmod(b, w // block)
        occluded = x.clone()
        occluded[:, :, block * r:block * (r + 1), block * c:block * (c + 1)] = mean[:, :, 0:1, 0:1]
        drops.append((p - _probability(model, occluded, t)).double().numpy())
    drops = np.stack(drops, axis=1)                                              # (n, blocks)
    return {"top": drops[np.arange(n), masses.argmax(axis=1)], "average": drops.mean(axis=1)}


def cam_maps(model, x) -> torch.Tensor:
    """The course's Grad-CAM maps (chapter 04's reference) of class 1 at ``conv3``: shape (n, 32, 32), detached."""
    return ch04.grad_cam(model, x, MALIGNANT, getattr(model, CAM_LAYER)).detach()


def cam_share(model, x, *, block: int = BLOCK) -> np.ndarray:
    """Exercise 9.3's grid with the course's Grad-CAM (class 1 at ``conv3``): the mean over images of each
    block's share of the image's map (images whose map is all zero are left out), shape (g, g)."""
    maps = cam_maps(model, x).double().numpy()
    total = maps.sum(axis=(1, 2))
    keep = total > 0
    return (_block_masses(maps[keep], block) / total[keep, None, None]).mean(axis=0)


# --------------------------------------------------------------------------------------------
# Test beds (the checks build their cases from these; they build inputs and never compute an answer)


def deletion_bed(seed: int, *, n: int = 5, size: int = 16, block: int = 4, n_classes: int = 3,
                 dtype=torch.float32):
    """A small random CNN, n images in [0, 1] of shape (n, 1, size, size), non-negative maps with one clear
    top block per image (below the first row of blocks and off the diagonal, so that a transposed block
    index points elsewhere) and, in another block, the map's largest pixel (a spike whose block has less
    mass), and per-image targets."""
    model = ch04.random_cnn(seed, in_channels=1, n_classes=n_classes, dtype=dtype).eval()
    rng = np.random.default_rng(seed)
    x = torch.as_tensor(rng.uniform(0, 1, (n, 1, size, size)), dtype=dtype)
    g = size // block
    maps = rng.uniform(0, 0.2, (n, size, size))
    for i in range(n):
        r, c = rng.integers(1, g), rng.integers(0, g)
        c = c if c != r else (c + 1) % g  # off the diagonal: a transposed index points elsewhere
        maps[i, block * r:block * (r + 1), block * c:block * (c + 1)] += 1.0
        others = [b for b in range(g * g) if b not in (r * g + c, c * g + r)]
        spike = others[rng.integers(len(others))]  # the largest PIXEL lies in another block than the top one
        maps[i, block * (spike // g) + rng.integers(block), block * (spike % g) + rng.integers(block)] += 2.0 + block
    target = torch.as_tensor(rng.integers(0, n_classes, n))
    return model, x, maps, target


def performance_bed(seed: int, *, n: int = 300):
    """Labels, probabilities of class 1 and clinics for the performance check's hidden cases: a model's
    outputs on a shuffled subset of the test split (so that nothing about the test split's order is fixed)."""
    setup = task_setup()
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(setup.test), size=min(n, len(setup.test)), replace=False)
    return setup.model, setup.test.images[rows], setup.test.labels[rows], setup.test.clinic[rows]
