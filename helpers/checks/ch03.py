"""Checks for chapter 03: LIME, local surrogates. Oracles: the weighted least-squares fit recomputed on
the very perturbations the answer sent to the model (a :class:`Spy` records them, and their distribution
is tested feature by feature); lime itself; scikit-learn's ``jaccard_score`` on top-k masks; lime again,
seed by seed, for drill D4. The multiple-choice key is not here: the hidden test passes it."""

from __future__ import annotations

import functools
import itertools

import numpy as np
from lime.lime_tabular import LimeTabularExplainer
from scipy import stats
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.metrics import jaccard_score

from helpers.lib import ch03 as lib

from ._core import Chapter, Exercise, Incorrect, as_float_array, call, choice
from ._idioms import Pitfall, Spy, check_seeded, close, diagnose, expect_close, inputs_unchanged

# The surrogate is recomputed on the answer's own perturbations, so only rounding separates it from
# a correct answer: float32 arithmetic through the weighted least-squares solve moved coef,
# intercept and R^2 by at most 6e-6 of their scale (270 cases measured). 1e-4 leaves a margin of 15;
# the closest pitfall (ddof=1 scales) moves the coefficients by 1.7e-3.
FIT_RTOL = 1e-4
# n perturbations, u = (z - x) / scale, should be independent N(0, 1) draws: the mean of u_j has
# standard error 1/sqrt(n), its standard deviation 1/sqrt(2n), a correlation 1/sqrt(n), the excess
# kurtosis of all n * p values sqrt(24 / (n p)). Six standard errors: a false alarm below 1e-8 per
# statistic. Uniform noise of variance 1 has excess kurtosis -1.2: 12 standard errors at n p = 2400.
STAT_Z = 6.0
# Kolmogorov-Smirnov test of each u_j against N(0, 1) for gross departures (a mixture, part of the rows
# shifted): reject below p = 1e-6, a false alarm below 1e-5 per check.
KS_ALPHA = 1e-6
# Against lime itself on other random numbers: the coefficients' and the intercept's differences have
# a standard deviation of at most 0.24% of the largest coefficient (150 seeds each, 3 to 7 features,
# 800 to 2000 samples); five of them (1.2%) plus a floor of 1%.
LIME_RTOL = 0.025
# Normal draws do not repeat: in float64 never, in float32 at most 2.2% of a feature's values (measured on
# 360 beds at n = 5000). A quarter of them repeated means rounded or clipped perturbations.
MAX_REPEATED = 0.25

_RESULT = "{'coef': ..., 'intercept': ..., 'r2': ...}"
_KERNEL = " (Step 3 of section 1 defines the kernel.)"
_R2 = " (Step 5 of section 1 defines the weighted R^2.)"
_CONSTANT = ("give a constant feature (standard deviation 0 in X_train, here feature {}) scale 1, as lime's "
             "StandardScaler does, so that it is perturbed with standard deviation 1 and kept in the fit.")
_NOT_X = "the surrogate's value at x, its fitted intercept b"


def _field(result, key, what, shape):
    """``result[key]`` (a dict) or ``result.key`` (a NamedTuple) as a float array of ``shape``."""
    value = result.get(key) if isinstance(result, dict) else getattr(result, key, None)
    if value is None:
        raise Incorrect(f"return {what}; your {type(result).__name__} has no {key!r}.")
    return as_float_array(value, key, shape=shape)


# Exercise 3.1: lime_explain


def _explain(answer, bed, width, n_samples, seed, constant):
    """Call the answer with a spy for f, check the rows it evaluated; return coef, intercept, r2, spy, u."""
    spy, x, X_train, state = Spy(bed.f), bed.x.copy(), bed.X_train.copy(), np.random.get_state()
    with inputs_unchanged(x=x, X_train=X_train):
        result = call(answer, spy, x, X_train, kernel_width=width, n_samples=n_samples, random_state=seed)
    if np.random.get_state()[2] != state[2] or not np.array_equal(np.random.get_state()[1], state[1]):
        raise Incorrect("your function used numpy's global generator (np.random.seed, np.random.normal...): "
                        "draw everything from one `np.random.default_rng(random_state)`.")
    U = _check_perturbations(spy, bed, n_samples, constant)  # before the result: it names the cause
    return (_field(result, "coef", _RESULT, x.shape), float(_field(result, "intercept", _RESULT, ())),
            float(_field(result, "r2", _RESULT, ())), spy, U)


