"""Chapter 02's library: cooperative games, the exact Shapley oracle, drill D1's game, a boosted model.

A *game* is given in one of the two forms the chapter uses: a dict that maps every coalition (a
``frozenset`` of players) to its worth, like :data:`D1_GAME`, or a function of one coalition, like
the glove game. :func:`game_shapley` (a course reference implementation that notebooks may call
after exercise 2.1) gets exact Shapley values of either from ``shap.KernelExplainer`` with every
coalition enumerated. The checks draw their test games with :func:`dividend_game` and hand the
callable ones over as :class:`StrictGame`, which refuses anything but a frozenset.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Sequence

import numpy as np
import shap

from helpers._context import reference

__all__ = ["D1_GAME", "D1_ORDERINGS", "D1_PLAYERS", "NotACoalition", "StrictGame", "coalitions",
           "coalition_worth", "dividend_game", "exact_shap_values", "game_shapley", "kernel_problem",
           "kernel_regression", "read_coalitions",
           "worth_function"]


def coalitions(players: Sequence[Hashable]) -> list[frozenset]:
    """Every subset of ``players`` as a frozenset, from the empty set to the grand coalition."""
    return [frozenset(c) for r in range(len(players) + 1) for c in itertools.combinations(players, r)]


@reference
def worth_function(v) -> Callable[[frozenset], float]:
    """The game ``v`` as a function of a coalition: a dict is looked up, a function is called."""
    if isinstance(v, dict):
        return v.__getitem__
    if callable(v):
        return v
    raise TypeError(f"a game is a dict {{frozenset: worth}} or a function of a frozenset, got "
                    f"{type(v).__name__}")


@reference
def exact_shap_values(f, x, background) -> np.ndarray:
    """Exact SHAP values of a model at one input, computed by ``shap.KernelExplainer``.

    Asked for at least 2^M - 2 samples, KernelExplainer uses every coalition once, weighted by the
    Shapley kernel, and its regression returns the exact Shapley values of the game
    ``v(S) = mean over background rows b of f(x_S, b_rest)``.

    Parameters
    ----------
    f : callable
        The model: maps an array of shape (n, M) to n predictions.
    x : array-like of shape (M,)
    background : array-like of shape (B, M)

    Returns
    -------
    ndarray of shape (M,)
        ``phi``, with ``f(background).mean() + phi.sum() == f(x)``.
    """
    x = np.asarray(x, dtype=float).reshape(-1)
    explainer = shap.KernelExplainer(f, np.asarray(background, dtype=float), silent=True)
    values = explainer.shap_values(x[None, :], nsamples=2 ** len(x), l1_reg=False, silent=True)
    return np.asarray(values, dtype=float).reshape(len(x))


@reference
def game_shapley(v, players: Sequence[Hashable]) -> np.ndarray:
    """Exact Shapley values of a cooperative game, computed by ``shap.KernelExplainer``.

    The game becomes a model of 0/1 membership indicators, ``model(z) = v({players i with z_i = 1})``,
    explained at ``x = (1, ..., 1)`` against the background row ``(0, ..., 0)`` with every coalition
    (:func:`exact_shap_values`).

    Parameters
    ----------
    v : dict or callable
        A dict ``{frozenset of players: worth}`` with every coalition as a key, or a function that
        returns the worth (a number) of a ``frozenset`` of players.
    players : sequence of hashable, of length M (1 <= M <= 12)

    Returns
    -------
    ndarray of shape (M,)
        The Shapley value of each player, in the order of ``players``.
    """
    players, worth = tuple(players), worth_function(v)
    if not 1 <= len(players) <= 12:
        raise ValueError(f"players must hold 1 to 12 players, got {len(players)}")

    def model(Z):  # Z: (n, M) membership indicators
        return np.array([float(worth(frozenset(p for p, z in zip(players, row) if z > 0.5))) for row in Z])

    return exact_shap_values(model, np.ones(len(players)), np.zeros((1, len(players))))


@reference
def coalition_worth(f, x, background, masks) -> np.ndarray:
    """``v(z)`` for each coalition: the mean of ``f`` over the background rows, features of ``z`` from ``x``.

    Parameters
    ----------
    f : callable
        The model: maps an array of shape (n, M) to n predictions.
    x : array-like of shape (M,)
    background : array-like of shape (B, M)
    masks : array-like of bool of shape (K, M)
        The coalitions (True: the feature takes its value from ``x``).

    Returns
    -------
    ndarray of shape (K,)
    """
    x, background, masks = np.asarray(x, float), np.asarray(background, float), np.asarray(masks, bool)
    mixed = np.where(masks[:, None, :], x, background)                                # (K, B, M)
    return np.asarray(f(mixed.reshape(-1, len(x))), float).reshape(len(masks), -1).mean(axis=1)


@reference
def kernel_regression(f, x, background, masks, weights, *, worth=None) -> np.ndarray:
    """KernelSHAP's constrained weighted least squares on given coalitions with given weights.

    Solves ``min sum_k weights[k] (v(z_k) - phi_0 - z_k . phi)^2`` subject to ``sum phi = f(x) - phi_0``,
    with ``phi_0 = f(background).mean()`` and ``v`` from :func:`coalition_worth`. With every coalition
    and the Shapley kernel's weights the result is exact; for a linear ``f`` it is exact with any
    coalitions (enough to pin the values down) and any positive weights.

    Parameters
    ----------
    f : callable
        The model: maps an array of shape (n, M) to n predictions.
    x : array-like of shape (M,)
    background : array-like of shape (B, M)
    masks : array-like of bool of shape (K, M)
        The coalitions (True: the feature takes its value from ``x``), neither empty nor full.
    weights : array-like of shape (K,)
        A positive weight per coalition.
    worth : array-like of shape (K,), optional
        The worths ``v(z_k)`` if already known; computed with :func:`coalition_worth` otherwise.

    Returns
    -------
    ndarray of shape (M,)
    """
    x, background = np.asarray(x, dtype=float), np.asarray(background, dtype=float)
    masks, weights = np.asarray(masks, dtype=bool), np.asarray(weights, dtype=float)
    worth = coalition_worth(f, x, background, masks) if worth is None else np.asarray(worth, dtype=float)
    base, fx = f(background).mean(), f(x[None, :])[0]
    A = masks[:, :-1].astype(float) - masks[:, -1:]                                    # phi_M eliminated
    root = np.sqrt(weights)[:, None]
    rest = np.linalg.lstsq(A * root, (worth - base - masks[:, -1] * (fx - base)) * root[:, 0], rcond=None)[0]
    return np.append(rest, fx - base - rest.sum())


def read_coalitions(rows, x, background, *, rtol: float = 1e-5):
    """The coalitions behind rows of mixed inputs, as KernelSHAP builds them.

    A row of coalition ``z`` is ``np.where(z, x, background[b])``: its features in ``z`` come from
    ``x`` and all the others from ONE background row ``b``. Rows equal to ``x`` (the full coalition)
    or to a background row (the empty one) are skipped.

    Parameters
    ----------
    rows : array-like of shape (R, M), or a list of such arrays
        What a model was called on (e.g. recorded by a wrapper around it).
    x : array-like of shape (M,)
    background : array-like of shape (B, M)
    rtol : float, default=1e-5
        A value comes from x or a background row when it equals it to ``rtol`` of the largest value.

    Returns
    -------
    masks : ndarray of bool of shape (K, M)
        The distinct coalitions (True: the feature comes from ``x``).
    counts : ndarray of int of shape (K,)
        How often each coalition was evaluated on every background row.

    Raises
    ------
    ValueError
        A row has another number of features, is not such a mix, or some coalition was evaluated on
        some background rows more often than on others; the message says which.
    """
    x, background = np.asarray(x, dtype=float), np.asarray(background, dtype=float)
    parts = [np.atleast_2d(np.asarray(part, dtype=float)) for part in (rows if isinstance(rows, list) else [rows])]
    if any(part.ndim != 2 or part.shape[1] != len(x) for part in parts):
        raise ValueError(f"f received rows without the M = {len(x)} features of x.")
    rows = np.concatenate(parts) if parts else np.empty((0, len(x)))
    (B, M), tol = background.shape, rtol * max(1.0, np.abs(x).max(), np.abs(background).max())
    from_x = np.abs(rows - x) <= tol                                                             # (R, M)
    fits = ((np.abs(rows[:, None, :] - background) <= tol) | from_x[:, None, :]).all(axis=2)     # (R, B)
    if not fits.any(axis=1).all():
        raise ValueError("f received a row that is not x with its other features taken from ONE background row: "
                         "for a coalition z, each row is `np.where(z, x, background[b])`, never a mean of "
                         "background rows or a mix of several.")
    inner = from_x.any(axis=1) & ~from_x.all(axis=1)
    codes, index = np.unique(from_x[inner] @ (1 << np.arange(M)), return_inverse=True)
    table = np.zeros((len(codes), B), dtype=int)
    np.add.at(table, (index, fits[inner].argmax(axis=1)), 1)
    if (table != table[:, :1]).any():
        raise ValueError(f"some coalition was not evaluated on each of the B = {B} background rows equally "
                         "often: v(z) is the average of f over ALL background rows, each once.")
    return (codes[:, None] >> np.arange(M)) & 1 == 1, table[:, 0]


def kernel_problem(rng: np.random.Generator, M: int, B: int, *, gap: float = 1e-3):
    """A model, an input and a background to test KernelSHAP on (the checks of exercise 2.3 use it).

    The model is non-linear, with interactions (a product and a tanh of all features), so wrong
    weights change its SHAP values; in every column the values of ``x`` and of the background rows
    lie at least ``gap`` apart, so that the coalition behind a mixed row can be read back
    (:func:`read_coalitions`). The model refuses anything but an array of shape (n, M).

    Returns
    -------
    f : callable, (n, M) -> (n,)
    x : ndarray of shape (M,)
    background : ndarray of shape (B, M)
    """
    w, u, second = rng.normal(0, 1, M), rng.normal(0, 0.8, M), min(1, M - 1)

    def f(X):  # X: (n, M) -> (n,)
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != M:
            raise ValueError(f"f expects an array of shape (n, {M}), got shape {X.shape}")
        return X @ w + 1.5 * X[:, 0] * X[:, second] + 2.0 * np.tanh(X @ u)

    while True:
        background, x = rng.normal(0, 1, (B, M)), rng.normal(0, 1.5, M)
        if np.diff(np.sort(np.vstack([background, x]), axis=0), axis=0).min() > gap:
            return f, x, background


class NotACoalition(TypeError):
    """A :class:`StrictGame` was asked for the worth of something that is not a frozenset."""


class StrictGame:
    """A game as a function that accepts exactly what the task promises: a frozenset of players.

    A list, a tuple or a set raises :class:`NotACoalition`; a frozenset that is not a subset of the
    players raises ``ValueError``. The checks hand games to the student's function in this form
    (and as plain dicts), so that an answer that queries the game any other way is named.
    """

    def __init__(self, table: dict, players: Sequence[Hashable]):
        self.table, self.players = dict(table), tuple(players)
        self.__name__ = "v"

    def __call__(self, coalition):
        if type(coalition) is not frozenset:
            raise NotACoalition(f"v accepts a frozenset of players, got a {type(coalition).__name__}")
        if coalition not in self.table:
            raise ValueError(f"v was called with {set(coalition)!r}, which is not a coalition of the "
                             f"players {self.players!r}")
        return self.table[coalition]


def dividend_game(players: Sequence[Hashable], rng: np.random.Generator, *, empty: float = 0.0,
                  symmetric: tuple = (), dummy: Hashable | None = None) -> dict:
    """A game ``v(S) = empty + sum of d_T over non-empty T within S`` with random integer d_T.

    Players in ``symmetric`` (a pair) are made interchangeable; ``dummy`` is in no T with d_T != 0.

    Returns
    -------
    dict
        ``{frozenset: worth}`` for every coalition of ``players``.
    """
    players = tuple(players)
    swap = {symmetric[0]: symmetric[1], symmetric[1]: symmetric[0]} if symmetric else {}
    dividends = {}
    for T in coalitions(players)[1:]:
        twin = frozenset(swap.get(p, p) for p in T)
        if dummy is not None and dummy in T:
            dividends[T] = 0.0
        elif twin in dividends:
            dividends[T] = dividends[twin]
        else:
            dividends[T] = float(rng.integers(-4, 10))
    return {S: empty + sum(d for T, d in dividends.items() if T <= S) for S in coalitions(players)}


# --------------------------------------------------------------------------------------------
# Drill D1

D1_PLAYERS = ("A", "B", "C")
D1_GAME = {frozenset(): 0.0, frozenset("A"): 10.0, frozenset("B"): 20.0, frozenset("C"): 30.0,
           frozenset("AB"): 40.0, frozenset("AC"): 50.0, frozenset("BC"): 60.0,
           frozenset("ABC"): 90.0}
D1_ORDERINGS = list(itertools.permutations(D1_PLAYERS))


# --------------------------------------------------------------------------------------------
# Models

