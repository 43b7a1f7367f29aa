"""Checks for chapter 07: Gower distance, counterfactual search, flip rate, group metrics, drill D7.

Every oracle is computed AFTER the student's function returns, from pristine copies (a deep copy of
the model taken before the call, copies of the inputs), so that nothing expected sits in a frame while
the answer runs. The oracles: the ``gower`` package (with explicit categorical columns) and a numpy
Gower; a brute-force search over the candidate grid for the counterfactual (the optimum is known on
every bed); the definition of the flip rate, replayed on the recorded model; fairlearn's
``MetricFrame`` and metric functions for the group metrics and the drill. Spy models record what the
answers queried: the counterfactual returned must be a row the answer asked the model about, and a
flip-rate answer may change the sensitive column only.
"""

from __future__ import annotations

import copy
import itertools

import gower
import numpy as np
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    equalized_odds_difference,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)

from helpers.lib import ch07 as lib

from ._core import Chapter, Exercise, Incorrect, as_float_array, call, choice
from ._idioms import Pitfall, SpyModel, close, diagnose, inputs_unchanged, within

# The gower package computes in float32: over at most 8 features its rounding stays below 1e-6 of the
# distances' scale (measured: 5e-8); 1e-5 leaves a margin, and every pitfall below moves a distance by
# more than 1e-3 on the beds.
GOWER_RTOL = 1e-5
# Costs of counterfactuals are Gower distances of grid rows, compared with the brute-force optimum:
# float32 answers round a cost by ~1e-7; 1e-6 separates ties from the next grid row (>= 1e-3 away).
COST_ATOL = 1e-6
# Rows and values the answer returned or queried are matched to the check's up to float32 rounding
# (relative 6e-8); 1e-6 of the scale leaves a margin and lies far below any grid step (>= 0.1).
REL = 1e-6
METRICS = ("selection_rate", "true_positive_rate", "false_positive_rate", "demographic_parity_difference",
           "equalized_odds_difference")


# --------------------------------------------------------------------------------------------
# 7.1 Gower distance

def _gower_pitfalls(a, b, ranges, categorical):
    a, b = np.asarray(a, float), np.asarray(b, float)
    diff = np.abs(a - b)
    scaled = np.divide(diff, ranges, out=np.zeros_like(diff), where=ranges > 0)
    cat = (diff > 0).astype(float)
    n_numeric = max(int((~categorical).sum()), 1)
    return [
        Pitfall("no range", lambda: np.where(categorical, cat, diff).mean(axis=-1), "your numeric terms are not "
                "divided by the feature's range: |a_j - b_j| / range_j puts dollars and years on one scale [0, 1]."),
        Pitfall("code difference", lambda: np.where(categorical, diff, scaled).mean(axis=-1), "a categorical "
                "feature counts |code_a - code_b|: codes are names, not amounts. Its term is 0 if equal, else 1."),
        Pitfall("sum", lambda: np.where(categorical, cat, scaled).sum(axis=-1), "your distances are sums over "
                "the features: Gower's distance is their MEAN (divide by the number of features)."),
        Pitfall("numeric count", lambda: np.where(categorical, cat, scaled).sum(axis=-1) / n_numeric, "you divided "
                "by the number of numeric features: divide by the number of ALL features."),
        Pitfall("similarity", lambda: 1 - np.where(categorical, cat, scaled).mean(axis=-1), "your values are "
                "similarities (1 - distance): return the distance, 0 for identical rows."),
        Pitfall("squared", lambda: np.where(categorical, cat, scaled ** 2).mean(axis=-1), "you squared the numeric "
                "terms: Gower's terms are |a_j - b_j| / range_j, not squared."),
        Pitfall("no mask", lambda: scaled.mean(axis=-1), "your categorical terms are scaled differences: use the "
                "`categorical` mask, 0 if equal, else 1, for those columns."),
    ]


