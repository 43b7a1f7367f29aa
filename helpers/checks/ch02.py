"""Checks for chapter 02: Shapley values and SHAP.

Oracles: ``shap.KernelExplainer`` with every coalition (exact) on games (``lib.game_shapley``) and models; the
Shapley axioms; the kernel's closed form. KernelSHAP is checked through what the answer evaluated: a :class:`Spy`
records the rows its ``f`` receives, the coalitions are read back from them, their sizes are tested against the
kernel's size distribution, and the constrained weighted least squares is solved again on those very coalitions.
Games come as the notebook writes them: dicts keyed by frozensets, and functions that accept only frozensets.
"""

from __future__ import annotations

import math

import numpy as np

from helpers.lib import ch02 as lib

from ._core import Chapter, Exercise, Incorrect, StudentError, as_float_array, call, choice
from ._idioms import Pitfall, Spy, check_seeded, close, diagnose, expect_close, inputs_unchanged

# Tolerances (measured on float32 versions of the answers, 20-30 seeds each).
# Games and kernel weights: the default 1e-6 of the scale (_idioms.close); float32 answers are off by
# at most 1.2e-7, the nearest pitfall by more than 1e-2.
# Enumerated KernelSHAP against shap (up to 8 features): float32 answers are off by at most 5.7e-7 of the
# scale, so 1e-5; the nearest pitfalls (uniform weights, no binomial) differ by >= 2e-4.
KERNEL_RTOL = 1e-5
# The regression solved again on the answer's own coalitions (4,000 rows, up to 13 features, condition
# number < 4): float32 answers agree to 1.3e-6 of the scale, so 1e-4; the kernel weight applied twice
# moves the values by >= 1.9e-2.
FIT_RTOL = 1e-4
# The sizes of n sampled coalitions: n_s ~ Binomial(n, p_s), p_s proportional to 1/(s(M-s)). Allowed:
# five standard errors sqrt(n p_s (1 - p_s)) plus a floor of 2 (small expected counts): a correct sampler
# fails with probability < 1e-5 (M - 1 sizes at 5.7e-7 each). At n = 4,000 and M = 12, uniform sizes miss
# size 1 by 15 standard errors, uniform subsets miss size 6 by 47: both fail on every seed.
# The subsets within a size: n draws of one of C equally likely subsets give D distinct ones, E[D] =
# C (1 - q^n) with q = 1 - 1/C, Var[D] = C (C-1) (1 - 2/C)^n + C q^n - C^2 q^(2n) (the occupancy problem).
# Allowed: D >= E[D] - 5 sd - 1. One permutation shared by all rows (nested coalitions) gives one subset
# per size, contiguous or cyclic windows at most M.
SIZE_Z, SIZE_FLOOR = 5.0, 2.0
# Reading coalitions back: a feature comes from x or a background row when it equals it to 1e-5 of the
# scale (float32 copies are off by < 1e-6); the test beds keep any two candidate values of a feature
# 1e-3 apart, so no row can be read two ways.
ROW_RTOL = 1e-5
# How often one call of kernel_shap may call f (the task says so): the background, x, and the rows of
# every coalition stacked in one array.
MAX_F_CALLS = 3


# Exercise 2.1: exact Shapley values


def _weighted(table, players, weight, *, difference=True):
    """sum over S in N without i of weight(|S|, M) (v(S + i) - v(S)), for each player i."""
    M, out = len(players), np.zeros(len(players))
    for k, i in enumerate(players):
        for S in lib.coalitions([p for p in players if p != i]):
            out[k] += weight(len(S), M) * (table[S | {i}] - difference * table[S])
    return out


