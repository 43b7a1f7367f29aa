"""Checks for chapter 02: Shapley values and SHAP.

Oracles: ``shap.KernelExplainer`` with every coalition enumerated (its weighted regression then
returns the exact Shapley values), applied to a game encoded as a model of membership indicators
(:func:`game_shapley`) or to a model with a background data set; the four Shapley axioms; the
closed form of the Shapley kernel; and, for a linear model, ``phi_j = w_j (x_j - mean_j)`` where
``mean_j`` is the background's mean. The pitfalls the chapter warns about (uniform weights, a wrong
combinatorial factor, marginal contributions from one coalition only, no efficiency constraint...)
are recognised by name before the final comparison. Answer keys of the multiple-choice questions
are not here: the hidden tests of the solution notebook pass them in.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import shap

from ._core import Exercise, Incorrect, StudentError, as_float_array, call, check_choice
from ._games import Game, coalitions, dividend_game, game_shapley

__all__ = ["game_shapley", "D1_PLAYERS", "D1_GAME", "D1_ORDERINGS", "shapley_values",
           "shapley_kernel_weight", "kernel_shap", "d1_shapley", "d1_why"]

# Tolerances.
# Exact Shapley values of a game with integer worths: two correct answers differ only by float
# rounding of at most 2^8 terms, far below 1e-9 of the game's scale.
GAME_RTOL = 1e-9
# One kernel weight: a closed form in a few float operations, exact to ~1e-15 however written.
WEIGHT_RTOL = 1e-9
# Exact KernelSHAP (every coalition used): a correct regression solve agrees with shap to ~1e-12;
# 1e-6 of the scale also accepts huge finite weights (1e8 or more) for the empty and full
# coalitions instead of exact constraints. Weights of 1e6 leave an efficiency gap of ~1e-5: refused.
KERNEL_RTOL = 1e-6
# Sampled KernelSHAP on 10 features with 1,000 coalitions is a noisy estimate: in 400 simulated
# runs per sampling scheme, the largest error of one value was at most 0.22 (sizes drawn in
# proportion to the kernel), 0.43 (uniform subsets weighted by the kernel, the noisiest correct
# scheme) and 0.04 (paired sampling) times the norm of the exact values. 0.75 keeps every correct
# sampler safe; this check catches broken sampling, the exact branch catches wrong weights.
SAMPLED_RTOL = 0.75
# Naming a pitfall: the answer must match the pitfall's result closely (a correct solve of the
# same wrong regression agrees to ~1e-12), while that result differs from the exact values.
DIAGNOSIS_RTOL = 1e-4
# Game sizes the kernel-weight check walks through (5 first: it tells the pitfalls apart best).
KERNEL_SIZES = (5, 2, 3, 8)


# --------------------------------------------------------------------------------------------
# Exercise 2.1: exact Shapley values


def _weighted_marginals(game, weight):
    """sum over S in N without i of weight(|S|, M) (v(S + i) - v(S)), for each player i."""
    players, M = game.players, len(game.players)
    out = np.zeros(M)
    for k, i in enumerate(players):
        others = [p for p in players if p != i]
        for S in coalitions(others):
            out[k] += weight(len(S), M) * (game.table[S | {i}] - game.table[S])
    return out


# Pitfalls the chapter names: (label, how to compute it, message).
_SHAPLEY_PITFALLS = (
    (lambda g: np.array([g.table[frozenset([i])] - g.table[frozenset()] for i in g.players]),
     "your values are the marginal contributions to the EMPTY coalition only, v({i}) - v(empty): "
     "average over every coalition S of the other players, with the Shapley weights."),
    (lambda g: np.array([g.table[frozenset(g.players)] - g.table[frozenset(g.players) - {i}]
                         for i in g.players]),
     "your values are the marginal contributions to the coalition of ALL other players only, "
     "v(N) - v(N without i): average over every coalition S of the other players."),
    (lambda g: _weighted_marginals(g, lambda s, M: 1 / 2 ** (M - 1)),
     "uniform weights: you averaged the marginal contributions over the 2^(M-1) coalitions with "
     "equal weights (that is the Banzhaf value). The Shapley weight of a coalition S is "
     "|S|!(M-|S|-1)!/M!: coalitions of rare sizes weigh more."),
    (lambda g: _weighted_marginals(g, lambda s, M: math.factorial(s) * math.factorial(M - s)
                                   / math.factorial(M)),
     "wrong combinatorial factor: your weights look like |S|!(M-|S|)!/M!. The Shapley weight is "
     "|S|!(M-|S|-1)!/M! (the -1: player i itself is not among the M-|S| others)."),
)


def _close(a, b, rtol, scale=None):
    scale = max(1.0, float(np.max(np.abs(b)))) if scale is None else scale
    return np.allclose(a, b, rtol=0, atol=rtol * scale)


def _shapley_of(answer, game, what="your result"):
    players = list(game.players)
    result = call(answer, game, players)
    if isinstance(result, dict):
        raise Incorrect(f"{what} is a dict: return an array with one value per player, in the "
                        "order of `players`.")
    return as_float_array(result, what, shape=(len(players),))


def _check_additive(answer, players, rng):
    """On v(S) = c + sum of a_i, every marginal contribution of i is a_i: phi must be a."""
    a = rng.integers(1, 9, len(players)).astype(float)
    c = float(rng.integers(1, 5))
    game = Game(players, {S: c + sum(a[players.index(p)] for p in S) for S in coalitions(players)})
    phi = _shapley_of(answer, game)
    if _close(phi, a, GAME_RTOL):
        return
    ratio = phi / a
    if np.allclose(ratio, ratio[0], rtol=DIAGNOSIS_RTOL) and abs(ratio[0] - 1) > DIAGNOSIS_RTOL:
        raise Incorrect(
            f"wrong combinatorial factor: on an additive game v(S) = c + sum of a_i every marginal "
            f"contribution of i is a_i, so phi_i must be a_i; yours are {ratio[0]:.4g} times a_i. Your "
            f"weights over the coalitions of the other players add up to {ratio[0]:.4g} instead of 1: "
            "use |S|!(M-|S|-1)!/M!.")
    raise Incorrect("on an additive game v(S) = c + sum of a_i (with c = v(empty) != 0) each phi_i "
                    "must equal a_i, and yours do not: use differences v(S + i) - v(S), never v(S + i) "
                    "alone.")


def _check_game(answer, game):
    phi = _shapley_of(answer, game)
    exact = game_shapley(game, game.players)
    if _close(phi, exact, GAME_RTOL):
        return
    for compute, message in _SHAPLEY_PITFALLS:
        variant = compute(game)
        if _close(phi, variant, GAME_RTOL) and not _close(variant, exact, GAME_RTOL):
            raise Incorrect(message)
    if abs(phi.sum() - game.total) > GAME_RTOL * max(1.0, abs(game.total)):
        raise Incorrect(f"efficiency fails: your values sum to {phi.sum():.6g} but "
                        f"v(N) - v(empty) = {game.total:.6g}.")
    raise Incorrect(f"on a {len(game.players)}-player game your values add up correctly "
                    "(efficiency holds) but differ from shap's exact Shapley values: check that "
                    "every coalition S of the OTHER players appears once, with weight "
                    "|S|!(M-|S|-1)!/M!.")


def _check_shapley_values(answer, *, seed=0, n_players=4, players=None):
    rng = np.random.default_rng(seed)
    players = list(players) if players is not None else [f"p{k}" for k in range(n_players)]
    if len(players) < 1:
        raise ValueError("a game needs at least one player")
    _check_additive(answer, players, rng)
    _check_game(answer, dividend_game(players, rng, empty=float(rng.integers(-3, 4))))
    if len(players) >= 3:
        pair, dummy = (players[1], players[2]), players[0]
        game = dividend_game(players, rng, symmetric=pair, dummy=dummy)
        phi = _shapley_of(answer, game)
        if abs(phi[1] - phi[2]) > GAME_RTOL * max(1.0, np.abs(phi).max()):
            raise Incorrect(f"symmetry fails: players {pair[0]!r} and {pair[1]!r} are interchangeable "
                            "(v(S + i) = v(S + j) for every S without both) but get different values.")
        if abs(phi[0]) > GAME_RTOL * max(1.0, np.abs(phi).max()):
            raise Incorrect(f"dummy fails: player {dummy!r} adds nothing to any coalition "
                            f"(v(S + {dummy!r}) = v(S)) but gets {phi[0]:.4g}, not 0.")
        _check_game(answer, game)
    # Additivity: the values of v + w are the values of v plus those of w (no state kept between calls).
    first, second = (dividend_game(players, rng) for _ in range(2))
    phi_sum = _shapley_of(answer, first + second)
    phi_parts = _shapley_of(answer, first) + _shapley_of(answer, second)
    if not _close(phi_sum, phi_parts, GAME_RTOL):
        raise Incorrect("additivity fails: the values of the game v + w differ from the values of v "
                        "plus the values of w. Does your function keep results from an earlier call "
                        "(a cache keyed by coalition only)?")
    _check_game(answer, first + second)


shapley_values = Exercise(
    title="Exercise 2.1 shapley_values",
    check=_check_shapley_values,
    section="2. The Shapley formula",
    hints=[
        "For each player i, loop over every coalition S of the OTHER players "
        "(`itertools.combinations(others, r)` for r = 0, ..., M-1) and add the weighted marginal "
        "contribution v(S + i) - v(S).",
        "The weight depends only on |S|: `math.factorial(s) * math.factorial(M - s - 1) / "
        "math.factorial(M)`. Build coalitions as frozensets: `S = frozenset(combo)`, `S | {i}`.",
        "Return `np.array(values)` in the order of `players`. Test it on the glove game: the left "
        "glove's owner gets 4, each right glove 1.",
    ],
    forbidden={"shap": "the shap library"},
)


# --------------------------------------------------------------------------------------------
# Exercise 2.2: the Shapley kernel weight


def _as_weight(value, M, s):
    try:
        array = np.array(value, dtype=float)
    except (TypeError, ValueError):
        raise Incorrect(f"shapley_kernel_weight({M}, {s}) should return a number; got "
                        f"{type(value).__name__}.") from None
    if array.shape != ():
        raise Incorrect(f"shapley_kernel_weight({M}, {s}) should return one number; got an array of "
                        f"shape {array.shape}.")
    if np.isnan(array):
        raise Incorrect(f"shapley_kernel_weight({M}, {s}) returned NaN.")
    return float(array)


def _kernel_closed_form(M, s):
    if s in (0, M):
        return math.inf
    return (M - 1) / (math.comb(M, s) * s * (M - s))


def _check_kernel_weight(answer, *, sizes=KERNEL_SIZES):
    for M in sizes:
        got = np.array([_as_weight(call(answer, M, s), M, s) for s in range(M + 1)])
        for s in (0, M):
            if not (np.isinf(got[s]) and got[s] > 0):
                raise Incorrect(f"shapley_kernel_weight({M}, {s}) is {got[s]:.4g}: the empty and the "
                                "full coalition have INFINITE weight (return math.inf); KernelSHAP "
                                "enforces them as constraints instead of fitting them.")
        if M < 2:
            continue
        s = np.arange(1, M)
        inner, expected = got[1:M], np.array([_kernel_closed_form(M, k) for k in s])
        if np.allclose(inner, expected, rtol=WEIGHT_RTOL, atol=0):
            continue
        if np.allclose(inner, inner[0]):
            raise Incorrect(f"uniform instead of Shapley-kernel weights: your weights for M = {M} are "
                            "the same for every coalition size; the Shapley kernel puts most weight "
                            "on the smallest and largest coalitions.")
        if np.allclose(inner, (M - 1) / (s * (M - s)), rtol=WEIGHT_RTOL):
            raise Incorrect("your weight is (M-1)/(s(M-s)), the weight of ALL coalitions of size s "
                            "together; one coalition gets that divided by their number, C(M, s).")
        if not np.allclose(inner, inner[::-1], rtol=WEIGHT_RTOL):
            raise Incorrect(f"your weights for M = {M} are not symmetric: the Shapley kernel gives a "
                            "coalition of size s and one of size M - s the same weight.")
        ratio = inner / expected
        if np.allclose(ratio, ratio[0], rtol=WEIGHT_RTOL):
            raise Incorrect(f"your weights are {ratio[0]:.4g} times the Shapley kernel: use exactly "
                            "(M-1) / (C(M, s) s (M-s)).")
        raise Incorrect(f"for M = {M} your weights do not match (M-1) / (C(M, s) s (M-s)): check the "
                        "binomial coefficient C(M, s) = M! / (s! (M-s)!).")


shapley_kernel_weight = Exercise(
    title="Exercise 2.2 shapley_kernel_weight",
    check=_check_kernel_weight,
    section="5. KernelSHAP: Shapley values by weighted linear regression",
    hints=[
        "Two cases: s = 0 or s = M (return `math.inf`), and everything in between.",
        "`math.comb(M, s)` is the binomial coefficient C(M, s).",
    ],
    forbidden={"shap": "the shap library"},
)


# --------------------------------------------------------------------------------------------
# Exercise 2.3: KernelSHAP


def _test_model(rng, M):
    """A non-linear model with interactions between all features: linear + product + tanh."""
    w, u = rng.normal(0, 1, M), rng.normal(0, 0.8, M)
    second = 1 if M > 1 else 0

    def model(X):  # X: (n, M) -> (n,)
        X = np.asarray(X, dtype=float)
        return X @ w + 1.5 * X[:, 0] * X[:, second] + 2.0 * np.tanh(X @ u)
    return model


def _kernel_explainer(f, background, x):
    """shap.KernelExplainer's values at x with every coalition (exact, deterministic)."""
    M = len(x)
    explainer = shap.KernelExplainer(f, background, silent=True)
    values = explainer.shap_values(x[None, :], nsamples=2 ** M, l1_reg=False, silent=True)
    return np.asarray(values, dtype=float).reshape(M)