def _gower_case(answer, a, b, ranges, categorical, what, shape):
    with inputs_unchanged(a=a, b=b, ranges=ranges, categorical=categorical):
        result = call(answer, a, b, ranges=ranges, categorical=categorical)
    try:
        yours = as_float_array(result, "your distances")
    except Incorrect as failure:
        if "NaN" not in str(failure):
            raise
        raise Incorrect(f"for {what} your distances are not all finite: a feature whose range is 0 (constant) "
                        "contributes 0, never |a - b| / 0.") from None
    if yours.shape != shape:
        raise Incorrect(f"for {what} your result has shape {yours.shape}, not {shape}: the rows broadcast like "
                        "numpy arrays and the features (the LAST axis) are averaged away.")
    if not np.all(np.isfinite(yours)):
        raise Incorrect(f"for {what} your distances are not all finite: a feature whose range is 0 (constant) "
                        "contributes 0, never |a - b| / 0.")
    expected = lib._gower(a, b, ranges, categorical)
    if np.ndim(a) == 1 and np.ndim(b) == 2 and len(b) > 1 and (~categorical).any():
        # the package's own ranges are those of a and b together: the beds pass exactly those.
        expected = gower.gower_matrix(a[None], b, cat_features=categorical)[0].astype(float)
        if not close(lib._gower(a, b, ranges, categorical), expected, rtol=GOWER_RTOL):
            raise RuntimeError("the Gower bed disagrees with the gower package")  # a defect of the bed
    with within(f"for {what}"):
        diagnose(yours, expected, _gower_pitfalls(a, b, ranges, categorical), rtol=GOWER_RTOL,
                 otherwise="your distances are not Gower's: the mean over ALL features of |a_j - b_j| / range_j "
                 "(numeric; 0 where the range is 0) and of 0 if equal, else 1 (categorical).")


def _check_gower(answer, *, seed=0, n_rows=6, n_features=5, n_categorical=2, zero_range=None):
    a, B, ranges, categorical = lib.gower_bed(seed, n_rows=n_rows, n_features=n_features,
                                              n_categorical=n_categorical, zero_range=zero_range)
    m, d = B.shape
    _gower_case(answer, a, B, ranges, categorical, "one row against many", (m,))
    _gower_case(answer, B, a, ranges, categorical, "many rows against one", (m,))
    A, _, ranges2, _ = lib.gower_bed(seed, n_rows=n_rows, n_features=n_features, n_categorical=n_categorical,
                                     zero_range=zero_range, one=False)
    _gower_case(answer, A, B, np.maximum(ranges, ranges2), categorical, "two arrays of rows, pair by pair", (m,))
    _gower_case(answer, a, a.copy(), ranges, categorical, "a row against itself", ())
    if zero_range is None and (~categorical).any():  # the edge case the task states: a constant feature
        a, B, ranges, _ = lib.gower_bed(seed, n_rows=n_rows, n_features=n_features, n_categorical=n_categorical,
                                        zero_range=int(np.flatnonzero(~categorical)[0]))
        _gower_case(answer, a, B, ranges, categorical, "rows with a constant feature (range 0)", (m,))


# --------------------------------------------------------------------------------------------
# 7.2 find_counterfactual

def _axes(case, *, keep_own_first):
    """Feasible values per column in the order given (x's own value first or last): for the pitfalls."""
    x, axes = case["x"], []
    for j, values in enumerate(case["candidates"]):
        values = [float(v) for v in values]
        values = [x[j]] if j in case["immutable"] else [v for v in values if j not in case["monotone"] or v >= x[j]]
        if x[j] not in values:
            values = [x[j], *values] if keep_own_first else [*values, x[j]]
        axes.append(values)
    return axes


def _first_valid(model, case, keep_own_first):
    x = case["x"]
    for z in itertools.product(*_axes(case, keep_own_first=keep_own_first)):
        z = np.array(z)
        if (z != x).any() and model.predict(z[None])[0] == case["target_class"]:
            return z
    return None


def _optimum(model, case, cost, *, immutable=None, monotone=None):
    """The smallest ``cost(x, Z)`` over the valid rows of the grid (inf when there is none)."""
    x = case["x"]
    Z = lib._grid(x, case["candidates"], set(case["immutable"] if immutable is None else immutable),
                  set(case["monotone"] if monotone is None else monotone))
    Z = Z[(Z != x).any(axis=1)]
    Z = Z[model.predict(Z) == case["target_class"]]
    return float(cost(x, Z).min()) if len(Z) else np.inf


def _same_rows(M, R):
    """For each row of M, whether it equals some row of R up to float32 rounding (1e-6 of the scale)."""
    scale = np.maximum(1.0, np.abs(R))[None]
    return (np.abs(M[:, None, :] - R[None]) <= REL * scale).all(axis=2).any(axis=1)


