"""Checks for chapter 04: saliency, Grad-CAM, Integrated Gradients and drill D5.

Every check builds its models and images from a seed (``helpers.lib.ch04``: small random CNNs, a
linear model whose saliency is its weight row, a quadratic model on which the trapezoid rule is exact
and a left Riemann sum is not), so hidden tests vary seeds, shapes, dtypes and targets (an int or one
class per image, never the argmax). Oracles: captum's ``Saliency(abs=True)``, ``LayerGradCam(
relu_attributions=True)`` + ``LayerAttribution.interpolate(..., "bilinear")`` (torchcam's ``GradCAM(...,
normalized=False)`` agrees, tests/test_lib_ch04.py), ``IntegratedGradients(method="riemann_trapezoid")``
rescaled by n / (n - 1), closed forms and completeness. A spy model records every batch the answer
evaluates (the IG check knows the quadrature points exactly); each call also checks that the caller's
input, model mode, parameters and hooks are left as they were.
"""

from __future__ import annotations

import itertools

import numpy as np
import torch
import torch.nn.functional as F
from captum.attr import IntegratedGradients, LayerAttribution, LayerGradCam, Saliency
from torch import nn

from helpers.lib import ch04 as lib

from ._core import Chapter, Exercise, Incorrect, choice
from ._idioms import Pitfall, close, diagnose
from ._torch import SpyNet, call_model, tensor_result

# Tolerances, relative to the largest |expected| value.
# Two correct float32 answers differ only by rounding (batched vs looped gradients, another summation
# order, captum's float32 alphas): measured over 50 random test beds, at most 2.9e-7 of the scale for
# saliency, 2.4e-7 for Grad-CAM, 6.4e-7 for IG (tests/answers/ch04.py, ALTERNATIVE and BASES). 2e-5 is
# 30 times the largest; the nearest pitfall (captum's weights) is off by 1 / (steps + 1) > 1e-2.
RTOL = 2e-5
# Completeness on the quadratic model, where the trapezoid rule is exact: |sum(attr) - (f(x) - f(b))|,
# relative to sum |attr| + |f(x)| + |f(b)| (the size of the numbers that cancel; relative to |f(x) - f(b)|
# alone a near-zero difference would blow rounding up), measured at most 9e-8 for correct float32
# answers over 200 seeds. 2e-6 is 20 times that; a left Riemann sum at 100 steps is off by 1.6e-4 to
# 2.2e-3 on average per test bed.
COMPLETENESS_RTOL = 2e-6
# A point r counts as "on the path" when its distance to the line b + alpha (x - b) is below 1e-4 of
# |x - b| (float32 rounding leaves about 1e-7), and as the grid point k / steps when alpha is within
# 1e-3 / steps of it: a thousandth of the spacing, far above rounding, far below any other rule's offset.
PATH_TOL, ALPHA_TOL = 1e-4, 1e-3


_SOFTMAX = ("the gradient of the softmax probability; take the gradient of the target's LOGIT (the model's raw "
            "output), which does not saturate.")
_ARGMAX = ("you explained the predicted class, not `target`: use the target you are given (the checks ask for classes "
           "the model does not predict).")
_TRAPEZOID = "the trapezoid rule uses all steps + 1 points alpha = k / steps, weight 1 / steps, the ends 1 / (2 steps)."
_NO_RELU = "Grad-CAM applies a ReLU to the weighted sum of the activation maps (before upsampling)."
_NORMALISED = ("your maps are normalised to [0, 1] (each divided by its maximum, or min-max scaled as torchcam's default "
               "normalized=True does); the task asks for the raw map (torchcam's normalized=False), so that maps of "
               "different images and models compare.")
_SCALE_FACTOR = ("upsample to x's size with `size=`, not a scale factor: F.interpolate(cam, size=x.shape[-2:], ...). "
                 "A scale factor of the layer's resolution reaches x's size only when it divides it evenly; this test "
                 "bed's image is {size}, the layer's map {low}, and your map is {shape}.")


