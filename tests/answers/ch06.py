"""Answers that audit chapter 06's graders: each one is the whole source of an answer cell.

The reference answers are the solution notebook's answer cells (tests/notebook_tools.py).
ALTERNATIVE: correct answers written differently; BASES: correct answers in which the WRONG ones are
planted; WRONG: (label, source, pattern), the first two of each list go through the autograde
pipeline; ERROR: code that raises inside the student's function.
"""

from tests.answers._plant import planted

_CAPTURE = '''
def capture_activations(model, layer_names, inputs, *, batch_size=None):
    names = [layer_names] if isinstance(layer_names, str) else list(layer_names)
    store = {name: [] for name in names}
    handles = []
    try:
        for name in names:
            def keep(module, args, output, name=name):
                store[name].append(output.detach())
            handles.append(model.get_submodule(name).register_forward_hook(keep))
        step = len(inputs) if batch_size is None else batch_size
        with torch.no_grad():
            for start in range(0, len(inputs), step):
                model(inputs[start:start + step])
    finally:
        for handle in handles:
            handle.remove()
    return {name: torch.cat(parts) for name, parts in store.items()}
'''

_PROBE = '''
def probe_layers(activations, labels, *, control_labels=None, cv=3, random_state=0, estimator=None):
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold
    estimator = lib.probe_estimator() if estimator is None else estimator
    labels = np.asarray(labels)
    folds = list(StratifiedKFold(cv, shuffle=True, random_state=random_state).split(np.zeros(len(labels)), labels))
    control_folds = folds

    def cv_accuracy(X, y, splits):
        scores = []
        for train, held_out in splits:
            probe = clone(estimator).fit(X[train], y[train])
            scores.append(np.mean(probe.predict(X[held_out]) == y[held_out]))
        return float(np.mean(scores))

    result = {"accuracy": {}, "control": None, "selectivity": None}
    if control_labels is not None:
        result["control"], result["selectivity"] = {}, {}
    for name, X in activations.items():
        X = np.asarray(X)
        result["accuracy"][name] = cv_accuracy(X, labels, folds)
        if control_labels is not None:
            result["control"][name] = cv_accuracy(X, np.asarray(control_labels), control_folds)
            result["selectivity"][name] = result["accuracy"][name] - result["control"][name]
    return result
'''

_TCAV = '''
def tcav_score(model, layer_name, inputs, target, concept_inputs, random_inputs):
    kept = []
    handle = model.get_submodule(layer_name).register_forward_hook(lambda module, args, output: kept.append(output))
    try:
        with torch.no_grad():
            model(torch.cat([concept_inputs, random_inputs]))
        logits = model(inputs)
    finally:
        handle.remove()
    X = kept[0].flatten(1).double().numpy()
    y = np.r_[np.ones(len(concept_inputs)), np.zeros(len(random_inputs))]
    coef = lib.cav_estimator().fit(X, y).coef_[0]
    cav = coef / np.linalg.norm(coef)
    score_of = logits[:, target]
    (grad,) = torch.autograd.grad(score_of.sum(), kept[1])
    derivatives = grad.flatten(1).double().numpy() @ cav
    return {"cav": cav, "derivatives": derivatives, "score": float(np.mean(derivatives > 0))}
'''

_SIG = '''
def tcav_significance(concept_scores, random_scores):
    from scipy import stats
    result = stats.ttest_ind(concept_scores, random_scores)
    return {"statistic": float(result.statistic), "pvalue": float(result.pvalue)}
'''

_D6 = '''
d6_changed = None
d6_changed = {}
for kind in ("shortcut", "clean"):
    net = cnn.load_cnn(kind)
    summary = lib.summarise(lib.capture_activations(net, "relu1", d6.probe_x))["relu1"]
    U = lib.inlp_directions(summary, d6.watermarks)
    with torch.no_grad():
        before = net(d6.test_x).argmax(dim=1)
    after = lib.predictions_without(net, "relu1", d6.test_x, U)
    d6_changed[kind] = float((before != after).float().mean())
'''

