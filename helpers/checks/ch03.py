"""Checks for chapter 03: LIME, local surrogates.

Oracles: the weighted least-squares fit recomputed on the very perturbations the student's code
sent to the model (whatever random numbers it drew), closed forms for a linear model (the
surrogate of ``f(z) = z @ w`` has ``coef = w * std`` and ``R^2 = 1``), the lime library on an
additive model whose effects are well separated, and ``sklearn.metrics.jaccard_score`` on top-k
masks. Answer keys of the multiple-choice question are not here: the hidden tests pass them in.
"""

from __future__ import annotations

import itertools

import numpy as np
from lime.lime_tabular import LimeTabularExplainer
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.metrics import jaccard_score

from ._core import Exercise, Incorrect, as_float_array, call, check_choice

__all__ = ["lime_explain", "topk_jaccard", "d4_runs", "d4_agreement", "d4_why",
           "lime_weights", "topk_mask"]

# Tolerances.
# The surrogate is recomputed on the student's own perturbations, so only rounding and the
# student's choice of solver separate the two fits: 3% of the largest coefficient leaves room for
# a pseudo-inverse or normal equations, while each pitfall the chapter names moves the
# coefficients by 14% or more on these inputs.
COEF_RTOL = 0.03
# Weighted R^2 of the student's own surrogate, recomputed: 0.02 absolute (an unweighted R^2
# differs by more than 0.1 here).
R2_TOL = 0.02
# A linear f is fitted exactly; 1% leaves room for rounding and for a tiny ridge penalty.
LINEAR_RTOL = 0.01
# The perturbations' per-feature mean may sit 6 standard errors from x (false alarm < 1e-8), and
# their per-feature standard deviation within 15% of X_train's (n >= 500 gives a 3% s.e.).
MEAN_Z = 6.0
SPREAD_RTOL = 0.15
# Against lime itself (other random samples): coefficients within 10% of the largest one; with
# 2000 samples the Monte Carlo error of these inputs is below 2%.
LIME_RTOL = 0.10
# D4 values are recomputed with the same library, seeds and settings: equal up to rounding.
EXACT_TOL = 1e-6
# A Jaccard index is a ratio of small integers: any other value is a different quantity.
JACCARD_TOL = 1e-9


# --------------------------------------------------------------------------------------------
# Shared tools


class _Recorder:
    """The model handed to the student's function: records every row it is called on."""

    def __init__(self, function):
        self.function, self.rows = function, []

    def __call__(self, Z):
        Z = np.array(Z, dtype=float)
        single = Z.ndim == 1
        Z2 = np.atleast_2d(Z)
        self.rows.append(Z2.copy())
        out = self.function(Z2)
        return out[0] if single else out

    @property
    def Z(self):
        return np.concatenate(self.rows) if self.rows else np.empty((0, 0))


def _problem(seed, n_features):
    """Training table with very different feature scales and an instance far from the mean."""
    rng = np.random.default_rng(seed)
    scales = np.exp(rng.uniform(np.log(0.05), np.log(50.0), n_features))
    X_train = rng.normal(size=n_features) * scales * 3 + rng.standard_normal((300, n_features)) * scales
    std, mean = X_train.std(axis=0), X_train.mean(axis=0)
    x = mean + rng.choice([-1.0, 1.0], n_features) * 1.2 * std
    return rng, X_train, x, std, mean


def _weighted_fit(Z, y, x, std, width, *, convention="lime", raw=False, ridge=0.0):
    """Weighted least squares of y on (Z - x) / std; returns coef and the weights used."""
    U = (Z - x) / std
    d2 = np.sum(((Z - x) if raw else U) ** 2, axis=1)
    if convention == "lime":
        weights = np.exp(-d2 / (2 * width ** 2))
    elif convention == "squared":
        weights = np.exp(-d2 / width ** 2)
    else:
        weights = np.ones(len(Z))
    if ridge:
        model = Ridge(alpha=ridge).fit(U, y, sample_weight=weights)
        return model.coef_, weights
    A = np.column_stack([np.ones(len(Z)), U])
    root = np.sqrt(weights)
    beta = np.linalg.lstsq(A * root[:, None], y * root, rcond=None)[0]
    return beta[1:], weights


