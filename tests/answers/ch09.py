"""Answers that audit chapter 09's graders (the round-2 mock task): each one is the whole source of an answer cell.

The reference answers are the solution notebook's answer cells (tests/notebook_tools.py); its workspace cells
are the model submission's analysis and are graded by hand, not here.
ALTERNATIVE: correct answers written differently from the solution; every test cell must pass.
BASES: correct answers in which the WRONG ones are planted, so that a wrong answer differs from a right one by
its pitfall alone; they must pass too.
MORE_ALTERNATIVES: more correct styles (a copy of the model, the course's probability helper, torch.func).
WRONG: plausible wrong answers, as (label, source, pattern): the answer's test cells must fail, and a feedback
message must match ``pattern``. The first two of each list go through the autograde pipeline.
ERROR: code that raises inside the student's function: the check must say ERROR, not crash.
"""

from tests.answers._plant import planted

_PERFORMANCE = '''
def performance(model, x, labels, clinic):
    from sklearn.metrics import roc_auc_score
    with torch.no_grad():
        probability = model(x).softmax(dim=1)[:, 1].numpy()
    predicted = (probability > 0.5).astype(int)
    labels, clinic = np.asarray(labels), np.asarray(clinic)
    sensitivity, specificity = {}, {}
    for c in np.unique(clinic):
        sensitivity[c] = predicted[(clinic == c) & (labels == 1)].mean()
        specificity[c] = 1 - predicted[(clinic == c) & (labels == 0)].mean()
    auc = roc_auc_score(labels, probability)
    accuracy = (predicted == labels).mean()
    return {"accuracy": accuracy, "roc_auc": auc, "sensitivity": sensitivity, "specificity": specificity}
'''

_GROUPED = '''
def grouped_permutation_importance(model, X, y, groups, *, n_repeats=5, random_state=None):
    X = np.asarray(X)
    rng = np.random.default_rng(random_state)
    baseline = model.score(X, y)
    importances = np.empty((len(groups), n_repeats))
    for g, group in enumerate(groups):
        group = list(group)
        for k in range(n_repeats):
            X_perm = X.copy()
            X_perm[:, group] = X[rng.permutation(len(X))][:, group]
            importances[g, k] = baseline - model.score(X_perm, y)
    return importances
'''
_BLOCKS = _GROUPED + '''

block_importance = None
images, labels = test.images[:500], test.labels[:500]
drops = grouped_permutation_importance(clf, lib.flat(images), labels, lib.block_groups(), n_repeats=5,
                                       random_state=SEED)
block_importance = drops.mean(axis=1).reshape(4, 4)
'''

_GRAD_CAM = '''
def grad_cam(model, x, target, layer):
    store = {}
    handle = layer.register_forward_hook(lambda module, inputs, output: store.update(activation=output))
    try:
        logits = model(x)
    finally:
        handle.remove()
    targets = torch.full((len(x),), target) if isinstance(target, int) else torch.as_tensor(target)
    activation = store["activation"]
    (gradient,) = torch.autograd.grad(logits.gather(1, targets.view(-1, 1)).sum(), activation)
    cam = torch.relu((gradient.mean(dim=(2, 3), keepdim=True) * activation).sum(dim=1, keepdim=True))
    return torch.nn.functional.interpolate(cam, size=x.shape[-2:], mode="bilinear", align_corners=False)[:, 0].detach()
'''
_SHARES = _GRAD_CAM + '''

cam_share = None
images = x_flagged
maps = grad_cam(model, images, 1, model.conv3).numpy()
totals = maps.sum(axis=(1, 2))
masses = maps[totals > 0].reshape(-1, 4, 8, 4, 8).sum(axis=(2, 4))
shares = masses / totals[totals > 0, None, None]
cam_share = shares.mean(axis=0)
'''

