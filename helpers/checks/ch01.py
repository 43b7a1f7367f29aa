"""Checks for chapter 01: the taxonomy, permutation importance (single and grouped), drill D2.

Permutation importance is checked exactly: the answer gets a :class:`SpyModel` that records every
matrix it scores, so the check sees what was permuted (only that column or group, by one true row
permutation, none drawn twice) and that each value is the baseline score minus a recorded score.
The same exact check runs on a forest and held-out rows. A secondary oracle compares the means with
the closed form ``E[I_G] = 2 Var(X_G w_G) / Var(y)`` of least squares WITH AN INTERCEPT on its training
rows (the residual sums to 0 and is orthogonal to every column; the features need not be independent):
permutations that are not uniformly random fail it. Drill D2's checks rebuild the notebook's data and
forest from the seed (``helpers.lib.ch01``) and repeat the calls the task names, exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import r2_score

from helpers.lib import ch01 as lib
from helpers.models import train_forest

from ._core import Chapter, Exercise, Incorrect, Recorded, as_float_array, call, choice
from ._idioms import Pitfall, SpyModel, check_seeded, close, diagnose, expect_refit, inputs_unchanged

# Linear bed: the mean of K drops against the closed form. The spread of ONE drop is measured in the
# check on 400 permutations of the bed (relative error ~4%); 5 standard errors of a K-mean plus a
# floor of 1e-3 (in R^2) keep a correct answer's false-failure rate below 1e-6 per feature.
Z = 5.0
CLOSED_FORM_FLOOR = 1e-3
# A uniform permutation of n rows leaves Poisson(1) rows in place: P(more than 10) < 1e-8.
MAX_FIXED_ROWS = 10
# Drill D2 is graded exactly: the task names the calls (scikit-learn's permutation importance for one
# twin, lib.joint_permutation_importance for the pair and the merged column, n_repeats=10,
# random_state=SEED), and the check repeats them on the data and forest it rebuilds from the seed.
# A tolerance cannot do the job: the old forest's pair importance (0.336) lies 0.009 from the merged
# column's (0.327), while two means of 10 permutations differ by sd ~0.010 (measured over 30 seeds:
# sd 0.0072 for the pair, so sqrt(2) * 0.0072). That spread only chooses the message: within
# 5 sd + 0.005 of the stated call, an answer is told that it estimated with other permutations.
D2_NEAR = 5 * np.sqrt(2) * 0.0072 + 0.005  # 0.056


def _check_taxonomy(answer, *, key=None):
    places = {}
    for method in lib.TAXONOMY_METHODS:
        try:
            places[method] = lib.normalise_place(call(answer, method))
        except ValueError as error:
            raise Incorrect(f"taxonomy({method!r}): {error}.") from None
    for method in [m for m, place in lib.WORKED_EXAMPLES.items() if places[m] != place]:
        raise Incorrect(f"taxonomy({method!r}) returned {places[method]}, but section 1 works this placement "
                        "out in its text: reread its two worked placements.")
    if key is None:
        raise Recorded(f"all {len(places)} placements have the (scope, access) form and the two worked "
                       "examples are right; the other twelve are recorded.")
    key = {method: lib.normalise_place(place) for method, place in key.items()}
    scope, access = (sum(places[m][axis] != key[m][axis] for m in key) for axis in (0, 1))
    if scope or access:
        raise Incorrect(f"of {len(key)} methods, {scope} have the wrong scope and {access} the wrong access. Scope: "
                        "does the method explain one prediction (local) or the model over a data set (global)? "
                        "Access: does it need only predictions (agnostic) or the model's insides (specific)?")


class _Task:
    """The groups asked for (one per feature in 1.2); ``keys``: their non-constant columns (permuted, a
    constant column leaves X unchanged: nothing to record)."""

    def __init__(self, groups, X, single):
        self.groups, self.single, self.noun = [list(g) for g in groups], single, "feature" if single else "group"
        self.varying = [c for c in range(X.shape[1]) if np.ptp(X[:, c]) > 0]
        self.keys = [frozenset(c for c in g if c in self.varying) for g in self.groups]

    def label(self, columns):
        return f"feature {sorted(columns)[0]}" if self.single else f"group {sorted(columns)}"


def _importances(answer, model, X, y, task, n_repeats, seed):
    """Call the answer on a spy of ``model``; return its (len(groups), n_repeats) array and the spy."""
    spy = SpyModel(model)
    with inputs_unchanged(X=X, y=y):
        result = call(answer, spy, X, y, *(() if task.single else (task.groups,)), n_repeats=n_repeats,
                      random_state=seed)
    if (array := as_float_array(result, "your result")).shape != (len(task.groups), n_repeats):
        raise Incorrect(f"your result has shape {array.shape}, not ({len(task.groups)}, n_repeats={n_repeats}): "
                        f"one ROW per {task.noun}, one column per repeat (every repeat, not only the mean).")
    return array, spy


def _permutation(M, X, columns, what):
    """The one row permutation that turned X[:, columns] into M[:, columns], or Incorrect."""
    if not close(np.sort(M[:, columns], axis=0), np.sort(X[:, columns], axis=0)):
        raise Incorrect(f"in a matrix your function scored, {what} is not a reordering of X's rows: some rows "
                        "appear twice and others not at all. Drawing rows with replacement (`rng.choice(n, n)`, "
                        "`rng.integers`) is not a permutation: use `rng.permutation(n)`.")
    perm = np.empty(len(X), dtype=int)
    perm[np.argsort(M[:, columns[0]], kind="stable")] = np.argsort(X[:, columns[0]], kind="stable")
    if not close(M[:, columns], X[perm][:, columns]):
        raise Incorrect(f"the columns of {what} were shuffled with different row permutations: use ONE for all "
                        "columns of a group, so that it keeps its inner correlation (`X[perm][:, group]`).")
    column = M[:, columns[0]]
    steps = np.diff(column)
    if len(np.unique(column)) > 2 and (np.all(steps >= 0) or np.all(steps <= 0)):  # 2 / n! for a shuffle
        raise Incorrect(f"in a matrix your function scored, {what} is in sorted order: a sort is not a random "
                        "shuffle. Draw each permutation with `rng.permutation(n)`.")
    if len(np.unique((perm - np.arange(len(X))) % len(X))) == 1:  # a cyclic shift: probability n / n! for a shuffle
        raise Incorrect(f"in a matrix your function scored, {what} is X's rows rotated (`np.roll`): a shift by a random "
                        "offset is not a random shuffle. Draw each permutation with `rng.permutation(n)`.")
    if (fixed := np.sum(perm == np.arange(len(X)))) > MAX_FIXED_ROWS:
        raise Incorrect(f"a permutation of {what} left {fixed} of {len(X)} rows in place: shuffle all the rows, "
                        "`rng.permutation(n)`.")
    return perm


def _unknown(key, task):
    """Incorrect: a scored matrix permuted columns that are no group's."""
    unit, columns = "column" if task.single else "group", sorted(key)
    if task.single or any(k and k < key for k in task.keys):
        raise Incorrect(f"a matrix your function scored had columns {columns} shuffled at once: when you moved on, "
                        f"the {unit} before was still shuffled. Start every permutation from a fresh copy of X.")
    raise Incorrect(f"your function permuted only the columns {columns} of a group (one column at a time?): shuffle "
                    "all its columns at once, with one row permutation." if any(key < k for k in task.keys) else
                    f"your function scored a matrix with the columns {columns} shuffled: none of the groups.")


