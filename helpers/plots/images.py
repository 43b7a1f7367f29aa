"""Plots over images (chapters 04-05): heat maps laid over an image, grids of maps, patch maps of a ViT.

Every function returns its Axes or Figure (no ``plt.show()``, no global style changes).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import patheffects
from matplotlib.patches import Rectangle
from scipy.ndimage import gaussian_filter

from ._common import as_array as _array
from ._common import new_axes as _new_axes

__all__ = ["attribution_grid", "block_values", "heatmap_overlay", "patch_overlay"]


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
                    vmax: float | None = None, box=None, colorbar: bool = True, label: str = "", dim: float = 0.55,
                    fade: bool = True):
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
    fade : bool, default=True
        False: every pixel has opacity ``alpha``, so that a zero of a signed map shows the colour bar's
        midpoint (white) instead of the image; use it for maps whose zeros matter (a perturbation).
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
    opacity = alpha * np.sqrt(np.clip(np.abs(heat) / top, 0.0, 1.0)) if fade else alpha
    shown = ax.imshow(heat, cmap="RdBu_r" if signed else "inferno", alpha=opacity,
                      vmin=-top if signed else 0.0, vmax=top)
    _box(ax, box)
    if colorbar:
        bar = ax.figure.colorbar(shown, ax=ax, fraction=0.046, pad=0.03)
        bar.set_label(label, fontsize=9)
        bar.ax.tick_params(labelsize=8)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=9)
    return ax


def _box(ax, box):
    """Outline ``box`` = (row, col, height, width) with a dashed cyan rectangle (nothing if None)."""
    if box is not None:
        row, col, height, width = box
        ax.add_patch(plt.Rectangle((col - 0.5, row - 0.5), width, height, fill=False, edgecolor="#00E5FF",
                                   linewidth=1.5, linestyle="--"))


def _outline(ax, picture):
    """The image's bright shape as a thin dark contour (half-way between its background and its peak)."""
    smooth = gaussian_filter(picture, 1.0)
    level = 0.5 * (np.median(smooth) + smooth.max())
    if smooth.max() > np.median(smooth):
        ax.contour(smooth, levels=[level], colors="black", linewidths=0.9)


