"""Answers that audit chapter 02's graders: each one is the whole source of an answer cell.

The reference answers are the solution notebook's answer cells (read by the tests).
ALTERNATIVE: correct answers written differently from the solution; every test cell must pass.
BASES: correct answers that the WRONG answers plant one pitfall in; every test cell must pass.
WRONG: plausible wrong answers, each a base with one pitfall planted, as (label, source, pattern):
the answer's test cells must fail, and the feedback message must match ``pattern``. The first two
of each list go through the autograde pipeline.
ERROR: code that raises inside the student's function: the check must say ERROR, not crash.
"""

from tests.answers._plant import planted

_SHAPLEY_VALUES = '''
def shapley_values(v, players):
    worth = (lambda S: v[S]) if isinstance(v, dict) else v
    players = list(players)
    M = len(players)
    phi = np.zeros(M)
    for k, i in enumerate(players):
        others = [p for p in players if p != i]
        for size in range(M):
            weight = math.factorial(size) * math.factorial(M - size - 1) / math.factorial(M)
            for combo in itertools.combinations(others, size):
                S = frozenset(combo)
                phi[k] += weight * (worth(S | {i}) - worth(S))
    return phi
'''

_KERNEL_WEIGHT = '''
def shapley_kernel_weight(M, s):
    if s == 0 or s == M:
        return math.inf
    return (M - 1) / (math.comb(M, s) * s * (M - s))
'''

# A correct vectorised answer: the base the kernel_shap pitfalls below are planted in.
_KERNEL_SHAP = '''
def kernel_shap(f, x, background, *, n_samples=2048, random_state=None):
    x, background = np.asarray(x, dtype=float), np.asarray(background, dtype=float)
    M, rng = len(x), np.random.default_rng(random_state)
    base = f(background).mean()
    total = f(x[None, :])[0] - base
    if 2 ** M - 2 <= n_samples:
        masks = (np.arange(1, 2 ** M - 1)[:, None] >> np.arange(M)) & 1 == 1
        s = masks.sum(axis=1)
        weights = (M - 1) / (np.array([math.comb(M, k) for k in s]) * s * (M - s))
    else:
        sizes = np.arange(1, M)
        p = (M - 1) / (sizes * (M - sizes))
        s = rng.choice(sizes, size=n_samples, p=p / p.sum())
        masks = rng.random((n_samples, M)).argsort(axis=1) < s[:, None]
        weights = np.ones(n_samples)
    mixed = np.where(masks[:, None, :], x, background)
    worth = f(mixed.reshape(-1, M)).reshape(len(masks), len(background)).mean(axis=1) - base
    A = masks[:, :-1] - masks[:, -1:].astype(float)
    root = np.sqrt(weights)
    rest = np.linalg.lstsq(A * root[:, None], (worth - masks[:, -1] * total) * root, rcond=None)[0]
    return np.append(rest, total - rest.sum())
'''

_D1 = '''
d1_marginals, d1_phi = None, None
rows = []
for order in lib.D1_ORDERINGS:
    before, paid = frozenset(), {}
    for player in order:
        paid[player] = d1_game[before | {player}] - d1_game[before]
        before = before | {player}
    rows.append([paid[p] for p in "ABC"])
d1_marginals = np.array(rows, dtype=float)
d1_phi = d1_marginals.mean(axis=0)
'''

_D1_WHY = '''
d1_why = None
d1_why = "A"
'''

BASES = {
    "shapley_values_answer": _SHAPLEY_VALUES,
    "shapley_kernel_weight_answer": _KERNEL_WEIGHT,
    "kernel_shap_answer": _KERNEL_SHAP,
    "d1_shapley_answer": _D1,
    "d1_why_answer": _D1_WHY,
}