_D6_PROBE = '''
d6_probe = None
d6_first = None
d6_probe = {}
for kind in ("shortcut", "clean"):
    d6_summaries = lib.summarise(lib.capture_activations(cnn.load_cnn(kind), lib.CNN_LAYERS, d6.probe_x))
    d6_probe[kind] = lib.probe_layers(d6_summaries, d6.watermarks, random_state=SEED)["accuracy"]
d6_first = next(layer for layer, accuracy in d6_probe["shortcut"].items() if accuracy >= lib.WATERMARK_READ)
'''

BASES = {
    "capture_activations_answer": _CAPTURE,
    "probe_layers_answer": _PROBE,
    "tcav_score_answer": _TCAV,
    "tcav_significance_answer": _SIG,
    "d6_probe_answer": _D6_PROBE,
    "d6_changed_answer": _D6,
    "d6_why_answer": 'd6_why = None\nd6_why = "C"\n',
}

ALTERNATIVE = {
    "capture_activations_answer": '''
def capture_activations(model, layer_names, inputs, *, batch_size=None):
    """Hooks kept in a dict, a while loop over batches, float64 copies."""
    names = [layer_names] if isinstance(layer_names, str) else layer_names
    parts = {name: [] for name in names}
    handles = {}
    try:
        for name in names:
            handles[name] = model.get_submodule(name).register_forward_hook(
                lambda m, i, o, key=name: parts[key].append(o.detach().clone()))
        size, start = batch_size or len(inputs), 0
        while start < len(inputs):
            with torch.no_grad():
                model(inputs[start:start + size])
            start += size
    finally:
        for handle in handles.values():
            handle.remove()
    return {name: torch.cat(chunks).double() for name, chunks in parts.items()}
''',
    "probe_layers_answer": '''
def probe_layers(activations, labels, *, control_labels=None, cv=3, random_state=0, estimator=None):
    """cross_val_score with an explicit list of folds."""
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    probe = estimator if estimator is not None else lib.probe_estimator()
    splitter = StratifiedKFold(n_splits=cv, shuffle=True, random_state=random_state)
    folds = list(splitter.split(next(iter(activations.values())), labels))
    acc = {k: float(cross_val_score(probe, np.asarray(X), np.asarray(labels), cv=folds).mean()) for k, X in activations.items()}
    if control_labels is None:
        return {"accuracy": acc, "control": None, "selectivity": None}
    ctl = {k: float(cross_val_score(probe, np.asarray(X), np.asarray(control_labels), cv=folds).mean())
           for k, X in activations.items()}
    return {"accuracy": acc, "control": ctl, "selectivity": {k: acc[k] - ctl[k] for k in acc}}
''',
    "tcav_score_answer": '''
def tcav_score(model, layer_name, inputs, target, concept_inputs, random_inputs):
    """float32 torch results, gather for the target, a hook per pass."""
    layer = model.get_submodule(layer_name)
    acts = {}
    h = layer.register_forward_hook(lambda m, i, o: acts.update(c=o.detach()))
    try:
        with torch.no_grad():
            model(torch.cat([concept_inputs, random_inputs]))
    finally:
        h.remove()
    clf = lib.cav_estimator().fit(acts["c"].reshape(len(acts["c"]), -1).numpy(),
                                  [1] * len(concept_inputs) + [0] * len(random_inputs))
    cav = torch.tensor(clf.coef_[0], dtype=torch.float32)
    cav = cav / cav.norm()
    h = layer.register_forward_hook(lambda m, i, o: acts.update(x=o))
    try:
        logits = model(inputs)
    finally:
        h.remove()
    t = torch.full((len(inputs), 1), target)
    grad = torch.autograd.grad(logits.gather(1, t).sum(), acts["x"])[0]
    d = grad.reshape(len(inputs), -1) @ cav
    return {"cav": cav, "derivatives": d, "score": (d > 0).float().mean()}
''',
    "tcav_significance_answer": '''
def tcav_significance(concept_scores, random_scores):
    """The pooled-variance t statistic by hand, the p-value from the t distribution."""
    from scipy.stats import t as student
    a, b = np.asarray(concept_scores, float), np.asarray(random_scores, float)
    na, nb = len(a), len(b)
    pooled = ((na - 1) * a.var(ddof=1) + (nb - 1) * b.var(ddof=1)) / (na + nb - 2)
    stat = (a.mean() - b.mean()) / np.sqrt(pooled * (1 / na + 1 / nb))
    return {"statistic": stat, "pvalue": 2 * student.sf(abs(stat), na + nb - 2)}
''',
    "d6_probe_answer": '''
d6_probe = None
d6_first = None
table = {}
for kind in ["clean", "shortcut"]:
    acts = lib.capture_activations(cnn.load_cnn(kind), list(lib.CNN_LAYERS), d6.probe_x)
    found = lib.probe_layers(lib.summarise(acts), d6.watermarks, cv=3, random_state=0)["accuracy"]
    table[kind] = {layer: float(found[layer]) for layer in reversed(lib.CNN_LAYERS)}
d6_probe = {"shortcut": table["shortcut"], "clean": table["clean"]}
for layer in lib.CNN_LAYERS:
    if d6_probe["shortcut"][layer] >= 0.9:
        d6_first = layer
        break
''',
    "d6_changed_answer": '''
d6_changed = None
values = []
for kind in ["shortcut", "clean"]:
    net = cnn.load_cnn(kind)
    acts = lib.capture_activations(net, ["relu1"], d6.probe_x)
    directions = lib.inlp_directions(lib.summarise(acts)["relu1"], d6.watermarks, n_iterations=6)
    original = net(d6.test_x).detach().argmax(1).numpy()
    removed = lib.predictions_without(net, "relu1", d6.test_x, directions).numpy()
    values.append(np.mean(original != removed))
d6_changed = dict(zip(["shortcut", "clean"], values))
''',
    "d6_why_answer": 'd6_why = None\nd6_why = " c "\n',
}