def _weighted_r2(y, prediction, weights):
    mean = np.average(y, weights=weights)
    return 1.0 - np.sum(weights * (y - prediction) ** 2) / np.sum(weights * (y - mean) ** 2)


def _parse(result, n_features):
    """Read coef, intercept and r2 from a dict (or an object with those attributes)."""
    if result is None:
        raise Incorrect("lime_explain returned None: did you forget to `return` the dict?")
    parts = []
    for key in ("coef", "intercept", "r2"):
        if isinstance(result, dict):
            if key not in result:
                raise Incorrect(f"the returned dict has no key {key!r}: return "
                                "{'coef': ..., 'intercept': ..., 'r2': ...}.")
            parts.append(result[key])
        elif hasattr(result, key):
            parts.append(getattr(result, key))
        else:
            raise Incorrect(f"return a dict with keys 'coef', 'intercept' and 'r2'; got a "
                            f"{type(result).__name__}.")
    coef = as_float_array(parts[0], "coef", shape=(n_features,))
    intercept = float(as_float_array(parts[1], "intercept", shape=()))
    r2 = float(as_float_array(parts[2], "r2", shape=()))
    return coef, intercept, r2


def _relative_gap(a, b):
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-12))


def _explain(answer, f, x, X_train, width, n_samples, seed):
    recorder = _Recorder(f)
    result = call(answer, recorder, x.copy(), X_train.copy(), kernel_width=width,
                  n_samples=n_samples, random_state=seed)
    return _parse(result, len(x)), recorder.Z


def _check_perturbations(Z, x, X_train, n_samples):
    std, mean = X_train.std(axis=0), X_train.mean(axis=0)
    if Z.size == 0:
        raise Incorrect("your function never called f: evaluate the model on the perturbed samples.")
    if not n_samples <= len(Z) <= 2 * n_samples + 2:
        raise Incorrect(f"f was called on {len(Z)} rows in total for n_samples={n_samples}: "
                        "draw n_samples perturbations and evaluate f on them.")
    centre = Z.mean(axis=0)
    slack = MEAN_Z * Z.std(axis=0) / np.sqrt(len(Z))
    if np.any(np.abs(centre - x) > slack):
        if np.all(np.abs(centre - mean) <= slack):
            raise Incorrect("your perturbations are centred on the training mean, not on x (lime's "
                            "default sample_around_instance=False): sample z = x + std * noise.")
        raise Incorrect("your perturbations are not centred on x: sample z = x + std * noise.")
    ratio = Z.std(axis=0) / std
    if np.all(np.abs(ratio - 1) <= SPREAD_RTOL):
        return
    if np.all(np.abs(Z.std(axis=0) - 1) <= SPREAD_RTOL):
        raise Incorrect("your perturbations have standard deviation 1 in every feature's raw units; "
                        "scale the noise of feature j by X_train's standard deviation of feature j "
                        "(features here range over very different scales).")
    raise Incorrect("the spread of your perturbations per feature should equal X_train's standard "
                    "deviation of that feature (z = x + std * standard normal noise).")


# --------------------------------------------------------------------------------------------
# Exercise 3.1: lime_explain


def _linear_case(answer, seed, n_features, n_samples):
    rng, X_train, x, std, _ = _problem(seed, n_features)
    per_std = rng.permutation(np.linspace(3.0, 0.3, n_features)) * rng.choice([-1, 1], n_features)
    w, c = per_std / std, float(rng.normal())
    (coef, intercept, r2), Z = _explain(answer, lambda Z: Z @ w + c, x, X_train, None, n_samples, seed)
    _check_perturbations(Z, x, X_train, n_samples)
    if _relative_gap(coef, per_std) > LINEAR_RTOL:
        if _relative_gap(coef, w) <= LINEAR_RTOL:
            raise Incorrect("on a linear model your coefficients are the slopes per raw unit. Fit the "
                            "surrogate on the standardised offsets (z - x) / std, as lime does, so "
                            "that coef[j] is the effect of one standard deviation of feature j.")
        raise Incorrect("on a linear model f(z) = z @ w + c the surrogate must recover w * std exactly "
                        "(any weights fit a linear function perfectly); yours does not.")
    value_at_x = float(x @ w + c)
    if abs(intercept - value_at_x) > LINEAR_RTOL * (abs(value_at_x) + np.abs(per_std).sum()):
        raise Incorrect("intercept should be the surrogate's value at x (fit on (z - x) / std, or "
                        "evaluate your surrogate at x); on a linear model it equals f(x).")
    if abs(r2 - 1) > LINEAR_RTOL:
        raise Incorrect("a linear model is fitted exactly, so its weighted R^2 must be 1; yours is "
                        f"{r2:.3f}.")


