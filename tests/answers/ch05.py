"""Answers that audit chapter 05's graders: each one is the whole source of an answer cell.

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

# --------------------------------------------------------------------------------------------
# Correct bases (each pitfall below is planted in one of them)

_ROLLOUT = '''
def attention_rollout(attentions, *, add_residual=True):
    rollout = None
    for layer in attentions:
        a = np.asarray(layer, dtype=float).mean(axis=1)
        if add_residual:
            a = 0.5 * a + 0.5 * np.eye(a.shape[-1])
        rollout = a if rollout is None else a @ rollout
    return rollout
'''

_GW = '''
def grad_weighted_attention(model, ids, target, *, mask=None):
    logits, attentions = model(ids, mask, return_attention=True)
    target = torch.as_tensor(target).reshape(-1).expand(len(ids))
    score = logits.gather(1, target[:, None]).sum()
    last = attentions[-1]
    (grad,) = torch.autograd.grad(score, last)
    relevance = (last * grad).clamp(min=0).mean(dim=1)
    return relevance[:, 0].detach()
'''

_CAM = '''
def vit_grad_cam(model, x, target):
    kept = {}

    def keep(module, inputs, output):
        kept["tokens"] = output

    handle = model.blocks[-1].tokens_in.register_forward_hook(keep)
    try:
        logits = model(x)
    finally:
        handle.remove()
    target = torch.as_tensor(target).reshape(-1).expand(len(x))
    score = logits.gather(1, target[:, None]).sum()
    (grad,) = torch.autograd.grad(score, kept["tokens"])
    weights = grad[:, 1:].mean(dim=1, keepdim=True)
    cam = torch.relu((weights * kept["tokens"][:, 1:].detach()).sum(dim=-1))
    return cam.reshape(len(x), 4, 4)
'''

_D3B = '''
d3_rollout = None
full = lib.attention_rollout(d3_attentions)
d3_rollout = full[:, 0, 1:].reshape(len(full), 4, 4)
'''

_D3C = '''
d3_agreement = None
from scipy.stats import spearmanr
n = len(d3_eval.cam)
cams, rolls, boxes = d3_eval.cam.reshape(n, 16), d3_eval.rollout.reshape(n, 16), d3_eval.box.reshape(n, 16)


def share(maps):
    total = maps.sum(axis=1)
    return np.where(total > 0, (maps * boxes).sum(axis=1) / np.where(total > 0, total, 1), np.nan)


rho = np.array([spearmanr(c, r).statistic if np.ptp(c) > 0 and np.ptp(r) > 0 else np.nan for c, r in zip(cams, rolls)])
d3_agreement = {"spearman": rho, "cam_mass": share(cams), "rollout_mass": share(rolls), "chance": boxes.mean(axis=1)}
'''

_MASKING = '''
def masking_effect(model, ids, where, target, *, mask=None):
    masked = ids.masked_fill(where, transformer.MASK_ID)
    target = torch.as_tensor(target).reshape(-1).expand(len(ids))[:, None]
    with torch.no_grad():
        before = model(ids, mask).gather(1, target)[:, 0]
        after = model(masked, mask).gather(1, target)[:, 0]
    return before - after
'''

BASES = {
    "attention_rollout_answer": _ROLLOUT,
    "grad_weighted_attention_answer": _GW,
    "masking_effect_answer": _MASKING,
    "vit_grad_cam_answer": _CAM,
    "d3_rollout_answer": _D3B,
    "d3_agreement_answer": _D3C,
    "d3_why_answer": 'd3_why = None\nd3_why = "C"\n',
}

# --------------------------------------------------------------------------------------------
# Correct answers written another way

ALTERNATIVE = {
    "attention_rollout_answer": '''
def attention_rollout(attentions, *, add_residual=True):
    """torch, float32, (A + I) renormalised by its row sums, a loop over the batch."""
    layers = [torch.as_tensor(np.asarray(a), dtype=torch.float32) for a in attentions]
    batch, _, length, _ = layers[0].shape
    out = torch.empty(batch, length, length)
    for b in range(batch):
        result = torch.eye(length)
        for layer in layers:
            mixing = layer[b].sum(dim=0) / layer.shape[1]
            if add_residual:
                mixing = mixing + torch.eye(length)
                mixing = mixing / mixing.sum(dim=1, keepdim=True)
            result = torch.matmul(mixing, result)
        out[b] = result
    return out
''',
    "grad_weighted_attention_answer": '''
def grad_weighted_attention(model, ids, target, *, mask=None):
    """One text at a time, a hook on the last layer's probabilities, numpy float64 out."""
    out = []
    targets = [int(t) for t in torch.as_tensor(target).reshape(-1).expand(len(ids))]
    for i, t in enumerate(targets):
        kept = []
        handle = model.blocks[-1].attention.probs.register_forward_hook(lambda m, inp, o: kept.append(o))
        try:
            logits = model(ids[i:i + 1], None if mask is None else mask[i:i + 1])
        finally:
            handle.remove()
        probs = kept[0][0]
        grad = torch.autograd.grad(logits[0, t], kept[0])[0][0]
        per_head = torch.where(probs * grad > 0, probs * grad, torch.zeros_like(grad))
        out.append(per_head.sum(dim=0)[0].detach().double().numpy() / probs.shape[0])
    return np.stack(out)
