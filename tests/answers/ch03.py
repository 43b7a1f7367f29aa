"""Answers that audit chapter 03's graders: each one is the whole source of an answer cell.

REFERENCE: the model answers, as a student would hand them in (the solution notebook's answer
cells without the solution markers); every test cell must pass.
ALTERNATIVE: correct answers written differently from the solution; every test cell must pass.
WRONG: plausible wrong answers from the pitfalls the chapter teaches, as (label, source, pattern):
the answer's test cells must fail, and the feedback message must match ``pattern``.
BASES: correct answers that some WRONG answers plant one pitfall in; every test cell must pass.
"""

from tests.answers._plant import planted

# A correct vectorised answer: the base the lime_explain pitfalls below are planted in.
_LIME = '''
def lime_explain(f, x, X_train, *, kernel_width=None, n_samples=5000, random_state=None):
    rng = np.random.default_rng(random_state)
    x = np.asarray(x, dtype=float)
    std = np.asarray(X_train, dtype=float).std(axis=0)
    width = 0.75 * np.sqrt(len(x)) if kernel_width is None else kernel_width
    U = rng.standard_normal((n_samples, len(x)))
    Z = x + U * std
    y = np.asarray(f(Z), dtype=float)
    D = U
    pi = np.exp(-np.sum(D ** 2, axis=1) / (2 * width ** 2))
    A = np.column_stack([np.ones(n_samples), U])
    root = np.sqrt(pi)
    beta = np.linalg.lstsq(A * root[:, None], y * root, rcond=None)[0]
    residual = y - A @ beta
    r2 = 1 - np.sum(pi * residual ** 2) / np.sum(pi * (y - np.average(y, weights=pi)) ** 2)
    return {"coef": beta[1:], "intercept": float(beta[0]), "r2": float(r2)}
'''

BASES = {"lime_explain_answer": _LIME}


_D4_RUNS_HEAD = '''
d4_weights, d4_r2 = None, None
d4_weights, d4_r2 = np.zeros((len(SIZES), len(SEEDS), X_train.shape[1])), np.zeros((len(SIZES), len(SEEDS)))
'''

