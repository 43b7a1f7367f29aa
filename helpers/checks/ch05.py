"""Checks for chapter 05: transformers, attention maps and rollout.

Oracles: a rollout worked out by hand and the properties of rollout (rows sum to 1, the residual
identity ``0.5 A + 0.5 I``, later layers on the left, the head mean) on random non-commuting
attentions; autograd on small transformers and ViTs built here from a seed; torchcam's ``GradCAM``
with the ViT's ``reshape_transform``; ``scipy.stats.spearmanr``. Each pitfall the chapter names is
recomputed on the same inputs, so that a wrong answer is told which one it made. The multiple-choice
key is not here: the hidden test passes it in.
"""

from __future__ import annotations

import copy

import numpy as np
import torch
from scipy.stats import pearsonr, spearmanr
from torchcam.methods import GradCAM

from helpers.data import images, text
from helpers.lib import ch05 as lib
from helpers.models import transformer, vit

from ._core import Chapter, Exercise, Incorrect, call, choice
from ._idioms import Pitfall, close, diagnose, inputs_unchanged
from ._torch import call_model, tensor_result

# Tolerances. Rollout: a product of L row-stochastic T x T float32 matrices carries a rounding error of
# about L * T * 6e-8 at most (measured below 1e-7 for L <= 8, T <= 32, a float32 torch answer against
# float64), while every pitfall moves some entry by more than 5e-3 (measured): 1e-5 (entries lie in [0, 1]).
ROLLOUT_RTOL = 1e-5
# Gradients: an answer runs the same float32 graph as the oracle; only the order of sums, head means and
# positive parts differ: correct answers written otherwise (a loop per text, a hook, .backward() then
# zero_grad, numpy float64) land within 1.4e-6 of the largest value (measured); the closest pitfall (heads
# averaged before the positive part) differs by 4e-3 of it, others by more than 0.18: 1e-4 of the largest value.
GRAD_RTOL = 1e-4
# D3 (c): ranks, shares and correlations of the same reference maps, recomputed in float64.
EXACT_RTOL = 1e-6


def _pick(target, batch: int) -> torch.Tensor:
    return torch.as_tensor(target).reshape(-1).expand(batch)[:, None]


def _grads(logits, target, wrt):
    """d score / d ``wrt`` (float64 arrays) for the target's logit, its probability, the predicted logit."""
    pick = _pick(target, len(logits))
    scores = {"logit": logits.gather(1, pick), "prob": logits.softmax(1).gather(1, pick),
              "predicted": logits.gather(1, logits.argmax(1, keepdim=True))}
    return {k: torch.autograd.grad(s.sum(), wrt, retain_graph=True)[0].double().numpy() for k, s in scores.items()}


def _seeded(seed, build):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build()


# --------------------------------------------------------------------------------------------
# Exercise 5.1: attention_rollout

# Section 2's worked example (lib.HAND_LAYERS: two layers of two heads over three tokens), by hand.
HAND_LAYERS = [np.array(layer, dtype=float) for layer in lib.HAND_LAYERS]
HAND_ROLLOUT = np.array([[[0.25, 0.125, 0.625], [0.375, 0.375, 0.25], [0.25, 0.1875, 0.5625]]])
HAND_PLAIN = np.array([[[0.0, 0.0, 1.0], [0.5, 0.0, 0.5], [0.5, 0.25, 0.25]]])


def _chain(layers, combine="mean", mix="half", order="left"):
    """Rollout variants: heads combined by mean/max/sum; the residual mixed in as ``half``
    (0.5 A + 0.5 I), ``plain`` (none), ``plus`` (A + I) or ``rows`` ((A + I), rows renormalised)."""
    result = None
    for layer in layers:
        a = getattr(np, combine)(layer, axis=1)
        a = a if mix == "plain" else a + np.eye(a.shape[-1])
        a = a / 2 if mix == "half" else a / a.sum(-1, keepdims=True) if mix == "rows" else a
        result = a if result is None else (a @ result if order == "left" else result @ a)
    return result


