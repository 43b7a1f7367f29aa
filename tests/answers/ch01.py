"""Answers that audit chapter 01's graders: each one is the whole source of an answer cell.

REFERENCE: the model answers, as a student would hand them in (the solution notebook's answer
cells without the solution markers); every test cell must pass.
ALTERNATIVE: correct answers written differently from the solution; every test cell must pass.
WRONG: plausible wrong answers from the pitfalls the chapter teaches, as (label, source, pattern):
the answer's test cells must fail, and the feedback message must match ``pattern``.
"""

REFERENCE = {
    "taxonomy_answer": '''
def taxonomy(method):
    """Place an explanation method on the two axes.

    Parameters
    ----------
    method : str
        One of the 14 method names listed above.

    Returns
    -------
    tuple of (str, str)
        ``(scope, access)`` with scope in {"global", "local"} and access in {"agnostic", "specific"}.
    """
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
    """Permutation importance of every column of X.

    Parameters
    ----------
    model : fitted estimator with a ``score(X, y)`` method
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    n_repeats : int, default=5
        Number of random permutations per feature.
    random_state : int or None, default=None
        Seed of the one generator that draws every permutation.

    Returns
    -------
    importances : ndarray of shape (n_features, n_repeats)
        ``score(X, y) - score(X with column j permuted, y)`` for every feature j and repeat.
    """
    rng = np.random.default_rng(random_state)
    baseline = model.score(X, y)
    importances = np.empty((X.shape[1], n_repeats))
    for j in range(X.shape[1]):
        for r in range(n_repeats):
            X_perm = X.copy()
            X_perm[:, j] = X[rng.permutation(len(X)), j]
            importances[j, r] = baseline - model.score(X_perm, y)
    return importances
''',
    "grouped_permutation_importance_answer": '''
def grouped_permutation_importance(model, X, y, groups, *, n_repeats=5, random_state=None):
    """Permutation importance of groups of columns, each group shuffled with one row permutation.

    Parameters
    ----------
    model : fitted estimator with a ``score(X, y)`` method
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    groups : list of list of int
        Column indices of each group.
    n_repeats : int, default=5
    random_state : int or None, default=None

    Returns
    -------
    importances : ndarray of shape (len(groups), n_repeats)
    """
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
twins = table.column_indices(["twin_a", "twin_b"])
d2_individual, d2_joint = None, None
d2_individual = pi.iloc[twins].to_numpy()  # section 3's scikit-learn importances on the test fold
d2_joint = check.joint_permutation_importance(
    forest, X_test, y_test, twins, n_repeats=10, random_state=SEED).mean()
print("each twin alone:", np.round(d2_individual, 3), " both together:", round(float(d2_joint), 3))
''',
    "d2_why_answer": '''
d2_why = None
d2_why = "B"
''',
    "d2_fix_answer": '''
d2_fixed = None
def merge_twins(X):
    merged = X.drop(columns=["twin_a", "twin_b"])
    merged["twin_mean"] = X[["twin_a", "twin_b"]].mean(axis=1)
    return merged

X_train_merged, X_test_merged = merge_twins(X_train), merge_twins(X_test)
forest_merged = models.train_forest(X_train_merged, y_train, random_state=0)
d2_fixed = inspection.permutation_importance(
    forest_merged, X_test_merged, y_test, n_repeats=10, random_state=SEED).importances_mean[-1]
print(f"importance of the merged twin: {d2_fixed:.3f}")
''',
}