def _check_perturbations(spy, bed, n_samples, constant):
    """The rows f was called on must be n_samples independent draws of x + scale * N(0, I)."""
    Z, scale = (spy.rows if spy.n_calls else np.empty((0, len(bed.x)))), bed.scale
    has_x = bool(np.all(Z == bed.x, axis=1).any())
    if len(Z) != n_samples or has_x:
        raise Incorrect(f"f was called on {len(Z)} rows in total for n_samples={n_samples}" + (", one of them x itself "
                        "(lime makes x its first row; the intercept is the surrogate's value at x, not f(x))" if has_x
                        else "") + ": evaluate f on exactly n_samples random perturbations, none of them x.")
    U, n = (Z - bed.x) / scale, len(Z)
    spread, slack = U.std(axis=0), STAT_Z / np.sqrt(n)
    if constant is not None and spread[constant] < 0.5:
        raise Incorrect("your perturbations hardly move a constant feature: " + _CONSTANT.format(constant))
    if np.any(np.abs(U.mean(axis=0)) > slack):
        at_mean = np.all(np.abs(((Z - bed.mean) / scale).mean(axis=0)) <= slack)
        raise Incorrect("your perturbations are " + ("centred on the training mean (lime's default, sample_around"
                        "_instance=False); this task samples around x" if at_mean else "not centred on x") +
                        ": z = x + scale * standard normal noise.")
    if np.any(np.abs(spread - 1) > slack / np.sqrt(2)):
        raw = np.all(np.abs(Z.std(axis=0) - 1) <= slack / np.sqrt(2))
        raise Incorrect(("your perturbations have standard deviation 1 in every feature's raw units" if raw else
                         "the spread of your perturbations is not X_train's standard deviation per feature") +
                        ": scale the noise of feature j by X_train's standard deviation of feature j.")
    if (abs(stats.kurtosis(U, axis=None)) > STAT_Z * np.sqrt(24 / U.size)
            or min(stats.kstest(u, "norm").pvalue for u in U.T) < KS_ALPHA):
        raise Incorrect("the offsets (z - x) / scale are not normally distributed (excess kurtosis and "
                        "Kolmogorov-Smirnov tests): draw standard normal noise, not uniform noise.")
    if len(np.unique(np.round(np.vstack([U, -U]), 9), axis=0)) < 2 * n:
        raise Incorrect("some of your perturbations repeat, or come in mirrored pairs z and 2x - z: draw every "
                        "row independently.")
    if max(n - len(np.unique(z)) for z in Z.T) > MAX_REPEATED * n:
        raise Incorrect("many values of a feature repeat across your perturbations: rounded or clipped noise? Keep "
                        "z = x + scale * standard normal noise as drawn.")
    lag = [np.corrcoef(u[:-1], u[1:])[0, 1] for u in U.T]
    if max(np.max(np.abs(np.corrcoef(U, rowvar=False) - np.eye(U.shape[1]))), np.max(np.abs(lag))) > slack:
        raise Incorrect("your perturbations are correlated (between features, or from one row to the next): "
                        "draw an independent standard normal number for every entry.")
    return U


def _wls(U, y, pi):
    """Weighted least squares of y on [1, U]: (intercept, coef)."""
    A, root = np.column_stack([np.ones(len(U)), U]), np.sqrt(pi)
    beta = np.linalg.lstsq(A * root[:, None], y * root, rcond=None)[0]
    return beta[0], beta[1:]


def _weighted_r2(y, prediction, pi, centre=None):
    centre = np.average(y, weights=pi) if centre is None else centre  # the weighted mean, or a pitfall's
    return 1.0 - np.sum(pi * (y - prediction) ** 2) / np.sum(pi * (y - centre) ** 2)


def _kernel(U, width, denominator=2.0):
    return np.exp(-np.sum(U ** 2, axis=1) / (denominator * width ** 2))


