"""Cooperative games for chapter 02's checks: the exact Shapley oracle and the games it is run on.

:func:`game_shapley` (a course reference implementation that notebooks may call) gets exact
Shapley values from ``shap.KernelExplainer`` with every coalition enumerated; :class:`Game` is the
worth table handed to a student's function; :func:`dividend_game` draws random games with chosen
symmetric and dummy players.
"""

from __future__ import annotations

import itertools

import numpy as np
import shap

from ._core import reference

__all__ = ["Game", "coalitions", "dividend_game", "game_shapley"]


def coalitions(players):
    """Every subset of ``players`` as a frozenset, from the empty set to the grand coalition."""
    return [frozenset(c) for r in range(len(players) + 1) for c in itertools.combinations(players, r)]


@reference
def game_shapley(v, players) -> np.ndarray:
    """Exact Shapley values of a cooperative game, computed by ``shap.KernelExplainer``.

    The game becomes a model of 0/1 membership indicators, ``model(z) = v({players i with z_i = 1})``,
    explained at ``x = (1, ..., 1)`` against the background row ``(0, ..., 0)``. Asked for at least
    2^M - 2 samples, KernelExplainer uses every coalition once and its answer is exact.

    Parameters
    ----------
    v : callable
        ``v(coalition)`` returns the worth (a number) of a ``frozenset`` of players.
    players : sequence of hashable, of length M (1 <= M <= 12)

    Returns
    -------
    ndarray of shape (M,)
        The Shapley value of each player, in the order of ``players``.
    """
    players = tuple(players)
    if not 1 <= len(players) <= 12:
        raise ValueError(f"players must hold 1 to 12 players, got {len(players)}")

    def model(Z):  # Z: (n, M) membership indicators
        return np.array([float(v(frozenset(p for p, z in zip(players, row) if z > 0.5))) for row in Z])

    M = len(players)
    explainer = shap.KernelExplainer(model, np.zeros((1, M)), silent=True)
    values = explainer.shap_values(np.ones((1, M)), nsamples=2 ** M, l1_reg=False, silent=True)
    return np.asarray(values, dtype=float).reshape(M)


class Game:
    """A game given by its table of worths; what the checks pass to the student's function.

    It accepts any iterable of players as a coalition (a frozenset, a set, a tuple, a list) and
    refuses anything that is not a subset of the players, with a message saying so.
    """

    def __init__(self, players, table):
        self.players, self.table = tuple(players), dict(table)
        self.__name__ = "v"

    def __call__(self, coalition):
        try:
            key = frozenset(coalition)
        except TypeError:
            raise TypeError(f"v expects a coalition (a frozenset of players), got {coalition!r}") from None
        if key not in self.table:
            raise ValueError(f"v was called with {set(key)!r}, which is not a coalition of the "
                             f"players {self.players!r}")
        return self.table[key]

    def __add__(self, other):
        return Game(self.players, {S: self.table[S] + other.table[S] for S in self.table})

    @property
    def total(self):
        return self.table[frozenset(self.players)] - self.table[frozenset()]


def dividend_game(players, rng, *, empty=0.0, symmetric=(), dummy=None):
    """A game ``v(S) = empty + sum of d_T over non-empty T within S`` with random integer d_T.

    Players in ``symmetric`` (a pair) are made interchangeable; ``dummy`` is in no T with d_T != 0.
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
    table = {S: empty + sum(d for T, d in dividends.items() if T <= S) for S in coalitions(players)}
    return Game(players, table)
