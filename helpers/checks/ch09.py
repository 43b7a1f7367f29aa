"""Checks for chapter 09, the round-2 mock task: performance, the blocks' permutation importance (with the
student's chapter 01 function), Grad-CAM shares (with the student's chapter 04 function), a block deletion
test, and two recorded answers.

A function carried over from an earlier chapter is checked first as that chapter checks it, on that
chapter's test beds (chapter 01's exact check of the permutations scored; chapter 04's comparison with
captum on random CNNs), then on the task's model: the values the task asks for are compared with the
course's references (``helpers.lib.ch09``, ``helpers.lib.ch04``). Permutation importance is random: the
student's values and the reference's (scikit-learn's permutation importance, other permutations) are
compared within a tolerance derived from the measured spread, and the value handed in must be exactly
what the student's own function returns for the task's call. Everything else is deterministic.
References are computed after the student's function returned, on a copy of the model taken before the
call, and every call checks that the model and the inputs were left alone.
"""

from __future__ import annotations

import copy

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

from helpers.lib import ch09 as lib
from helpers.lib.ch04 import grad_cam as _course_grad_cam
from helpers.lib.ch04 import targets_of

from . import ch01 as _ch01
from . import ch04 as _ch04
from ._core import Chapter, Exercise, Incorrect, Recorded, as_float_array, call, choice
from ._idioms import Pitfall, close, diagnose, inputs_unchanged, within
from ._torch import call_model, tensor_result

# Exercise 9.2. One drop of accuracy when a block is shuffled has a standard deviation of at most 0.015 over
# the first 500 test images (measured over 40 permutations of each block; the largest is the block whose
# shuffle moves the most predictions), and sigma scales as 1 / sqrt(n_images) (0.018 measured on 300 random
# test images). The student's mean of n_repeats drops and the reference's (other permutations) differ by
# sigma * sqrt(2 / n_repeats) in standard deviation: 5 of those plus a floor of 0.005 (about 0.05 for the
# task's call). The pitfalls the tolerance has to catch differ by more than 0.1 on the blocks that matter
# (a drop of the other sign, a score instead of a drop); the others are caught exactly on chapter 01's beds.
PI_SIGMA_500, Z, PI_FLOOR = 0.015, 5.0, 0.005
# Exercises 9.3 and 9.4 are deterministic: float32 and float64 answers differ by rounding only (measured
# below 1e-6 on the shares and the probability drops); 1e-4 is a hundred times that and far below any pitfall
# (a transposed grid, another image set, another fill value: >= 0.01).
ATOL = 1e-4
# Exercise 9.1: counts divided by counts and an AUC of the same probabilities: rounding only.
RTOL = 1e-6


def _setup():
    setup = lib.task_setup()
    x = torch.as_tensor(setup.test.images[:, None])
    return setup, x


# --------------------------------------------------------------------------------------------
# 9.1 performance


def _truth(model, x, labels, clinic):
    p = lib.malignant_probability(model, x[:, 0])
    pred = (p > 0.5).astype(int)
    names = list(dict.fromkeys(clinic.tolist()))
    sens = {c: float(pred[(clinic == c) & (labels == 1)].mean()) for c in names}
    spec = {c: float(1 - pred[(clinic == c) & (labels == 0)].mean()) for c in names}
    return p, pred, names, {"accuracy": float((pred == labels).mean()), "roc_auc": float(roc_auc_score(labels, p)),
                            "sensitivity": sens, "specificity": spec}


def _rates(value, name, names):
    if not isinstance(value, dict):
        raise Incorrect(f"result['{name}'] should be a dict {{clinic: rate}}, got {type(value).__name__}.")
    if {str(k) for k in value} != set(names):
        raise Incorrect(f"result['{name}'] has the keys {sorted(map(str, value))}, not one per clinic "
                        f"{sorted(names)} (the values of `clinic`, whatever they are).")
    return np.array([float(as_float_array(value[next(k for k in value if str(k) == c)], f"result['{name}'][{c!r}]",
                                          shape=())) for c in names])