def _coef_pitfalls(U, Z, bed, y, width, given, constant):
    pi, p, ddof1 = _kernel(U, width), U.shape[1], bed.X_train.std(axis=0, ddof=1)
    U1, x = (Z - bed.x) / np.where(ddof1 > 0, ddof1, 1.0), bed.x
    fits = [
        (lambda: _wls(U, y, np.ones(len(y))), "no proximity weighting: every perturbation counts the same. "
         "Weight sample i by the kernel pi_i = exp(-d_i^2 / (2 w^2)) in the least-squares fit." + _KERNEL),
        (lambda: _wls(U, y, _kernel(U, width, 1.0)), "your weights are exp(-d^2 / w^2): the paper's kernel, or "
         "lime's applied twice (rows of A and y multiplied by pi, not sqrt(pi)). This chapter uses lime's "
         "convention sqrt(exp(-d^2 / w^2)) = exp(-d^2 / (2 w^2)), once." + _KERNEL),
        (lambda: _wls(U, y, _kernel(Z - x, width)), "your distances are in raw units; measure them on the "
         "standardised offsets (z - x) / scale, so that no feature dominates by its unit." + _KERNEL),
        (lambda: _wls(U, y, np.sqrt(pi)), "your fit weights each sample by sqrt(pi): pass pi itself as "
         "sample_weight, or multiply the rows of A and y by sqrt(pi)." + _KERNEL),
        (lambda: (0, Ridge(alpha=1.0).fit(U, y, sample_weight=pi).coef_), "your coefficients are shrunk like "
         "a ridge fit (lime's default Ridge(alpha=1)); this exercise asks for plain weighted least squares."),
        (lambda: _wls(U1, y, _kernel(U1, width)), "your scales use ddof=1; lime's StandardScaler, and this "
         "task, use X_train.std(axis=0) (ddof=0)."),
        (lambda: _wls(Z - x, y, pi), "your coefficients are slopes per raw unit. Fit the surrogate on the "
         "standardised offsets (z - x) / scale, so that coef[j] is the change of f per standard deviation."),
    ]
    if constant is not None:
        kept = np.arange(p) != constant
        fits.append((lambda: (0, np.insert(_wls(U[:, kept], y, pi)[1], constant, 0.0)),
                     "your fit drops the constant feature: " + _CONSTANT.format(constant)))
    for wrong, said in ((0.75, "0.75"), (np.sqrt(p), "sqrt(n_features)")) if given is None else ():
        fits.append((lambda wrong=wrong: _wls(U, y, _kernel(U, wrong)),
                     f"with kernel_width=None use lime's default 0.75 * sqrt(n_features), not {said}."))
    return [Pitfall(f"coef {k}", lambda fit=fit: fit()[1], message) for k, (fit, message) in enumerate(fits)]


def _nonlinear_case(answer, seed, n_features, n_samples, width, constant, random_state):
    """The surrogate recomputed exactly on the answer's own perturbations of a sine model."""
    bed = lib.lime_bed(seed + 1000, n_features, constant=constant, model="sine")
    coef, intercept, r2, spy, U = _explain(answer, bed, width, n_samples, random_state, constant)
    y = np.concatenate([np.atleast_1d(out) for out in spy.outputs]).astype(float)
    used = 0.75 * np.sqrt(n_features) if width is None else width
    pi = _kernel(U, used)
    b, c = _wls(U, y, pi)
    diagnose(coef, c, _coef_pitfalls(U, spy.rows, bed, y, used, width, constant), rtol=FIT_RTOL,
             otherwise=f"on a non-linear model (kernel_width={width}) your coefficients are not the weighted "
                       "least-squares fit on the perturbations you drew.")
    diagnose(intercept, b, [
        Pitfall("at the mean", lambda: b + c @ ((bed.mean - bed.x) / bed.scale), "your intercept is the surrogate's "
                "value at the training mean (lime's `explanation.intercept`); the task asks for its value at x "
                "(lime's `local_pred`)."),
        Pitfall("f(x)", lambda: float(bed.f(bed.x[None])[0]), "your intercept is f(x), the model's value; the task "
                f"asks for {_NOT_X}."),
        Pitfall("mean of y", lambda: np.average(y, weights=pi), "your intercept is the weighted mean of f over the "
                f"perturbations; the task asks for {_NOT_X}."),
    ], rtol=FIT_RTOL, otherwise=f"your intercept is not {_NOT_X}.")
    fitted = b + U @ c
    diagnose(r2, _weighted_r2(y, fitted, pi), [
        Pitfall("unweighted", lambda: _weighted_r2(y, fitted, np.ones(len(y))), "your R^2 is unweighted. Local "
                "fidelity is the weighted R^2: weight the squared errors and the spread by the kernel." + _R2),
        Pitfall("plain mean", lambda: _weighted_r2(y, fitted, pi, centre=y.mean()), "your R^2 measures the "
                "spread around the plain mean of y; use the weighted mean np.average(y, weights=pi)." + _R2),
    ], rtol=FIT_RTOL, otherwise="your r2 is not the weighted R^2 of your surrogate on your perturbations." + _R2)
    return coef