def _all_masks(M):
    """Every non-trivial coalition as a row of booleans: (2^M - 2, M)."""
    return (np.arange(1, 2 ** M - 1)[:, None] >> np.arange(M)) & 1 == 1


def _regression(f, x, background, masks, weights, *, impute_mean=False, swap=False):
    """Constrained weighted least squares of v(z) on z: the pitfalls' results, to name them."""
    M = len(x)
    base, fx = f(background).mean(), f(x[None, :])[0]
    present = ~masks if swap else masks  # swap: x where z_j = 0, the background where z_j = 1
    if impute_mean:
        values = f(np.where(present, x, background.mean(axis=0)))
    else:
        mixed = np.where(present[:, None, :], x, background)  # (K, B, M)
        values = f(mixed.reshape(-1, M)).reshape(len(masks), len(background)).mean(axis=1)
    root = np.sqrt(weights)[:, None]
    A = masks[:, :-1] - masks[:, -1:].astype(float)
    b = values - base - masks[:, -1] * (fx - base)
    rest = np.linalg.lstsq(A * root, b * root[:, 0], rcond=None)[0]
    return np.append(rest, fx - base - rest.sum())


_INFINITE_WEIGHTS = ("the empty and the full coalition have infinite kernel weight; do not put them "
                     "in the regression, enforce them as constraints (phi_0 = E[f(background)], "
                     "sum of phi = f(x) - phi_0).")