_DELETION = '''
def block_deletion(model, x, maps, target, *, block=8):
    n, _, h, w = x.shape
    g = w // block
    maps = torch.as_tensor(np.asarray(maps, dtype=float))
    masses = maps.reshape(n, h // block, block, g, block).sum(dim=(2, 4)).reshape(n, -1)
    targets = torch.full((n,), target) if isinstance(target, int) else torch.as_tensor(target)
    fill = x.mean(dim=(1, 2, 3)).view(-1, 1, 1, 1)
    with torch.no_grad():
        p = model(x).softmax(dim=1).gather(1, targets.view(-1, 1))[:, 0]
        drops = []
        for b in range(masses.shape[1]):
            r, c = divmod(b, g)
            replaced = x.clone()
            replaced[:, :, block * r:block * (r + 1), block * c:block * (c + 1)] = fill
            drops.append(p - model(replaced).softmax(dim=1).gather(1, targets.view(-1, 1))[:, 0])
    drops = torch.stack(drops, dim=1).double().numpy()
    top = masses.argmax(dim=1).numpy()
    return {"top": drops[np.arange(n), top], "average": drops.mean(axis=1)}


deletion = None
found = block_deletion(model, x_flagged, lib.cam_maps(model, x_flagged), 1)
deletion = {"top": found["top"].mean(), "average": found["average"].mean()}
'''

BASES = {"performance_answer": _PERFORMANCE, "block_importance_answer": _BLOCKS, "cam_share_answer": _SHARES,
         "block_deletion_answer": _DELETION}