ALTERNATIVE = {
    "taxonomy_answer": '''
def taxonomy(method):
    """If/else written, capitalised and "model-" prefixed: still the same placements."""
    if method in ("LIME", "KernelSHAP", "ICE curves", "counterfactual explanation"):
        return ["Local", "Model-agnostic"]
    if method in ("TreeSHAP", "saliency map", "Grad-CAM", "Integrated Gradients"):
        return ["Local", "Model-specific"]
    if method in ("permutation importance", "partial dependence plot", "global surrogate tree"):
        return ["Global", "Model-agnostic"]
    return ["Global", "Model-specific"]
''',
    "permutation_importance_answer": '''
def permutation_importance(model, X, y, *, n_repeats=5, random_state=None):
    """Legacy RandomState, one working copy shuffled in place and restored after each repeat."""
    rng = np.random.RandomState(random_state)
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
    """Index arithmetic with np.ix_ and a list of lists."""
    rng = np.random.default_rng(random_state)
    baseline = model.score(X, y)
    result = []
    for columns in groups:
        row = []
        for _ in range(n_repeats):
            order = rng.permutation(X.shape[0])
            shuffled = np.copy(X)
            shuffled[np.ix_(np.arange(len(X)), columns)] = X[np.ix_(order, columns)]
            row.append(baseline - model.score(shuffled, y))
        result.append(row)
    return result
''',
    "d2_importances_answer": '''
twins = table.column_indices(["twin_a", "twin_b"])
d2_individual, d2_joint = None, None
Xa, ya = X_test.to_numpy(), y_test
d2_individual = list(permutation_importance(forest, Xa, ya, n_repeats=10, random_state=3).mean(axis=1)[twins])
d2_joint = float(np.mean(grouped_permutation_importance(forest, Xa, ya, [twins], n_repeats=10, random_state=3)))
''',
    "d2_why_answer": '''
d2_why = None
d2_why = " b "
''',
    "d2_fix_answer": '''
d2_fixed = None
keep = [c for c in X_train.columns if c not in ("twin_a", "twin_b")]
train = np.column_stack([X_train[keep].to_numpy(), X_train[["twin_a", "twin_b"]].to_numpy().mean(axis=1)])
test = np.column_stack([X_test[keep].to_numpy(), X_test[["twin_a", "twin_b"]].to_numpy().mean(axis=1)])
refit = models.train_forest(train, y_train, random_state=0)
d2_fixed = float(permutation_importance(refit, test, y_test, n_repeats=10, random_state=5)[-1].mean())
''',
}