REFERENCE = {
    "lime_explain_answer": '''
def lime_explain(f, x, X_train, *, kernel_width=None, n_samples=5000, random_state=None):
    """LIME for tabular data: a kernel-weighted linear surrogate of f around x.

    Parameters
    ----------
    f : callable
        Maps an array of shape (m, n_features) to an array of shape (m,).
    x : ndarray of shape (n_features,)
        The instance to explain.
    X_train : ndarray of shape (n_train, n_features)
        Training data; only its per-feature standard deviation is used.
    kernel_width : float or None, default=None
        Width w of the kernel exp(-d^2 / (2 w^2)) on standardised distances; None means 0.75 * sqrt(n_features).
    n_samples : int, default=5000
        Number of perturbations.
    random_state : int or None, default=None
        Seed of the one generator that draws the perturbations.

    Returns
    -------
    dict
        ``coef`` : ndarray of shape (n_features,), the change of f per standard deviation of each feature;
        ``intercept`` : float, the surrogate's value at x; ``r2`` : float, the kernel-weighted R^2.
    """
    rng = np.random.default_rng(random_state)
    x = np.asarray(x, dtype=float)
    std = np.asarray(X_train, dtype=float).std(axis=0)
    std = np.where(std > 0, std, 1.0)
    width = 0.75 * np.sqrt(len(x)) if kernel_width is None else kernel_width
    U = rng.standard_normal((n_samples, len(x)))  # standardised offsets (z - x) / std
    U[0] = 0.0                                     # the first perturbation is x itself
    y = np.asarray(f(x + U * std), dtype=float)
    pi = np.exp(-np.sum(U ** 2, axis=1) / (2 * width ** 2))
    A = np.column_stack([np.ones(n_samples), U])
    root = np.sqrt(pi)
    beta = np.linalg.lstsq(A * root[:, None], y * root, rcond=None)[0]
    residual = y - A @ beta
    r2 = 1 - np.sum(pi * residual ** 2) / np.sum(pi * (y - np.average(y, weights=pi)) ** 2)
    return {"coef": beta[1:], "intercept": float(beta[0]), "r2": float(r2)}
''',
    "topk_jaccard_answer": '''
def topk_jaccard(a, b, k):
    """Jaccard index of the top-k features of two explanations, ranked by absolute weight.

    Parameters
    ----------
    a, b : ndarray of shape (n_features,)
        Two weight vectors (e.g. LIME coefficients of the same instance under two seeds).
    k : int
        Number of top features, 1 <= k <= n_features.

    Returns
    -------
    float
        |T_k(a) & T_k(b)| / |T_k(a) | T_k(b)|, in [0, 1].
    """
    top_a = set(np.argsort(-np.abs(np.asarray(a, dtype=float)))[:k].tolist())
    top_b = set(np.argsort(-np.abs(np.asarray(b, dtype=float)))[:k].tolist())
    return len(top_a & top_b) / len(top_a | top_b)
''',
    "d4_runs_answer": '''
d4_weights, d4_r2 = None, None
d4_weights, d4_r2 = np.zeros((len(SIZES), len(SEEDS), X_train.shape[1])), np.zeros((len(SIZES), len(SEEDS)))
d4_explainer = LimeTabularExplainer(X_train, mode="classification", discretize_continuous=False,
                                    sample_around_instance=True, random_state=SEED)
for s, size in enumerate(SIZES):
    for i, seed in enumerate(SEEDS):
        d4_explainer.random_state = check_random_state(seed)  # lime issue 309: the explainer consumes its seed
        exp = d4_explainer.explain_instance(x_tab, forest.predict_proba, num_features=30, num_samples=size)
        for j, weight in exp.as_map()[1]:
            d4_weights[s, i, j] = weight
        d4_r2[s, i] = exp.score
''',
    "d4_agreement_answer": '''
d4_agreement, d4_fidelity = None, None
from itertools import combinations
from sklearn.metrics import jaccard_score
d4_agreement = np.array([np.mean([jaccard_score(check.topk_mask(a, K), check.topk_mask(b, K))
                                  for a, b in combinations(runs_of_size, 2)]) for runs_of_size in ref_weights])
d4_fidelity = ref_r2.mean(axis=1)
''',
    "d4_why_answer": '''
d4_why = None
d4_why = "B"
''',
}

ALTERNATIVE = {
    "lime_explain_answer": '''
def lime_explain(f, x, X_train, *, kernel_width=None, n_samples=5000, random_state=None):
    """Row-by-row model calls, centring at the training mean, scikit-learn's weighted fit and score."""
    from sklearn.linear_model import LinearRegression
    from sklearn.metrics import r2_score
    rng = np.random.default_rng(random_state)
    X_train = np.asarray(X_train, dtype=float)
    mean, std = X_train.mean(axis=0), X_train.std(axis=0, ddof=1)
    p = X_train.shape[1]
    width = kernel_width if kernel_width is not None else 0.75 * p ** 0.5
    rows, targets, weights = [], [], []
    for _ in range(n_samples):
        z = x + std * rng.normal(size=p)
        rows.append((z - mean) / std)
        targets.append(float(f(z[None, :])[0]))
        weights.append(np.sqrt(np.exp(-np.sum(((z - x) / std) ** 2) / width ** 2)))  # lime's form
    rows, targets, weights = np.array(rows), np.array(targets), np.array(weights)
    model = LinearRegression().fit(rows, targets, sample_weight=weights)
    fitted = model.predict(rows)
    return dict(coef=model.coef_, intercept=model.predict(((x - mean) / std)[None, :])[0],
                r2=r2_score(targets, fitted, sample_weight=weights))
''',
    "topk_jaccard_answer": '''
def topk_jaccard(a, b, k):
    """sorted() with a key and numpy set routines."""
    top_a = sorted(range(len(a)), key=lambda j: abs(a[j]), reverse=True)[:k]
    top_b = sorted(range(len(b)), key=lambda j: abs(b[j]), reverse=True)[:k]
    return np.intersect1d(top_a, top_b).size / np.union1d(top_a, top_b).size
''',
    "d4_runs_answer": _D4_RUNS_HEAD + '''
for s, size in enumerate(SIZES):
    for i, seed in enumerate(SEEDS):
        fresh = LimeTabularExplainer(X_train, mode="classification", discretize_continuous=False,
                                     sample_around_instance=True, random_state=seed)
        exp = fresh.explain_instance(x_tab, forest.predict_proba, num_features=X_train.shape[1], num_samples=size)
        weights = dict(exp.local_exp[1])
        d4_weights[s, i] = [weights[j] for j in range(X_train.shape[1])]
        d4_r2[s, i] = exp.score
''',
    "d4_agreement_answer": '''
d4_agreement, d4_fidelity = None, None
agree = []
for runs_of_size in ref_weights:
    values = []
    for i in range(len(runs_of_size)):
        for j in range(i + 1, len(runs_of_size)):
            values.append(topk_jaccard(runs_of_size[i], runs_of_size[j], K))
    agree.append(sum(values) / len(values))
d4_agreement = agree
d4_fidelity = [float(np.mean(r)) for r in ref_r2]
''',
    "d4_why_answer": '''
d4_why = None
d4_why = " b "
''',
}

