"""Answers that audit chapter 08's graders: each one is the whole source of an answer cell.

The reference answers are the solution notebook's answer cells (tests/notebook_tools.py).
ALTERNATIVE: correct answers written differently from the solution (loops, numpy); every test cell must pass.
BASES: correct answers in which the WRONG ones are planted, so that a wrong answer differs from a right one by
its pitfall alone; they must pass too.
MORE_ALTERNATIVES: more correct styles (float64 copies of the model, torch only, a fresh copy per stage).
WRONG: plausible wrong answers, as (label, source, pattern): the answer's test cells must fail, and a feedback
message must match ``pattern``. The first two of each list go through the autograde pipeline.
ERROR: code that raises inside the student's function: the check must say ERROR, not crash.
"""

from tests.answers._plant import planted

_DELETION = '''
def deletion_curve(model, x, attribution, target, *, steps=16, baseline=None):
    n, d = len(x), x[0].numel()
    b = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline).to(x).expand_as(x)
    a = torch.as_tensor(attribution).detach().reshape(n, d)
    order = torch.argsort(-a, dim=1, stable=True)
    rank = torch.empty_like(order).scatter_(1, order, torch.arange(d).expand(n, d))
    counts = torch.arange(steps + 1) * d // steps
    deleted = rank[None] < counts[:, None, None]
    inputs = torch.where(deleted, b.reshape(1, n, d), x.detach().reshape(1, n, d)).reshape(-1, *x.shape[1:])
    targets = torch.full((n,), target) if isinstance(target, int) else torch.as_tensor(target)
    with torch.no_grad():
        probability = model(inputs).softmax(dim=1).gather(1, targets.repeat(steps + 1)[:, None])[:, 0]
    scores = probability.view(steps + 1, n).T.double().numpy()
    fractions = counts.double().numpy() / d
    return {"fractions": fractions, "scores": scores, "auc": np.trapezoid(scores, fractions, axis=1)}
'''

_LOOP = '''
def deletion_curve(model, x, attribution, target, *, steps=16, baseline=None):
    n, d = len(x), x[0].numel()
    b = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline, dtype=x.dtype).expand_as(x)
    a = np.asarray(attribution.detach() if isinstance(attribution, torch.Tensor) else attribution, dtype=float)
    a = a.reshape(n, d)
    targets = [int(target)] * n if isinstance(target, int) else [int(t) for t in target]
    scores = np.zeros((n, steps + 1))
    for i in range(n):
        order = np.argsort(-a[i], kind="stable")
        for k in range(steps + 1):
            flat = x[i].detach().clone().reshape(-1)
            flat[order[: k * d // steps]] = b[i].reshape(-1)[order[: k * d // steps]]
            with torch.no_grad():
                scores[i, k] = float(torch.softmax(model(flat.reshape(1, *x.shape[1:])), dim=1)[0, targets[i]])
    fractions = np.array([k * d // steps for k in range(steps + 1)]) / d
    auc = ((scores[:, 1:] + scores[:, :-1]) / 2 * np.diff(fractions)).sum(axis=1)
    return {"fractions": fractions, "scores": scores, "auc": auc}
'''

_SANITY = '''
def randomization_sanity(model, x, target, explain, *, random_state=0, absolute=True):
    def flat(maps):
        maps = maps.detach().double().numpy() if isinstance(maps, torch.Tensor) else np.asarray(maps, dtype=float)
        maps = maps.reshape(len(maps), -1)
        return np.abs(maps) if absolute else maps

    twin = copy.deepcopy(model)
    layers = [(name, m) for name, m in twin.named_modules() if hasattr(m, "reset_parameters")][::-1]
    original, rows = flat(explain(model, x, target)), []
    with torch.random.fork_rng(devices=[]):
        for name, layer in layers:
            torch.manual_seed(random_state)
            layer.reset_parameters()
            randomised = flat(explain(twin, x, target))
            rows.append([spearmanr(a, b)[0] for a, b in zip(original, randomised)])
    return {"layers": [name for name, _ in layers], "similarity": np.array(rows)}
'''

