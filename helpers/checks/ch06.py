"""Checks for chapter 06: capturing activations, probes with a control task, TCAV and its t-test, drill D6.

Test beds come from ``helpers.lib.ch06`` (small seeded CNNs, a linear network whose directional
derivatives are known in closed form, random activations). Oracles: a reference forward pass with
hooks on a copy of the model taken before the answer runs, scikit-learn's ``StratifiedKFold`` and the
stated probe, a spy estimator that records every matrix it is fitted on and evaluated on, captum's
``TCAV`` on the same CAVs, and ``scipy.stats.ttest_ind``. Expected values are computed after the
answer returns.
"""

from __future__ import annotations

import copy

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin

from helpers.lib import ch06 as lib

from ._calls import StudentError, as_float_array, call
from ._core import Chapter, Exercise, Incorrect, choice
from ._idioms import Pitfall, close, diagnose
from ._torch import call_model, tensor_result

# Activations: the answer and the reference run the same float32 forward pass; batching changes the
# summation order of a convolution by at most a few ulps (measured <= 2e-7 of the scale): 1e-5.
RTOL = 1e-5
# CAVs: lbfgs stops at tol=1e-4 on the gradient, so a float32 and a float64 copy of the same activations
# give unit CAVs that differ by up to 3e-5 (measured over 20 beds); 1e-3 is 30 times that, while a CAV
# that is not normalised differs by its norm (far from 1) and a flipped one by 2.
CAV_RTOL = 1e-3


# Exercise 6.1: capture_activations


def _batches(model):
    sizes = []
    handle = model.register_forward_pre_hook(lambda m, args: sizes.append(len(args[0])))
    return sizes, handle


def _capture_case(answer, model, names, x, **kwargs):
    pristine = copy.deepcopy(model)
    pristine._forward_pre_hooks.clear()  # the batch-size recorder stays on the caller's model only
    result = call_model(lambda m, inputs: answer(m, names, inputs, **kwargs), model, x)
    wanted = [names] if isinstance(names, str) else list(names)
    if not isinstance(result, dict) or set(result) != set(wanted):
        raise Incorrect(f"return a dict with one entry per layer name, keys {wanted}; got "
                        f"{sorted(result) if isinstance(result, dict) else type(result).__name__}.")
    expected = lib._capture(pristine, wanted, x)
    for name in wanted:
        rows = len(result[name]) if hasattr(result[name], "__len__") else 0
        if rows > len(x):
            raise Incorrect(f"your activations of {name!r} have {rows} rows for {len(x)} inputs: a second call returned "
                            "activations of the first call too: make the store inside the function, and remove the hooks.")
        mine = tensor_result(result[name], tuple(expected[name].shape), f"the tensor you returned for {name!r}",
                             detached=True)
        if not close(mine, expected[name].double().numpy(), rtol=RTOL):
            raise Incorrect(f"your activations of {name!r} differ from the module's output in a forward pass on "
                            "these inputs: store the output of `model.get_submodule(name)` as it is.")
    return result


def _check_capture_activations(answer, *, seed=0, n=7, size=10, names=("relu1", "conv2", "pool")):
    model = lib.random_cnn(seed, width=5).train()
    x = lib.random_inputs(seed, (n, 1, size, size))
    _capture_case(answer, model, list(names), x)
    other = lib.random_inputs(seed + 1, (n + 2, 1, size, size))
    second = _capture_case(answer, model, list(names), other)
    if len(second[names[0]]) != n + 2:
        raise Incorrect("a second call returned activations of the first call too: clear what you store at every "
                        "call (make the store inside the function).")
    _capture_case(answer, model.eval(), names[1], x)
    sizes, handle = _batches(model)
    try:
        _capture_case(answer, model, list(names), other, batch_size=3)
    finally:
        handle.remove()
    if sum(sizes) != n + 2:
        raise Incorrect(f"your function ran the model on {sum(sizes)} inputs for {n + 2}: capture every layer in the "
                        "same forward pass (one hook per layer, then one pass over the inputs).")
    if max(sizes) > 3:
        raise Incorrect(f"with batch_size=3 and {n + 2} inputs, run the model on batches of at most 3 inputs "
                        f"(your calls had sizes {sizes}).")
    broken = lib.failing_cnn(seed + 2)
    try:
        call(answer, broken, ["relu1", "conv2"], x)
    except StudentError as failure:
        if not isinstance(failure.error, lib.PlantedFailure):
            raise
    else:
        raise Incorrect("the model raised an error during the forward pass, and your function returned anyway: "
                        "let the error propagate.")
    if any(len(m._forward_hooks) for m in broken.modules()):
        raise Incorrect("when the forward pass raises, your hooks stay registered: remove them in a `finally:` "
                        "block (try: forward ... finally: handle.remove()).")


