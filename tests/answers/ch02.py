"""Answers that audit chapter 02's graders: each one is the whole source of an answer cell.

REFERENCE: the model answers, as a student would hand them in (the solution notebook's answer
cells without the solution markers); every test cell must pass.
ALTERNATIVE: correct answers written differently from the solution; every test cell must pass.
WRONG: plausible wrong answers from the pitfalls the chapter teaches, as (label, source, pattern):
the answer's test cells must fail, and the feedback message must match ``pattern``.
BASES: correct answers that some WRONG answers plant one pitfall in; every test cell must pass.
"""

from tests.answers._plant import planted

# A correct vectorised answer: the base the kernel_shap pitfalls below are planted in.
_KERNEL_SHAP = '''
def kernel_shap(f, x, background, n_samples=2048, random_state=None):
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

BASES = {"kernel_shap_answer": _KERNEL_SHAP}

REFERENCE = {
    "shapley_values_answer": '''
def shapley_values(v, players):
    """Exact Shapley values of a cooperative game.

    Parameters
    ----------
    v : callable
        ``v(S)`` returns the worth (a float) of the coalition ``S``, a ``frozenset`` of players.
    players : sequence of hashable, of length M >= 1

    Returns
    -------
    phi : ndarray of shape (M,)
        ``phi[k]`` is the Shapley value of ``players[k]``.
    """
    players = list(players)
    M = len(players)
    phi = np.zeros(M)
    for k, i in enumerate(players):
        others = [p for p in players if p != i]
        for size in range(M):
            weight = math.factorial(size) * math.factorial(M - size - 1) / math.factorial(M)
            for combo in itertools.combinations(others, size):
                S = frozenset(combo)
                phi[k] += weight * (v(S | {i}) - v(S))
    return phi
''',
    "d1_shapley_answer": '''
d1_marginals, d1_phi = None, None
rows = []
for order in check.D1_ORDERINGS:
    before, paid = frozenset(), {}
    for player in order:
        paid[player] = d1_game[before | {player}] - d1_game[before]
        before = before | {player}
    rows.append([paid[p] for p in "ABC"])
d1_marginals = np.array(rows, dtype=float)
d1_phi = d1_marginals.mean(axis=0)
assert d1_phi.sum() == d1_game[frozenset("ABC")] - d1_game[frozenset()]  # efficiency
''',
    "d1_why_answer": '''
d1_why = None
d1_why = "B"
''',
    "shapley_kernel_weight_answer": '''
def shapley_kernel_weight(M, s):
    """Shapley kernel weight of one coalition of size s among M features.

    Parameters
    ----------
    M : int
        Number of features (players), M >= 1.
    s : int
        Size of the coalition, 0 <= s <= M.

    Returns
    -------
    float
        ``(M - 1) / (C(M, s) * s * (M - s))``, and ``math.inf`` for s = 0 or s = M.
    """
    if s == 0 or s == M:
        return math.inf
    return (M - 1) / (math.comb(M, s) * s * (M - s))
''',
    "kernel_shap_answer": '''
def kernel_shap(f, x, background, n_samples=2048, random_state=None):
    """SHAP values of f at x by KernelSHAP, with the efficiency constraint.

    Parameters
    ----------
    f : callable
        The model: ``f(X)`` maps an array of shape (n, M) to predictions of shape (n,).
    x : ndarray of shape (M,)
        The input to explain.
    background : ndarray of shape (B, M)
        Rows that supply the values of the features outside a coalition.
    n_samples : int, default=2048
        Number of coalitions; when 2^M - 2 <= n_samples, every coalition is used once (exact).
    random_state : int or None, default=None
        Seed of the generator that samples coalitions.

    Returns
    -------
    phi : ndarray of shape (M,)
        The SHAP values; ``f(background).mean() + phi.sum() == f(x)``.
    """
    x, background = np.asarray(x, dtype=float), np.asarray(background, dtype=float)
    M, rng = len(x), np.random.default_rng(random_state)
    base = f(background).mean()
    total = f(x[None, :])[0] - base
    if 2 ** M - 2 <= n_samples:  # every coalition, weighted by the Shapley kernel: exact
        masks = (np.arange(1, 2 ** M - 1)[:, None] >> np.arange(M)) & 1 == 1   # (K, M)
        s = masks.sum(axis=1)
        weights = (M - 1) / (np.array([math.comb(M, k) for k in s]) * s * (M - s))
    else:  # sizes in proportion to their total kernel weight, then a random subset of that size
        sizes = np.arange(1, M)
        p = (M - 1) / (sizes * (M - sizes))
        s = rng.choice(sizes, size=n_samples, p=p / p.sum())
        masks = rng.random((n_samples, M)).argsort(axis=1) < s[:, None]     # (K, M)
        weights = np.ones(n_samples)
    mixed = np.where(masks[:, None, :], x, background)                        # (K, B, M)
    worth = f(mixed.reshape(-1, M)).reshape(len(masks), len(background)).mean(axis=1) - base
    # Efficiency: phi_M = total - sum of the others, so worth - z_M total = sum_j<M phi_j (z_j - z_M).
    A = masks[:, :-1] - masks[:, -1:].astype(float)
    b = worth - masks[:, -1] * total
    root = np.sqrt(weights)
    rest = np.linalg.lstsq(A * root[:, None], b * root, rcond=None)[0]
    return np.append(rest, total - rest.sum())
