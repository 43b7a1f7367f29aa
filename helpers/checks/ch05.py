"""Checks for chapter 05: attention rollout, gradient-weighted attention, Grad-CAM on a ViT, drill D3.

Oracles: section 2's rollout by hand and the chain of head means on random attentions with padding;
autograd on the test beds of ``helpers.lib.ch05``; torchcam's ``GradCAM``; ``scipy.stats.spearmanr``.
Each pitfall is recomputed on the same inputs, so that a wrong answer is told which one it made.
"""

from __future__ import annotations

import copy

import numpy as np
import torch
from scipy.stats import kendalltau, pearsonr, spearmanr
from torchcam.methods import GradCAM

from helpers.data import images, text
from helpers.lib import ch05 as lib
from helpers.models import vit

from ._core import Chapter, Exercise, Incorrect, call, choice
from ._idioms import Pitfall, close, diagnose, inputs_unchanged, within
from ._torch import call_model, tensor_result

# Tolerances. Rollout: a product of L row-stochastic T x T float32 matrices is off by about L * T * 6e-8 at
# most (below 1e-7 measured, L <= 8, T <= 32); every pitfall moves an entry by > 5e-3: 1e-5 (entries in [0, 1]).
ROLLOUT_RTOL = 1e-5
# Gradients, relative to the largest |expected|: correct answers written otherwise (one example at a time,
# hooks, .backward() then zero_grad, einsum, float32 or float64 numpy; 14 styles) differ from the oracle by
# rounding only, at most 2.9e-6 of the scale (a float32 loop per text) over the graded cases and 21 more
# configurations. 5 x 2.9e-6 plus a floor of 1e-5, rounded up: 3e-5. Every named pitfall is off by at
# least 0.24 of the scale in some graded case.
GRAD_RTOL = 3e-5
# Masking effects, relative to the largest |logit| of the two runs: a correct answer that runs the texts one at
# a time, or both runs in one batch, differs by float32 rounding, at most 2.3e-7 of the scale measured (400
# texts); 5 x 2.3e-7 plus a floor of 1e-6, rounded up: 1e-5. Every named pitfall moves some effect by > 0.05.
MASK_RTOL = 1e-5
EXACT_RTOL = 1e-6  # D3 (c): ranks, shares and correlations of the same reference maps, in float64

# The mistakes made in choosing what to differentiate, and what each message says.
_PROB = "you differentiated the softmax probability (or its log); differentiate the target's LOGIT."
_SCORES = {"prob": _PROB, "log": _PROB, "mean": "you AVERAGED the target logits over the batch: SUM them.",
           "predicted": "you explained the predicted class; explain `target` (an int, or one class per example).",
           "first": "you explained the first example's target for every example: example i's class is target[i].",
           "pairs": "`logits[:, target]` with one target per example is a batch x batch matrix: take one logit "
                    "per example, `logits.gather(1, target[:, None])`."}


def _grads(logits, target, wrt):
    """d score / d each of ``wrt`` (float64 arrays) for the summed target logits (``logit``) and ``_SCORES``."""
    pick = torch.as_tensor(target).reshape(-1).expand(len(logits))[:, None]
    chosen = logits.gather(1, pick)
    scores = {"logit": chosen.sum(), "prob": logits.softmax(1).gather(1, pick).sum(), "mean": chosen.mean(),
              "log": logits.log_softmax(1).gather(1, pick).sum(), "predicted": logits.max(1).values.sum(),
              "first": logits[:, pick[0, 0]].sum(), "pairs": logits[:, pick[:, 0]].sum()}
    return {k: [g.double().numpy() for g in torch.autograd.grad(s, wrt, retain_graph=True)] for k, s in scores.items()}


def _compare(result, shape, what, expected, pitfalls, otherwise, scaled, zero=None):
    """The answer's ``result`` (detached, of ``shape``) against ``expected`` at GRAD_RTOL of its largest value:
    named by ``zero`` if exactly 0, by the first pitfall it matches, as a constant multiple (``scaled``)."""
    yours = tensor_result(result, shape, what, detached=True)
    if zero and not yours.any() and expected.any():
        raise Incorrect(zero)
    ratio = float((yours * expected).sum() / ((expected ** 2).sum() or 1.0))
    pitfalls.append(Pitfall("scaled", lambda: ratio * expected, scaled.format(ratio)))
    diagnose(yours, expected, pitfalls, otherwise=otherwise, rtol=GRAD_RTOL, scale=float(np.abs(expected).max()) or 1)


def _pristine(model):
    """A deep copy of ``model`` taken BEFORE the answer runs: the oracle is computed on it afterwards."""
    return copy.deepcopy(model)