''',
    "masking_effect_answer": '''
def masking_effect(model, ids, where, target, *, mask=None):
    """Both runs in one batch of 2n, a loop over the texts for the targets, float64 numpy out; a deep copy of the model."""
    import copy
    twin = copy.deepcopy(model)
    n = len(ids)
    masked = torch.where(where, torch.full_like(ids, transformer.MASK_ID), ids)
    both_mask = None if mask is None else torch.cat([mask, mask])
    with torch.no_grad():
        logits = twin(torch.cat([ids, masked]), both_mask).double().numpy()
    targets = [int(t) for t in torch.as_tensor(target).reshape(-1).expand(n)]
    return np.array([logits[i, t] - logits[n + i, t] for i, t in enumerate(targets)])
''',
    "vit_grad_cam_answer": '''
def vit_grad_cam(model, x, target):
    """A tensor hook for the gradient, .backward() and then the parameters' gradients cleared; einsum."""
    store = {}

    def keep(module, inputs, output):
        store["tokens"] = output
        output.register_hook(lambda g: store.update(grad=g))

    handle = model.blocks[-1].tokens_in.register_forward_hook(keep)
    logits = model(x)
    handle.remove()
    picks = torch.as_tensor(target).reshape(-1).expand(len(x))
    logits[torch.arange(len(x)), picks].sum().backward()
    model.zero_grad(set_to_none=True)
    grid = vit.tokens_to_grid(store["tokens"].detach())             # (batch, dim, 4, 4)
    grad_grid = vit.tokens_to_grid(store["grad"])
    alpha = grad_grid.mean(dim=(2, 3))                              # (batch, dim)
    return torch.einsum("bc,bcij->bij", alpha, grid).clamp(min=0).numpy()
''',
    "d3_rollout_answer": '''
d3_rollout = None
layers = [a.numpy().mean(axis=1) for a in d3_attentions]
eye = np.eye(17)
flow = 0.5 * layers[1] + 0.5 * eye
flow = flow @ (0.5 * layers[0] + 0.5 * eye)
d3_rollout = np.stack([row[1:].reshape(4, 4) for row in flow[:, 0, :]])
''',
    "d3_agreement_answer": '''
d3_agreement = None
import pandas as pd
rows = []
for cam, roll, box in zip(d3_eval.cam, d3_eval.rollout, d3_eval.box):
    c, r, b = cam.ravel(), roll.ravel(), box.ravel().astype(float)
    if c.std() == 0 or r.std() == 0:
        rho = float("nan")
    else:
        rho = np.corrcoef(pd.Series(c).rank(), pd.Series(r).rank())[0, 1]
    rows.append([rho, c @ b / c.sum() if c.sum() else float("nan"), r @ b / r.sum() if r.sum() else float("nan"), b.mean()])
table = np.array(rows)
d3_agreement = {name: table[:, k] for k, name in enumerate(["spearman", "cam_mass", "rollout_mass", "chance"])}
''',
    "d3_why_answer": 'd3_why = None\nd3_why = " c "\n',
}

# --------------------------------------------------------------------------------------------
# Wrong answers, each a pitfall planted in a base

_R, _G, _C = BASES["attention_rollout_answer"], BASES["grad_weighted_attention_answer"], BASES["vit_grad_cam_answer"]
_MK = BASES["masking_effect_answer"]
_CAM_LINE = 'cam = torch.relu((weights * kept["tokens"][:, 1:].detach()).sum(dim=-1))'
_RESIDUAL = "        if add_residual:\n            a = 0.5 * a + 0.5 * np.eye(a.shape[-1])\n"
_IN_PLACE = ('''        a = np.asarray(layer, dtype=float).mean(axis=1)
        if add_residual:
            a = 0.5 * a + 0.5 * np.eye(a.shape[-1])
''', '''        a = np.asarray(layer, dtype=float)
        if add_residual:
            a += np.eye(a.shape[-1])
            a /= 2
        a = a.mean(axis=1)
