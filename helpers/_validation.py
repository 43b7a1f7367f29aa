"""Input validation shared by the helpers: errors that say what was expected."""

from __future__ import annotations

import numbers

import numpy as np


def check_int(value, name: str, *, minimum: int | None = None) -> int:
    """Return ``value`` as an int, or raise TypeError / ValueError naming what was expected."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def check_float(value, name: str, *, low: float | None = None, high: float | None = None) -> float:
    """Return ``value`` as a finite float within [low, high]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must lie in [{low}, {high}], got {value}")
    return value


def check_matrix(X, name: str = "X", *, n_rows: int | None = None) -> np.ndarray:
    """Return ``X`` as a finite 2-D float array of shape (n_samples, n_features)."""
    try:
        array = np.asarray(X, dtype=float)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be a numeric 2-D array of shape (n_samples, n_features), "
                        f"got {type(X).__name__}: {error}") from None
    if array.ndim != 2:
        raise ValueError(f"{name} must be 2-D of shape (n_samples, n_features), got shape {array.shape}")
    if n_rows is not None and array.shape[0] != n_rows:
        raise ValueError(f"{name} must have {n_rows} rows, got {array.shape[0]}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return array


def check_vector(y, name: str = "y", *, length: int | None = None) -> np.ndarray:
    """Return ``y`` as a finite 1-D float array, of ``length`` entries if given."""
    try:
        array = np.asarray(y, dtype=float)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be a numeric 1-D array, got {type(y).__name__}: {error}") from None
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D of shape (n_samples,), got shape {array.shape}")
    if length is not None and array.shape[0] != length:
        raise ValueError(f"{name} must have {length} entries (one per row of X), got {array.shape[0]}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return array