_SHAPLEY_PITFALLS = (
    Pitfall("empty coalition", lambda t, P: np.array([t[frozenset([i])] - t[frozenset()] for i in P]),
            "your values are the marginal contributions to the EMPTY coalition only, v({i}) - v(empty): average over "
            "every coalition S of the other players, with the Shapley weights."),
    Pitfall("all others", lambda t, P: np.array([t[frozenset(P)] - t[frozenset(P) - {i}] for i in P]),
            "your values are the marginal contributions to the coalition of ALL other players only, v(N) - v(N "
            "without i): average over every coalition S of the other players."),
    Pitfall("Banzhaf", lambda t, P: _weighted(t, P, lambda s, M: 1 / 2 ** (M - 1)),
            "uniform weights: every coalition S weighs 1/2^(M-1) in your average (the Banzhaf value); the Shapley "
            "weight is |S|!(M-|S|-1)!/M!, more for coalitions of rare sizes."),
    Pitfall("factor", lambda t, P: _weighted(t, P, lambda s, M: 1 / math.comb(M, s)),  # |S|!(M-|S|)!/M!
            "wrong combinatorial factor: your weights look like |S|!(M-|S|)!/M!; the Shapley weight is "
            "|S|!(M-|S|-1)!/M! (player i itself is not among the M-|S| others)."),
    Pitfall("no difference", lambda t, P: _weighted(t, P, lambda s, M: 1 / (M * math.comb(M - 1, s)), difference=False),
            "your values weigh v(S + i) alone: a marginal contribution is the difference v(S + i) - v(S)."),
    Pitfall("sorted", lambda t, P: lib.game_shapley(t, P)[np.argsort(P) if len({type(p) for p in P}) == 1
                                                          else slice(None)],
            "your values are right but listed in the sorted order of the players: return phi[k] for players[k]."),
)


def _shapley_of(answer, table, players, *, as_dict):
    """The answer's values on the game, given as a dict or as a function; misuses of the game are named."""
    game = dict(table) if as_dict else lib.StrictGame(table, players)
    try:
        result = call(answer, game, list(players))
    except StudentError as failure:
        error, text = failure.error, str(failure.error)
        if isinstance(error, lib.NotACoalition) or "unhashable" in text or (
                as_dict and isinstance(error, KeyError) and type(error.args[0]) is not frozenset):
            raise Incorrect(f"your function asked the game for the worth of something that is not a frozenset "
                            f"({type(error).__name__}: {error}): build every coalition as a frozenset, "
                            "`frozenset(combo)`, `S | {i}`.") from None
        if isinstance(error, TypeError) and ("not callable" in text or "subscriptable" in text):
            raise Incorrect(f"the game was {'a dict {frozenset: worth}' if as_dict else 'a function'} and your "
                            f"function {'called' if as_dict else 'indexed'} it: a game comes as a dict OR as a "
                            "function; look a dict up as `v[S]`, call a function as `v(S)`.") from None
        raise
    if as_dict and (game.keys() != table.keys() or any(game[S] is not table[S] for S in table)):
        raise Incorrect("your function changed the game dict it was given: keep nothing in it.")
    if isinstance(result, dict):
        raise Incorrect("your result is a dict: return an array with one value per player, in the order of `players`.")
    return as_float_array(result, "your Shapley values", shape=(len(players),))


def _compare(phi, table, players, kind, otherwise=None):
    """Pass if phi are the exact values; else name the pitfall, the failed efficiency, or ``otherwise``."""
    total = table[frozenset(players)] - table[frozenset()]
    otherwise = otherwise or (f"on a {len(players)}-player game given as a {kind} your values add up correctly "
                              "(efficiency holds) but differ from shap's exact Shapley values: check that every "
                              "coalition S of the OTHER players appears once, with weight |S|!(M-|S|-1)!/M!.")
    if not close(phi.sum(), total):
        otherwise = f"efficiency fails: your values sum to {phi.sum():.6g} but v(N) - v(empty) = {total:.6g}."
    diagnose(phi, lib.game_shapley(table, players), _SHAPLEY_PITFALLS, (table, players), otherwise=otherwise)


