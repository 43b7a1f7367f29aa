"""Plots that return their Axes (no ``plt.show()``, no global style changes).

Figures use constrained layout so that long feature names are never clipped.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ._validation import check_matrix, check_vector
from .lib.ch01 import ACCESS, SCOPES, normalise_place

__all__ = ["attribution_grid", "heatmap_overlay", "importance_bars", "importance_comparison", "taxonomy_map"]


def _new_axes(ax, figsize):
    if ax is not None:
        return ax
    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def importance_bars(values, names, *, errors=None, ax=None, title: str = "",
                    xlabel: str = "importance"):
    """Horizontal bars, largest on top, with optional error bars.

    Parameters
    ----------
    values : array-like of shape (n_features,)
    names : sequence of str of length n_features
    errors : array-like of shape (n_features,), optional
        Half-widths of the error bars (for example the standard deviation over repeats).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    values = check_vector(values, "values")
    names = [str(n) for n in names]
    if len(names) != len(values):
        raise ValueError(f"names must have {len(values)} entries (one per value), got {len(names)}")
    if errors is not None:
        errors = check_vector(errors, "errors", length=len(values))
    order = np.argsort(values)
    ax = _new_axes(ax, (6, 0.35 * len(values) + 1.2))
    ax.barh(np.arange(len(values)), values[order], color="#4C72B0",
            xerr=None if errors is None else errors[order], capsize=3)
    ax.set_yticks(np.arange(len(values)), [names[i] for i in order])
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    return ax


def importance_comparison(table: pd.DataFrame, *, ax=None, title: str = "",
                          xlabel: str = "share of total importance"):
    """Grouped horizontal bars: one row per feature, one bar per column of ``table``.

    Parameters
    ----------
    table : DataFrame of shape (n_features, n_methods)
        Index: feature names; columns: method names; values: importances on a common scale.

    Returns
    -------
    matplotlib Axes
    """
    if not isinstance(table, pd.DataFrame) or table.shape[1] < 1:
        raise TypeError("table must be a pandas DataFrame with features as rows and methods as columns")
    check_matrix(table.to_numpy(), "table")
    n_features, n_methods = table.shape
    ax = _new_axes(ax, (7, 0.45 * n_features + 1.5))
    height = 0.8 / n_methods
    rows = np.arange(n_features)[::-1]
    for k, column in enumerate(table.columns):
        ax.barh(rows + (n_methods - 1 - 2 * k) * height / 2, table[column].to_numpy(), height=height,
                label=str(column))
    ax.set_yticks(rows, [str(i) for i in table.index])
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.legend(loc="lower right")
    return ax


def taxonomy_map(placements: dict, *, ax=None, title: str = "Where each method sits"):
    """Place methods on the two axes: global/local (rows) and agnostic/specific (columns).

    Parameters
    ----------
    placements : dict of str to (scope, access)
        ``scope`` in {"global", "local"}, ``access`` in {"agnostic", "specific"}, read by
        ``helpers.lib.ch01.normalise_place`` (the rule exercise 1.1's checks use): case and a
        ``"model-"`` or ``"model "`` prefix are ignored.

    Returns
    -------
    matplotlib Axes
    """
    if not isinstance(placements, dict):
        raise TypeError(f"placements must be a dict of method -> (scope, access), got {type(placements).__name__}")
    cells = {(s, a): [] for s in SCOPES for a in ACCESS}
    for method, place in placements.items():
        try:
            cells[normalise_place(place)].append(str(method))
        except ValueError as error:
            raise ValueError(f"placement of {method!r}: {error}") from None
    ax = _new_axes(ax, (9, 5.5))
    colours = {("global", "agnostic"): "#DCEAF7", ("global", "specific"): "#F7E3D0",
               ("local", "agnostic"): "#E2F0D9", ("local", "specific"): "#EDE0F2"}
    for (scope, access), methods in cells.items():
        x, y = ACCESS.index(access), 1 - SCOPES.index(scope)
        ax.add_patch(plt.Rectangle((x, y), 1, 1, facecolor=colours[(scope, access)], edgecolor="white",
                                   linewidth=3))
        ax.text(x + 0.5, y + 0.5, "\n".join(sorted(methods)), ha="center", va="center", fontsize=10)
    ax.set_xlim(0, 2)
    ax.set_ylim(0, 2)
    ax.set_xticks([0.5, 1.5], ["model-agnostic\n(needs only predictions)", "model-specific\n(needs the model's insides)"])
    ax.set_yticks([0.5, 1.5], ["local\n(one prediction)", "global\n(the whole model)"])
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    ax.set_title(title)
    return ax


# --------------------------------------------------------------------------------------------
# Heat maps over images (chapter 04)