ALTERNATIVE = {
    "performance_answer": '''
def performance(model, x, labels, clinic):
    """Logits compared directly, a rank-sum AUC (Mann-Whitney), rates as Python floats keyed by str."""
    with torch.no_grad():
        logits = model(x).double()
    score = (logits[:, 1] - logits[:, 0]).numpy()          # same order as P(malignant)
    predicted = (score > 0).astype(int)
    labels = np.asarray(labels).astype(int)
    order = score.argsort()
    ranks = np.empty(len(score))
    ranks[order] = np.arange(1, len(score) + 1)
    n_pos, n_neg = labels.sum(), (1 - labels).sum()
    auc = (ranks[labels == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    sensitivity, specificity = {}, {}
    for name in sorted(set(str(c) for c in clinic)):
        mine = np.array([str(c) == name for c in clinic])
        sensitivity[name] = float(np.mean(predicted[mine & (labels == 1)] == 1))
        specificity[name] = float(np.mean(predicted[mine & (labels == 0)] == 0))
    return {"accuracy": float(np.mean(predicted == labels)), "roc_auc": float(auc),
            "sensitivity": sensitivity, "specificity": specificity}
''',
    "block_importance_answer": '''
def grouped_permutation_importance(model, X, y, groups, *, n_repeats=5, random_state=None):
    """Repeat by repeat (the other loop order chapter 01 allows), float32 rows."""
    X = np.asarray(X, dtype=np.float32)
    rng = np.random.default_rng(random_state)
    baseline = model.score(X, y)
    out = np.zeros((len(groups), n_repeats))
    for k in range(n_repeats):
        for g in range(len(groups)):
            columns = np.asarray(groups[g])
            shuffled = X.copy()
            shuffled[:, columns] = X[rng.permutation(X.shape[0])][:, columns]
            out[g, k] = baseline - model.score(shuffled, y)
    return out


block_importance = None
result = grouped_permutation_importance(clf, lib.flat(test.images[:500]), test.labels[:500], lib.block_groups(),
                                        n_repeats=5, random_state=SEED)
block_importance = np.array([[result[4 * r + c].mean() for c in range(4)] for r in range(4)])
''',
    "cam_share_answer": '''
def grad_cam(model, x, target, layer):
    """A full backward hook for the gradient, float64 maps, a per-image loop for the shares below."""
    saved = {}
    forward = layer.register_forward_hook(lambda m, i, o: saved.update(a=o.detach()))
    backward = layer.register_full_backward_hook(lambda m, gi, go: saved.update(g=go[0].detach()))
    inputs = x.detach().clone().requires_grad_(True)
    try:
        logits = model(inputs)
        t = torch.as_tensor(target).expand(len(x)) if isinstance(target, int) else torch.as_tensor(target)
        torch.autograd.grad(logits[torch.arange(len(x)), t].sum(), inputs)
    finally:
        forward.remove()
        backward.remove()
    weights = saved["g"].double().mean(dim=(2, 3), keepdim=True)
    cam = (weights * saved["a"].double()).sum(dim=1, keepdim=True).clamp(min=0)
    return torch.nn.functional.interpolate(cam, size=tuple(x.shape[-2:]), mode="bilinear", align_corners=False)[:, 0]


cam_share = None
totals = np.zeros((4, 4))
count = 0
for image in x_flagged:
    m = grad_cam(model, image[None], 1, model.conv3)[0].numpy()
    if m.sum() > 0:
        totals += np.array([[m[8 * r:8 * r + 8, 8 * c:8 * c + 8].sum() for c in range(4)] for r in range(4)]) / m.sum()
        count += 1
cam_share = totals / count
''',
    "block_deletion_answer": '''
def block_deletion(model, x, maps, target, *, block=8):
    """Image by image, numpy masses, float64 probabilities."""
    n, _, h, w = x.shape
    maps = np.asarray(maps.detach() if isinstance(maps, torch.Tensor) else maps, dtype=np.float64)
    top, average = np.zeros(n), np.zeros(n)
    for i in range(n):
        t = int(target) if isinstance(target, int) else int(target[i])
        image = x[i:i + 1]
        with torch.no_grad():
            p = torch.softmax(model(image).double(), dim=1)[0, t].item()
        drops, masses = [], []
        for r in range(h // block):
            for c in range(w // block):
                masses.append(maps[i, r * block:(r + 1) * block, c * block:(c + 1) * block].sum())
                changed = image.clone()
                changed[..., r * block:(r + 1) * block, c * block:(c + 1) * block] = image.mean()
                with torch.no_grad():
                    drops.append(p - torch.softmax(model(changed).double(), dim=1)[0, t].item())
        top[i], average[i] = drops[int(np.argmax(masses))], np.mean(drops)
    return {"top": top, "average": average}


deletion = None
found = block_deletion(model, x_flagged, lib.cam_maps(model, x_flagged).numpy(), 1)
deletion = {"average": float(found["average"].mean()), "top": float(found["top"].mean())}
''',
    "off_lesion_block_answer": '''
off_lesion_block = None
off_lesion_block = [np.int64(3), 3]
''',
    "new_clinic_answer": '''
new_clinic = None
new_clinic = " c"
''',
}