ALTERNATIVE = {
    "shapley_values_answer": '''
def shapley_values(v, players):
    """Average of the marginal contributions over all M! arrival orders, returned as a list."""
    players = list(players)
    def worth(S):
        return v[S] if isinstance(v, dict) else v(S)
    totals = {p: 0.0 for p in players}
    orders = list(itertools.permutations(players))
    for order in orders:
        before = frozenset()
        for p in order:
            totals[p] += worth(before | {p}) - worth(before)
            before = before | {p}
    return [totals[p] / len(orders) for p in players]
''',
    "shapley_kernel_weight_answer": '''
from scipy.special import binom

def shapley_kernel_weight(M, s):
    """scipy's binomial coefficient, float('inf') and a float32 result."""
    if s in (0, M):
        return float("inf")
    return np.float32(M - 1) / np.float32(binom(M, s) * s * (M - s))
''',
    "kernel_shap_answer": '''
def kernel_shap(f, x, background, *, n_samples=2048, random_state=None):
    """float32 throughout; loops over coalitions, one call of f on the stacked rows; the constraint
    by a Lagrange multiplier (KKT system); sampled sizes drawn one by one."""
    x = np.asarray(x, dtype=np.float32)
    background = np.asarray(background, dtype=np.float32)
    M = x.shape[0]
    rng = np.random.default_rng(random_state)
    if 2 ** M - 2 <= n_samples:
        masks = [np.array(bits, dtype=bool) for bits in itertools.product([0, 1], repeat=M)
                 if 0 < sum(bits) < M]
        weights = [(M - 1) / (math.comb(M, int(z.sum())) * z.sum() * (M - z.sum())) for z in masks]
    else:
        sizes = list(range(1, M))
        p = np.array([1 / (s * (M - s)) for s in sizes])
        masks, weights = [], []
        for _ in range(n_samples):
            s = rng.choice(sizes, p=p / p.sum())
            z = np.zeros(M, dtype=bool)
            z[rng.choice(M, size=s, replace=False)] = True
            masks.append(z)
            weights.append(1.0)
    rows = []
    for z in masks:
        mixed = background.copy()
        mixed[:, z] = x[z]
        rows.append(mixed)
    Z = np.array(masks, dtype=np.float32).reshape(-1, M)
    stacked = np.vstack(rows) if rows else np.empty((0, M), dtype=np.float32)
    preds = np.asarray(f(stacked), dtype=np.float32).reshape(len(masks), len(background)).mean(axis=1)
    base = np.float32(np.mean(f(background)))
    total = np.float32(f(x.reshape(1, -1))[0]) - base
    W = np.diag(np.array(weights, dtype=np.float32))
    kkt = np.zeros((M + 1, M + 1), dtype=np.float32)
    kkt[:M, :M] = 2 * Z.T @ W @ Z
    kkt[:M, M] = kkt[M, :M] = 1.0
    rhs = np.append(2 * Z.T @ W @ (preds - base), total).astype(np.float32)
    return np.linalg.solve(kkt, rhs)[:M]
''',
    "d1_shapley_answer": '''
d1_marginals, d1_phi = None, None
# typed by hand: rows follow lib.D1_ORDERINGS, columns are the players A, B, C
d1_marginals = [[10, 30, 50], [10, 40, 40], [20, 20, 50], [30, 20, 40], [20, 40, 30], [30, 30, 30]]
d1_phi = [sum(col) / 6 for col in zip(*d1_marginals)]
''',
    "d1_why_answer": '''
d1_why = None
d1_why = " a "
''',
}

_SV_LOOP = "            for combo in itertools.combinations(others, size):\n"
_SV_TERM = ("                S = frozenset(combo)\n"
            "                phi[k] += weight * (worth(S | {i}) - worth(S))\n")
_KS_EXACT_WEIGHTS = "        weights = (M - 1) / (np.array([math.comb(M, k) for k in s]) * s * (M - s))\n"
_KS_SAMPLE = ("        s = rng.choice(sizes, size=n_samples, p=p / p.sum())\n"
              "        masks = rng.random((n_samples, M)).argsort(axis=1) < s[:, None]\n")
_KS_WORTH = ("    mixed = np.where(masks[:, None, :], x, background)\n"
             "    worth = f(mixed.reshape(-1, M)).reshape(len(masks), len(background)).mean(axis=1) - base\n")
_KS_START = "    x, background = np.asarray(x, dtype=float), np.asarray(background, dtype=float)\n"