''',
}

ALTERNATIVE = {
    "shapley_values_answer": '''
def shapley_values(v, players):
    """Average of the marginal contributions over all M! arrival orders, returned as a list."""
    players = list(players)
    totals = {p: 0.0 for p in players}
    orders = list(itertools.permutations(players))
    for order in orders:
        before = set()
        for p in order:
            totals[p] += v(frozenset(before | {p})) - v(frozenset(before))
            before.add(p)
    return [totals[p] / len(orders) for p in players]
''',
    "shapley_kernel_weight_answer": '''
from scipy.special import binom

def shapley_kernel_weight(M, s):
    """scipy's binomial coefficient, float('inf') and a numpy float."""
    if s in (0, M):
        return float("inf")
    return np.float64(M - 1) / (binom(M, s) * s * (M - s))
''',
    "kernel_shap_answer": '''
def kernel_shap(f, x, background, n_samples=2048, random_state=None):
    """Loops over coalitions; the constraint by a Lagrange multiplier (KKT system); when sampling,
    uniformly random subsets (each feature in with probability 1/2) weighted by the kernel."""
    x = np.asarray(x, dtype=float)
    background = np.asarray(background, dtype=float)
    M = x.shape[0]
    rng = np.random.default_rng(random_state)
    if 2 ** M - 2 <= n_samples:
        masks = [np.array(bits, dtype=bool) for bits in itertools.product([0, 1], repeat=M)
                 if 0 < sum(bits) < M]
    else:
        masks = []
        while len(masks) < n_samples:
            z = rng.random(M) < 0.5
            if 0 < z.sum() < M:
                masks.append(z)
    rows, weights = [], []
    for z in masks:
        s = int(z.sum())
        weights.append((M - 1) / (math.comb(M, s) * s * (M - s)))
        rows.append(background.copy())
        rows[-1][:, z] = x[z]
    Z = np.array(masks, dtype=float)
    preds = f(np.vstack(rows)).reshape(len(masks), len(background)).mean(axis=1)
    base = float(np.mean(f(background)))
    total = float(f(x.reshape(1, -1))[0]) - base
    W = np.diag(weights)
    kkt = np.zeros((M + 1, M + 1))
    kkt[:M, :M] = 2 * Z.T @ W @ Z
    kkt[:M, M] = kkt[M, :M] = 1.0
    rhs = np.append(2 * Z.T @ W @ (preds - base), total)
    return np.linalg.solve(kkt, rhs)[:M]
''',
    "d1_shapley_answer": '''
d1_marginals, d1_phi = None, None
# typed by hand: rows follow check.D1_ORDERINGS, columns are the players A, B, C
d1_marginals = [[10, 30, 50], [10, 40, 40], [20, 20, 50], [30, 20, 40], [20, 40, 30], [30, 30, 30]]
d1_phi = [sum(col) / 6 for col in zip(*d1_marginals)]
''',
    "d1_why_answer": '''
d1_why = None
d1_why = " b "
''',
}

WRONG = {
    "shapley_values_answer": [
        ("delegates to the course's reference", '''
def shapley_values(v, players):
    return check.game_shapley(v, players)
''', r"the course's reference implementation"),
        ("uniform weights (Banzhaf)", '''
def shapley_values(v, players):
    players = list(players)
    M = len(players)
    phi = np.zeros(M)
    for k, i in enumerate(players):
        others = [p for p in players if p != i]
        for size in range(M):
            for combo in itertools.combinations(others, size):
                S = frozenset(combo)
                phi[k] += (v(S | {i}) - v(S)) / 2 ** (M - 1)
    return phi
''', r"uniform weights"),
        ("factor |S|!(M-|S|)!/M!", '''