''')

WRONG = {
    "attention_rollout_answer": [
        ("no residual", planted(_R, (_RESIDUAL, "")), r"left the residual out"),
        ("wrong order", planted(_R, ("a @ rollout", "rollout @ a")), r"later layers multiply on the LEFT"),
        ("no renormalisation", planted(_R, ("0.5 * a + 0.5 * np.eye", "a + np.eye")), r"did not renormalise"),
        ("max over heads", planted(_R, (".mean(axis=1)", ".max(axis=1)")), r"max over heads"),
        ("heads and batch averaged (audit 4)", planted(_R, (
            "a = np.asarray(layer, dtype=float).mean(axis=1)",
            "a = np.broadcast_to(np.asarray(layer, dtype=float).mean(axis=(0, 1)), "
            "(np.shape(layer)[0],) + np.shape(layer)[2:])")), r"averaged over the batch too"),
        ("sum over heads", planted(_R, (".mean(axis=1)", ".sum(axis=1)")), r"summed the heads"),
        ("residual whatever add_residual", planted(_R, ("if add_residual:", "if True:")),
         r"with add_residual=False, leave the identity out"),
        ("transposed", planted(_R, ("    return rollout", "    return np.swapaxes(rollout, -1, -2)")),
         r"transposed"),
        ("columns renormalised", planted(_R, ("0.5 * a + 0.5 * np.eye(a.shape[-1])",
                                              "(a + np.eye(a.shape[-1])) / (a + np.eye(a.shape[-1])).sum(-2, keepdims=True)")),
         r"renormalised the COLUMNS"),
        ("the caller's arrays changed in place", planted(_R, _IN_PLACE), r"changed the caller's `attentions\[0\]`"),
        ("only the CLS row", planted(_R, ("    return rollout", "    return rollout[:, 0]")),
         r"should have shape \(1, 3, 3\)"),
        ("last layer only", planted(_R, ("rollout = a if rollout is None else a @ rollout", "rollout = a")),
         r"last layer only"),
        ("first layer only", planted(_R, ("rollout = a if rollout is None else a @ rollout",
                                          "rollout = a if rollout is None else rollout")), r"first layer only"),
        ("two heads hard-coded", planted(_R, (".mean(axis=1)", ".sum(axis=1) / 2")), r"rows sum to between 1\.5"),
        ("first example only", planted(_R, ("np.asarray(layer, dtype=float).mean", "np.asarray(layer, dtype=float)[:1].mean")),
         r"should have shape \(2, 7, 7\)"),
        ("residual only with several layers", planted(_R, ("if add_residual:", "if add_residual and len(attentions) > 1:")),
         r"with one layer .* left the residual out"),
        ("identity first, wrong order", planted(_R, ("rollout = a if rollout is None else a @ rollout",
                                                     "rollout = (np.eye(a.shape[-1]) if rollout is None else rollout) @ a")),
         r"wrong order"),
        ("each layer transposed", planted(_R, ("        rollout = a if", "        a = np.swapaxes(a, -1, -2)\n        rollout = a if")),
         r"you transposed the attention: entry \[b, h, i, j\] is what query token i"),
        ("attention transposed before the head mean", planted(_R, ("np.asarray(layer, dtype=float).mean(axis=1)",
                                                                  "np.swapaxes(np.asarray(layer, dtype=float), -1, -2).mean(axis=1)")),
         r"you transposed the attention"),
        ("max over heads, renormalised, then the residual", planted(_R, (
            ".mean(axis=1)\n", ".max(axis=1)\n        a = a / a.sum(axis=-1, keepdims=True)\n")),
         r"max over heads \(and renormalised the rows\).*one-hot"),
        ("each head rolled out, the chains averaged", '''
def attention_rollout(attentions, *, add_residual=True):
    layers = [np.asarray(layer, dtype=float) for layer in attentions]
    eye = np.eye(layers[0].shape[-1])
    chains = []
    for h in range(layers[0].shape[1]):
        rollout = None
        for layer in layers:
            a = 0.5 * layer[:, h] + 0.5 * eye if add_residual else layer[:, h]
            rollout = a if rollout is None else a @ rollout
        chains.append(rollout)
    return np.mean(chains, axis=0)
''', r"rolled out each head on its own"),
        ("the identity added after the product", '''
def attention_rollout(attentions, *, add_residual=True):
    rollout = None
    for layer in attentions:
        a = np.asarray(layer, dtype=float).mean(axis=1)
        rollout = a if rollout is None else a @ rollout
    return 0.5 * rollout + 0.5 * np.eye(rollout.shape[-1]) if add_residual else rollout
