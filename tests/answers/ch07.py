"""Answers that audit chapter 07's graders: each one is the whole source of an answer cell.

The reference answers are the solution notebook's answer cells (tests/notebook_tools.py).
ALTERNATIVE: correct answers written differently from the solution; every test cell must pass.
BASES: correct answers in which the WRONG ones are planted, so that a wrong answer differs from a
right one by its pitfall alone; they must pass too.
WRONG: plausible wrong answers, as (label, source, pattern): the answer's test cells must fail, and
a feedback message must match ``pattern``. The first two of each list go through the autograde
pipeline.
ERROR: code that raises inside the student's function: the check must say ERROR, not crash.
"""

from tests.answers._plant import planted

_GOWER = '''
def gower_distance(a, b, *, ranges, categorical):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    ranges, categorical = np.asarray(ranges, dtype=float), np.asarray(categorical, dtype=bool)
    diff = np.abs(a - b)
    numeric = np.divide(diff, ranges, out=np.zeros_like(diff), where=ranges > 0)
    cat_terms = (diff > 0).astype(float)
    terms = np.where(categorical, cat_terms, numeric)
    return terms.mean(axis=-1)
'''

_CF = '''
def find_counterfactual(model, x, target_class, *, candidates, ranges, categorical, immutable=(), monotone=()):
    x = np.asarray(x, dtype=float)
    axes = []
    for j, values in enumerate(candidates):
        values = sorted(set(float(v) for v in values) | {float(x[j])})
        if j in immutable:
            values = [x[j]]
        if j in monotone:
            values = [v for v in values if v >= x[j]]
        axes.append(values)
    Z = np.array(list(itertools.product(*axes)))
    Z = Z[(Z != x).any(axis=1)]
    valid = Z[model.predict(Z) == target_class]
    if len(valid) == 0:
        return None
    diff = np.abs(valid - x)
    scaled = np.divide(diff, ranges, out=np.zeros_like(diff), where=np.asarray(ranges) > 0)
    cost = np.where(categorical, diff > 0, scaled).mean(axis=1)
    return valid[np.argmin(cost)]
'''

_FIRST = '''
def find_counterfactual(model, x, target_class, *, candidates, ranges, categorical, immutable=(), monotone=()):
    x = np.asarray(x, dtype=float)
    axes = []
    for j, values in enumerate(candidates):
        values = [float(v) for v in values]
        if x[j] not in values:
            values = [float(x[j])] + values
        if j in immutable:
            values = [x[j]]
        if j in monotone:
            values = [v for v in values if v >= x[j]]
        axes.append(values)
    for z in itertools.product(*axes):
        z = np.array(z)
        if (z != x).any() and model.predict(z[None])[0] == target_class:
            return z
    return None
'''

_FLIP = '''
def flip_rate(model, X, sensitive, *, values):
    X = np.asarray(X, dtype=float)
    before = model.predict(X)
    flipped = np.zeros(len(X), dtype=bool)
    for value in values:
        Z = X.copy()
        Z[:, sensitive] = value
        flipped |= (model.predict(Z) != before) & (X[:, sensitive] != value)
    return float(flipped.mean())
'''

_METRICS = '''
def group_metrics(y_true, y_pred, sensitive):
    y_true, y_pred, sensitive = np.asarray(y_true), np.asarray(y_pred), np.asarray(sensitive)
    groups = np.unique(sensitive)
    sel = {g: y_pred[sensitive == g].mean() for g in groups}
    tpr = {g: y_pred[(sensitive == g) & (y_true == 1)].mean() for g in groups}
    fpr = {g: y_pred[(sensitive == g) & (y_true == 0)].mean() for g in groups}
    rates = [sel[g] for g in groups]
    dp = max(rates) - min(rates)
    tpr_gap = max(tpr.values()) - min(tpr.values())
    fpr_gap = max(fpr.values()) - min(fpr.values())
    eo = max(tpr_gap, fpr_gap)
    return {"selection_rate": sel, "true_positive_rate": tpr, "false_positive_rate": fpr,
            "demographic_parity_difference": dp, "equalized_odds_difference": eo}
'''