def shapley_values(v, players):
    players = list(players)
    M = len(players)
    phi = np.zeros(M)
    for k, i in enumerate(players):
        others = [p for p in players if p != i]
        for size in range(M):
            weight = math.factorial(size) * math.factorial(M - size) / math.factorial(M)
            for combo in itertools.combinations(others, size):
                S = frozenset(combo)
                phi[k] += weight * (v(S | {i}) - v(S))
    return phi
''', r"wrong combinatorial factor"),
        ("contributions to the empty coalition only", '''
def shapley_values(v, players):
    return np.array([v(frozenset([p])) - v(frozenset()) for p in players])
''', r"EMPTY coalition"),
        ("contributions to all the others only", '''
def shapley_values(v, players):
    everyone = frozenset(players)
    return np.array([v(everyone) - v(everyone - {p}) for p in players])
''', r"ALL other players"),
        ("v(S + i) without subtracting v(S)", '''
def shapley_values(v, players):
    players = list(players)
    M = len(players)
    phi = np.zeros(M)
    for k, i in enumerate(players):
        others = [p for p in players if p != i]
        for size in range(M):
            weight = math.factorial(size) * math.factorial(M - size - 1) / math.factorial(M)
            for combo in itertools.combinations(others, size):
                phi[k] += weight * v(frozenset(combo) | {i})
    return phi
''', r"never v\(S \+ i\) alone"),
        ("a cache kept between calls", '''
_seen = {}
def shapley_values(v, players):
    players = list(players)
    M = len(players)
    def worth(S):
        if S not in _seen:
            _seen[S] = v(S)
        return _seen[S]
    phi = np.zeros(M)
    for k, i in enumerate(players):
        others = [p for p in players if p != i]
        for size in range(M):
            weight = math.factorial(size) * math.factorial(M - size - 1) / math.factorial(M)
            for combo in itertools.combinations(others, size):
                S = frozenset(combo)
                phi[k] += weight * (worth(S | {i}) - worth(S))
    return phi
''', r"efficiency fails|additivity fails|differ from shap"),
        ("delegates to shap", '''
def shapley_values(v, players):
    import shap
    players = list(players)
    M = len(players)

    def model(Z):
        return np.array([v(frozenset(p for p, z in zip(players, row) if z > 0.5)) for row in Z])

    explainer = shap.KernelExplainer(model, np.zeros((1, M)), silent=True)
    return np.asarray(explainer.shap_values(np.ones((1, M)), nsamples=2 ** M, silent=True)).reshape(M)
''', r"runs the shap library"),
    ],
    "shapley_kernel_weight_answer": [
        ("uniform weights", '''
def shapley_kernel_weight(M, s):
    return math.inf if s in (0, M) else 1.0
''', r"uniform instead of Shapley-kernel weights"),
        ("binomial coefficient missing", '''
def shapley_kernel_weight(M, s):
    return math.inf if s in (0, M) else (M - 1) / (s * (M - s))
''', r"ALL coalitions of size s"),
        ("finite weight for the empty and full coalitions", '''
def shapley_kernel_weight(M, s):
    if s == 0 or s == M:
        return 1e6
    return (M - 1) / (math.comb(M, s) * s * (M - s))
''', r"INFINITE weight"),
        ("C(M-1, s) instead of C(M, s)", '''
def shapley_kernel_weight(M, s):
    if s == 0 or s == M:
        return math.inf
    return (M - 1) / (math.comb(M - 1, s) * s * (M - s))
''', r"not symmetric|do not match"),
    ],
    "kernel_shap_answer": [
        ("uniform weights", '''
def kernel_shap(f, x, background, n_samples=2048, random_state=None):
    M, rng = len(x), np.random.default_rng(random_state)
    base = f(background).mean()
    total = f(x[None, :])[0] - base
    if 2 ** M - 2 <= n_samples:
        masks = (np.arange(1, 2 ** M - 1)[:, None] >> np.arange(M)) & 1 == 1
    else:
        masks = rng.random((n_samples, M)) < 0.5
        masks = masks[(masks.sum(axis=1) > 0) & (masks.sum(axis=1) < M)]
    mixed = np.where(masks[:, None, :], x, background)
    worth = f(mixed.reshape(-1, M)).reshape(len(masks), len(background)).mean(axis=1) - base
    A = masks[:, :-1] - masks[:, -1:].astype(float)
    rest = np.linalg.lstsq(A, worth - masks[:, -1] * total, rcond=None)[0]
    return np.append(rest, total - rest.sum())
''', r"uniform instead of Shapley-kernel weights"),
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
        ("empty and full coalitions with infinite weight", '''