def _kernel_shap_of(answer, f, x, background, n_samples, seed):
    try:
        result = call(answer, f, x.copy(), background.copy(), n_samples=n_samples, random_state=seed)
    except StudentError as failure:
        if isinstance(failure.error, np.linalg.LinAlgError):  # inf or NaN weights in the solve
            raise Incorrect(f"your least-squares solve failed ({failure.error}): "
                            + _INFINITE_WEIGHTS) from None
        raise
    if isinstance(result, tuple):
        raise Incorrect("your function returned a tuple: return only the array of SHAP values (the "
                        "base value is f(background).mean()).")
    if isinstance(result, np.ndarray) and result.shape == x.shape and np.isnan(result).any():
        raise Incorrect("your values contain NaN: " + _INFINITE_WEIGHTS)
    return as_float_array(result, "your SHAP values", shape=(len(x),))


def _check_efficiency(phi, f, x, background):
    target = f(x[None, :])[0] - f(background).mean()
    if abs(phi.sum() - target) > KERNEL_RTOL * max(1.0, abs(target), np.abs(phi).max()):
        raise Incorrect(f"efficiency fails: your values sum to {phi.sum():.6g} but "
                        f"f(x) - E[f(background)] = {target:.6g}. Add the efficiency constraint "
                        "(eliminate one coefficient: phi_M = total - sum of the others).")