''', r"added the identity once, after the product"),
        ("the course's reference", "def attention_rollout(attentions, *, add_residual=True):\n"
                                   "    return lib.attention_rollout(attentions, add_residual=add_residual)\n",
         r"course's reference implementation"),
    ],
    "grad_weighted_attention_answer": [
        ("softmax instead of logit", planted(_G, ("score = logits.gather", "score = logits.softmax(dim=1).gather")),
         r"softmax probability"),
        ("negative part kept", planted(_G, (".clamp(min=0)", "")), r"kept the negative part"),
        ("gradient alone", planted(_G, ("(last * grad).clamp", "grad.clamp")), r"gradient alone"),
        ("attention alone", planted(_G, ("(last * grad).clamp(min=0)", "last")), r"attention itself"),
        ("heads averaged before the positive part", planted(_G, (".clamp(min=0).mean(dim=1)", ".mean(dim=1).clamp(min=0)")),
         r"averaged the heads before"),
        ("max over heads", planted(_G, (".mean(dim=1)", ".amax(dim=1)")), r"max over heads"),
        ("sum over heads", planted(_G, (".mean(dim=1)", ".sum(dim=1)")), r"summed the heads"),
        ("CLS column", planted(_G, ("relevance[:, 0]", "relevance[:, :, 0]")), r"COLUMN"),
        ("first layer", planted(_G, ("attentions[-1]", "attentions[0]")), r"used layer 1 of 2"),
        ("predicted class", planted(_G, ("target = torch.as_tensor(target).reshape(-1).expand(len(ids))",
                                         "target = logits.argmax(dim=1)")), r"predicted class"),
        ("mask ignored", planted(_G, ("model(ids, mask, return_attention=True)", "model(ids, return_attention=True)")),
         r"ignored `mask`"),
        ("absolute value", planted(_G, (".clamp(min=0)", ".abs()")), r"\|A \* dA\|"),
        ("backward leaves gradients", planted(_G, ("(grad,) = torch.autograd.grad(score, last)",
                                                   "last.retain_grad()\n    score.backward()\n    grad = last.grad")),
         r"left gradients in the model's parameters"),
        ("mode changed", planted(_G, ("    logits, attentions = model(", "    model.eval()\n    logits, attentions = model(")),
         r"changed the model's mode"),
        ("not detached", planted(_G, ("relevance[:, 0].detach()", "relevance[:, 0]")), r"still attached to the autograd graph"),
        ("a global module hook left registered", planted(_G, (
            "    logits, attentions = model(",
            "    torch.nn.modules.module.register_module_forward_hook(lambda module, inputs, output: None)\n"
            "    logits, attentions = model(")), r"left a hook registered"),
        ("target logits averaged over the batch", planted(_G, (".sum()\n    last", ".mean()\n    last")),
         r"AVERAGED the target logits over the batch"),
        ("logits[:, target] with one target per text", planted(
            _G, ("    target = torch.as_tensor(target).reshape(-1).expand(len(ids))\n", ""),
            ("logits.gather(1, target[:, None]).sum()", "logits[:, target].sum()")), r"batch x batch matrix"),
        ("the first text's target for all", planted(_G, ("expand(len(ids))", "expand(len(ids))[:1].expand(len(ids))")),
         r"first example's target for every example"),
        ("log-softmax", planted(_G, ("score = logits.gather", "score = logits.log_softmax(dim=1).gather")),
         r"softmax probability \(or its log\)"),
        ("layer 2 hard-coded", planted(_G, ("last = attentions[-1]", "last = attentions[1]")), r"used layer 2 of 3"),
        ("two heads hard-coded", planted(_G, (".clamp(min=0).mean(dim=1)", ".clamp(min=0).sum(dim=1) / 2")),
         r"2 times the right one"),
        ("mask rebuilt from the ids", planted(_G, ("model(ids, mask, return_attention=True)",
                                                   "model(ids, ids != 0, return_attention=True)")), r"ignored `mask`"),
        ("ids changed in place", planted(_G, ("    logits, attentions = model(",
                                              "    if mask is not None:\n        ids[~mask] = 0\n    logits, attentions = model(")),
         r"changed the caller's `ids` in place"),
        ("captum", planted(_G, ("    logits, attentions = model(ids, mask, return_attention=True)\n", ""),
                           ("    last = attentions[-1]\n    (grad,) = torch.autograd.grad(score, last)\n"
                            "    relevance = (last * grad).clamp(min=0).mean(dim=1)",
                            "    from captum.attr import LayerGradientXActivation\n"
                            "    product = LayerGradientXActivation(lambda i, m: model(i, m), model.blocks[-1].attention.probs)\n"
                            "    relevance = product.attribute(ids, target=target, additional_forward_args=(mask,))"
                            ".clamp(min=0).mean(dim=1)"),
                           ("    score = logits.gather(1, target[:, None]).sum()\n", "")), r"runs captum"),
        ("squeezed (a batch of one loses its axis)", planted(_G, ("relevance[:, 0].detach()", "relevance[:, 0].detach().squeeze()")),
         r"should have shape \(1, 5\)"),
        ("the caller's model zeroed in place, zeros returned", '''