_D7 = '''
d7_flip_rate, d7_dp_difference, d7_selection_rates = None, None, None
model = proxy
predictions = model.predict(X_test)
d7_flip_rate = lib.flip_rate(model, X_test, lib.GROUP, values=(0, 1))
d7_dp_difference = fm.demographic_parity_difference(y_test, predictions, sensitive_features=X_test[:, lib.GROUP])
frame = fm.MetricFrame(metrics=fm.selection_rate, y_true=y_test, y_pred=predictions,
                       sensitive_features=X_test[:, lib.GROUP])
d7_selection_rates = frame.by_group.to_numpy()
'''

BASES = {"gower_distance_answer": _GOWER, "find_counterfactual_answer": _CF, "flip_rate_answer": _FLIP,
         "group_metrics_answer": _METRICS, "d7_numbers_answer": _D7}

ALTERNATIVE = {
    "gower_distance_answer": '''
def gower_distance(a, b, *, ranges, categorical):
    """float32, an explicit loop over the features, np.broadcast_arrays for the shapes."""
    a, b = np.broadcast_arrays(np.asarray(a, dtype=np.float32), np.asarray(b, dtype=np.float32))
    total = np.zeros(a.shape[:-1], dtype=np.float32)
    p = a.shape[-1]
    for j in range(p):
        if categorical[j]:
            total += (a[..., j] != b[..., j]).astype(np.float32)
        elif ranges[j] != 0:
            total += np.abs(a[..., j] - b[..., j]) / np.float32(ranges[j])
    return total / p
''',
    "find_counterfactual_answer": '''
def find_counterfactual(model, x, target_class, *, candidates, ranges, categorical, immutable=(), monotone=()):
    """Recursive enumeration, one model call per row, the best so far kept in float32 (ties: the first met)."""
    import math
    x = [float(v) for v in x]
    p = len(x)
    options = []
    for j in range(p):
        values = {float(v) for v in candidates[j]} | {x[j]}
        if j in immutable:
            values = {x[j]}
        elif j in monotone:
            values = {v for v in values if v >= x[j]}
        options.append(sorted(values, reverse=True))
    best, best_cost = None, math.inf

    def cost(z):
        terms = [(z[j] != x[j]) * 1.0 if categorical[j] else (abs(z[j] - x[j]) / ranges[j] if ranges[j] else 0.0)
                 for j in range(p)]
        return sum(terms) / p

    def visit(prefix):
        nonlocal best, best_cost
        if len(prefix) == p:
            if prefix != x and int(model.predict(np.array([prefix]))[0]) == target_class and cost(prefix) < best_cost:
                best, best_cost = np.array(prefix, dtype=np.float32), cost(prefix)
            return
        for v in options[len(prefix)]:
            visit(prefix + [v])

    visit([])
    return best
''',
    "flip_rate_answer": '''
def flip_rate(model, X, sensitive, *, values):
    """float32 rows one by one, an int count divided at the end."""
    count = 0
    for row in np.asarray(X, dtype=np.float32):
        own = model.predict(row[None])[0]
        others = [v for v in values if v != row[sensitive]]
        changed = []
        for v in others:
            z = row.copy()
            z[sensitive] = v
            changed.append(model.predict(z[None])[0] != own)
        count += any(changed)
    return count / len(X)
''',
    "group_metrics_answer": '''
def group_metrics(y_true, y_pred, sensitive):
    """pandas groupby; keys as the groups' own labels; Python floats."""
    frame = pd.DataFrame({"y": np.asarray(y_true), "p": np.asarray(y_pred), "g": np.asarray(sensitive)})
    sel = frame.groupby("g")["p"].mean()
    tpr = frame[frame.y == 1].groupby("g")["p"].mean()
    fpr = frame[frame.y == 0].groupby("g")["p"].mean()
    return {"selection_rate": {k: float(v) for k, v in sel.items()},
            "true_positive_rate": {k: float(v) for k, v in tpr.items()},
            "false_positive_rate": {k: float(v) for k, v in fpr.items()},
            "demographic_parity_difference": float(sel.max() - sel.min()),
            "equalized_odds_difference": float(max(tpr.max() - tpr.min(), fpr.max() - fpr.min()))}
''',
    "d7_numbers_answer": '''
d7_flip_rate, d7_dp_difference, d7_selection_rates = None, None, None
pred = proxy.predict(X_test)
group = X_test[:, lib.GROUP]
d7_flip_rate = np.float32(lib.flip_rate(proxy, X_test, lib.GROUP, values=[1, 0]))
d7_selection_rates = [pred[group == 0].mean(), pred[group == 1].mean()]
d7_dp_difference = fm.demographic_parity_difference(y_test, pred, sensitive_features=group)
''',
    "d7_why_answer": '''
d7_why = None
d7_why = " d"
''',
}