_HEADS = "rollout averages the heads (the head MEAN), so that each layer's rows still sum to 1."
_ORDER = "your chain is in the wrong order: later layers multiply on the LEFT, A_rollout = Â_L ... Â_2 Â_1."
_ROLLOUT_PITFALLS = {
    True: [Pitfall("no residual", lambda ls: _chain(ls, mix="plain"), "you multiplied the head-mean attentions "
                   "without the residual: with add_residual=True each layer is 0.5 * A + 0.5 * I."),
           Pitfall("no renormalisation", lambda ls: _chain(ls, mix="plus"), "you added the identity but did not "
                   "renormalise: A + I has rows that sum to 2; use (A + I) / 2."),
           Pitfall("wrong order", lambda ls: _chain(ls, order="right"), _ORDER),
           Pitfall("transposed", lambda ls: np.swapaxes(_chain(ls), -1, -2), "your rollout is transposed: row i "
                   "(the query) holds what flows INTO token i, so rows sum to 1.")],
    False: [Pitfall("residual regardless", lambda ls: _chain(ls), "with add_residual=False return the plain "
                    "product of the head-mean attentions: your function adds the identity anyway."),
            Pitfall("wrong order", lambda ls: _chain(ls, mix="plain", order="right"), _ORDER)],
}
for _flag, _mix in ((True, "rows"), (True, "half"), (False, "plain"), (False, "rows")):
    _ROLLOUT_PITFALLS[_flag] += [
        Pitfall("max over heads", lambda ls, m=_mix: _chain(ls, "max", m), "you took the max over heads; " + _HEADS),
        Pitfall("sum over heads", lambda ls, m=_mix: _chain(ls, "sum", m), "you summed the heads; " + _HEADS)]


def _rollout_case(answer, layers, add_residual, *, expected=None, kind=np.asarray, container=list):
    given = container(kind(np.array(layer, copy=True)) for layer in layers)
    batch, _, length, _ = layers[0].shape
    with inputs_unchanged(**{f"attentions[{k}]": layer for k, layer in enumerate(given)}):
        result = call(answer, given, add_residual=add_residual)
    yours = tensor_result(result, (batch, length, length), "your rollout")
    expected = _chain(layers, mix="half" if add_residual else "plain") if expected is None else expected
    sums = yours.sum(-1)
    otherwise = (f"your rollout's rows do not sum to 1 (they sum to between {sums.min():.3g} and {sums.max():.3g}): "
                 "every Â_l is row-stochastic, so is their product." if not close(sums, 1 + 0 * sums, rtol=ROLLOUT_RTOL)
                 else f"your rollout differs from Â_L ... Â_1 ({len(layers)} layers, add_residual={add_residual}).")
    diagnose(yours, expected, _ROLLOUT_PITFALLS[add_residual], (layers,), otherwise=otherwise, rtol=ROLLOUT_RTOL)


def _check_rollout(answer, *, seed=0, n_layers=3, n_heads=4, length=7, batch=2):
    try:
        _rollout_case(answer, HAND_LAYERS, True, expected=HAND_ROLLOUT)
        _rollout_case(answer, HAND_LAYERS, False, expected=HAND_PLAIN)
    except Incorrect as failure:
        raise Incorrect(f"on the two-layer example worked by hand in section 2: {failure}") from None
    # Peaked Dirichlet rows do not commute; the last two keys of example 0 are masked out (padding).
    rng = np.random.default_rng(seed)
    one, layers = (rng.dirichlet(np.full(length, 0.3), size=(n, batch, n_heads, length)) for n in (1, n_layers))
    layers[:, 0, :, :, -2:] = 0.0
    layers[:, 0] /= layers[:, 0].sum(-1, keepdims=True)
    try:
        _rollout_case(answer, list(one), True)
    except Incorrect as failure:
        raise Incorrect(f"with one layer the rollout must be the residual identity 0.5 * A + 0.5 * I: {failure}") from None
    _rollout_case(answer, list(layers), True, kind=lambda a: torch.as_tensor(a, dtype=torch.float32), container=tuple)
    _rollout_case(answer, list(layers), False)
    _rollout_case(answer, list(layers), True, kind=lambda a: a.astype(np.float32))


# --------------------------------------------------------------------------------------------
# Exercise 5.2: grad_weighted_attention


def _relu_mean(a, g, heads=np.mean):
    return heads(np.maximum(a * g, 0.0), axis=1)