def attribution_grid(images, maps: dict, *, row_labels=None, signed=None, suptitle: str = "", box=None,
                     panel: float = 2.3, scale: str = "panel", percentile: float = 99.5, highlight=None):
    """One row per image, one column per method or class: each map drawn next to its image's outline.

    Parameters
    ----------
    images : array-like or Tensor of shape (n_images, height, width) or (n_images, 1, height, width)
    maps : dict of str to array-like of shape like ``images``
        Column title -> attributions; columns in the dict's order.
    row_labels : sequence of str, optional
    signed : set of str, optional
        The columns drawn as signed maps (red positive, blue negative, white zero, opaque, with the
        image's shape outlined); the others as |values| laid over the image.
    box : tuple of int, optional
        A rectangle ``(row, col, height, width)`` outlined in every panel.
    scale : {"panel", "row"}, default="panel"
        Divide each map by its own top value, or every map of a row by the row's (so that the
        columns of one image compare, e.g. the classes of a SHAP explanation).
    percentile : float, default=99.5
        The top value is this percentile of |values| (100: the maximum); larger values saturate, so
        that a few extreme pixels do not wash the rest of the map out.
    highlight : iterable of (row, col), optional
        Panels framed in green (e.g. the predicted class).

    Returns
    -------
    matplotlib Figure
        Colour bars: every map is divided by its top value, so the bars run from 0 (or -1) to 1.
    """
    pictures = [_as_map(image, "images[i]") for image in images]
    signed = set(signed or ())
    if scale not in ("panel", "row"):
        raise ValueError(f"scale must be 'panel' or 'row', got {scale!r}")
    n_rows, n_cols = len(pictures), len(maps)
    if n_rows == 0 or n_cols == 0:
        raise ValueError("attribution_grid needs at least one image and one map")
    heats = {}
    for name, values in maps.items():
        if len(values) != n_rows:
            raise ValueError(f"maps[{name!r}] has {len(values)} maps for {n_rows} images")
        heats[name] = [_as_map(values[i], f"maps[{name!r}][{i}]") for i in range(n_rows)]
    tops = {(i, name): float(np.percentile(np.abs(heats[name][i]), percentile)) for i in range(n_rows) for name in maps}
    if scale == "row":
        tops = {(i, name): max(tops[i, other] for other in maps) for i in range(n_rows) for name in maps}
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(panel * n_cols + 0.9, panel * n_rows + 1.0),
                             layout="constrained", squeeze=False)
    for j, name in enumerate(maps):
        for i, picture in enumerate(pictures):
            ax, top = axes[i, j], tops[i, name] or 1.0
            if name in signed:
                ax.imshow(np.clip(heats[name][i] / top, -1, 1), cmap="RdBu_r", vmin=-1, vmax=1)
                _outline(ax, picture)
                _box(ax, box)
                ax.set_title(name if i == 0 else "")
                ax.set_xticks([])
                ax.set_yticks([])
            else:
                heatmap_overlay(picture, np.clip(np.abs(heats[name][i]) / top, 0, 1), ax=ax, vmax=1.0, box=box,
                                colorbar=False, title=name if i == 0 else "")
            ax.title.set_fontsize(10)
        bar = fig.colorbar(axes[-1, j].images[-1] if name not in signed else axes[-1, j].images[0], ax=axes[:, j],
                           location="bottom", fraction=0.04, pad=0.01)
        bar.set_label("signed, share of top |value|" if name in signed else "share of top |value|", fontsize=9)
        bar.ax.tick_params(labelsize=8)
    for i, j in highlight or ():
        for spine in axes[i, j].spines.values():
            spine.set(edgecolor="#2CA02C", linewidth=3.5, visible=True)
    if row_labels is not None:
        for i, text in enumerate(row_labels):
            axes[i, 0].set_ylabel(str(text), fontsize=10)
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def patch_overlay(image, patch_map, *, ax=None, title: str = "", box=None, cmap: str = "inferno",
                  colorbar: bool = False, outline_level: float = 0.5):
    """A map over the patch grid, each patch one flat, opaque colour, with the image's shape outlined on top.

    The map is drawn opaque, so that its colours are exactly those of the colour bar; the image is shown
    by the contour of its bright pixels (the shape), in white. Without a map, the image is drawn in
    grayscale.

    Parameters
    ----------
    image : array-like of shape (H, W), or (1, H, W), values in [0, 1]
    patch_map : array-like of shape (rows, cols), e.g. the ViT's 4x4 grid, or None
        Shown scaled to its own maximum (an all-zero map is drawn in the colour of 0). None draws the
        image alone (with ``box``, if given, which then needs its grid shape).
    ax : matplotlib Axes, optional
    title : str
    box : array-like of shape (rows, cols), bool, optional
        Patches whose outer edge is outlined in cyan (e.g. those the shape's bounding box touches),
        drawn inside the image so that an edge on the border stays visible.
    cmap : str, default="inferno"
    colorbar : bool, default=False
    outline_level : float, default=0.5
        The pixel value whose contour outlines the shape over a map.

    Returns
    -------
    matplotlib Axes
    """
    image = _array(image, "image", 3 if np.ndim(image) == 3 else 2)
    image = image[0] if image.ndim == 3 else image
    grid = None if patch_map is None else _array(patch_map, "patch_map", 2)
    if grid is None and box is None:
        grid_shape = (1, 1)
    else:
        grid_shape = np.shape(box) if grid is None else grid.shape
    height, width = image.shape
    if len(grid_shape) != 2:
        raise ValueError(f"box must be 2-D (rows, cols), got shape {grid_shape}")
    rows, cols = grid_shape
    if height % rows or width % cols:
        raise ValueError(f"the grid {grid_shape} must divide the image's shape {image.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(3, 3), layout="constrained")
    extent = (0, width, height, 0)
    overlay = None
    if grid is None:
        ax.imshow(image, cmap="gray", vmin=0.0, vmax=1.0, extent=extent)
    else:
        scaled = grid / grid.max() if grid.max() > 0 else grid
        overlay = ax.imshow(scaled, cmap=cmap, vmin=0.0, vmax=1.0, extent=extent, interpolation="nearest")
        ys, xs = np.mgrid[0.5:height, 0.5:width]
        outline = ax.contour(xs, ys, image, levels=[outline_level], colors="white", linewidths=1.3)
        outline.set(path_effects=[patheffects.withStroke(linewidth=2.8, foreground="black")])  # seen on any colour
    if box is not None:
        box = np.asarray(box, dtype=bool)
        if box.shape != tuple(grid_shape):
            raise ValueError(f"box must have the grid's shape {tuple(grid_shape)}, got {box.shape}")
        if box.any():
            step_r, step_c = height // rows, width // cols
            r, c = np.nonzero(box)
            inset = 0.6  # pixels: a line centred on the image's border would lose half its width
            top, left = r.min() * step_r + inset, c.min() * step_c + inset
            bottom, right = (r.max() + 1) * step_r - inset, (c.max() + 1) * step_c - inset
            ax.add_patch(Rectangle((left, top), right - left, bottom - top, fill=False, edgecolor="cyan",
                                   linewidth=1.8, linestyle="--"))
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=10)
    if colorbar and overlay is not None:
        ax.figure.colorbar(overlay, ax=ax, fraction=0.046, pad=0.02, label="map / its maximum")
    return ax