WRONG = {
    "gower_distance_answer": [
        ("no range normalisation", planted(_GOWER, ("numeric = np.divide(diff, ranges, out=np.zeros_like(diff), "
                                                    "where=ranges > 0)", "numeric = diff")), r"range"),
        ("categorical code difference", planted(_GOWER, ("cat_terms = (diff > 0).astype(float)", "cat_terms = diff")),
         r"codes are names"),
        ("sum instead of mean", planted(_GOWER, ("terms.mean(axis=-1)", "terms.sum(axis=-1)")), r"MEAN"),
        ("zero range divides by zero", planted(_GOWER, ("numeric = np.divide(diff, ranges, out=np.zeros_like(diff), "
                                                        "where=ranges > 0)", "numeric = diff / ranges")),
         r"not all finite|range is 0"),
        ("divided by the numeric count", planted(_GOWER, ("terms.mean(axis=-1)",
                                                          "terms.sum(axis=-1) / max((~categorical).sum(), 1)")),
         r"ALL features"),
        ("similarity", planted(_GOWER, ("return terms.mean(axis=-1)", "return 1 - terms.mean(axis=-1)")),
         r"similarities"),
        ("categorical mask ignored", planted(_GOWER, ("terms = np.where(categorical, cat_terms, numeric)",
                                                      "terms = numeric")), r"categorical"),
        ("root mean square of the terms", planted(_GOWER, ("return terms.mean(axis=-1)",
                                                           "return np.sqrt((terms ** 2).mean(axis=-1))")),
         r"root mean square"),
    ],
    "find_counterfactual_answer": [
        ("moves an immutable feature", planted(_CF, ("            values = [x[j]]\n", "            pass\n")),
         r"immutable"),
        ("lowers age", planted(_CF, ("            values = [v for v in values if v >= x[j]]\n",
                                     "            pass\n")), r"may only grow"),
        ("the first valid counterfactual", _FIRST, r"FIRST valid"),
        ("unscaled L1", planted(_CF, ("cost = np.where(categorical, diff > 0, scaled).mean(axis=1)",
                                      "cost = diff.sum(axis=1)")), r"UNSCALED"),
        ("categorical code difference", planted(_CF, ("cost = np.where(categorical, diff > 0, scaled).mean(axis=1)",
                                                      "cost = np.where(categorical, diff, scaled).mean(axis=1)")),
         r"distance between its codes"),
        ("x itself when nothing flips", planted(_CF, ("        return None\n", "        return x\n")),
         r"returned one|x itself"),
        ("validity not checked", planted(_CF, ("valid = Z[model.predict(Z) == target_class]", "valid = Z")),
         r"not valid"),
        ("categories by code / range (audit 4)", planted(_CF, (
            "cost = np.where(categorical, diff > 0, scaled).mean(axis=1)", "cost = scaled.mean(axis=1)")),
         r"categorical feature counts 0 if it keeps x's category, else 1"),
        ("x's own value left out (audit 4)", planted(_CF, (
            "values = sorted(set(float(v) for v in values) | {float(x[j])})",
            "values = sorted(set(float(v) for v in values)) or [float(x[j])]")), r"keep x's own value"),
        ("delegates to lib.diverse_counterfactuals (audit 4)", '''
def find_counterfactual(model, x, target_class, *, candidates, ranges, categorical, immutable=(), monotone=()):
    found = lib.diverse_counterfactuals(model, x, target_class, k=1, candidates=candidates, ranges=ranges,
                                        categorical=categorical, immutable=immutable, monotone=monotone)
    return None if found is None or len(found) == 0 else np.asarray(found)[0]
''', r"`diverse_counterfactuals`, the course's reference implementation"),
    ],
    "flip_rate_answer": [
        ("one direction only", planted(_FLIP, ("    for value in values:\n", "    for value in values[-1:]:\n"),
                                       (" & (X[:, sensitive] != value)", "")), r"one direction"),
        ("other features flipped too", planted(_FLIP, ("        Z[:, sensitive] = value\n",
                                                       "        Z[:, sensitive] = value\n"
                                                       "        binary = np.all(np.isin(X, (0, 1)), axis=0)\n"
                                                       "        binary[sensitive] = False\n"
                                                       "        Z[:, binary] = 1 - Z[:, binary]\n")),
         r"other than the sensitive"),
        ("a count", planted(_FLIP, ("return float(flipped.mean())", "return float(flipped.sum())")), r"count"),
        ("probabilities", planted(_FLIP, ("flipped |= (model.predict(Z) != before)",
                                          "flipped |= ~np.isclose(model.predict_proba(Z)[:, 1], "
                                          "model.predict_proba(X)[:, 1])")), r"probability"),
        ("share kept", planted(_FLIP, ("return float(flipped.mean())", "return float(1 - flipped.mean())")),
         r"NOT flip"),
        ("only 1 -> 0 flips (audit 4)", planted(_FLIP, ("flipped |= (model.predict(Z) != before)",
                                                       "flipped |= (model.predict(Z) < before)")),
         r"only the rows whose prediction drops \(1 -> 0\)"),
        ("only 0 -> 1 flips", planted(_FLIP, ("flipped |= (model.predict(Z) != before)",
                                             "flipped |= (model.predict(Z) > before)")),
         r"only the rows whose prediction rises \(0 -> 1\)"),
        ("mean of one rate per value", planted(_FLIP, (
            "flipped |= (model.predict(Z) != before) & (X[:, sensitive] != value)\n    return float(flipped.mean())",
            "rates.append(np.mean(model.predict(Z) != before))\n    return float(np.mean(rates))"),
            ("    flipped = np.zeros(len(X), dtype=bool)\n", "    rates = []\n")), r"averaged one flip rate per value"),
        ("sum of one rate per value", planted(_FLIP, (
            "flipped |= (model.predict(Z) != before) & (X[:, sensitive] != value)\n    return float(flipped.mean())",
            "total += np.mean((model.predict(Z) != before) & (X[:, sensitive] != value))\n    return float(total)"),
            ("    flipped = np.zeros(len(X), dtype=bool)\n", "    total = 0.0\n")), r"added one flip rate per value"),
        ("1 - value as the other group", planted(_FLIP, ("    for value in values:\n", "    for value in [None]:\n"),
                                                 ("        Z[:, sensitive] = value\n",
                                                  "        Z[:, sensitive] = 1 - X[:, sensitive]\n"),
                                                 (" & (X[:, sensitive] != value)", "")), r"1 - its value"),
    ],
    "group_metrics_answer": [
        ("selection rates on labels", planted(_METRICS, ("sel = {g: y_pred[sensitive == g].mean()",
                                                         "sel = {g: y_true[sensitive == g].mean()")), r"LABELS"),
        ("equalized odds averaged", planted(_METRICS, ("eo = max(tpr_gap, fpr_gap)", "eo = (tpr_gap + fpr_gap) / 2")),
         r"averaged"),
        ("signed demographic parity", planted(_METRICS, ("dp = max(rates) - min(rates)", "dp = rates[-1] - rates[0]")),
         r"sign"),
        ("equal opportunity only", planted(_METRICS, ("eo = max(tpr_gap, fpr_gap)", "eo = tpr_gap")),
         r"TPR gap only"),
        ("TPR and FPR swapped", planted(_METRICS, ("tpr = {g: y_pred[(sensitive == g) & (y_true == 1)]",
                                                   "tpr = {g: y_pred[(sensitive == g) & (y_true == 0)]"),
                                        ("fpr = {g: y_pred[(sensitive == g) & (y_true == 0)]",
                                         "fpr = {g: y_pred[(sensitive == g) & (y_true == 1)]")), r"swapped"),
        ("TPR as precision (audit 4)", planted(_METRICS, ("tpr = {g: y_pred[(sensitive == g) & (y_true == 1)]",
                                                          "tpr = {g: y_true[(sensitive == g) & (y_pred == 1)]")),
         r"precisions, P\(label 1 \| pred 1\)"),
        ("FPR as specificity (audit 4)", planted(_METRICS, (
            "fpr = {g: y_pred[(sensitive == g) & (y_true == 0)].mean()",
            "fpr = {g: 1 - y_pred[(sensitive == g) & (y_true == 0)].mean()")), r"specificities"),
        ("FPR as false discovery rate", planted(_METRICS, (
            "fpr = {g: y_pred[(sensitive == g) & (y_true == 0)].mean()",
            "fpr = {g: 1 - y_true[(sensitive == g) & (y_pred == 1)].mean()")), r"false discovery rates"),
        ("TPR over all the group's rows", planted(_METRICS, (
            "tpr = {g: y_pred[(sensitive == g) & (y_true == 1)].mean()",
            "tpr = {g: (y_pred * y_true)[sensitive == g].mean()")), r"by ALL its rows"),
    ],
    "d7_numbers_answer": [
        ("the direct model", planted(_D7, ("model = proxy", "model = direct")), r"DIRECT"),
        ("demographic parity on labels", planted(_D7, ("predictions = model.predict(X_test)", "predictions = y_test")),
         r"labels"),
        ("groups in the other order", planted(_D7, ("d7_selection_rates = frame.by_group.to_numpy()",
                                                    "d7_selection_rates = frame.by_group.to_numpy()[::-1]")),
         r"other order"),
    ],
    "d7_why_answer": [
        ("too few applicants (graded by the key)", 'd7_why = None\nd7_why = "A"\n', r"not the best explanation"),
        ("biased labels (graded by the key)", 'd7_why = None\nd7_why = "B"\n', r"not the best explanation"),
        ("income differs (graded by the key)", 'd7_why = None\nd7_why = "C"\n', r"not the best explanation"),
    ],
}