def _minmax(maps, zero=True):
    """Each map (n, h, w) scaled to a maximum of 1, and to a minimum of 0 when ``zero``."""
    low = maps.flatten(1).amin(dim=1)[:, None, None] if zero else torch.zeros(len(maps), 1, 1, dtype=maps.dtype)
    span = (maps.flatten(1).amax(dim=1)[:, None, None] - low).clamp_min(1e-30)
    return (maps - low) / span


def _argmax(model, x):
    with torch.no_grad():
        return model(x).argmax(dim=1)


def _grad(model, x, target, score="logit"):
    """Signed gradient of a score of the target class with respect to x (float64 numpy)."""
    return lib.input_gradient(model, x, target, score=score).double().numpy()


def _tol(expected):
    """``diagnose``'s tolerance: RTOL of the largest |expected| value (of the test bed's scale)."""
    return {"rtol": RTOL, "scale": float(np.abs(expected).max()) or 1.0}


# Exercise 4.1: saliency


def _saliency_case(answer, model, x, target, expected):
    spy = SpyNet(model)
    raw = call_model(answer, spy, x, target)
    n, c, *size = x.shape
    if c > 1 and tuple(raw.shape if isinstance(raw, torch.Tensor) else np.shape(raw)) in [(n, *size), (n, 1, *size)]:
        raise Incorrect("your map has one channel: this task keeps the channel axis (no max over channels), shape "
                        "like x, as captum's Saliency does (Simonyan et al.'s map is the max over channels; this "
                        "chapter keeps them all).")
    mine = tensor_result(raw, x.shape, "your saliency map")
    if not spy.batches or bool((torch.cdist(spy.rows().double().flatten(1), x.double().flatten(1)).min(dim=1).values
                                > 1e-6).any()):
        raise Incorrect("your function evaluated the model on images other than x (noise added? that is SmoothGrad, "
                        "section 2.3): saliency is the gradient at x itself.")
    g = _grad(model, x, target)
    pitfalls = [
        Pitfall("signed", lambda: g, "your map is the signed gradient: saliency is its absolute value |d logit / dx|."),
        Pitfall("softmax", lambda: np.abs(_grad(model, x, target, "softmax")), "your map is " + _SOFTMAX),
        Pitfall("argmax", lambda: np.abs(_grad(model, x, _argmax(model, x))), _ARGMAX),
        Pitfall("first target", lambda: np.abs(_grad(model, x, int(lib.targets_of(target, len(x))[0]))),
                "you used the first image's target for the whole batch: `target` may hold one class per image."),
        Pitfall("input x gradient", lambda: np.abs(g * x.double().numpy()),
                "your map is |x * gradient| (Input x Gradient, section 5); saliency is |gradient| alone."),
    ]
    diagnose(mine, expected, pitfalls, **_tol(expected), otherwise="your map is not |d logit_target / dx| at x, per "
             "pixel and channel.")


def _check_saliency(answer, *, seed=0, n=4, channels=2, size=(10, 12), n_classes=3):
    shape = (n, channels, *size)
    linear, x = lib.linear_model(seed, in_shape=shape[1:], n_classes=n_classes), lib.random_images(seed, shape)
    target = lib.other_targets(linear, x, seed, n_classes)
    expected = linear.fc.weight.detach().double()[target].abs().view(shape).numpy()  # closed form: |W[target]|
    _saliency_case(answer, linear, x, target, expected)
    for dtype, train, tgt in [(torch.float64, False, 1), (torch.float32, True, None)]:
        model = lib.random_cnn(seed + 1, in_channels=channels, n_classes=n_classes, dtype=dtype).train(train)
        x = lib.random_images(seed + 2, shape, dtype=dtype)
        tgt = lib.other_targets(model, x, seed, n_classes) if tgt is None else tgt
        expected = Saliency(model).attribute(x, target=tgt, abs=True).detach().double().numpy()
        _saliency_case(answer, model, x, tgt, expected)


# Exercise 4.2: grad_cam