_FRESH = '''
def randomization_sanity(model, x, target, explain, *, random_state=0, absolute=True):
    """A fresh copy per stage, the top k layers re-initialised again in order; ranks with scipy's rankdata."""
    from scipy.stats import rankdata
    names = [name for name, m in model.named_modules() if hasattr(m, "reset_parameters")]
    names.reverse()

    def maps_of(net):
        maps = np.asarray(explain(net, x, target).detach()) if isinstance(explain(net, x, target), torch.Tensor) \\
            else np.asarray(explain(net, x, target))
        maps = maps.reshape(len(x), -1).astype(np.float64)
        return np.abs(maps) if absolute else maps

    def spearman(u, v):
        ru, rv = rankdata(u), rankdata(v)
        ru, rv = ru - ru.mean(), rv - rv.mean()
        return float((ru * rv).sum() / np.sqrt((ru ** 2).sum() * (rv ** 2).sum()))

    original = maps_of(model)
    state = torch.random.get_rng_state()
    similarity = np.zeros((len(names), len(x)))
    for k in range(len(names)):
        net = copy.deepcopy(model)
        modules = dict(net.named_modules())
        for name in names[: k + 1]:
            torch.manual_seed(random_state)
            modules[name].reset_parameters()
        maps = maps_of(net)
        similarity[k] = [spearman(original[i], maps[i]) for i in range(len(x))]
    torch.random.set_rng_state(state)
    return {"layers": names, "similarity": similarity}
'''

_D8 = '''
d8_corner_share, d8_auc_gradcam, d8_auc_random = None, None, None
d8 = lib.d8_setup(SEED)
d8_maps = lib.explain_images(d8.model, d8.x, d8.predicted, random_state=SEED, methods=("Grad-CAM", "random"))
d8_corner_share = lib.region_masses(d8_maps["Grad-CAM"][:, 0], lib.test_set(), d8.index)[:, 1].mean()
d8_auc_gradcam = lib.deletion_curve(d8.model, d8.x, d8_maps["Grad-CAM"], d8.predicted, steps=lib.CURVE_STEPS)["auc"].mean()
d8_auc_random = lib.deletion_curve(d8.model, d8.x, d8_maps["random"], d8.predicted, steps=lib.CURVE_STEPS)["auc"].mean()
'''

BASES = {"deletion_curve_answer": _DELETION, "randomization_sanity_answer": _SANITY, "d8_numbers_answer": _D8}

ALTERNATIVE = {
    "deletion_curve_answer": _LOOP,
    "randomization_sanity_answer": _FRESH,
    "d8_numbers_answer": '''
d8_corner_share, d8_auc_gradcam, d8_auc_random = None, None, None
d8 = lib.d8_setup(SEED)
maps8 = lib.explain_images(d8.model, d8.x, d8.predicted, random_state=SEED)
shares = lib.region_masses(maps8["Grad-CAM"].numpy()[:, 0], lib.test_set(), d8.index)
d8_corner_share = float(np.mean(shares[:, 1]))
curves = {k: lib.deletion_curve(d8.model, d8.x, maps8[k], d8.predicted, steps=16) for k in ("Grad-CAM", "random")}
d8_auc_gradcam, d8_auc_random = (np.float32(curves[k]["auc"].mean()) for k in ("Grad-CAM", "random"))
''',
    "d8_why_answer": 'd8_why = None\nd8_why = " c "\n',
}