def _model_unchanged(model, pristine):
    """Incorrect if the answer wrote to the model's parameters or buffers (compared with the copy taken before)."""
    for kind, mine, before in (("weights", model.named_parameters(), pristine.named_parameters()),
                               ("buffers", model.named_buffers(), pristine.named_buffers())):
        mine, before = dict(mine), dict(before)
        if list(mine) != list(before):
            raise Incorrect(f"your function added or removed some of the model's {kind}: leave the model as it is; "
                            "work on `copy.deepcopy(model)` if you must.")
        for name, value in mine.items():
            kept = before[name]
            if value.shape != kept.shape or not torch.equal(value.detach(), kept.detach()):
                raise Incorrect(f"your function changed the model's {kind} (`{name}`, written, zeroed or updated in "
                                "place): an explanation reads the model, it never changes it; work on "
                                "`copy.deepcopy(model)` if you must.")


# Exercise 5.1: attention_rollout

# Section 2's worked example (lib.HAND_LAYERS: two layers of two heads over three tokens), by hand.
HAND_ROLLOUT = np.array([[[0.25, 0.125, 0.625], [0.375, 0.375, 0.25], [0.25, 0.1875, 0.5625]]])
HAND_PLAIN = np.array([[[0.0, 0.0, 1.0], [0.5, 0.0, 0.5], [0.5, 0.25, 0.25]]])


def _chain(layers, combine="mean", mix="half", order="left"):
    """Rollout, heads by mean/max/sum, residual: ``half`` (A + I) / 2, ``plain``, ``plus`` A + I, ``rows``."""
    result = None
    for layer in layers:
        a = getattr(np, combine)(layer, axis=1)
        a = a if mix == "plain" else a + np.eye(a.shape[-1])
        a = a / 2 if mix == "half" else a / a.sum(-1, keepdims=True) if mix == "rows" else a
        result = a if result is None else (a @ result if order == "left" else result @ a)
    return result


def _product(mixings):
    """``M_L ... M_1`` of (batch, T, T) matrices, first layer first."""
    result = mixings[0]
    for m in mixings[1:]:
        result = m @ result
    return result


def _residual(a, residual=True):
    return 0.5 * a + 0.5 * np.eye(a.shape[-1]) if residual else a


_TRANSPOSED = ("you transposed the attention: entry [b, h, i, j] is what query token i (a row) takes from key token "
               "j (a column), so each layer's ROWS sum to 1; use the layers as they are (no .T, swapaxes or "
               "'bhji' in an einsum).")


def _rollout_pitfalls(residual):
    mix = "half" if residual else "plain"
    named = [(lambda ls: _chain(ls, mix=mix, order="right"), "your chain is in the wrong order: later layers "
              "multiply on the LEFT, A_rollout = Â_L ... Â_2 Â_1."),
             (lambda ls: np.swapaxes(_chain(ls, mix=mix), -1, -2), "your rollout is transposed: entry (i, j) is the "
              "share of token i's output that comes from token j, so its ROWS sum to 1 (return R, not R.T)."),
             (lambda ls: _product([np.swapaxes(_residual(x.mean(1), residual), -1, -2) for x in ls]), _TRANSPOSED),
             (lambda ls: _product([_residual(np.swapaxes(x, -1, -2).mean(1), residual) for x in ls]), _TRANSPOSED),
             (lambda ls: _chain(ls[-1:], mix=mix), "you used the last layer only: chain EVERY layer."),
             (lambda ls: _chain(ls[:1], mix=mix), "you used the first layer only: chain EVERY layer."),
             (lambda ls: np.mean([_product([_residual(x[:, h], residual) for x in ls]) for h in range(ls[0].shape[1])],
                                 axis=0), "you rolled out each head on its own and averaged the chains: average the "
              "heads of EACH layer first (Ā_l), then chain the head means.")]
    named += [(lambda ls: _chain(ls, mix="plain"), "you left the residual out: each layer is 0.5 * A + 0.5 * I."),
              (lambda ls: _chain(ls, mix="plus"), "you added the identity but did not renormalise: (A + I) / 2."),
              (lambda ls: _residual(_chain(ls, mix="plain")), "you added the identity once, after the product: the "
               "residual is in EVERY layer, Â_l = 0.5 * Ā_l + 0.5 * I, and the chain multiplies the Â_l."),
              (lambda ls: _product([(x.mean(1) + np.eye(x.shape[-1])) / (x.mean(1) + np.eye(x.shape[-1])).sum(
                  -2, keepdims=True) for x in ls]), "you renormalised the COLUMNS of Ā + I: rows are the queries, "
               "so divide each ROW by its sum (which gives 0.5 * Ā + 0.5 * I).")
              ] if residual else [(lambda ls: _chain(ls), "with add_residual=False, leave the identity out.")]
    for how, said in (("max", "you took the max over heads"), ("sum", "you summed the heads")):
        named += [(lambda ls, h=how, m=m: _chain(ls, h, m), f"{said}; rollout averages them (the MEAN).")
                  for m in (mix, "rows")]
    named += [(lambda ls: _product([_residual(m / m.sum(-1, keepdims=True), residual) for m in (x.max(1) for x in ls)]),
               "you took the max over heads (and renormalised the rows); rollout averages them (the MEAN). "
               "Section 2's example cannot tell them apart: its heads are one-hot.")]
    return [Pitfall(message[:20] + str(k), compute, message) for k, (compute, message) in enumerate(named)]


