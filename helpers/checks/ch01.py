"""Checks for chapter 01: global vs local, agnostic vs specific; feature importance.

Oracles: the closed form of permutation importance for a least-squares model with independent
features, ``E[drop in R^2] = 2 coef_j^2 Var(x_j) / Var(y)`` (and ``2 Var(X_G coef_G) / Var(y)`` for a
group permuted jointly), and ``sklearn.inspection.permutation_importance`` on a random forest.
Answer keys of the classification and multiple-choice questions are not here: the hidden tests
of the solution notebook pass them in.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance as _sk_permutation_importance
from sklearn.metrics import r2_score

from helpers.data import make_linear_data
from helpers.models import train_forest, train_linear

from ._core import Exercise, Incorrect, as_float_array, call, check_choice, reference

__all__ = ["taxonomy", "permutation_importance", "grouped_permutation_importance",
           "d2_importances", "d2_why", "d2_fix", "joint_permutation_importance"]

SCOPES = ("global", "local")
ACCESS = ("agnostic", "specific")

# Tolerances. Permutation importances are means over random permutations: compare them within
# Z_TOLERANCE standard errors (5 keeps a correct answer's false-failure rate below 1e-5 per feature),
# plus a small absolute floor for features whose importance is exactly zero in expectation.
Z_TOLERANCE = 5.0
ABS_FLOOR = 0.01
# A quantity recomputed with another random seed (the D2 values) may differ by sampling noise:
# 25% relative plus an absolute 0.02 covers what 10 repeats give on the held-out fold.
REL_RECOMPUTE = 0.25
ABS_RECOMPUTE = 0.02


# --------------------------------------------------------------------------------------------
# Shared oracles


class _JointIndexModel:
    """Wraps a model so that permuting one index column permutes the columns ``group`` jointly.

    The wrapper's table has two columns of row numbers: the row the group's columns are read from,
    and the row the other columns are read from. ``sklearn.inspection.permutation_importance`` on
    ``(wrapper, table)`` then gives, for column 0, the grouped permutation importance of ``group``:
    the library itself is the oracle.
    """

    def __init__(self, model, X, group):
        self.model, self.X, self.group = model, np.asarray(X, dtype=float), list(group)
        self.rest = [j for j in range(self.X.shape[1]) if j not in self.group]

    def table(self):
        rows = np.arange(len(self.X), dtype=float)
        return np.column_stack([rows, rows])

    def _rebuild(self, table):
        group_rows, rest_rows = table[:, 0].astype(int), table[:, 1].astype(int)
        X = np.empty_like(self.X)
        X[:, self.group] = self.X[group_rows][:, self.group]
        X[:, self.rest] = self.X[rest_rows][:, self.rest]
        return X

    def fit(self, table, y):  # sklearn's scorer checks that an estimator can fit
        return self

    def predict(self, table):
        X = self._rebuild(np.asarray(table))
        names = getattr(self.model, "feature_names_in_", None)  # a model fitted on a DataFrame
        return self.model.predict(X if names is None else pd.DataFrame(X, columns=names))

    def score(self, table, y):
        return r2_score(y, self.predict(table))


@reference
def joint_permutation_importance(model, X, y, group, *, n_repeats=10, random_state=0):
    """Permutation importance of the columns ``group`` shuffled together, computed by scikit-learn.

    Returns the ``importances`` array of shape (n_repeats,). For demonstrations and checks: the
    exercise asks you to write your own.
    """
    wrapper = _JointIndexModel(model, X, group)
    result = _sk_permutation_importance(wrapper, wrapper.table(), np.asarray(y, dtype=float),
                                        n_repeats=n_repeats, random_state=random_state)
    return result.importances[0]


def _importances(answer, model, X, y, n_repeats, random_state, extra=(), what="your result"):
    """Call the student's function and validate the (n_rows, n_repeats) array it returns."""
    result = call(answer, model, X, y, *extra, n_repeats=n_repeats, random_state=random_state)
    array = as_float_array(result, what)
    n_rows = len(extra[0]) if extra else X.shape[1]
    if array.shape == (n_rows,):
        raise Incorrect(f"{what} has shape {array.shape}: return every repeat, an array of shape "
                        f"({n_rows}, n_repeats), not only the mean.")
    if array.shape != (n_rows, n_repeats):
        raise Incorrect(f"{what} should have shape ({n_rows}, n_repeats={n_repeats}); "
                        f"yours has shape {array.shape}.")
    return array