def _gw_pitfalls(model, ids, target, mask):
    """The expected relevance and the pitfalls, from the model's attentions and their gradients (float64)."""
    logits, attentions = model(ids, None, return_attention=True)
    unmasked = _relu_mean(attentions[-1].detach().double().numpy(), _grads(logits, target, attentions[-1])["logit"])
    logits, attentions = model(ids, mask, return_attention=True)
    a, grads = attentions[-1].detach().double().numpy(), _grads(logits, target, attentions[-1])
    g = grads["logit"]
    layers = [_relu_mean(x.detach().double().numpy(), y.double().numpy()) for x, y in zip(
        attentions, torch.autograd.grad(logits.gather(1, _pick(target, len(ids))).sum(), attentions))]
    chained = np.eye(a.shape[-1])
    for layer in layers:
        chained = chained + layer @ chained
    row = (lambda m: m[:, 0])  # noqa: E731
    return row(_relu_mean(a, g)), [
        Pitfall("softmax", lambda: row(_relu_mean(a, grads["prob"])), "you differentiated the softmax probability; "
                "differentiate the target's LOGIT (before the softmax)."),
        Pitfall("negative part", lambda: row((a * g).mean(1)), "you kept the negative part: take max(0, A * dA) "
                "per head BEFORE the head mean."),
        Pitfall("absolute value", lambda: row(np.abs(a * g).mean(1)), "you took |A * dA|; keep the positive part "
                "max(0, A * dA): negative products count against the class."),
        Pitfall("mean, then positive part", lambda: row(np.maximum((a * g).mean(1), 0.0)), "you averaged the heads "
                "before the positive part: clamp each head first, then average."),
        Pitfall("max", lambda: row(_relu_mean(a, g, np.max)), "you took the max over heads; average them (MEAN)."),
        Pitfall("sum", lambda: row(_relu_mean(a, g, np.sum)), "you summed the heads; average them (MEAN)."),
        Pitfall("gradient alone", lambda: row(np.maximum(g, 0.0).mean(1)), "you used the gradient alone: weigh "
                "the attention BY its gradient, A * dA."),
        Pitfall("attention alone", lambda: row(a.mean(1)), "you returned the attention itself: multiply it by its "
                "gradient first."),
        Pitfall("column", lambda: _relu_mean(a, g)[:, :, 0], "you read the [CLS] COLUMN (how much each token "
                "attends to CLS); read the [CLS] ROW, what CLS attends to: [:, 0, :]."),
        Pitfall("first layer", lambda: row(layers[0]), "you used the first layer; this exercise uses the LAST one."),
        Pitfall("chained", lambda: row(chained), "you chained the layers (R <- R + Ā R); this exercise reads the "
                "last layer only."),
        Pitfall("predicted", lambda: row(_relu_mean(a, grads["predicted"])), "you explained the predicted class; "
                "explain `target` (an int for all texts, or one class per text)."),
        Pitfall("mask ignored", lambda: row(unmasked), "you ignored the `mask` argument: pass it to the model, "
                "model(ids, mask, return_attention=True)."),
    ]


def _check_gw(answer, *, seed=0, n_layers=2, n_heads=2, dim=16, length=9, batch=3, n_classes=3,
              dtype=torch.float32):
    def build():
        model = transformer.TinyTransformer(max_length=length, dim=dim, n_heads=n_heads, n_layers=n_layers,
                                            n_classes=n_classes)
        with torch.no_grad():
            for block in model.blocks:  # peaked attention rather than nearly uniform
                block.attention.qkv.weight.mul_(4.0)
        return model.to(dtype), torch.randint(text.MASK_ID + 1, len(text.VOCABULARY), (batch, length))
    model, ids = _seeded(seed, build)
    ids[:, 0], ids[1 % batch, length - 3:] = text.CLS_ID, text.PAD_ID
    with torch.no_grad():
        predicted = model(ids).argmax(1)
    custom = ids != text.PAD_ID
    custom[0, 2] = False  # one real word hidden: the mask differs from the one the ids imply
    for target, mask, training in [(int((predicted[0] + 1) % n_classes), None, False),
                                   ((predicted + 1 + torch.arange(batch) % (n_classes - 1)) % n_classes, None, True),
                                   (predicted.clone(), custom, False)]:
        model.train(training)
        result = call_model(answer, model, ids, target, **({} if mask is None else {"mask": mask}))
        yours = tensor_result(result, (batch, length), "your relevance")
        expected, pitfalls = _gw_pitfalls(model, ids, target, mask)
        what = ("an int target" if isinstance(target, int) else "one target per text") + (" and a mask" * (mask is not None))
        diagnose(yours, expected, pitfalls, otherwise=f"with {what}, your relevance differs from the mean over heads "
                 "of max(0, A * d logit / dA) at the last layer's [CLS] row.", rtol=GRAD_RTOL,
                 scale=float(np.abs(expected).max()) or 1.0)
    model.eval()