# Exercise 6.2: probe_layers


class _Log(list):
    """The spy's record; shared through ``clone`` and ``copy.deepcopy`` (they copy every other parameter)."""

    def __deepcopy__(self, memo):
        return self

    def __copy__(self):
        return self


class SpyProbe(ClassifierMixin, BaseEstimator):
    """The stated probe, recording every matrix it is fitted on (with its labels) and evaluated on."""

    def __init__(self, log=None):
        self.log = log

    def fit(self, X, y):
        X, y = np.array(X, dtype=float), np.array(y)
        self.log.append(("fit", X.copy(), y.copy()))
        self.probe_ = lib.probe_estimator().fit(X, y)
        self.classes_ = self.probe_.classes_
        return self

    def predict(self, X):
        X = np.array(X, dtype=float)
        self.log.append(("predict", X.copy(), None))
        return self.probe_.predict(X)


def _rows(X, seen):
    index = {row.tobytes(): i for i, row in enumerate(X)}
    found = [index.get(row.tobytes()) for row in seen]
    if any(i is None for i in found):
        raise Incorrect("your probe was fitted or evaluated on rows that are not the caller's activations (did you "
                        "scale or transform all rows before splitting? the scaler is part of the probe, fitted on "
                        "the training folds only).")
    return frozenset(found)


def _check_log(log, acts, labels, control, folds):
    by_dim = {X.shape[1]: (name, X) for name, X in acts.items()}
    fitted = {}
    for _k, (kind, X, y) in enumerate(log):
        name, full = by_dim[X.shape[1]]
        rows = _rows(full, X)
        if kind == "fit":
            task = np.array_equal(y, labels[sorted(rows)]) if len(rows) == len(X) else False
            last = (name, rows)
            fitted.setdefault((name, "task" if task else "control"), set()).add(rows)
        elif rows & last[1]:
            raise Incorrect("your probe was evaluated on rows it was fitted on: fit on the training folds, score on "
                            "the held-out fold only.")
    train_sets = {frozenset(train.tolist()) for train, _ in folds}
    for name in acts:
        if fitted.get((name, "task")) != train_sets:
            raise Incorrect("your probe's training folds are not StratifiedKFold(n_splits=cv, shuffle=True, "
                            "random_state=random_state) split on the task labels.")
        if control is not None and fitted.get((name, "control")) != train_sets:
            raise Incorrect("the control probe was fitted on other folds than the task probe: use the same folds "
                            "(split once, on the task labels) for both, so that selectivity compares like with like.")