def _sine(rng, x, std, n_features):
    amplitude = rng.uniform(0.5, 1.5, n_features) * rng.choice([-1, 1], n_features)
    phase = rng.uniform(0, 2 * np.pi, n_features)
    return lambda Z: np.sin(1.5 * (Z - x) / std + phase) @ amplitude


def _nonlinear_case(answer, seed, n_features, n_samples, width):
    rng, X_train, x, std, _ = _problem(seed + 1000, n_features)
    f = _sine(rng, x, std, n_features)
    (coef, intercept, r2), Z = _explain(answer, f, x, X_train, width, n_samples, seed)
    _check_perturbations(Z, x, X_train, n_samples)
    y = f(Z)
    used = 0.75 * np.sqrt(n_features) if width is None else width
    reference, weights = _weighted_fit(Z, y, x, std, used)
    if _relative_gap(coef, reference) > COEF_RTOL:
        pitfalls = [
            ("no proximity weighting: every perturbation counts the same. Weight sample i by the "
             "kernel pi_i = exp(-d_i^2 / (2 w^2)) in the least-squares fit.",
             dict(convention="none")),
            ("your kernel is exp(-d^2 / w^2); this chapter uses lime's convention "
             "sqrt(exp(-d^2 / w^2)) = exp(-d^2 / (2 w^2)).", dict(convention="squared")),
            ("your distances are in raw units; measure them on the standardised offsets "
             "(z - x) / std, so that no feature dominates by its scale.", dict(raw=True)),
            ("your coefficients are shrunk like a ridge fit (lime's default Ridge(alpha=1)); this "
             "exercise asks for plain weighted least squares, which a small total kernel weight "
             "does not bias.", dict(ridge=1.0)),
        ]
        if width is None:
            pitfalls.append(("with kernel_width=None use lime's default 0.75 * sqrt(n_features), "
                             "not 0.75: distances grow like sqrt(n_features).",
                             dict(width=0.75)))
        for message, options in pitfalls:
            other_width = options.pop("width", used)
            alternative, _ = _weighted_fit(Z, y, x, std, other_width, **options)
            if _relative_gap(coef, alternative) <= COEF_RTOL:
                raise Incorrect(message)
        raise Incorrect(f"on a non-linear model (kernel_width={width}) your coefficients differ by "
                        f"{100 * _relative_gap(coef, reference):.0f}% of the largest one from the "
                        "weighted least-squares fit on the perturbations you drew.")
    prediction = intercept + ((Z - x) / std) @ coef
    expected_r2 = _weighted_r2(y, prediction, weights)
    if abs(r2 - expected_r2) > R2_TOL:
        unweighted = _weighted_r2(y, prediction, np.ones(len(y)))
        if abs(r2 - unweighted) <= R2_TOL:
            raise Incorrect("your R^2 is unweighted. Local fidelity is the weighted R^2: weight the "
                            "squared errors and the variance (around the weighted mean) by the kernel.")
        raise Incorrect("your r2 is not the kernel-weighted R^2 of your surrogate on your perturbations.")
    return coef


def _lime_library_case(answer, seed, n_features, n_samples):
    """Against lime itself on an additive model whose effects are well separated."""
    rng, X_train, x, std, mean = _problem(seed + 2000, n_features)
    per_std = rng.permutation(np.geomspace(3.0, 3.0 / 2 ** (n_features - 1), n_features))
    per_std *= rng.choice([-1, 1], n_features)

    def f(Z):
        U = (Z - mean) / std
        return U @ per_std + 0.3 * np.tanh(U).sum(axis=1)

    (coef, _, _), _ = _explain(answer, f, x, X_train, None, n_samples, seed)
    explainer = LimeTabularExplainer(X_train, mode="regression", discretize_continuous=False,
                                     sample_around_instance=True, feature_selection="none",
                                     random_state=seed)
    explanation = explainer.explain_instance(x, f, num_features=n_features, num_samples=n_samples,
                                             model_regressor=LinearRegression())
    library = np.zeros(n_features)
    for j, value in explanation.as_map()[1]:
        library[j] = value
    top = min(3, n_features)
    if list(np.argsort(-np.abs(coef))[:top]) != list(np.argsort(-np.abs(library))[:top]):
        raise Incorrect(f"on an additive model with well-separated effects, your top {top} features "
                        "(by |coef|) are not lime's.")
    if _relative_gap(coef, library) > LIME_RTOL:
        raise Incorrect("your coefficients differ from lime's (LimeTabularExplainer with "
                        "sample_around_instance=True, discretize_continuous=False) by "
                        f"{100 * _relative_gap(coef, library):.0f}% of the largest one.")