_C, _P, _T, _S = _CAPTURE, _PROBE, _TCAV, _SIG

WRONG = {
    "capture_activations_answer": [
        ("hooks never removed", planted(_C, ("            handle.remove()", "            pass")), r"left a hook registered"),
        ("not detached", planted(_C, ("store[name].append(output.detach())", "store[name].append(output)"),
                                 ("        with torch.no_grad():\n            for", "        if True:\n            for")),
         r"attached to the autograd graph"),
        ("store kept between calls", planted(_C, ("    store = {name: [] for name in names}\n", "    store = STORE\n    for name in names:\n        store.setdefault(name, [])\n"),
                                             ("def capture_activations(", "STORE = {}\n\n\ndef capture_activations(")),
         r"a second call returned activations of the first call"),
        ("hooks removed only on success", planted(_C, ("    try:\n        for name in names:", "    if True:\n        for name in names:"),
                                                  ("    finally:\n        for handle", "    if True:\n        for handle")),
         r"when the forward pass raises, your hooks stay registered"),
        ("batch_size ignored", planted(_C, ("step = len(inputs) if batch_size is None else batch_size", "step = len(inputs)")),
         r"batches of at most 3"),
        ("error swallowed", planted(_C, ("                model(inputs[start:start + step])",
                                         "                try:\n                    model(inputs[start:start + step])\n"
                                         "                except RuntimeError:\n                    pass")),
         r"let the error propagate"),
        ("mode forced to eval", planted(_C, ("    handles = []\n", "    handles = []\n    model.eval()\n")), r"changed the model's mode"),
        ("the input of the module", planted(_C, ("store[name].append(output.detach())", "store[name].append(args[0].detach())")),
         r"differ from the module's output"),
    ],
    "probe_layers_answer": [
        ("fitted on the test fold", planted(_P, ("probe = clone(estimator).fit(X[train], y[train])",
                                                 "probe = clone(estimator).fit(X[held_out], y[held_out])")),
         r"evaluated on rows it was fitted on"),
        ("control on other folds", planted(_P, ("    control_folds = folds\n",
                                                "    control_folds = list(StratifiedKFold(cv, shuffle=True, random_state=random_state).split(np.zeros(len(labels)), control_labels)) if control_labels is not None else None\n")),
         r"control probe was fitted on other folds"),
        ("training accuracy", planted(_P, ("scores.append(np.mean(probe.predict(X[held_out]) == y[held_out]))",
                                           "scores.append(np.mean(probe.predict(X[train]) == y[train]))")),
         r"evaluated on rows it was fitted on"),
        ("selectivity flipped", planted(_P, ('result["accuracy"][name] - result["control"][name]',
                                             'result["control"][name] - result["accuracy"][name]')), r"sign flipped"),
        ("no shuffle", planted(_P, ("StratifiedKFold(cv, shuffle=True, random_state=random_state)", "StratifiedKFold(cv)")),
         r"training folds are not StratifiedKFold"),
        ("scaled before splitting", planted(_P, ("        X = np.asarray(X)\n",
                                                 "        X = np.asarray(X)\n        X = (X - X.mean(axis=0)) / X.std(axis=0)\n")),
         r"not the caller's activations"),
        ("estimator ignored", planted(_P, ("    estimator = lib.probe_estimator() if estimator is None else estimator\n",
                                           "    estimator = lib.probe_estimator()\n")), r"never fitted `estimator`"),
    ],
    "tcav_score_answer": [
        ("CAV not normalised", planted(_T, ("cav = coef / np.linalg.norm(coef)", "cav = coef")), r"not normalised"),
        ("CAV sign flipped", planted(_T, ("np.r_[np.ones(len(concept_inputs)), np.zeros(len(random_inputs))]",
                                          "np.r_[np.zeros(len(concept_inputs)), np.ones(len(random_inputs))]")),
         r"points towards the random examples"),
        ("softmax gradient", planted(_T, ("score_of = logits[:, target]", "score_of = logits.softmax(dim=1)[:, target]")),
         r"softmax probability"),
        ("mean derivative", planted(_T, ('"score": float(np.mean(derivatives > 0))', '"score": float(np.mean(derivatives))')),
         r"FRACTION of inputs"),
        ("hook left registered", planted(_T, ("        handle.remove()", "        pass")), r"left a hook registered"),
        ("captum", planted(_T, ('    return {"cav": cav, "derivatives": derivatives, "score": float(np.mean(derivatives > 0))}',
                                '    from captum.attr import LayerGradientXActivation\n'
                                '    g = LayerGradientXActivation(model, model.get_submodule(layer_name), multiply_by_inputs=False)'
                                '.attribute(inputs, target=target)\n'
                                '    derivatives = g.flatten(1).double().detach().numpy() @ cav\n'
                                '    return {"cav": cav, "derivatives": derivatives, "score": float(np.mean(derivatives > 0))}')),
         r"runs captum"),
    ],
    "tcav_significance_answer": [
        ("one random concept", planted(_S, ("result = stats.ttest_ind(concept_scores, random_scores)",
                                            "result = stats.ttest_1samp(concept_scores, random_scores[0])")),
         r"single random concept"),
        ("Welch", planted(_S, ("stats.ttest_ind(concept_scores, random_scores)",
                               "stats.ttest_ind(concept_scores, random_scores, equal_var=False)")), r"Welch"),
        ("one-sided", planted(_S, ("stats.ttest_ind(concept_scores, random_scores)",
                                   "stats.ttest_ind(concept_scores, random_scores, alternative='greater')")), r"one-sided"),
        ("swapped", planted(_S, ("stats.ttest_ind(concept_scores, random_scores)", "stats.ttest_ind(random_scores, concept_scores)")),
         r"sign flipped"),
        ("against 0.5", planted(_S, ("result = stats.ttest_ind(concept_scores, random_scores)",
                                     "result = stats.ttest_1samp(concept_scores, 0.5)")), r"against 0\.5"),
    ],
    "d6_probe_answer": [
        ("models swapped", planted(_D6_PROBE, ('for kind in ("shortcut", "clean"):', 'for kind, name in (("shortcut", "clean"), ("clean", "shortcut")):'),
                                   ("cnn.load_cnn(kind)", "cnn.load_cnn(name)")), r"two models are swapped"),
        ("scored on the training rows", planted(_D6_PROBE, (
            '    d6_probe[kind] = lib.probe_layers(d6_summaries, d6.watermarks, random_state=SEED)["accuracy"]',
            '    d6_probe[kind] = {name: float((lib.probe_estimator().fit(X, d6.watermarks).predict(X) == d6.watermarks).mean())\n'
            '                      for name, X in d6_summaries.items()}')), r"rows they were fitted on"),
        ("raw activations, not summarised", planted(_D6_PROBE, (
            "    d6_summaries = lib.summarise(lib.capture_activations(cnn.load_cnn(kind), lib.CNN_LAYERS, d6.probe_x))",
            "    d6_summaries = {k: v.flatten(1).numpy() for k, v in lib.capture_activations(cnn.load_cnn(kind), lib.CNN_LAYERS, d6.probe_x).items()}")),
         r"summaries \(lib\.summarise\)"),
        ("deepest layer instead of the first", planted(_D6_PROBE, (
            'd6_first = next(layer for layer, accuracy in d6_probe["shortcut"].items() if accuracy >= lib.WATERMARK_READ)',
            'd6_first = [layer for layer, accuracy in d6_probe["shortcut"].items() if accuracy >= lib.WATERMARK_READ][-1]')),
         r"first layer of the SHORTCUT"),
    ],
    "d6_changed_answer": [
        ("swapped", planted(_D6, ('for kind in ("shortcut", "clean"):', 'for kind, name in (("shortcut", "clean"), ("clean", "shortcut")):'),
                            ('    net = cnn.load_cnn(kind)', '    net = cnn.load_cnn(name)')), r"swapped"),
        ("accuracy change", planted(_D6, ("d6_changed[kind] = float((before != after).float().mean())",
                                          "d6_changed[kind] = float((after == d6.test_labels).float().mean() - (before == d6.test_labels).float().mean())")),
         r"change in accuracy"),
        ("one iteration only", planted(_D6, ("lib.inlp_directions(summary, d6.watermarks)", "lib.inlp_directions(summary, d6.watermarks, n_iterations=1)")),
         r"INLP directions"),
    ],
    "d6_why_answer": [
        ("A: used secretly", planted(BASES["d6_why_answer"], ('"C"', '"A"')), r"not the best explanation"),
        ("D: trained on it", planted(BASES["d6_why_answer"], ('"C"', '"D"')), r"not the best explanation"),
    ],
}