def _scores(calls, X, y, task):
    """{group key: the model's score (or R^2 of its predictions) of each distinct matrix permuting it}."""
    scores, seen, drawn = {key: [] for key in task.keys}, set(), {}
    for method, M, result in calls:
        if M.shape != X.shape:
            raise Incorrect(f"your function scored a matrix of shape {M.shape}, X has shape {X.shape}: permute a "
                            "column in place of itself, keep every column (dropping one is another method).")
        key = frozenset(c for c in task.varying if not close(M[:, c], X[:, c]))
        if not key or M.tobytes() in seen:  # the baseline, a constant column, or a matrix scored again
            continue
        seen.add(M.tobytes())
        if key not in scores:
            _unknown(key, task)
        first = drawn.setdefault(_permutation(M, X, sorted(key), task.label(key)).tobytes(), key)
        if first != key:
            raise Incorrect(f"{task.label(first)} and {task.label(key)} were shuffled with the same row "
                            f"permutation: draw a new permutation for every {task.noun} and repeat, all from "
                            "ONE generator made before the loops, `rng = np.random.default_rng(random_state)` "
                            f"(a generator made anew for each {task.noun} draws the same permutations again).")
        scores[key].append(float(result) if method == "score" else r2_score(y, result))
    return scores, drawn


def _check_generator(drawn, n_rows, n_draws, seed, task):
    """Every permutation the answer drew is one of the first ``n_draws`` of
    ``rng = np.random.default_rng(seed)``, ``rng.permutation(n_rows)``, as the task states (in any
    order of the loops; a constant column's draw may be skipped)."""
    rng = np.random.default_rng(seed)
    expected = {rng.permutation(n_rows).tobytes() for _ in range(n_draws)}
    if not set(drawn) <= expected:
        raise Incorrect(f"your permutations are not the ones the task states: one generator made once from "
                        f"random_state, `rng = np.random.default_rng(random_state)`, drawing each shuffle with "
                        f"`rng.permutation(n)`, {task.noun} by {task.noun} or repeat by repeat. The legacy "
                        "`np.random.seed` with `np.random.permutation`, `check_random_state`, `rng.choice` or "
                        "permutations kept from an earlier call draw others.")