def _cam_parts(model, x, target, layer, score="logit"):
    return tuple(t.double() for t in lib.layer_gradient(model, x, target, layer, score=score))


def _up(cam, size, mode="bilinear", corners=False):
    kwargs = {} if mode == "nearest" else {"align_corners": corners}
    return F.interpolate(cam[:, None], size=size, mode=mode, **kwargs)[:, 0].numpy()


def _cam_pitfalls(model, x, target, layer):
    size = x.shape[-2:]
    A, G = _cam_parts(model, x, target, layer)
    raw = (G.mean(dim=(2, 3), keepdim=True) * A).sum(dim=1)
    cam = F.relu(raw)
    peak = cam.flatten(1).amax(dim=1).clamp_min(1e-30)[:, None, None]
    variant = lambda A, G: _up(F.relu((G.mean(dim=(2, 3), keepdim=True) * A).sum(dim=1)), size)  # noqa: E731
    return [
        Pitfall("not pooled", lambda: _up(F.relu((G * A).sum(dim=1)), size),
                "you multiplied gradients and activations pixel by pixel; Grad-CAM first averages each channel's "
                "gradient over the map (global average pooling) and weighs the whole channel by it."),
        Pitfall("nearest", lambda: _up(cam, size, "nearest"), "your map is upsampled with nearest-neighbour "
                "interpolation; the task (and the oracle) use bilinear, align_corners=False."),
        Pitfall("corners", lambda: _up(cam, size, corners=True), "your bilinear upsampling uses align_corners=True; "
                "the task uses align_corners=False (F.interpolate's and captum's default)."),
        Pitfall("relu after", lambda: np.maximum(_up(raw, size), 0), "you applied the ReLU after upsampling; apply it "
                "to the low-resolution map, then upsample (as captum's LayerGradCam does)."),
        Pitfall("softmax", lambda: variant(*_cam_parts(model, x, target, layer, "softmax")),
                "your weights come from " + _SOFTMAX),
        Pitfall("argmax", lambda: variant(*_cam_parts(model, x, _argmax(model, x), layer)), _ARGMAX),
        Pitfall("normalised", lambda: _up(cam / peak, size), _NORMALISED),
        Pitfall("min-max", lambda: _up(_minmax(cam), size), _NORMALISED),
        Pitfall("normalised after upsampling", lambda: _minmax(torch.from_numpy(_up(cam, size)), zero=False).numpy(),
                _NORMALISED),
        Pitfall("min-max after upsampling", lambda: _minmax(torch.from_numpy(_up(cam, size))).numpy(), _NORMALISED),
        Pitfall("summed", lambda: _up(cam * A.shape[2] * A.shape[3], size),
                "your channel weights are sums of the gradient over the map, not its mean: divide by h * w."),
        Pitfall("bicubic", lambda: _up(cam, size, "bicubic"), "your map is upsampled bicubically (it overshoots below "
                "0); the task (and the oracle) use bilinear, align_corners=False."),
    ]