# --------------------------------------------------------------------------------------------
# Drill D3 (a): Grad-CAM on the ViT's patch tokens


def _cam_pitfalls(model, x, target, expected):
    kept = {}
    hooks = [model.blocks[0].tokens_in.register_forward_hook(lambda m, i, o: kept.update(first=o)),
             model.blocks[-1].tokens_in.register_forward_hook(lambda m, i, o: kept.update(last=o))]
    logits = model(x)
    for hook in hooks:
        hook.remove()
    grad, first_grad = _grads(logits, target, kept["last"]), _grads(logits, target, kept["first"])["logit"]
    tokens, first = kept["last"].detach().double().numpy(), kept["first"].detach().double().numpy()

    def cam(t, g, relu=True, pooled=True, cls=False):
        raw = ((g[:, 0 if cls else 1:].mean(1, keepdims=True) if pooled else g[:, 1:]) * t[:, 1:]).sum(-1)
        return (np.maximum(raw, 0.0) if relu else raw).reshape(len(x), *vit.GRID)

    lo, hi = expected.min((1, 2), keepdims=True), expected.max((1, 2), keepdims=True)
    return [
        Pitfall("no ReLU", lambda: cam(tokens, grad["logit"], relu=False), "your map has negative values: "
                "Grad-CAM keeps ReLU(sum_c w_c * token_c)."),
        Pitfall("not pooled", lambda: cam(tokens, grad["logit"], pooled=False), "you multiplied each token by its "
                "own gradient; Grad-CAM weighs channel c by the gradient AVERAGED over the 16 patch tokens."),
        Pitfall("CLS pooled", lambda: cam(tokens, grad["logit"], cls=True), "your channel weights average the "
                "gradient over 17 tokens: leave [CLS] (token 0) out."),
        Pitfall("transposed", lambda: np.swapaxes(expected, 1, 2), "your grid is transposed: patch token "
                "1 + 4 * row + col sits at (row, col); reshape the 16 tokens row by row."),
        Pitfall("softmax", lambda: cam(tokens, grad["prob"]), "you differentiated the softmax probability; "
                "differentiate the target's logit."),
        Pitfall("normalised", lambda: (expected - lo) / np.where(hi > lo, hi - lo, 1.0), "your maps are min-max "
                "normalised; return the raw ReLU map (torchcam's normalized=False)."),
        Pitfall("first block", lambda: cam(first, first_grad), "you hooked the first block; hook the input of "
                "the LAST block, model.blocks[-1]."),
        Pitfall("predicted", lambda: cam(tokens, grad["predicted"]), "you explained the predicted class; explain "
                "`target`."),
    ]


def _check_vit_grad_cam(answer, *, seed=0, n_images=5, dtype=torch.float32):
    x = torch.as_tensor(images.make_shapes(n_images, noise=vit.NOISE, random_state=300 + seed).images[:, None],
                        dtype=dtype)
    for pretrained, training in ((True, False), (False, True)):
        model = vit.load_vit() if pretrained else _seeded(seed, lambda: vit.TinyViT(n_layers=3))
        model = model.to(dtype).train(training)
        with torch.no_grad():
            predicted = model(x).argmax(1)
        shifted = (predicted + 1 + torch.arange(n_images) % (vit.N_CLASSES - 1)) % vit.N_CLASSES
        for target in ((predicted, shifted) if pretrained else (int(shifted[0]),)):
            result = call_model(answer, model, x, target)
            yours = tensor_result(result, (n_images, *vit.GRID), "your Grad-CAM")
            oracle = copy.deepcopy(model)
            with GradCAM(oracle, target_layer=oracle.blocks[-1].tokens_in, reshape_transform=vit.tokens_to_grid) as cam:
                expected = cam(_pick(target, n_images)[:, 0].tolist(), oracle(x), normalized=False)[0].double().numpy()
            if np.all(yours == 0) and expected.max() > 0:
                raise Incorrect("your maps are all zero: the head reads only [CLS], so the patch tokens LEAVING "
                                "the last block get no gradient. Hook the tokens ENTERING it (blocks[-1].tokens_in).")
            tolerance = {"rtol": GRAD_RTOL, "scale": float(np.abs(expected).max()) or 1.0}
            if not close(yours, expected, **tolerance):
                diagnose(yours, expected, _cam_pitfalls(model, x, target, expected), **tolerance, otherwise=(
                    f"on {'the shipped ViT' if pretrained else 'a random 3-block ViT'}, your maps differ from "
                    "torchcam's GradCAM on blocks[-1].tokens_in (reshape_transform=tokens_to_grid, normalized=False)."))