def _check_lime_explain(answer, *, seed=0, n_features=5, n_samples=2000, kernel_width=0.8):
    _linear_case(answer, seed, n_features, n_samples)
    first = _nonlinear_case(answer, seed, n_features, n_samples, kernel_width)
    _nonlinear_case(answer, seed, n_features, n_samples, None)
    _nonlinear_case(answer, seed, n_features, n_samples, kernel_width / 2)  # few effective samples
    again = _nonlinear_case(answer, seed, n_features, n_samples, kernel_width)
    if not np.allclose(first, again):
        raise Incorrect("two calls with the same random_state gave different results: draw every "
                        "perturbation from np.random.default_rng(random_state).")
    other = _nonlinear_case(answer, seed + 1, n_features, n_samples, kernel_width)
    if np.allclose(other, first):
        raise Incorrect("random_state is ignored: another random_state gave the same explanation.")
    _lime_library_case(answer, seed, n_features, n_samples)


lime_explain = Exercise(
    title="Exercise 3.1 lime_explain",
    check=_check_lime_explain,
    section="2. LIME from scratch",
    hints=[
        "Four steps: draw n_samples perturbations z = x + std * N(0, 1); evaluate y = f(z); weight "
        "each by pi = exp(-d^2 / (2 w^2)) with d the length of (z - x) / std; fit a weighted linear "
        "model of y on (z - x) / std and report its weighted R^2.",
        "Weighted least squares is ordinary least squares after multiplying each row (and its "
        "target) by sqrt(pi): `np.linalg.lstsq(A * np.sqrt(pi)[:, None], y * np.sqrt(pi))` with "
        "A = [1, (z - x) / std]. The first entry is the intercept: the surrogate's value at x.",
        "Weighted R^2 = 1 - sum(pi (y - g)^2) / sum(pi (y - ybar)^2), with ybar = "
        "np.average(y, weights=pi). Default width: 0.75 * sqrt(n_features).",
    ],
    forbidden={"lime": "the lime library"},
)


# --------------------------------------------------------------------------------------------
# Exercise 3.2: topk_jaccard


def topk_mask(weights, k):
    """Boolean mask of the k entries of largest absolute value (for demonstrations and checks)."""
    weights = np.asarray(weights, dtype=float)
    mask = np.zeros(weights.shape[-1], dtype=bool)
    mask[np.argsort(-np.abs(weights), kind="stable")[:k]] = True
    return mask


def _jaccard(a, b, k, *, signed=False, smallest=False, per_k=False):
    def top(w):
        key = w if signed else np.abs(w)
        order = np.argsort(key if smallest else -key, kind="stable")[:k]
        return set(order.tolist())

    A, B = top(np.asarray(a, float)), top(np.asarray(b, float))
    return len(A & B) / (k if per_k else len(A | B))