def _check_exact_mode(answer, rng, M, n_background, seed):
    f = _test_model(rng, M)
    background, x = rng.normal(0, 1, (n_background, M)), rng.normal(0, 1.5, M)
    n_samples = 2 ** M  # >= 2^M - 2: every coalition, the answer is exact
    phi = _kernel_shap_of(answer, f, x, background, n_samples, seed)
    _check_efficiency(phi, f, x, background)
    exact = _kernel_explainer(f, background, x)
    if _close(phi, exact, KERNEL_RTOL):
        return
    masks = _all_masks(M)
    s = masks.sum(axis=1)
    kernel = np.array([_kernel_closed_form(M, k) for k in s])
    diagnoses = [
        (_regression(f, x, background, masks, np.ones(len(masks))),
         "uniform instead of Shapley-kernel weights: with every coalition in the regression, "
         "each must be weighted by (M-1) / (C(M, s) s (M-s))."),
        (_regression(f, x, background, masks, (M - 1) / (s * (M - s))),
         "your weights miss the binomial coefficient: (M-1)/(s(M-s)) is the weight of all "
         "coalitions of size s together, one coalition gets (M-1) / (C(M, s) s (M-s))."),
        (_regression(f, x, background, masks, kernel, impute_mean=True),
         "you replaced the absent features by the background MEAN. KernelSHAP takes them from each "
         "background row in turn and averages f over the rows: for a non-linear f the two differ."),
        (_regression(f, x, background, masks, kernel, swap=True),
         "your masks are swapped: z_j = 1 means feature j takes its value from x, z_j = 0 from "
         "the background."),
    ]
    for variant, message in diagnoses:
        if _close(phi, variant, DIAGNOSIS_RTOL) and not _close(variant, exact, DIAGNOSIS_RTOL):
            raise Incorrect(message)
    raise Incorrect(f"with n_samples >= 2^M - 2 = {2 ** M - 2} every coalition must be used once "
                    f"and the result must equal shap.KernelExplainer's exact values on the same "
                    f"background; yours differ by up to {np.abs(phi - exact).max():.3g}.")