MORE_ALTERNATIVES = {
    "deletion_curve_answer": [
        ("a float64 deep copy of the model, torch.trapezoid", '''
def deletion_curve(model, x, attribution, target, *, steps=16, baseline=None):
    net = copy.deepcopy(model).double()
    x64 = x.detach().double()
    n, d = len(x), x[0].numel()
    b = torch.zeros_like(x64) if baseline is None else torch.as_tensor(baseline).to(torch.float64).expand_as(x64)
    a = torch.as_tensor(attribution).detach().to(torch.float64).reshape(n, d)
    order = torch.sort(a, dim=1, descending=True, stable=True).indices
    counts = torch.div(torch.arange(steps + 1) * d, steps, rounding_mode="floor")
    t = torch.as_tensor(target).expand(n) if not isinstance(target, int) else torch.full((n,), target)
    rows = []
    for k in range(steps + 1):
        flat = x64.reshape(n, d).clone()
        gone = order[:, : int(counts[k])]
        flat.scatter_(1, gone, b.reshape(n, d).gather(1, gone))
        with torch.no_grad():
            rows.append(torch.softmax(net(flat.reshape(x.shape)), dim=1)[torch.arange(n), t])
    scores = torch.stack(rows, dim=1)
    fractions = counts.to(torch.float64) / d
    return {"fractions": fractions, "scores": scores, "auc": torch.trapezoid(scores, fractions, dim=1)}
'''),
        ("numpy throughout, one model call per step", '''
def deletion_curve(model, x, attribution, target, *, steps=16, baseline=None):
    X = x.detach().numpy().reshape(len(x), -1)
    n, d = X.shape
    B = np.broadcast_to(np.zeros(1) if baseline is None else np.asarray(baseline, dtype=float), x.shape).reshape(n, d)
    A = np.asarray(attribution, dtype=float).reshape(n, d)
    order = np.argsort(-A, axis=1, kind="stable")
    t = np.full(n, target) if np.ndim(target) == 0 else np.asarray(target)
    fractions = np.array([k * d // steps / d for k in range(steps + 1)])
    scores = np.empty((n, steps + 1))
    for k in range(steps + 1):
        Z = X.copy()
        idx = order[:, : k * d // steps]
        np.put_along_axis(Z, idx, np.take_along_axis(B, idx, axis=1), axis=1)
        with torch.no_grad():
            logits = model(torch.as_tensor(Z, dtype=x.dtype).reshape(x.shape)).double().numpy()
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        scores[:, k] = (p / p.sum(axis=1, keepdims=True))[np.arange(n), t]
    return {"fractions": fractions, "scores": scores, "auc": np.trapezoid(scores, fractions, axis=1)}
'''),
    ],
    "randomization_sanity_answer": [
        ("torch ranks, maps of float64 copies, the global random state saved and restored", '''
def randomization_sanity(model, x, target, explain, *, random_state=0, absolute=True):
    def ranks(v):
        order = v.argsort(dim=1, stable=True)
        sorted_v = v.gather(1, order)
        r = torch.empty_like(v)
        for i in range(len(v)):
            values, inverse, counts = torch.unique_consecutive(sorted_v[i], return_inverse=True, return_counts=True)
            ends = counts.cumsum(0).double()
            mean_rank = ends - (counts.double() - 1) / 2
            r[i, order[i]] = mean_rank[inverse]
        return r

    def spearman(a, b):
        ra, rb = ranks(a), ranks(b)
        ra, rb = ra - ra.mean(dim=1, keepdim=True), rb - rb.mean(dim=1, keepdim=True)
        return (ra * rb).sum(dim=1) / (ra.norm(dim=1) * rb.norm(dim=1))

    def maps_of(net, inputs):
        m = torch.as_tensor(explain(net, inputs, target)).detach().double().reshape(len(x), -1)
        return m.abs() if absolute else m

    net = copy.deepcopy(model)
    names = [name for name, m in net.named_modules() if hasattr(m, "reset_parameters")][::-1]
    modules = dict(net.named_modules())
    original = maps_of(model, x)
    saved = torch.get_rng_state()
    rows = []
    for name in names:
        torch.manual_seed(random_state)
        modules[name].reset_parameters()
        rows.append(spearman(original, maps_of(copy.deepcopy(net).double(), x.double())))
    torch.set_rng_state(saved)
    return {"layers": names, "similarity": torch.stack(rows)}
'''),
    ],
}