# --------------------------------------------------------------------------------------------
# Drill D3 (b) and (c): rollout from CLS, and the agreement of the two maps


def _check_d3_rollout(answer, *, random_state=0):
    setup = lib.d3_setup(random_state)
    with torch.no_grad():
        _, attentions = setup.model(setup.x, return_attention=True)
    layers, n = [a.double().numpy() for a in attentions], len(setup.x)
    yours, full = tensor_result(answer, (n, *vit.GRID), "d3_rollout"), _chain(layers)
    expected = full[:, 0, 1:].reshape(n, *vit.GRID)
    diagnose(yours, expected, [
        Pitfall("column", lambda: full[:, 1:, 0].reshape(n, *vit.GRID), "you read the [CLS] COLUMN; the map "
                "is the [CLS] ROW of the rollout (what flows INTO CLS), rollout[:, 0, 1:]."),
        Pitfall("transposed", lambda: np.swapaxes(expected, 1, 2), "your grid is transposed: reshape the 16 "
                "patch entries row by row (token 1 + 4 * row + col)."),
        Pitfall("no residual", lambda: _chain(layers, mix="plain")[:, 0, 1:].reshape(n, *vit.GRID), "you rolled "
                "out without the residual (add_residual=False); use the default."),
        Pitfall("last layer", lambda: layers[-1].mean(1)[:, 0, 1:].reshape(n, *vit.GRID), "you used the last "
                "layer's raw attention; roll out every layer."),
        Pitfall("renormalised", lambda: expected / expected.sum((1, 2), keepdims=True), "you renormalised the "
                "16 patch values; keep them as the rollout gives them."),
    ], otherwise="d3_rollout is not the [CLS] row of the rollout of d3_attentions, without [CLS], reshaped "
       "row by row to (n, 4, 4).", rtol=ROLLOUT_RTOL)
    return "your rollout maps match a recomputation from the drill's seed. This is the graded check."


_KEYS = ("spearman", "cam_mass", "rollout_mass", "chance")


def _matches(yours, variant, expected=None):
    """Without ``expected``: NaN exactly where ``variant`` has NaN, close elsewhere. With it (a mistake):
    close to ``variant`` where all three are numbers, while ``variant`` differs from ``expected`` there."""
    if expected is None:
        return (np.array_equal(np.isnan(yours), np.isnan(variant))
                and close(np.nan_to_num(yours), np.nan_to_num(variant), rtol=EXACT_RTOL))
    defined = ~(np.isnan(yours) | np.isnan(variant) | np.isnan(expected))
    return (defined.sum() > len(defined) // 2 and close(yours[defined], variant[defined], rtol=EXACT_RTOL)
            and not close(variant[defined], expected[defined], rtol=EXACT_RTOL))


def _agreement(cam, rollout, box, correlation=spearmanr, normalise=True):
    def mass(maps):
        total, inside = maps.sum(1), (maps * box).sum(1)
        return inside if not normalise else np.where(total > 0, inside / np.where(total > 0, total, 1.0), np.nan)
    rho = [np.nan if np.ptp(c) == 0 or np.ptp(r) == 0 else float(correlation(c, r)[0]) for c, r in zip(cam, rollout)]
    return {"spearman": np.array(rho), "cam_mass": mass(cam), "rollout_mass": mass(rollout), "chance": box.mean(1)}