MORE_ALTERNATIVES = {
    "performance_answer": [
        ("the course's probability helper on a copy of the model", '''
import copy

def performance(model, x, labels, clinic):
    from sklearn import metrics
    mine = copy.deepcopy(model).double()
    p = lib.malignant_probability(mine.float(), x[:, 0])
    predicted = p > 0.5
    sens = {c: predicted[(clinic == c) & (labels == 1)].mean() for c in set(clinic.tolist())}
    spec = {c: (~predicted)[(clinic == c) & (labels == 0)].mean() for c in set(clinic.tolist())}
    return {"accuracy": metrics.accuracy_score(labels, predicted), "roc_auc": metrics.roc_auc_score(labels, p),
            "sensitivity": sens, "specificity": spec}
'''),
    ],
    "block_importance_answer": [
        ("a deep copy of the model's wrapper and float64 rows", '''
import copy

def grouped_permutation_importance(model, X, y, groups, *, n_repeats=5, random_state=None):
    mine = copy.deepcopy(model)
    X = np.array(X, dtype=np.float64)
    rng = np.random.default_rng(random_state)
    base = mine.score(X, y)
    result = []
    for group in groups:
        row = []
        for _ in range(n_repeats):
            perm = rng.permutation(len(X))
            Xp = X.copy()
            Xp[:, list(group)] = X[perm][:, list(group)]
            row.append(base - mine.score(Xp, y))
        result.append(row)
    return np.array(result)


block_importance = None
block_importance = grouped_permutation_importance(clf, lib.flat(test.images[:500]), test.labels[:500],
                                                  lib.block_groups(), n_repeats=5, random_state=SEED).mean(1).reshape(4, 4)
'''),
    ],
    "cam_share_answer": [
        ("a deep copy of the model (its layer found by name), blocks by unfold", '''
import copy

def grad_cam(model, x, target, layer):
    twin = copy.deepcopy(model)
    names = {id(m): name for name, m in model.named_modules()}
    twin_layer = dict(twin.named_modules())[names[id(layer)]]
    kept = {}
    handle = twin_layer.register_forward_hook(lambda m, i, o: kept.update(a=o))
    try:
        logits = twin(x)
    finally:
        handle.remove()
    t = torch.full((len(x),), target) if isinstance(target, int) else torch.as_tensor(target)
    (g,) = torch.autograd.grad(logits.gather(1, t.view(-1, 1)).sum(), kept["a"])
    cam = torch.nn.functional.relu((g.mean(dim=(2, 3), keepdim=True) * kept["a"]).sum(dim=1, keepdim=True))
    return torch.nn.functional.interpolate(cam, size=x.shape[-2:], mode="bilinear", align_corners=False)[:, 0].detach()


cam_share = None
maps = grad_cam(model, x_flagged, 1, model.conv3).double()
total = maps.sum(dim=(1, 2))
keep = total > 0
blocks = maps[keep].unfold(1, 8, 8).unfold(2, 8, 8).sum(dim=(-1, -2))
cam_share = (blocks / total[keep].view(-1, 1, 1)).mean(dim=0).numpy()
'''),
    ],
}