def _check_grad_cam(answer, *, seed=0, n=4, channels=1, size=(12, 16), n_classes=4, width=6):
    for dtype, train, per_image in [(torch.float32, False, True), (torch.float64, True, False)]:
        model = lib.random_cnn(seed, in_channels=channels, n_classes=n_classes, width=width, dtype=dtype).train(train)
        x, tgt, one = lib.cam_bed(model, lib.random_images(seed + 1, (3 * n, channels, *size), dtype=dtype), n)
        tgt, layer = (tgt if per_image else one), model.conv2
        low = tuple(model.conv2(model.relu1(model.conv1(x))).shape[-2:])
        cam = LayerGradCam(model, layer).attribute(x, target=tgt, relu_attributions=True)
        expected = LayerAttribution.interpolate(cam, tuple(size), "bilinear")[:, 0].detach().double().numpy()
        result = call_model(answer, model, x, tgt, layer)
        shape = tuple(result.shape if isinstance(result, torch.Tensor) else np.shape(result))
        if shape in [(n, *low), (n, 1, *low)]:
            raise Incorrect(f"your map has the layer's resolution {low}; upsample it to the image's {tuple(size)} "
                            "(bilinear, align_corners=False).")
        if shape == (n, 1, *size):
            raise Incorrect(f"return one map per image, shape {(n, *size)}: drop the channel axis (`cam[:, 0]`).")
        if len(shape) in (3, 4) and shape[0] == n and shape[-2:] != tuple(size) and any(
                shape[-2:] == (k * low[0], k * low[1]) for k in range(2, 9)):
            raise Incorrect(_SCALE_FACTOR.format(size=tuple(size), low=low, shape=shape[-2:]))
        mine, pitfalls = tensor_result(result, (n, *size), "your Grad-CAM"), _cam_pitfalls(model, x, tgt, layer)
        if np.any(mine < 0) and not close(mine, pitfalls[-1].compute(), **_tol(expected)):
            raise Incorrect("your map has negative values: " + _NO_RELU)
        peaks, true_peaks = mine.reshape(n, -1).max(axis=1), expected.reshape(n, -1).max(axis=1)
        if (np.allclose(peaks[true_peaks > 0], 1, rtol=0, atol=1e-4) and not np.allclose(true_peaks, 1, atol=1e-2)
                and not close(mine, expected, **_tol(expected))):
            raise Incorrect(_NORMALISED)
        diagnose(mine, expected, pitfalls, **_tol(expected), otherwise="your map is not "
                 "ReLU(sum_k alpha_k A_k), alpha_k the spatial mean of d logit / dA_k, upsampled bilinearly.")


# Exercise 4.3: integrated_gradients


def _check_points(spy, x, b, steps):
    """The images the answer evaluated: on each image's path, at the steps + 1 points of the trapezoid rule."""
    n, m = len(x), steps
    if not spy.batches:
        raise Incorrect("your function never called the model.")
    rows = spy.rows().double().flatten(1)                                       # (r, d)
    b = b.double().flatten(1)                                                   # (n, d)
    d = x.double().flatten(1) - b
    offset = rows[:, None] - b[None]                                            # (r, n, d)
    alpha = (offset * d).sum(-1) / (d * d).sum(-1)                              # (r, n): alpha on each path
    on = (offset - alpha[..., None] * d).norm(dim=-1) <= PATH_TOL * d.norm(dim=-1)
    if not bool(on.any(dim=1).all()):
        raise Incorrect("your function evaluated the model on images that are not on the straight path from the "
                        "baseline to x: use the baseline you are given (None means zeros), and only the points "
                        "baseline + alpha * (x - baseline).")
    alpha, on = alpha.numpy(), on.numpy()
    for i in range(n):
        a = np.unique(np.round(alpha[on[:, i], i] * m / ALPHA_TOL) * ALPHA_TOL / m)
        on_grid = np.abs(a * m - np.round(a * m)) < ALPHA_TOL
        k = set(np.round(a[on_grid] * m).astype(int).tolist())
        if np.all(np.abs(a * (m - 1) - np.round(a * (m - 1))) < ALPHA_TOL) and len(a) == m and m > 1:
            raise Incorrect(f"for steps={m} your path has {m} points alpha = k / {m - 1}: that is {m - 1} intervals "
                            f"(captum's n_steps counts points). Use steps intervals: alpha = k / steps, k = 0..steps.")
        if not on_grid.all():
            mid = np.all(np.abs(a * m - 0.5 - np.round(a * m - 0.5)) < ALPHA_TOL)
            raise Incorrect(("your points alpha = (k + 1/2) / steps are the midpoint rule" if mid else f"some of your "
                             f"points are not alpha = k / {m}") + f"; {_TRAPEZOID}")
        for missed, end, rule in [(range(m), "1 (x itself)", "left"), (range(1, m + 1), "0 (the baseline)", "right")]:
            if k == set(missed):
                raise Incorrect(f"you never evaluated alpha = {end}: that is a {rule} Riemann sum; {_TRAPEZOID}")
        if k != set(range(m + 1)):
            raise Incorrect(f"for steps={m} your function evaluated {len(k)} of the {m + 1} points alpha = k / {m} "
                            "of the trapezoid rule: evaluate each of them.")
    if len(rows) > (m + 3) * n:
        raise Incorrect(f"too many points evaluated: {len(rows)} images for {n} images and "
                        f"steps={m}; the rule needs each of the {m + 1} points of a path once.")