def _check_shapley_values(answer, *, seed=0, n_players=4, players=None):
    rng = np.random.default_rng(seed)
    players = list(players) if players is not None else [f"p{k}" for k in rng.permutation(n_players)]
    a = rng.integers(1, 9, len(players))  # additive: v(S) = 3 + sum of a_i, every phi_i = a_i
    game = {S: 3.0 + sum(a[players.index(p)] for p in S) for S in lib.coalitions(players)}
    _compare(_shapley_of(answer, game, players, as_dict=True), game, players, "dict")
    game = lib.dividend_game(players, rng, empty=float(rng.integers(-3, 4)))
    _compare(_shapley_of(answer, game, players, as_dict=False), game, players, "function")
    if len(players) >= 3:  # symmetry and dummy, named before the comparison with shap
        (dummy, *pair) = players[:3]
        game = lib.dividend_game(players, rng, symmetric=pair, dummy=dummy)
        phi = _shapley_of(answer, game, players, as_dict=True)
        scale = max(1.0, np.abs(phi).max())
        expect_close(phi[1], phi[2], f"symmetry fails: players {pair[0]!r} and {pair[1]!r} are interchangeable "
                     "(v(S + i) = v(S + j) for every S without both) but get different values.", scale=scale)
        expect_close(phi[0], 0.0, f"dummy fails: player {dummy!r} adds nothing to any coalition "
                     f"(v(S + {dummy!r}) = v(S)) but gets {phi[0]:.4g}, not 0.", scale=scale)
        _compare(phi, game, players, "dict")
    first, second = (lib.dividend_game(players, rng) for _ in range(2))
    both = {S: first[S] + second[S] for S in first}
    phi = _shapley_of(answer, both, players, as_dict=False)
    parts = _shapley_of(answer, first, players, as_dict=True) + _shapley_of(answer, second, players, as_dict=False)
    expect_close(phi, parts, "additivity fails: the values of the game v + w differ from the values of v plus those "
                 "of w. Does your function keep results from an earlier call (a cache keyed by coalition only)?")
    _compare(phi, both, players, "function")


# Exercises 2.2 and 2.3: the Shapley kernel weight, KernelSHAP


_FORMULA = "(M-1) / (C(M, s) s (M-s))"
_UNIFORM = (f"uniform instead of Shapley-kernel weights: a coalition of size s weighs {_FORMULA}, most for the "
            "smallest and largest coalitions.")
_NO_BINOMIAL = ("your weights miss the binomial coefficient: (M-1)/(s(M-s)) is the weight of ALL coalitions of size s "
                "together; one coalition gets that divided by their number, C(M, s).")
_SWAPPED = "your masks are swapped: z_j = 1 means feature j takes its value from x, z_j = 0 from the background."
_INFINITE = ("the empty and the full coalition have infinite kernel weight; do not put them in the regression, "
             "enforce them as constraints (phi_0 = E[f(background)], sum of phi = f(x) - phi_0).")


def _kernel(M, s):
    """The Shapley kernel weight of one coalition of size s (an int or an array of ints) among M."""
    return (M - 1) / (np.vectorize(math.comb, otypes=[float])(M, s) * s * (M - s))


def _check_kernel_weight(answer, *, sizes=(5, 2, 3, 8)):  # 5 first: it tells the pitfalls apart best
    for M in sizes:
        got = [call(answer, M, s) for s in range(M + 1)]
        if not all(isinstance(w, (int, float, np.integer, np.floating)) and not np.isnan(w) for w in got):
            raise Incorrect(f"shapley_kernel_weight(M, s) should return one number (a float); for M = {M} your "
                            f"function returned {[type(w).__name__ for w in got]}.")
        got = np.array(got, dtype=float)
        if not (np.isinf(got[[0, M]]) & (got[[0, M]] > 0)).all():
            raise Incorrect(f"shapley_kernel_weight({M}, 0) and ({M}, {M}) are {got[0]:.4g} and {got[M]:.4g}: the "
                            "empty and the full coalition have INFINITE weight (return math.inf); KernelSHAP "
                            "enforces them as constraints instead of fitting them.")
        if M < 2:
            continue
        s, inner = np.arange(1, M), got[1:M]
        diagnose(inner, _kernel(M, s), (
            Pitfall("uniform", lambda M, s, w: np.full(M - 1, w[0]), _UNIFORM),
            Pitfall("no binomial", lambda M, s, w: (M - 1) / (s * (M - s)), _NO_BINOMIAL),
            Pitfall("multiple", lambda M, s, w: w[0] / _kernel(M, 1) * _kernel(M, s), f"your weights are "
                    f"{inner[0] / _kernel(M, 1):.4g} times the Shapley kernel: use exactly {_FORMULA}.")
        ), (M, s, inner), scale=_kernel(M, 1), otherwise=f"for M = {M} your weights do not match {_FORMULA}, which "
                 "is symmetric (sizes s and M - s weigh the same): check the binomial coefficient C(M, s).")


def _wls(f, x, background, masks, weights, *, swap=False):
    """The constrained least squares on these coalitions (with the worths of their complements if swap)."""
    worth = lib.coalition_worth(f, x, background, ~masks if swap else masks)
    return lib.kernel_regression(f, x, background, masks, weights, worth=worth)