WRONG = {
    "lime_explain_answer": [
        ("no proximity weighting", planted(_LIME,
            ("pi = np.exp(-np.sum(D ** 2, axis=1) / (2 * width ** 2))", "pi = np.ones(n_samples)")),
         r"no proximity weighting"),
        ("perturbations not scaled by the feature std", planted(_LIME,
            ("Z = x + U * std", "Z = x + U\n    U = U / std")),
         r"standard deviation 1 in every feature's raw units"),
        ("default width not scaled by sqrt(n_features)", planted(_LIME,
            ("0.75 * np.sqrt(len(x))", "0.75")),
         r"0\.75 \* sqrt\(n_features\)"),
        ("the paper's exp(-d^2/w^2) kernel", planted(_LIME,
            ("(2 * width ** 2)", "width ** 2")),
         r"lime's convention"),
        ("unweighted R^2", planted(_LIME,
            ("r2 = 1 - np.sum(pi * residual ** 2) / np.sum(pi * (y - np.average(y, weights=pi)) ** 2)",
             "r2 = 1 - np.sum(residual ** 2) / np.sum((y - y.mean()) ** 2)")),
         r"R\^2 is unweighted"),
        ("distances in raw units", planted(_LIME, ("D = U", "D = Z - x")), r"distances are in raw units"),
        ("sampling around the training mean", planted(_LIME,
            ("Z = x + U * std", "Z = np.asarray(X_train).mean(axis=0) + U * std\n    U = (Z - x) / std")),
         r"centred on the training mean"),
        ("slopes per raw unit", planted(_LIME,
            ("A = np.column_stack([np.ones(n_samples), U])", "A = np.column_stack([np.ones(n_samples), Z - x])")),
         r"slopes per raw unit"),
        ("delegates to lime", '''
def lime_explain(f, x, X_train, *, kernel_width=None, n_samples=5000, random_state=None):
    from lime.lime_tabular import LimeTabularExplainer
    explainer = LimeTabularExplainer(np.asarray(X_train), mode="regression", discretize_continuous=False,
                                     kernel_width=kernel_width, random_state=random_state)
    explanation = explainer.explain_instance(np.asarray(x), f, num_features=len(x), num_samples=n_samples)
    coef = np.zeros(len(x))
    for j, weight in explanation.as_map()[explanation.available_labels()[0] if explanation.mode == "classification" else 1]:
        coef[j] = weight
    return {"coef": coef, "intercept": float(np.ravel(explanation.intercept)[0]), "r2": float(explanation.score)}
''', r"runs the lime library"),
    ],
    "topk_jaccard_answer": [
        ("signed weights", '''
def topk_jaccard(a, b, k):
    top_a = set(np.argsort(-np.asarray(a))[:k].tolist())
    top_b = set(np.argsort(-np.asarray(b))[:k].tolist())
    return len(top_a & top_b) / len(top_a | top_b)
''', r"signed weight"),
        ("overlap divided by k", '''
def topk_jaccard(a, b, k):
    top_a = set(np.argsort(-np.abs(a))[:k].tolist())
    top_b = set(np.argsort(-np.abs(b))[:k].tolist())
    return len(top_a & top_b) / k
''', r"divided the overlap by k"),
        ("the k smallest", '''
def topk_jaccard(a, b, k):
    top_a = set(np.argsort(np.abs(a))[:k].tolist())
    top_b = set(np.argsort(np.abs(b))[:k].tolist())
    return len(top_a & top_b) / len(top_a | top_b)
''', r"k smallest"),
    ],
    "d4_runs_answer": [
        ("one explainer, seed never reset (issue 309)", _D4_RUNS_HEAD + '''
one = LimeTabularExplainer(X_train, mode="classification", discretize_continuous=False,
                           sample_around_instance=True, random_state=SEEDS[0])
for s, size in enumerate(SIZES):
    for i, seed in enumerate(SEEDS):
        exp = one.explain_instance(x_tab, forest.predict_proba, num_features=30, num_samples=size)
        for j, weight in exp.as_map()[1]:
            d4_weights[s, i, j] = weight
        d4_r2[s, i] = exp.score
''', r"issue 309"),
        ("lime's default num_features=10", _D4_RUNS_HEAD + '''
for s, size in enumerate(SIZES):
    for i, seed in enumerate(SEEDS):
        fresh = LimeTabularExplainer(X_train, mode="classification", discretize_continuous=False,
                                     sample_around_instance=True, random_state=seed)
        exp = fresh.explain_instance(x_tab, forest.predict_proba, num_samples=size)
        for j, weight in exp.as_map()[1]:
            d4_weights[s, i, j] = weight
        d4_r2[s, i] = exp.score
''', r"num_features=10"),
        ("the same seed for every run", _D4_RUNS_HEAD + '''
for s, size in enumerate(SIZES):
    for i, seed in enumerate(SEEDS):
        fresh = LimeTabularExplainer(X_train, mode="classification", discretize_continuous=False,
                                     sample_around_instance=True, random_state=SEED)
        exp = fresh.explain_instance(x_tab, forest.predict_proba, num_features=30, num_samples=size)
        for j, weight in exp.as_map()[1]:
            d4_weights[s, i, j] = weight
        d4_r2[s, i] = exp.score
''', r"identical"),
    ],
    "d4_agreement_answer": [
        ("pairs of a run with itself included", '''
d4_agreement, d4_fidelity = None, None
d4_agreement = [np.mean([[topk_jaccard(a, b, K) for b in runs] for a in runs]) for runs in ref_weights]
d4_fidelity = ref_r2.mean(axis=1)
''', r"compared with itself"),
        ("signed top-k", '''
d4_agreement, d4_fidelity = None, None
from itertools import combinations
top = lambda w: set(np.argsort(-w)[:K].tolist())
d4_agreement = [np.mean([len(top(a) & top(b)) / len(top(a) | top(b)) for a, b in combinations(runs, 2)])
                for runs in ref_weights]
d4_fidelity = ref_r2.mean(axis=1)
''', r"signed weights"),
        ("fidelity of the last seed only", '''
d4_agreement, d4_fidelity = None, None
from itertools import combinations
d4_agreement = [np.mean([topk_jaccard(a, b, K) for a, b in combinations(runs, 2)]) for runs in ref_weights]
d4_fidelity = ref_r2[:, -1]
''', r"mean R\^2"),
    ],
    "d4_why_answer": [
        ("A: the forest is random", '''
d4_why = None
d4_why = "A"
''', r"not the best explanation"),
        ("C: a new kernel width per seed", '''
d4_why = None
d4_why = "C"
''', r"not the best explanation"),
        ("D: the decision boundary", '''
d4_why = None
d4_why = "D"
''', r"not the best explanation"),
    ],
}

# Code that raises inside the student's function: the check must say ERROR, not crash.
ERROR = {
    "lime_explain_answer":
        "def lime_explain(f, x, X_train, *, kernel_width=None, n_samples=5000, random_state=None):\n"
        "    return f(x) @ X_train\n",
    "topk_jaccard_answer": "def topk_jaccard(a, b, k):\n    return len(set(a[:k]) & b) / k\n",
}
