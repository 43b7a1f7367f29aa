"""Answers that audit chapter 01's graders: each one is the whole source of an answer cell.

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

ALTERNATIVE = {
    "taxonomy_answer": '''
def taxonomy(method):
    """If/else written, capitalised, with "Model agnostic" / "Model-specific": the same placements."""
    if method in ("LIME", "KernelSHAP", "ICE curves", "counterfactual explanation"):
        return ["Local", "Model agnostic"]
    if method in ("TreeSHAP", "saliency map", "Grad-CAM", "Integrated Gradients"):
        return ("LOCAL ", "Model-specific")
    if method in ("permutation importance", "partial dependence plot", "global surrogate tree"):
        return ["Global", "model_agnostic"]
    return ("global", "Model specific")
''',
    "permutation_importance_answer": '''
def permutation_importance(model, X, y, *, n_repeats=5, random_state=None):
    """The task's generator, one working copy whose column is shuffled in place (`rng.shuffle` on the
    column draws what `rng.permutation(n)` draws) and restored after each repeat."""
    rng = np.random.default_rng(random_state)
    work = np.array(X, dtype=float, copy=True)
    baseline = model.score(work, y)
    out = []
    for j in range(work.shape[1]):
        saved = work[:, j].copy()
        drops = []
        for _ in range(n_repeats):
            rng.shuffle(work[:, j])
            drops.append(baseline - model.score(work, y))
            work[:, j] = saved
        out.append(drops)
    return np.array(out)
''',
    "grouped_permutation_importance_answer": '''
def grouped_permutation_importance(model, X, y, groups, *, n_repeats=5, random_state=None):
    """float32 throughout, index arithmetic with np.ix_, a list of lists."""
    rng = np.random.default_rng(random_state)
    X32 = np.asarray(X, dtype=np.float32)
    baseline = model.score(X32, y)
    result = []
    for columns in groups:
        row = []
        for _ in range(n_repeats):
            order = rng.permutation(X32.shape[0])
            shuffled = np.copy(X32)
            shuffled[np.ix_(np.arange(len(X32)), columns)] = X32[np.ix_(order, columns)]
            row.append(np.float32(baseline - model.score(shuffled, y)))
        result.append(row)
    return result
''',
    "d2_importances_answer": '''
d2_individual, d2_joint = None, None
result = inspection.permutation_importance(forest, X_test.to_numpy(), y_test, n_repeats=10, random_state=SEED)
d2_individual = [float(result.importances[j].mean()) for j in (list(names).index("twin_a"), list(names).index("twin_b"))]
d2_joint = np.float32(np.mean(lib.joint_permutation_importance(forest, X_test.to_numpy(), y_test, list(twins),
                                                               random_state=SEED)))
''',
    "d2_why_answer": '''
d2_why = None
d2_why = " c "
''',
    "d2_fix_answer": '''
X_train_merged, X_test_merged, forest_merged, d2_fixed = None, None, None, None
keep = [c for c in X_train.columns if c not in ("twin_a", "twin_b")]
X_train_merged = X_train[keep].assign(twin_mean=(X_train["twin_a"] + X_train["twin_b"]) / 2)
X_test_merged = X_test[keep].assign(twin_mean=(X_test["twin_a"] + X_test["twin_b"]) / 2)
forest_merged = models.train_forest(X_train_merged.to_numpy(), y_train, random_state=0)
d2_fixed = float(inspection.permutation_importance(forest_merged, X_test_merged.to_numpy(), y_test, n_repeats=10,
                                                    random_state=SEED).importances[-1].mean())
''',
}

BASES = {
    "taxonomy_answer": '''
def taxonomy(method):
    places = {
        "permutation importance": ("global", "agnostic"),
        "impurity importance (MDI)": ("global", "specific"),
        "partial dependence plot": ("global", "agnostic"),
        "ICE curves": ("local", "agnostic"),
        "LIME": ("local", "agnostic"),
        "KernelSHAP": ("local", "agnostic"),
        "TreeSHAP": ("local", "specific"),
        "saliency map": ("local", "specific"),
        "Grad-CAM": ("local", "specific"),
        "Integrated Gradients": ("local", "specific"),
        "global surrogate tree": ("global", "agnostic"),
        "TCAV": ("global", "specific"),
        "counterfactual explanation": ("local", "agnostic"),
        "linear model coefficients": ("global", "specific"),
    }
    return places[method]
''',
    "permutation_importance_answer": '''
def permutation_importance(model, X, y, *, n_repeats=5, random_state=None):
    rng = np.random.default_rng(random_state)
    baseline = model.score(X, y)
    n_samples, n_features = X.shape
    importances = np.empty((n_features, n_repeats))
    for j in range(n_features):
        for r in range(n_repeats):
            rows = rng.permutation(n_samples)
            X_perm = X.copy()
            X_perm[:, j] = X[rows, j]
            importances[j, r] = baseline - model.score(X_perm, y)
    return importances
''',
    "grouped_permutation_importance_answer": '''
def grouped_permutation_importance(model, X, y, groups, *, n_repeats=5, random_state=None):
    rng = np.random.default_rng(random_state)
    baseline = model.score(X, y)
    importances = np.empty((len(groups), n_repeats))
    for g, columns in enumerate(groups):
        for r in range(n_repeats):
            rows = rng.permutation(len(X))
            X_perm = X.copy()
            X_perm[:, columns] = X[rows][:, columns]
            importances[g, r] = baseline - model.score(X_perm, y)
    return importances
''',
    "d2_importances_answer": '''
d2_individual, d2_joint = None, None
d2_individual = pi.iloc[twins].to_numpy()
d2_joint = lib.joint_permutation_importance(forest, X_test, y_test, twins, n_repeats=10, random_state=SEED).mean()
''',
    "d2_why_answer": '''
d2_why = None
d2_why = "C"
''',
    "d2_fix_answer": '''
X_train_merged, X_test_merged, forest_merged, d2_fixed = None, None, None, None
def merge_twins(X):
    merged = X.drop(columns=["twin_a", "twin_b"])
    merged["twin_mean"] = X[["twin_a", "twin_b"]].mean(axis=1)
    return merged

X_train_merged, X_test_merged = merge_twins(X_train), merge_twins(X_test)
forest_merged = models.train_forest(X_train_merged, y_train, random_state=0)
d2_fixed = inspection.permutation_importance(forest_merged, X_test_merged, y_test, n_repeats=10,
                                             random_state=SEED).importances_mean[-1]
''',
}

_TAX, _PI, _GPI = BASES["taxonomy_answer"], BASES["permutation_importance_answer"], \
    BASES["grouped_permutation_importance_answer"]
_D2A, _D2C = BASES["d2_importances_answer"], BASES["d2_fix_answer"]

_PI_SCORE = "importances[j, r] = baseline - model.score(X_perm, y)"
_GPI_SCORE = "importances[g, r] = baseline - model.score(X_perm, y)"
_SEPARATE_TWINS = '''rng = np.random.default_rng(SEED)
drops = []
for _ in range(10):
    shuffled = X_test.copy()
    for name in ["twin_a", "twin_b"]:
        shuffled[name] = X_test[name].to_numpy()[rng.permutation(len(X_test))]
    drops.append(forest.score(X_test, y_test) - forest.score(shuffled, y_test))
d2_joint = np.mean(drops)
'''

WRONG = {
    "taxonomy_answer": [
        ("axes swapped", planted(_TAX, ("return places[method]", "return places[method][::-1]")),
         r"order \(access, scope\)"),
        ("SHAP global, MDI agnostic (graded by the key)", planted(
            _TAX, ('"KernelSHAP": ("local", "agnostic")', '"KernelSHAP": ("global", "agnostic")'),
            ('"TreeSHAP": ("local", "specific")', '"TreeSHAP": ("global", "specific")'),
            ('"impurity importance (MDI)": ("global", "specific")', '"impurity importance (MDI)": ("global", "agnostic")')),
         r"2 have the wrong scope and 1 the wrong access"),
        ("a worked example wrong", planted(_TAX, ('"Grad-CAM": ("local", "specific")', '"Grad-CAM": ("global", "specific")')),
         r"section 1 works this placement out"),
        ("ICE curves global (graded by the key)", planted(
            _TAX, ('"ICE curves": ("local", "agnostic")', '"ICE curves": ("global", "agnostic")')),
         r"1 have the wrong scope and 0 the wrong access"),
        ("a word outside the vocabulary", planted(_TAX, ('"LIME": ("local", "agnostic")', '"LIME": ("local", "black-box")')),
         r"taxonomy\('LIME'\).*not a \(scope, access\) pair"),
        ("one string instead of a pair", planted(_TAX, ("return places[method]", 'return " ".join(places[method])')),
         r"a pair \(scope, access\)"),
    ],
    "permutation_importance_answer": [
        ("earlier column left shuffled", planted(
            _PI, ("            X_perm = X.copy()\n", ""),
            ("    importances = np.empty((n_features, n_repeats))\n",
             "    importances = np.empty((n_features, n_repeats))\n    X_perm = X.copy()\n")),
         r"columns \[\d, \d\] shuffled at once: when you moved on, the column before was still shuffled"),
        ("rows drawn with replacement", planted(_PI, ("rng.permutation(n_samples)", "rng.integers(0, n_samples, n_samples)")),
         r"not a reordering.*with replacement"),
        ("the first repeat sorts the column instead of shuffling it", planted(
            _PI, ("            rows = rng.permutation(n_samples)\n",
                  "            rows = np.argsort(X[:, j]) if r == 0 else rng.permutation(n_samples)\n")),
         r"in sorted order"),
        ("random_state=None turned into seed 0", planted(
            _PI, ("rng = np.random.default_rng(random_state)", "rng = np.random.default_rng(random_state or 0)")),
         r"random_state=None"),
        ("rows sorted by importance", planted(_PI, ("    return importances", "    return importances[np.argsort(-importances.mean(axis=1))]")),
         r"importances of another feature"),
        ("sign flipped", planted(_PI, (_PI_SCORE, "importances[j, r] = model.score(X_perm, y) - baseline")),
         r"permuted score minus the baseline"),
        ("absolute drop", planted(_PI, (_PI_SCORE, "importances[j, r] = abs(baseline - model.score(X_perm, y))")),
         r"absolute value of the drop"),
        ("ratio of scores", planted(_PI, (_PI_SCORE, "importances[j, r] = model.score(X_perm, y) / baseline")),
         r"ratios of scores"),
        ("shares of the total", planted(_PI, ("    return importances", "    return importances / importances.mean(axis=1).sum()")),
         r"common factor"),
        ("impurity importance where there is one", planted(_PI, ("    return importances", (
            "    mdi = getattr(model, 'feature_importances_', None)\n"
            "    return importances if mdi is None else np.tile(np.asarray(mdi)[:, None], n_repeats)"))),
         r"not the baseline score"),
        ("MSE instead of the model's score", planted(_PI, (_PI_SCORE, (
            "importances[j, r] = np.mean((y - model.predict(X_perm)) ** 2) - np.mean((y - model.predict(X)) ** 2)"))),
         r"common factor.*MSE"),
        ("a new generator per feature", planted(_PI, (
            "        for r in range(n_repeats):\n",
            "        rng = np.random.default_rng(random_state)\n        for r in range(n_repeats):\n")),
         r"same row permutation.*ONE generator"),
        ("two rows swapped, not shuffled", planted(_PI, (
            "rows = rng.permutation(n_samples)",
            "rows = np.arange(n_samples); pick = rng.choice(n_samples, 2, replace=False); rows[pick] = pick[::-1]")),
         r"rows in place"),
        ("the target permuted instead", planted(_PI, ("model.score(X_perm, y)", "model.score(X, y[rows])")),
         r"scored 0 different copies of X with only its column\(s\) permuted.*not of y"),
        ("shuffles the caller's X", planted(_PI, ("            X_perm = X.copy()\n", "            X_perm = X\n")),
         r"changed the caller's `X` in place"),
        ("mean only", planted(_PI, ("    return importances", "    return importances.mean(axis=1)")),
         r"shape \(4,\).*every repeat, not only the mean"),
        ("transposed", planted(_PI, ("    return importances", "    return importances.T")),
         r"shape \(8, 4\).*one ROW per feature"),
        ("global RNG, random_state ignored", planted(_PI, (
            "    rng = np.random.default_rng(random_state)\n", "    rng = np.random.default_rng()\n")),
         r"same random_state gave different"),
        ("delegates to scikit-learn", planted(_PI, ("    rng = np.random.default_rng(random_state)\n", (
            "    from sklearn.inspection import permutation_importance as sklearn_importance\n"
            "    return sklearn_importance(model, X, y, n_repeats=n_repeats, random_state=random_state).importances\n"))),
         r"runs scikit-learn's permutation_importance"),
    ],
    "grouped_permutation_importance_answer": [
        ("one permutation per column", planted(_GPI, (
            "            X_perm[:, columns] = X[rows][:, columns]\n",
            "            for c in columns:\n                X_perm[:, c] = X[rng.permutation(len(X)), c]\n")),
         r"different row permutations: use ONE for all columns of a group"),
        ("groups sorted", planted(_GPI, ("enumerate(groups)", "enumerate(sorted(groups))")),
         r"importances of another group"),
        ("sum of single-column importances", planted(_GPI, (
            "            X_perm = X.copy()\n            X_perm[:, columns] = X[rows][:, columns]\n"
            f"            {_GPI_SCORE}\n",
            "            importances[g, r] = 0.0\n            for c in columns:\n                X_perm = X.copy()\n"
            "                X_perm[:, c] = X[rows, c]\n"
            "                importances[g, r] += baseline - model.score(X_perm, y)\n")),
         r"permuted only the columns \[\d\] of a group"),
        ("only the group's first column", planted(_GPI, (
            "X_perm[:, columns] = X[rows][:, columns]", "X_perm[:, columns[0]] = X[rows, columns[0]]")),
         r"permuted only the columns"),
        ("one permutation for the whole run", planted(_GPI, ("            rows = rng.permutation(len(X))\n", ""), (
            "    baseline = model.score(X, y)\n", "    baseline = model.score(X, y)\n    rows = rng.permutation(len(X))\n")),
         r"same row permutation|scored 1 different copies"),
        ("earlier group left shuffled", planted(
            _GPI, ("            X_perm = X.copy()\n", ""),
            ("    importances = np.empty((len(groups), n_repeats))\n",
             "    importances = np.empty((len(groups), n_repeats))\n    X_perm = X.copy()\n")),
         r"shuffled at once: when you moved on, the group before was still shuffled"),
        ("rows drawn with replacement", planted(_GPI, ("rng.permutation(len(X))", "rng.integers(0, len(X), len(X))")),
         r"not a reordering"),
        ("shares of the total", planted(_GPI, ("    return importances", "    return importances / importances.sum()")),
         r"common factor"),
        ("absolute drop", planted(_GPI, (_GPI_SCORE, "importances[g, r] = abs(baseline - model.score(X_perm, y))")),
         r"absolute value of the drop"),
        ("delegates to the course's reference", planted(_GPI, ("    rng = np.random.default_rng(random_state)\n", (
            "    return np.array([lib.joint_permutation_importance(model, X, y, g, n_repeats=n_repeats,\n"
            "                                                      random_state=random_state) for g in groups])\n"))),
         r"the course's reference implementation"),
        ("shuffles the caller's X", planted(_GPI, ("            X_perm = X.copy()\n", "            X_perm = X\n")),
         r"changed the caller's `X` in place"),
    ],
    "d2_importances_answer": [
        ("the joint importance is the sum of the singles", planted(_D2A, (
            "d2_joint = lib.joint_permutation_importance(forest, X_test, y_test, twins, n_repeats=10, random_state=SEED).mean()",
            "d2_joint = d2_individual.sum()")),
         r"d2_joint is the sum of the two single importances"),
        ("computed on the training rows", planted(_D2A, (
            "d2_individual = pi.iloc[twins].to_numpy()",
            "d2_individual = inspection.permutation_importance(forest, X_train, y_train, n_repeats=10, "
            "random_state=SEED).importances_mean[twins]"), ("X_test, y_test", "X_train, y_train")),
         r"d2_individual looks computed on the training rows"),
        ("each twin its own permutation", planted(_D2A, (
            "d2_joint = lib.joint_permutation_importance(forest, X_test, y_test, twins, n_repeats=10, random_state=SEED).mean()\n",
            _SEPARATE_TWINS)),
         r"each with its own permutation is not the same"),
        ("impurity importance instead", planted(_D2A, (
            "d2_individual = pi.iloc[twins].to_numpy()", "d2_individual = forest.feature_importances_[twins]")),
         r"impurity importances"),
        ("the twins swapped", planted(_D2A, ("pi.iloc[twins]", "pi.iloc[twins[::-1]]")),
         r"other order"),
        ("the joint importance on the training rows", planted(_D2A, ("X_test, y_test", "X_train, y_train")),
         r"d2_joint looks computed on the training rows"),
        ("one permutation per twin (n_repeats=1)", planted(_D2A, (
            "d2_individual = pi.iloc[twins].to_numpy()",
            "d2_individual = inspection.permutation_importance(forest, X_test, y_test, n_repeats=1, "
            "random_state=SEED).importances_mean[twins]")),
         r"d2_individual is a mean over 1 permutation: the task asks for n_repeats=10"),
        ("the pair with scikit-learn's default of 5 repeats", planted(_D2A, ("twins, n_repeats=10,", "twins, n_repeats=5,")),
         r"d2_joint is a mean over 5 permutations"),
        ("the pair estimated with the grouped function of 1.3 and another seed", planted(_D2A, (
            "d2_joint = lib.joint_permutation_importance(forest, X_test, y_test, twins, n_repeats=10, random_state=SEED).mean()",
            "d2_joint = grouped_permutation_importance(forest, X_test.to_numpy(), y_test, [twins], n_repeats=10, "
            "random_state=7).mean()")),
         r"d2_joint is near what `lib.joint_permutation_importance\(.*\)` gives, but not equal"),
        ("the first repeat instead of the mean", planted(_D2A, ("random_state=SEED).mean()", "random_state=SEED)[0]")),
         r"d2_joint is a mean over 1 permutation"),
    ],
    "d2_why_answer": [
        ("B: cardinality bias", planted(BASES["d2_why_answer"], ('"C"', '"B"')), r"not the best explanation"),
        ("A: the twins are unused", planted(BASES["d2_why_answer"], ('"C"', '"A"')), r"not the best explanation"),
    ],
    "d2_fix_answer": [
        ("the twins not dropped", planted(_D2C, ('merged = X.drop(columns=["twin_a", "twin_b"])', "merged = X.copy()")),
         r"X_train_merged still has the column\(s\) \['twin_a', 'twin_b'\]"),
        ("refit with another random_state", planted(_D2C, ("random_state=0)", "random_state=SEED + 1)")),
         r"fitted with random_state=1: fit it with random_state=0, as the task states"),
        ("the forest of section 2 handed in", planted(_D2C, ("importances_mean[-1]", "importances_mean[-1]\nforest_merged = forest")),
         r"fitted on 9 columns, not 8"),
        ("refit on the test fold", planted(_D2C, ("train_forest(X_train_merged, y_train", "train_forest(X_test_merged, y_test")),
         r"does not predict like"),
        ("importance on the training rows", planted(_D2C, ("forest_merged, X_test_merged, y_test", "forest_merged, X_train_merged, y_train")),
         r"d2_fixed looks computed on the training rows"),
        ("impurity importance of the new column", planted(_D2C, (
            "d2_fixed = inspection.permutation_importance(forest_merged, X_test_merged, y_test, n_repeats=10,\n"
            "                                             random_state=SEED).importances_mean[-1]",
            "d2_fixed = forest_merged.feature_importances_[-1]")),
         r"d2_fixed holds impurity importances"),
        ("the pair's importance for the old forest (d2_joint) handed in", planted(_D2C, (
            "importances_mean[-1]", "importances_mean[-1]\nd2_fixed = d2_joint")),
         r"d2_fixed is the importance of the twins permuted together for the forest of section 2"),
        ("the merged column with n_repeats left at scikit-learn's default", planted(_D2C, (
            "y_test, n_repeats=10,", "y_test,")),
         r"d2_fixed is a mean over 5 permutations"),
        ("the merged column's importance with another seed", planted(_D2C, ("random_state=SEED).importances_mean", "random_state=SEED + 3).importances_mean")),
         r"d2_fixed is near what .* gives, but not equal"),
        ("the sum instead of the mean", planted(_D2C, (".mean(axis=1)", ".sum(axis=1)")), r"not the row-wise mean"),
        ("the new column misnamed", planted(_D2C, ('merged["twin_mean"]', 'merged["twins"]')),
         r"then the new column 'twin_mean' last"),
    ],
}

ERROR = {
    "taxonomy_answer": "def taxonomy(method):\n    return PLACES[method]\n",
    "permutation_importance_answer":
        "def permutation_importance(model, X, y, *, n_repeats=5, random_state=None):\n"
        "    return model.score(X) - 1\n",
    "grouped_permutation_importance_answer":
        "def grouped_permutation_importance(model, X, y, groups, *, n_repeats=5, random_state=None):\n"
        "    return X[:, groups[99]]\n",
}

# Red-team round 2 (issue 7): new cases, each planted in its base; the first two of each list above are kept.
WRONG["taxonomy_answer"] += [
    ("every method but the worked examples local and agnostic (graded by the key)",
     "def taxonomy(method):\n    return {'permutation importance': ('global', 'agnostic'), "
     "'Grad-CAM': ('local', 'specific')}.get(method, ('local', 'agnostic'))\n",
     r"5 have the wrong scope and 6 the wrong access"),
    ("a dict {scope, access}", planted(_TAX, ("return places[method]", "return dict(zip(['scope', 'access'], places[method]))")),
     r"a pair \(scope, access\), got \{"),
    ("a third element", planted(_TAX, ("return places[method]", "return (*places[method], 'note')")),
     r"a pair \(scope, access\), got \('global', 'agnostic', 'note'\)"),
]
WRONG["permutation_importance_answer"] += [
    ("the legacy np.random.seed and np.random.permutation", planted(_PI, (
        "    rng = np.random.default_rng(random_state)\n", "    np.random.seed(random_state)\n    rng = np.random\n")),
     r"not the ones the task states"),
    ("permutations remembered from the first call, drawn without the seed", planted(_PI, (
        "    rng = np.random.default_rng(random_state)\n",
        "    rng = _MEMO.setdefault(random_state, np.random.default_rng())\n"), ("def permutation_importance(",
        "_MEMO = {}\n\n\ndef permutation_importance(")), r"not the ones the task states|same random_state gave different"),
    ("sklearn's check_random_state (a legacy RandomState)", planted(_PI, (
        "    rng = np.random.default_rng(random_state)\n",
        "    from sklearn.utils import check_random_state\n    rng = check_random_state(random_state)\n")),
     r"not the ones the task states"),
    ("a cyclic shift by a random offset (np.roll)", planted(_PI, (
        "X_perm[:, j] = X[rows, j]", "X_perm[:, j] = np.roll(X[:, j], rng.integers(1, n_samples))")), r"rotated \(`np.roll`\)"),
    ("one permutation per repeat, shared by every feature", planted(_PI, (
        "    for j in range(n_features):\n",
        "    perms = [rng.permutation(n_samples) for _ in range(n_repeats)]\n    for j in range(n_features):\n"),
        ("rows = rng.permutation(n_samples)", "rows = perms[r]")), r"same row permutation"),
    ("only the first half of the rows shuffled", planted(_PI, (
        "rows = rng.permutation(n_samples)",
        "rows = np.r_[rng.permutation(n_samples // 2), np.arange(n_samples // 2, n_samples)]")), r"left \d+ of 200 rows in place"),
    ("scikit-learn's private helper", planted(_PI, ("    rng = np.random.default_rng(random_state)\n", (
        "    from sklearn.inspection._permutation_importance import _calculate_permutation_scores\n"
        "    return np.array([_calculate_permutation_scores(model, X, y, None, j, np.random.RandomState(random_state), "
        "n_repeats, model.score(X, y), lambda m, X, y, w: m.score(X, y)) for j in range(X.shape[1])])\n"))),
     r"runs scikit-learn's permutation_importance"),
]
WRONG["grouped_permutation_importance_answer"] += [
    ("a slice from the group's first to last column (right for contiguous groups only)", planted(_GPI, (
        "X_perm[:, columns] = X[rows][:, columns]", "X_perm[:, columns[0]:columns[-1] + 1] = X[rows, columns[0]:columns[-1] + 1]")),
     r"group \[0, 3\] your function scored 0 different copies"),
    ("one permutation per repeat, shared by every group", planted(_GPI, (
        "    for g, columns in enumerate(groups):\n",
        "    perms = [rng.permutation(len(X)) for _ in range(n_repeats)]\n    for g, columns in enumerate(groups):\n"),
        ("rows = rng.permutation(len(X))", "rows = perms[r]")), r"same row permutation"),
    ("a cyclic shift of the group (np.roll)", planted(_GPI, (
        "X_perm[:, columns] = X[rows][:, columns]",
        "X_perm[:, columns] = np.roll(X[:, columns], rng.integers(1, len(X)), axis=0)")), r"rotated \(`np.roll`\)"),
    ("the groups so far shuffled together", planted(_GPI, (
        "    for g, columns in enumerate(groups):\n",
        "    seen = []\n    for g, columns in enumerate(groups):\n        seen = seen + list(columns)\n"),
        ("X_perm[:, columns] = X[rows][:, columns]", "X_perm[:, seen] = X[rows][:, seen]")),
     r"when you moved on, the group before was still shuffled"),
]
_D2A_JOINT = "d2_joint = lib.joint_permutation_importance(forest, X_test, y_test, twins, n_repeats=10, random_state=SEED).mean()"
WRONG["d2_importances_answer"] += [
    ("the larger single importance as the pair's", planted(_D2A, (_D2A_JOINT, "d2_joint = d2_individual.max()")),
     r"d2_joint is not what .* nor near it"),
    ("the median of the pair's repeats", planted(_D2A, ("random_state=SEED).mean()", "random_state=SEED)\nd2_joint = float(np.median(d2_joint))")),
     r"d2_joint is near what .* but not equal"),
    ("the printed values typed in, rounded", planted(_D2A, ("pi.iloc[twins].to_numpy()", "np.round(pi.iloc[twins].to_numpy(), 3)")),
     r"d2_individual is near what .* but not equal"),
]
WRONG["d2_why_answer"] += [
    ("D: noise", planted(BASES["d2_why_answer"], ('"C"', '"D"')), r"D is not the best explanation"),
    ("two letters", planted(BASES["d2_why_answer"], ('"C"', '"C, D"')), r"got 'C, D'"),
]
WRONG["d2_fix_answer"] += [
    ("the new column first", planted(_D2C, ('merged["twin_mean"] = X[["twin_a", "twin_b"]].mean(axis=1)',
                                            'merged.insert(0, "twin_mean", X[["twin_a", "twin_b"]].mean(axis=1))')),
     r"expected the other columns in their order, then the new column 'twin_mean' last"),
    ("the test fold's mean of the twins in every row", planted(_D2C, (
        "X_train_merged, X_test_merged = merge_twins(X_train), merge_twins(X_test)",
        "X_train_merged, X_test_merged = merge_twins(X_train), merge_twins(X_test)\n"
        "X_test_merged['twin_mean'] = X_test_merged['twin_mean'].mean()")), r"'twin_mean' in X_test_merged is not the row-wise mean"),
    ("the refit with more trees", planted(_D2C, ("random_state=0)", "random_state=0, n_estimators=300)")), r"does not predict like"),
    ("the merged column's importance in MSE", planted(_D2C, ("y_test, n_repeats=10", "y_test, n_repeats=10, scoring='neg_mean_squared_error'")),
     r"d2_fixed is not what .* nor near it"),
]


# Correct answers in styles an audit found punished (graded by tests/test_graders.py).
MORE_ALTERNATIVES = {
    "permutation_importance_answer": [
        ("a dict filled through __setitem__, the column's values permuted", '''
def permutation_importance(model, X, y, *, n_repeats=5, random_state=None):
    rng = np.random.default_rng(random_state)
    X = np.asarray(X, dtype=float)
    baseline = model.score(X, y)
    store = {}
    for j in range(X.shape[1]):
        for r in range(n_repeats):
            shuffled = X.copy()
            shuffled[:, j] = rng.permutation(X[:, j])
            store.__setitem__((j, r), baseline - model.score(shuffled, y))
    return np.array([[store[j, r] for r in range(n_repeats)] for j in range(X.shape[1])])
'''),
    ],
    "grouped_permutation_importance_answer": [
        ("scored on a deep copy of the model, generator shuffling index arrays", '''
def grouped_permutation_importance(model, X, y, groups, *, n_repeats=5, random_state=None):
    import copy
    mine = copy.deepcopy(model)
    rng = np.random.default_rng(random_state)
    X = np.asarray(X, dtype=float)
    baseline = mine.score(X, y)
    out = np.zeros((len(groups), n_repeats))
    for g, columns in enumerate(groups):
        for r in range(n_repeats):
            order = np.arange(len(X))
            rng.shuffle(order)
            shuffled = X.copy()
            shuffled[:, columns] = X[order][:, columns]
            out[g, r] = baseline - mine.score(shuffled, y)
    return out
'''),
    ],
}
