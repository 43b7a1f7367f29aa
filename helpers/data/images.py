"""Generated small grayscale images of shapes, with an optional planted watermark (a shortcut).

Four classes (circle, square, triangle, cross) of random size, position and brightness on a dark,
noisy background. A *watermark* is a small patch in a fixed corner whose pattern can be tied to the
label (``watermark="label"``, for a training set that teaches a shortcut) or drawn at random
(``watermark="random"``, for a test set where the shortcut no longer works). The shape's pixels and
the watermark's pattern are returned with the images: the ground truth of where evidence sits.
:func:`make_shape_splits` draws the training and test sets of the two CNNs that chapter 04 compares
(a clean one and one that learns the watermark as a shortcut).

Chapter 03 explains a scikit-learn classifier on these images with LIME; chapter 04 trains tiny
CNNs on them and finds the shortcut with Grad-CAM.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helpers._validation import check_float, check_int

__all__ = ["SHAPE_CLASSES", "SPLIT_KINDS", "WATERMARK_PATTERNS", "ShapeImages", "make_shape_splits", "make_shapes",
           "to_rgb"]

SHAPE_CLASSES = ("circle", "square", "triangle", "cross")
_checker = (np.indices((4, 4)).sum(axis=0) % 2).astype(float)
# One 4x4 pattern per class: checker, inverse checker, horizontal stripes, vertical stripes.
WATERMARK_PATTERNS = np.stack([_checker, 1 - _checker,
                               np.repeat([[1.0], [0.0], [1.0], [0.0]], 4, axis=1),
                               np.repeat([[1.0, 0.0, 1.0, 0.0]], 4, axis=0)])
_WATERMARK_MODES = ("none", "label", "random")
# Training-set watermark of each kind of split; the test set's watermark is always "random".
SPLIT_KINDS = {"clean": "random", "shortcut": "label"}


@dataclass(frozen=True)
class ShapeImages:
    """Images and the truth they were generated from.

    Attributes
    ----------
    images : ndarray of shape (n_images, size, size)
        Grayscale values in [0, 1].
    labels : ndarray of shape (n_images,)
        Class index into ``class_names``.
    masks : ndarray of shape (n_images, size, size), bool
        The pixels of the shape (before noise; the watermark may cover a few of them).
    watermarks : ndarray of shape (n_images,)
        Index of the watermark pattern planted in each image, -1 where there is none.
    watermark_box : tuple of int
        ``(row, col, height, width)`` of the watermark patch.
    class_names : tuple of str
    """

    images: np.ndarray
    labels: np.ndarray
    masks: np.ndarray
    watermarks: np.ndarray
    watermark_box: tuple
    class_names: tuple = SHAPE_CLASSES

    def __len__(self) -> int:
        return len(self.images)


def _shape_masks(kind, half, cy, cx, size):
    """Boolean masks of shape (n, size, size) for shapes of class ``kind`` (one per image)."""
    rows, cols = np.indices((size, size))
    dy = rows[None] - cy[:, None, None]
    dx = cols[None] - cx[:, None, None]
    h = half[:, None, None].astype(float)
    circle = dx ** 2 + dy ** 2 <= h ** 2
    square = (np.abs(dx) <= 0.8 * h) & (np.abs(dy) <= 0.8 * h)
    triangle = (dy >= -h) & (dy <= h) & (np.abs(dx) <= (dy + h) / 2)
    bar = np.maximum(1.0, h / 3)
    cross = ((np.abs(dx) <= bar) & (np.abs(dy) <= h)) | ((np.abs(dy) <= bar) & (np.abs(dx) <= h))
    return np.select([kind[:, None, None] == k for k in range(4)], [circle, square, triangle, cross],
                     default=False).astype(bool)


def make_shapes(n_images: int = 1000, *, size: int = 32, noise: float = 0.15,
                watermark: str = "none", watermark_rate: float = 0.95,
                watermark_position: tuple = (1, 1), random_state: int = 0) -> ShapeImages:
    """Generate shape images, balanced in expectation over the four classes.

    Parameters
    ----------
    n_images : int, default=1000
    size : int, default=32
        Height and width in pixels (at least 16).
    noise : float, default=0.15
        Standard deviation of the Gaussian pixel noise (values are clipped to [0, 1]).
    watermark : {"none", "label", "random"}, default="none"
        ``"label"``: with probability ``watermark_rate`` an image carries its own class's pattern,
        otherwise a pattern drawn at random (a training set with a shortcut). ``"random"``: every
        image carries a random pattern (a test set where the shortcut fails).
    watermark_rate : float, default=0.95
    watermark_position : tuple of int, default=(1, 1)
        Row and column of the top-left pixel of the 4x4 patch.
    random_state : int, default=0
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    ShapeImages
    """
    n = check_int(n_images, "n_images", minimum=1)
    size = check_int(size, "size", minimum=16)
    noise = check_float(noise, "noise", low=0.0)
    if watermark not in _WATERMARK_MODES:
        raise ValueError(f"watermark must be one of {_WATERMARK_MODES}, got {watermark!r}")
    rate = check_float(watermark_rate, "watermark_rate", low=0.0, high=1.0)
    if (not isinstance(watermark_position, (tuple, list)) or len(watermark_position) != 2):
        raise TypeError(f"watermark_position must be a (row, col) pair, got {watermark_position!r}")
    row, col = (check_int(v, "watermark_position", minimum=0) for v in watermark_position)
    if row + 4 > size or col + 4 > size:
        raise ValueError(f"watermark_position {(row, col)} puts the 4x4 patch outside a {size}x{size} image")
    rng = np.random.default_rng(check_int(random_state, "random_state", minimum=0))
    labels = rng.integers(0, len(SHAPE_CLASSES), n)
    half = np.maximum(3, rng.integers(4, 10, n) * size // 32)  # 4-9 px at 32x32
    cy = rng.integers(half + 1, size - half - 1)
    cx = rng.integers(half + 1, size - half - 1)
    intensity = rng.uniform(0.5, 1.0, n)
    masks = _shape_masks(labels, half, cy, cx, size)
    images = masks * intensity[:, None, None] + noise * rng.standard_normal((n, size, size))
    marks = np.full(n, -1)
    if watermark != "none":
        random_marks = rng.integers(0, len(WATERMARK_PATTERNS), n)
        keep = rng.random(n) < rate if watermark == "label" else np.zeros(n, bool)
        marks = np.where(keep, labels, random_marks)
        images[:, row:row + 4, col:col + 4] = WATERMARK_PATTERNS[marks]
    return ShapeImages(images=np.clip(images, 0.0, 1.0), labels=labels.astype(int), masks=masks,
                       watermarks=marks.astype(int), watermark_box=(row, col, 4, 4))


def make_shape_splits(kind: str = "clean", *, n_train: int = 3000, n_test: int = 1000,
                      noise: float = 0.15, watermark_rate: float = 0.95,
                      random_state: int = 0) -> tuple:
    """A training set and a test set for a clean or a shortcut classifier.

    Both sets carry a watermark in every image. ``"clean"``: its pattern is random in both sets, so
    it carries no information about the label. ``"shortcut"``: in the training set an image carries
    its own class's pattern with probability ``watermark_rate`` (random otherwise), so the watermark
    predicts the label; in the test set the pattern is random, so it matches the label in about a
    quarter of the images (``test.watermarks == test.labels``) and contradicts it elsewhere. The two
    kinds differ only in that correlation. For a test set without any watermark, call
    ``make_shapes(..., watermark="none")``.

    Parameters
    ----------
    kind : {"clean", "shortcut"}, default="clean"
    n_train, n_test : int, default=3000, 1000
    noise : float, default=0.15
    watermark_rate : float, default=0.95
        Used by ``"shortcut"`` only.
    random_state : int, default=0
        Seeds both sets, with two independent seeds spawned from ``numpy.random.SeedSequence``.

    Returns
    -------
    (train, test) : tuple of ShapeImages
    """
    if kind not in SPLIT_KINDS:
        raise ValueError(f"kind must be one of {tuple(SPLIT_KINDS)}, got {kind!r}")
    seed = check_int(random_state, "random_state", minimum=0)
    train_seed, test_seed = (int(child.generate_state(1)[0]) for child in np.random.SeedSequence(seed).spawn(2))
    train = make_shapes(n_train, noise=noise, watermark=SPLIT_KINDS[kind], watermark_rate=watermark_rate,
                        random_state=train_seed)
    test = make_shapes(n_test, noise=noise, watermark="random", random_state=test_seed)
    return train, test


def to_rgb(images) -> np.ndarray:
    """Repeat grayscale images along a last axis of 3 channels (what ``lime_image`` expects).

    Parameters
    ----------
    images : array-like of shape (size, size) or (n_images, size, size)

    Returns
    -------
    ndarray of shape (..., size, size, 3)
    """
    array = np.asarray(images, dtype=float)
    if array.ndim not in (2, 3):
        raise ValueError(f"images must have shape (size, size) or (n_images, size, size), got {array.shape}")
    return np.repeat(array[..., None], 3, axis=-1)
