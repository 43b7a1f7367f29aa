"""Plots of tables and of methods (chapters 01-03): importance bars and comparisons, the taxonomy map.

Every function returns its Axes (no ``plt.show()``, no global style changes); figures use constrained
layout so that long feature names are never clipped.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from helpers._validation import check_matrix, check_vector
from helpers.lib.ch01 import ACCESS, SCOPES, normalise_place

from ._common import new_axes as _new_axes

__all__ = ["importance_bars", "importance_comparison", "taxonomy_map"]


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