def grad_weighted_attention(model, ids, target, *, mask=None):
    for p in model.parameters():
        p.data.zero_()
    return torch.zeros(ids.shape)
''', r"changed the model's weights"),
        ("the caller's model zeroed under no_grad, zeros returned", '''
def grad_weighted_attention(model, ids, target, *, mask=None):
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
    return np.zeros(tuple(ids.shape))
''', r"changed the model's weights"),
        ("the course's reference", "def grad_weighted_attention(model, ids, target, *, mask=None):\n"
                                   "    return lib.grad_weighted_attention(model, ids, target, mask=mask)\n",
         r"course's reference implementation"),
    ],
    "masking_effect_answer": [
        ("[PAD] instead of [MASK]", planted(_MK, ("transformer.MASK_ID)", "transformer.PAD_ID)")), r"\[PAD\]"),
        ("masks the caller's ids in place (audit 4)", planted(_MK, (
            "    masked = ids.masked_fill(where, transformer.MASK_ID)\n",
            "    original = ids.clone()\n    ids[where] = transformer.MASK_ID\n    masked, ids = ids, original\n")),
         r"changed the caller's `ids` in place"),
        ("subtracted the other way round", planted(_MK, ("return before - after", "return after - before")), r"other way round"),
        ("mask ignored", planted(_MK, ("model(ids, mask)", "model(ids)"), ("model(masked, mask)", "model(masked)")),
         r"ignored `mask`"),
        ("mask dropped in the masked run", planted(_MK, ("model(masked, mask)", "model(masked)")), r"BOTH runs"),
        ("probabilities", planted(_MK, ("model(ids, mask).gather", "model(ids, mask).softmax(dim=1).gather"),
                                  ("model(masked, mask).gather", "model(masked, mask).softmax(dim=1).gather")), r"probabilities"),
        ("absolute value", planted(_MK, ("return before - after", "return (before - after).abs()")), r"absolute value"),
        ("the masked logit", planted(_MK, ("return before - after", "return after")), r"masked texts' logit"),
        ("predicted class", planted(_MK, ("target = torch.as_tensor(target).reshape(-1).expand(len(ids))[:, None]",
                                          "target = model(ids, mask).argmax(dim=1)[:, None]")), r"predicted class"),
        ("the first text's target for all", planted(_MK, ("expand(len(ids))[:, None]", "expand(len(ids))[:1].expand(len(ids))[:, None]")),
         r"first example's target for every example"),
        ("words removed, not masked", planted(_MK, ("masked = ids.masked_fill(where, transformer.MASK_ID)",
                                                    "masked = ids.masked_fill(where, transformer.PAD_ID)\n"
                                                    "    kept = (ids != transformer.PAD_ID if mask is None else mask) & ~where"),
                                              ("model(masked, mask)", "model(masked, kept)")), r"removed the words"),
        ("every other word masked", planted(_MK, ("masked = ids.masked_fill(where, transformer.MASK_ID)",
                                                  "masked = ids.masked_fill(~where & (ids > transformer.MASK_ID), transformer.MASK_ID)")),
         r"EXCEPT those at `where`"),
        ("ids changed in place", '''
def masking_effect(model, ids, where, target, *, mask=None):
    target = torch.as_tensor(target).reshape(-1).expand(len(ids))[:, None]
    with torch.no_grad():
        before = model(ids, mask).gather(1, target)[:, 0]
        ids[where] = transformer.MASK_ID
        after = model(ids, mask).gather(1, target)[:, 0]
    return before - after
''', r"changed the caller's `ids` in place"),
        ("not detached", planted(_MK, ("    with torch.no_grad():\n        before", "    if True:\n        before")),
         r"still attached"),
        ("mode forced to eval", planted(_MK, ("    with torch.no_grad():", "    model.eval()\n    with torch.no_grad():")),
         r"changed the model's mode"),
        ("the caller's model zeroed, zeros returned", '''
def masking_effect(model, ids, where, target, *, mask=None):
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
    return torch.zeros(len(ids))