def _plural(n, noun):
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _rollout_case(answer, layers, add_residual, *, hand=False, kind=np.asarray, container=list):
    given = container(kind(np.array(layer, copy=True)) for layer in layers)
    batch, _, length, _ = layers[0].shape
    with inputs_unchanged(**{f"attentions[{k}]": layer for k, layer in enumerate(given)}):
        result = call(answer, given, add_residual=add_residual)
    yours = tensor_result(result, (batch, length, length), "your rollout")
    expected = ((HAND_ROLLOUT if add_residual else HAND_PLAIN) if hand  # computed after the answer returned
                else _chain(layers, mix="half" if add_residual else "plain"))
    sums = yours.sum(-1)
    otherwise = (f"your rollout's rows sum to between {sums.min():.6g} and {sums.max():.6g}, not 1: every Â_l is "
                 "row-stochastic, so is their product." if not close(sums, 1 + 0 * sums, rtol=ROLLOUT_RTOL)
                 else f"your rollout differs from Â_L ... Â_1 ({_plural(len(layers), 'layer')}, "
                      f"add_residual={add_residual}).")
    diagnose(yours, expected, _rollout_pitfalls(add_residual), (layers,), otherwise=otherwise, rtol=ROLLOUT_RTOL)


def _check_rollout(answer, *, seed=0, n_layers=3, n_heads=4, length=7, batch=2):
    hand = [np.array(layer, dtype=float) for layer in lib.HAND_LAYERS]
    with within("on the two-layer example worked by hand in section 2"):
        _rollout_case(answer, hand, True, hand=True)
        _rollout_case(answer, hand, False, hand=True)
    with within("with one layer the rollout must be 0.5 * A + 0.5 * I"):
        _rollout_case(answer, list(lib.random_attentions(seed + 1, 1, batch, n_heads, length)), True)
    layers = list(lib.random_attentions(seed, n_layers, batch, n_heads, length))  # example 0 has padding
    _rollout_case(answer, layers, True, kind=lambda a: torch.as_tensor(a, dtype=torch.float32), container=tuple)
    _rollout_case(answer, layers, False)
    _rollout_case(answer, layers, True, kind=lambda a: a.astype(np.float32))


# Exercise 5.2: grad_weighted_attention


def _gw_pitfalls(model, ids, target, mask):
    """The expected relevance and the pitfalls, from the model's attentions and their gradients (float64)."""
    logits, attentions = model(ids, None, return_attention=True)
    unmasked = _grads(logits, target, attentions[-1:])["logit"][0] * attentions[-1].detach().double().numpy()
    logits, attentions = model(ids, mask, return_attention=True)
    a, grads = [x.detach().double().numpy() for x in attentions], _grads(logits, target, attentions)
    g, relu = grads["logit"][-1], (lambda p: np.maximum(p, 0.0))
    row = (lambda p, heads=np.mean, at=np.s_[:, 0]: heads(p, axis=1)[at])  # noqa: E731 (head mean, [CLS] row)
    chained = np.eye(a[-1].shape[-1])
    for x, y in zip(a, grads["logit"]):
        chained = chained + relu(x * y).mean(1) @ chained
    return row(relu(a[-1] * g)), [
        Pitfall("negative", lambda: row(a[-1] * g), "you kept the negative part: max(0, A * dA) per head."),
        Pitfall("abs", lambda: row(np.abs(a[-1] * g)), "you took |A * dA|; keep the positive part, max(0, A * dA)."),
        Pitfall("late", lambda: relu(row(a[-1] * g)), "you averaged the heads before the positive part."),
        Pitfall("max", lambda: row(relu(a[-1] * g), np.max), "you took the max over heads; average them (MEAN)."),
        Pitfall("sum", lambda: row(relu(a[-1] * g), np.sum), "you summed the heads; average them (MEAN)."),
        Pitfall("gradient", lambda: row(relu(g)), "you used the gradient alone: weigh the attention BY it, A * dA."),
        Pitfall("attention", lambda: row(a[-1]), "you returned the attention itself: multiply it by its gradient."),
        Pitfall("column", lambda: row(relu(a[-1] * g), at=np.s_[:, :, 0]), "you read the [CLS] COLUMN, not its ROW."),
        Pitfall("chained", lambda: chained[:, 0], "you chained the layers (R <- R + Ā R): use the last one only."),
        Pitfall("mask", lambda: row(relu(unmasked)), "you ignored `mask`: model(ids, mask, return_attention=True)."),
    ] + [Pitfall(f"layer {k}", lambda k=k: row(relu(a[k] * grads["logit"][k])), f"you used layer {k + 1} of "
                 f"{len(a)}; use the LAST one, attentions[-1].") for k in range(len(a) - 1)] + [
        Pitfall(k, lambda k=k: row(relu(a[-1] * grads[k][-1])), m) for k, m in _SCORES.items()]


