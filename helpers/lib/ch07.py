"""Chapter 07's library: counterfactuals, recourse and fairness (``from helpers.lib import ch07 as lib``).

- The chapter's data and models: :func:`loan_setup` (generated loan applications, a train/test split,
  the ``direct`` model that reads the sensitive column and the ``proxy`` model that never does),
  the column positions (``INCOME`` ... ``GROUP``) and constraints (``IMMUTABLE``, ``MONOTONE``).
- The reference implementations that cells after an exercise use, each guarded by ``@reference``:
  :func:`gower_distance`, :func:`find_counterfactual` (with optional distance and sparsity
  settings the exercise does not ask for), :func:`flip_rate`.
- Worked examples: :func:`candidate_grid` (the search grid of one applicant),
  :func:`diverse_counterfactuals`, :func:`recourse_sentence`, :func:`act_on_education` (acting on
  education also moves income), :func:`recourse_costs` (the cost of recourse of many applicants).
- Test beds the checks build cases from (inputs only, never an answer): :class:`RuleModel`,
  :func:`gower_bed`, :func:`counterfactual_cases`, :func:`counterfactual_bed`, :func:`flip_bed`,
  :func:`metrics_bed`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from sklearn.model_selection import train_test_split

from helpers._context import reference
from helpers._validation import check_int
from helpers.data import tabular
from helpers.models import train_loan_model

__all__ = ["AGE", "APPLICANT", "D7_APPLICANT", "CATEGORICAL", "DEBT", "EDUCATION", "EMPLOYMENT", "FEATURES", "GROUP", "IMMUTABLE", "INCOME",
           "MONOTONE", "REGION", "SAVINGS", "TEST_SIZE", "LoanSetup", "RecourseCosts", "RuleModel", "act_on_education",
           "candidate_grid", "counterfactual_bed", "counterfactual_cases", "diverse_counterfactuals",
           "find_counterfactual", "flip_bed", "flip_rate", "gower_bed", "gower_distance", "loan_setup",
           "metrics_bed", "recourse_costs", "recourse_sentence"]

FEATURES = tabular.LOAN_COLUMNS
INCOME, DEBT, SAVINGS, AGE, EDUCATION, EMPLOYMENT, REGION, GROUP = range(len(FEATURES))
CATEGORICAL = (EMPLOYMENT, REGION, GROUP)
IMMUTABLE = (REGION, GROUP)
MONOTONE = (AGE, EDUCATION)
TEST_SIZE = 0.3
APPLICANT = 3      # the worked example: a row of X_test that the direct model rejects (group B)
D7_APPLICANT = 33  # drill D7: a row of X_test that the proxy model rejects (group B, region west)


# --------------------------------------------------------------------------------------------
# Data and models

class LoanSetup(NamedTuple):
    """The chapter's data, split and models (every array as float, columns ``FEATURES``)."""

    data: tabular.LoanData
    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    direct: object     # reads every column, the sensitive one included
    proxy: object      # never reads the sensitive column ("fairness through unawareness")
    ranges: np.ndarray  # max - min of each column over the training rows (Gower's ranges)
    categorical: np.ndarray  # boolean mask of the categorical columns


def loan_setup(random_state: int = 0) -> LoanSetup:
    """2,000 generated applications, 30% held out (stratified), and the two logistic models.

    ``direct = models.train_loan_model(X_train, y_train, categorical=CATEGORICAL)``;
    ``proxy`` is the same with ``drop=(GROUP,)``. Both train in a few milliseconds.
    """
    seed = check_int(random_state, "random_state", minimum=0)
    table = tabular.make_loan_data(random_state=seed)
    X, y = table.X.to_numpy(float), table.y
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=TEST_SIZE, random_state=seed, stratify=y)
    direct = train_loan_model(X_train, y_train, categorical=CATEGORICAL)
    proxy = train_loan_model(X_train, y_train, categorical=CATEGORICAL, drop=(GROUP,))
    return LoanSetup(table, X_train, X_test, y_train, y_test, direct, proxy, np.ptp(X_train, axis=0),
                     np.isin(np.arange(len(FEATURES)), CATEGORICAL))


