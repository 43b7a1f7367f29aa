"""Answers that audit chapter 03's graders: each one is the whole source of an answer cell.

ALTERNATIVE: correct answers written differently from the solution; every test cell must pass.
BASES: correct answers that the WRONG answers plant one pitfall in; every test cell must pass.
WRONG: plausible wrong answers, as (label, source, pattern), each planted in its base: the answer's
test cells must fail, and the feedback message must match ``pattern``. The first two of each list
go through the autograde pipeline.
ERROR: code that raises inside the student's function: the check must say ERROR.
The reference answers are the solution notebook's answer cells.
"""

from tests.answers._plant import planted

_LIME = '''
def lime_explain(f, x, X_train, *, kernel_width=None, n_samples=5000, random_state=None):
    rng = np.random.default_rng(random_state)
    x = np.asarray(x, dtype=float)
    raw_scale = np.asarray(X_train, dtype=float).std(axis=0)
    scale = np.where(raw_scale > 0, raw_scale, 1.0)
    width = 0.75 * np.sqrt(len(x)) if kernel_width is None else kernel_width
    U = rng.standard_normal((n_samples, len(x)))
    Z = x + U * scale
    y = np.asarray(f(Z), dtype=float)
    D = U
    pi = np.exp(-np.sum(D ** 2, axis=1) / (2 * width ** 2))
    A = np.column_stack([np.ones(n_samples), U])
    root = np.sqrt(pi)
    beta = np.linalg.lstsq(A * root[:, None], y * root, rcond=None)[0]
    intercept = float(beta[0])
    residual = y - A @ beta
    r2 = 1 - np.sum(pi * residual ** 2) / np.sum(pi * (y - np.average(y, weights=pi)) ** 2)
    return {"coef": beta[1:], "intercept": intercept, "r2": float(r2)}
'''

_TOPK = '''
def topk_jaccard(a, b, k):
    top_a = set(np.argsort(-np.abs(np.asarray(a, dtype=float)), kind="stable")[:k].tolist())
    top_b = set(np.argsort(-np.abs(np.asarray(b, dtype=float)), kind="stable")[:k].tolist())
    return len(top_a & top_b) / len(top_a | top_b)
'''

_LOOPS = '''    for s, size in enumerate(sizes):
        for i, seed in enumerate(seeds):
            explainer = LimeTabularExplainer(X_train, mode="classification", discretize_continuous=False,
                                             sample_around_instance=True, random_state=seed)
'''
_RUNS = '''
def d4_runs(predict_fn, x, X_train, *, seeds, sizes):
    n_features = X_train.shape[1]
    weights, r2 = np.zeros((len(sizes), len(seeds), n_features)), np.zeros((len(sizes), len(seeds)))
''' + _LOOPS + '''            exp = explainer.explain_instance(x, predict_fn, num_features=n_features, num_samples=size)
            for j, weight in exp.as_map()[1]:
                weights[s, i, j] = weight
            r2[s, i] = exp.score
    return {"weights": weights, "r2": r2}
'''

_AGREEMENT = '''
def d4_agreement(weights, r2, *, k):
    from itertools import combinations
    agreement = []
    for runs in np.asarray(weights, dtype=float):
        tops = [set(np.argsort(-np.abs(w), kind="stable")[:k].tolist()) for w in runs]
        pairs = list(combinations(tops, 2))
        agreement.append(np.mean([len(a & b) / len(a | b) for a, b in pairs]))
    return {"agreement": np.array(agreement), "fidelity": np.asarray(r2, dtype=float).mean(axis=1)}
'''

_WHY = '''
d4_why = None
d4_why = "D"
'''

BASES = {"lime_explain_answer": _LIME, "topk_jaccard_answer": _TOPK, "d4_runs_answer": _RUNS,
         "d4_agreement_answer": _AGREEMENT, "d4_why_answer": _WHY}