def _check_probe_layers(answer, *, seed=0, n=90, dims=(6, 9, 4), n_types=30, cv=3):
    acts, labels, control = lib.probe_bed(seed, n, dims, n_types)
    given = {name: X.copy() for name, X in acts.items()}  # the answer may change its arguments in place
    log = _Log()
    result = call(answer, acts, labels, control_labels=control, cv=cv, random_state=seed + 1,
                  estimator=SpyProbe(log))
    if not isinstance(result, dict) or not {"accuracy", "control", "selectivity"} <= set(result):
        raise Incorrect("return a dict with the keys 'accuracy', 'control' and 'selectivity'.")
    if not log:
        raise Incorrect("your function never fitted `estimator`: clone it for every fold (`sklearn.base.clone`).")
    if any(not np.array_equal(given[name], acts[name]) for name in acts):
        raise Incorrect("your function changed the caller's activations in place: work on copies.")
    folds = lib._folds(labels, cv, seed + 1)
    _check_log(log, acts, labels, control, folds)
    expected = lib._probe_layers(acts, labels, control, cv, seed + 1)
    names = list(acts)
    mine = {key: _per_layer(result, key, names) for key in ("accuracy", "control", "selectivity")}
    want = {key: np.array([expected[key][name] for name in names]) for key in mine}
    diagnose(mine["accuracy"], want["accuracy"], [], otherwise="your task accuracies are not the mean held-out "
             "accuracy over the folds.")
    diagnose(mine["control"], want["control"], [], otherwise="your control accuracies are not the mean held-out "
             "accuracy of the probe trained on the control labels.")
    diagnose(mine["selectivity"], want["selectivity"], [
        Pitfall("sign", lambda: -want["selectivity"], "your selectivity has its sign flipped: task accuracy minus "
                "control accuracy.")], otherwise="selectivity is task accuracy minus control accuracy, per layer.")
    plain = call(answer, acts, labels, cv=cv, random_state=seed)
    if not isinstance(plain, dict) or plain.get("control") is not None or plain.get("selectivity") is not None:
        raise Incorrect("without control_labels, return 'control' and 'selectivity' as None.")
    ref = lib._probe_layers(acts, labels, None, cv, seed)
    diagnose(_per_layer(plain, "accuracy", names), np.array([ref["accuracy"][k] for k in names]),
             [], otherwise="with estimator=None, use the chapter's probe (lib.probe_estimator()).")


def _per_layer(result, key, names):
    value = result.get(key)
    if not isinstance(value, dict) or set(value) != set(names):
        raise Incorrect(f"result[{key!r}] should be a dict with one float per layer name, keys {names}.")
    return as_float_array([value[name] for name in names], f"result[{key!r}]")


# Exercise 6.3: tcav_score


def _tcav_case(answer, model, layer, x, target, concept, random, derivative_oracle):
    pristine = copy.deepcopy(model)  # every expected value comes from this copy, taken before the answer runs
    result = call_model(lambda m, inputs: answer(m, layer, inputs, target, concept, random), model, x)
    if not isinstance(result, dict) or not {"cav", "derivatives", "score"} <= set(result):
        raise Incorrect("return a dict with the keys 'cav', 'derivatives' and 'score'.")
    raw = lib._capture(pristine, [layer], torch.cat([concept, random]))[layer].flatten(1).double().numpy()
    y = np.r_[np.ones(len(concept)), np.zeros(len(random))]
    coef = lib.cav_estimator().fit(raw, y).coef_[0]
    cav = coef / np.linalg.norm(coef)
    mine_cav = tensor_result(result["cav"], cav.shape, "your CAV")
    diagnose(mine_cav, cav, [
        Pitfall("flipped", lambda: -cav, "your CAV points towards the random examples: label the concept 1 and the "
                "random set 0, so that the CAV points towards the concept."),
        Pitfall("norm", lambda: coef, "your CAV is not normalised: divide the classifier's coefficients by their norm.")],
        rtol=CAV_RTOL, otherwise="your CAV is not the normalised coefficient vector of lib.cav_estimator() fitted on "
        "the flattened activations (concept 1, random 0).")
    derivatives = derivative_oracle(pristine, cav)
    mine = tensor_result(result["derivatives"], derivatives.shape, "your derivatives")
    diagnose(mine, derivatives, [
        Pitfall("softmax", lambda: lib._layer_gradient(pristine, layer, x, target, "softmax")[1].flatten(1).double()
                .numpy() @ cav, "your derivatives are those of the softmax probability; take the gradient of the "
                "target's LOGIT."),
        Pitfall("activation", lambda: raw[:0].sum() + lib._capture(pristine, [layer], x)[layer].flatten(1).double()
                .numpy() @ cav, "your 'derivatives' are the activations projected on the CAV; TCAV uses the "
                "gradient of the logit with respect to the activations.")],
        rtol=CAV_RTOL, otherwise="your derivatives are not d logit_target / d activations . CAV, one per input.")
    score = float(np.mean(derivatives > 0))
    mine_score = float(as_float_array(result["score"], "your score", shape=()))
    diagnose(mine_score, score, [
        Pitfall("mean", lambda: float(np.mean(derivatives)), "your score is the mean directional derivative; the "
                "TCAV score is the FRACTION of inputs whose derivative is positive."),
        Pitfall("magnitude", lambda: float(np.abs(derivatives[derivatives > 0]).sum() / np.abs(derivatives).sum()),
                "your score is the magnitude score; the task asks for the fraction of positive derivatives.")],
        atol=1e-9, otherwise="the TCAV score is the fraction of inputs whose directional derivative is > 0.")
    return mine_score