def _snapped(z, case):
    """z with each value within float32 rounding of a candidate value (or of x's) replaced by that value."""
    z = z.copy()
    for j, values in enumerate(case["candidates"]):
        options = np.append(np.asarray(values, dtype=float), case["x"][j])
        nearest = options[np.argmin(np.abs(options - z[j]))]
        if abs(nearest - z[j]) <= REL * max(1.0, abs(nearest)):
            z[j] = nearest
    return z


def _judge_counterfactual(result, spy, model, case):
    x, d, target = case["x"], len(case["x"]), case["target_class"]

    def gower_cost(x, Z):
        return lib._gower(x, Z, case["ranges"], case["categorical"])

    best = _optimum(model, case, gower_cost)
    if result is None:
        if np.isfinite(best):
            raise Incorrect("your function returned None, but a feasible row of the grid flips the prediction.")
        return
    z = _snapped(as_float_array(result, "your counterfactual", shape=(d,)), case)
    for j in case["immutable"]:
        if z[j] != x[j]:
            raise Incorrect(f"your counterfactual changes column {j}, which is immutable: keep x's value there.")
    for j in case["monotone"]:
        if z[j] < x[j]:
            raise Incorrect(f"your counterfactual lowers column {j}, which may only grow (age, education): keep "
                            "only candidate values >= x's.")
    for j in range(d):
        if z[j] != x[j] and not np.any(np.asarray(case["candidates"][j], float) == z[j]):
            raise Incorrect(f"column {j} of your counterfactual is not one of its candidate values (nor x's).")
    if not (z != x).any():
        raise Incorrect("your counterfactual is x itself: it must change something to flip the prediction.")
    if model.predict(z[None])[0] != target:
        raise Incorrect(f"the model does not predict class {target} for your counterfactual: it is not valid.")
    asked = [np.atleast_2d(M) for _, M, _ in spy.calls]
    if not any(M.shape[1] == d and _same_rows(M, z[None]).any() for M in asked):
        raise Incorrect("your function never asked the model about the row it returned: query the model "
                        "(`model.predict`) on the candidate rows and keep only those of the target class.")
    if not np.isfinite(best):
        raise Incorrect("no feasible row of the grid flips this prediction, yet you returned one.")
    cost = float(gower_cost(x, z[None])[0])
    if cost <= best + COST_ATOL:
        return
    cat, ranges = case["categorical"], case["ranges"]

    def scaled(x, Z):
        return np.divide(np.abs(Z - x), ranges, out=np.zeros_like(Z), where=ranges > 0)

    objectives = [
        ("unscaled", lambda x, Z: np.abs(Z - x).sum(axis=1), "you minimised the L1 distance on UNSCALED features: "
         "a year of age then costs as much as a dollar. Divide each change by the feature's range (Gower)."),
        ("codes", lambda x, Z: np.where(cat, np.abs(Z - x), scaled(x, Z)).mean(axis=1), "you counted a change "
         "of category as |code difference|: any change of a categorical column costs 1, whatever the codes."),
        ("count", lambda x, Z: (Z != x).sum(axis=1), "you minimised the number of changed features only: "
         "minimise the Gower distance (sparsity is reported, not the objective)."),
    ]
    for _, objective, message in objectives:
        if abs(float(objective(x, z[None])[0]) - _optimum(model, case, objective)) <= COST_ATOL:
            raise Incorrect(message)
    if any(f is not None and np.array_equal(f, z) for f in (_first_valid(model, case, k) for k in (True, False))):
        raise Incorrect("your counterfactual is the FIRST valid row your search met, not the nearest: evaluate "
                        "every feasible row and keep the one with the smallest Gower distance.")
    raise Incorrect("your counterfactual is valid and feasible but not the nearest: a valid feasible row of the "
                    "grid is closer to x in Gower distance.")