def _performance_case(answer, model, x, labels, clinic, what):
    pristine = copy.deepcopy(model)
    with inputs_unchanged(labels=labels):
        result = call_model(answer, model, x, labels, clinic.copy())
    keys = ("accuracy", "roc_auc", "sensitivity", "specificity")
    if not isinstance(result, dict) or set(result) != set(keys):
        raise Incorrect(f"return a dict with exactly the keys {list(keys)}.")
    p, pred, names, truth = _truth(pristine, x, labels, clinic)
    with within(what):
        accuracy = float(as_float_array(result["accuracy"], "result['accuracy']", shape=()))
        diagnose(accuracy, truth["accuracy"], [
            Pitfall("error", lambda: 1 - truth["accuracy"], "that is the error rate: accuracy is the share of "
                    "images whose predicted class equals the label."),
            Pitfall("balanced", lambda: float(np.mean([pred[labels == k].mean() if k else 1 - pred[labels == k].mean()
                                                       for k in (0, 1)])), "that is the balanced accuracy (the mean "
                    "of sensitivity and specificity): the task asks for the plain accuracy.")],
            rtol=RTOL, otherwise="result['accuracy'] is not the share of images whose predicted class (the larger "
                                 "logit) equals the label.")
        auc = float(as_float_array(result["roc_auc"], "result['roc_auc']", shape=()))
        diagnose(auc, truth["roc_auc"], [
            Pitfall("hard", lambda: float(roc_auc_score(labels, pred)), "your ROC AUC is computed from the predicted "
                    "CLASSES: the ROC curve needs a score, P(malignant) (or the malignant logit)."),
            Pitfall("benign", lambda: float(roc_auc_score(labels, 1 - p)), "your ROC AUC scores P(benign): use the "
                    "probability of the positive class, malignant (1), as the score.")],
            rtol=RTOL, otherwise="result['roc_auc'] is not scikit-learn's roc_auc_score of the labels and P(malignant).")
        sens, spec = (_rates(result[k], k, names) for k in ("sensitivity", "specificity"))
        want = [np.array([truth[k][c] for c in names]) for k in ("sensitivity", "specificity")]
        overall = [float(pred[labels == 1].mean()), float(1 - pred[labels == 0].mean())]
        for name, yours, expected, other, total in (("sensitivity", sens, want[0], want[1], overall[0]),
                                                    ("specificity", spec, want[1], want[0], overall[1])):
            diagnose(yours, expected, [
                Pitfall("swapped", lambda other=other: other, "your sensitivity and specificity are swapped: "
                        "sensitivity = P(predicted malignant | malignant), specificity = P(predicted benign | benign)."),
                Pitfall("clinics", lambda expected=expected: expected[::-1], f"your {name} of the two clinics are "
                        "swapped: key each rate by the clinic whose images it was computed on."),
                Pitfall("complement", lambda expected=expected: 1 - expected, f"your {name} is its complement (the "
                        "false negative or false positive rate): " + ("sensitivity is the share of malignant lesions "
                        "flagged." if name == "sensitivity" else "specificity is the share of benign lesions "
                        "cleared.")),
                Pitfall("overall", lambda total=total: np.full(len(names), total), f"your {name} is the same for "
                        "every clinic, the overall one: compute it within each clinic's images.")],
                rtol=RTOL, otherwise=f"result['{name}'] is not, per clinic, the share of "
                                     f"{'malignant' if name == 'sensitivity' else 'benign'} images predicted "
                                     f"{'malignant' if name == 'sensitivity' else 'benign'}.")


def _check_performance(answer, *, seeds=(), n=300, names=None):
    setup, x = _setup()
    cases = [] if seeds else [(setup.model, x, setup.test.labels, setup.test.clinic, "on the test split")]
    for seed in seeds:
        model, images, labels, clinic = lib.performance_bed(seed, n=n)
        if names:
            clinic = np.where(clinic == lib.CLINICS[0], names[0], names[1])
        cases.append((model, torch.as_tensor(images[:, None]), labels, clinic, f"on {n} shuffled test images"))
    for case in cases:
        _performance_case(answer, *case)


# --------------------------------------------------------------------------------------------
# 9.2 block_importance


def _pi_tolerance(n_images, n_repeats):
    return Z * PI_SIGMA_500 * np.sqrt(500 / n_images) * np.sqrt(2 / n_repeats) + PI_FLOOR


def _block_call(answer, model, X, y, n_repeats, random_state, what):
    groups = lib.block_groups()
    with inputs_unchanged(X=X, y=y):
        result = call(answer, lib.PixelClassifier(copy.deepcopy(model)), X, y, [g.copy() for g in groups],
                      n_repeats=n_repeats, random_state=random_state)
    return tensor_result(result, (len(groups), n_repeats), f"what your grouped_permutation_importance returns {what}")