WRONG = {
    "performance_answer": [
        ("sensitivity and specificity swapped", planted(_PERFORMANCE, (
            "return {\"accuracy\": accuracy, \"roc_auc\": auc, \"sensitivity\": sensitivity, \"specificity\": specificity}",
            "return {\"accuracy\": accuracy, \"roc_auc\": auc, \"sensitivity\": specificity, \"specificity\": sensitivity}")),
         r"swapped"),
        ("AUC from the predicted classes", planted(_PERFORMANCE, ("auc = roc_auc_score(labels, probability)",
                                                                  "auc = roc_auc_score(labels, predicted)")),
         r"CLASSES"),
        ("AUC of P(benign)", planted(_PERFORMANCE, ("auc = roc_auc_score(labels, probability)",
                                                    "auc = roc_auc_score(labels, 1 - probability)")), r"P\(benign\)"),
        ("false positive rate for specificity", planted(_PERFORMANCE, (
            "specificity[c] = 1 - predicted[(clinic == c) & (labels == 0)].mean()",
            "specificity[c] = predicted[(clinic == c) & (labels == 0)].mean()")), r"complement"),
        ("overall rates for every clinic", planted(_PERFORMANCE, (
            "sensitivity[c] = predicted[(clinic == c) & (labels == 1)].mean()",
            "sensitivity[c] = predicted[labels == 1].mean()")), r"overall"),
        ("clinics swapped", planted(_PERFORMANCE, ("for c in np.unique(clinic):",
                                                   "for c, d in zip(np.unique(clinic), np.unique(clinic)[::-1]):"),
                                    ("sensitivity[c] = predicted[(clinic == c)", "sensitivity[d] = predicted[(clinic == c)"),
                                    ("specificity[c] = 1 - predicted[(clinic == c)",
                                     "specificity[d] = 1 - predicted[(clinic == c)")), r"clinics are swapped"),
        ("balanced accuracy", planted(_PERFORMANCE, ("accuracy = (predicted == labels).mean()",
                                                     "accuracy = (predicted[labels == 1].mean() + 1 - "
                                                     "predicted[labels == 0].mean()) / 2")), r"balanced"),
        ("clinic names hard-coded", planted(_PERFORMANCE, ("for c in np.unique(clinic):", "for c in (\"A\", \"B\"):")),
         r"keys|one per clinic"),
    ],
    "block_importance_answer": [
        ("grid transposed", planted(_BLOCKS, ("block_importance = drops.mean(axis=1).reshape(4, 4)",
                                              "block_importance = drops.mean(axis=1).reshape(4, 4).T")), r"transposed"),
        ("permuted minus baseline", planted(_BLOCKS, ("importances[g, k] = baseline - model.score(X_perm, y)",
                                                      "importances[g, k] = model.score(X_perm, y) - baseline")),
         r"minus the baseline"),
        ("the value from the training images", planted(_BLOCKS, ("images, labels = test.images[:500], test.labels[:500]",
                                                                 "images, labels = train.images[:500], train.labels[:500]")),
         r"is not the mean over repeats"),
        ("repeats summed", planted(_BLOCKS, ("drops.mean(axis=1)", "drops.sum(axis=1)")), r"sums the repeats"),
        ("not reshaped", planted(_BLOCKS, ("drops.mean(axis=1).reshape(4, 4)", "drops.mean(axis=1)")), r"shape \(16,\)"),
        ("one permutation per pixel", planted(_BLOCKS, (
            "            X_perm[:, group] = X[rng.permutation(len(X))][:, group]\n",
            "            for column in group:\n"
            "                X_perm[:, column] = X[rng.permutation(len(X)), column]\n")), r"different row permutations"),
        ("delegates to scikit-learn", planted(_BLOCKS, ("    rng = np.random.default_rng(random_state)\n", (
            "    from sklearn.inspection import permutation_importance as sklearn_importance\n"
            "    single = sklearn_importance(model, X, y, n_repeats=n_repeats, random_state=random_state).importances\n"
            "    return np.array([single[list(g)].sum(axis=0) for g in groups])\n")),
            ("drops = grouped_permutation_importance(clf, lib.flat(images)", "drops = 0 * lib.block_permutation_importance(clf, lib.flat(images)")),
         r"runs scikit-learn's permutation_importance"),
        ("delegates to the course's reference", planted(_BLOCKS, ("    rng = np.random.default_rng(random_state)\n", (
            "    return lib.block_permutation_importance(model, X, y, groups, n_repeats=n_repeats,\n"
            "                                            random_state=random_state or 0)\n"))),
         r"the course's reference implementation"),
        ("the value from the course's reference", planted(_BLOCKS, (
            "drops = grouped_permutation_importance(clf, lib.flat(images), labels, lib.block_groups(), n_repeats=5,\n"
            "                                       random_state=SEED)",
            "drops = lib.block_permutation_importance(clf, lib.flat(images), labels, lib.block_groups(), n_repeats=5,\n"
            "                                         random_state=SEED)")), r"is not the mean over repeats"),
    ],
    "cam_share_answer": [
        ("grid transposed", planted(_SHARES, ("cam_share = shares.mean(axis=0)", "cam_share = shares.mean(axis=0).T")),
         r"transposed"),
        ("class benign", planted(_SHARES, ("maps = grad_cam(model, images, 1, model.conv3)",
                                           "maps = grad_cam(model, images, 0, model.conv3)")), r"class 0"),
        ("pooled over images", planted(_SHARES, ("cam_share = shares.mean(axis=0)",
                                                 "cam_share = masses.sum(axis=0) / totals.sum()")), r"total mass"),
        ("every test image", planted(_SHARES, ("images = x_flagged", "images = x_test")), r"every test image"),
        ("masses, not shares", planted(_SHARES, ("cam_share = shares.mean(axis=0)", "cam_share = masses.mean(axis=0)")),
         r"masses"),
        ("no ReLU", planted(_SHARES, ("cam = torch.relu((gradient", "cam = ((gradient")), r"ReLU|negative"),
        ("nearest upsampling", planted(_SHARES, ('mode="bilinear", align_corners=False)[:, 0]', 'mode="nearest")[:, 0]')),
         r"nearest"),
    ],
    "block_deletion_answer": [
        ("filled with black", planted(_DELETION, ("fill = x.mean(dim=(1, 2, 3)).view(-1, 1, 1, 1)",
                                                  "fill = torch.zeros(n, 1, 1, 1, dtype=x.dtype)")), r"black"),
        ("logit drops", planted(_DELETION, ("p = model(x).softmax(dim=1).gather", "p = model(x).gather"),
                                ("drops.append(p - model(replaced).softmax(dim=1).gather",
                                 "drops.append(p - model(replaced).gather")), r"LOGIT"),
        ("filled with 0.5", planted(_DELETION, ("fill = x.mean(dim=(1, 2, 3)).view(-1, 1, 1, 1)",
                                                "fill = torch.full((n, 1, 1, 1), 0.5, dtype=x.dtype)")), r"0\.5"),
        ("filled with the batch mean", planted(_DELETION, ("fill = x.mean(dim=(1, 2, 3)).view(-1, 1, 1, 1)",
                                                           "fill = x.mean()")), r"ALL images"),
        ("drop of the other sign", planted(_DELETION, ("drops.append(p - model(replaced)", "drops.append(-p + model(replaced)")),
         r"wrong sign"),
        ("block index transposed", planted(_DELETION, ("            r, c = divmod(b, g)\n", "            c, r = divmod(b, g)\n")),
         r"transposed position"),
        ("top block by its largest pixel", planted(_DELETION, ("top = masses.argmax(dim=1).numpy()",
                                                               "peak = maps.reshape(n, -1).argmax(dim=1).numpy()\n"
                                                               "    top = (peak // w // block) * g + (peak % w) // block")),
         r"largest PIXEL"),
        ("baseline without the top block", planted(_DELETION, (
            '"average": drops.mean(axis=1)}',
            '"average": (drops.sum(axis=1) - drops[np.arange(n), top]) / (drops.shape[1] - 1)}')), r"leaves out the top"),
        ("the two numbers swapped", planted(_DELETION, (
            'deletion = {"top": found["top"].mean(), "average": found["average"].mean()}',
            'deletion = {"top": found["average"].mean(), "average": found["top"].mean()}')), r"swapped"),
    ],
    "off_lesion_block_answer": [
        ("a lesion block (graded by the key)", "off_lesion_block = None\noff_lesion_block = (2, 2)\n",
         r"not the block"),
        ("no such block (graded by the key)", 'off_lesion_block = None\noff_lesion_block = "none"\n', r"not the block"),
        ("the top-left block (graded by the key)", "off_lesion_block = None\noff_lesion_block = (0, 0)\n",
         r"not the block"),
    ],
    "new_clinic_answer": [
        ("the test set's accuracy (graded by the key)", 'new_clinic = None\nnew_clinic = "A"\n',
         r"not the best explanation"),
        ("as sensitive as at clinic B (graded by the key)", 'new_clinic = None\nnew_clinic = "B"\n',
         r"not the best explanation"),
        ("specificity as at clinic B (graded by the key)", 'new_clinic = None\nnew_clinic = "D"\n',
         r"not the best explanation"),
    ],
}

ERROR = {
    "performance_answer": "def performance(model, x, labels, clinic):\n    return model.metrics(x, labels)\n",
    "block_importance_answer": _BLOCKS.replace("    X = np.asarray(X)\n",
                                               "    X = np.asarray(X)\n    X.reshape(len(X), 1, 32, 32)\n"),
    "cam_share_answer": _SHARES.replace("    store = {}\n", "    store = {}\n    x.view(len(x), 1, 32, 32)\n"),
    "block_deletion_answer": _DELETION.replace("    n, _, h, w = x.shape\n",
                                               "    n, _, h, w = x.shape\n    x.view(n, 1, 32, 32)\n"),
}