def _check_reproducible(answer, first, model, X, y, n_repeats, seed, extra=()):
    again = _importances(answer, model, X, y, n_repeats, seed, extra)
    if not np.allclose(again, first):
        raise Incorrect("two calls with the same random_state gave different results: draw every "
                        "permutation from one generator made from random_state "
                        "(np.random.default_rng(random_state)), not from the global np.random.")
    other = _importances(answer, model, X, y, n_repeats, seed + 1, extra)
    if np.allclose(other, first) and np.ptp(first) > 0:
        raise Incorrect("random_state is ignored: another random_state gave exactly the same permutations.")


def _check_repeats_differ(sem, important):
    # Identical repeats still leave a standard error of ~1e-17 from rounding in the mean.
    if np.all(sem[important] < 1e-12):
        raise Incorrect("every repeat gives the same value: draw a new permutation for each repeat.")


def _compare_means(yours, expected, sem, labels, source):
    """Raise Incorrect naming the first row whose mean is outside the tolerance."""
    tolerance = Z_TOLERANCE * sem + ABS_FLOOR
    for k in np.flatnonzero(np.abs(yours - expected) > tolerance):
        raise Incorrect(f"{labels[k]}: your mean importance is {yours[k]:.3f} but {source} gives "
                        f"{expected[k]:.3f} (tolerance {tolerance[k]:.3f}).")


def _forest(X, y, seed):
    return train_forest(X, y, n_estimators=30, min_samples_leaf=3, random_state=seed)


# --------------------------------------------------------------------------------------------
# Exercise 1.1: taxonomy


def _normalise_place(place, method):
    if not isinstance(place, (tuple, list)) or len(place) != 2:
        raise Incorrect(f"taxonomy({method!r}) should return a pair (scope, access), got {place!r}.")
    if not all(type(part) is str for part in place):  # exact str: no object may fake equality
        raise Incorrect(f"taxonomy({method!r}) should return two strings, got {place!r}.")
    scope, access = (part.strip().lower().removeprefix("model-").removeprefix("model ") for part in place)
    if scope in ACCESS and access in SCOPES:
        raise Incorrect(f"taxonomy({method!r}) returned {place!r}: the order is (scope, access), "
                        "scope first.")
    if scope not in SCOPES or access not in ACCESS:
        raise Incorrect(f"taxonomy({method!r}) returned {place!r}: scope must be one of {SCOPES} "
                        f"and access one of {ACCESS}.")
    return scope, access


def _check_taxonomy(answer, *, methods=None, key=None):
    methods = methods or TAXONOMY_METHODS
    places = {m: _normalise_place(call(answer, m), m) for m in methods}
    key = dict(WORKED_EXAMPLES) if key is None else key
    wrong = {"scope": 0, "access": 0}
    for method, (scope, access) in key.items():
        wrong["scope"] += places[method][0] != scope
        wrong["access"] += places[method][1] != access
    if wrong["scope"] or wrong["access"]:
        raise Incorrect(
            f"of {len(key)} methods checked, {wrong['scope']} have the wrong scope and "
            f"{wrong['access']} the wrong access. Scope: does the method explain one prediction "
            "(local) or the model over a data set (global)? Access: does it need only predictions "
            "(agnostic) or the model's insides: gradients, trees, weights, activations (specific)?")