class _Underdetermined(Incorrect):
    """The answer's solve failed on coalitions that do not determine the values: draw again."""


def _kernel_shap_of(answer, f, x, background, n_samples, seed):
    """The answer's values (checked for efficiency) and the coalitions it evaluated: (phi, masks, counts)."""
    spy = Spy(f)
    try:
        with inputs_unchanged(x=x, background=background):
            result = call(answer, spy, x, background, n_samples=n_samples, random_state=seed)
    except StudentError as failure:
        if not isinstance(failure.error, np.linalg.LinAlgError):
            raise
        try:  # a singular system: infinite weights, or (rarely, at the boundary) too few distinct coalitions
            masks, _ = lib.read_coalitions(spy.inputs, x, background, rtol=ROW_RTOL)
            few = np.linalg.matrix_rank(masks[:, :-1].astype(float) - masks[:, -1:]) < len(x) - 1
        except ValueError:
            few = False
        raise (_Underdetermined(f"your least-squares solve failed ({failure.error}): the {len(masks)} different "
                                "coalitions you drew cannot determine the values (np.linalg.lstsq accepts that)")
               if few else Incorrect(f"your least-squares solve failed ({failure.error}): {_INFINITE}")) from None
    if np.size(result) == len(x) and np.isnan(np.asarray(result, dtype=float)).any():
        raise Incorrect(f"your values contain NaN: {_INFINITE}")
    phi = as_float_array(result, "your SHAP values", shape=(len(x),))
    if spy.n_calls > MAX_F_CALLS:
        raise Incorrect(f"your function called f {spy.n_calls} times; the task allows {MAX_F_CALLS} (the background, "
                        "x, and all coalitions' rows stacked into ONE array of shape (K*B, M)).")
    target = f(x[None, :])[0] - f(background).mean()
    if not close(phi.sum(), target, rtol=KERNEL_RTOL, scale=max(1.0, abs(target), np.abs(phi).max())):
        raise Incorrect(f"efficiency fails: your values sum to {phi.sum():.6g} but f(x) - E[f(background)] = "
                        f"{target:.6g}. Add the constraint: phi_M = total - sum of the others.")
    try:  # the coalitions, read back from the rows f received
        return (phi, *lib.read_coalitions(spy.inputs, x, background, rtol=ROW_RTOL))
    except ValueError as error:
        raise Incorrect(str(error)) from None


def _check_enumerated(answer, f, x, background, n_samples, seed, exact):
    (phi, masks, _), M = _kernel_shap_of(answer, f, x, background, n_samples, seed), len(x)
    if len(masks) != 2 ** M - 2:
        raise Incorrect(f"with n_samples = {n_samples} >= 2^M - 2 = {2 ** M - 2} your function must use every "
                        f"coalition once; it evaluated {len(masks)} different ones. Check the switch "
                        "`2 ** M - 2 <= n_samples`.")
    s = masks.sum(axis=1)
    pitfalls = (
        Pitfall("uniform", lambda m: _wls(f, x, background, m, np.ones(len(m))), _UNIFORM),
        Pitfall("no binomial", lambda m: _wls(f, x, background, m, (M - 1) / (s * (M - s))), _NO_BINOMIAL),
        Pitfall("swapped", lambda m: _wls(f, x, background, ~m, _kernel(M, s), swap=True), _SWAPPED))
    diagnose(phi, exact, pitfalls, (masks,), rtol=KERNEL_RTOL,
             otherwise=f"with n_samples >= 2^M - 2 = {2 ** M - 2} every coalition is used once, weighted by "
             f"{_FORMULA}, and the result must equal shap.KernelExplainer's exact values on the same background; "
             f"yours differ by up to {np.abs(phi - exact).max():.3g}.")