def _lime_library_case(answer, seed, n_features, n_samples, constant):
    """Against lime itself (other random numbers) on an additive model with separated effects."""
    bed = lib.lime_bed(seed + 2000, n_features, constant=constant, model="additive")
    coef, intercept, *_ = _explain(answer, bed, None, n_samples, seed, constant)
    explanation = LimeTabularExplainer(bed.X_train, mode="regression", discretize_continuous=False,
                                       sample_around_instance=True, feature_selection="none", random_state=seed
                                       ).explain_instance(bed.x, bed.f, num_features=n_features, num_samples=n_samples,
                                                          model_regressor=LinearRegression())
    library = np.array([dict(explanation.as_map()[1])[j] for j in range(n_features)])
    for yours, theirs, what in [(coef, library, "coefficients differ from lime's"),
                                (intercept, explanation.local_pred[0], "intercept differs from lime's `local_pred`")]:
        expect_close(yours, theirs, f"your {what} (sample_around_instance=True, discretize_continuous=False, plain "
                     "least squares) by more than the sampling noise.", rtol=LIME_RTOL, scale=np.max(np.abs(library)))


def _check_lime_explain(answer, *, seed=0, n_features=5, n_samples=2000, kernel_width=0.8, constant=1):
    for width in (kernel_width, None, kernel_width / 2):  # the narrow one leaves few effective samples
        _nonlinear_case(answer, seed, n_features, n_samples, width, constant, seed)
    check_seeded(lambda s: _nonlinear_case(answer, seed, n_features, n_samples, kernel_width, constant, s), seed + 1,
                 none_varies=True)
    _lime_library_case(answer, seed, n_features, n_samples, constant)


# Exercise 3.2: topk_jaccard


def _top(w, k, *, signed=False, smallest=False, high_ties=False):
    key = np.asarray(w, dtype=float) if signed else np.abs(np.asarray(w, dtype=float))
    order = np.argsort(key, kind="stable")[::-1] if high_ties else np.argsort(key if smallest else -key, kind="stable")
    return set(order[:k].tolist())


def _jaccard(a, b, k, *, per_k=False, **options):
    """The Jaccard index of the top-k sets of a and b (by |weight|, ties to the lower index), or a pitfall's."""
    A, B = _top(a, k, **options), _top(b, k, **options)
    return len(A & B) / (k if per_k else len(A | B))


_JACCARD_PITFALLS = [
    (dict(signed=True), "you ranked features by their signed weights: -9 matters as much as +9. Rank by |weight|."),
    (dict(smallest=True), "you took the k smallest weights; take the k largest in absolute value."),
    (dict(per_k=True), "you divided the overlap by k; the Jaccard index divides by the size of the union |A u B|."),
    (dict(high_ties=True), "on ties your top-k set takes the higher index; the task breaks ties by the lower index "
                           "(np.argsort(-np.abs(a), kind='stable')).")]


def _check_topk_jaccard(answer, *, seed=0, n_features=8, n_pairs=6):
    cases, values = lib.jaccard_cases(seed, n_features, n_pairs), []
    for a, b, k in cases:
        with inputs_unchanged(a=a, b=b):
            values.append(float(as_float_array(call(answer, a, b, k), "topk_jaccard's result", shape=())))
        if not 0.0 <= values[-1] <= 1.0:
            raise Incorrect(f"a Jaccard index lies in [0, 1]; yours is {values[-1]:.3f}.")
    diagnose(values, [jaccard_score(lib.topk_mask(a, k), lib.topk_mask(b, k)) for a, b, k in cases],
             [Pitfall(message, lambda o=o: [_jaccard(a, b, k, **o) for a, b, k in cases], message)
              for o, message in _JACCARD_PITFALLS],  # a pitfall is named when it explains every case
             otherwise="your values are not the Jaccard index of the two top-k sets (by |weight|, ties to the "
                       "lower index) on some of the pairs checked.")


# Drill D4: LIME instability