def _check_drops(imp, scores, baseline, task):
    """Each row of ``imp`` must be the recorded drops of its group, repeats in any order."""
    rows_of = {}
    for g, key in enumerate(task.keys):
        rows_of.setdefault(key, []).append(g)
    drops = {key: baseline - np.array(scores[key]) if key else np.zeros(imp.shape[1] * len(rows))
             for key, rows in rows_of.items()}
    for key, rows in rows_of.items():
        if len(drops[key]) != imp.shape[1] * len(rows):
            raise Incorrect(f"for {task.label(task.groups[rows[0]])} your function scored {len(drops[key])} "
                            f"different copies of X with only its column(s) permuted, for {imp.shape[1] * len(rows)} "
                            "values: score one fresh permutation of those columns (not of y) per repeat.")
    yours = np.concatenate([np.sort(imp[rows].ravel()) for rows in rows_of.values()])
    truth = np.concatenate([np.sort(d) for d in drops.values()])
    if close(yours, truth):
        return
    constant = imp[[not key for key in task.keys]]
    if not close(constant, 0 * constant):
        raise Incorrect(f"a constant {task.noun}'s importance is exactly 0: shuffling it changes nothing.")
    own = [np.sort(drops[key]) for key in task.keys]
    if len(rows_of) == len(own) and all(any(close(np.sort(row), d) for d in own) for row in imp):
        raise Incorrect(f"each row of your result holds the importances of another {task.noun}: keep the rows "
                        f"in the order of {'X' if task.single else '`groups`'} (do not sort them).")

    def variant(f):
        return lambda: np.concatenate([np.sort(f(d)) for d in drops.values()])

    factor = float(yours @ truth / (truth @ truth)) if truth @ truth > 0 else 1.0
    diagnose(yours, truth, [
        Pitfall("sign", variant(np.negative), "your values are the permuted score minus the baseline: "
                "importance is the baseline score minus the permuted score (a drop is positive)."),
        Pitfall("absolute", variant(np.abs), "you took the absolute value of the drop: a negative importance "
                "(the shuffled column scored better by chance) is information, keep its sign."),
        Pitfall("ratio", variant(lambda d: (baseline - d) / baseline),
                "your values are ratios of scores: return the difference, baseline minus permuted score."),
        Pitfall("scaled", lambda: factor * truth, "your values are the drops times a common factor: shares of a "
                "total, drops divided by the baseline, or the change of another score (a change of MSE is the "
                "R^2 drop times Var(y))? Return each drop, `model.score(X, y) - model.score(X_perm, y)`."),
    ], otherwise="your values are not the baseline score `model.score(X, y)` minus the scores of the matrices "
                 "your function permuted (the check records every matrix it passes to the model): use "
                 "`model.score` on the X you were given, for the baseline and every permuted copy.")