def _ig_pitfalls(model, x, target, b, steps):
    ig = lambda net=model, t=target, **kw: lib._ig(net, x, t, b, steps=steps, **kw).double().numpy()  # noqa: E731
    trapezoid = ig()
    return [
        Pitfall("no factor", lambda: ig(factor=False), "your attributions are the averaged gradients without the outer "
                "factor (x - baseline): multiply by it (completeness fails without it; drill D5)."),
        Pitfall("left", lambda: ig(rule="left"), f"your weights make a left Riemann sum (x unweighted); {_TRAPEZOID}"),
        Pitfall("right", lambda: ig(rule="right"), f"your weights make a right Riemann sum; {_TRAPEZOID}"),
        Pitfall("captum", lambda: trapezoid * steps / (steps + 1), "your weights sum to steps / (steps + 1), captum's "
                "riemann_trapezoid on steps + 1 points; the textbook trapezoid on steps intervals has step 1 / steps."),
        Pitfall("ends not halved", lambda: trapezoid + (x - b).double().numpy() * (
                _grad(model, b, target) + _grad(model, x, target)) / (2 * steps),
                "your weights are 1 / steps at every one of the steps + 1 points, the ends included (they sum to "
                "(steps + 1) / steps): the trapezoid rule halves the two ends, 1 / (2 steps)."),
        Pitfall("uniform", lambda: (x - b).double().numpy() * np.mean(
                [_grad(model, b + k / steps * (x - b), target) for k in range(steps + 1)], axis=0),
                "you averaged the steps + 1 gradients with equal weights; the trapezoid rule halves the two ends."),
        Pitfall("abs", lambda: np.abs(trapezoid), "your attributions are absolute values: IG attributions are signed, "
                "and only signed values add up to f(x) - f(baseline)."),
        Pitfall("sign", lambda: -trapezoid, "your attributions have the wrong sign: the factor is (x - baseline)."),
        Pitfall("softmax", lambda: ig(nn.Sequential(model, nn.Softmax(dim=1))), "you integrated " + _SOFTMAX),
        Pitfall("argmax", lambda: ig(t=_argmax(model, x)), _ARGMAX),
        Pitfall("repeat_interleave", lambda: _ig_targets_paired(model, x, target, b, steps, "interleave"), _ORDER),
        Pitfall("image-major repeat", lambda: _ig_targets_paired(model, x, target, b, steps, "image-major"), _ORDER),
    ]


_ORDER = ("your targets are paired with the wrong points of the paths: a path batch laid out point by point (all n "
          "images at alpha_0, then all n at alpha_1, ...) needs the targets in the same order, `target.repeat(steps + "
          "1)`; `repeat_interleave` repeats each image's target steps + 1 times in a row, which fits a batch laid out "
          "image by image. Use the repetition that matches your layout.")