def _check_tcav_score(answer, *, seed=0, n=9, target=1, layer="relu1"):
    linear = lib.linear_net(seed)
    x, concept = lib.random_inputs(seed, (n, 1, 6, 6)), lib.random_inputs(seed + 1, (8, 1, 6, 6), shift=0.4)
    random = lib.random_inputs(seed + 2, (8, 1, 6, 6))
    w = linear.fc.weight.detach().double().numpy()[target]
    _tcav_case(answer, linear, "hidden", x, target, concept, random, lambda net, cav: np.full(n, w @ cav))
    model, k = lib.random_cnn(seed + 3, width=4), (target + 1) % 4
    x = lib.random_inputs(seed + 4, (n, 1, 8, 8))
    concept, random = lib.random_inputs(seed + 5, (10, 1, 8, 8), shift=0.3), lib.random_inputs(seed + 6, (10, 1, 8, 8))
    oracle = lambda net, cav: lib._layer_gradient(net, layer, x, k)[1].flatten(1).double().numpy() @ cav  # noqa: E731
    pristine = copy.deepcopy(model)
    score = _tcav_case(answer, model, layer, x, k, concept, random, oracle)
    if abs(score - lib.captum_tcav(pristine, layer, x, k, concept, random, model_id=f"check{seed}")["score"]) > 1e-9:
        raise Incorrect("your score differs from captum's TCAV sign count on the same CAV.")


# Exercise 6.4: tcav_significance


def _check_tcav_significance(answer, *, seed=0, n_concept=10, n_random=12):
    from scipy import stats
    rng = np.random.default_rng(seed)
    concept, random = rng.uniform(0.55, 1.0, n_concept), rng.uniform(0.1, 0.9, n_random) ** 1.5
    result = call(answer, concept.copy(), random.copy())
    if not isinstance(result, dict) or not {"statistic", "pvalue"} <= set(result):
        raise Incorrect("return a dict with the keys 'statistic' and 'pvalue'.")
    mine = np.array([float(result["statistic"]), float(result["pvalue"])])
    expected = stats.ttest_ind(concept, random)
    variants = [
        ("welch", stats.ttest_ind(concept, random, equal_var=False), "you ran Welch's test; the task (and the TCAV "
         "paper) uses Student's t-test with pooled variance (equal_var=True)."),
        ("single", stats.ttest_1samp(concept, random[0]), "you tested against a single random concept; compare with "
         "the scores of ALL random concepts (a two-sample t-test)."),
        ("half", stats.ttest_1samp(concept, 0.5), "you tested the concept's scores against 0.5; compare them with the "
         "random concepts' scores (a two-sample t-test)."),
        ("one-sided", stats.ttest_ind(concept, random, alternative="greater"), "your test is one-sided; the task asks "
         "for the two-sided test."),
        ("swapped", stats.ttest_ind(random, concept), "your statistic has its sign flipped: pass the concept's scores "
         "first."),
    ]
    diagnose(mine, np.array([expected.statistic, expected.pvalue]),
             [Pitfall(name, lambda r=r: np.array([r.statistic, r.pvalue]), message) for name, r, message in variants],
             rtol=1e-6, otherwise="your statistic and p-value are not scipy.stats.ttest_ind(concept_scores, "
             "random_scores).")