def _check_d4_runs(answer, *, seed=0, seeds=lib.D4_SEEDS, sizes=lib.D4_SIZES):
    setup, seeds, sizes = lib.cancer_setup(seed), list(seeds), list(sizes)
    shape, what = (len(sizes), len(seeds), setup.X_train.shape[1]), "{'weights': ..., 'r2': ...}"
    def run():
        x, X_train = setup.x.copy(), setup.X_train.copy()
        with inputs_unchanged(x=x, X_train=X_train):
            result = call(answer, setup.model.predict_proba, x, X_train, seeds=list(seeds), sizes=list(sizes))
        return _field(result, "weights", what, shape), _field(result, "r2", what, shape[:2])
    weights, r2 = run()
    expected = lib.lime_runs(setup.model.predict_proba, setup.x, setup.X_train, seeds=seeds, sizes=sizes)
    match = np.array([[close(w, e) for w, e in zip(*runs)] for runs in zip(weights, expected["weights"])])
    if not match.all():  # name the cause of the first run that differs from lime's
        s, i = np.argwhere(~match)[0]
        mine, right = weights[s, i], expected["weights"][s, i]
        if np.count_nonzero(mine) <= 10 < shape[2]:
            raise Incorrect(f"some weights are zero: lime keeps only num_features=10 by default; ask for all "
                            f"{shape[2]}.")
        lime_with = functools.partial(lib.lime_weights, setup.model.predict_proba, setup.x, setup.X_train,
                                      n_samples=sizes[s], random_state=seeds[i])
        for variant, message in [
            (lambda: -right, "your weights have the opposite sign: explain label 1 (explanation.as_map()[1])."),
            (lambda: next((r for r in expected["weights"][:, i] if close(mine, r)), right + 1), "your runs are in "
             "another order of the sizes: weights[s, i] is the run with sizes[s] and seeds[i], in the order given."),
            (lambda: right[np.argsort(-np.abs(right), kind="stable")], "your weights are in the order of `as_map()` "
             "(largest |weight| first), not in feature order: put the weight of feature j at position j."),
            (lambda: lime_with(sample_around_instance=False)[0], "your explainer samples around the training mean, "
             "lime's default (sample_around_instance=False): the task sets sample_around_instance=True."),
            (lambda: lime_with(discretize_continuous=True)[0], "your explainer turns the features into quartile "
             "indicators, lime's default: the task sets discretize_continuous=False."),
        ]:
            if close(mine, variant()):
                raise Incorrect(message)
        same = np.allclose(weights[s], weights[s, :1])
        if match.any() or same or not np.array_equal(run()[0], weights):
            raise Incorrect((f"all your runs with n_samples={sizes[s]} are the same" if same else f"your run for "
                             f"n_samples={sizes[s]}, seed {seeds[i]} differs from lime's") + ": the seed is not "
                            "applied to every run (lime issue 309): use a new explainer per run (random_state=seed).")
        raise Incorrect(f"your run for n_samples={sizes[s]}, seed {seeds[i]} differs from lime's with the "
                        "settings of the task (weights[s, i] for sizes[s] and seeds[i]).")
    expect_close(r2, expected["r2"], "your weights match lime's, but r2[s, i] should be that run's explanation.score.")
    return f"all {match.size} runs match lime's, seed by seed. More checks run when the notebook is graded."


def _agreement_pitfalls(weights, k):
    """Wrong pairs of seeds, then the top-k pitfalls of exercise 3.2 on all pairs i < j."""
    n = weights.shape[1]
    wrong = {"your mean includes each run compared with itself (always 1)": itertools.product(range(n), repeat=2),
             "you compared only neighbouring seeds (i, i + 1)": [(i, i + 1) for i in range(n - 1)],
             "you compared every seed with the first one only": [(0, j) for j in range(1, n)]}
    variants = ([(list(pairs), {}, said + ": average over the pairs i < j only.") for said, pairs in wrong.items()]
                + [(list(itertools.combinations(range(n), 2)), options, said) for options, said in _JACCARD_PITFALLS])
    return [Pitfall(message, lambda pairs=pairs, options=options: [
        np.mean([_jaccard(runs[i], runs[j], k, **options) for i, j in pairs]) for runs in weights], message)
        for pairs, options, message in variants]