def _check_counterfactual(answer, *, seeds=(), hand=True, n_features=5, n_values=4):
    cases = lib.counterfactual_cases() if hand else []
    cases += [lib.counterfactual_bed(s, n_features=n_features, n_values=n_values, target_class=s % 2)
              for s in seeds]
    for case in cases:
        pristine = copy.deepcopy(case["model"])
        spy = SpyModel(case["model"])
        x, candidates = case["x"].copy(), [np.array(c, dtype=float) for c in case["candidates"]]
        with within(f"on the case '{case['name']}'"):
            with inputs_unchanged(x=x, ranges=case["ranges"]):
                result = call(answer, spy, x, case["target_class"], candidates=candidates, ranges=case["ranges"],
                              categorical=case["categorical"], immutable=case["immutable"],
                              monotone=case["monotone"])
            _judge_counterfactual(result, spy, pristine, case)
    return None


# --------------------------------------------------------------------------------------------
# 7.3 flip_rate

def _flips(model, X, s, values):
    before, flipped = model.predict(X), np.zeros(len(X), dtype=bool)
    for v in values:
        Z = X.copy()
        Z[:, s] = v
        flipped |= (model.predict(Z) != before) & (X[:, s] != v)
    return flipped


def _moved(model, X, s, values):
    """Rows whose probability of class 1 moves when the attribute is set to another value."""
    before, moved = model.predict_proba(X)[:, 1], np.zeros(len(X), dtype=bool)
    for v in values:
        Z = X.copy()
        Z[:, s] = v
        moved |= ~np.isclose(model.predict_proba(Z)[:, 1], before) & (X[:, s] != v)
    return moved


def _check_flip_rate(answer, *, seed=0, n_rows=200, n_features=5, values=(0, 1), sensitive=None):
    model, X, s, values = lib.flip_bed(seed, n_rows=n_rows, n_features=n_features, sensitive=sensitive,
                                       values=values)
    pristine, spy = copy.deepcopy(model), SpyModel(model)
    with inputs_unchanged(X=X):
        result = call(answer, spy, X, s, values=values)
    rate = float(as_float_array(result, "your flip rate", shape=()))
    others = np.delete(X, s, axis=1)
    for M in (np.atleast_2d(M) for _, M, _ in spy.calls):
        if M.shape[1] != X.shape[1] or not _same_rows(np.delete(M, s, axis=1), others).all():
            raise Incorrect("your function asked the model about rows in which columns other than the sensitive one "
                            "changed: change ONLY column `sensitive`, every other column as in X.")
    flipped = _flips(pristine, X, s, values)
    expected = float(flipped.mean())
    before = pristine.predict(X)

    def one_way(v):
        Z = X.copy()
        Z[:, s] = v
        return float((pristine.predict(Z) != before).mean())

    pitfalls = [*(Pitfall(f"to {v}", lambda v=v: one_way(v), "you set the attribute to one value for every row: "
                          "rows that already have it cannot flip, so only one direction is counted. Try every "
                          "OTHER value for each row.") for v in values),
                Pitfall("count", lambda: float(flipped.sum()), "your value is a count: return the SHARE of rows "
                        "that flip (between 0 and 1)."),
                Pitfall("kept", lambda: 1 - expected, "your value is the share of rows that do NOT flip."),
                Pitfall("probability", lambda: float(np.mean(_moved(pristine, X, s, values))), "you counted rows "
                        "whose probability changes: count those whose predicted CLASS changes.")]
    diagnose(rate, expected, pitfalls, otherwise="your flip rate is not the share of rows whose predicted class "
             "changes when only the sensitive column is set to another of `values`.")


# --------------------------------------------------------------------------------------------
# 7.4 group_metrics

def _as_groups(value, name, groups):
    if not isinstance(value, dict):
        raise Incorrect(f"result['{name}'] should be a dict {{group: value}}, got {type(value).__name__}.")
    keys = {str(k) for k in value}
    if keys != {str(g) for g in groups}:
        raise Incorrect(f"result['{name}'] has the keys {sorted(keys)}, not one per group {sorted(map(str, groups))}.")
    return {str(k): float(as_float_array(v, f"result['{name}'][{k!r}]", shape=())) for k, v in value.items()}