def _compare_with_reference(yours, model, X, y, n_repeats, random_state, what):
    tolerance = _pi_tolerance(len(X), n_repeats)
    reference = lib.block_permutation_importance(lib.PixelClassifier(model), X, y, lib.block_groups(),
                                                 n_repeats=n_repeats, random_state=random_state).mean(axis=1)
    mine = yours.mean(axis=1)
    if np.all(np.abs(mine - reference) <= tolerance):
        return
    if np.all(np.abs(mine + reference) <= tolerance):
        raise Incorrect(f"{what}, your importances have the wrong sign: a drop of accuracy is positive "
                        "(baseline score minus permuted score).")
    block = divmod(int(np.argmax(np.abs(mine - reference))), lib.GRID)
    raise Incorrect(f"{what}, your importance of block {block} is further from scikit-learn's permutation "
                    f"importance of the same block than sampling explains (tolerance {tolerance:.3f}): does your "
                    "function score with `model.score(X, y)` (the accuracy, for this classifier) and shuffle all of "
                    "a block's pixels with one row permutation?")


def _check_block_importance(function, value, *, seed=0, random_state=0, subset=None, n_images=300):
    with within("on chapter 01's test beds (exercise 1.3's check)"):
        _ch01._check_grouped(function, seed=seed)
    setup, _ = _setup()
    pristine = copy.deepcopy(setup.model)
    X, y = lib.flat(setup.test.images[:lib.PI_IMAGES]), setup.test.labels[:lib.PI_IMAGES].copy()
    task = "for the task's call (the first 500 test images, n_repeats=5, random_state=SEED)"
    drops = _block_call(function, setup.model, X, y, lib.PI_REPEATS, random_state, task)
    yours = as_float_array(value, "block_importance")
    mean = drops.mean(axis=1)
    if yours.shape == (lib.GRID ** 2,) and close(yours, mean):
        raise Incorrect("block_importance has shape (16,): reshape the 16 means to (4, 4), row by row, so that "
                        "block_importance[r, c] is block (r, c).")
    if yours.shape == drops.shape:
        raise Incorrect("block_importance holds every repeat: take the mean over the repeats, then reshape to (4, 4).")
    if yours.shape != (lib.GRID, lib.GRID):
        raise Incorrect(f"block_importance should have shape (4, 4); yours has shape {yours.shape}.")
    grid = mean.reshape(lib.GRID, lib.GRID)
    if not close(yours, grid):
        if close(yours, grid.T):
            raise Incorrect("block_importance is transposed: row r, column c must hold block (r, c), the 8x8 pixels "
                            "at rows 8r..8r+7 and columns 8c..8c+7 (lib.block_groups lists them row by row).")
        if close(yours, drops.sum(axis=1).reshape(lib.GRID, lib.GRID)):
            raise Incorrect("block_importance sums the repeats: take their MEAN.")
        raise Incorrect("block_importance is not the mean over repeats of what your grouped_permutation_importance "
                        f"returns {task}: compute it with your function, on those images.")
    if subset is None:  # the visible check: the task's call against scikit-learn's
        _compare_with_reference(drops, pristine, X, y, lib.PI_REPEATS, random_state, "on the task's images")
    else:  # hidden tests: another random_state and another set of images
        rows = np.random.default_rng(subset).choice(len(setup.test), size=n_images, replace=False)
        X2, y2 = lib.flat(setup.test.images[rows]), setup.test.labels[rows].copy()
        what = f"on {n_images} other test images with random_state={random_state + 1}"
        drops2 = _block_call(function, setup.model, X2, y2, lib.PI_REPEATS, random_state + 1, what)
        _compare_with_reference(drops2, pristine, X2, y2, lib.PI_REPEATS, random_state + 1, what)


# --------------------------------------------------------------------------------------------
# 9.3 cam_share


def _flagged(model, x):
    return x[lib.malignant_probability(model, x[:, 0]) > 0.5]


def _shares(maps, keep_zero=False):
    total = maps.sum(axis=(1, 2))
    keep = np.ones(len(maps), bool) if keep_zero else total > 0
    masses = lib._block_masses(maps[keep], lib.BLOCK)
    return masses / np.where(total[keep] > 0, total[keep], 1)[:, None, None]