def _check_d3_agreement(answer, *, random_state=0):
    evaluation = lib.d3_evaluation(random_state)
    n = len(evaluation.cam)
    cam, rollout, box = (np.asarray(a, dtype=float).reshape(n, -1) for a in evaluation[:3])
    if not isinstance(answer, dict) or set(answer) != set(_KEYS):
        raise Incorrect(f"d3_agreement should be a dict with exactly the keys {list(_KEYS)}.")
    expected, raw = _agreement(cam, rollout, box), _agreement(cam, rollout, box, normalise=False)
    share = "you summed the map over the box without dividing by the map's total: the mass is a share in [0, 1]."
    swapped, chance = "you swapped the Grad-CAM and rollout masses.", "chance is the SHARE of the 16 patches in the box."
    mistakes = {"spearman": [(_agreement(cam, rollout, box, pearsonr)["spearman"], "you computed Pearson's "
                              "correlation of the values; Spearman's correlates their RANKS (scipy.stats.spearmanr).")],
                "cam_mass": [(raw["cam_mass"], share), (expected["rollout_mass"], swapped)],
                "rollout_mass": [(raw["rollout_mass"], share), (expected["cam_mass"], swapped)],
                "chance": [(np.full(n, 1 / 16), chance), (box.sum(1), chance)]}
    for key in _KEYS:
        try:
            yours = np.array(answer[key].detach() if isinstance(answer[key], torch.Tensor) else answer[key], float)
        except (TypeError, ValueError):
            raise Incorrect(f"d3_agreement[{key!r}] should be a numeric array of shape ({n},).") from None
        if yours.shape != (n,):
            raise Incorrect(f"d3_agreement[{key!r}] should have shape ({n},), one value per image; yours: {yours.shape}.")
        if _matches(yours, expected[key]):
            continue
        for variant, message in mistakes[key]:
            if _matches(yours, variant, expected[key]):
                raise Incorrect(message)
        if not np.array_equal(np.isnan(yours), np.isnan(expected[key])):
            raise Incorrect(f"d3_agreement[{key!r}] has NaN in other places than expected: an all-zero Grad-CAM map "
                            "(and only such a map) has neither ranks nor a share of mass: put NaN there.")
        raise Incorrect(f"d3_agreement[{key!r}] differs from a recomputation from the reference maps.")
    return "your agreement numbers match a recomputation from the reference maps. This is the graded check."


# --------------------------------------------------------------------------------------------

_D3 = "Drill D3 · Grad-CAM vs rollout on a ViT"
CHAPTER = Chapter("05", [
    Exercise("attention_rollout", "5.1", "2. Attention rollout", _check_rollout, hints=[
        "For each layer: the head mean (axis 1), then Â = 0.5 * Ā + 0.5 * I (Ā alone if add_residual is False).",
        "Chain with later layers on the LEFT: R = Â_1, then R = Â_l @ R for l = 2..L (`@` works batch by batch).",
        "`np.asarray(layer, dtype=float)` converts arrays and detached tensors; never `+=` on the caller's arrays."]),
    Exercise("grad_weighted_attention", "5.2", "3. Gradient-weighted attention", _check_gw, hints=[
        "`logits, attentions = model(ids, mask, return_attention=True)`; score: the target logits, summed.",
        "`(grad,) = torch.autograd.grad(score, attentions[-1])` touches no parameter; then `(A * grad).clamp(min=0)` "
        "per head, `.mean(dim=1)` over heads, the [CLS] row `[:, 0]`.",
        "An int target: `torch.full((len(ids),), target)`; a tensor: use it as it is."], forbidden={"captum": "captum"}),
    Exercise("vit_grad_cam", "D3 (a)", _D3, _check_vit_grad_cam, heading="Grad-CAM on patch tokens", hints=[
        "A forward hook on `model.blocks[-1].tokens_in` keeps the tokens (batch, 17, dim) entering the last "
        "block; `torch.autograd.grad(score, tokens)` gives their gradient.",
        "Drop [CLS] (`[:, 1:]`), average the gradient over the 16 patch tokens for each channel, weigh the "
        "channels, sum them, ReLU, and `reshape(batch, 4, 4)`.",
        "Remove the hook (`handle.remove()`) before returning, even if something fails (try/finally)."],
        forbidden={"torchcam": "torchcam", "captum": "captum"}),
    Exercise("d3_rollout", "D3 (b)", _D3, _check_d3_rollout, heading="rollout from CLS", hints=[
        "`lib.attention_rollout(d3_attentions)` has shape (n, 17, 17); the map is row 0 without its "
        "entry 0, reshaped to (n, 4, 4)."]),
    Exercise("d3_agreement", "D3 (c)", _D3, _check_d3_agreement, heading="agreement", hints=[
        "Flatten each map to 16 values; `scipy.stats.spearmanr(a, b).statistic` per image, NaN when a map is constant.",
        "Mass on the box: `(m * box).sum() / m.sum()`, NaN when `m.sum() == 0`; chance: `box.mean()`."]),
    Exercise("d3_why", "D3 (d)", _D3, choice("ABCD"), heading="why", hints=[
        "What does each map depend on: the target class? the value vectors and MLPs? the tokens' "
        "content at the last block, after one block of mixing?"]),
])
__getattr__ = CHAPTER.attribute
__all__ = CHAPTER.names