def _check_topk_jaccard(answer, *, seed=0, n_features=8, n_pairs=6):
    a = np.array([-9.0, 1.0, 8.0, -7.0, 0.5, 2.0])
    b = np.array([9.0, -1.0, 8.5, 7.0, 0.4, -2.0])
    value = _call_jaccard(answer, a, b, 3)
    if abs(value - _jaccard(a, b, 3, signed=True)) < JACCARD_TOL and abs(value - 1.0) > JACCARD_TOL:
        raise Incorrect("you ranked features by their signed weight: a weight of -9 matters as much "
                        "as +9. Rank by the absolute value.")
    cases = [(a, b, 3), (a, -a, 2), (a, b[::-1].copy(), 4)]
    rng = np.random.default_rng(seed)
    for _ in range(n_pairs):
        u, v = rng.standard_normal((2, n_features)) * rng.uniform(0.5, 3, n_features)
        cases.append((u, v, int(rng.integers(1, n_features))))
    cases.append((u, v, n_features))
    for a, b, k in cases:
        a_before, b_before = a.copy(), b.copy()
        value = _call_jaccard(answer, a, b, k)
        if not (np.array_equal(a, a_before) and np.array_equal(b, b_before)):
            raise Incorrect("your function changed its input arrays (an in-place sort?): work on copies.")
        expected = jaccard_score(topk_mask(a, k), topk_mask(b, k))
        if abs(value - expected) <= JACCARD_TOL:
            continue
        if abs(value - _jaccard(a, b, k, per_k=True)) <= JACCARD_TOL:
            raise Incorrect("you divided the overlap by k; the Jaccard index divides by the size of the "
                            "union |A u B|, which is larger than k when the sets differ.")
        if abs(value - _jaccard(a, b, k, smallest=True)) <= JACCARD_TOL:
            raise Incorrect("you took the k smallest weights; take the k largest in absolute value.")
        if abs(value - _jaccard(a, b, k, signed=True)) <= JACCARD_TOL:
            raise Incorrect("you ranked features by their signed weight; rank by the absolute value.")
        raise Incorrect(f"for k={k} and {len(a)} features your value is not the Jaccard index of the "
                        "two top-k sets (by |weight|).")


def _call_jaccard(answer, a, b, k):
    value = as_float_array(call(answer, a, b, k), "topk_jaccard's result", shape=())
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise Incorrect(f"a Jaccard index lies in [0, 1]; yours is {value:.3f}.")
    return value


topk_jaccard = Exercise(
    title="Exercise 3.2 topk_jaccard",
    check=_check_topk_jaccard,
    section="5. How stable is an explanation?",
    hints=[
        "Turn each weight vector into the SET of the indices of its k largest |weights|, then "
        "return |A & B| / |A | B|.",
        "`set(np.argsort(-np.abs(a))[:k].tolist())` is the top-k set of a. Python sets have & "
        "(intersection) and | (union).",
    ],
)


# --------------------------------------------------------------------------------------------
# Drill D4: LIME instability


def lime_weights(predict_fn, x, X_train, *, n_samples, seed, kernel_width=None, label=1):
    """One lime explanation (fresh explainer, seed honoured): weights of every feature and R^2.

    The settings of drill D4: ``LimeTabularExplainer(X_train, mode="classification",
    discretize_continuous=False, sample_around_instance=True, kernel_width=kernel_width,
    random_state=seed)`` and ``explain_instance(x, predict_fn, num_features=n_features,
    num_samples=n_samples)``.

    Returns
    -------
    weights : ndarray of shape (n_features,)
    r2 : float
    """
    X_train = np.asarray(X_train, dtype=float)
    explainer = LimeTabularExplainer(X_train, mode="classification", discretize_continuous=False,
                                     sample_around_instance=True, kernel_width=kernel_width,
                                     random_state=seed)
    explanation = explainer.explain_instance(np.asarray(x, dtype=float), predict_fn,
                                             num_features=X_train.shape[1], num_samples=n_samples)
    weights = np.zeros(X_train.shape[1])
    for j, value in explanation.as_map()[label]:
        weights[j] = value
    return weights, float(explanation.score)