def _verified(answer, model, X, y, task, n_repeats, seed, *, seeded=True):
    """Run the answer on a spy of ``model``; check what it scored and returned; return its importances."""
    runs = []
    run = lambda s: runs.append(_importances(answer, model, X, y, task, n_repeats, s)) or runs[-1][0]  # noqa: E731
    imp = check_seeded(run, seed, none_varies=True) if seeded else run(seed)
    scores, drawn = _scores(runs[0][1].calls, X, y, task)
    _check_drops(imp, scores, model.score(X, y), task)
    _check_generator(drawn, len(X), len(task.keys) * n_repeats, seed, task)
    return imp


def _check_importances(answer, *, groups, seed, n_samples, n_repeats, single, **bed):
    n_features = 1 + max(max(g) for g in groups)
    model, X, y = lib.importance_bed(seed, n_samples, n_features, **bed)
    task = _Task(groups, X, single)
    imp = _verified(answer, model, X, y, task, n_repeats, seed)
    # Closed form of a least-squares fit with an intercept on its training rows; the spread of one drop
    # is measured on 400 permutations: how each changes the prediction, and so the residual sum of squares.
    resid, rng = y - model.predict(X), np.random.default_rng(seed)
    perms = np.array([rng.permutation(len(X)) for _ in range(400)])
    for g, group in enumerate(task.groups):
        part = X[:, group] @ model.coef_[group]
        drops = (((resid - part[perms] + part) ** 2).sum(axis=1) - (resid ** 2).sum()) / (np.var(y) * len(y))
        if abs(imp[g].mean() - 2 * np.var(part) / np.var(y)) > Z * drops.std() / np.sqrt(n_repeats) + CLOSED_FORM_FLOOR:
            raise Incorrect(f"for {task.label(group)} of a linear model the mean of your importances is far from "
                            "the closed form 2 Var(X_G w_G) / Var(y), although each value is a drop of a permuted "
                            "matrix: are your permutations uniformly random?")
    # A forest on held-out rows: the same exact check, through a non-linear model's score.
    _verified(answer, *lib.importance_bed(seed, n_samples, n_features, **bed, held_out=True), task, n_repeats, seed,
              seeded=False)


def _check_permutation_importance(answer, *, seed=0, n_samples=200, n_features=4, n_repeats=8, constant=None):
    _check_importances(answer, groups=[[j] for j in range(n_features)], seed=seed, n_samples=n_samples,
                       n_repeats=n_repeats, single=True, constant=constant)


def _check_grouped(answer, *, seed=0, n_samples=200, groups=((0, 1), (2,), (3, 4)), n_repeats=8,
                   correlated=(0, 1), constant=None, null=2):
    _check_importances(answer, groups=groups, seed=seed, n_samples=n_samples, n_repeats=n_repeats,
                       single=False, correlated=correlated, constant=constant, null=null)


def _d2_means(setup, columns, seed, *, train=False, n_repeats=lib.D2_N_REPEATS):
    """The mean importance of each column list in ``columns`` for ``setup.forest``. scikit-learn's of
    column j equals lib's of ``[j]`` to the last bit: one seed gives every column the same permutations."""
    X, y = (setup.X_train, setup.y_train) if train else (setup.X_test, setup.y_test)
    return np.array([lib.joint_permutation_importance(setup.forest, X, y, group, n_repeats=n_repeats,
                                                      random_state=seed).mean() for group in columns])


def _stated(name, yours, setup, columns, call_text, *, seed, far, pitfalls=(), mdi=None):
    """Compare a D2 value with the task's call on the test fold, and name the pitfall of a mismatch."""
    def means(**options):  # shaped like the answer: an array of values, or one
        return _d2_means(setup, columns, seed, **options).reshape(np.shape(yours))
    expected = means()
    near = close(yours, expected, rtol=0, atol=D2_NEAR)
    diagnose(yours, expected, [
        *pitfalls, *(Pitfall(f"n_repeats={k}", lambda k=k: means(n_repeats=k), f"{name} is a mean over {k} "
                             f"permutation{'s' * (k > 1)}: the task asks for n_repeats=10.") for k in (1, 5)),
        Pitfall("training rows", lambda: means(train=True), f"{name} looks computed on the training rows: use "
                "the test fold, X_test and y_test."),
        *([Pitfall("MDI", mdi, f"{name} holds impurity importances (feature_importances_): the drill asks for "
                   "permutation importances on the test fold.")] if mdi else [])],
        otherwise=f"{name} is near what `{call_text}` gives, but not equal: the check repeats that call with the "
        "same seed, so make exactly that call (another seed, generator or loop draws other permutations, and an "
        "estimate the check cannot reproduce could as well be a wrong one)." if near else
        f"{name} is not what `{call_text}` gives, nor near it: {far}")