def _ig_targets_paired(model, x, target, b, steps, mistake):
    """Trapezoid IG in which the point (alpha_k, image i) used the target of another image: the layouts of the
    path batch and of the repeated targets disagree (``"interleave"``: point-major path, repeat_interleave;
    ``"image-major"``: image-major path, repeat)."""
    n, points = len(x), steps + 1
    t = lib.targets_of(target, n)
    k, i = np.meshgrid(np.arange(points), np.arange(n), indexing="ij")          # (points, n) each
    row = k * n + i if mistake == "interleave" else i * points + k                # the row of (k, i) in the batch
    used = t[torch.as_tensor(row // points if mistake == "interleave" else row % n)]
    alphas, weights = lib._rule("trapezoid", steps, x.dtype)
    path = b + alphas.view(-1, 1, 1, 1, 1) * (x - b)                            # (points, n, c, h, w)
    g = lib.input_gradient(model, path.reshape(-1, *x.shape[1:]), used.reshape(-1)).view(points, *x.shape)
    return ((x - b) * (weights.view(-1, 1, 1, 1, 1) * g).sum(dim=0)).double().numpy()


def _gaps(attributions, f_x, f_b):
    """|sum - (f(x) - f(b))| per image, relative to the numbers that cancel: sum |attr| + |f(x)| + |f(b)|."""
    flat = attributions.reshape(len(f_x), -1)
    return np.abs(flat.sum(axis=1) - (f_x - f_b)) / (np.abs(flat).sum(axis=1) + np.abs(f_x) + np.abs(f_b))


def _ig_case(answer, model, x, target, steps, baseline, oracle):
    spy = SpyNet(model)
    kwargs = {} if baseline is None else {"baseline": baseline}
    mine = tensor_result(call_model(answer, spy, x, target, steps=steps, **kwargs), x.shape, "your attributions")
    b = torch.zeros_like(x) if baseline is None else baseline.to(x).expand_as(x)
    _check_points(spy, x, b, steps)
    f_x, f_b = (lib.target_logits(model, images, target).double().numpy() for images in (x, b))
    expected = oracle().double().numpy()
    gaps, worst = _gaps(mine, f_x, f_b), int(np.argmax(_gaps(mine, f_x, f_b)))
    sums = mine.reshape(len(x), -1).sum(axis=1)
    fails = gaps[worst] > 2 * _gaps(expected, f_x, f_b)[worst] + COMPLETENESS_RTOL
    diagnose(mine, expected, _ig_pitfalls(model, x, target, b, steps), **_tol(expected), otherwise=(
        f"completeness fails: the attributions of image {worst} sum to {sums[worst]:.4g} but f(x) - f(baseline) = "
        f"{f_x[worst] - f_b[worst]:.4g} (drill D5 lists the usual causes)." if fails else
        "your attributions are not the trapezoid IG of the target logit."))
    return gaps


def _check_integrated_gradients(answer, *, seed=0, n=4, channels=1, size=(8, 8), n_classes=3, steps=16):
    shape = (n, channels, *size)
    quad, x = lib.quadratic_model(seed, in_shape=shape[1:], n_classes=n_classes), lib.random_images(seed, shape)
    target = lib.other_targets(quad, x, seed, n_classes)
    gaps = _ig_case(answer, quad, x, target, steps, None, lambda: lib._ig(quad, x, target, None, steps=steps))
    if np.any(gaps > COMPLETENESS_RTOL):
        raise Incorrect("on a quadratic model, where the trapezoid rule is exact, your attributions miss completeness.")
    cnn = lib.random_cnn(seed + 1, in_channels=channels, n_classes=n_classes, dtype=torch.float64).train()
    x64 = lib.random_images(seed + 2, shape, dtype=torch.float64)
    baseline = lib.random_images(seed + 3, shape[1:], dtype=torch.float32) * 0.5  # another dtype, broadcast
    captum = lambda: IntegratedGradients(cnn).attribute(  # noqa: E731
        x64, baselines=baseline.to(x64).expand_as(x64), target=1, n_steps=steps + 1,
        method="riemann_trapezoid").detach() * (steps + 1) / steps
    _ig_case(answer, cnn, x64, 1, steps, baseline, captum)
    other = lib.random_images(seed + 4, shape, dtype=torch.float64) * 0.3  # a baseline of another dtype (and device)
    for moved in [other] + ([other.cuda()] if torch.cuda.is_available() else []):
        _ig_case(answer, quad, x, target, steps, moved, lambda: lib._ig(quad, x, target, other.to(x), steps=steps))


# Drill D5


def _check_d5_stages(answer, *, seed=0, test_bed="drill"):
    model, x, target = lib.d5_setup(seed) if test_bed == "drill" else lib.d5_quadratic_setup(seed)
    result = call_model(answer, model, x, target)
    if not isinstance(result, dict) or not {"own", "black", "fixed"} <= set(result):
        raise Incorrect("return a dict with the keys 'own', 'black' and 'fixed'.")
    shapes = {"own": (5, len(x)), "black": (5, len(x)), "fixed": tuple(x.shape)}
    own, black, fixed = (tensor_result(result[key], shapes[key], f"result[{key!r}]") for key in shapes)
    e = lib._d5_table(model, x, target)
    blurred, few, many = lib.blur(x), lib.D5_BROKEN_STEPS, lib.D5_FIXED_STEPS
    one_by_one = [(blurred, few, "left", False), (blurred, few, "left", True), (blurred, few, "trapezoid", False),
                  (blurred, many, "left", False), (torch.zeros_like(x), few, "left", False)]
    common = [
        Pitfall("absolute", lambda: e["sums"] - (e["f_x"] - e["f_b"]), "your gaps are differences (sum - delta), not "
                "relative: divide each by delta, so that images with large and small logits compare."),
        Pitfall("unsigned", lambda: np.abs(e["own"]), "your gaps lost their sign (|...|): keep it."),
        Pitfall("logit", lambda: (e["sums"] - e["f_x"]) / e["f_x"], "you compared the sums with f(x); completeness "
                "promises f(x) - f(baseline)."),
        Pitfall("swapped", lambda: e["black"], "'own' is measured against the baseline each stage used; 'black' "
                "against the black image."),
        Pitfall("one by one", lambda: lib._d5_table(model, x, target, one_by_one)["own"], "each of your stages fixes "
                "one bug of the broken version; the table fixes them cumulatively (stage s has the first s fixes)."),
    ]
    f_blur = e["f_b"][0]
    stage4_blurred = e["own"].copy()
    stage4_blurred[4] = (e["sums"][4] - (e["f_x"] - f_blur)) / (e["f_x"] - f_blur)
    common.append(Pitfall("stage 4 against the blur", lambda: stage4_blurred, "your 'own' gap at stage 4 ('black "
                          "baseline') is measured against the blurred image; from stage 4 on the baseline in use is the "
                          "black image, so 'own' there is (sum - (f(x) - f(black))) / (f(x) - f(black))."))
    common += [Pitfall(f"order {order}", (lambda order=order: lib._d5_table(model, x, target, lib._d5_settings(x, order))["own"]),
                       _d5_order_message(order)) for order in _D5_ORDERS]
    first = next((s for s in range(5) if not close(own[s], e["own"][s], **_tol(e["own"]))), None)
    diagnose(own, e["own"], common, **_tol(e["own"]), otherwise="result['own'][s] should be (sum of attributions - "
             "(f(x) - f(baseline used))) / (f(x) - f(baseline used)) after fixing the first s bugs, in the order of "
             "the table." + ("" if first is None else f" Your rows agree up to stage {first - 1} and differ from "
                             f"stage {first} ('{lib.D5_STAGES[first]}') on: check what that stage changes."
                             if first > 0 else " Your stage 0 ('as given') already differs: it is the broken "
                             "function as printed (left sum, 8 intervals, blurred baseline, no factor)."))
    diagnose(black, e["black"], [Pitfall("own", lambda: e["own"], "'black' is measured against the black image "
                                         "(f(x) - f(zeros)), whatever baseline the stage used.")], **_tol(e["black"]),
             otherwise="result['black'][s] should be (sum of attributions - (f(x) - f(black))) / (f(x) - f(black)).")
    diagnose(fixed, e["fixed"], [], **_tol(e["fixed"]), otherwise="result['fixed'] should be the attributions with all "
             f"four bugs fixed (trapezoid, {lib.D5_FIXED_STEPS} steps, times (x - baseline), black baseline).")


_D5_FIXES = {"factor": "times (x - baseline)", "trapezoid": "trapezoid", "steps": "64 steps", "black": "black baseline"}
_D5_ORDERS = [order for order in itertools.permutations(lib.D5_FIXES) if order != lib.D5_FIXES]


def _d5_order_message(order):
    first = next(s for s, fix in enumerate(order) if fix != lib.D5_FIXES[s]) + 1
    return (f"your stages apply the fixes in another order ({', '.join(_D5_FIXES[fix] for fix in order)}): from stage "
            f"{first} on your rows answer other stages than the table's. Fix in the order of the table: stage 1 "
            "multiplies by (x - baseline), stage 2 switches to the trapezoid, stage 3 to 64 steps, stage 4 to the "
            "black baseline, each keeping the previous fixes.")


CHAPTER = Chapter("04", [
    Exercise("saliency", "4.1", "2. Vanilla saliency", _check_saliency, forbidden={"captum": "captum"}, hints=[
        "You need the gradient of one number per image with respect to the input: work on a copy of x that "
        "requires gradients, and let torch.autograd.grad compute it (it touches nothing else).",
        "Pick each image's target logit from the model's output (gather along the class axis; an int target becomes "
        "a tensor of n equal classes). The images are independent, so the gradient of the SUM of the picked logits "
        "gives every image its own gradient.",
        "Outline: leaf copy of x -> logits -> the n picked logits -> their sum -> gradient with respect to the copy "
        "-> absolute value, shaped like x (keep the channel axis).",
    ]),
    Exercise("grad_cam", "4.2", "3. Grad-CAM", _check_grad_cam,
             forbidden={"captum": "captum", "torchcam": "torchcam"}, hints=[
        "Grad-CAM needs the layer's output A and the gradient of the target logit with respect to A. A forward hook "
        "on `layer` can store A while the model runs; remove it right after (try/finally).",
        "alpha_k is the mean of the gradient over the map's height and width (one weight per channel); the map is "
        "the ReLU of the alpha-weighted sum of the channels, still at the layer's resolution.",
        "Outline: hook -> forward pass -> remove the hook -> gradient of the summed target logits with respect to A "
        "-> alpha -> ReLU(sum_k alpha_k A_k) -> bilinear upsampling (align_corners=False) to x's own height and "
        "width given as `size=` -> drop the channel axis.",
    ]),
    Exercise("integrated_gradients", "4.3", "4. Integrated Gradients", _check_integrated_gradients,
             forbidden={"captum": "captum"}, hints=[
        "Build every point of every path at once: alpha_k = k / steps for k = 0..steps, point = baseline + alpha_k "
        "(x - baseline). Convert the baseline to x's dtype and device first.",
        "Stack the points as one batch of (steps + 1) * n images and repeat the targets in the same layout (all n "
        "targets once per point). The trapezoid weights are 1 / steps inside and 1 / (2 steps) at both ends.",
        "Outline: path batch -> gradient of the summed target logits with respect to it -> reshape to (steps + 1, n, "
        "...) -> weighted sum over the points -> times (x - baseline). Signed, shaped like x.",
    ]),
    Exercise("d5_stages", "D5 (a)", "Drill D5 · A broken Integrated Gradients", _check_d5_stages,
             heading="the gaps, fix by fix", forbidden={"captum": "captum"}, hints=[
        "Write one IG function with four switches (baseline, number of intervals, left or trapezoid rule, whether "
        "to multiply by x - baseline) and call it once per stage.",
        "Stage 0 is the broken function as printed; each later stage keeps the previous fixes and adds the next one "
        "in the table's order (factor, trapezoid, 64 intervals, black baseline).",
        "For each stage: s = the attributions summed per image; own = (s - (f(x) - f(b))) / (f(x) - f(b)) with that "
        "stage's baseline b; black = the same with the black image; 'fixed' = stage 4's attributions.",
    ]),
    Exercise("d5_why", "D5 (b)", "Drill D5 · A broken Integrated Gradients", choice("ABCD"), heading="why",
             hints=["What exactly does completeness equate: the sum of the attributions and which difference?",
                    "At stage 3 the attributions are complete for some difference of logits. Which one, and is it the "
                    "difference the report promised?"]),
])

__getattr__ = CHAPTER.attribute
__all__ = CHAPTER.names