def _check_group_metrics(answer, *, seed=0, n=300, groups=("A", "B")):
    y_true, y_pred, s = lib.metrics_bed(seed, n=n, groups=groups)
    labels = s.copy()  # inputs_unchanged compares with equal_nan, which string arrays do not support
    with inputs_unchanged(y_true=y_true, y_pred=y_pred):
        result = call(answer, y_true, y_pred, s)
    if not np.array_equal(s, labels):
        raise Incorrect("your function changed the caller's `sensitive` in place: work on a copy.")
    if not isinstance(result, dict) or set(result) != set(METRICS):
        raise Incorrect(f"return a dict with exactly the keys {list(METRICS)}.")
    names = np.unique(s)
    frame = MetricFrame(metrics={"selection_rate": selection_rate, "true_positive_rate": true_positive_rate,
                                 "false_positive_rate": false_positive_rate}, y_true=y_true, y_pred=y_pred,
                        sensitive_features=s).by_group
    on_labels = MetricFrame(metrics=selection_rate, y_true=y_true, y_pred=y_true, sensitive_features=s).by_group
    for metric in METRICS[:3]:
        yours = _as_groups(result[metric], metric, names)
        order = [str(g) for g in frame.index]
        values = np.array([yours[g] for g in order])
        pitfalls = [Pitfall("labels", lambda: on_labels.to_numpy(float), "your selection rates are the groups' "
                            "shares of positive LABELS: the selection rate is the share of positive PREDICTIONS.")]
        if metric != "selection_rate":
            other = "false_positive_rate" if metric == "true_positive_rate" else "true_positive_rate"
            pitfalls.append(Pitfall("swapped", lambda other=other: frame[other].to_numpy(float), "your true and false "
                                    "positive rates are swapped: TPR = P(pred 1 | label 1), FPR = P(pred 1 | label 0)."))
        with within(f"result['{metric}']"):
            diagnose(values, frame[metric].to_numpy(float), pitfalls, otherwise="the rates per group differ from "
                     "fairlearn's MetricFrame on the same predictions: compute each within its group's rows only.")
    dp = float(as_float_array(result["demographic_parity_difference"], "the demographic parity difference", shape=()))
    rates = frame["selection_rate"].to_numpy(float)
    diagnose(dp, demographic_parity_difference(y_true, y_pred, sensitive_features=s), [
        Pitfall("signed", lambda: rates[-1] - rates[0], "your demographic parity difference has a sign: fairlearn's "
                "is max - min over the groups, never negative (aif360's signed convention is another one)."),
        Pitfall("signed", lambda: rates[0] - rates[-1], "your demographic parity difference has a sign: fairlearn's "
                "is max - min over the groups, never negative (aif360's signed convention is another one)."),
        Pitfall("ratio", lambda: rates.min() / rates.max(), "that is a ratio (min / max): the difference is max - min."),
        Pitfall("labels", lambda: float(np.ptp(on_labels.to_numpy(float))), "computed on the labels: use the "
                "predictions.")],
        otherwise="your demographic parity difference is not the largest minus the smallest selection rate.")
    eo = float(as_float_array(result["equalized_odds_difference"], "the equalized odds difference", shape=()))
    gaps = [float(np.ptp(frame[m].to_numpy(float))) for m in METRICS[1:3]]
    diagnose(eo, equalized_odds_difference(y_true, y_pred, sensitive_features=s), [
        Pitfall("mean", lambda: float(np.mean(gaps)), "you averaged the TPR and FPR gaps: fairlearn's equalized odds "
                "difference is the LARGER of the two (the worse case)."),
        Pitfall("tpr", lambda: gaps[0], "you used the TPR gap only (that is equal opportunity): take the larger of "
                "the TPR gap and the FPR gap."),
        Pitfall("fpr", lambda: gaps[1], "you used the FPR gap only: take the larger of the TPR gap and the FPR gap."),
        Pitfall("sum", lambda: float(sum(gaps)), "you added the two gaps: take the larger one.")],
        otherwise="your equalized odds difference is not the larger of the TPR gap and the FPR gap (max - min).")


# --------------------------------------------------------------------------------------------
# Drill D7

def _d7_truth(seed, model="proxy", labels=False):
    setup = lib.loan_setup(seed)
    m = getattr(setup, model)
    pred = setup.y_test if labels else m.predict(setup.X_test)
    s = setup.X_test[:, lib.GROUP]
    rates = MetricFrame(metrics=selection_rate, y_true=setup.y_test, y_pred=pred, sensitive_features=s).by_group
    return (lib.flip_rate(m, setup.X_test, lib.GROUP, values=(0, 1)),
            float(demographic_parity_difference(setup.y_test, pred, sensitive_features=s)), rates.to_numpy(float))