def _check_d2_importances(individual, joint, *, random_state=0):
    individual = as_float_array(individual, "d2_individual", shape=(2,))
    joint = float(as_float_array(joint, "d2_joint", shape=()))
    setup, seed = lib.importance_setup(random_state), random_state
    twins = setup.twins
    _stated("d2_individual", individual, setup, [[j] for j in twins], "inspection.permutation_importance(forest, "
            f"X_test, y_test, n_repeats=10, random_state={seed}).importances_mean[twins]", seed=seed,
            far="use the forest of section 2 on X_test and y_test.", mdi=lambda: setup.forest.feature_importances_[
                twins], pitfalls=[Pitfall("swapped", lambda: _d2_means(setup, [[j] for j in twins[::-1]], seed),
                                          "d2_individual has the twins in the other order: twin_a first.")])
    summed = ("d2_joint is the sum of the two single importances: each misses what the other twin still "
              "supplies, so their sum misses the part they share. Shuffle both twin columns with ONE row "
              "permutation, `lib.joint_permutation_importance`, and take the mean.")
    _stated("d2_joint", joint, setup, [twins], f"lib.joint_permutation_importance(forest, X_test, y_test, twins, "
            f"n_repeats=10, random_state={seed}).mean()", seed=seed, far="shuffle both twins with ONE row "
            "permutation (each with its own permutation is not the same) and take the mean.", pitfalls=[
                Pitfall("own sum", individual.sum, summed),
                Pitfall("sum", lambda: _d2_means(setup, [[j] for j in twins], seed).sum(), summed)])
    return "your importances equal what the task's calls give on the test fold; grading runs this same check."


def _merged(X):
    """The reference artefact of D2 (c): the twins dropped, their mean added as the last column."""
    return X.drop(columns=list(lib.TWINS)).assign(**{lib.MERGED_COLUMN: X[list(lib.TWINS)].mean(axis=1)})


def _check_table(table, reference, name):
    if not isinstance(table, pd.DataFrame):
        raise Incorrect(f"{name} should be a DataFrame with named columns, got {type(table).__name__}.")
    columns, new = [str(c) for c in table.columns], lib.MERGED_COLUMN
    if kept := [t for t in lib.TWINS if t in columns]:
        raise Incorrect(f"{name} still has the column(s) {kept}: the fix DROPS both twins and adds their mean as "
                        f"one new last column, '{new}'.")
    if columns != list(reference.columns):
        raise Incorrect(f"{name} has the columns {columns}; expected the other columns in their order, then "
                        f"the new column '{new}' last.")
    values, reference = as_float_array(table.to_numpy(), name, shape=reference.shape), reference.to_numpy(float)
    for part, message in [(slice(-1), f"the other columns of {name} (or its rows) differ from "
                           f"{name.removesuffix('_merged')}'s: keep them as they are."),
                          (-1, f"'{new}' in {name} is not the row-wise mean of the twins, (twin_a + twin_b) / 2.")]:
        if not close(values[:, part], reference[:, part]):
            raise Incorrect(message)


def _check_d2_fix(X_train_merged, X_test_merged, forest_merged, fixed, *, random_state=0):
    old, seed = lib.importance_setup(random_state), random_state
    train, test = _merged(old.X_train), _merged(old.X_test)
    _check_table(X_train_merged, train, "X_train_merged")
    _check_table(X_test_merged, test, "X_test_merged")
    fixed = float(as_float_array(fixed, "d2_fixed", shape=()))
    refit = train_forest(train, old.y_train, random_state=lib.REFIT_RANDOM_STATE)
    expect_refit(forest_merged, refit, test, name="forest_merged", params=("random_state",),
                 how=f"models.train_forest(X_train_merged, y_train, random_state={lib.REFIT_RANDOM_STATE})")
    _stated("d2_fixed", fixed, old._replace(X_train=train, X_test=test, forest=refit), [[test.shape[1] - 1]],
            "inspection.permutation_importance(forest_merged, X_test_merged, y_test, n_repeats=10, "
            f"random_state={seed}).importances_mean[-1]", seed=seed, far="the permutation importance of "
            "'twin_mean' for forest_merged on X_test_merged.", mdi=lambda: refit.feature_importances_[-1],
            pitfalls=[Pitfall("old forest", lambda: _d2_means(old, [old.twins], seed)[0], "d2_fixed is the "
                              "importance of the twins permuted together for the forest of section 2 (d2_joint): "
                              "compute it for forest_merged, on X_test_merged, of its last column.")])
    return "your tables and refit are right, and d2_fixed equals what the task's call gives; grading runs this same check."