def _check_d4_agreement(answer, *, seed=0, k=lib.D4_K, shape=(3, 6, 12), k_synthetic=3):
    setup = lib.cancer_setup(seed)
    runs = lib.lime_runs(setup.model.predict_proba, setup.x, setup.X_train, seeds=lib.D4_SEEDS,
                         sizes=(lib.D4_FEW // 2, lib.D4_FEW))  # small sizes: fast, and the most disagreement
    what = "{'agreement': ..., 'fidelity': ...}"
    for bed, kk in [(runs, k), (lib.noisy_runs(seed, shape), k_synthetic)]:
        weights, r2 = bed["weights"], bed["r2"]
        with inputs_unchanged(weights=weights, r2=r2):
            result = call(answer, weights, r2, k=kk)
        expected = lib.stability(weights, r2, k=kk)
        diagnose(_field(result, "agreement", what, (len(weights),)), expected["agreement"],
                 _agreement_pitfalls(weights, kk), otherwise=f"agreement[s] is not the mean top-{kk} Jaccard index "
                                                           "over all pairs of distinct seeds (ranked by |weight|).")
        diagnose(_field(result, "fidelity", what, (len(weights),)), expected["fidelity"], [
            Pitfall("last", lambda r2=r2: r2[:, -1], "fidelity[s] is the last seed's R^2; average over the seeds."),
            Pitfall("median", lambda r2=r2: np.median(r2, axis=1), "fidelity[s] is a median; use the mean.")],
            otherwise="fidelity[s] should be the mean R^2 over the seeds of size s.")


CHAPTER = Chapter("03", [
    Exercise("lime_explain", "3.1", "2. LIME from scratch", _check_lime_explain, forbidden={"lime": "the lime library"},
             hints=["Work in standardised units: draw the offsets u first (standard normal, one generator), and only "
                    "then turn them into rows z = x + scale * u for f. The kernel and the fit use u, never z.",
                    "scale = X_train.std(axis=0), with 1 where it is 0; the weights are pi = exp(-|u|^2 / (2 w^2)) "
                    "with w = 0.75 sqrt(p) by default. Weighted least squares is ordinary least squares after "
                    "multiplying each row of A = [1, u] and of y by sqrt(pi).",
                    "Outline: rng -> U of shape (n_samples, p) -> y = f(x + U * scale) -> pi -> lstsq on the "
                    "sqrt(pi)-scaled [1, U] and y -> coef = beta[1:], intercept = beta[0] (the value at u = 0, i.e. "
                    "at x) -> R^2 = 1 - weighted residual sum of squares / weighted total sum of squares around the "
                    "weighted mean of y."]),
    Exercise("topk_jaccard", "3.2", "5. How stable is an explanation?", _check_topk_jaccard,
             hints=["Compare SETS of feature indices, not the weights themselves: the order inside the top k does "
                    "not matter.",
                    "Rank by |weight|, largest first, with a stable sort so that ties go to the lower index "
                    "(np.argsort of the negated absolute values with kind='stable'); keep the first k indices.",
                    "Outline: top set of a, top set of b -> size of their intersection / size of their union."]),
    Exercise("d4_runs", "D4 (a)", "Drill D4 · LIME instability", _check_d4_runs, heading="reproducible runs",
             hints=["A LimeTabularExplainer seeded once moves its generator on at every call (lime issue 309): "
                    "what must happen for each run to depend on its own seed only?",
                    "Two loops, sizes outside and seeds inside, with a fresh explainer (random_state=seed) built "
                    "inside the inner loop. Ask for num_features equal to the number of features, so none is "
                    "left out.",
                    "`explanation.as_map()[1]` is a list of (feature index, weight) pairs sorted by |weight|: write "
                    "each weight at its index of a zero vector. `explanation.score` is the run's R^2."]),
    Exercise("d4_agreement", "D4 (b)", "Drill D4 · LIME instability", _check_d4_agreement,
             heading="agreement and fidelity",
             hints=["Each size is handled on its own: its agreement is an average over PAIRS of seeds, its fidelity "
                    "an average over seeds.",
                    "For one size, list the pairs i < j of seed indices (itertools.combinations does it), compute the "
                    "top-k Jaccard index of the two weight vectors of each pair, ranked by |weight| with ties to the "
                    "lower index, and average.",
                    "Outline: for s in range(n_sizes): agreement[s] = mean over pairs of J_k(weights[s, i], "
                    "weights[s, j]); fidelity[s] = mean of r2[s] over the seeds."]),
    Exercise("d4_why", "D4 (c)", "Drill D4 · LIME instability", choice("ABCD"), heading="why",
             hints=["What is random in a LIME explanation: the model, the kernel width, or the perturbations?",
                    "Count the numbers the surrogate estimates (30 slopes and an intercept) and the samples it "
                    "estimates them from at FEW; then look at what changed at MANY."]),
])

__getattr__ = CHAPTER.attribute
__all__ = CHAPTER.names
