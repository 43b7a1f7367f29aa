"""What the plotting modules share: a new Axes when none is given, arrays checked on the way in."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np


def new_axes(ax, figsize):
    """``ax`` itself, or the Axes of a new constrained-layout figure of ``figsize``."""
    if ax is not None:
        return ax
    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def as_array(values, name: str, ndim: int) -> np.ndarray:
    """A finite float array of ``ndim`` dimensions from an array or a tensor (detached), or a TypeError or
    ValueError that names ``name`` and what was expected."""
    if hasattr(values, "detach"):
        values = values.detach().cpu().numpy()
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be a numeric array, got {type(values).__name__}: {error}") from None
    if array.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return array