TAXONOMY_METHODS = (
    "permutation importance", "impurity importance (MDI)", "partial dependence plot", "ICE curves",
    "LIME", "KernelSHAP", "TreeSHAP", "saliency map", "Grad-CAM", "Integrated Gradients",
    "global surrogate tree", "TCAV", "counterfactual explanation", "linear model coefficients",
)
# The two placements the notebook works through in its text; the rest are graded by hidden tests.
WORKED_EXAMPLES = {"permutation importance": ("global", "agnostic"), "Grad-CAM": ("local", "specific")}

taxonomy = Exercise(
    title="Exercise 1.1 taxonomy",
    check=_check_taxonomy,
    section="1. Two axes: scope and access",
    hints=[
        "Ask two questions of each method. Scope: is the output about one input (a heat map of one "
        "image, the weights of one local surrogate) or about the model over a data set (a ranking "
        "of features)? Access: could you run it against a model behind an API that returns only "
        "predictions?",
        "Methods that need gradients (saliency, Grad-CAM, IG), a tree's structure (MDI, TreeSHAP), "
        "a layer's activations (TCAV) or the coefficients themselves are model-specific.",
        "A lookup table is enough: `PLACES = {\"LIME\": (\"local\", \"agnostic\"), ...}` and "
        "`return PLACES[method]`.",
    ],
)


# --------------------------------------------------------------------------------------------
# Exercise 1.2: permutation importance


def _check_permutation_importance(answer, *, seed=0, n_samples=400, n_features=4, n_repeats=20):
    X, y, _ = make_linear_data(n_samples, n_features, noise=0.5, random_state=seed)
    model = train_linear(X, y)
    X_before = X.copy()
    imp = _importances(answer, model, X, y, n_repeats, seed)
    if not np.array_equal(X, X_before):
        raise Incorrect("your function changed the caller's X in place: permute a copy.")
    _check_reproducible(answer, imp, model, X, y, n_repeats, seed)
    # Closed form: on the training data of a least-squares fit the residual is orthogonal to every
    # column, so the expected drop in R^2 when x_j is permuted is 2 coef_j^2 Var(x_j) / Var(y).
    expected = 2 * model.coef_ ** 2 * X.var(axis=0) / y.var()
    mean, sem = imp.mean(axis=1), imp.std(axis=1, ddof=1) / np.sqrt(n_repeats)
    important = expected > 0.05
    _check_repeats_differ(sem, important)
    if np.all(mean[important] < 0):
        raise Incorrect("your importances are negative for features that matter: importance is the "
                        "baseline score minus the score after permuting (a drop is positive).")
    if np.all(np.abs(mean[important] - 1) < 0.5):
        raise Incorrect("your values are close to 1: return the drop (baseline - permuted score), "
                        "not a ratio of scores.")
    labels = [f"feature {j} of a linear model" for j in range(n_features)]
    _compare_means(mean, expected, sem, labels, "the closed form 2 coef_j^2 Var(x_j) / Var(y)")
    # The library, on a non-linear model and held-out data.
    X_test, y_test, _ = make_linear_data(n_samples, n_features, noise=0.5, random_state=seed + 100)
    forest = _forest(X, y, seed)
    imp = _importances(answer, forest, X_test, y_test, n_repeats, seed)
    ref = _sk_permutation_importance(forest, X_test, y_test, n_repeats=n_repeats, random_state=seed)
    sem = np.sqrt((imp.var(axis=1, ddof=1) + ref.importances.var(axis=1, ddof=1)) / n_repeats)
    labels = [f"feature {j} of a random forest" for j in range(n_features)]
    _compare_means(imp.mean(axis=1), ref.importances_mean, sem, labels,
                   "sklearn.inspection.permutation_importance")