def _check_sampled(answer, f, x, background, n_samples, seed):
    M, evaluated = len(x), []

    def run(random_state):
        for retry in range(3):  # a sample that cannot determine the values (P ~ 2e-4 at M = 4): draw again
            try:
                phi, *read = _kernel_shap_of(answer, f, x, background, n_samples, random_state)
                break
            except _Underdetermined:
                if retry == 2:
                    raise
                random_state = None if random_state is None else random_state + 7919
        evaluated.append(read)
        if read[1].sum() != n_samples:
            raise Incorrect(f"with n_samples = {n_samples} < 2^M - 2 = {2 ** M - 2} your function must draw exactly "
                            "n_samples coalitions of sizes 1 to M-1, with replacement, and evaluate each (repeats "
                            f"too); it evaluated {read[1].sum()}.")
        return phi

    phi = check_seeded(run, seed, none_varies=True)
    (masks, counts), sizes = evaluated[0], np.arange(1, M)
    p = 1 / (sizes * (M - sizes)) / np.sum(1 / (sizes * (M - sizes)))
    drawn = np.bincount(masks.sum(axis=1), weights=counts, minlength=M)[1:M]
    band = SIZE_Z * np.sqrt(n_samples * p * (1 - p)) + SIZE_FLOOR
    worst = np.argmax(np.abs(drawn - n_samples * p) - band)
    if abs(drawn[worst] - n_samples * p[worst]) > band[worst]:
        raise Incorrect(f"the sizes of your {n_samples} coalitions do not follow the Shapley kernel: "
                        f"{drawn[worst]:.0f} have size {worst + 1}, where sizes drawn with probability proportional to "
                        f"(M-1)/(s(M-s)) give {n_samples * p[worst]:.0f} +- {band[worst]:.0f}. Draw the size first "
                        "(`rng.choice`), then a uniformly random subset of that size.")
    for s in range(1, M):
        C, n, distinct = math.comb(M, s), int(counts[masks.sum(axis=1) == s].sum()), np.sum(masks.sum(axis=1) == s)
        q = 1 - 1 / C
        sd = np.sqrt(max(C * (C - 1) * (1 - 2 / C) ** n + C * q ** n - C ** 2 * q ** (2 * n), 0.0))
        if C >= 5 and n >= 20 and distinct < C * (1 - q ** n) - SIZE_Z * sd - 1:
            raise Incorrect(f"your {n} coalitions of size {s} contain only {distinct} different subsets, where "
                            f"uniformly random subsets of that size give about {C * (1 - q ** n):.0f}: draw a NEW "
                            "uniformly random subset for each coalition (`rng.permutation(M)[:s]` per row, or "
                            "`rng.random((K, M)).argsort(axis=1) < s[:, None]`).")
    if np.linalg.matrix_rank(masks[:, :-1].astype(float) - masks[:, -1:]) < M - 1:
        return  # too few distinct coalitions to pin the values down (rare at the boundary): skip
    pitfalls = (
        Pitfall("kernel twice", lambda m, c: _wls(f, x, background, m, c * _kernel(M, m.sum(axis=1))),
                "you weighted each sampled coalition by the Shapley kernel although its size was already drawn in "
                "proportion to the kernel: the kernel counts twice. Sampled coalitions get weight 1."),
        Pitfall("swapped", lambda m, c: _wls(f, x, background, ~m, c, swap=True), _SWAPPED))
    diagnose(phi, _wls(f, x, background, masks, counts), pitfalls, (masks, counts), rtol=FIT_RTOL,
             otherwise="your values do not solve the constrained least squares on the coalitions your function "
                       "evaluated, each with weight 1 (a coalition drawn twice counts twice): check the regression "
                       "(columns z_j - z_M, target v(z) - base - z_M (f(x) - base)).")


def _check_kernel_shap(answer, *, seed=0, n_features=4, n_background=6, n_sampled=12, n_samples=4000):
    rng = np.random.default_rng(seed)
    f, x, background = lib.kernel_problem(rng, n_features, n_background)
    exact, K = lib.exact_shap_values(f, x, background), 2 ** n_features - 2
    for n in (K, K + 1):  # the switch: from n_samples = 2^M - 2 on, every coalition
        _check_enumerated(answer, f, x, background, n, seed, exact)
    _check_sampled(answer, f, x, background, K - 1, seed)
    _check_sampled(answer, *lib.kernel_problem(rng, n_sampled, n_background), n_samples, seed)
    _kernel_shap_of(answer, *lib.kernel_problem(rng, 1, n_background), 1, seed)  # M = 1: phi = [f(x) - base]


# Drill D1