def _check_gw(answer, *, seed=0, n_layers=2, n_heads=2, dim=16, length=9, batch=3, n_classes=3,
              dtype=torch.float32):
    model = lib.random_transformer(seed, max_length=length, dim=dim, n_heads=n_heads, n_layers=n_layers,
                                   n_classes=n_classes, dtype=dtype)
    ids = lib.random_texts(seed, batch, length)
    with torch.no_grad():
        predicted = model(ids).argmax(1)
    custom = ids != text.PAD_ID
    custom[0, 2] = False  # one real word hidden: the mask differs from the one the ids imply
    for target, mask, training, what in [
            (int((predicted[0] + 1) % n_classes), None, False, "an int target"),
            ((predicted + 1 + torch.arange(batch) % (n_classes - 1)) % n_classes, None, True, "one target per text"),
            (predicted.clone(), custom, False, "a mask")]:
        model.train(training)
        pristine = _pristine(model)
        with within(f"with {what}"):
            result = call_model(answer, model, ids, target, **({} if mask is None else {"mask": mask}))
            _model_unchanged(model, pristine)
            _compare(result, (batch, length), "your relevance", *_gw_pitfalls(pristine, ids, target, mask),
                     "your relevance differs from the head mean of max(0, A * d logit / dA), last layer, [CLS] row.",
                     "your relevance is {:.3g} times the right one: average the heads (divide by "
                     "attention.shape[1]), sum the target logits over the texts, read the [CLS] row only.")
    model.eval()


# Exercise 5.3: masking_effect


def _masking_pitfalls(model, ids, where, target, mask):
    """The expected effect and the pitfalls, from two forward passes of the pristine model (float64 out)."""
    pick = torch.as_tensor(target).reshape(-1).expand(len(ids))[:, None]
    words = (ids != text.PAD_ID) & (ids != text.CLS_ID)

    def run(i, m=mask, score="logit", column=pick):
        with torch.no_grad():
            out = model(i, m)
        out = {"logit": out, "prob": out.softmax(1), "log": out.log_softmax(1)}[score]
        return out.gather(1, column)[:, 0].double().numpy()

    masked, padded = (ids.masked_fill(where, token) for token in (text.MASK_ID, text.PAD_ID))
    before, after = run(ids), run(masked)
    expected, unmasked = before - after, mask is None or bool(torch.equal(mask, ids != text.PAD_ID))
    prob = "you compared probabilities (or log-probabilities): the effect is the change of the target's LOGIT."
    with torch.no_grad():
        top = model(ids, mask).argmax(1)[:, None]
    return expected, max(np.abs(before).max(), np.abs(after).max()), [
        Pitfall("reversed", lambda: -expected, "you subtracted the other way round: the effect is "
                "logit_t(original) - logit_t(masked), positive when the masked words supported the target."),
        Pitfall("abs", lambda: np.abs(expected), "you took the absolute value: keep the sign (a negative effect "
                "means that masking RAISES the target's logit)."),
        Pitfall("after", lambda: after, "you returned the masked texts' logit: return the CHANGE, "
                "logit_t(original) - logit_t(masked)."),
        Pitfall("before", lambda: before, "you returned the original logit: return the CHANGE, "
                "logit_t(original) - logit_t(masked)."),
        Pitfall("prob", lambda: run(ids, score="prob") - run(masked, score="prob"), prob),
        Pitfall("log", lambda: run(ids, score="log") - run(masked, score="log"), prob),
        Pitfall("removed", lambda: before - run(padded, (ids != text.PAD_ID) & ~where if mask is None else mask & ~where),
                "you removed the words (replaced them by [PAD], which the mask then hides from the attention): "
                "this intervention REPLACES them by [MASK] (`transformer.MASK_ID`) and keeps `mask` as it is."),
        Pitfall("pad", lambda: before - run(padded), "you replaced the words by [PAD]; replace them by [MASK] "
                "(`transformer.MASK_ID`), the token the model saw in training in place of a word."),
        Pitfall("mask", lambda: run(ids, None) - run(masked, None), "you ignored `mask`: pass it to the model in "
                "BOTH runs, model(ids, mask) and model(masked_ids, mask).") if not unmasked else None,
        Pitfall("mask once", lambda: before - run(masked, None), "you passed `mask` to the first run only: pass "
                "it to the model in BOTH runs.") if not unmasked else None,
        Pitfall("mask once", lambda: run(ids, None) - after, "you passed `mask` to the masked run only: pass it to "
                "the model in BOTH runs.") if not unmasked else None,
        Pitfall("others", lambda: before - run(ids.masked_fill(words & ~where, text.MASK_ID)), "you masked every "
                "word EXCEPT those at `where`: replace the tokens where `where` is True."),
        Pitfall("predicted", lambda: run(ids, column=top) - run(masked, column=top), "you used the predicted class; "
                "use `target` (an int, or one class per text)."),
        Pitfall("first", lambda: run(ids, column=pick[:1].expand_as(pick)) - run(masked, column=pick[:1].expand_as(pick)),
                _SCORES["first"]),
    ]