WRONG = {
    "taxonomy_answer": [
        ("axes swapped", '''
def taxonomy(method):
    places = {"permutation importance": ("agnostic", "global"), "Grad-CAM": ("specific", "local")}
    return places.get(method, ("agnostic", "local"))
''', r"the order is \(scope, access\)"),
        ("SHAP is global, MDI agnostic", '''
def taxonomy(method):
    if method in ("KernelSHAP", "TreeSHAP", "impurity importance (MDI)", "permutation importance",
                  "partial dependence plot", "global surrogate tree", "TCAV", "linear model coefficients"):
        scope = "global"
    else:
        scope = "local"
    specific = ("TreeSHAP", "saliency map", "Grad-CAM", "Integrated Gradients", "TCAV",
                "linear model coefficients")
    return scope, "specific" if method in specific else "agnostic"
''', r"wrong scope and \d+ the wrong access"),
    ],
    "permutation_importance_answer": [
        ("column never restored", '''
def permutation_importance(model, X, y, *, n_repeats=5, random_state=None):
    rng = np.random.default_rng(random_state)
    baseline = model.score(X, y)
    X_perm = X.copy()
    out = np.empty((X.shape[1], n_repeats))
    for j in range(X.shape[1]):
        for r in range(n_repeats):
            X_perm[:, j] = X_perm[rng.permutation(len(X)), j]
            out[j, r] = baseline - model.score(X_perm, y)
    return out
''', r"closed form"),
        ("sign flipped", '''
def permutation_importance(model, X, y, *, n_repeats=5, random_state=None):
    rng = np.random.default_rng(random_state)
    baseline = model.score(X, y)
    out = np.empty((X.shape[1], n_repeats))
    for j in range(X.shape[1]):
        for r in range(n_repeats):
            X_perm = X.copy()
            X_perm[:, j] = X[rng.permutation(len(X)), j]
            out[j, r] = model.score(X_perm, y) - baseline
    return out
''', r"negative"),
        ("shuffles the caller's X", '''
def permutation_importance(model, X, y, *, n_repeats=5, random_state=None):
    rng = np.random.default_rng(random_state)
    baseline = model.score(X, y)
    out = np.empty((X.shape[1], n_repeats))
    for j in range(X.shape[1]):
        for r in range(n_repeats):
            rng.shuffle(X[:, j])
            out[j, r] = baseline - model.score(X, y)
    return out
''', r"in place"),
        ("mean only", '''
def permutation_importance(model, X, y, *, n_repeats=5, random_state=None):
    rng = np.random.default_rng(random_state)
    baseline = model.score(X, y)
    means = []
    for j in range(X.shape[1]):
        drops = []
        for r in range(n_repeats):
            X_perm = X.copy()
            X_perm[:, j] = X[rng.permutation(len(X)), j]
            drops.append(baseline - model.score(X_perm, y))
        means.append(np.mean(drops))
    return np.array(means)
''', r"every repeat"),
        ("global RNG, random_state ignored", '''
def permutation_importance(model, X, y, *, n_repeats=5, random_state=None):
    baseline = model.score(X, y)
    out = np.empty((X.shape[1], n_repeats))
    for j in range(X.shape[1]):
        for r in range(n_repeats):
            X_perm = X.copy()
            X_perm[:, j] = np.random.permutation(X[:, j])
            out[j, r] = baseline - model.score(X_perm, y)
    return out
''', r"same random_state gave different"),
        ("delegates to scikit-learn", '''
def permutation_importance(model, X, y, *, n_repeats=5, random_state=None):
    from sklearn.inspection import permutation_importance as sklearn_importance
    return sklearn_importance(model, X, y, n_repeats=n_repeats, random_state=random_state).importances
''', r"runs scikit-learn's permutation_importance"),
    ],
    "grouped_permutation_importance_answer": [
        ("delegates to the course's reference", '''
def grouped_permutation_importance(model, X, y, groups, *, n_repeats=5, random_state=None):
    return np.array([check.joint_permutation_importance(model, X, y, g, n_repeats=n_repeats,
                                                        random_state=random_state) for g in groups])
''', r"the course's reference implementation"),
        ("one permutation per column", '''
def grouped_permutation_importance(model, X, y, groups, *, n_repeats=5, random_state=None):
    rng = np.random.default_rng(random_state)
    baseline = model.score(X, y)
    out = np.empty((len(groups), n_repeats))
    for g, columns in enumerate(groups):
        for r in range(n_repeats):
            X_perm = X.copy()
            for j in columns:
                X_perm[:, j] = X[rng.permutation(len(X)), j]
            out[g, r] = baseline - model.score(X_perm, y)
    return out
''', r"ONE row permutation"),
        ("sum of single-column importances", '''
def grouped_permutation_importance(model, X, y, groups, *, n_repeats=5, random_state=None):
    rng = np.random.default_rng(random_state)
    baseline = model.score(X, y)
    out = np.zeros((len(groups), n_repeats))
    for g, columns in enumerate(groups):
        for j in columns:
            for r in range(n_repeats):
                X_perm = X.copy()
                X_perm[:, j] = X[rng.permutation(len(X)), j]
                out[g, r] += baseline - model.score(X_perm, y)
    return out
''', r"ONE row permutation"),
        ("one permutation for the whole run", '''
def grouped_permutation_importance(model, X, y, groups, *, n_repeats=5, random_state=None):
    rows = np.random.default_rng(random_state).permutation(len(X))
    baseline = model.score(X, y)
    out = np.empty((len(groups), n_repeats))
    for g, columns in enumerate(groups):
        X_perm = X.copy()
        X_perm[:, columns] = X[rows][:, columns]
        out[g, :] = baseline - model.score(X_perm, y)
    return out
''', r"every repeat gives the same value|random_state is ignored|new permutation"),
    ],
    "d2_importances_answer": [
        ("computed on the training rows", '''
twins = table.column_indices(["twin_a", "twin_b"])
d2_individual, d2_joint = None, None
r = inspection.permutation_importance(forest, X_train, y_train, n_repeats=10, random_state=0)
d2_individual = r.importances_mean[twins]
d2_joint = check.joint_permutation_importance(forest, X_train, y_train, twins, n_repeats=10).mean()
''', r"recomputing it on the held-out fold"),
        ("impurity importance instead", '''
twins = table.column_indices(["twin_a", "twin_b"])
d2_individual, d2_joint = None, None
d2_individual = forest.feature_importances_[twins]
d2_joint = forest.feature_importances_[twins].sum()
''', r"recomputing it on the held-out fold"),
    ],
    "d2_why_answer": [
        ("A: the twins are unused", '''
d2_why = None
d2_why = "A"
''', r"not the best explanation"),
        ("C: cardinality bias", '''
d2_why = None
d2_why = "C"
''', r"not the best explanation"),
    ],
    "d2_fix_answer": [
        ("on the training rows", '''
d2_fixed = None
def merge(X):
    out = X.drop(columns=["twin_a", "twin_b"])
    out["twin_mean"] = X[["twin_a", "twin_b"]].mean(axis=1)
    return out
refit = models.train_forest(merge(X_train), y_train, random_state=0)
d2_fixed = inspection.permutation_importance(refit, merge(X_train), y_train, n_repeats=10,
                                     random_state=0).importances_mean[-1]
''', r"recomputing it on the held-out fold"),
        ("a single twin, no refit", '''
d2_fixed = None
d2_fixed = pi["twin_a"]
''', r"recomputing it on the held-out fold|not clearly larger"),
    ],
}

# Code that raises inside the student's function: the check must say ERROR, not crash.
ERROR = {
    "taxonomy_answer": "def taxonomy(method):\n    return PLACES[method]\n",
    "permutation_importance_answer":
        "def permutation_importance(model, X, y, *, n_repeats=5, random_state=None):\n"
        "    return model.score(X) - 1\n",
    "grouped_permutation_importance_answer":
        "def grouped_permutation_importance(model, X, y, groups, *, n_repeats=5, random_state=None):\n"
        "    return X[:, groups[99]]\n",
}