def block_values(values, *, image=None, ax=None, title: str = "", label: str = "", fmt: str = "{:.2f}",
                 signed: bool = False, vmax: float | None = None, colorbar: bool = True):
    """One number per block of an image grid (e.g. the 4x4 blocks of 8x8 pixels), coloured and written out.

    Parameters
    ----------
    values : array-like of shape (rows, cols)
    image : array-like of shape (H, W), optional
        Drawn faintly under the blocks (its shape must be a multiple of the grid's), so that the reader
        sees what each block covers.
    ax : matplotlib Axes, optional
    title, label : str
        The title, and the colour bar's label.
    fmt : str, default="{:.2f}"
        How each value is written in its block.
    signed : bool, default=False
        A diverging colour map centred on 0 ("RdBu_r") instead of "viridis" from 0 (negative values then
        show the colour of 0).
    vmax : float, optional
        Top of the colour scale (default: max |values|).
    colorbar : bool, default=True

    Returns
    -------
    matplotlib Axes
    """
    grid = _array(values, "values", 2)
    rows, cols = grid.shape
    height, width = (rows, cols) if image is None else _as_map(image, "image").shape
    if height % rows or width % cols:
        raise ValueError(f"the grid {grid.shape} must divide the image's shape {(height, width)}")
    ax = _new_axes(ax, (3.6, 3.2))
    top = float(np.abs(grid).max()) if vmax is None else float(vmax)
    top = top if top > 0 else 1.0
    extent = (0, width, height, 0)
    if image is not None:
        ax.imshow(_as_map(image, "image"), cmap="gray", vmin=0, vmax=1, extent=extent)
    shown = ax.imshow(grid, cmap="RdBu_r" if signed else "viridis", vmin=-top if signed else 0.0, vmax=top,
                      alpha=0.75 if image is not None else 1.0, extent=extent, interpolation="nearest")
    step_r, step_c = height / rows, width / cols
    for r in range(rows):
        for c in range(cols):
            level = min(abs(grid[r, c]) / top, 1.0)
            light = level < 0.5 if signed else (grid[r, c] / top) > 0.55  # viridis is light at the top only
            text = fmt.format(grid[r, c])
            if text.startswith("-") and not any(ch in "123456789" for ch in text):
                text = text[1:]  # "-0.00": a value that rounds to zero has no sign
            ax.text((c + 0.5) * step_c, (r + 0.5) * step_r, text, ha="center", va="center",
                    fontsize=9, color="black" if light else "white")
    for k in range(1, rows):
        ax.axhline(k * step_r, color="white", linewidth=0.6)
    for k in range(1, cols):
        ax.axvline(k * step_c, color="white", linewidth=0.6)
    ax.set_xticks([(c + 0.5) * step_c for c in range(cols)], [str(c) for c in range(cols)], fontsize=8)
    ax.set_yticks([(r + 0.5) * step_r for r in range(rows)], [str(r) for r in range(rows)], fontsize=8)
    ax.tick_params(length=0)
    ax.set_title(title, fontsize=10)
    if colorbar:
        bar = ax.figure.colorbar(shown, ax=ax, fraction=0.046, pad=0.03)
        bar.set_label(label, fontsize=9)
        bar.ax.tick_params(labelsize=8)
    return ax