def _masking_case(answer, model, ids, where, target, mask, what):
    pristine, before = _pristine(model), where.clone()
    with within(what):
        with inputs_unchanged(**({} if mask is None else {"mask": mask})):
            result = call_model(answer, model, ids, where, target, **({} if mask is None else {"mask": mask}))
        if not torch.equal(where, before):
            raise Incorrect("your function changed the caller's `where` in place: work on a copy.")
        _model_unchanged(model, pristine)
        yours = tensor_result(result, (len(ids),), "your effect", detached=True)
        expected, scale, pitfalls = _masking_pitfalls(pristine, ids, where, target, mask)
        diagnose(yours, expected, [p for p in pitfalls if p is not None], otherwise="your effect differs from "
                 "logit_t(ids) - logit_t(ids with [MASK] at `where`), both runs with `mask`.", rtol=MASK_RTOL,
                 scale=scale)


def _check_masking(answer, *, seed=0, n_layers=2, n_heads=2, dim=16, length=9, batch=4, n_classes=3, decoy=False):
    if decoy:  # section 4.3's decoy: its head reads the decoy word, whose effect is exactly 0
        setup = lib.decoy_setup(seed, n_texts=batch)
        for where, what in ((setup.decoy, "on the decoy model, masking the decoy word"),
                            (setup.cue, "on the decoy model, masking the cue")):
            _masking_case(answer, setup.model, setup.ids, where, setup.labels, setup.mask, what)
        return "masking the decoy word changes nothing, masking the cue does: your intervention sees it."
    model = lib.random_transformer(seed, max_length=length, dim=dim, n_heads=n_heads, n_layers=n_layers,
                                   n_classes=n_classes).eval()
    ids = lib.random_texts(seed, batch, length)
    where = lib.random_positions(seed, ids)
    with torch.no_grad():
        predicted = model(ids).argmax(1)
    custom = ids != text.PAD_ID
    custom[0, 2] = False  # one real word hidden: the mask differs from the one the ids imply
    for target, mask, training, what in [
            (int((predicted[0] + 1) % n_classes), None, False, "with an int target"),
            ((predicted + 1 + torch.arange(batch) % (n_classes - 1)) % n_classes, None, True, "with one target per text"),
            (predicted.clone(), custom, False, "with a mask")]:
        model.train(training)
        _masking_case(answer, model, ids, where, target, mask, what)
    model.eval()


# Drill D3 (a): Grad-CAM on the ViT's patch tokens


def _cam(t, g, *, weights=None, part="after", tokens=slice(1, None)):
    """Grad-CAM variants from tokens ``t`` and gradients ``g`` (batch, 17, dim): channel ``weights``
    (default: the gradient's mean over the patch tokens); the positive ``part`` taken ``after`` the sum
    over channels, ``before`` it, ``abs`` or ``none``; the patch ``tokens`` kept."""
    w = g[:, tokens].mean(1, keepdims=True) if weights is None else weights
    raw = (np.maximum(w * t[:, tokens], 0.0) if part == "before" else w * t[:, tokens]).sum(-1)
    return {"after": np.maximum(raw, 0.0), "abs": np.abs(raw)}.get(part, raw).reshape(len(t), *vit.GRID)


def _cam_pitfalls(model, x, target, expected):
    hooked = [block.tokens_in for block in model.blocks] + [model.blocks[-1].norm1]
    kept = [None] * len(hooked)
    hooks = [m.register_forward_hook(lambda m, i, o, k=k: kept.__setitem__(k, o)) for k, m in enumerate(hooked)]
    try:
        logits = model(x)
    finally:
        for hook in hooks:
            hook.remove()
    grads, tokens = _grads(logits, target, kept), [t.detach().double().numpy() for t in kept]
    t, g, n_blocks = tokens[-2], grads["logit"][-2], len(model.blocks)
    lo, hi = expected.min((1, 2), keepdims=True), expected.max((1, 2), keepdims=True)
    total = expected.sum((1, 2), keepdims=True)
    relu = "Grad-CAM is ReLU(sum_c w_c * token_c), the positive part AFTER the sum over channels."
    return [
        Pitfall("no ReLU", lambda: _cam(t, g, part="none"), "your map has negative values: " + relu),
        Pitfall("ReLU before", lambda: _cam(t, g, part="before"), "you applied the ReLU channel by channel: " + relu),
        Pitfall("abs", lambda: _cam(t, g, part="abs"), "you took the absolute value: " + relu),
        Pitfall("not pooled", lambda: _cam(t, g, weights=g[:, 1:]), "you weighed each token by its own gradient."),
        Pitfall("CLS pooled", lambda: _cam(t, g, weights=g.mean(1, keepdims=True)), "you averaged over [CLS] too."),
        Pitfall("batch", lambda: _cam(t, g, weights=g[:, 1:].mean((0, 1), keepdims=True)), "you averaged over images."),
        Pitfall("last", lambda: _cam(t, g, tokens=slice(0, -1)), "you dropped the last patch, not [CLS] (token 0)."),
        Pitfall("transposed", lambda: np.swapaxes(expected, 1, 2), "your grid is transposed: reshape row by row."),
        Pitfall("max-normalised", lambda: expected / np.where(hi > 0, hi, 1.0), "you divided each map by its maximum: "
                "return Grad-CAM's values as they are, not normalised (torchcam's normalized=False)."),
        Pitfall("sum-normalised", lambda: expected / np.where(total > 0, total, 1.0), "you divided each map by its "
                "sum: return Grad-CAM's values as they are, not normalised (torchcam's normalized=False)."),
        Pitfall("normalised", lambda: (expected - lo) / np.where(hi > lo, hi - lo, 1.0), "you min-max normalised "
                "each map: return Grad-CAM's values as they are, not normalised (torchcam's normalized=False)."),
        Pitfall("norm1", lambda: _cam(tokens[-1], grads["logit"][-1]), "you hooked norm1: hook blocks[-1].tokens_in."),
    ] + [Pitfall(f"block {k}", lambda k=k: _cam(tokens[k], grads["logit"][k]), f"you hooked block {k + 1} of "
                 f"{n_blocks}; hook the LAST block's input, model.blocks[-1].") for k in range(n_blocks - 1)] + [
        Pitfall(k, lambda k=k: _cam(t, grads[k][-2]), m) for k, m in _SCORES.items()]