def candidate_grid(x, X_train, *, income_step=1_000, income_steps=20, debt_step=500, debt_steps=20,
                   savings_step=1_000, savings_steps=10, years=(0, 2, 5)) -> list[np.ndarray]:
    """The values each feature of applicant ``x`` may take in the chapter's search.

    Income and savings only up, debt only down (in the given steps), age by ``years``, education any
    level from x's up, employment any type, region and group only x's own; every value inside the
    range seen in ``X_train`` (feasibility: ranges and valid categories).
    """
    x = np.asarray(x, dtype=float)
    lo, hi = X_train.min(axis=0), X_train.max(axis=0)

    def inside(j, values):
        values = np.unique(np.asarray(values, dtype=float))
        return values[(values >= lo[j]) & (values <= hi[j])] if len(values) > 1 else values

    return [inside(INCOME, x[INCOME] + income_step * np.arange(income_steps + 1)),
            inside(DEBT, np.maximum(x[DEBT] - debt_step * np.arange(debt_steps + 1), 0)),
            inside(SAVINGS, x[SAVINGS] + savings_step * np.arange(savings_steps + 1)),
            inside(AGE, x[AGE] + np.asarray(years, dtype=float)),
            np.arange(x[EDUCATION], 4, dtype=float),
            np.arange(3, dtype=float), np.array([x[REGION]]), np.array([x[GROUP]])]


# --------------------------------------------------------------------------------------------
# References (usable after the exercises)

def _gower(a, b, ranges, categorical):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    ranges, categorical = np.asarray(ranges, dtype=float), np.asarray(categorical, dtype=bool)
    diff = np.abs(a - b)
    numeric = np.divide(diff, ranges, out=np.zeros_like(diff), where=ranges > 0)
    return np.where(categorical, (diff > 0).astype(float), numeric).mean(axis=-1)


@reference
def gower_distance(a, b, *, ranges, categorical):
    """Gower distance between rows that broadcast: mean over features of |a - b| / range (numeric,
    0 where the range is 0) and of [a != b] (categorical). (d,) against (m, d) gives (m,)."""
    return _gower(a, b, ranges, categorical)


def _grid(x, candidates, immutable, monotone):
    """Every feasible combination of candidate values (x's own value always allowed): (n, d)."""
    x = np.asarray(x, dtype=float)
    axes = []
    for j, values in enumerate(candidates):
        values = np.union1d(np.asarray(values, dtype=float), [x[j]])
        if j in immutable:
            values = np.array([x[j]])
        elif j in monotone:
            values = values[values >= x[j]]
        axes.append(values)
    mesh = np.meshgrid(*axes, indexing="ij")
    return np.stack([m.ravel() for m in mesh], axis=1)


def _search(model, x, target_class, *, candidates, ranges, categorical, immutable, monotone, distance=None,
            max_changes=None):
    x = np.asarray(x, dtype=float)
    Z = _grid(x, candidates, set(immutable), set(monotone))
    changes = (Z != x).sum(axis=1)
    if max_changes is not None:
        Z, changes = Z[changes <= max_changes], changes[changes <= max_changes]
    Z, changes = Z[changes > 0], changes[changes > 0]
    valid = np.asarray(model.predict(Z)) == target_class
    Z, changes = Z[valid], changes[valid]
    cost = _gower(x, Z, ranges, categorical) if distance is None else np.asarray(distance(x, Z))
    order = np.lexsort((changes, np.round(cost, 12)))  # nearest first, then fewer changes
    return Z[order], cost[order]


@reference
def find_counterfactual(model, x, target_class, *, candidates, ranges, categorical, immutable=(), monotone=(),
                        distance=None, max_changes=None):
    """The nearest feasible row of the candidate grid that ``model`` predicts as ``target_class``,
    or None. ``distance(x, Z) -> (n,)`` replaces Gower's; ``max_changes`` bounds the sparsity."""
    Z, _ = _search(model, x, target_class, candidates=candidates, ranges=ranges, categorical=categorical,
                   immutable=immutable, monotone=monotone, distance=distance, max_changes=max_changes)
    return Z[0] if len(Z) else None


@reference
def flip_rate(model, X, sensitive, *, values):
    """Share of rows whose predicted class changes when only column ``sensitive`` is set to another of
    ``values`` (any other value counts)."""
    X = np.asarray(X, dtype=float)
    before = np.asarray(model.predict(X))
    flipped = np.zeros(len(X), dtype=bool)
    for value in values:
        Z = X.copy()
        Z[:, sensitive] = value
        flipped |= (np.asarray(model.predict(Z)) != before) & (X[:, sensitive] != value)
    return float(flipped.mean())


# --------------------------------------------------------------------------------------------
# Worked examples