# Drill D6


def _d6_probe_expected(random_state):
    from helpers.models import cnn
    setup, out = lib.d6_setup(random_state), {}
    for kind in ("shortcut", "clean"):
        summary = lib.summarise(lib._capture(cnn.load_cnn(kind), list(lib.CNN_LAYERS), setup.probe_x))
        folds = lib._folds(setup.watermarks, lib.PROBE_FOLDS, random_state)
        out[kind] = [lib._cv_accuracy(lib.probe_estimator(), summary[name], setup.watermarks, folds)
                     for name in lib.CNN_LAYERS]
        out[f"{kind} on training rows"] = [float(np.mean(lib.probe_estimator().fit(summary[name], setup.watermarks)
                                                         .predict(summary[name]) == setup.watermarks))
                                           for name in lib.CNN_LAYERS]
    return out


def _check_d6_probe(probe, first, *, random_state=0):
    layers = list(lib.CNN_LAYERS)
    if not isinstance(probe, dict) or set(probe) != {"shortcut", "clean"} or \
            any(not isinstance(probe[k], dict) or set(probe[k]) != set(layers) for k in probe):
        raise Incorrect(f"d6_probe should be a dict {{'shortcut': {{layer: accuracy}}, 'clean': {{...}}}} with one "
                        f"entry per layer of {layers}.")
    if not isinstance(first, str) or first not in layers:
        raise Incorrect(f"d6_first should be the name of a layer, one of {layers}.")
    expected = _d6_probe_expected(random_state)
    mine = as_float_array([[probe[k][name] for name in layers] for k in ("shortcut", "clean")], "d6_probe")
    want = np.array([expected["shortcut"], expected["clean"]])
    diagnose(mine, want, [
        Pitfall("swapped", lambda: want[::-1], "your two models are swapped."),
        Pitfall("training rows", lambda: np.array([expected["shortcut on training rows"],
                                                   expected["clean on training rows"]]),
                "you scored the probes on the rows they were fitted on; use lib.probe_layers, which scores "
                "held-out folds.")],
        rtol=1e-6, otherwise="d6_probe[kind][layer] is lib.probe_layers(summaries, d6.watermarks, "
        "random_state=SEED)['accuracy'][layer] on the summaries (lib.summarise) of that CNN's layers on d6.probe_x.")
    wanted = next((name for name, value in zip(layers, want[0]) if value >= lib.WATERMARK_READ), None)
    if first != wanted:
        raise Incorrect(f"d6_first should be the first layer of the SHORTCUT CNN, input side first, whose watermark "
                        f"probe reaches lib.WATERMARK_READ = {lib.WATERMARK_READ}; yours is not.")


def _d6_expected(random_state):
    from helpers.models import cnn
    setup = lib.d6_setup(random_state)
    out = {"accuracy_change": {}}
    for kind in ("shortcut", "clean"):
        model = cnn.load_cnn(kind)
        summary = lib.summarise(lib._capture(model, ["relu1"], setup.probe_x))["relu1"]
        directions = lib.inlp_directions(summary, setup.watermarks)
        with torch.no_grad():
            before = model(setup.test_x).argmax(dim=1)
        after = lib.predictions_without(model, "relu1", setup.test_x, directions)
        out[kind] = float((before != after).double().mean())
        out["accuracy_change"][kind] = float((after == setup.test_labels).double().mean()
                                              - (before == setup.test_labels).double().mean())
    return out


def _check_d6_changed(answer, *, random_state=0):
    if not isinstance(answer, dict) or set(answer) != {"shortcut", "clean"}:
        raise Incorrect("d6_changed should be a dict with the keys 'shortcut' and 'clean'.")
    mine = as_float_array([answer["shortcut"], answer["clean"]], "d6_changed's values")
    expected = _d6_expected(random_state)
    want = np.array([expected["shortcut"], expected["clean"]])
    diagnose(mine, want, [
        Pitfall("swapped", lambda: want[::-1], "your two values are swapped."),
        Pitfall("accuracy", lambda: np.array([expected["accuracy_change"]["shortcut"],
                                              expected["accuracy_change"]["clean"]]),
                "you measured the change in accuracy; the task asks for the fraction of test images whose predicted "
                "class changes.")],
        rtol=1e-6, otherwise="d6_changed[kind] is the fraction of the drill's test images whose predicted class "
        "changes when the INLP directions are removed at relu1 (lib.predictions_without).")