permutation_importance = Exercise(
    title="Exercise 1.2 permutation_importance",
    check=_check_permutation_importance,
    section="3. Permutation importance on a held-out fold",
    hints=[
        "Start from the baseline `model.score(X, y)`. For each feature j and each repeat, shuffle "
        "column j only, score again, and store baseline minus that score.",
        "Make one generator, `rng = np.random.default_rng(random_state)`, and copy X before you "
        "shuffle: `X_perm = X.copy(); X_perm[:, j] = X[rng.permutation(len(X)), j]`. Never shuffle "
        "the caller's X in place, and never keep a column shuffled when you move on to the next one.",
        "Fill `importances = np.empty((n_features, n_repeats))` in a double loop over features and "
        "repeats, and return it.",
    ],
    forbidden={"sklearn.inspection._permutation_importance": "scikit-learn's permutation_importance"},
)


# --------------------------------------------------------------------------------------------
# Exercise 1.3: grouped permutation importance


def _check_grouped(answer, *, seed=0, n_samples=400, n_repeats=20):
    coef = np.array([1.5, 1.5, 1.0, 0.5, 0.0])
    X, y, _ = make_linear_data(n_samples, 5, coef=coef, correlated=(0, 1), corr=0.95, noise=0.5,
                               random_state=seed)
    groups = [[0, 1], [2], [3, 4]]
    model = train_linear(X, y)
    X_before = X.copy()
    imp = _importances(answer, model, X, y, n_repeats, seed, extra=(groups,))
    if not np.array_equal(X, X_before):
        raise Incorrect("your function changed the caller's X in place: permute a copy.")
    _check_reproducible(answer, imp, model, X, y, n_repeats, seed, extra=(groups,))
    mean, sem = imp.mean(axis=1), imp.std(axis=1, ddof=1) / np.sqrt(n_repeats)
    # Closed form: one row permutation for the whole group changes the prediction by
    # (X_G[perm] - X_G) coef_G, whose expected square is 2 Var(X_G coef_G).
    w = model.coef_
    joint = np.array([2 * np.var(X[:, g] @ w[g]) for g in groups]) / y.var()
    # Two plausible mistakes: a separate permutation per column keeps half of the covariance term,
    # (joint + 2 sum w_j^2 Var(x_j)) / 2; adding single-column importances keeps none of it.
    summed = np.array([2 * np.sum(w[g] ** 2 * X[:, g].var(axis=0)) for g in groups]) / y.var()
    separate = (joint + summed) / 2
    _check_repeats_differ(sem, joint > 0.05)
    miss = np.abs(mean[0] - joint[0])
    if miss > Z_TOLERANCE * sem[0] + ABS_FLOOR and min(abs(mean[0] - separate[0]),
                                                       abs(mean[0] - summed[0])) < miss:
        raise Incorrect("for the correlated pair your importance matches permuting each column on its "
                        "own (or adding single-column importances). Use ONE row permutation for all "
                        "columns of a group, so that the group keeps its inner correlation.")
    labels = [f"group {g} of a linear model" for g in groups]
    _compare_means(mean, joint, sem, labels, "the closed form 2 Var(X_G coef_G) / Var(y)")
    # The library, on a forest and held-out data: scikit-learn permuting an index column.
    X_test, y_test, _ = make_linear_data(n_samples, 5, coef=coef, correlated=(0, 1), corr=0.95,
                                         noise=0.5, random_state=seed + 100)
    forest = _forest(X, y, seed)
    imp = _importances(answer, forest, X_test, y_test, n_repeats, seed, extra=(groups,))
    ref = np.array([joint_permutation_importance(forest, X_test, y_test, g, n_repeats=n_repeats,
                                                 random_state=seed) for g in groups])
    sem = np.sqrt((imp.var(axis=1, ddof=1) + ref.var(axis=1, ddof=1)) / n_repeats)
    labels = [f"group {g} of a random forest" for g in groups]
    _compare_means(imp.mean(axis=1), ref.mean(axis=1), sem, labels,
                   "scikit-learn's permutation importance with the group permuted jointly")