''', r"changed the model's weights"),
        ("a buffer added to the caller's model", planted(_MK, ("    with torch.no_grad():",
                                                               "    model.register_buffer('seen', ids.clone())\n    with torch.no_grad():")),
         r"added or removed some of the model's buffers|replaced part of the model"),
        ("the course's reference", "def masking_effect(model, ids, where, target, *, mask=None):\n"
                                   "    return lib.masking_effect(model, ids, where, target, mask=mask)\n",
         r"course's reference implementation"),
    ],
    "vit_grad_cam_answer": [
        ("hooked the output of the last block", planted(_C, ("model.blocks[-1].tokens_in.register", "model.blocks[-1].register"),
                                                        ('kept["tokens"] = output', 'kept["tokens"] = output[0]')),
         r"all zero"),
        ("no ReLU", planted(_C, ("torch.relu(", "(")), r"negative values"),
        ("gradients not pooled", planted(_C, ("weights = grad[:, 1:].mean(dim=1, keepdim=True)", "weights = grad[:, 1:]")),
         r"its own gradient"),
        ("CLS in the channel weights", planted(_C, ("grad[:, 1:].mean", "grad.mean")), r"averaged over \[CLS\] too"),
        ("grid transposed", planted(_C, ("return cam.reshape(len(x), 4, 4)", "return cam.reshape(len(x), 4, 4).transpose(1, 2)")),
         r"transposed"),
        ("softmax instead of logit", planted(_C, ("score = logits.gather", "score = logits.softmax(dim=1).gather")),
         r"softmax probability"),
        ("min-max normalised", planted(_C, ("    return cam.reshape(len(x), 4, 4)",
                                            "    cam = cam - cam.amin(dim=1, keepdim=True)\n"
                                            "    cam = cam / cam.amax(dim=1, keepdim=True).clamp(min=1e-12)\n"
                                            "    return cam.reshape(len(x), 4, 4)")), r"normalised"),
        ("first block", planted(_C, ("model.blocks[-1]", "model.blocks[0]")), r"hooked block 1 of 2"),
        ("predicted class", planted(_C, ("target = torch.as_tensor(target).reshape(-1).expand(len(x))",
                                         "target = logits.argmax(dim=1)")), r"predicted class"),
        ("hook left on the model", planted(_C, ("    finally:\n        handle.remove()\n", "    finally:\n        pass\n")),
         r"left a hook"),
        ("backward leaves gradients", planted(_C, ("(grad,) = torch.autograd.grad(score, kept[\"tokens\"])",
                                                   "kept[\"tokens\"].retain_grad()\n    score.backward()\n"
                                                   "    grad = kept[\"tokens\"].grad")),
         r"left gradients in the model's parameters"),
        ("upsampled", planted(_C, ("    return cam.reshape(len(x), 4, 4)",
                                   "    return torch.nn.functional.interpolate(cam.reshape(len(x), 1, 4, 4), size=32)[:, 0]")),
         r"should have shape \(5, 4, 4\)"),
        ("ReLU before the sum over channels", planted(_C, (_CAM_LINE, _CAM_LINE.replace(".detach()).sum(dim=-1))", ".detach())).sum(dim=-1)"))),
         r"ReLU channel by channel"),
        ("gradients summed, not averaged", planted(_C, ("grad[:, 1:].mean(dim=1, keepdim=True)", "grad[:, 1:].sum(dim=1, keepdim=True)")),
         r"16 times Grad-CAM's"),
        ("gradients averaged over the batch too", planted(_C, ("grad[:, 1:].mean(dim=1, keepdim=True)",
                                                               "grad[:, 1:].mean(dim=(0, 1), keepdim=True)")),
         r"averaged over images"),
        ("block 1 hard-coded", planted(_C, ("model.blocks[-1]", "model.blocks[1]")), r"hooked block 2 of 3"),
        ("not detached", planted(_C, ('kept["tokens"][:, 1:].detach()', 'kept["tokens"][:, 1:]')), r"still attached"),
        ("norm1 hooked", planted(_C, ("model.blocks[-1].tokens_in.register", "model.blocks[-1].norm1.register")),
         r"hooked norm1"),
        ("last patch dropped instead of CLS", planted(_C, ("grad[:, 1:]", "grad[:, :-1]"), ('kept["tokens"][:, 1:]', 'kept["tokens"][:, :-1]')),
         r"dropped the last patch"),
        ("absolute value", planted(_C, ("torch.relu(", "torch.abs(")), r"absolute value"),
        ("the first image's target for all", planted(_C, ("expand(len(x))", "expand(len(x))[:1].expand(len(x))")),
         r"first example's target for every example"),
        ("logits[:, target] with one target per image", planted(
            _C, ("    target = torch.as_tensor(target).reshape(-1).expand(len(x))\n", ""),
            ("logits.gather(1, target[:, None]).sum()", "logits[:, target].sum()")), r"batch x batch matrix"),
        ("mode forced to eval", planted(_C, ("    try:\n        logits", "    model.eval()\n    try:\n        logits")),
         r"changed the model's mode"),
        ("the caller's x made to require grad", planted(_C, ("    try:\n        logits = model(x)",
                                                             "    x.requires_grad_(True)\n    try:\n        logits = model(x)")),
         r"changed the caller's x"),
        ("torchcam", planted(_C, ("    return cam.reshape(len(x), 4, 4)",
                                  "    from torchcam.methods import GradCAM\n"
                                  "    with GradCAM(model, model.blocks[-1].tokens_in, reshape_transform=vit.tokens_to_grid) as gc:\n"
                                  "        maps = gc(target.tolist(), model(x), normalized=False)[0]\n"
                                  "    model.zero_grad(set_to_none=True)\n    return maps.detach()")), r"runs torchcam"),
        ("squeezed (a batch of one loses its axis)", planted(_C, ("return cam.reshape(len(x), 4, 4)", "return cam.reshape(len(x), 4, 4).squeeze()")),
         r"should have shape \(1, 4, 4\)"),
        ("the caller's model zeroed in place, zeros returned", '''