_SKLEARN = {"sklearn.inspection._permutation_importance": "scikit-learn's permutation_importance"}
CHAPTER = Chapter("01", [
    Exercise("taxonomy", "1.1", "1. Two axes: scope and access", _check_taxonomy, hints=[
        "Ask two questions of each method. Scope: is the output about one input (a heat map of one image, one "
        "local surrogate, one row's curve) or about the model over a data set (a ranking of features)? Access: "
        "could you run it against a model behind an API that returns only predictions?",
        "Methods that need gradients (saliency, Grad-CAM, IG), a tree's structure (MDI, TreeSHAP), a layer's "
        "activations (TCAV) or the coefficients themselves are model-specific.",
        "A lookup table is enough: `PLACES = {\"LIME\": (\"local\", \"agnostic\"), ...}`, `return PLACES[method]`."]),
    Exercise("permutation_importance", "1.2", "3. Permutation importance on a held-out fold",
             _check_permutation_importance, forbidden=_SKLEARN, hints=[
        "Start from the baseline `model.score(X, y)`. For each feature j and each repeat, shuffle column j only, "
        "score again, and store baseline minus that score.",
        "One generator before the loops, `rng = np.random.default_rng(random_state)`, and a fresh copy for every "
        "permutation: `X_perm = X.copy(); X_perm[:, j] = X[rng.permutation(len(X)), j]`. Never shuffle the "
        "caller's X in place, and never keep a column shuffled when you move on.",
        "Fill `importances = np.empty((n_features, n_repeats))` in a double loop over features and repeats."]),
    Exercise("grouped_permutation_importance", "1.3", "4. Grouped permutation importance", _check_grouped,
             forbidden=_SKLEARN, hints=[
        "Same recipe as permutation_importance, but a group of columns is shuffled together.",
        "Together means with the same rows: `perm = rng.permutation(len(X))`, then `X_perm[:, group] = "
        "X[perm][:, group]`. A permutation per column breaks the group's inner correlation.",
        "Return an array of shape (len(groups), n_repeats), row g for groups[g], in the order given."]),
    Exercise("d2_importances", "D2 (a)", "Drill D2 · Near-duplicate features", _check_d2_importances,
             heading="the twins' importances", hints=[
        "Section 3's `pi_test.importances_mean` holds the single importances; pick the twins' positions, `twins`.",
        "For the pair, `lib.joint_permutation_importance(...)` as the task writes it permutes both columns with one "
        "row permutation; take the mean of its repeats. Adding the two single importances is not the same."]),
    Exercise("d2_why", "D2 (b)", "Drill D2 · Near-duplicate features", choice("ABCD"), heading="why", hints=[
        "Think about what the forest can still read when only ONE twin is shuffled.",
        "Compare the numbers of part (a): a twin shuffled alone against both twins shuffled together. Which "
        "option predicts a small drop for each alone and a large one for the pair?"]),
    Exercise("d2_fix", "D2 (c)", "Drill D2 · Near-duplicate features", _check_d2_fix, heading="the fix", hints=[
        "`X.drop(columns=[\"twin_a\", \"twin_b\"])` keeps the other columns in order; then `merged[\"twin_mean\"] "
        "= X[[\"twin_a\", \"twin_b\"]].mean(axis=1)` adds the new column last.",
        "The same for X_train and X_test, refit as the task says, and take the last entry of the call's "
        "`importances_mean`: the merged column is the last one."]),
])
__getattr__ = CHAPTER.attribute
__all__ = CHAPTER.names