def _check_vit_grad_cam(answer, *, seed=0, n_images=5, dtype=torch.float32):
    x = torch.as_tensor(images.make_shapes(n_images, noise=vit.NOISE, random_state=300 + seed).images[:, None],
                        dtype=dtype)
    for pretrained, training in ((True, False), (False, True)):
        model = (vit.load_vit() if pretrained else lib.random_vit(seed, n_layers=3)).to(dtype).train(training)
        with torch.no_grad():
            predicted = model(x).argmax(1)
        shifted = (predicted + 1 + torch.arange(n_images) % (vit.N_CLASSES - 1)) % vit.N_CLASSES
        for target in ((predicted, shifted) if pretrained else (int(shifted[0]),)):
            pristine = _pristine(model)
            with within("on the shipped ViT" if pretrained else "on a random 3-block ViT in train mode"):
                result = call_model(answer, model, x, target)
                _model_unchanged(model, pristine)
                oracle = copy.deepcopy(pristine)
                with GradCAM(oracle, oracle.blocks[-1].tokens_in, reshape_transform=vit.tokens_to_grid) as cam:
                    classes = torch.as_tensor(target).reshape(-1).expand(n_images).tolist()
                    expected = cam(classes, oracle(x), normalized=False)[0].double().numpy()
                _compare(result, (n_images, *vit.GRID), "your Grad-CAM", expected,
                         _cam_pitfalls(pristine, x, target, expected), "your maps differ from "
                         "torchcam's GradCAM on blocks[-1].tokens_in (reshape_transform=tokens_to_grid, "
                         "normalized=False).", "your maps are {:.3g} times Grad-CAM's: the channel weights are "
                         "the gradient's MEAN.", zero="your maps are all zero: the patch tokens LEAVING the last block "
                         "get no gradient (the head reads [CLS] only). Hook those ENTERING it, blocks[-1].tokens_in.")


# Drill D3 (b) and (c): rollout from CLS, and the agreement of the two maps


def _check_d3_rollout(answer, *, random_state=0):
    setup = lib.d3_setup(random_state)
    with torch.no_grad():
        _, attentions = setup.model(setup.x, return_attention=True)
    layers, n = [a.double().numpy() for a in attentions], len(setup.x)
    yours, full = tensor_result(answer, (n, *vit.GRID), "d3_rollout"), _chain(layers)
    grid = (lambda matrix, at=np.s_[:, 0, 1:]: matrix[at].reshape(n, *vit.GRID))  # noqa: E731
    expected = grid(full)
    fits = [np.polyfit(e, y, 1) for e, y in zip(expected.reshape(n, -1), yours.reshape(n, -1))]  # a * map + b
    diagnose(yours, expected, [
        Pitfall("column", lambda: grid(full, np.s_[:, 1:, 0]), "you read the [CLS] COLUMN, not its ROW."),
        Pitfall("last", lambda: grid(full, np.s_[:, 0, :-1]), "you dropped the last patch, not [CLS] (entry 0)."),
        Pitfall("transposed", lambda: np.swapaxes(expected, 1, 2), "your grid is transposed: reshape row by row."),
    ] + [Pitfall(p.name, lambda p=p: grid(p.compute(layers)), p.message) for p in _rollout_pitfalls(True)] + [
        Pitfall(f"layer {k}", lambda m=layer: grid(m.mean(1)), f"you used layer {k + 1}'s raw attention; roll "
                "out every layer.") for k, layer in enumerate(layers)] + [
        Pitfall("rescaled", lambda: np.stack([a * e + b for (a, b), e in zip(fits, expected)]), "you rescaled each "
                "map (by its sum or maximum, or min-max); keep the values as the rollout gives them."),
    ], otherwise="d3_rollout is not the [CLS] row of the rollout of d3_attentions, without [CLS], reshaped "
       "row by row to (n, 4, 4).", rtol=ROLLOUT_RTOL)
    return "your rollout maps match a recomputation from the drill's seed. This is the graded check."