def _check_linear_closed_form(answer, rng, M, n_background, seed):
    w, b = rng.normal(0, 2, M), float(rng.normal())
    f = lambda X: np.asarray(X, dtype=float) @ w + b  # noqa: E731 - a model is a function
    background, x = rng.normal(0, 1, (n_background, M)), rng.normal(0, 1.5, M)
    n_samples = 6 * M  # far fewer than 2^M - 2: the sampled branch
    phi = _kernel_shap_of(answer, f, x, background, n_samples, seed)
    _check_efficiency(phi, f, x, background)
    closed = w * (x - background.mean(axis=0))
    if _close(phi, -closed, KERNEL_RTOL) and not _close(closed, 0 * closed, KERNEL_RTOL):
        raise Incorrect("for a linear model your values have the opposite sign of w_j (x_j - E[x_j]): "
                        "z_j = 1 means feature j takes its value from x.")
    if not _close(phi, closed, KERNEL_RTOL):
        raise Incorrect(f"for a linear model f(x) = w.x + b the SHAP values are w_j (x_j - E[x_j]) "
                        f"whatever coalitions are drawn (the regression fits exactly); with "
                        f"{M} features and n_samples={n_samples} yours differ by up to "
                        f"{np.abs(phi - closed).max():.3g}.")


def _check_sampled(answer, rng, M, n_background, n_samples, seed):
    f = _test_model(rng, M)
    background, x = rng.normal(0, 1, (n_background, M)), rng.normal(0, 1.5, M)
    phi = _kernel_shap_of(answer, f, x, background, n_samples, seed)
    _check_efficiency(phi, f, x, background)
    again = _kernel_shap_of(answer, f, x, background, n_samples, seed)
    if not np.allclose(phi, again):
        raise Incorrect("two calls with the same random_state gave different values: draw every "
                        "coalition from one generator, np.random.default_rng(random_state).")
    other = _kernel_shap_of(answer, f, x, background, n_samples, seed + 1)
    if np.allclose(phi, other):
        raise Incorrect(f"with n_samples={n_samples} < 2^M - 2 your function must sample coalitions, "
                        "but another random_state gave exactly the same values.")
    exact = _kernel_explainer(f, background, x)
    error = np.abs(phi - exact).max() / np.linalg.norm(exact)
    if error > SAMPLED_RTOL:
        raise Incorrect(f"with {M} features and n_samples={n_samples} one of your values is off from "
                        f"the exact one by {error:.0%} of the norm of the exact values (a correct "
                        f"sampler stays well under {SAMPLED_RTOL:.0%}): sample coalition sizes in "
                        "proportion to their total kernel weight (or weight each coalition by the "
                        "kernel), and keep the efficiency constraint.")