ALTERNATIVE = {
    "lime_explain_answer": '''
def lime_explain(f, x, X_train, *, kernel_width=None, n_samples=5000, random_state=None):
    """float32 throughout, rows drawn one at a time, f called in chunks, lime's centring, scikit-learn's fit."""
    from sklearn.linear_model import LinearRegression
    from sklearn.metrics import r2_score
    from sklearn.preprocessing import StandardScaler
    rng = np.random.default_rng(random_state)
    X_train = np.asarray(X_train, dtype=np.float32)
    x = np.asarray(x, dtype=np.float32)
    scaler = StandardScaler(with_mean=False).fit(X_train)          # scale 1 for a constant feature
    scale, mean = scaler.scale_.astype(np.float32), scaler.mean_.astype(np.float32)
    width = np.float32(kernel_width if kernel_width is not None else 0.75 * len(x) ** 0.5)
    Z = np.array([x + scale * rng.standard_normal(len(x), dtype=np.float32) for _ in range(n_samples)])
    y = np.concatenate([np.asarray(f(Z[start:start + 500]), dtype=np.float32) for start in range(0, n_samples, 500)])
    weights = np.sqrt(np.exp(-np.sum(((Z - x) / scale) ** 2, axis=1) / width ** 2))  # lime's form
    model = LinearRegression().fit((Z - mean) / scale, y, sample_weight=weights)
    return dict(coef=model.coef_, intercept=model.predict(((x - mean) / scale)[None, :])[0],
                r2=r2_score(y, model.predict((Z - mean) / scale), sample_weight=weights))
''',
    "topk_jaccard_answer": '''
def topk_jaccard(a, b, k):
    """sorted() with a key (stable, so ties keep the lower index first) and numpy set routines."""
    top_a = sorted(range(len(a)), key=lambda j: abs(a[j]), reverse=True)[:k]
    top_b = sorted(range(len(b)), key=lambda j: abs(b[j]), reverse=True)[:k]
    return np.intersect1d(top_a, top_b).size / np.union1d(top_a, top_b).size
''',
    "d4_runs_answer": '''
def d4_runs(predict_fn, x, X_train, *, seeds, sizes):
    """A RandomState per run, local_exp instead of as_map, a NamedTuple of nested lists."""
    from collections import namedtuple
    Runs = namedtuple("Runs", ["weights", "r2"])
    weights, r2 = [], []
    for size in sizes:
        weights.append([])
        r2.append([])
        for seed in seeds:
            fresh = LimeTabularExplainer(X_train, mode="classification", discretize_continuous=False,
                                         sample_around_instance=True, random_state=np.random.RandomState(seed))
            exp = fresh.explain_instance(x, predict_fn, num_features=len(x), num_samples=size)
            found = dict(exp.local_exp[1])
            weights[-1].append([found[j] for j in range(len(x))])
            r2[-1].append(exp.score)
    return Runs(weights, r2)
''',
    "d4_agreement_answer": '''
def d4_agreement(weights, r2, *, k):
    """Index loops over i < j, the notebook's own topk_jaccard, plain lists."""
    agreement = []
    for runs_of_size in weights:
        values = []
        for i in range(len(runs_of_size)):
            for j in range(i + 1, len(runs_of_size)):
                values.append(topk_jaccard(runs_of_size[i], runs_of_size[j], k))
        agreement.append(sum(values) / len(values))
    return {"agreement": agreement, "fidelity": [float(np.mean(r)) for r in r2]}
''',
    "d4_why_answer": '''
d4_why = None
d4_why = " d "
''',
}