_KEYS = ("spearman", "cam_mass", "rollout_mass", "chance")


def _ratio(a, b):
    with np.errstate(divide="ignore", invalid="ignore"):
        return a / b


def _agreement(cam, rollout, box, correlation=spearmanr, normalise=True):
    """D3 (c)'s values; ``normalise``: True (a share), False (the sum on the box), ``"ratio"`` (box / outside)."""
    def mass(maps):
        total, inside = maps.sum(1), (maps * box).sum(1)
        if normalise == "ratio":
            return np.where(total > 0, _ratio(inside, total - inside), np.nan)
        return inside if not normalise else np.where(total > 0, inside / np.where(total > 0, total, 1.0), np.nan)
    rho = [np.nan if np.ptp(c) == 0 or np.ptp(r) == 0 else float(correlation(c, r)[0]) for c, r in zip(cam, rollout)]
    return {"spearman": np.array(rho), "cam_mass": mass(cam), "rollout_mass": mass(rollout), "chance": box.mean(1)}


def _check_d3_agreement(answer, *, random_state=0):
    evaluation = lib.d3_evaluation(random_state)
    n = len(evaluation.cam)
    cam, rollout, box = (np.asarray(a, dtype=float).reshape(n, -1) for a in evaluation[:3])
    if not isinstance(answer, dict) or set(answer) != set(_KEYS):
        raise Incorrect(f"d3_agreement should be a dict with exactly the keys {list(_KEYS)}.")
    expected, order = _agreement(cam, rollout, box), "you flattened the maps and the box in different orders."
    t, both = (lambda m: m.reshape(n, 4, 4).transpose(0, 2, 1).reshape(n, -1)), {"cam_mass", "rollout_mass"}
    ties = np.array([len(np.unique(c)) < c.size or len(np.unique(r)) < r.size for c, r in zip(cam, rollout)])
    mistakes = [  # (values, the keys they concern, message)
        (_agreement(cam, rollout, box, pearsonr), {"spearman"}, "you computed Pearson's correlation of the values; "
         "Spearman's correlates their RANKS."),
        (_agreement(cam, rollout, box, kendalltau), {"spearman"}, "you computed Kendall's tau, not Spearman's rho."),
        (_agreement(cam, t(rollout), box), {"spearman", "rollout_mass"}, order),
        (_agreement(cam, rollout, t(box)), both, order),
        (_agreement(cam, rollout, box, normalise=False), both, "you summed the map over the box without dividing "
         "by the map's total: the mass is a share in [0, 1]."),
        (_agreement(cam, rollout, box, normalise="ratio"), both, "you divided the mass on the box by the mass "
         "OUTSIDE it (a ratio): the share divides by the map's TOTAL, so it lies in [0, 1]."),
        ({"chance": _ratio(box.sum(1), box.shape[1] - box.sum(1))}, {"chance"}, "you divided the box's patches by the "
         "patches OUTSIDE it (a ratio): chance is the SHARE of the 16 patches in the box."),
        ({"spearman": np.full(n, spearmanr(cam.ravel(), rollout.ravel())[0])}, {"spearman"}, "you computed one "
         "correlation pooled over all the images' patches: compute Spearman's rho image by image, one per image."),
        ({"cam_mass": expected["rollout_mass"], "rollout_mass": expected["cam_mass"]}, both, "you swapped the masses."),
        ({k: np.nan_to_num(v) for k, v in expected.items()}, set(_KEYS), "an all-zero Grad-CAM map has neither "
         "ranks nor a share of mass: put NaN there (and only there)."),
    ] + [({"chance": c}, {"chance"}, "chance is the SHARE of each image's 16 patches in its box.")
         for c in (np.full(n, 1 / 16), box.sum(1), np.full(n, box.mean()))]
    sentinel = (lambda v: np.where(np.isfinite(v), v, -9.0))  # noqa: E731 (outside every range: NaN must match)
    for key in _KEYS:
        try:
            yours = np.array(answer[key].detach() if isinstance(answer[key], torch.Tensor) else answer[key], float)
        except (TypeError, ValueError):
            raise Incorrect(f"d3_agreement[{key!r}] should be a numeric array of shape ({n},).") from None
        if yours.shape != (n,):
            raise Incorrect(f"d3_agreement[{key!r}] should have shape ({n},), one value per image, not {yours.shape}.")
        nan = "" if np.array_equal(np.isnan(yours), np.isnan(expected[key])) else " (NaN elsewhere than expected)"
        holes = np.isnan(yours) if np.isnan(yours).mean() < 0.5 else False  # name mistakes where yours is defined
        diagnose(sentinel(yours), sentinel(expected[key]), [
            Pitfall(message[:20], lambda v=values, k=key, h=holes: sentinel(np.where(h, np.nan, v[k])), message)
            for values, keys, message in mistakes if key in keys] + [
            Pitfall("ties", lambda y=yours: sentinel(np.where(ties, y, expected["spearman"])), "you broke ties between "
                    "equal values (ReLU zeros): Spearman gives them their AVERAGE rank.")] * (key == "spearman"),
            otherwise=f"d3_agreement[{key!r}] differs from a recomputation from the reference maps{nan}.",
            rtol=EXACT_RTOL)
    return "your agreement numbers match a recomputation from the reference maps. This is the graded check."