CHAPTER = Chapter("06", [
    Exercise("capture_activations", "6.1", "1. Capturing activations with hooks", _check_capture_activations, hints=[
        "A forward hook `module.register_forward_hook(fn)` calls fn(module, inputs, output) after the module runs; "
        "it returns a handle whose .remove() unregisters it. Nothing else in this exercise needs more than that.",
        "Make the store (a dict of lists) inside the function; register one hook per name; run the forward "
        "passes under torch.no_grad() inside try: ... finally: remove every handle.",
        "Outline: modules via model.get_submodule(name); loop over batches of batch_size (all inputs when None); "
        "after the finally, torch.cat each list; return {name: tensor}.",
    ]),
    Exercise("probe_layers", "6.2", "2. Linear probes, layer by layer", _check_probe_layers, hints=[
        "Split once: the same folds for every layer and for the control task.",
        "folds = list(StratifiedKFold(cv, shuffle=True, random_state=random_state).split(X, labels)); for each "
        "fold, clone(estimator) (lib.probe_estimator() when None), fit on the training rows, score on the test rows.",
        "Outline: accuracy[name] = mean over folds of held-out accuracy; with control labels the same loop on them "
        "with the same folds; selectivity = accuracy - control.",
    ]),
    Exercise("tcav_score", "6.3", "6. TCAV from scratch", _check_tcav_score, forbidden={"captum": "captum"}, hints=[
        "Three steps: a CAV from a classifier on activations, a gradient of the target logit at the same layer, a "
        "fraction.",
        "CAV: flatten the layer's activations of concept (label 1) and random (label 0) inputs, fit "
        "lib.cav_estimator(), normalise coef_[0]. Gradient: keep the layer's output with a hook (no no_grad) and "
        "torch.autograd.grad(picked logits summed, output).",
        "Outline: derivatives = gradients.flatten(1) @ cav; score = (derivatives > 0).mean().",
    ]),
    Exercise("tcav_significance", "6.4", "6. TCAV from scratch", _check_tcav_significance, hints=[
        "scipy.stats has the two-sample test; which variance assumption does the task state?",
        "scipy.stats.ttest_ind(concept_scores, random_scores) (equal_var=True, two-sided): return its statistic and "
        "pvalue as floats.",
    ]),
    Exercise("d6_probe", "D6 (a)", "Drill D6 · Decodable, but used?", _check_d6_probe, heading="the probes",
             hints=["Section 3 probed the watermark on lib.probe_images; do the same on d6.probe_x, model by model.",
                    "For each CNN: lib.summarise(lib.capture_activations(model, lib.CNN_LAYERS, d6.probe_x)), then "
                    "lib.probe_layers(that, d6.watermarks, random_state=SEED)['accuracy']; d6_first reads the "
                    "shortcut CNN's dict in order and stops at the first value >= lib.WATERMARK_READ."]),
    Exercise("d6_changed", "D6 (b)", "Drill D6 · Decodable, but used?", _check_d6_changed, heading="the changes",
             hints=["lib.inlp_directions on the drill's probing summaries at relu1, then lib.predictions_without on "
                    "the drill's test images, for each model; compare with the model's own predictions.",
                    "changed = (before != after).float().mean(), once with the shortcut CNN and once with the clean "
                    "one, each with its own directions."]),
    Exercise("d6_why", "D6 (c)", "Drill D6 · Decodable, but used?", choice("ABCD"), heading="why",
             hints=["Where does the watermark come from, in both models' first layer?",
                    "A probe reads what is there; an intervention tells what the rest of the network reads."]),
])

__getattr__ = CHAPTER.attribute
__all__ = CHAPTER.names