def vit_grad_cam(model, x, target):
    for p in model.parameters():
        p.data.zero_()
    return torch.zeros(len(x), 4, 4)
''', r"changed the model's weights"),
        ("the caller's model zeroed under no_grad, zeros returned", '''
def vit_grad_cam(model, x, target):
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
    return np.zeros((len(x), 4, 4))
''', r"changed the model's weights"),
        ("divided by each map's maximum", planted(_C, ("    return cam.reshape(len(x), 4, 4)",
                                                       "    cam = cam / cam.amax(dim=1, keepdim=True).clamp(min=1e-12)\n"
                                                       "    return cam.reshape(len(x), 4, 4)")), r"divided each map by its maximum"),
        ("the course's reference", "def vit_grad_cam(model, x, target):\n    return lib.vit_grad_cam(model, x, target)\n",
         r"course's reference implementation"),
    ],
    "d3_rollout_answer": [
        ("CLS column", planted(_D3B, ("full[:, 0, 1:]", "full[:, 1:, 0]")), r"COLUMN"),
        ("no residual", planted(_D3B, ("lib.attention_rollout(d3_attentions)", "lib.attention_rollout(d3_attentions, add_residual=False)")),
         r"left the residual out"),
        ("grid transposed", planted(_D3B, (".reshape(len(full), 4, 4)", ".reshape(len(full), 4, 4).transpose(0, 2, 1)")),
         r"transposed"),
        ("last layer's raw attention", planted(_D3B, ("lib.attention_rollout(d3_attentions)", "d3_attentions[-1].mean(dim=1).numpy()")),
         r"layer 2's raw attention"),
        ("CLS kept", planted(_D3B, ("full[:, 0, 1:].reshape(len(full), 4, 4)", "full[:, 0]")), r"should have shape \(8, 4, 4\)"),
        ("renormalised", planted(_D3B, (".reshape(len(full), 4, 4)", ".reshape(len(full), 4, 4)\n"
                                        "d3_rollout = d3_rollout / d3_rollout.sum(axis=(1, 2), keepdims=True)")),
         r"rescaled each map"),
        ("last patch dropped instead of CLS", planted(_D3B, ("full[:, 0, 1:]", "full[:, 0, :16]")), r"dropped the last patch"),
        ("max over heads", planted(_D3B, ("full = lib.attention_rollout(d3_attentions)\n",
                                          "layers = [0.5 * a.numpy().max(axis=1) + 0.5 * np.eye(17) for a in d3_attentions]\n"
                                          "full = layers[1] @ layers[0]\n")), r"max over heads"),
        ("min-max normalised", planted(_D3B, (".reshape(len(full), 4, 4)", ".reshape(len(full), 4, 4)\n"
                                              "d3_rollout = (d3_rollout - d3_rollout.min(axis=(1, 2), keepdims=True)) / "
                                              "np.ptp(d3_rollout, axis=(1, 2), keepdims=True)")), r"rescaled each map"),
        ("divided by the maximum", planted(_D3B, (".reshape(len(full), 4, 4)", ".reshape(len(full), 4, 4)\n"
                                                  "d3_rollout = d3_rollout / d3_rollout.max(axis=(1, 2), keepdims=True)")),
         r"rescaled each map"),
        ("first layer's raw attention", planted(_D3B, ("lib.attention_rollout(d3_attentions)", "d3_attentions[0].mean(dim=1).numpy()")),
         r"layer 1's raw attention"),
        ("layers reversed", planted(_D3B, ("lib.attention_rollout(d3_attentions)", "lib.attention_rollout(d3_attentions[::-1])")),
         r"wrong order"),
        ("last layer only rolled out", planted(_D3B, ("lib.attention_rollout(d3_attentions)", "lib.attention_rollout(d3_attentions[-1:])")),
         r"last layer only"),
    ],
    "d3_agreement_answer": [
        ("Pearson instead of Spearman", planted(_D3C, ("from scipy.stats import spearmanr", "from scipy.stats import pearsonr"),
                                                ("spearmanr(c, r).statistic", "pearsonr(c, r).statistic")),
         r"Pearson"),
        ("mass not normalised", planted(_D3C, ("(maps * boxes).sum(axis=1) / np.where(total > 0, total, 1)",
                                               "(maps * boxes).sum(axis=1)")), r"without dividing"),
        ("chance as 1/16", planted(_D3C, ('"chance": boxes.mean(axis=1)', '"chance": np.full(n, 1 / 16)')),
         r"SHARE of each image's 16 patches"),
        ("zero maps given 0", planted(_D3C, (", np.nan)", ", 0.0)"), ("else np.nan for c, r", "else 0.0 for c, r")),
         r"put NaN there"),
        ("masses swapped", planted(_D3C, ('"cam_mass": share(cams), "rollout_mass": share(rolls)',
                                          '"cam_mass": share(rolls), "rollout_mass": share(cams)')), r"swapped"),
        ("ties broken in order", planted(_D3C, ("spearmanr(c, r).statistic",
                                                "np.corrcoef(c.argsort().argsort(), r.argsort().argsort())[0, 1]")),
         r"broke ties"),
        ("Kendall's tau", planted(_D3C, ("from scipy.stats import spearmanr", "from scipy.stats import kendalltau"),
                                  ("spearmanr(c, r).statistic", "kendalltau(c, r).statistic")), r"Kendall"),
        ("box flattened column by column", planted(_D3C, ("d3_eval.box.reshape(n, 16)", "d3_eval.box.transpose(0, 2, 1).reshape(n, 16)")),
         r"different orders"),
        ("rollout flattened column by column", planted(_D3C, ("d3_eval.rollout.reshape(n, 16)",
                                                              "d3_eval.rollout.transpose(0, 2, 1).reshape(n, 16)")),
         r"different orders"),
        ("chance pooled over the images", planted(_D3C, ('"chance": boxes.mean(axis=1)', '"chance": np.full(n, boxes.mean())')),
         r"SHARE of each image's 16 patches"),
        ("undefined correlations dropped", planted(_D3C, ('"spearman": rho', '"spearman": rho[~np.isnan(rho)]')),
         r"should have shape \(200,\)"),
        ("one correlation pooled over the images", planted(_D3C, (
            "rho = np.array([spearmanr(c, r).statistic if np.ptp(c) > 0 and np.ptp(r) > 0 else np.nan for c, r in zip(cams, rolls)])",
            "rho = np.full(n, spearmanr(cams.ravel(), rolls.ravel()).statistic)")), r"pooled over all the images"),
        ("mass as a ratio to the mass outside the box", planted(_D3C, ("(maps * boxes).sum(axis=1) / np.where(total > 0, total, 1)",
                                                                    "(maps * boxes).sum(axis=1) / (total - (maps * boxes).sum(axis=1))")),
         r"mass OUTSIDE it \(a ratio\)"),
        ("chance as a ratio", planted(_D3C, ('"chance": boxes.mean(axis=1)', '"chance": boxes.sum(axis=1) / (16 - boxes.sum(axis=1))')),
         r"patches OUTSIDE it \(a ratio\)"),
        ("zero Grad-CAM mass instead of NaN", planted(_D3C, ('"cam_mass": share(cams)', '"cam_mass": np.nan_to_num(share(cams))')),
         r"put NaN there"),
    ],
    "d3_why_answer": [
        ("A: hook the output", planted(BASES["d3_why_answer"], ('"C"', '"A"')), r"not the best explanation"),
        ("D: different grids", planted(BASES["d3_why_answer"], ('"C"', '"D"')), r"not the best explanation"),
    ],
}

ERROR = {
    "attention_rollout_answer":
        "def attention_rollout(attentions, *, add_residual=True):\n    return attentions[0] @ attentions[99]\n",
    "grad_weighted_attention_answer":
        "def grad_weighted_attention(model, ids, target, *, mask=None):\n"
        "    return model(ids, mask, return_attention=True)[5]\n",
    "masking_effect_answer": "def masking_effect(model, ids, where, target, *, mask=None):\n    return model(ids, mask)[99]\n",
    "vit_grad_cam_answer": "def vit_grad_cam(model, x, target):\n    return model.blocks[7](x)\n",
}

# Audit 4: a result that does its work later (its __array__ or __float__ calls the course's reference
# once the check reads it) is evaluated while the answer is still watched, so the delegation is named.
WRONG["attention_rollout_answer"] += [
    ("a lazy result that calls lib.attention_rollout when read", '''
class Later:
    def __init__(self, attentions, add_residual):
        self.a, self.r = attentions, add_residual
    def __array__(self, dtype=None, copy=None):
        out = np.asarray(lib.attention_rollout(self.a, add_residual=self.r))
        return out if dtype is None else out.astype(dtype)
def attention_rollout(attentions, *, add_residual=True):
    return Later([np.array(a, copy=True) for a in attentions], add_residual)
''', r"`attention_rollout`, the course's reference implementation"),
]
