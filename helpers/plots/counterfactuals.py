"""Plots for counterfactuals, recourse and group fairness (chapter 07)."""

from __future__ import annotations

import numpy as np

from ._common import as_array, new_axes

__all__ = ["counterfactual_changes", "group_rates", "recourse_costs"]


def counterfactual_changes(x, counterfactuals, names, *, ranges, labels=None, title="", ax=None):
    """Grouped horizontal bars: each counterfactual's change of each feature, as a share of its range.

    Parameters
    ----------
    x : array of shape (d,)
    counterfactuals : array of shape (k, d)
    names : list of str of length d
    ranges : array of shape (d,)
        The features' ranges; a categorical change (range 0) is drawn as +1 (a full step).
    labels : list of str of length k, optional
    """
    x = as_array(x, "x", 1)
    Z = as_array(np.atleast_2d(counterfactuals), "counterfactuals", 2)
    ranges = as_array(ranges, "ranges", 1)
    if Z.shape[1] != len(x) or len(names) != len(x) or len(ranges) != len(x):
        raise ValueError(f"x, counterfactuals, names and ranges must agree on {len(x)} features")
    delta = Z - x
    scaled = np.where(ranges > 0, delta / np.where(ranges > 0, ranges, 1), np.sign(np.abs(delta)))
    ax = new_axes(ax, (8, 0.45 * len(x) + 1.2))
    k, height = len(Z), 0.8 / len(Z)
    labels = labels or [f"counterfactual {i + 1}" for i in range(k)]
    for i in range(k):
        ax.barh(np.arange(len(x)) + (i - (k - 1) / 2) * height, scaled[i], height=height, label=labels[i])
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(np.arange(len(x)), names)
    ax.invert_yaxis()
    ax.set_xlabel("change / feature range (categorical change = 1)")
    ax.set_title(title or "What each counterfactual changes")
    ax.legend(loc="best", fontsize="small")
    return ax


def group_rates(table, *, title="", legend=True, ax=None):
    """Grouped bars of rates per group: ``table`` a DataFrame, one row per group, one column per rate
    (``legend=False`` leaves the legend to a neighbouring panel)."""
    ax = new_axes(ax, (7, 3.5))
    groups, columns = [str(g) for g in table.index], list(table.columns)
    values = as_array(table.to_numpy(dtype=float), "table", 2)
    width = 0.8 / len(columns)
    for i, column in enumerate(columns):
        bars = ax.bar(np.arange(len(groups)) + (i - (len(columns) - 1) / 2) * width, values[:, i], width,
                      label=column)
        ax.bar_label(bars, fmt="%.2f", fontsize="small")
    ax.set_xticks(np.arange(len(groups)), groups)
    ax.set_ylim(0, 1.08)
    ax.set_ylabel("rate")
    ax.set_title(title or "Rates by group")
    if legend:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small")
    return ax


def recourse_costs(costs, *, title="", ax=None):
    """Histograms of the cost of recourse per group: ``costs`` a dict {group name: 1-D array}."""
    ax = new_axes(ax, (7, 3.5))
    finite = {g: as_array(np.asarray(c, dtype=float)[np.isfinite(c)], f"costs[{g!r}]", 1) for g, c in costs.items()}
    bins = np.linspace(0, max(c.max() for c in finite.values() if len(c)), 25)
    for g, c in finite.items():
        ax.hist(c, bins=bins, alpha=0.55, density=True, label=f"{g} (mean {c.mean():.3f}, n = {len(c)})")
        ax.axvline(c.mean(), linestyle="--", color=ax.patches[-1].get_facecolor(), alpha=1)
    ax.set_xlabel("Gower distance to the nearest counterfactual")
    ax.set_ylabel("density")
    ax.set_title(title or "Cost of recourse by group")
    ax.legend(fontsize="small")
    return ax