def _check_d7_numbers(flip, dp, rates, *, random_state=0):
    flip = float(as_float_array(flip, "d7_flip_rate", shape=()))
    dp = float(as_float_array(dp, "d7_dp_difference", shape=()))
    rates = as_float_array(rates, "d7_selection_rates", shape=(2,))
    truth, direct, labels = _d7_truth(random_state), _d7_truth(random_state, "direct"), _d7_truth(random_state,
                                                                                              labels=True)
    if close(rates, truth[2][::-1]) and not close(rates, truth[2]):
        raise Incorrect("d7_selection_rates is in the other order: group A (code 0) first, then group B.")
    for name, yours, k in (("d7_flip_rate", flip, 0), ("d7_dp_difference", dp, 1), ("d7_selection_rates", rates, 2)):
        diagnose(yours, truth[k], [
            Pitfall("direct", lambda k=k: direct[k], f"{name} is the DIRECT model's: the drill is about the proxy "
                    "model, `proxy`, which never reads the group column."),
            *([Pitfall("labels", lambda k=k: labels[k], f"{name} is computed on the labels y_test: selection rates "
                       "and demographic parity are about the model's PREDICTIONS.")] if k else [])],
            otherwise=f"{name} is not what the task's call gives for `proxy` on X_test (with y_test).")
    return "your numbers equal what the task's calls give; grading runs this same check."


_FAIRLEARN = {"fairlearn": "fairlearn"}
CHAPTER = Chapter("07", [
    Exercise("gower_distance", "7.1", "2. Distances for mixed features: L1 and Gower", _check_gower,
             forbidden={"gower": "the gower package"}, hints=[
        "Work feature by feature on the last axis: `diff = np.abs(a - b)` broadcasts one row against many.",
        "Numeric columns: `diff / ranges`, with 0 where the range is 0 (`np.divide(..., where=ranges > 0)`). "
        "Categorical columns: `diff > 0` as 0/1. Choose with `np.where(categorical, ...)`.",
        "Average the per-feature terms over the last axis: `.mean(axis=-1)`."]),
    Exercise("find_counterfactual", "7.2", "3. Searching for a feasible counterfactual", _check_counterfactual,
             hints=[
        "List the feasible values of each column first: x's own value for an immutable column, values >= x's for a "
        "monotone one, the candidates (and x's value) otherwise.",
        "Build every combination (`itertools.product` or `np.meshgrid`), ask the model about all of them in one "
        "`model.predict`, keep the rows of the target class other than x itself.",
        "Among the valid rows, return the one with the smallest Gower distance to x (or None if there is none)."]),
    Exercise("flip_rate", "7.3", "5. The counterfactual flip rate", _check_flip_rate, hints=[
        "Predict once on X as given; then, for each value in `values`, a copy of X with only the sensitive column set "
        "to that value.",
        "A row flips if its prediction changes for some value other than its own: rows that already have the value "
        "cannot flip for it. Combine the values with `|`.",
        "Return the mean of the boolean `flipped` array."]),
    Exercise("group_metrics", "7.4", "6. Group metrics and fairlearn", _check_group_metrics, forbidden=_FAIRLEARN,
             hints=[
        "Loop over `np.unique(sensitive)`; within each group's rows, the selection rate is the mean of y_pred.",
        "TPR: mean of y_pred over the group's rows with y_true == 1; FPR: over those with y_true == 0.",
        "The differences are max - min over the groups; equalized odds takes the larger of the TPR and FPR gaps."]),
    Exercise("d7_numbers", "D7 (a)", "Drill D7 · A model that passes the flip test", _check_d7_numbers,
             heading="the numbers", hints=[
        "Use `proxy` on X_test: `lib.flip_rate(...)` for the first number, fairlearn's functions for the others.",
        "The selection rates: `MetricFrame(metrics=selection_rate, y_true=y_test, y_pred=..., sensitive_features=...)"
        ".by_group`, as an array, group A (code 0) first."]),
    Exercise("d7_why", "D7 (b)", "Drill D7 · A model that passes the flip test", choice("ABCD"), heading="why",
             hints=["What does changing `group` alone leave the same, that the proxy model does read?",
                    "Section 1's crosstab shows where each group lives; section 5's permutation importances show "
                    "which column the proxy model leans on more than the direct one."]),
])
__getattr__ = CHAPTER.attribute
__all__ = CHAPTER.names