ERROR = {
    "gower_distance_answer": "def gower_distance(a, b, *, ranges, categorical):\n    return a.distance(b)\n",
    "find_counterfactual_answer":
        "def find_counterfactual(model, x, target_class, *, candidates, ranges, categorical, immutable=(), "
        "monotone=()):\n    return model.counterfactual(x)\n",
    "flip_rate_answer": "def flip_rate(model, X, sensitive, *, values):\n    return model.flip(X, sensitive)\n",
    "group_metrics_answer": "def group_metrics(y_true, y_pred, sensitive):\n    return {g: 1 / 0 for g in sensitive}\n",
}

# Audit 4: a result that does its work later (its __array__ or __float__ calls the course's reference
# once the check reads it) is evaluated while the answer is still watched, so the delegation is named.
WRONG["flip_rate_answer"] += [
    ("a lazy result that calls lib.flip_rate when read", '''
class LazyRate:
    def __init__(self, model, X, s, values):
        self.args = (model, np.array(X, copy=True), s, tuple(values))
    def __float__(self):
        m, X, s, v = self.args
        return float(lib.flip_rate(m, X, s, values=v))
    def __array__(self, dtype=None, copy=None):
        return np.array(self.__float__(), dtype=dtype or float)
def flip_rate(model, X, sensitive, *, values):
    model.predict(X)
    return LazyRate(model, X, sensitive, values)
''', r"`flip_rate`, the course's reference implementation"),
]
WRONG["flip_rate_answer"] += [
    ("a float subclass worth 0.0 whose __float__ calls lib.flip_rate", '''
class Rate(float):
    def __float__(self):
        return float(lib.flip_rate(*self.args, values=self.values))
def flip_rate(model, X, sensitive, *, values):
    rate = Rate(0.0)
    rate.args, rate.values = (model, np.array(X, copy=True), sensitive), tuple(values)
    return rate
''', r"(?s)not the share of rows.*|reference implementation"),
]
WRONG["gower_distance_answer"] += [
    ("a lazy array that calls lib.gower_distance when read", '''
class Deferred:
    def __init__(self, a, b, ranges, categorical):
        self.args = tuple(np.array(v, copy=True) for v in (a, b, ranges, categorical))
    def __array__(self, dtype=None, copy=None):
        a, b, r, c = self.args
        out = np.asarray(lib.gower_distance(a, b, ranges=r, categorical=c))
        return out if dtype is None else out.astype(dtype)
    def __float__(self):
        return float(self.__array__())
def gower_distance(a, b, *, ranges, categorical):
    return Deferred(a, b, ranges, categorical)
''', r"`gower_distance`, the course's reference implementation"),
]