WRONG = {
    "shapley_values_answer": [
        ("uniform weights (Banzhaf)", planted(
            _SHAPLEY_VALUES, ("math.factorial(size) * math.factorial(M - size - 1) / math.factorial(M)",
                              "1 / 2 ** (M - 1)")),
         r"uniform weights"),
        ("queries the game with tuples", planted(
            _SHAPLEY_VALUES, (_SV_TERM, "                phi[k] += weight * (worth(combo + (i,)) - worth(combo))\n")),
         r"keys are frozensets|not a frozenset"),
        ("factor |S|!(M-|S|)!/M!", planted(
            _SHAPLEY_VALUES, ("math.factorial(M - size - 1)", "math.factorial(M - size)")),
         r"wrong combinatorial factor"),
        ("contributions to the empty coalition only", planted(
            _SHAPLEY_VALUES, ("        for size in range(M):\n", "        for size in range(1):\n"),
            ("weight = math.factorial(size) * math.factorial(M - size - 1) / math.factorial(M)", "weight = 1.0")),
         r"EMPTY coalition"),
        ("contributions to all the others only", planted(
            _SHAPLEY_VALUES, ("        for size in range(M):\n", "        for size in [M - 1]:\n"),
            ("weight = math.factorial(size) * math.factorial(M - size - 1) / math.factorial(M)", "weight = 1.0")),
         r"ALL other players"),
        ("v(S + i) without subtracting v(S)", planted(
            _SHAPLEY_VALUES, ("(worth(S | {i}) - worth(S))", "worth(S | {i})")),
         r"v\(S \+ i\) alone"),
        ("a cache kept between calls", planted(
            _SHAPLEY_VALUES, ("def shapley_values(v, players):\n    worth = (lambda S: v[S]) if isinstance(v, dict) else v\n",
                              "_seen = {}\ndef shapley_values(v, players):\n"
                              "    def worth(S):\n"
                              "        if S not in _seen:\n"
                              "            _seen[S] = v[S] if isinstance(v, dict) else v(S)\n"
                              "        return _seen[S]\n")),
         r"efficiency fails|additivity fails|differ from shap"),
        ("calls the game, never looks a dict up", planted(
            _SHAPLEY_VALUES, ("    worth = (lambda S: v[S]) if isinstance(v, dict) else v\n", "    worth = v\n")),
         r"the game was a dict"),
        ("indexes the game, never calls a function", planted(
            _SHAPLEY_VALUES, ("(worth(S | {i}) - worth(S))", "(v[S | {i}] - v[S])")),
         r"the game was a function"),
        ("mutable sets as coalitions", planted(_SHAPLEY_VALUES, ("S = frozenset(combo)", "S = set(combo)")),
         r"mutable set|not a frozenset"),
        ("values in the sorted order of the players", planted(
            _SHAPLEY_VALUES, ("    players = list(players)\n", "    players = sorted(players)\n")),
         r"sorted order of the players"),
        ("delegates to the course's reference", planted(
            _SHAPLEY_VALUES, ("    worth = (lambda S: v[S])", "    return lib.game_shapley(v, players)\n    worth = (lambda S: v[S])")),
         r"the course's reference implementation"),
        ("delegates to shap", planted(
            _SHAPLEY_VALUES, ("    phi = np.zeros(M)\n", """    import shap
    model = lambda Z: np.array([worth(frozenset(p for p, z in zip(players, row) if z > 0.5)) for row in Z])
    explainer = shap.KernelExplainer(model, np.zeros((1, M)), silent=True)
    return np.asarray(explainer.shap_values(np.ones((1, M)), nsamples=2 ** M, silent=True)).reshape(M)
""")),
         r"runs the shap library"),
    ],
    "shapley_kernel_weight_answer": [
        ("uniform weights", planted(
            _KERNEL_WEIGHT, ("return (M - 1) / (math.comb(M, s) * s * (M - s))", "return 1.0")),
         r"uniform instead of Shapley-kernel weights"),
        ("binomial coefficient missing", planted(_KERNEL_WEIGHT, ("math.comb(M, s) * s", "s")),
         r"ALL coalitions of size s"),
        ("finite weight for the empty and full coalitions", planted(
            _KERNEL_WEIGHT, ("return math.inf", "return 1e6")),
         r"INFINITE weight"),
        ("C(M-1, s) instead of C(M, s)", planted(_KERNEL_WEIGHT, ("math.comb(M, s)", "math.comb(M - 1, s)")),
         r"not symmetric|do not match"),
        ("twice the kernel", planted(_KERNEL_WEIGHT, ("return (M - 1) /", "return 2 * (M - 1) /")),
         r"times the Shapley kernel"),
    ],
    "kernel_shap_answer": [
        ("kernel weight applied twice to sampled coalitions", planted(
            _KERNEL_SHAP, ("        weights = np.ones(n_samples)\n", _KS_EXACT_WEIGHTS)),
         r"the kernel counts twice"),
        ("uniform weights on every coalition", planted(
            _KERNEL_SHAP, (_KS_EXACT_WEIGHTS, "        weights = np.ones(len(masks))\n")),
         r"uniform instead of Shapley-kernel weights"),
        ("uniformly random subsets (each feature in with probability 1/2)", planted(
            _KERNEL_SHAP, (_KS_SAMPLE, "        masks = rng.random((8 * n_samples, M)) < 0.5\n"
                                       "        masks = masks[(masks.sum(axis=1) > 0) & (masks.sum(axis=1) < M)][:n_samples]\n")),
         r"do not follow the Shapley kernel"),
        ("one permutation shared by every sampled row (nested coalitions)", planted(
            _KERNEL_SHAP, ("        masks = rng.random((n_samples, M)).argsort(axis=1) < s[:, None]\n",
                           "        masks = rng.permutation(M)[None, :] < s[:, None]\n")),
         r"only \d+ different subsets"),
        ("contiguous cyclic windows instead of random subsets", planted(
            _KERNEL_SHAP, ("        masks = rng.random((n_samples, M)).argsort(axis=1) < s[:, None]\n",
                           "        start = rng.integers(0, M, n_samples)\n"
                           "        masks = ((np.arange(M)[None, :] - start[:, None]) % M) < s[:, None]\n")),
         r"different subsets"),
        ("uniformly random sizes", planted(
            _KERNEL_SHAP, ("s = rng.choice(sizes, size=n_samples, p=p / p.sum())", "s = rng.choice(sizes, size=n_samples)")),
         r"do not follow the Shapley kernel"),
        ("switch one too late: samples at n_samples = 2^M - 2", planted(
            _KERNEL_SHAP, ("if 2 ** M - 2 <= n_samples:", "if 2 ** M - 2 < n_samples:")),
         r"must use every coalition"),
        ("switch one too early: enumerates at n_samples = 2^M - 3", planted(
            _KERNEL_SHAP, ("if 2 ** M - 2 <= n_samples:", "if 2 ** M - 3 <= n_samples:")),
         r"exactly n_samples coalitions"),
        ("repeated coalitions dropped", planted(
            _KERNEL_SHAP, ("        weights = np.ones(n_samples)\n",
                           "        masks = np.unique(masks, axis=0)\n        weights = np.ones(len(masks))\n")),
         r"exactly n_samples coalitions"),
        ("f called once per coalition", planted(
            _KERNEL_SHAP, (_KS_WORTH, "    worth = np.array([f(np.where(z, x, background)).mean() for z in masks]) - base\n")),
         r"called f \d+ times"),
        ("random_state=None turned into seed 0", planted(
            _KERNEL_SHAP, ("np.random.default_rng(random_state)", "np.random.default_rng(random_state or 0)")),
         r"random_state=None"),
        ("random_state ignored (an unseeded generator)", planted(
            _KERNEL_SHAP, ("np.random.default_rng(random_state)", "np.random.default_rng()")),
         r"same random_state gave different results"),
        ("no efficiency constraint", planted(
            _KERNEL_SHAP,
            ("    base = f(background).mean()\n    total = f(x[None, :])[0] - base\n", ""),
            (".mean(axis=1) - base\n", ".mean(axis=1)\n"),
            ("""    A = masks[:, :-1] - masks[:, -1:].astype(float)
    root = np.sqrt(weights)
    rest = np.linalg.lstsq(A * root[:, None], (worth - masks[:, -1] * total) * root, rcond=None)[0]
    return np.append(rest, total - rest.sum())
""", """    A = np.column_stack([np.ones(len(masks)), masks])
    root = np.sqrt(weights)
    return np.linalg.lstsq(A * root[:, None], worth * root, rcond=None)[0][1:]
""")),
         r"efficiency fails"),
        ("empty and full coalitions in the regression with infinite weight", planted(
            _KERNEL_SHAP, ("np.arange(1, 2 ** M - 1)", "np.arange(0, 2 ** M)")),
         r"infinite kernel weight"),
        ("background mean instead of background rows", planted(
            _KERNEL_SHAP, (_KS_WORTH, "    worth = f(np.where(masks, x, background.mean(axis=0))) - base\n")),
         r"never a mean of background rows"),
        ("masks swapped", planted(
            _KERNEL_SHAP, ("np.where(masks[:, None, :], x, background)", "np.where(masks[:, None, :], background, x)")),
         r"swapped"),
        ("kernel without the binomial coefficient", planted(
            _KERNEL_SHAP, (_KS_EXACT_WEIGHTS, "        weights = (M - 1) / (s * (M - s))\n")),
         r"binomial coefficient"),
        ("delegates to shap", planted(
            _KERNEL_SHAP, (_KS_START, _KS_START + "    import shap\n"
                           "    explainer = shap.KernelExplainer(f, background, silent=True)\n"
                           "    return np.asarray(explainer.shap_values(x, nsamples=n_samples, silent=True)).reshape(-1)\n")),
         r"runs the shap library"),
    ],
    "d1_shapley_answer": [
        ("stand-alone worths as the values", planted(
            _D1, ("d1_phi = d1_marginals.mean(axis=0)", 'd1_phi = np.array([d1_game[frozenset(p)] for p in "ABC"])')),
         r"EMPTY coalition"),
        ("columns by arrival position, not by player", planted(
            _D1, ('rows.append([paid[p] for p in "ABC"])', "rows.append(list(paid.values()))")),
         r"the contribution of [ABC] is off"),
        ("divided by M instead of M!", planted(
            _D1, ("d1_phi = d1_marginals.mean(axis=0)", "d1_phi = d1_marginals.sum(axis=0) / 3")),
         r"efficiency fails"),
        ("contributions to all the others as the values", planted(
            _D1, ("d1_phi = d1_marginals.mean(axis=0)",
                  'd1_phi = np.array([90 - d1_game[frozenset("ABC") - {p}] for p in "ABC"])')),
         r"ALL other players"),
    ],
    "d1_why_answer": [
        ("B: an equal split of the whole surplus", planted(_D1_WHY, ('"A"', '"B"')), r"not the best explanation"),
        ("C: a proportional split", planted(_D1_WHY, ('"A"', '"C"')), r"not the best explanation"),
        ("D: the last to arrive takes the surplus", planted(_D1_WHY, ('"A"', '"D"')), r"not the best explanation"),
    ],
}