def diverse_counterfactuals(model, x, target_class, *, k=3, candidates, ranges, categorical, immutable=(),
                            monotone=()):
    """``k`` counterfactuals that change different sets of features: the nearest, then the nearest whose
    set of changed features differs from every one chosen so far. Returns (k', d) with k' <= k."""
    Z, _ = _search(model, x, target_class, candidates=candidates, ranges=ranges, categorical=categorical,
                   immutable=immutable, monotone=monotone)
    chosen, sets = [], []
    for z in Z:
        changed = frozenset(np.flatnonzero(z != np.asarray(x, dtype=float)))
        if all(not (changed >= s) for s in sets):  # not a superset of a set already used
            chosen.append(z)
            sets.append(changed)
        if len(chosen) == k:
            break
    return np.array(chosen)


def _money(value):
    return f"{abs(value):,.0f}"


def recourse_sentence(x, counterfactual, *, outcome="approved", categories=None) -> str:
    """"You would have been approved if your income had been 3,000 higher and your debt 1,200 lower."""
    categories = tabular.LOAN_CATEGORIES if categories is None else categories
    x, z = np.asarray(x, dtype=float), np.asarray(counterfactual, dtype=float)
    parts = []
    for j in np.flatnonzero(z != x):
        name, delta = FEATURES[j], z[j] - x[j]
        if j in (INCOME, DEBT, SAVINGS):
            parts.append(f"your {name} had been {_money(delta)} {'higher' if delta > 0 else 'lower'}")
        elif j == AGE:
            parts.append(f"you had been {delta:g} year{'s' if abs(delta) != 1 else ''} older")
        else:
            names = categories[name]
            parts.append(f"your {name} had been {names[int(z[j])]} instead of {names[int(x[j])]}")
    if not parts:
        return f"You are already {outcome}."
    joined = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"You would have been {outcome} if {joined}."


def act_on_education(x, levels=1):
    """The applicant after the ACTION "raise education by ``levels``": income follows the structural
    equation (+9,000 a year per level, ``data.loan_income``), everything else stays."""
    z = np.array(x, dtype=float, copy=True)
    z[EDUCATION] = min(z[EDUCATION] + levels, 3)
    z[INCOME] += 9_000 * (z[EDUCATION] - x[EDUCATION])
    return z


class RecourseCosts(NamedTuple):
    """The rejected rows of X, the Gower cost of their nearest counterfactual (inf where the grid has
    none) and that counterfactual (NaN where none)."""

    rows: np.ndarray
    costs: np.ndarray
    counterfactuals: np.ndarray


def recourse_costs(model, X, X_train, *, ranges, categorical) -> RecourseCosts:
    """The nearest counterfactual of every row of X the model rejects, on a coarse grid of income
    (+2,000 steps), debt (-1,000 steps) and savings (+2,000 steps) only, the other columns kept."""
    rejected = np.flatnonzero(np.asarray(model.predict(X)) == 0)
    costs, found = np.full(len(rejected), np.inf), np.full((len(rejected), X.shape[1]), np.nan)
    for i, row in enumerate(rejected):
        grid = candidate_grid(X[row], X_train, income_step=2_000, income_steps=15, debt_step=1_000,
                              debt_steps=15, savings_step=2_000, savings_steps=10, years=(0,))
        grid[EDUCATION], grid[EMPLOYMENT] = np.array([X[row, EDUCATION]]), np.array([X[row, EMPLOYMENT]])
        Z, cost = _search(model, X[row], 1, candidates=grid, ranges=ranges, categorical=categorical,
                          immutable=IMMUTABLE, monotone=MONOTONE)
        if len(cost):
            costs[i], found[i] = cost[0], Z[0]
    return RecourseCosts(rejected, costs, found)


# --------------------------------------------------------------------------------------------
# Test beds for the checks (inputs only)

class RuleModel:
    """A known scoring rule: ``score = X @ weights + bias`` plus, for each categorical column c,
    ``effects[c][code]``; ``predict`` is ``score > 0`` (class 1) and ``predict_proba`` its sigmoid."""

    def __init__(self, weights, bias=0.0, effects=None):
        self.weights = np.asarray(weights, dtype=float)
        self.bias = float(bias)
        self.effects = {int(c): np.asarray(e, dtype=float) for c, e in (effects or {}).items()}

    def decision_function(self, X):
        X = np.atleast_2d(np.asarray(X, dtype=float))
        weights = self.weights.copy()
        weights[list(self.effects)] = 0.0
        score = X @ weights + self.bias
        for c, effect in self.effects.items():
            score = score + effect[X[:, c].astype(int)]
        return score

    def predict(self, X):
        return (self.decision_function(X) > 0).astype(int)

    def predict_proba(self, X):
        p = 1 / (1 + np.exp(-self.decision_function(X)))
        return np.stack([1 - p, p], axis=1)


