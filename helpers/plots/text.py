"""Plots of tokens (chapter 05): attention matrices with their tokens, and each token's relevance.
Every function returns its Axes or Figure (no ``plt.show()``, no global style changes); figures use
constrained layout so that token labels are never clipped.

- :func:`attention_heatmap`: one attention matrix with the tokens as row (query) and column (key) labels.
- :func:`attention_grid`: every layer and head of one text, a grid of heatmaps.
- :func:`token_relevance`: several methods' relevance of each token, one row per method.
"""


from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from ._common import as_array as _array

__all__ = ["attention_grid", "attention_heatmap", "token_relevance"]


def _labels(tokens, length: int) -> list[str]:
    labels = [str(t) for t in tokens]
    if len(labels) != length:
        raise ValueError(f"tokens must have {length} entries (one per position), got {len(labels)}")
    return labels


def attention_heatmap(attention, tokens, *, ax=None, title: str = "", vmax: float | None = None,
                      cmap: str = "Blues", colorbar: bool = True, label: str = "attention",
                      hide_diagonal: bool = False):
    """One attention matrix: rows are queries (the token that reads), columns keys (the token read).

    Parameters
    ----------
    attention : array-like of shape (T, T)
    tokens : sequence of str of length T
    ax : matplotlib Axes, optional
    title : str
    vmax : float, optional
        Top of the colour scale (default: the largest entry), so that panels can share a scale; entries
        above it are drawn in the top colour, and the colour bar ends in an arrow.
    cmap : str, default="Blues"
    colorbar : bool, default=True
    label : str, default="attention"
        The colour bar's label.
    hide_diagonal : bool, default=False
        Draw the diagonal (each token's own share, e.g. the residual's in a rollout) in grey and leave it
        out of the colour scale, so that it does not dominate the entries between tokens.

    Returns
    -------
    matplotlib Axes
    """
    attention = _array(attention, "attention", 2)
    if attention.shape[0] != attention.shape[1]:
        raise ValueError(f"attention must be square (T, T), got shape {attention.shape}")
    labels = _labels(tokens, attention.shape[0])
    if ax is None:
        side = 0.28 * len(labels) + 1.8
        _, ax = plt.subplots(figsize=(side + 0.8, side), layout="constrained")
    shown = np.ma.masked_array(attention, mask=np.eye(len(attention), dtype=bool) & hide_diagonal)
    top = vmax if vmax is not None else shown.max()
    colours = plt.get_cmap(cmap).with_extremes(bad="0.75")
    image = ax.imshow(shown, cmap=colours, vmin=0.0, vmax=top)
    ax.set_xticks(np.arange(len(labels)), labels, rotation=90, fontsize=8)
    ax.set_yticks(np.arange(len(labels)), labels, fontsize=8)
    ax.set_xlabel("key (token attended to)")
    ax.set_ylabel("query (token attending)")
    ax.set_title(title)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.02, label=label,
                           extend="max" if shown.max() > top else "neither")
    return ax


def attention_grid(attentions, tokens, *, title: str = ""):
    """Every layer (rows) and head (columns) of one text, on one colour scale.

    Parameters
    ----------
    attentions : sequence of L array-likes of shape (heads, T, T)
        One text's attention per layer (e.g. ``[a[i] for a in attentions]``).
    tokens : sequence of str of length T
    title : str

    Returns
    -------
    ndarray of matplotlib Axes, shape (L, heads)
    """
    layers = [_array(a, f"attentions[{k}]", 3) for k, a in enumerate(attentions)]
    if not layers:
        raise ValueError("attentions must hold at least one layer")
    heads, length = layers[0].shape[0], layers[0].shape[-1]
    if any(a.shape != (heads, length, length) for a in layers):
        raise ValueError(f"every layer must have shape (heads, T, T) = {(heads, length, length)}, got "
                         f"{[a.shape for a in layers]}")
    labels = _labels(tokens, length)
    side = 0.22 * length + 1.6
    fig, axes = plt.subplots(len(layers), heads, figsize=(heads * side + 1.2, len(layers) * side),
                             layout="constrained", squeeze=False)
    vmax = max(a.max() for a in layers)
    for k, layer in enumerate(layers):
        for h in range(heads):
            ax = attention_heatmap(layer[h], labels, ax=axes[k, h], title=f"layer {k + 1}, head {h + 1}",
                                   vmax=vmax, colorbar=False)
            if h:
                ax.set_ylabel("")
            if k < len(layers) - 1:
                ax.set_xlabel("")
    fig.colorbar(axes[0, 0].images[0], ax=axes, fraction=0.03, pad=0.02, label="attention")
    if title:
        fig.suptitle(title)
    return axes


def token_relevance(scores, tokens, *, highlight=(), ax=None, title: str = "", cmap: str = "Reds"):
    """Several methods' relevance of each token: one row per method, each scaled to its largest |value|.

    Parameters
    ----------
    scores : dict of str to array-like of shape (T,)
        Method name -> relevance of every token (the same T for all).
    tokens : sequence of str of length T
    highlight : sequence of int
        Positions to mark (e.g. the true cue): boxed, their label in bold.
    ax : matplotlib Axes, optional
    title : str
    cmap : str, default="Reds"

    Returns
    -------
    matplotlib Axes
    """
    if not isinstance(scores, dict) or not scores:
        raise TypeError("scores must be a non-empty dict {method name: relevance of shape (T,)}")
    rows = [_array(v, f"scores[{k!r}]", 1) for k, v in scores.items()]
    length = rows[0].shape[0]
    if any(r.shape != (length,) for r in rows):
        raise ValueError(f"every relevance must have shape ({length},), got {[r.shape for r in rows]}")
    labels = _labels(tokens, length)
    table = np.stack([r / max(np.abs(r).max(), 1e-12) for r in rows])
    if ax is None:
        _, ax = plt.subplots(figsize=(0.42 * length + 2.5, 0.45 * len(rows) + 1.6), layout="constrained")
    image = ax.imshow(table, cmap=cmap, vmin=min(0.0, table.min()), vmax=1.0, aspect="auto")
    ax.set_xticks(np.arange(length), labels, rotation=90, fontsize=9)
    ax.set_yticks(np.arange(len(rows)), list(scores), fontsize=9)
    for position in highlight:
        if not 0 <= int(position) < length:
            raise ValueError(f"highlight positions must lie in [0, {length}), got {position}")
        ax.add_patch(Rectangle((position - 0.5, -0.5), 1, len(rows), fill=False, edgecolor="black", linewidth=2))
        ax.get_xticklabels()[int(position)].set_fontweight("bold")
    ax.set_title(title)
    ax.figure.colorbar(image, ax=ax, fraction=0.03, pad=0.02, label="relevance / row maximum")
    return ax