def _check_kernel_shap(answer, *, seed=0, n_features=4, n_background=8, n_sampled=10,
                       n_samples=1000):
    rng = np.random.default_rng(seed)
    _check_exact_mode(answer, rng, n_features, n_background, seed)
    _check_linear_closed_form(answer, rng, n_sampled, n_background, seed)
    _check_sampled(answer, rng, n_sampled, n_background, n_samples, seed)


kernel_shap = Exercise(
    title="Exercise 2.3 kernel_shap",
    check=_check_kernel_shap,
    section="5. KernelSHAP: Shapley values by weighted linear regression",
    hints=[
        "Three steps. (1) Coalitions: a boolean array `masks` of shape (K, M), all of them when "
        "2^M - 2 <= n_samples, else K = n_samples drawn at random. (2) Their values: "
        "`np.where(masks[:, None, :], x, background)` has shape (K, B, M); call f once on it "
        "reshaped to (K*B, M) and average over the B rows. (3) One weighted least-squares solve.",
        "Efficiency constraint: with total = f(x) - base, write phi_M = total - sum of the others. "
        "Then v(z) - base - z_M total = sum over j < M of phi_j (z_j - z_M): regress on the columns "
        "`masks[:, :-1] - masks[:, [-1]]`, multiply rows by sqrt(weight), `np.linalg.lstsq`.",
        "Sampling: draw the size s with probability proportional to (M-1)/(s(M-s)) for s = 1..M-1 "
        "(`rng.choice`), then a uniformly random subset of that size "
        "(`rng.random((K, M)).argsort(axis=1) < s[:, None]`); the sampled rows then all get weight 1.",
    ],
    forbidden={"shap": "the shap library"},
)