def _check_cam_share(function, value, *, seed=0, n_images=6, start=0):
    with within("on chapter 04's test beds (exercise 4.2's check)"):
        _ch04._check_grad_cam(function, seed=seed)
    setup, x = _setup()
    model = setup.model
    flagged = _flagged(model, x)
    some = flagged[start:start + n_images]
    pristine = copy.deepcopy(model)
    result = call_model(function, model, some, lib.MALIGNANT, model.conv3)
    mine = tensor_result(result, (len(some), 32, 32), "your Grad-CAM of the task's model")
    expected = _course_grad_cam(pristine, some, lib.MALIGNANT, pristine.conv3).detach().double().numpy()
    if not close(mine, expected, rtol=_ch04.RTOL):
        raise Incorrect("on the task's model (class 1, layer conv3) your Grad-CAM differs from the course's: does it "
                        "hook the layer it is given and explain the target it is given?")
    yours = as_float_array(value, "cam_share")
    if yours.shape != (lib.GRID, lib.GRID):
        raise Incorrect(f"cam_share should have shape (4, 4), one share per block; yours has shape {yours.shape}.")
    maps = _course_grad_cam(pristine, flagged, lib.MALIGNANT, pristine.conv3).detach().double().numpy()
    everyone = _course_grad_cam(pristine, x, lib.MALIGNANT, pristine.conv3).detach().double().numpy()
    benign = _course_grad_cam(pristine, flagged, 0, pristine.conv3).detach().double().numpy()
    truth = _shares(maps).mean(axis=0)
    diagnose(yours, truth, [
        Pitfall("transposed", lambda: truth.T, "cam_share is transposed: row r, column c must hold block (r, c), the "
                "pixels at rows 8r..8r+7 and columns 8c..8c+7."),
        Pitfall("pooled", lambda: lib._block_masses(maps, lib.BLOCK).sum(axis=0) / maps.sum(), "you divided the "
                "blocks' total mass over all images by the total of all maps: take each image's shares first (its "
                "blocks' masses over its own total), then the mean over images, so that every image counts alike."),
        Pitfall("all images", lambda: _shares(everyone).mean(axis=0), "your shares are averaged over every test "
                "image: the task asks for the images the model classifies as malignant."),
        Pitfall("benign", lambda: _shares(benign).mean(axis=0), "your maps explain class 0 (benign): the task asks "
                "for class 1, malignant."),
        Pitfall("masses", lambda: lib._block_masses(maps, lib.BLOCK).mean(axis=0), "your values are the blocks' "
                "masses, not their shares of each image's total map: divide by each map's sum first.")],
        atol=ATOL, rtol=0, otherwise="cam_share is not the mean over the flagged images of each block's share of "
                                     "the image's Grad-CAM map (class 1, conv3).")


# --------------------------------------------------------------------------------------------
# 9.4 block_deletion