WRONG = {
    "deletion_curve_answer": [
        ("least important first", planted(_DELETION, ("torch.argsort(-a, dim=1, stable=True)",
                                                      "torch.argsort(a, dim=1, stable=True)")), r"LEAST important"),
        ("AUC without the step width", planted(_DELETION, ('"auc": np.trapezoid(scores, fractions, axis=1)',
                                                          '"auc": np.trapezoid(scores, axis=1)')), r"no step width"),
        ("curve not starting at the unmasked score", planted(_DELETION,
            ("counts = torch.arange(steps + 1) * d // steps", "counts = torch.arange(1, steps + 1) * d // steps"),
            ("deleted = rank[None]", "steps = steps - 1\n    deleted = rank[None]")), r"does not start at the unmasked"),
        ("ties broken by the higher index (np.argsort(a)[::-1])", planted(_DELETION, (
            "order = torch.argsort(-a, dim=1, stable=True)",
            "order = torch.as_tensor(np.argsort(a.numpy(), axis=1, kind='stable')[:, ::-1].copy())")),
         r"higher index first"),
        ("sorted by |attribution|", planted(_DELETION, ("torch.argsort(-a, dim=1, stable=True)",
                                                       "torch.argsort(-a.abs(), dim=1, stable=True)")), r"\|attribution\|"),
        ("the logit, not the probability", planted(_DELETION, ("model(inputs).softmax(dim=1)", "model(inputs)")),
         r"LOGITS"),
        ("counts rounded, not floored", planted(_DELETION, ("counts = torch.arange(steps + 1) * d // steps",
                                                           "counts = torch.round(torch.arange(steps + 1) * d / steps).long()")),
         r"rounded k \* d / steps"),
        ("each step deletes only its own features", planted(_DELETION, (
            "deleted = rank[None] < counts[:, None, None]",
            "deleted = (rank[None] < counts[:, None, None]) & (rank[None] >= torch.cat([counts[:1], counts[:-1]])[:, None, None])")),
         r"not cumulative|never evaluated"),
        ("fractions k / steps", planted(_DELETION, ("fractions = counts.double().numpy() / d",
                                                   "fractions = np.arange(steps + 1) / steps")), r"k / steps"),
        ("AUC as the mean score", planted(_DELETION, ('"auc": np.trapezoid(scores, fractions, axis=1)',
                                                     '"auc": scores.mean(axis=1)')), r"mean of the scores"),
        ("baseline ignored", planted(_DELETION, (
            "b = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline).to(x).expand_as(x)",
            "b = torch.zeros_like(x)")), r"not x with some features replaced by the baseline"),
        ("the predicted class", planted(_DELETION, (
            "targets = torch.full((n,), target) if isinstance(target, int) else torch.as_tensor(target)",
            "targets = model(x).argmax(dim=1)")), r"predicted class"),
        ("delegates to Quantus", '''
def deletion_curve(model, x, attribution, target, *, steps=16, baseline=None):
    import quantus
    d = x[0].numel()
    metric = quantus.PixelFlipping(features_in_step=d // steps, normalise=False, perturb_baseline=0.0,
                                   disable_warnings=True)
    t = np.full(len(x), target) if isinstance(target, int) else np.asarray(target)
    curve = np.array(metric(model=model, x_batch=x.numpy(), y_batch=t, a_batch=np.asarray(attribution),
                            channel_first=True))
    with torch.no_grad():
        first = model(x).softmax(dim=1)[np.arange(len(x)), t].double().numpy()
    scores = np.column_stack([first, curve])
    fractions = np.arange(steps + 1) / steps
    return {"fractions": fractions, "scores": scores, "auc": np.trapezoid(scores, fractions, axis=1)}
''', r"runs Quantus|evaluated the model on an input|never called"),
    ],
    "randomization_sanity_answer": [
        ("every layer re-initialised at once", planted(_SANITY, (
            '''        for name, layer in layers:
            torch.manual_seed(random_state)
            layer.reset_parameters()
            randomised = flat(explain(twin, x, target))''',
            '''        for name, layer in layers:
            torch.manual_seed(random_state)
            layer.reset_parameters()
        randomised = flat(explain(twin, x, target))
        for name, layer in layers:''')), r"every layer at once"),
        ("absolute values ignored", planted(_SANITY, ("return np.abs(maps) if absolute else maps", "return maps")),
         r"SIGNED maps"),
        ("independent randomisation", planted(_SANITY, (
            '''            torch.manual_seed(random_state)
            layer.reset_parameters()
            randomised = flat(explain(twin, x, target))''',
            '''            twin = copy.deepcopy(model)
            torch.manual_seed(random_state)
            dict(twin.named_modules())[name].reset_parameters()
            randomised = flat(explain(twin, x, target))''')), r"independent randomisation"),
        ("bottom-up", planted(_SANITY, ('if hasattr(m, "reset_parameters")][::-1]', 'if hasattr(m, "reset_parameters")]')),
         r"bottom-up"),
        ("Pearson's correlation", planted(_SANITY, ("rows.append([spearmanr(a, b)[0] for a, b in zip(original, randomised)])",
                                                    "rows.append([np.corrcoef(a, b)[0, 1] for a, b in zip(original, randomised)])")),
         r"Pearson"),
        ("ranks that break ties by position", planted(_SANITY, (
            "rows.append([spearmanr(a, b)[0] for a, b in zip(original, randomised)])",
            "rows.append([np.corrcoef(np.argsort(np.argsort(a, kind='stable')), np.argsort(np.argsort(b, kind='stable')))[0, 1]"
            " for a, b in zip(original, randomised)])")), r"average rank"),
        ("the caller's model randomised in place", planted(_SANITY, ("twin = copy.deepcopy(model)", "twin = model"),
                                                           ("original, rows = flat(explain(model, x, target)), []",
                                                            "original, rows = flat(explain(twin, x, target)), []")),
         r"changed the model's weights"),
        ("seeded once, not before each layer", planted(_SANITY, (
            '''    with torch.random.fork_rng(devices=[]):
        for name, layer in layers:
            torch.manual_seed(random_state)''', '''    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(random_state)
        for name, layer in layers:''')), r"not the recipe's"),
        ("each stage compared with the previous one", planted(_SANITY, (
            "            rows.append([spearmanr(a, b)[0] for a, b in zip(original, randomised)])",
            "            rows.append([spearmanr(a, b)[0] for a, b in zip(original, randomised)])\n"
            "            original = randomised")), r"from the original model"),
        ("similarity transposed", planted(_SANITY, ('"similarity": np.array(rows)}', '"similarity": np.array(rows).T}')),
         r"one row per layer"),
        ("delegates to Quantus", '''
def randomization_sanity(model, x, target, explain, *, random_state=0, absolute=True):
    import quantus
    t = np.full(len(x), target) if isinstance(target, int) else np.asarray(target)
    def q_explain(model, inputs, targets, **kwargs):
        return np.asarray(explain(model, torch.as_tensor(inputs), torch.as_tensor(targets)))
    result = quantus.MPRT(seed=random_state - 1, abs=absolute, normalise=False, disable_warnings=True)(
        model=model, x_batch=x.numpy(), y_batch=t, a_batch=None, explain_func=q_explain, channel_first=True)
    layers = [k for k in result if k != "original"]
    return {"layers": layers, "similarity": np.array([result[k] for k in layers])}
''', r"runs Quantus|never explained|changed"),
    ],
    "d8_numbers_answer": [
        ("the labels explained", planted(_D8, ('d8_maps = lib.explain_images(d8.model, d8.x, d8.predicted,',
                                               'd8_maps = lib.explain_images(d8.model, d8.x, d8.labels,'),
                                  ('d8_maps["Grad-CAM"], d8.predicted,', 'd8_maps["Grad-CAM"], d8.labels,'),
                                  ('d8_maps["random"], d8.predicted,', 'd8_maps["random"], d8.labels,')),
         r"LABELS|d8.predicted"),
        ("the two AUCs swapped", planted(_D8, ('d8_auc_gradcam = lib.deletion_curve(d8.model, d8.x, d8_maps["Grad-CAM"]',
                                               'd8_auc_gradcam = lib.deletion_curve(d8.model, d8.x, d8_maps["random"]'),
                                         ('d8_auc_random = lib.deletion_curve(d8.model, d8.x, d8_maps["random"]',
                                          'd8_auc_random = lib.deletion_curve(d8.model, d8.x, d8_maps["Grad-CAM"]')),
         r"swapped"),
        ("the corner share of the random map", planted(_D8, ('lib.region_masses(d8_maps["Grad-CAM"][:, 0]',
                                                            'lib.region_masses(d8_maps["random"][:, 0]')),
         r"d8_corner_share is not"),
    ],
    "d8_why_answer": [
        ("A: Grad-CAM fails the sanity check (graded by the key)", 'd8_why = None\nd8_why = "A"\n', r"not the best explanation"),
        ("D: out of distribution, nothing to conclude (graded by the key)", 'd8_why = None\nd8_why = "D"\n',
         r"not the best explanation"),
        ("B: the shapes are too small (graded by the key)", 'd8_why = None\nd8_why = "B"\n', r"not the best explanation"),
        ("not a letter", "d8_why = None\nd8_why = 3\n", r"one letter"),
    ],
}

ERROR = {
    "deletion_curve_answer": "def deletion_curve(model, x, attribution, target, *, steps=16, baseline=None):\n"
                             "    return model(attribution @ x)\n",
    "randomization_sanity_answer": "def randomization_sanity(model, x, target, explain, *, random_state=0, absolute=True):\n"
                                   "    return explain(model)\n",
}