# --------------------------------------------------------------------------------------------
# Drill D1


D1_PLAYERS = ("A", "B", "C")
D1_GAME = {frozenset(): 0.0, frozenset("A"): 10.0, frozenset("B"): 20.0, frozenset("C"): 30.0,
           frozenset("AB"): 40.0, frozenset("AC"): 50.0, frozenset("BC"): 60.0,
           frozenset("ABC"): 90.0}
D1_ORDERINGS = list(itertools.permutations(D1_PLAYERS))


def _marginal_table(table, orderings):
    out = np.zeros((len(orderings), len(orderings[0])))
    for k, order in enumerate(orderings):
        before = frozenset()
        for player in order:
            out[k, D1_PLAYERS.index(player)] = table[before | {player}] - table[before]
            before = before | {player}
    return out


def _check_d1(marginals, phi):
    marginals = as_float_array(marginals, "d1_marginals", shape=(len(D1_ORDERINGS), len(D1_PLAYERS)))
    phi = as_float_array(phi, "d1_phi", shape=(len(D1_PLAYERS),))
    game = Game(D1_PLAYERS, D1_GAME)
    truth = _marginal_table(D1_GAME, D1_ORDERINGS)
    for k, order in enumerate(D1_ORDERINGS):
        path = " -> ".join(order)
        if abs(marginals[k].sum() - game.total) > GAME_RTOL:
            raise Incorrect(f"row {k} of d1_marginals (ordering {path}) adds up to "
                            f"{marginals[k].sum():g}; along any ordering the contributions add up "
                            f"to v(ABC) - v(empty) = {game.total:g}. Rows follow the orderings, "
                            "columns the players A, B, C.")
        for j, player in enumerate(D1_PLAYERS):
            if abs(marginals[k, j] - truth[k, j]) > GAME_RTOL:
                raise Incorrect(f"ordering {path}: the contribution of {player} is off. It is "
                                f"v(players before {player}, plus {player}) - v(players before "
                                f"{player}); column {j} holds player {player}.")
    for compute, message in _SHAPLEY_PITFALLS[:2]:
        if np.allclose(phi, compute(game)):
            raise Incorrect(message)
    if abs(phi.sum() - game.total) > GAME_RTOL:
        raise Incorrect(f"efficiency fails: your values sum to {phi.sum():g} but "
                        f"v(ABC) - v(empty) = {game.total:g}.")
    if not np.allclose(phi, marginals.mean(axis=0)):
        raise Incorrect("d1_phi should be the average of the rows of d1_marginals: every ordering "
                        "is equally likely.")
    if not _close(phi, game_shapley(game, D1_PLAYERS), GAME_RTOL):  # pragma: no cover - defensive
        raise Incorrect("d1_phi differs from shap's exact Shapley values of the game.")


d1_shapley = Exercise(
    title="Drill D1 (a) Shapley values by hand",
    check=_check_d1,
    section="Drill D1: a three-player game",
    hints=[
        "Row k of d1_marginals is the ordering D1_ORDERINGS[k], e.g. (B, A, C): B arrives first and "
        "adds v(B) - v(empty), then A adds v(AB) - v(B), then C adds v(ABC) - v(AB).",
        "Put each contribution in the column of its player (A, B, C), whatever the arrival order. "
        "d1_phi is the mean of the six rows.",
    ],
)
d1_why = Exercise(
    title="Drill D1 (b) why",
    check=check_choice,
    section="Drill D1: a three-player game",
    hints=["Compute v(AB) - v(A) - v(B), the same for AC and BC, and v(ABC) minus the singles and "
           "those three surpluses. Then apply symmetry to each piece (additivity lets you)."],
)