def _deletion_pitfalls(model, x, maps, target, block):
    n, _, h, w = x.shape
    t = targets_of(target, n)
    masses = lib._block_masses(np.asarray(maps, float), block).reshape(n, -1)
    g = w // block

    def drops(fill, score="probability", keep=None):
        def value(images):
            with torch.no_grad():
                out = model(images)
                out = out.softmax(dim=1) if score == "probability" else out
                return out.gather(1, t.view(-1, 1))[:, 0].double().numpy()
        before, rows = value(x), []
        for b in range(masses.shape[1]):
            r, c = divmod(b, g)
            occluded = x.clone()
            occluded[:, :, block * r:block * (r + 1), block * c:block * (c + 1)] = fill(x)
            rows.append(before - value(occluded))
        return np.stack(rows, axis=1)

    mean_fill = lambda images: images.mean(dim=(1, 2, 3), keepdim=True)[:, :, 0:1, 0:1]  # noqa: E731
    right = drops(mean_fill)
    top = masses.argmax(axis=1)
    transposed = np.array([(b % g) * g + b // g for b in top])
    peak = np.asarray(maps, float).reshape(n, -1).argmax(axis=1)
    by_pixel = (peak // w // block) * g + (peak % w) // block
    pick = lambda d, index: d[np.arange(n), index]  # noqa: E731
    without = (right.sum(axis=1) - pick(right, top)) / (right.shape[1] - 1)
    return right, top, [
        ("black", drops(lambda images: torch.zeros_like(images[:, :, 0:1, 0:1])), top, "you replaced the block with "
         "0 (black): the task replaces it with the image's own mean pixel value, which is closer to the skin."),
        ("grey", drops(lambda images: torch.full_like(images[:, :, 0:1, 0:1], 0.5)), top, "you replaced the block "
         "with 0.5: the task replaces it with the image's own mean pixel value."),
        ("batch mean", drops(lambda images: images.mean().expand(len(images), images.shape[1], 1, 1)), top, "you "
         "replaced the block with the mean of ALL images: use each image's own mean pixel value."),
        ("logit", drops(mean_fill, "logit"), top, "your drops are drops of the target's LOGIT: the task measures the "
         "drop of its probability (the softmax)."),
        ("sign", -right, top, "your drops have the wrong sign: a drop is p(x) minus p(x with the block replaced)."),
        ("transposed", right, transposed, "you replaced the block at the transposed position: block number b sits "
         "at row b // (w // block), column b % (w // block) (row by row)."),
        ("pixel", right, by_pixel, "you picked the block that holds the map's largest PIXEL: the task picks the "
         "block with the largest total mass (the sum of the map over the block)."),
        ("smallest", right, masses.argmin(axis=1), "you replaced the block with the SMALLEST mass: the deletion test "
         "removes what the map calls most important."),
    ], without


def _deletion_case(function, model, x, maps, target, block, what):
    pristine = copy.deepcopy(model)
    result = call_model(function, model, x, maps.copy(), target, block=block)
    n = len(x)
    if not isinstance(result, dict) or set(result) != {"top", "average"}:
        raise Incorrect(f"{what}: return a dict with exactly the keys 'top' and 'average'.")
    top, average = (tensor_result(result[k], (n,), f"result['{k}']") for k in ("top", "average"))
    right, best, pitfalls, without = _deletion_pitfalls(pristine, x, maps, target, block)
    expected = lib.block_deletion(pristine, x, maps, target, block=block)
    if close(top, expected["top"], atol=ATOL, rtol=0) and close(average, expected["average"], atol=ATOL, rtol=0):
        return
    for _, drops, index, message in pitfalls:
        if close(top, drops[np.arange(n), index], atol=ATOL, rtol=0) and not close(
                drops[np.arange(n), index], expected["top"], atol=ATOL, rtol=0):
            raise Incorrect(f"{what}: {message}")
    with within(what):
        diagnose(top, expected["top"], [], atol=ATOL, rtol=0, otherwise="result['top'] is not the drop of the "
                 "target's probability when the block with the largest mass is replaced by the image's mean.")
        diagnose(average, expected["average"], [
            Pitfall("without top", lambda: without, "result['average'] leaves out the top block: the random-block "
                    "baseline averages the drop over ALL blocks (a block chosen uniformly at random).")],
            atol=ATOL, rtol=0, otherwise="result['average'] is not the mean over all blocks of the drop of the "
                                         "target's probability when that block is replaced by the image's mean.")


def _check_block_deletion(function, value, *, seeds=(0, 1), size=16, block=4, n_classes=3, dtype=torch.float32,
                          task=True):
    for seed in seeds:
        model, x, maps, target = lib.deletion_bed(seed, size=size, block=block, n_classes=n_classes, dtype=dtype)
        as_int = seed % 2 == 1
        _deletion_case(function, model, x, maps, int(target[0]) if as_int else target, block,
                       f"on a random CNN ({size}x{size} images, blocks of {block}, "
                       f"{'one target for all' if as_int else 'one target per image'})")
    if not task:
        return
    if not isinstance(value, dict) or set(value) != {"top", "average"}:
        raise Incorrect("deletion should be a dict with exactly the keys 'top' and 'average' (two numbers).")
    top, average = (float(as_float_array(value[k], f"deletion['{k}']", shape=())) for k in ("top", "average"))
    setup, x = _setup()
    flagged = _flagged(setup.model, x)
    maps = _course_grad_cam(setup.model, flagged, lib.MALIGNANT, setup.model.conv3).detach().double().numpy()
    truth = lib.block_deletion(setup.model, flagged, maps, lib.MALIGNANT)
    if close([average, top], [truth["top"].mean(), truth["average"].mean()], atol=ATOL, rtol=0):
        raise Incorrect("deletion's two numbers are swapped: 'top' is the drop for the block with the largest "
                        "Grad-CAM mass, 'average' the mean drop over all blocks.")
    if not close([top, average], [truth["top"].mean(), truth["average"].mean()], atol=ATOL, rtol=0):
        raise Incorrect("deletion is not the mean over the flagged images (x_test[p_test > 0.5]) of your "
                        "block_deletion with the course's Grad-CAM maps of class 1 (`lib.cam_maps`), blocks of 8.")


# --------------------------------------------------------------------------------------------
# 9.5 and 9.6: recorded answers


def _check_off_lesion_block(answer, *, key=None):
    if isinstance(answer, str):
        if answer.strip().lower() != "none":
            raise Incorrect(f"answer with a (row, col) pair of ints from 0 to 3, or the string \"none\"; got {answer!r}.")
        found = "none"
    elif isinstance(answer, (tuple, list)) and len(answer) == 2 and all(
            type(v) is int or (isinstance(v, np.integer)) for v in answer):
        found = tuple(int(v) for v in answer)
        if not all(0 <= v < lib.GRID for v in found):
            raise Incorrect(f"row and column run from 0 to 3 (a 4x4 grid of 8x8 blocks); got {found}.")
    else:
        raise Incorrect(f"answer with a (row, col) pair of ints from 0 to 3, or the string \"none\"; got "
                        f"{type(answer).__name__}.")
    if key is None:
        raise Recorded(f"block {found} recorded." if found != "none" else "\"none\" recorded.")
    if found != (key if isinstance(key, str) else tuple(key)):
        shown = '"none"' if found == "none" else str(found)
        raise Incorrect(f"{shown} is not the block the grader expects. Reread your evidence: which block matters "
                        "to the model although it holds nothing of the lesion?")


_PI_FORBIDDEN = {"sklearn.inspection._permutation_importance": "scikit-learn's permutation_importance"}
_CAM_FORBIDDEN = {"captum": "captum", "torchcam": "torchcam"}
CHAPTER = Chapter("09", [
    Exercise("performance", "9.1", "2. Performance", _check_performance, hints=[
        "Compute P(malignant) once: the softmax of the model's logits on x, column 1 (`torch.no_grad()`); the "
        "predicted class is the larger logit.",
        "scikit-learn's `roc_auc_score(labels, probabilities)` takes the score, not the predicted class. "
        "Sensitivity: among the malignant images of a clinic, the share predicted malignant; specificity: among "
        "its benign ones, the share predicted benign.",
        "Loop over `np.unique(clinic)` and build `{c: ...}` for both rates; return the four entries in one dict."]),
    Exercise("block_importance", "9.2", "3. Which inputs drive the predictions", _check_block_importance,
             forbidden=_PI_FORBIDDEN, hints=[
        "Paste your grouped_permutation_importance of chapter 01 (exercise 1.3) as it passed its check: it works "
        "on any model with `score(X, y)`, and `lib.PixelClassifier` gives the CNN one.",
        "X is one flattened image per row (`lib.flat`), the groups are `lib.block_groups()` (16 blocks, row by "
        "row); call it once, as the task writes, and keep the (16, 5) result.",
        "`result.mean(axis=1).reshape(4, 4)`: row r, column c is block (r, c)."]),
    Exercise("cam_share", "9.3", "3. Which inputs drive the predictions", _check_cam_share, forbidden=_CAM_FORBIDDEN,
             hints=[
        "Paste your grad_cam of chapter 04 (exercise 4.2); explain class 1 at `model.conv3` for the flagged images.",
        "A map (32, 32) splits into 4x4 blocks of 8x8 pixels with `maps.reshape(n, 4, 8, 4, 8).sum(axis=(2, 4))`.",
        "Divide each image's block masses by its map's total (skip all-zero maps), then average over the images."]),
    Exercise("block_deletion", "9.4", "4. Can the explanations be trusted", _check_block_deletion, hints=[
        "p = softmax(model(x)) at the target, once for x and once per block, on a copy of x whose block (all "
        "channels) is set to the image's mean pixel value (`x.mean(dim=(1, 2, 3))`).",
        "The block masses come from the maps as in exercise 9.3's hint; `argmax` over the flattened blocks gives "
        "the top block (the first one on a tie), row by row: block b is row b // g, column b % g.",
        "Collect the drops of all blocks in an (n, blocks) array: 'top' picks each image's top block, 'average' "
        "is the mean over the blocks."]),
    Exercise("off_lesion_block", "9.5", "5. Failures and why", _check_off_lesion_block, hints=[
        "Compare the blocks your two methods rank high with where the lesions are (the mean image helps).",
        "A block that matters to the model but holds no lesion: what is in it, on which images, and does changing "
        "only it change the prediction?"]),
    Exercise("new_clinic", "9.6", "6. What should be done", choice("ABCD"), hints=[
        "What do clinic C's images have in common with clinic A's, and with clinic B's?",
        "Test it: make clinic B's test images look like clinic C's would, and measure the sensitivity."]),
])
__getattr__ = CHAPTER.attribute
__all__ = CHAPTER.names