ERROR = {
    "shapley_values_answer": "def shapley_values(v, players):\n    return [1 / 0 for p in players]\n",
    "shapley_kernel_weight_answer": "def shapley_kernel_weight(M, s):\n    return 1 / (s * (M - s))\n",
    "kernel_shap_answer":
        "def kernel_shap(f, x, background, *, n_samples=2048, random_state=None):\n"
        "    return f(background[:, :1])\n",
}

# Red-team round 2 (issue 7): new cases, each planted in its base; the first two of each list above are kept.
WRONG["shapley_values_answer"] += [
    ("Monte Carlo over 300 random orderings", planted(_SHAPLEY_VALUES, (
        "    for k, i in enumerate(players):\n        others = [p for p in players if p != i]\n        for size in range(M):\n"
        "            weight = math.factorial(size) * math.factorial(M - size - 1) / math.factorial(M)\n"
        "            for combo in itertools.combinations(others, size):\n                S = frozenset(combo)\n"
        "                phi[k] += weight * (worth(S | {i}) - worth(S))\n",
        "    rng = np.random.default_rng(0)\n    for _ in range(300):\n        before = frozenset()\n"
        "        for k in rng.permutation(M):\n            phi[k] += (worth(before | {players[k]}) - worth(before)) / 300\n"
        "            before = before | {players[k]}\n")), r"differ from shap's exact Shapley values"),
    ("one player: v(N), without v(empty)", planted(_SHAPLEY_VALUES, (
        "    players = list(players)\n",
        "    players = list(players)\n    if len(players) == 1:\n        return np.array([worth(frozenset(players))])\n")),
     r"weigh v\(S \+ i\) alone"),
    ("an equal split of v(N) - v(empty)", planted(_SHAPLEY_VALUES, (
        "    return phi", "    return np.full(M, (worth(frozenset(players)) - worth(frozenset())) / M)")),
     r"efficiency holds\) but differ"),
]
WRONG["shapley_kernel_weight_answer"] += [
    ("a large finite weight for the edges", planted(_KERNEL_WEIGHT, ("return math.inf", "return 1e9")), r"INFINITE weight"),
    ("the numerator M - 1 lost", planted(_KERNEL_WEIGHT, (
        "return (M - 1) / (math.comb(M, s) * s * (M - s))", "return 1 / (math.comb(M, s) * s * (M - s))")),
     r"0.25 times the Shapley kernel"),
]
WRONG["kernel_shap_answer"] += [
    ("subset features drawn with replacement", planted(_KERNEL_SHAP, (
        "masks = rng.random((n_samples, M)).argsort(axis=1) < s[:, None]",
        "masks = np.zeros((n_samples, M), bool)\n        for row, size in enumerate(s):\n"
        "            masks[row, rng.choice(M, size)] = True")), r"0 have size 11"),
    ("efficiency by a heavy full-coalition row", planted(_KERNEL_SHAP, (
        "    A = masks[:, :-1] - masks[:, -1:].astype(float)\n    root = np.sqrt(weights)\n"
        "    rest = np.linalg.lstsq(A * root[:, None], (worth - masks[:, -1] * total) * root, rcond=None)[0]\n"
        "    return np.append(rest, total - rest.sum())",
        "    Z = np.vstack([masks, np.ones((1, M), bool)]).astype(float)\n    root = np.sqrt(np.append(weights, 1e6))\n"
        "    return np.linalg.lstsq(Z * root[:, None], np.append(worth, total) * root, rcond=None)[0]")),
     r"efficiency fails"),
    ("sizes drawn from the kernel of M + 1 features", planted(_KERNEL_SHAP, (
        "p = (M - 1) / (sizes * (M - sizes))", "p = M / (sizes * (M + 1 - sizes))")), r"do not follow the Shapley kernel"),
    ("sampled rows weighted by 1 / C(M, s)", planted(_KERNEL_SHAP, (
        "        weights = np.ones(n_samples)\n",
        "        weights = math.comb(M, M // 2) / np.array([math.comb(M, k) for k in s])\n")),
     r"do not solve the constrained least squares"),
]
WRONG["d1_shapley_answer"] += [
    ("the orderings in another order", planted(_D1, ("for order in lib.D1_ORDERINGS:", "for order in itertools.permutations('CBA'):")),
     r"ordering A -> B -> C: the contribution of A is off"),
    ("phi from three of the six orderings", planted(_D1, ("d1_phi = d1_marginals.mean(axis=0)", "d1_phi = d1_marginals[[0, 2, 4]].mean(axis=0)")),
     r"average of the rows"),
    ("marginals transposed", planted(_D1, ("d1_marginals = np.array(rows, dtype=float)", "d1_marginals = np.array(rows, dtype=float).T")),
     r"shape \(6, 3\); yours has shape \(3, 6\)"),
]
WRONG["d1_why_answer"] += [
    ("the option's text", planted(_D1_WHY, ('"A"', '"A: each pair surplus split equally"')), r"got 'A: each"),
]