def _check_d4_runs(weights, r2, *, predict_fn, x, X_train, seeds, sizes):
    seeds, sizes = list(seeds), list(sizes)
    n_features = np.asarray(X_train).shape[1]
    weights = as_float_array(weights, "d4_weights", shape=(len(sizes), len(seeds), n_features))
    r2 = as_float_array(r2, "d4_r2", shape=(len(sizes), len(seeds)))
    for s, size in enumerate(sizes):
        if len(seeds) > 1 and np.allclose(weights[s], weights[s][0]):
            raise Incorrect(f"all your runs with n_samples={size} are identical: each run must use "
                            "its own seed from SEEDS.")
    picks = sorted({0, len(seeds) // 2, len(seeds) - 1})
    for s, size in enumerate(sizes):
        for i in picks:
            reference, reference_r2 = lime_weights(predict_fn, x, X_train, n_samples=size, seed=seeds[i])
            mine = weights[s, i]
            if np.allclose(mine, reference, atol=EXACT_TOL):
                if abs(r2[s, i] - reference_r2) > EXACT_TOL:
                    raise Incorrect("d4_r2 should hold explanation.score, the surrogate's weighted R^2.")
                continue
            if np.allclose(mine, -reference, atol=EXACT_TOL):
                raise Incorrect("your weights have the opposite sign: explain label 1 "
                                "(explanation.as_map()[1]).")
            if np.count_nonzero(mine) < n_features and np.count_nonzero(reference) == n_features:
                raise Incorrect("some weights are missing (zero): lime keeps only num_features=10 by "
                                f"default; ask for all {n_features}.")
            if i > 0:
                first, _ = lime_weights(predict_fn, x, X_train, n_samples=size, seed=seeds[0])
                if np.allclose(weights[s, 0], first, atol=EXACT_TOL):
                    raise Incorrect(f"the run for seed {seeds[0]} matches lime but the run for seed "
                                    f"{seeds[i]} does not: lime's explainer consumes its random "
                                    "state (lime issue 309). Reset `explainer.random_state = "
                                    "check_random_state(seed)` before each call, or build a fresh "
                                    "explainer with random_state=seed.")
            raise Incorrect(f"your run for n_samples={size}, seed {seeds[i]} differs from lime's with "
                            "the settings given in the task (order: sizes first, then seeds).")
    return ("your runs match lime's, seed by seed. This is the graded check.")


def _mean_pairwise(weights, k, **options):
    return float(np.mean([_jaccard(a, b, k, **options) for a, b in itertools.combinations(weights, 2)]))


def _check_d4_agreement(agreement, fidelity, *, weights, r2, k):
    weights = np.asarray(weights, dtype=float)
    r2 = np.asarray(r2, dtype=float)
    agreement = as_float_array(agreement, "d4_agreement", shape=(len(weights),))
    fidelity = as_float_array(fidelity, "d4_fidelity", shape=(len(weights),))
    for s, runs in enumerate(weights):
        expected = _mean_pairwise(runs, k)
        if abs(agreement[s] - expected) <= EXACT_TOL:
            continue
        n = len(runs)
        with_self = (expected * n * (n - 1) / 2 * 2 + n) / n ** 2
        if abs(agreement[s] - with_self) <= EXACT_TOL:
            raise Incorrect("your mean includes each run compared with itself (always 1): average "
                            "over the pairs i < j only.")
        if abs(agreement[s] - _mean_pairwise(runs, k, signed=True)) <= EXACT_TOL:
            raise Incorrect("you ranked by signed weights: the top-k sets are by |weight|.")
        if abs(agreement[s] - _mean_pairwise(runs, k, per_k=True)) <= EXACT_TOL:
            raise Incorrect("you divided the overlap by k, not by the size of the union.")
        raise Incorrect(f"d4_agreement[{s}] is not the mean top-{k} Jaccard index over all pairs of "
                        "seeds.")
    if not np.allclose(fidelity, r2.mean(axis=1), atol=EXACT_TOL):
        raise Incorrect("d4_fidelity[s] should be the mean R^2 (explanation.score) over the seeds.")
    return "your agreement and fidelity numbers match a recomputation. This is the graded check."


d4_runs = Exercise(
    title="Drill D4 (a) reproducible runs",
    check=_check_d4_runs,
    section="Drill D4: LIME instability",
    hints=[
        "One loop over the sizes, one over SEEDS. Before each `explain_instance`, reset "
        "`explainer.random_state = check_random_state(seed)` (or build a fresh explainer).",
        "`explanation.as_map()[1]` is a list of (feature index, weight): scatter it into "
        "np.zeros(n_features). `explanation.score` is the R^2.",
    ],
)
d4_agreement = Exercise(
    title="Drill D4 (b) agreement and fidelity",
    check=_check_d4_agreement,
    section="Drill D4: LIME instability",
    hints=["For each size: the Jaccard index of the top-K sets (by |weight|) for every pair of seeds "
           "i < j (`itertools.combinations`), averaged; and the mean of the R^2 values."],
)
d4_why = Exercise(
    title="Drill D4 (c) why",
    check=check_choice,
    section="Drill D4: LIME instability",
    hints=["What is random in a LIME explanation, and how many numbers does the surrogate estimate "
           "from how many samples?"],
)