def _as_map(values, name: str) -> np.ndarray:
    """A 2-D float array from an array or a torch tensor (detached)."""
    if hasattr(values, "detach"):
        values = values.detach().cpu().numpy()
    array = np.asarray(values, dtype=float)
    if array.ndim == 3 and array.shape[0] == 1:
        array = array[0]
    if array.ndim != 2 or not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be a finite 2-D array (height, width), got shape {array.shape}")
    return array


def heatmap_overlay(image, heat, *, ax=None, title: str = "", signed: bool = False, alpha: float = 0.8,
                    vmax: float | None = None, box=None, colorbar: bool = True, label: str = "", dim: float = 0.55):
    """A grayscale image with a heat map drawn over it, and a colour bar.

    Parameters
    ----------
    image : array-like or Tensor of shape (height, width) or (1, height, width)
    heat : array-like or Tensor of the same shape
        Non-negative (``signed=False``: colour map "inferno", from 0 to ``vmax``) or signed
        (``signed=True``: "RdBu_r", red positive, blue negative, symmetric around 0).
    alpha : float, default=0.8
        Opacity of the strongest values; a pixel's opacity grows with sqrt(|heat| / vmax), so that
        the image shows through where the map is near zero.
    vmax : float, optional
        Top of the colour scale; default: max |heat|.
    box : tuple of int, optional
        ``(row, col, height, width)`` of a rectangle to outline (e.g. the watermark corner).
    label : str, default=""
        Label of the colour bar.
    dim : float, default=0.55
        Brightness of the image under the map (1 shows it unchanged), so that the colours stand out.

    Returns
    -------
    matplotlib Axes
    """
    image, heat = _as_map(image, "image"), _as_map(heat, "heat")
    if image.shape != heat.shape:
        raise ValueError(f"heat must have the image's shape {image.shape}, got {heat.shape}")
    ax = _new_axes(ax, (3.2, 3.0))
    top = float(np.abs(heat).max()) if vmax is None else float(vmax)
    top = top if top > 0 else 1.0
    ax.imshow(np.clip(image, 0.0, 1.0) * dim, cmap="gray", vmin=0, vmax=1)
    opacity = alpha * np.sqrt(np.clip(np.abs(heat) / top, 0.0, 1.0))
    shown = ax.imshow(heat, cmap="RdBu_r" if signed else "inferno", alpha=opacity,
                      vmin=-top if signed else 0.0, vmax=top)
    if box is not None:
        row, col, height, width = box
        ax.add_patch(plt.Rectangle((col - 0.5, row - 0.5), width, height, fill=False, edgecolor="#00E5FF",
                                   linewidth=1.5, linestyle="--"))
    if colorbar:
        bar = ax.figure.colorbar(shown, ax=ax, fraction=0.046, pad=0.03)
        bar.set_label(label, fontsize=8)
        bar.ax.tick_params(labelsize=7)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=9)
    return ax


def attribution_grid(images, maps: dict, *, row_labels=None, signed=None, suptitle: str = "", box=None,
                     panel: float = 1.9):
    """One row per image, one column per method: each map over its image, scaled to its own max |value|.

    Parameters
    ----------
    images : array-like or Tensor of shape (n_images, height, width) or (n_images, 1, height, width)
    maps : dict of str to array-like of shape like ``images``
        Column title -> attributions; columns in the dict's order.
    row_labels : sequence of str, optional
    signed : set of str, optional
        The columns drawn with a signed colour map (red positive, blue negative); others as |values|.
    box : tuple of int, optional
        A rectangle ``(row, col, height, width)`` outlined in every panel.

    Returns
    -------
    matplotlib Figure
        Colour bars: each panel is divided by its own max |value|, so the bars run from 0 (or -1) to 1.
    """
    pictures = [_as_map(image, "images[i]") for image in images]
    signed = set(signed or ())
    n_rows, n_cols = len(pictures), len(maps)
    if n_rows == 0 or n_cols == 0:
        raise ValueError("attribution_grid needs at least one image and one map")
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(panel * n_cols + 0.8, panel * n_rows + 0.6),
                             layout="constrained", squeeze=False)
    for j, (name, values) in enumerate(maps.items()):
        if len(values) != n_rows:
            raise ValueError(f"maps[{name!r}] has {len(values)} maps for {n_rows} images")
        for i, picture in enumerate(pictures):
            heat = _as_map(values[i], f"maps[{name!r}][{i}]")
            heat = heat if name in signed else np.abs(heat)
            top = float(np.abs(heat).max()) or 1.0
            heatmap_overlay(picture, heat / top, ax=axes[i, j], signed=name in signed, vmax=1.0, box=box,
                            colorbar=False, title=name if i == 0 else "")
        bar = fig.colorbar(axes[-1, j].images[-1], ax=axes[:, j], location="bottom", fraction=0.04, pad=0.01)
        bar.set_label("signed share of max" if name in signed else "share of max |value|", fontsize=7)
        bar.ax.tick_params(labelsize=7)
        if row_labels is not None:
            for i, text in enumerate(row_labels):
                axes[i, 0].set_ylabel(str(text), fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    return fig