WRONG = {
    "lime_explain_answer": [
        ("no proximity weighting", planted(_LIME, ("pi = np.exp(-np.sum(D ** 2, axis=1) / (2 * width ** 2))",
                                                   "pi = np.ones(n_samples)")), r"no proximity weighting"),
        ("intercept at the training mean (lime's intercept)", planted(_LIME, (
            "intercept = float(beta[0])",
            "intercept = float(beta[0] + beta[1:] @ ((np.asarray(X_train).mean(axis=0) - x) / scale))")),
         r"intercept is the surrogate's value at the training mean"),
        ("constant feature left at scale 0", planted(_LIME, ("scale = np.where(raw_scale > 0, raw_scale, 1.0)",
                                                             "scale = raw_scale")), r"constant feature"),
        ("constant feature given a tiny scale", planted(_LIME, ("scale = np.where(raw_scale > 0, raw_scale, 1.0)",
                                                                "scale = raw_scale + 1e-12")), r"constant feature"),
        ("constant feature dropped from the fit", planted(_LIME, (
            "A = np.column_stack([np.ones(n_samples), U])",
            "A = np.column_stack([np.ones(n_samples), U * (raw_scale > 0)])")), r"constant feature"),
        ("x inserted as the first perturbation, as lime does", planted(_LIME, (
            "U = rng.standard_normal((n_samples, len(x)))",
            "U = rng.standard_normal((n_samples, len(x)))\n    U[0] = 0.0")), r"x itself"),
        ("f(x) evaluated for the intercept", planted(_LIME, ("intercept = float(beta[0])",
                                                             "intercept = float(f(x[None])[0])")),
         r"rows in total .*x itself"),
        ("intercept = weighted mean of f", planted(_LIME, ("intercept = float(beta[0])",
                                                           "intercept = float(np.average(y, weights=pi))")),
         r"weighted mean of f"),
        ("uniform noise of variance 1", planted(_LIME, (
            "U = rng.standard_normal((n_samples, len(x)))",
            "U = rng.uniform(-np.sqrt(3), np.sqrt(3), (n_samples, len(x)))")), r"not normally distributed"),
        ("antithetic pairs z and 2x - z", planted(_LIME, (
            "U = rng.standard_normal((n_samples, len(x)))",
            "U = rng.standard_normal((n_samples // 2, len(x)))\n    U = np.vstack([U, -U])")), r"mirrored pairs"),
        ("one noise draw shared by every feature", planted(_LIME, (
            "U = rng.standard_normal((n_samples, len(x)))",
            "U = rng.standard_normal((n_samples, 1)) * np.ones(len(x))")), r"correlated"),
        ("numpy's global generator", planted(_LIME, ("rng = np.random.default_rng(random_state)",
                                                     "np.random.seed(random_state)\n    rng = np.random")),
         r"global generator"),
        ("random_state ignored", planted(_LIME, ("np.random.default_rng(random_state)", "np.random.default_rng(0)")),
         r"random_state is ignored"),
        ("random_state=None turned into a fixed seed", planted(_LIME, (
            "np.random.default_rng(random_state)", "np.random.default_rng(random_state or 0)")),
         r"two calls with random_state=None gave the same result"),
        ("perturbations not scaled by the feature std", planted(_LIME, ("Z = x + U * scale", "Z = x + U\n    U = U / scale")),
         r"raw units"),
        ("sampling around the training mean", planted(_LIME, (
            "Z = x + U * scale", "Z = np.asarray(X_train).mean(axis=0) + U * scale\n    U = (Z - x) / scale")),
         r"centred on the training mean"),
        ("default width not scaled by sqrt(n_features)", planted(_LIME, ("0.75 * np.sqrt(len(x))", "0.75")),
         r"0\.75 \* sqrt\(n_features\), not 0\.75"),
        ("the paper's exp(-d^2/w^2) kernel", planted(_LIME, ("(2 * width ** 2)", "width ** 2")), r"lime's convention"),
        ("distances in raw units", planted(_LIME, ("D = U", "D = Z - x")), r"distances are in raw units"),
        ("kernel applied twice", planted(_LIME, ("root = np.sqrt(pi)", "root = pi")), r"lime's applied twice"),
        ("lime's Ridge(alpha=1)", planted(_LIME, (
            "beta = np.linalg.lstsq(A * root[:, None], y * root, rcond=None)[0]",
            "from sklearn.linear_model import Ridge\n    ridge = Ridge(alpha=1.0).fit(U, y, sample_weight=pi)\n"
            "    beta = np.r_[ridge.intercept_, ridge.coef_]")), r"Ridge\(alpha=1\)"),
        ("standard deviation with ddof=1", planted(_LIME, (".std(axis=0)", ".std(axis=0, ddof=1)")), r"ddof=1"),
        ("slopes per raw unit", planted(_LIME, ("A = np.column_stack([np.ones(n_samples), U])",
                                                "A = np.column_stack([np.ones(n_samples), Z - x])")),
         r"slopes per raw unit"),
        ("unweighted R^2", planted(_LIME, (
            "r2 = 1 - np.sum(pi * residual ** 2) / np.sum(pi * (y - np.average(y, weights=pi)) ** 2)",
            "r2 = 1 - np.sum(residual ** 2) / np.sum((y - y.mean()) ** 2)")), r"R\^2 is unweighted"),
        ("R^2 around the plain mean", planted(_LIME, ("(y - np.average(y, weights=pi)) ** 2", "(y - y.mean()) ** 2")),
         r"plain mean of y"),
        ("kernel_width ignored (audit 4)", planted(_LIME, (
            "width = 0.75 * np.sqrt(len(x)) if kernel_width is None else kernel_width",
            "width = 0.75 * np.sqrt(len(x))")), r"ignored kernel_width"),
        ("(z - x) / scale with a constant feature's scale 0 (audit 4)", planted(_LIME, (
            "scale = np.where(raw_scale > 0, raw_scale, 1.0)", "scale = raw_scale"), ("D = U", "U = (Z - x) / scale\n    D = U")),
         r"raised `\w+` on an X_train with a constant feature"),
        ("delegates to lime", planted(_LIME, ("    rng = np.random.default_rng(random_state)\n", '''\
    from lime.lime_tabular import LimeTabularExplainer
    explanation = LimeTabularExplainer(np.asarray(X_train), mode="regression", discretize_continuous=False,
                                       sample_around_instance=True, kernel_width=kernel_width,
                                       random_state=random_state).explain_instance(
        np.asarray(x), f, num_features=len(x), num_samples=n_samples)
    coef = np.array([dict(explanation.as_map()[1])[j] for j in range(len(x))])
    return {"coef": coef, "intercept": float(explanation.local_pred[0]), "r2": float(explanation.score)}
''')), r"runs the lime library"),
    ],
    "topk_jaccard_answer": [
        ("signed weights", planted(_TOPK, ("-np.abs(", "-(")), r"signed weight"),
        ("delegates to the library's topk_mask", planted(_TOPK, (
            "    return len(top_a & top_b) / len(top_a | top_b)",
            "    from sklearn.metrics import jaccard_score\n    return jaccard_score(lib.topk_mask(a, k), lib.topk_mask(b, k))")),
         r"calls `topk_mask`"),
        ("overlap divided by k", planted(_TOPK, ("/ len(top_a | top_b)", "/ k")), r"divided the overlap by k"),
        ("the k smallest", planted(_TOPK, ("-np.abs(", "np.abs(")), r"k smallest"),
        ("ties to the higher index", planted(_TOPK, ("(-np.abs(", "(np.abs("), ('kind="stable")[:k]', 'kind="stable")[::-1][:k]')),
         r"ties"),
        ("top k + 1 (audit 4)", planted(_TOPK, ("[:k]", "[:k + 1]")), r"k \+ 1 features"),
        ("overlap divided by 2k (audit 4)", planted(_TOPK, ("/ len(top_a | top_b)", "/ (2 * k)")), r"by 2k"),
    ],
    "d4_runs_answer": [
        ("one explainer, seed never reset (issue 309)", planted(_RUNS, (_LOOPS, '''\
    explainer = LimeTabularExplainer(X_train, mode="classification", discretize_continuous=False,
                                     sample_around_instance=True, random_state=seeds[0])
    for s, size in enumerate(sizes):
        for i, seed in enumerate(seeds):
''')), r"issue 309"),
        ("weights in as_map() order", planted(_RUNS, ("for j, weight in exp.as_map()[1]:\n                weights[s, i, j] = weight",
                                                      "weights[s, i] = [weight for _, weight in exp.as_map()[1]]")),
         r"order of `as_map\(\)`"),
        ("sample_around_instance missing", planted(_RUNS, ("sample_around_instance=True, ", "")),
         r"sample_around_instance=True"),
        ("discretize_continuous left at lime's default", planted(_RUNS, ("discretize_continuous=False", "discretize_continuous=True")),
         r"quartile"),
        ("the same seed for every run", planted(_RUNS, ("random_state=seed)", "random_state=0)")), r"seed is not applied"),
        ("no seed at all", planted(_RUNS, ("random_state=seed)", "random_state=None)")), r"seed is not applied"),
        ("lime's default num_features=10", planted(_RUNS, ("num_features=n_features, ", "")), r"num_features=10"),
        ("label 0", planted(_RUNS, ("num_samples=size)", "num_samples=size, labels=(0,))"), ("as_map()[1]", "as_map()[0]")),
         r"opposite sign"),
        ("r2 holds local_pred", planted(_RUNS, ("r2[s, i] = exp.score", "r2[s, i] = exp.local_pred[0]")),
         r"explanation\.score"),
        ("delegates to lib.lime_runs", planted(_RUNS, ("    n_features = X_train.shape[1]\n",
                                                       "    return lib.lime_runs(predict_fn, x, X_train, seeds=seeds, sizes=sizes)\n")),
         r"calls `lime_runs`"),
        ("the top label instead of label 1 (audit 4)", planted(_RUNS, (
            "num_samples=size)", "num_samples=size, top_labels=1)"), ("as_map()[1]", "as_map()[exp.top_labels[0]]")),
         r"PREDICTED class .*not label 1"),
        ("seed-major runs reshaped (audit 4)", '''
def d4_runs(predict_fn, x, X_train, *, seeds, sizes):
    p = X_train.shape[1]
    W, R = [], []
    for s in seeds:
        for size in sizes:
            e = LimeTabularExplainer(X_train, mode="classification", discretize_continuous=False,
                                     sample_around_instance=True, random_state=s).explain_instance(
                x, predict_fn, num_features=p, num_samples=size)
            m = dict(e.as_map()[1]); W.append([m[j] for j in range(p)]); R.append(e.score)
    return {"weights": np.array(W).reshape(len(sizes), len(seeds), p),
            "r2": np.array(R).reshape(len(sizes), len(seeds))}
''', r"seed-major"),
    ],
    "d4_agreement_answer": [
        ("pairs of a run with itself included", planted(_AGREEMENT, ("pairs = list(combinations(tops, 2))",
                                                                      "pairs = [(a, b) for a in tops for b in tops]")),
         r"compared with itself"),
        ("fidelity of the last seed only", planted(_AGREEMENT, ("np.asarray(r2, dtype=float).mean(axis=1)",
                                                                "np.asarray(r2, dtype=float)[:, -1]")), r"last seed"),
        ("signed top-k", planted(_AGREEMENT, ("np.argsort(-np.abs(w)", "np.argsort(-w")), r"signed weights"),
        ("overlap divided by k", planted(_AGREEMENT, ("len(a & b) / len(a | b)", "len(a & b) / k")), r"divided the overlap by k"),
        ("neighbouring seeds only", planted(_AGREEMENT, ("pairs = list(combinations(tops, 2))",
                                                         "pairs = list(zip(tops[:-1], tops[1:]))")), r"neighbouring seeds"),
        ("every seed against the first", planted(_AGREEMENT, ("pairs = list(combinations(tops, 2))",
                                                              "pairs = [(tops[0], b) for b in tops[1:]]")), r"first one only"),
        ("the notebook's K instead of k (audit 4)", planted(_AGREEMENT, ("[:k]", "[:K]")), r"the notebook's K"),
        ("delegates to lib.stability", planted(_AGREEMENT, ("    from itertools import combinations\n",
                                                            "    return lib.stability(weights, r2, k=k)\n")),
         r"calls `stability`"),
    ],
    "d4_why_answer": [
        ("A: the forest is random", planted(_WHY, ('"D"', '"A"')), r"not the best explanation"),
        ("B: a new kernel width per seed", planted(_WHY, ('"D"', '"B"')), r"not the best explanation"),
        ("C: the decision boundary", planted(_WHY, ('"D"', '"C"')), r"not the best explanation"),
    ],
}