_D3 = "Drill D3 · Grad-CAM vs rollout on a ViT"
CHAPTER = Chapter("05", [
    Exercise("attention_rollout", "5.1", "2. Attention rollout", _check_rollout, hints=[
        "Work layer by layer: reduce the heads first, then account for the residual, then chain. Section 2's "
        "example worked by hand is the check's first case: reproduce Â_1 and Â_2 on paper.",
        "Each layer: the head mean over axis 1 gives Ā (batch, T, T); with add_residual, Â = 0.5 * Ā + 0.5 * I. "
        "The chain starts from Â_1 and multiplies each later layer on the LEFT (`@` works batch by batch).",
        "Outline: convert each layer to a float array (never modify the caller's); head mean; residual if asked; "
        "R = Â_1, then R = Â_l @ R for l = 2..L; return R of shape (batch, T, T)."]),
    Exercise("grad_weighted_attention", "5.2", "3. Gradient-weighted attention", _check_gw, hints=[
        "You need two things from one forward pass: the last layer's attention and the target logits. The "
        "gradient is taken with respect to that attention tensor, not the parameters.",
        "Run `model(ids, mask, return_attention=True)`, pick one logit per text (`gather` with a column of "
        "targets; an int target is the same class for every text), sum them, and differentiate the sum with "
        "`torch.autograd.grad` with respect to `attentions[-1]`.",
        "Outline: product of the attention and its gradient; positive part per head; mean over heads (axis 1); "
        "row 0 ([CLS]); detach. Leave the model's mode, its parameters and `ids` alone."],
        forbidden={"captum": "captum"}),
    Exercise("masking_effect", "5.3", "4.1 Which words does the model use?", _check_masking, hints=[
        "An intervention runs the model twice, on the texts as they are and on copies with some tokens "
        "replaced, and compares one number: the target's logit.",
        "Build the copy with `masked_fill` (never write into `ids`), using `transformer.MASK_ID` where `where` is "
        "True; run both under `torch.no_grad()` with the SAME `mask`.",
        "Outline: one logit per text for each run (`gather` with a column of targets; an int target is the "
        "same class for every text); return the original's minus the masked one's, shape (batch,)."]),
    Exercise("vit_grad_cam", "D3 (a)", _D3, _check_vit_grad_cam, heading="Grad-CAM on patch tokens", hints=[
        "Grad-CAM needs the token features and their gradient at one place: the tokens ENTERING the last "
        "block, `model.blocks[-1].tokens_in` (the hook cell above shows why not those leaving it).",
        "A forward hook on that module keeps its output (batch, 17, dim); `torch.autograd.grad` of the summed "
        "target logits gives its gradient. Remove the hook before returning, even if something fails.",
        "Outline: drop [CLS] (token 0) from both; channel weights = the gradient's mean over the 16 patch "
        "tokens; weighted sum over channels; ReLU; reshape row by row to (batch, 4, 4); detach."],
        forbidden={"torchcam": "torchcam", "captum": "captum"}),
    Exercise("d3_rollout", "D3 (b)", _D3, _check_d3_rollout, heading="rollout from CLS", hints=[
        "The reference `lib.attention_rollout` does the chain; what is left is reading the right entries.",
        "The explanation of [CLS] is a ROW of the (n, 17, 17) rollout; [CLS]'s own entry is not a patch.",
        "Outline: row 0, entries 1 to 16, reshaped to (n, 4, 4) row by row (token 1 + 4r + c is row r, "
        "column c); no rescaling."]),
    Exercise("d3_agreement", "D3 (c)", _D3, _check_d3_agreement, heading="agreement", hints=[
        "Everything is one value per image: work on maps flattened to 16 patches, in the same order for "
        "the maps and the box.",
        "`scipy.stats.spearmanr` on one image's two maps (NaN when either map is constant); the mass is a "
        "SHARE of the map's total (NaN when the total is 0); chance is the share of patches in the box.",
        "Outline: flatten the three (200, 4, 4) arrays to (200, 16); loop over images for the correlation; "
        "vectorised sums for the shares; a dict of four arrays of shape (200,)."]),
    Exercise("d3_why", "D3 (d)", _D3, choice("ABCD"), heading="why", hints=[
        "What does each map depend on: the target class? the value vectors and MLPs?",
        "Rollout uses attention weights only; Grad-CAM uses the tokens' features entering the last block and "
        "how the target logit responds to them. What has happened to those tokens after one block of mixing?"]),
])
__getattr__ = CHAPTER.attribute
__all__ = CHAPTER.names
