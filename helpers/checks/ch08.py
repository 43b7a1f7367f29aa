"""Checks for chapter 08: deletion curves, the model-randomisation sanity check and drill D8.

Every oracle is computed after the student's function returns, from a deep copy of the model taken before
the call (``helpers.lib.ch08`` builds the beds: chapter 04's small random CNNs and a small MLP on tables,
inputs in (0.05, 1) so that no feature equals a baseline by chance, attributions with or without ties).
Oracles: Quantus ``PixelFlipping`` (every argument passed; its curve is ours without the first point) where
``steps`` divides the number of features and no attribution ties (Quantus sorts with numpy's unstable
``argsort``), the replay of the stated contract elsewhere; Quantus ``MPRT`` (top-down, seed
``random_state - 1``: its generator seeds with ``seed + 1``) for the sanity check. A spy model records every
input a deletion answer evaluated (the order and the number of features it deleted are read off them); a spy
explanation records the weights of every model the sanity answer explained (which layers it randomised, and
how).
"""

from __future__ import annotations

import copy

import numpy as np
import quantus
import torch
from quantus.functions.perturb_func import batch_baseline_replacement_by_indices
from quantus.functions.similarity_func import correlation_spearman

from helpers.lib import ch04
from helpers.lib import ch08 as lib

from ._core import Chapter, Exercise, Incorrect, as_float_array, choice
from ._idioms import Pitfall, close, diagnose, within
from ._torch import SpyNet, call_model, tensor_result

# Scores are probabilities in [0, 1]. Two correct float32 answers differ by rounding only (a batch of all the
# steps or a loop, another summation order in the trapezoid): measured at most 1.2e-7 over the beds of
# tests/answers/ch08.py (loop, vectorised, numpy, float64 copies). 1e-5 is 80 times that; every pitfall below
# moves a score or an AUC by more than 1e-3 on the beds.
ATOL = 1e-5
# A spy's input matches x or the baseline where it is within float32 rounding of it (inputs lie in (0.05, 1)).
MATCH = 1e-6
# Spearman correlations of maps the spy computed: an answer that explains float64 copies rounds maps by 1e-16
# relative; ranks of distinct values then never change, and 1e-6 leaves room for scipy vs own ranks.
SIM_ATOL = 1e-6

_SECTION_CURVES = "2. Deletion and insertion curves"
_SECTION_SANITY = "4. Sanity checks: does the map depend on the model?"


# --------------------------------------------------------------------------------------------
# Exercise 8.1: deletion_curve


def _orders(attribution, x):
    """The order the task states and the orders of the pitfalls: (name, (n, d) flat indices, message)."""
    a = lib._flat_attribution(attribution, x)
    reverse_ties = torch.argsort(a, dim=1, stable=True).flip(dims=[1])       # what np.argsort(a)[::-1] gives
    return [
        ("stated", lib.deletion_order(attribution, x), ""),
        ("ascending", torch.argsort(a, dim=1, stable=True), "you deleted the LEAST important features first (an "
         "ascending sort): a deletion curve removes the most important first, the largest attribution."),
        ("absolute", torch.argsort(-a.abs(), dim=1, stable=True), "you ordered the features by |attribution|: the task "
         "deletes the largest SIGNED attribution first (a negative attribution is evidence against the class)."),
        ("reverse ties", reverse_ties, "among equal attributions you deleted the higher index first (what "
         "`np.argsort(a)[::-1]` does): the task breaks ties by the LOWER flat index first, a stable sort of "
         "-attribution (`np.argsort(-a, kind='stable')`, `torch.argsort(-a, stable=True)`)."),
    ]