def gower_bed(seed, *, n_rows=6, n_features=5, n_categorical=2, zero_range=None, one=True):
    """Rows for the Gower check: ``(a, B, ranges, categorical)``; ``a`` is one row (d,) when ``one``,
    else (n_rows, d) like B. Numeric values are positive with very different scales; categorical ones are
    codes 0..4; ``ranges`` is the range of every column over a and B (0 for a ``zero_range`` column,
    which is constant)."""
    rng = np.random.default_rng(seed)
    categorical = np.zeros(n_features, dtype=bool)
    categorical[rng.choice(n_features, n_categorical, replace=False)] = True
    scales = 10.0 ** rng.integers(0, 5, n_features)
    rows = np.where(categorical, rng.integers(0, 5, (n_rows + 1, n_features)),
                    np.round(scales * (1 + rng.random((n_rows + 1, n_features))), 2))
    if zero_range is not None:
        rows[:, zero_range] = rows[0, zero_range]
    a, B = (rows[0], rows[1:]) if one else (rows[1:][::-1].copy(), rows[1:])
    if not one:
        a[0] = rows[0]
    ranges = np.ptp(np.vstack([a, B]), axis=0) * ~categorical
    return a, B, ranges, categorical


def counterfactual_cases():
    """Hand-made cases where each pitfall answers differently from the optimum: a list of dicts with
    ``name``, ``model``, ``x``, ``target_class``, ``candidates``, ``ranges``, ``categorical``, ``immutable``,
    ``monotone``. Columns: income (k$), debt (k$), age, education, employment (categorical), group
    (categorical)."""
    categorical = np.array([False, False, False, False, True, True])
    ranges = np.array([100.0, 40.0, 50.0, 3.0, 0.0, 0.0])
    effects = {4: [0.0, -3.0, 1.0], 5: [0.0, -5.0]}
    model = RuleModel([0.1, -0.25, 0.08, 1.0, 0, 0], bias=-6.0, effects=effects)
    x = np.array([40.0, 12.0, 30.0, 1.0, 0.0, 0.0])  # score 4 - 3 + 2.4 + 1 - 6 = -1.6
    base = dict(model=model, x=x, target_class=1, ranges=ranges, categorical=categorical, immutable=(5,),
                monotone=(2, 3))
    return [
        # Changing the group alone (+5, cost 1/6) is the cheapest flip, and the group is immutable.
        dict(base, name="immutable", model=RuleModel([0.1, -0.25, 0.08, 1.0, 0, 0], bias=-0.9, effects=effects),
             x=np.array([40.0, 12.0, 30.0, 1.0, 1.0, 1.0]),
             candidates=[[40], [12, 0], [30], [1], [0, 1, 2], [0, 1]]),
        # Lowering age (its weight is negative here) would flip it most cheaply.
        dict(base, name="monotone", model=RuleModel([0.1, -0.25, -0.3, 1.0, 0, 0], bias=11.5, effects=effects),
             x=np.array([40.0, 12.0, 50.0, 1.0, 0.0, 0.0]),
             candidates=[[30, 40, 60, 80], [12, 8, 4], [20, 44, 50, 55], [1, 2], [0], [0]]),
        # Employment 0 -> 2 is one category change; a |code difference| counts it twice.
        dict(base, name="categorical", model=RuleModel([0.1, -0.25, 0.08, 1.0, 0, 0], bias=-4.9, effects=effects),
             ranges=np.array([10.0, 40.0, 50.0, 3.0, 0.0, 0.0]),
             candidates=[[40, 55], [12], [30], [1], [0, 1, 2], [0]]),
        # The first valid row in the order given (income first, far) is not the nearest.
        dict(base, name="order", candidates=[[100, 40], [0, 12, 4], [70, 30], [3, 1, 2], [2, 0], [0, 1]]),
        # Unscaled L1 prefers two levels of education (a small number) to 10,000 dollars less debt.
        dict(base, name="scale", candidates=[[40, 80], [12, 2], [30, 40, 50], [1, 3], [0], [0]]),
        # Approved already; the target is a refusal (class 0).
        dict(base, name="refusal", target_class=0, x=np.array([90.0, 2.0, 40.0, 2.0, 0.0, 0.0]),
             candidates=[[60, 90], [2, 20, 30], [40, 60], [2, 3], [0, 1, 2], [0]]),
        # Nothing feasible flips it: the answer is None.
        dict(base, name="none", x=np.array([20.0, 30.0, 30.0, 0.0, 1.0, 1.0]),
             candidates=[[20, 30], [30, 25], [30, 35], [0, 1], [1, 0], [1, 0]]),
    ]