ERROR = {
    "lime_explain_answer":
        "def lime_explain(f, x, X_train, *, kernel_width=None, n_samples=5000, random_state=None):\n"
        "    return f(x) @ X_train\n",
    "topk_jaccard_answer": "def topk_jaccard(a, b, k):\n    return len(set(a[:k]) & b) / k\n",
    "d4_runs_answer": "def d4_runs(predict_fn, x, X_train, *, seeds, sizes):\n    return predict_fn(x)[seeds]\n",
    "d4_agreement_answer": "def d4_agreement(weights, r2, *, k):\n    return weights[k] @ r2.T[None]\n",
}

# Red-team round 2 (issue 7): new cases, each planted in its base; the first two of each list above are kept.
WRONG["lime_explain_answer"] += [
    ("perturbations rounded to 2 decimals", planted(_LIME, ("    Z = x + U * scale\n", "    Z = np.round(x + U * scale, 2)\n    U = (Z - x) / scale\n")),
     r"many values of a feature repeat"),
    ("Student-t noise of variance 1", planted(_LIME, (
        "U = rng.standard_normal((n_samples, len(x)))", "U = rng.standard_t(5, (n_samples, len(x))) / np.sqrt(5 / 3)")),
     r"not normally distributed"),
    ("R^2 of the unweighted fit's residuals", planted(_LIME, (
        "    residual = y - A @ beta\n", "    residual = y - A @ np.linalg.lstsq(A, y, rcond=None)[0]\n")),
     r"your r2 is not the weighted R\^2"),
    ("the intercept of the unweighted fit", planted(_LIME, (
        "    intercept = float(beta[0])\n", "    intercept = float(np.linalg.lstsq(A, y, rcond=None)[0][0])\n")),
     r"your intercept is not the surrogate's value at x"),
]
WRONG["topk_jaccard_answer"] += [
    ("numpy's default (unstable) argsort", planted(_TOPK, ('kind="stable"', 'kind="quicksort"')), r"ties to the lower index"),
    ("a threshold at the k-th largest |w| (ties let more in)", planted(_TOPK, (
        'set(np.argsort(-np.abs(np.asarray(a, dtype=float)), kind="stable")[:k].tolist())',
        "set(np.flatnonzero(np.abs(a) >= np.sort(np.abs(a))[-k]).tolist())"), (
        'set(np.argsort(-np.abs(np.asarray(b, dtype=float)), kind="stable")[:k].tolist())',
        "set(np.flatnonzero(np.abs(b) >= np.sort(np.abs(b))[-k]).tolist())")), r"ties to the lower index"),
    ("np.argpartition (audit 4: named)", planted(_TOPK, (
        'np.argsort(-np.abs(np.asarray(a, dtype=float)), kind="stable")[:k]',
        "np.argpartition(-np.abs(np.asarray(a, dtype=float)), k - 1)[:k]"), (
        'np.argsort(-np.abs(np.asarray(b, dtype=float)), kind="stable")[:k]',
        "np.argpartition(-np.abs(np.asarray(b, dtype=float)), k - 1)[:k]")), r"breaks ties arbitrarily"),
    ("the library's private top-k helper", planted(_TOPK, (
        'top_a = set(np.argsort(-np.abs(np.asarray(a, dtype=float)), kind="stable")[:k].tolist())',
        "top_a = lib._top_set(a, k)")), r"course's reference"),
]
WRONG["d4_runs_answer"] += [
    ("the sizes sorted", planted(_RUNS, ("for s, size in enumerate(sizes):", "for s, size in enumerate(sorted(sizes)):")),
     r"another order of the sizes"),
    ("one explainer per seed, reused across the sizes", planted(_RUNS, (
        "            explainer = LimeTabularExplainer(X_train, mode=\"classification\", discretize_continuous=False,\n"
        "                                             sample_around_instance=True, random_state=seed)\n", ""), (
        "    for s, size in enumerate(sizes):\n",
        "    explainers = [LimeTabularExplainer(X_train, mode='classification', discretize_continuous=False,\n"
        "                                       sample_around_instance=True, random_state=seed) for seed in seeds]\n"
        "    for s, size in enumerate(sizes):\n"), ("exp = explainer.explain", "exp = explainers[i].explain")),
     r"issue 309"),
]
WRONG["d4_agreement_answer"] += [
    ("ties to the higher index", planted(_AGREEMENT, (
        'np.argsort(-np.abs(w), kind="stable")[:k]', 'np.argsort(np.abs(w), kind="stable")[::-1][:k]')), r"higher index"),
    ("fidelity: one mean over all sizes", planted(_AGREEMENT, (
        "np.asarray(r2, dtype=float).mean(axis=1)", "np.full(len(weights), np.asarray(r2, dtype=float).mean())")),
     r"mean R\^2 over the seeds of size s"),
]
WRONG["d4_why_answer"] += [
    ("a letter with a dot", planted(_WHY, ('"D"', '"D."')), r"got 'D.'"),
    ("a number", planted(_WHY, ('"D"', "4")), r"one letter as a string"),
]

# Audit 4: a result that does its work later (its __array__ or __float__ calls the course's reference
# once the check reads it) is evaluated while the answer is still watched, so the delegation is named.
WRONG["topk_jaccard_answer"] += [
    ("a lazy result that calls lib.stability when read", '''
class Later:
    def __init__(self, a, b, k):
        self.a, self.b, self.k = np.array(a, dtype=float), np.array(b, dtype=float), int(k)
    def __float__(self):
        runs = np.stack([self.a, self.b])[None]
        return float(lib.stability(runs, np.zeros((1, 2)), k=self.k)["agreement"][0])
    def __array__(self, dtype=None, copy=None):
        return np.array(float(self), dtype=dtype or float)
def topk_jaccard(a, b, k):
    return Later(a, b, k)
''', r"`stability`, the course's reference implementation"),
]