ERROR = {
    "capture_activations_answer": "def capture_activations(model, layer_names, inputs, *, batch_size=None):\n    return model.layer99\n",
    "probe_layers_answer": "def probe_layers(activations, labels, *, control_labels=None, cv=3, random_state=0, estimator=None):\n"
                           "    return activations['nothing']\n",
    "tcav_score_answer": "def tcav_score(model, layer_name, inputs, target, concept_inputs, random_inputs):\n    return 1 / 0\n",
    "tcav_significance_answer": "def tcav_significance(concept_scores, random_scores):\n    return concept_scores[1000]\n",
}

MORE_ALTERNATIVES = {
    "capture_activations_answer": [
        ("a float64 deep copy of the model", '''
def capture_activations(model, layer_names, inputs, *, batch_size=None):
    import copy
    net = copy.deepcopy(model).double()
    names = [layer_names] if isinstance(layer_names, str) else list(layer_names)
    kept = {name: [] for name in names}
    handles = [net.get_submodule(name).register_forward_hook(lambda m, i, o, name=name: kept[name].append(o.detach()))
               for name in names]
    step = batch_size or len(inputs)
    try:
        with torch.no_grad():
            for start in range(0, len(inputs), step):
                net(inputs[start:start + step].double())
    finally:
        for handle in handles:
            handle.remove()
    return {name: torch.cat(kept[name]) for name in names}
'''),
        ("numpy results, one example at a time when batch_size is 1", '''
def capture_activations(model, layer_names, inputs, *, batch_size=None):
    names = [layer_names] if isinstance(layer_names, str) else list(layer_names)
    kept = {name: [] for name in names}
    handles = []
    try:
        for name in names:
            handles.append(model.get_submodule(name).register_forward_hook(
                lambda m, i, o, name=name: kept[name].append(o.detach().numpy().copy())))
        size = len(inputs) if batch_size is None else batch_size
        batches = [inputs[k:k + size] for k in range(0, len(inputs), size)]
        with torch.no_grad():
            for batch in batches:
                model(batch)
    finally:
        while handles:
            handles.pop().remove()
    return {name: np.concatenate(kept[name]) for name in names}
'''),
    ],
    "probe_layers_answer": [
        ("deep copies of the estimator, a loop over folds", '''
def probe_layers(activations, labels, *, control_labels=None, cv=3, random_state=0, estimator=None):
    import copy
    from sklearn.model_selection import StratifiedKFold
    base = lib.probe_estimator() if estimator is None else estimator
    y = np.asarray(labels)
    splits = list(StratifiedKFold(n_splits=cv, shuffle=True, random_state=random_state).split(y.reshape(-1, 1), y))
    targets = {"accuracy": y} if control_labels is None else {"accuracy": y, "control": np.asarray(control_labels)}
    out = {"accuracy": {}, "control": None, "selectivity": None}
    for key, target in targets.items():
        out[key] = {}
        for name, X in activations.items():
            X = np.array(X, dtype=np.float64)
            hits = 0.0
            for train, test in splits:
                fitted = copy.deepcopy(base).fit(X[train], target[train])
                hits += np.mean(fitted.predict(X[test]) == target[test])
            out[key][name] = hits / len(splits)
    if control_labels is not None:
        out["selectivity"] = {name: out["accuracy"][name] - out["control"][name] for name in activations}
    return out
'''),
    ],
    "tcav_score_answer": [
        ("torch.func.grad through a hook that swaps the layer's output", '''
def tcav_score(model, layer_name, inputs, target, concept_inputs, random_inputs):
    import torch.func
    layer = model.get_submodule(layer_name)
    seen = {}
    handle = layer.register_forward_hook(lambda m, i, o: seen.update(a=o))
    try:
        with torch.no_grad():
            model(torch.cat([concept_inputs, random_inputs]))
            X = seen["a"].flatten(1).double().numpy()
            model(inputs)
            here = seen["a"].clone()
    finally:
        handle.remove()
    y = np.r_[np.ones(len(concept_inputs)), np.zeros(len(random_inputs))]
    coef = lib.cav_estimator().fit(X, y).coef_[0]
    cav = coef / np.linalg.norm(coef)

    def logit_from(a):
        swap = layer.register_forward_hook(lambda m, i, o: a)
        try:
            return model(inputs)[:, target].sum()
        finally:
            swap.remove()

    grad = torch.func.grad(logit_from)(here).detach()
    derivatives = grad.flatten(1).double().numpy() @ cav
    return {"cav": cav, "derivatives": derivatives, "score": float((derivatives > 0).mean())}
'''),
        ("a float64 deep copy of the model", '''
def tcav_score(model, layer_name, inputs, target, concept_inputs, random_inputs):
    import copy
    net = copy.deepcopy(model).double()
    layer = net.get_submodule(layer_name)
    seen = []
    handle = layer.register_forward_hook(lambda m, i, o: seen.append(o))
    try:
        with torch.no_grad():
            net(torch.cat([concept_inputs, random_inputs]).double())
        logits = net(inputs.double())
    finally:
        handle.remove()
    X = seen[0].flatten(1).numpy()
    y = [1] * len(concept_inputs) + [0] * len(random_inputs)
    coef = lib.cav_estimator().fit(X, y).coef_[0]
    cav = coef / np.sqrt((coef ** 2).sum())
    grad = torch.autograd.grad(logits[:, target].sum(), seen[1])[0]
    derivatives = [float(g @ torch.from_numpy(cav)) for g in grad.flatten(1)]
    return {"cav": cav, "derivatives": derivatives, "score": sum(d > 0 for d in derivatives) / len(derivatives)}
'''),
    ],
    "tcav_significance_answer": [
        ("float32 scores, Python loops for the moments", '''
def tcav_significance(concept_scores, random_scores):
    from scipy.stats import t as student
    a = [float(v) for v in np.asarray(concept_scores, dtype=np.float32)]
    b = [float(v) for v in np.asarray(random_scores, dtype=np.float32)]
    ma, mb = sum(a) / len(a), sum(b) / len(b)
    ss = sum((v - ma) ** 2 for v in a) + sum((v - mb) ** 2 for v in b)
    df = len(a) + len(b) - 2
    stat = (ma - mb) / ((ss / df) * (1 / len(a) + 1 / len(b))) ** 0.5
    return {"statistic": stat, "pvalue": float(2 * student.sf(abs(stat), df))}
'''),
    ],
}
