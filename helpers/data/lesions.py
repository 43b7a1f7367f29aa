"""Skin-lesion images from two clinics: the data set of the round-2 mock task (chapter 09).

32x32 grayscale crops centred on a skin lesion, each labelled benign (0) or malignant (1), with the
clinic (``"A"`` or ``"B"``) that took it: 3,000 images to train on and 1,000 held out. The images are
generated (a stand-in for dermoscopy that runs offline) and ship as a file,
``helpers/data/files/lesions.npz``; :func:`load_lesions` adds the cameras' pixel noise (Gaussian,
standard deviation ``NOISE``, from a fixed seed per split) and returns floats in [0, 1].
"""

from __future__ import annotations

import importlib.resources
from dataclasses import dataclass

import numpy as np

__all__ = ["CLASS_NAMES", "CLINICS", "NOISE", "SPLITS", "LesionImages", "data_path", "load_lesions"]

CLASS_NAMES = ("benign", "malignant")
CLINICS = ("A", "B")
NOISE = 0.05
SPLITS = {"train": 1, "test": 2}  # split -> seed of its pixel noise
_FILE = "lesions.npz"


@dataclass(frozen=True)
class LesionImages:
    """One split of the lesion images.

    Attributes
    ----------
    images : ndarray of shape (n_images, 32, 32), float32
        Grayscale values in [0, 1].
    labels : ndarray of shape (n_images,), int64
        0 benign, 1 malignant (``class_names``).
    clinic : ndarray of shape (n_images,), str
        ``"A"`` or ``"B"``: where the image was taken.
    class_names : tuple of str
    """

    images: np.ndarray
    labels: np.ndarray
    clinic: np.ndarray
    class_names: tuple = CLASS_NAMES

    def __len__(self) -> int:
        return len(self.images)


def data_path():
    """The shipped data file (a path-like resource inside the package)."""
    return importlib.resources.files("helpers.data").joinpath("files", _FILE)


def load_lesions(split: str = "train", *, path=None) -> LesionImages:
    """Load one split of the lesion images.

    Parameters
    ----------
    split : {"train", "test"}, default="train"
    path : path-like, optional
        Another data file of the same layout (default: the shipped one).

    Returns
    -------
    LesionImages
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {tuple(SPLITS)}, got {split!r}")
    source = data_path() if path is None else path
    with (source.open("rb") if path is None else open(source, "rb")) as handle:
        with np.load(handle) as stored:
            pixels, labels, clinic = (stored[f"{split}_{key}"] for key in ("images", "labels", "clinic"))
    rng = np.random.default_rng(SPLITS[split])
    images = np.clip(pixels / 255.0 + NOISE * rng.standard_normal(pixels.shape), 0.0, 1.0).astype(np.float32)
    return LesionImages(images=images, labels=labels.astype(np.int64), clinic=clinic.astype(str))