def _read_rows(spy, x, b):
    """For each input the model evaluated: which image it is and which features hold the baseline."""
    n = len(x)
    xs, bs = x.double().reshape(n, -1), b.double().reshape(n, -1)
    seen = []
    for row in spy.rows().reshape(-1, xs.shape[1]) if spy.batches else []:
        on_x, on_b = (row - xs).abs() <= MATCH, (row - bs).abs() <= MATCH          # (n, d) each
        fits = (on_x | on_b).all(dim=1)
        if not fits.any():
            raise Incorrect("your function evaluated the model on an input that is not x with some features replaced "
                            "by the baseline (noise added? the baseline you were given ignored or converted wrongly?).")
        i = int(fits.nonzero()[0])
        seen.append((i, frozenset((~on_x[i]).nonzero()[:, 0].tolist())))
    return seen


def _judge_order(seen, x, attribution, steps):
    n, d = len(x), x[0].numel()
    if not seen:
        raise Incorrect("your function never called the model.")
    for i in range(n):
        if (i, frozenset()) not in seen:
            raise Incorrect(f"your function never evaluated input {i} unmasked: the curve starts at the score of x "
                            "itself (step 0, nothing deleted).")
    orders = _orders(attribution, x)
    for name, order, message in orders:
        if all(deleted == frozenset(order[i, :len(deleted)].tolist()) for i, deleted in seen):
            if name != "stated":
                raise Incorrect(message)
            break
    else:
        raise Incorrect("the features your inputs hold at the baseline are not the most important ones of the order "
                        "the task states (or the deletions are not cumulative: step k deletes the k * d // steps most "
                        "important features, those of the earlier steps included).")
    counts = {len(deleted) for _, deleted in seen}
    wanted = {k * d // steps for k in range(steps + 1)}
    if not wanted <= counts:
        rounded = {round(k * d / steps) for k in range(steps + 1)}
        hint = (" You rounded k * d / steps; the task floors it (`k * d // steps`)." if rounded <= counts else "")
        raise Incorrect(f"your function never evaluated the inputs with {sorted(wanted - counts)[:4]} features deleted "
                        f"(d = {d}, steps = {steps}: after step k, k * d // steps are deleted).{hint}")


def _quantus_curve(model, x, attribution, target, steps):
    """Quantus PixelFlipping with every argument explicit: the target's softmax probability after each step
    (our curve without its first point). Needs single-channel images, steps | d (Quantus asserts that its
    features_in_step divides h * w) and no ties (Quantus's argsort is not stable)."""
    d = x[0].numel()
    metric = quantus.PixelFlipping(features_in_step=d // steps, abs=False, normalise=False, normalise_func=None,
                                   normalise_func_kwargs=None, perturb_func=batch_baseline_replacement_by_indices,
                                   perturb_baseline=0.0, perturb_func_kwargs=None, return_aggregate=False,
                                   aggregate_func=None, return_auc_per_sample=False, default_plot_func=None,
                                   disable_warnings=True, display_progressbar=False)
    with torch.random.fork_rng(devices=[]):
        curve = metric(model=model.eval(), x_batch=x.numpy(), y_batch=ch04.targets_of(target, len(x)).numpy(),
                       a_batch=np.asarray(attribution.reshape(x.shape)), s_batch=None, channel_first=True,
                       explain_func=None, explain_func_kwargs=None, model_predict_kwargs=None, softmax=True,
                       device="cpu", batch_size=256)
    return np.asarray(curve, dtype=float)


def _deletion_case(answer, model, x, attribution, target, steps, baseline):
    pristine, spy = copy.deepcopy(model), SpyNet(model)
    kwargs = {"steps": steps} if baseline is None else {"steps": steps, "baseline": baseline}
    result = call_model(answer, spy, x, attribution.clone(), target, **kwargs)
    if not isinstance(result, dict) or not {"fractions", "scores", "auc"} <= set(result):
        raise Incorrect("return a dict with the keys 'fractions', 'scores' and 'auc'.")
    n, d = len(x), x[0].numel()
    scores = tensor_result(result["scores"], np.shape(result["scores"]), "result['scores']")
    b = lib._baseline(baseline, x)
    expected = lib._curve(pristine, x, lib.deletion_order(attribution, x), target, steps, b)
    if scores.shape == (n, steps) and close(scores, expected["scores"][:, 1:], atol=ATOL, rtol=0):
        raise Incorrect("your curve does not start at the unmasked score: scores[:, 0] is the target's probability "
                        "on x itself, then one point per step (steps + 1 points).")
    if scores.shape == (n, steps) and close(scores, expected["scores"][:, :-1], atol=ATOL, rtol=0):
        raise Incorrect("your curve stops one step early: the last point has every feature deleted (steps + 1 "
                        "points from 0 to d features).")
    scores = tensor_result(result["scores"], (n, steps + 1), "result['scores']")
    _judge_order(_read_rows(spy, x, b), x, attribution, steps)
    if x.ndim == 4 and x.shape[1] == 1 and d % steps == 0 and baseline is None and not _has_ties(attribution, x):
        oracle = _quantus_curve(pristine, x, attribution, target, steps)
        if not close(oracle, expected["scores"][:, 1:], atol=ATOL, rtol=0):
            raise RuntimeError("the deletion bed disagrees with Quantus PixelFlipping")  # a defect of the bed
    order = lib.deletion_order(attribution, x)
    with torch.no_grad():
        argmax = pristine(x).argmax(dim=1)
    diagnose(scores, expected["scores"], [
        Pitfall("logit", lambda: lib._curve(pristine, x, order, target, steps, b, score="logit")["scores"],
                "your scores are the target's LOGITS: the curve scores the target's softmax probability."),
        Pitfall("log", lambda: np.log(expected["scores"]), "your scores are log-probabilities: the curve scores "
                "the target's softmax probability."),
        Pitfall("argmax", lambda: lib._curve(pristine, x, order, argmax, steps, b)["scores"], "your scores are the "
                "predicted class's probability: score the `target` you are given (the checks use other classes)."),
    ], atol=ATOL, rtol=0, otherwise="your scores are not the target's softmax probability on the inputs of each step.")
    fractions = as_float_array(result["fractions"], "result['fractions']", shape=(steps + 1,))
    diagnose(fractions, expected["fractions"], [
        Pitfall("steps", lambda: np.arange(steps + 1) / steps, f"your fractions are k / steps; they are the share "
                f"of features actually deleted, (k * d // steps) / d (d = {d} is not a multiple of steps = {steps})."),
    ], atol=ATOL, rtol=0, otherwise="result['fractions'] should be the share of features deleted after each step, "
             "(k * d // steps) / d for k = 0..steps.")
    auc = as_float_array(result["auc"], "result['auc']", shape=(n,))
    s, f = expected["scores"], expected["fractions"]
    diagnose(auc, expected["auc"], [
        Pitfall("dx=1", lambda: np.trapezoid(s, axis=1), "your AUC has no step width: `np.trapezoid(scores)` "
                "integrates over k = 0..steps (unit spacing, Quantus's `calculate_auc` convention); integrate over "
                "the fractions deleted, from 0 to 1 (`np.trapezoid(scores, fractions)`)."),
        Pitfall("mean", lambda: s.mean(axis=1), "your AUC is the mean of the scores: the trapezoid rule weighs the "
                "two ends by half."),
        Pitfall("left", lambda: (s[:, :-1] * np.diff(f)).sum(axis=1), "your AUC is a left Riemann sum: use the "
                "trapezoid rule over the fractions."),
        Pitfall("right", lambda: (s[:, 1:] * np.diff(f)).sum(axis=1), "your AUC is a right Riemann sum: use the "
                "trapezoid rule over the fractions."),
        Pitfall("no start", lambda: np.trapezoid(s[:, 1:], f[1:], axis=1), "your AUC leaves out the unmasked "
                "score (Quantus's curve has no first point): integrate from fraction 0."),
        Pitfall("uniform x", lambda: np.trapezoid(s, np.arange(steps + 1) / steps, axis=1), "your AUC spaces the "
                "points k / steps apart: integrate over the fractions actually deleted, (k * d // steps) / d."),
    ], atol=ATOL, rtol=0, otherwise="result['auc'] should be the trapezoid rule of each curve over the fractions "
             "(`np.trapezoid(scores, fractions, axis=1)`).")


def _has_ties(attribution, x) -> bool:
    a = lib._flat_attribution(attribution, x)
    return bool((a.sort(dim=1).values.diff(dim=1) == 0).any())


def _check_deletion(answer, *, seed=0, shape=(3, 1, 6, 8), steps=8, ties_shape=(3, 1, 7, 9), ties_steps=5,
                    table_shape=(4, 7), table_steps=3):
    model, x, a, target = lib.deletion_bed(seed, shape=shape)
    with within(f"on images of shape {tuple(shape)} with steps={steps}"):
        _deletion_case(answer, model, x, a, target, steps, None)
    model, x, a, target = lib.deletion_bed(seed + 1, shape=ties_shape, ties=True)
    with within(f"on images of shape {tuple(ties_shape)} whose attributions tie, steps={ties_steps}, a baseline image "
                "of 0.02"):
        _deletion_case(answer, model, x, a, target, ties_steps, torch.full(ties_shape[1:], 0.02))
    model, x, a, target = lib.deletion_bed(seed + 2, shape=table_shape, dtype=torch.float64, ties=True)
    with within(f"on a table of shape {tuple(table_shape)} (float64, target 1), steps={table_steps}, baseline 0.5"):
        _deletion_case(answer, model, x, a, 1, table_steps, 0.5)


# --------------------------------------------------------------------------------------------
# Exercise 8.2: randomization_sanity


class _ExplainSpy:
    """The explanation handed to the answer: records a copy of the parameters of every model it explains."""

    def __init__(self, method):
        self.method, self.calls = method, []

    def __call__(self, model, x, target):
        self.calls.append({name: p.detach().clone() for name, p in model.named_parameters()})
        return self.method(model, x, target)

    def __deepcopy__(self, memo):
        return self


def _input_x_gradient(model, x, target):
    return (x * ch04._input_gradient(model, x, target)).detach()


def _gradient(model, x, target):
    return ch04._input_gradient(model, x, target).detach()


def _rounded(model, x, target):
    """Input x Gradient rounded to thirds of its scale: maps with many ties, as Grad-CAM's zeros are."""
    a = _input_x_gradient(model, x, target)
    scale = a.abs().flatten(1).amax(dim=1).clamp_min(1e-12).view(-1, *[1] * (a.dim() - 1))
    return (a / scale * 3).round() / 3


_METHODS = {"input_x_gradient": _input_x_gradient, "gradient": _gradient, "rounded": _rounded}


def _same(t, reference):
    """Equal values, whatever the dtype (a float64 copy of float32 weights holds the same numbers)."""
    return t.shape == reference.shape and torch.equal(t.double(), reference.double())


def _changed(params, original, layers):
    """The layers whose parameters differ from the original model's."""
    return frozenset(layer for layer in layers if any(not _same(t, original[name]) for name, t in params.items()
                                                      if name.rsplit(".", 1)[0] == layer))


def _judge_cascade(spy, model, layers, random_state):
    if not spy.calls:
        raise Incorrect("your function never called `explain`.")
    original = {name: p.detach().clone() for name, p in model.named_parameters()}
    stages = [_changed(call, original, layers) for call in spy.calls]
    if frozenset() not in stages:
        raise Incorrect("your function never explained the original model: the maps of the randomised models are "
                        "compared with the ORIGINAL model's maps.")
    visited = []                                   # the stages in the order first explained (repeats allowed)
    for stage in stages:
        if stage and stage not in visited:
            visited.append(stage)
    cascade = [frozenset(layers[:k + 1]) for k in range(len(layers))]
    if visited == cascade:
        for call, stage in zip(spy.calls, stages):
            if not stage:
                continue
            k = cascade.index(stage)
            twin = lib.randomized_copy(model, layers[:k + 1], random_state=random_state)
            if any(not _same(call[name], t) for name, t in twin.named_parameters()):
                raise Incorrect(f"your cascade visits the right layers, but the weights of {layers[k]!r} are not "
                                "the recipe's: re-initialise each layer, in the model's own dtype, by "
                                "`torch.manual_seed(random_state)` right before its `reset_parameters()`.")
        return
    everything = frozenset(layers)
    if visited and all(s == everything for s in visited):
        raise Incorrect("you re-initialised every layer at once: a CASCADING randomisation re-initialises one more "
                        "layer at each stage, from the output back, and explains after each.")
    if [set(s) for s in visited] == [{layer} for layer in layers]:
        raise Incorrect("each of your stages re-initialises one layer of the original model (independent "
                        "randomisation): the task asks for a cascade, in which the layers randomised before stay "
                        "randomised.")
    if visited == [frozenset(layers[::-1][:k + 1]) for k in range(len(layers))]:
        raise Incorrect("your cascade starts at the input layer (bottom-up): the task randomises from the OUTPUT "
                        "back (top-down), the order of `model.named_modules()` reversed.")
    raise Incorrect(f"your stages re-initialise {[sorted(s) for s in visited]}; the cascade re-initialises "
                    f"{[sorted(s) for s in cascade]} in turn (the layers that have `reset_parameters`, from the output "
                    "back).")


def _ordinal(a, b):
    ranks = [np.argsort(np.argsort(v.reshape(len(v), -1), axis=1, kind="stable"), axis=1) for v in (a, b)]
    return np.array([np.corrcoef(u, v)[0, 1] for u, v in zip(*ranks)])


def _pearson(a, b):
    return np.array([np.corrcoef(u, v)[0, 1] for u, v in zip(a.reshape(len(a), -1), b.reshape(len(b), -1))])


def _quantus_similarity(model, x, target, method, random_state, absolute, layers):
    def explain(model, inputs, targets, **kwargs):
        return method(model, torch.as_tensor(inputs), torch.as_tensor(targets)).double().numpy()

    metric = quantus.MPRT(similarity_func=correlation_spearman, layer_order="top_down", seed=random_state - 1,
                          return_sample_correlation=None, return_average_correlation=False,
                          return_last_correlation=False, skip_layers=False, abs=absolute, normalise=False,
                          normalise_func=None, normalise_func_kwargs=None, return_aggregate=False,
                          aggregate_func=None, default_plot_func=None, disable_warnings=True,
                          display_progressbar=False)
    with torch.random.fork_rng(devices=[]):
        result = metric(model=model, x_batch=x.numpy(), y_batch=ch04.targets_of(target, len(x)).numpy(), a_batch=None,
                        s_batch=None, channel_first=True, explain_func=explain, explain_func_kwargs={},
                        model_predict_kwargs=None, softmax=False, device="cpu", batch_size=256)
    return np.array([result[layer] for layer in layers], dtype=float)


def _sanity_case(answer, model, x, target, method, random_state, absolute):
    pristine, spy = copy.deepcopy(model), _ExplainSpy(_METHODS[method])
    result = call_model(answer, model, x, target, spy, random_state=random_state, absolute=absolute)
    if not isinstance(result, dict) or not {"layers", "similarity"} <= set(result):
        raise Incorrect("return a dict with the keys 'layers' and 'similarity'.")
    layers = lib.parameter_layers(pristine)
    _judge_cascade(spy, pristine, layers, random_state)
    yours_layers = [str(name) for name in result["layers"]]
    if yours_layers != layers:
        raise Incorrect(f"result['layers'] is {yours_layers}; the layers randomised, in order, are {layers} (those "
                        "with `reset_parameters`, from the output back).")
    n, L = len(x), len(layers)
    sim = np.array(result["similarity"], dtype=float) if not isinstance(result["similarity"], torch.Tensor) else \
        result["similarity"].detach().double().numpy()
    if sim.shape == (n, L) and n != L:
        raise Incorrect(f"result['similarity'] has shape {sim.shape}: one row per layer, one column per input, "
                        f"({L}, {n}).")
    if sim.shape == (L + 1, n):
        raise Incorrect("result['similarity'] has a row for the original model: keep one row per randomised stage.")
    sim = as_float_array(sim, "result['similarity']", shape=(L, n))
    maps = [_METHODS[method](lib.randomized_copy(pristine, layers[:k], random_state=random_state), x, target)
            .double().numpy() for k in range(L + 1)]
    transform = np.abs if absolute else (lambda v: v)
    expected = np.array([lib.spearman_rows(transform(maps[0]), transform(m)) for m in maps[1:]])
    oracle = _quantus_similarity(pristine, x, target, _METHODS[method], random_state, absolute, layers)
    if not close(oracle, expected, atol=SIM_ATOL, rtol=0):
        raise RuntimeError("the sanity bed disagrees with Quantus MPRT")  # a defect of the bed
    other = np.array([lib.spearman_rows(maps[0] if absolute else np.abs(maps[0]), m if absolute else np.abs(m))
                      for m in maps[1:]])                                   # the other choice of `absolute`
    diagnose(sim, expected, [
        Pitfall("transposed", lambda: expected.T, "result['similarity'] is transposed: one row per layer, one column per "
                "input."),
        Pitfall("signed" if absolute else "abs", lambda: other, "your correlations are of the SIGNED maps; with "
                "absolute=True, compare |original| with |randomised|." if absolute else "your correlations are of "
                "absolute values; with absolute=False compare the signed maps."),
        Pitfall("pearson", lambda: np.array([_pearson(transform(maps[0]), transform(m)) for m in maps[1:]]),
                "your similarity is Pearson's correlation of the values: the task asks for Spearman's, of their ranks."),
        Pitfall("ordinal", lambda: np.array([_ordinal(transform(maps[0]), transform(m)) for m in maps[1:]]),
                "your ranks break ties by position: Spearman's correlation gives tied values their average rank "
                "(`scipy.stats.spearmanr`, `scipy.stats.rankdata`)."),
    ], atol=SIM_ATOL, rtol=0, otherwise="result['similarity'][k, i] should be Spearman's correlation of input i's map "
             "from the original model with its map once the first k + 1 layers (from the output) are re-initialised.")


def _check_sanity(answer, *, seed=0, shape=(3, 1, 8, 8), n_classes=3, method="rounded", random_state=3,
                  dtype=torch.float32):
    model, x, target = lib.sanity_bed(seed, shape=shape, n_classes=n_classes, dtype=dtype)
    for absolute in (True, False):
        with within(f"with absolute={absolute}"):
            _sanity_case(answer, model, x, target, method, random_state, absolute)


# --------------------------------------------------------------------------------------------
# Drill D8


def _d8_truth(random_state, use="predicted"):
    """The drill's three numbers by the calls its recipe names (with ``use="labels"``: for the true labels)."""
    drill = lib.d8_setup(random_state)
    target = drill.predicted if use == "predicted" else drill.labels
    cam = ch04.grad_cam(drill.model, drill.x, target, drill.model.conv3)[:, None]
    noise = torch.rand(drill.x.shape, generator=torch.Generator().manual_seed(random_state))  # explain_images' random
    auc = {name: float(lib.deletion_curve(drill.model, drill.x, m, target, steps=lib.CURVE_STEPS)["auc"].mean())
           for name, m in (("gradcam", cam), ("random", noise))}
    return {"corner": float(ch04.region_masses(cam[:, 0], ch04.test_set(), drill.index)[:, 1].mean()), **auc}


def _check_d8_numbers(corner, auc_cam, auc_random, *, random_state=0):
    names = ("d8_corner_share", "d8_auc_gradcam", "d8_auc_random")
    if isinstance(corner, (float, np.floating)) and np.isnan(corner) or \
            isinstance(corner, (np.ndarray, torch.Tensor)) and corner.ndim == 0 and bool(np.isnan(float(corner))):
        raise Incorrect("d8_corner_share is NaN: some of your Grad-CAM maps are zero everywhere, which happens for a "
                        "class the model sees no evidence of. Explain the classes the model predicts, `d8.predicted`.")
    answers = [float(as_float_array(v, name, shape=())) for v, name in zip((corner, auc_cam, auc_random), names)]
    truth, labels = _d8_truth(random_state), _d8_truth(random_state, "labels")
    if close(answers[1:], [truth["random"], truth["gradcam"]], atol=ATOL, rtol=0):
        raise Incorrect("d8_auc_gradcam and d8_auc_random are swapped.")
    for name, value, key in zip(names, answers, ("corner", "gradcam", "random")):
        diagnose(value, truth[key], [Pitfall("labels", lambda key=key: labels[key], f"{name} explains the true LABELS: "
                                             "the drill asks why the model predicted what it did, so explain (and "
                                             "score) the class it predicts, `d8.predicted`.")],
                 atol=ATOL, rtol=0, otherwise=f"{name} is not what the task's calls give (see the drill's recipe).")
    return "your numbers equal what the task's calls give; grading runs this same check."


CHAPTER = Chapter("08", [
    Exercise("deletion_curve", "8.1", _SECTION_CURVES, _check_deletion, forbidden={"quantus": "Quantus"}, hints=[
        "Order each input's features once: flatten the attribution, sort -attribution with a STABLE sort (ties: the "
        "lower index first). Step k deletes the first k * d // steps features of that order (cumulative).",
        "Build every masked copy at once: the rank of each feature in the order, compared with the k * d // steps "
        "counts, gives a boolean mask of shape (steps + 1, n, d); `torch.where(mask, baseline, x)` fills it. Step 0 "
        "deletes nothing, so the curve starts at x itself.",
        "Outline: masks -> one batch of (steps + 1) * n inputs -> softmax -> the target's column -> reshape to "
        "(n, steps + 1); fractions = counts / d; auc = np.trapezoid(scores, fractions, axis=1).",
    ]),
    Exercise("randomization_sanity", "8.2", _SECTION_SANITY, _check_sanity, forbidden={"quantus": "Quantus"}, hints=[
        "Work on ONE `copy.deepcopy(model)`: the caller's model must stay as it was. The layers are the submodules "
        "with a `reset_parameters` method, from the output back (`reversed(list(copy.named_modules()))`).",
        "Explain the original model once. Then, for each layer in turn, `torch.manual_seed(random_state)`, "
        "`layer.reset_parameters()` on the copy (the earlier layers stay randomised: a cascade), and explain the copy.",
        "Outline: flatten each map per input, take |.| if absolute, and correlate the original and randomised maps "
        "input by input with `scipy.stats.spearmanr`; stack the rows into (n_layers, n). Wrap the seeding in "
        "`torch.random.fork_rng()` to leave the caller's random state alone.",
    ]),
    Exercise("d8_numbers", "D8 (a)", "Drill D8 · The round-2 write-up", _check_d8_numbers, heading="the numbers",
             hints=["Everything comes from `d8 = lib.d8_setup(SEED)`: the model, the images, the classes it predicts "
                    "(explain those, not the labels) and the images' rows in `lib.test_set()`.",
                    "The corner share is column 1 of `lib.region_masses(cam[:, 0], lib.test_set(), d8.index)`, averaged "
                    "over the images; each AUC is the mean of `lib.deletion_curve(...)['auc']` with "
                    "`steps=lib.CURVE_STEPS`."]),
    Exercise("d8_why", "D8 (b)", "Drill D8 · The round-2 write-up", choice("ABCD"), heading="why", hints=[
        "Where does Grad-CAM put its mass, and what happens to the probability when exactly those pixels go?",
        "A map can be faithful to a model that is wrong: which of the options separates the two?"]),
])

__getattr__ = CHAPTER.attribute
__all__ = CHAPTER.names