def counterfactual_bed(seed, *, n_features=5, n_values=4, target_class=1):
    """A random case like :func:`counterfactual_cases`: a :class:`RuleModel` on ``n_features`` columns
    (the last two categorical, the last one immutable, the first two monotone), a row x of class
    ``1 - target_class`` and ``n_values`` candidates per column in a random order."""
    rng = np.random.default_rng(seed)
    d = n_features
    categorical = np.arange(d) >= d - 2
    ranges = np.where(categorical, 0.0, 10.0 ** rng.integers(0, 4, d))
    weights = rng.normal(size=d) / np.where(categorical, 1.0, ranges)
    effects = {c: rng.normal(0, 1.5, 3) for c in np.flatnonzero(categorical)}
    for _ in range(1000):
        x = np.where(categorical, rng.integers(0, 3, d), np.round(ranges * rng.random(d), 1))
        bias = -float(RuleModel(weights, 0.0, effects).decision_function(x[None])[0])
        bias += (-1 if target_class == 1 else 1) * abs(rng.normal(0.3, 0.1))
        model = RuleModel(weights, bias, effects)
        candidates = [rng.permutation(np.arange(3.0)) if categorical[j] else
                      np.round(x[j] + ranges[j] * rng.uniform(-0.6, 0.6, n_values), 1) for j in range(d)]
        Z = _grid(x, candidates, {d - 1}, {0, 1})
        if (model.predict(Z) == target_class).any():
            return dict(name=f"seed {seed}", model=model, x=x, target_class=target_class, candidates=candidates,
                        ranges=ranges, categorical=categorical, immutable=(d - 1,), monotone=(0, 1))
    raise RuntimeError(f"no counterfactual bed for seed {seed}")


def flip_bed(seed, *, n_rows=200, n_features=5, sensitive=None, values=(0, 1)):
    """``(model, X, sensitive, values)``: a :class:`RuleModel` whose score depends on column ``sensitive``
    (one effect per value, and more for some values than others) and on binary and continuous columns,
    rows near its boundary, so that changing the attribute flips some rows one way and others the
    other way."""
    rng = np.random.default_rng(seed)
    sensitive = int(rng.integers(n_features)) if sensitive is None else sensitive
    values = np.asarray(values, dtype=float)
    X = rng.normal(size=(n_rows, n_features))
    X[:, (sensitive + 1) % n_features] = rng.integers(0, 2, n_rows)  # another binary column
    X[:, sensitive] = rng.choice(values, n_rows)
    effect = np.zeros(int(values.max()) + 1)
    # the attribute's effects are spread over 1 to 2 standard deviations of the rest of the score
    effect[values.astype(int)] = rng.permutation(np.linspace(-0.5, 0.5, len(values))) * rng.uniform(1, 2)
    weights = rng.normal(size=n_features)
    weights /= np.linalg.norm(np.delete(weights, sensitive))
    return RuleModel(weights, rng.normal(0, 0.2), {sensitive: effect}), X, sensitive, tuple(values.tolist())


def metrics_bed(seed, *, n=300, groups=("A", "B")):
    """``(y_true, y_pred, sensitive)`` with group-dependent base rates, selection rates and errors;
    the groups' labels appear in a random order and every group has both labels."""
    rng = np.random.default_rng(seed)
    sensitive = rng.choice(np.asarray(groups), n)
    base = dict(zip(groups, rng.uniform(0.25, 0.7, len(groups))))
    y_true = (rng.random(n) < np.vectorize(base.get)(sensitive)).astype(int)
    hit = dict(zip(groups, rng.uniform(0.5, 0.95, len(groups))))
    false_alarm = dict(zip(groups, rng.uniform(0.05, 0.4, len(groups))))
    p = np.where(y_true == 1, np.vectorize(hit.get)(sensitive), np.vectorize(false_alarm.get)(sensitive))
    y_pred = (rng.random(n) < p).astype(int)
    for g in groups:  # every group has both labels and both predictions
        rows = np.flatnonzero(sensitive == g)[:4]
        y_true[rows], y_pred[rows] = [0, 1, 0, 1], [0, 0, 1, 1]
    return y_true, y_pred, sensitive