grouped_permutation_importance = Exercise(
    title="Exercise 1.3 grouped_permutation_importance",
    check=_check_grouped,
    section="4. Grouped permutation importance",
    hints=[
        "Same recipe as permutation_importance, but a group of columns is shuffled together.",
        "Together means with the same rows: `perm = rng.permutation(len(X))`, then "
        "`X_perm[:, group] = X[perm][:, group]`. Shuffling each column of the group with its own "
        "permutation breaks the correlation inside the group and measures something else.",
        "Return an array of shape (len(groups), n_repeats).",
    ],
    forbidden={"sklearn.inspection._permutation_importance": "scikit-learn's permutation_importance"},
)


# --------------------------------------------------------------------------------------------
# Drill D2: near-duplicate features


_RECOMPUTED = ("your values match a recomputation on the test fold with other permutations. "
               "This is the graded check.")


def _close(yours, reference, what):
    if abs(yours - reference) > REL_RECOMPUTE * abs(reference) + ABS_RECOMPUTE:
        raise Incorrect(f"{what} is {yours:.3f}, but recomputing it on the held-out fold gives "
                        f"about {reference:.3f}: did you use the test fold, the fitted forest and "
                        "the mean over repeats?")


def _check_d2_importances(individual, joint, *, model, X_test, y_test, twins):
    individual = as_float_array(individual, "d2_individual", shape=(2,))
    joint = float(as_float_array(joint, "d2_joint", shape=()))
    X, y = np.asarray(X_test, dtype=float), np.asarray(y_test, dtype=float)
    for name, value, j in zip(("d2_individual[0]", "d2_individual[1]"), individual, twins):
        reference = joint_permutation_importance(model, X, y, [j], n_repeats=10, random_state=1).mean()
        _close(value, reference, name)
    _close(joint, joint_permutation_importance(model, X, y, twins, n_repeats=10, random_state=1).mean(),
           "d2_joint")
    return _RECOMPUTED


def _check_d2_fix(answer, *, X_train, y_train, X_test, y_test, twins, individual):
    value = float(as_float_array(answer, "d2_fixed", shape=()))
    merged = []
    for X in (X_train, X_test):
        X = np.asarray(X, dtype=float)
        rest = [j for j in range(X.shape[1]) if j not in twins]
        merged.append(np.column_stack([X[:, rest], X[:, twins].mean(axis=1)]))
    forest = train_forest(merged[0], np.asarray(y_train, dtype=float), random_state=0)
    last = merged[1].shape[1] - 1
    reference = joint_permutation_importance(forest, merged[1], np.asarray(y_test, dtype=float), [last],
                                             n_repeats=10, random_state=1).mean()
    _close(value, reference, "d2_fixed")
    if value <= 2 * max(individual):
        raise Incorrect("d2_fixed is not clearly larger than either twin's own importance: the fix "
                        "should recover the signal the pair carries together.")
    return _RECOMPUTED


d2_importances = Exercise(
    title="Drill D2 (a) the twins' importances",
    check=_check_d2_importances,
    section="Drill D2: near-duplicate features",
    hints=["`permutation_importance(forest, X_test, y_test, n_repeats=10, random_state=0)` from "
           "scikit-learn gives `importances_mean`; pick the two twins' positions. For the pair, "
           "use your grouped function (or `joint_permutation_importance`) and take the mean."],
)
d2_why = Exercise(
    title="Drill D2 (b) why",
    check=check_choice,
    section="Drill D2: near-duplicate features",
    hints=["Think about what the forest can still read when only ONE twin is shuffled."],
)
d2_fix = Exercise(
    title="Drill D2 (c) the fix",
    check=_check_d2_fix,
    section="Drill D2: near-duplicate features",
    hints=["Replace the two twin columns by one column, their mean (put it last), refit "
           "`train_forest(X_train_merged, y_train, random_state=0)`, and take the held-out "
           "permutation importance of the new column."],
)
