"""Plots for judging explanations (chapter 08): perturbation curves, sanity-check curves, agreement tables.

Every function returns its Axes (no ``plt.show()``, no global style changes).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._common import as_array as _array
from ._common import new_axes as _new_axes

__all__ = ["agreement_heatmap", "perturbation_curves", "sanity_curves"]

_BASELINE_STYLE = {"color": "0.35", "linestyle": "--", "linewidth": 1.6}


def perturbation_curves(fractions, curves: dict, *, ax=None, title: str = "", ylabel: str = "probability of the target",
                        xlabel: str = "share of pixels deleted", baseline: str = "random", legend_loc: str = "best"):
    """The mean curve of each method (a band of +- 2 standard errors over the inputs) and its mean AUC.

    Parameters
    ----------
    fractions : array-like of shape (k,)
        The x axis (the share of features deleted or inserted).
    curves : dict of str to array-like of shape (n, k)
        Method -> the curve of each input. The method named ``baseline`` is drawn dashed and grey.
    """
    x = _array(fractions, "fractions", 1)
    ax = _new_axes(ax, (5.2, 3.6))
    for name, values in curves.items():
        scores = _array(values, f"curves[{name!r}]", 2)
        if scores.shape[1] != len(x):
            raise ValueError(f"curves[{name!r}] has {scores.shape[1]} points per curve, fractions {len(x)}")
        mean, se = scores.mean(axis=0), scores.std(axis=0, ddof=1) / np.sqrt(len(scores)) if len(scores) > 1 else 0.0
        auc = float(np.trapezoid(scores, x, axis=1).mean())
        style = _BASELINE_STYLE if name == baseline else {"linewidth": 1.8}
        line, = ax.plot(x, mean, label=f"{name} (AUC {auc:.3f})", **style)
        ax.fill_between(x, mean - 2 * se, mean + 2 * se, color=line.get_color(), alpha=0.12, linewidth=0)
    ax.set(xlabel=xlabel, ylabel=ylabel, xlim=(float(x.min()), float(x.max())), ylim=(0, 1.02))
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc=legend_loc)
    return ax


def sanity_curves(layers, similarity: dict, *, ax=None, title: str = "", dashed: dict | None = None,
                  ylabel: str = "Spearman: original vs randomised"):
    """Mean rank correlation after each stage of a cascading randomisation, one line per method.

    Parameters
    ----------
    layers : sequence of str
        The layers re-initialised, in order (the x axis, after "none").
    similarity : dict of str to array-like of shape (n_layers, n)
        Method -> correlations (solid lines); ``dashed`` the same for a second setting (e.g. signed maps), drawn
        dashed in the same colour. NaN (a constant map has no ranking) is left out of the means.
    """
    labels = ["none"] + [str(layer) for layer in layers]
    ax = _new_axes(ax, (5.6, 3.6))
    ticks = np.arange(len(labels))
    for name, values in similarity.items():
        sim = np.asarray(values, dtype=float)
        if sim.ndim != 2 or sim.shape[0] != len(layers) or np.isnan(sim).all(axis=1).any():
            raise ValueError(f"similarity[{name!r}] must have shape ({len(layers)}, n) with a number in every row")
        line, = ax.plot(ticks, np.r_[1.0, np.nanmean(sim, axis=1)], marker="o", linewidth=1.8, label=name)
        if dashed is not None and name in dashed:
            other = np.asarray(dashed[name], dtype=float)
            ax.plot(ticks, np.r_[1.0, np.nanmean(other, axis=1)], marker="o", markersize=3, linestyle="--",
                    color=line.get_color(), linewidth=1.2)
    ax.axhline(0.0, color="0.5", linewidth=0.8)
    ax.set_xticks(ticks, labels)
    ax.set(xlabel="layers re-initialised, from the output back (cumulative)", ylabel=ylabel, ylim=(-0.45, 1.05))
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    return ax


def agreement_heatmap(table: pd.DataFrame, *, ax=None, title: str = "", vmin: float = 0.0, fmt: str = "{:.2f}"):
    """A symmetric table of agreement between methods, each cell annotated."""
    if not isinstance(table, pd.DataFrame) or table.shape[0] != table.shape[1]:
        raise ValueError("table must be a square DataFrame (methods x methods)")
    values = _array(table.to_numpy(), "table", 2)
    ax = _new_axes(ax, (0.75 * len(table) + 2.2, 0.6 * len(table) + 1.4))
    shown = ax.imshow(values, cmap="viridis", vmin=vmin, vmax=1.0)
    names = [str(name) for name in table.index]
    ax.set_xticks(range(len(names)), names, rotation=35, ha="right", fontsize=9)
    ax.set_yticks(range(len(names)), names, fontsize=9)
    for i in range(len(names)):
        for j in range(len(names)):
            ax.text(j, i, fmt.format(values[i, j]), ha="center", va="center", fontsize=8,
                    color="black" if values[i, j] > vmin + 0.6 * (1 - vmin) else "white")
    bar = ax.figure.colorbar(shown, ax=ax, fraction=0.046, pad=0.03)
    bar.ax.tick_params(labelsize=8)
    ax.set_title(title, fontsize=10)
    return ax