def kernel_shap(f, x, background, n_samples=2048, random_state=None):
    M = len(x)
    masks = (np.arange(0, 2 ** M)[:, None] >> np.arange(M)) & 1 == 1
    s = masks.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        weights = np.where((s == 0) | (s == M), np.inf,
                           (M - 1) / (np.array([math.comb(M, k) for k in s]) * s * (M - s)))
    mixed = np.where(masks[:, None, :], x, background)
    worth = f(mixed.reshape(-1, M)).reshape(len(masks), len(background)).mean(axis=1)
    A = np.column_stack([np.ones(len(masks)), masks])
    with np.errstate(invalid="ignore"):
        normal = A.T @ (weights[:, None] * A)
        return np.linalg.solve(normal, A.T @ (weights * worth))[1:]
''', r"infinite kernel weight"),
        ("background mean instead of background rows", planted(
            _KERNEL_SHAP,
            ("    base = f(background).mean()\n", "    mean = background.mean(axis=0)\n    base = f(mean[None, :])[0]\n"),
            ("    mixed = np.where(masks[:, None, :], x, background)\n"
             "    worth = f(mixed.reshape(-1, M)).reshape(len(masks), len(background)).mean(axis=1) - base\n",
             "    worth = f(np.where(masks, x, mean)) - base\n")),
         r"efficiency fails|background MEAN"),
        ("masks swapped", planted(
            _KERNEL_SHAP, ("np.where(masks[:, None, :], x, background)", "np.where(masks[:, None, :], background, x)")),
         r"swapped|opposite sign"),
        ("kernel without the binomial coefficient", planted(
            _KERNEL_SHAP,
            ("""        s = masks.sum(axis=1)
        weights = (M - 1) / (np.array([math.comb(M, k) for k in s]) * s * (M - s))
    else:
        sizes = np.arange(1, M)
        p = (M - 1) / (sizes * (M - sizes))
        s = rng.choice(sizes, size=n_samples, p=p / p.sum())
        masks = rng.random((n_samples, M)).argsort(axis=1) < s[:, None]
        weights = np.ones(n_samples)
""", """    else:
        s = rng.choice(np.arange(1, M), size=n_samples)
        masks = rng.random((n_samples, M)).argsort(axis=1) < s[:, None]
    s = masks.sum(axis=1)
    weights = (M - 1) / (s * (M - s))
""")),
         r"binomial coefficient"),
        ("delegates to shap", '''
def kernel_shap(f, x, background, n_samples=2048, random_state=None):
    import shap
    explainer = shap.KernelExplainer(f, background, silent=True)
    return np.asarray(explainer.shap_values(x, nsamples=n_samples, silent=True), dtype=float).reshape(-1)
''', r"runs the shap library"),
    ],
    "d1_shapley_answer": [
        ("stand-alone worths as the values", '''
d1_marginals, d1_phi = None, None
d1_marginals = [[10, 30, 50], [10, 40, 40], [20, 20, 50], [30, 20, 40], [20, 40, 30], [30, 30, 30]]
d1_phi = [10, 20, 30]
''', r"EMPTY coalition"),
        ("columns by arrival position, not by player", '''
d1_marginals, d1_phi = None, None
rows = []
for order in check.D1_ORDERINGS:
    before, row = frozenset(), []
    for player in order:
        row.append(d1_game[before | {player}] - d1_game[before])
        before = before | {player}
    rows.append(row)
d1_marginals = np.array(rows)
d1_phi = d1_marginals.mean(axis=0)
''', r"the contribution of [ABC] is off"),
        ("divided by M instead of M!", '''
d1_marginals, d1_phi = None, None
d1_marginals = np.array([[10, 30, 50], [10, 40, 40], [20, 20, 50], [30, 20, 40], [20, 40, 30], [30, 30, 30]])
d1_phi = d1_marginals.sum(axis=0) / 3
''', r"efficiency fails"),
    ],
    "d1_why_answer": [
        ("A: equal split of the surplus", '''
d1_why = None
d1_why = "A"
''', r"not the best explanation"),
        ("C: proportional split", '''
d1_why = None
d1_why = "C"
''', r"not the best explanation"),
    ],
}

# Code that raises inside the student's function: the check must say ERROR, not crash.
ERROR = {
    "shapley_values_answer": "def shapley_values(v, players):\n    return [v(players[0])]\n",
    "shapley_kernel_weight_answer": "def shapley_kernel_weight(M, s):\n    return 1 / (s * (M - s))\n",
    "kernel_shap_answer":
        "def kernel_shap(f, x, background, n_samples=2048, random_state=None):\n"
        "    return f(x)\n",
}