def _check_d1(marginals, phi):
    game, players = lib.D1_GAME, list(lib.D1_PLAYERS)
    marginals = as_float_array(marginals, "d1_marginals", shape=(len(lib.D1_ORDERINGS), len(players)))
    for k, order in enumerate(lib.D1_ORDERINGS):
        for n, player in enumerate(order):
            before, j = frozenset(order[:n]), players.index(player)
            if not close(marginals[k, j], game[before | {player}] - game[before]):
                raise Incorrect(f"ordering {' -> '.join(order)}: the contribution of {player} is off. It is "
                                f"v(S + {player}) - v(S), S the players before {player}, and goes in column {j}.")
    _compare(as_float_array(phi, "d1_phi", shape=(len(players),)), game, players, "dict", otherwise="d1_phi should "
             "be the average of the rows of d1_marginals: every ordering is equally likely.")


_KERNEL_SECTION = "5. KernelSHAP: Shapley values by weighted linear regression"
_D1_SECTION = "Drill D1 · A three-player game"

CHAPTER = Chapter("02", [
    Exercise("shapley_values", "2.1", "2. The Shapley formula", _check_shapley_values, hints=[
        "For each player i, loop over every coalition S of the OTHER players "
        "(`itertools.combinations(others, r)` for r = 0, ..., M-1) and add the weighted marginal "
        "contribution v(S + i) - v(S).",
        "The weight depends only on |S|: `math.factorial(s) * math.factorial(M - s - 1) / math.factorial(M)`. "
        "Build coalitions as frozensets: `S = frozenset(combo)`, `S | {i}`.",
        "A game is a dict or a function: define `worth(S)` once, as `v[S] if isinstance(v, dict) else v(S)`, "
        "and use it everywhere. Return `np.array(values)` in the order of `players`. On the glove game the "
        "left glove's owner gets 4, each right glove 1.",
    ], forbidden={"shap": "the shap library"}),
    Exercise("shapley_kernel_weight", "2.2", _KERNEL_SECTION, _check_kernel_weight, hints=[
        "Two cases: s = 0 or s = M (return `math.inf`), and everything in between.",
        "`math.comb(M, s)` is the binomial coefficient C(M, s).",
    ], forbidden={"shap": "the shap library"}),
    Exercise("kernel_shap", "2.3", _KERNEL_SECTION, _check_kernel_shap, hints=[
        "Three steps. (1) Coalitions: a boolean array `masks` of shape (K, M), all of them when "
        "2^M - 2 <= n_samples, else K = n_samples drawn at random. (2) Their worths: "
        "`np.where(masks[:, None, :], x, background)` has shape (K, B, M); call f once on it reshaped to "
        "(K*B, M) and average over the B rows. (3) One weighted least-squares solve.",
        "Efficiency constraint: with total = f(x) - base, write phi_M = total - sum of the others. Then "
        "v(z) - base - z_M total = sum over j < M of phi_j (z_j - z_M): regress on the columns "
        "`masks[:, :-1] - masks[:, [-1]]`, multiply rows by sqrt(weight), `np.linalg.lstsq`.",
        "Sampling: draw n_samples sizes with probability proportional to (M-1)/(s(M-s)) for s = 1..M-1 "
        "(`rng.choice`, with replacement), then a uniformly random subset of each size "
        "(`rng.random((K, M)).argsort(axis=1) < s[:, None]`); every sampled row gets weight 1. M = 1: the "
        "switch enumerates zero coalitions, and phi = [f(x) - base].",
    ], forbidden={"shap": "the shap library"}),
    Exercise("d1_shapley", "D1 (a)", _D1_SECTION, _check_d1, heading="Shapley values by hand", hints=[
        "Row k of d1_marginals is the ordering lib.D1_ORDERINGS[k], e.g. (B, A, C): B arrives first and adds "
        "v(B) - v(empty), then A adds v(AB) - v(B), then C adds v(ABC) - v(AB).",
        "Put each contribution in the column of its player (A, B, C), whatever the arrival order. d1_phi is "
        "the mean of the six rows.",
    ]),
    Exercise("d1_why", "D1 (b)", _D1_SECTION, choice("ABCD"), heading="why", hints=[
        "Compute v(AB) - v(A) - v(B), the same for AC and BC, and v(ABC) minus the singles and those three "
        "surpluses. Then apply symmetry to each piece (additivity lets you).",
        "Test each option on the numbers: which one gives 10 extra to every player here, and which of them is "
        "a property the Shapley value has in every game, not only in this one?",
    ]),
])
__getattr__ = CHAPTER.attribute
__all__ = CHAPTER.names
