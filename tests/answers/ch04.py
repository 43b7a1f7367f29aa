"""Answers that audit chapter 04's graders: each one is the whole source of an answer cell.

ALTERNATIVE: correct answers written differently from the solution (loops, backward hooks, .backward()
with the gradients cleared, float32 or float64 alike); every test cell must pass.
BASES: correct answers that the WRONG answers plant one pitfall in; every test cell must pass.
WRONG: plausible wrong answers, as (label, source, pattern): the answer's test cells must fail, and
the feedback must match ``pattern``. The first two of each list go through the autograde pipeline.
ERROR: code that raises inside the student's function: the check must say ERROR.
The reference answers are the solution notebook's answer cells (tests/notebook_tools.py).
"""

from tests.answers._plant import planted

_SALIENCY = '''
def saliency(model, x, target):
    inputs = x.detach().clone().requires_grad_(True)
    logits = model(inputs)
    if isinstance(target, int):
        target = torch.full((len(x),), target)
    picked = logits.gather(1, torch.as_tensor(target, device=logits.device).view(-1, 1))
    (gradient,) = torch.autograd.grad(picked.sum(), inputs)
    return gradient.abs()
'''

_GRAD_CAM = '''
def grad_cam(model, x, target, layer):
    stored = []
    handle = layer.register_forward_hook(lambda module, inputs, output: stored.append(output))
    try:
        logits = model(x)
    finally:
        handle.remove()
    activation = stored[0]
    if isinstance(target, int):
        target = torch.full((len(x),), target)
    picked = logits.gather(1, torch.as_tensor(target, device=logits.device).view(-1, 1))
    (gradient,) = torch.autograd.grad(picked.sum(), activation)
    weights = gradient.mean(dim=(2, 3), keepdim=True)
    cam = F.relu((weights * activation).sum(dim=1, keepdim=True))
    return F.interpolate(cam, size=x.shape[-2:], mode="bilinear", align_corners=False)[:, 0].detach()
'''

_IG = '''
def integrated_gradients(model, x, target, *, baseline=None, steps=50):
    baseline = torch.zeros_like(x) if baseline is None else baseline.to(x)
    baseline = baseline.expand_as(x)
    if isinstance(target, int):
        target = torch.full((len(x),), target)
    target = torch.as_tensor(target, device=x.device)
    alphas = torch.arange(steps + 1, dtype=x.dtype, device=x.device) / steps
    path = baseline + alphas.view(-1, 1, 1, 1, 1) * (x.detach() - baseline)
    path = path.reshape(-1, *x.shape[1:]).requires_grad_(True)
    logits = model(path)
    picked = logits.gather(1, target.repeat(len(alphas)).view(-1, 1))
    (gradient,) = torch.autograd.grad(picked.sum(), path)
    weights = torch.full((len(alphas),), 1.0 / steps, dtype=x.dtype, device=x.device)
    weights[0] = weights[-1] = 0.5 / steps
    average = (weights.view(-1, 1, 1, 1, 1) * gradient.view(len(alphas), *x.shape)).sum(dim=0)
    return (x.detach() - baseline) * average
'''

_D5 = '''
def d5_stages(model, x, target):
    def ig(baseline, steps, rule, factor):
        k = torch.arange(steps + 1, dtype=x.dtype)
        if rule == "left":
            alphas, weights = k[:-1] / steps, torch.full((steps,), 1.0 / steps, dtype=x.dtype)
        else:
            alphas, weights = k / steps, torch.full((steps + 1,), 1.0 / steps, dtype=x.dtype)
            weights[0] = weights[-1] = 0.5 / steps
        path = baseline + alphas.view(-1, 1, 1, 1, 1) * (x - baseline)
        path = path.reshape(-1, *x.shape[1:]).requires_grad_(True)
        picked = model(path).gather(1, target.repeat(len(alphas)).view(-1, 1))
        (gradient,) = torch.autograd.grad(picked.sum(), path)
        average = (weights.view(-1, 1, 1, 1, 1) * gradient.view(len(alphas), *x.shape)).sum(dim=0)
        return (x - baseline) * average if factor else average

    def logit(images):
        with torch.no_grad():
            return model(images).gather(1, target.view(-1, 1))[:, 0]

    blurred, black = lib.blur(x), torch.zeros_like(x)
    stages = [(blurred, 8, "left", False), (blurred, 8, "left", True), (blurred, 8, "trapezoid", True),
              (blurred, 64, "trapezoid", True), (black, 64, "trapezoid", True)]
    own, to_black = [], []
    for baseline, steps, rule, factor in stages:
        attributions = ig(baseline, steps, rule, factor)
        sums = attributions.sum(dim=(1, 2, 3))
        delta, delta_black = logit(x) - logit(baseline), logit(x) - logit(black)
        own.append((sums - delta) / delta)
        to_black.append((sums - delta_black) / delta_black)
    return {"own": torch.stack(own), "black": torch.stack(to_black), "fixed": attributions}
'''

BASES = {"saliency_answer": _SALIENCY, "grad_cam_answer": _GRAD_CAM, "integrated_gradients_answer": _IG,
         "d5_stages_answer": _D5}

ALTERNATIVE = {
    "saliency_answer": '''
def saliency(model, x, target):
    """One image at a time, .backward() on a leaf copy, the parameters' gradients cleared afterwards."""
    targets = [int(target)] * len(x) if isinstance(target, int) else [int(t) for t in target]
    maps = []
    for image, t in zip(x, targets):
        leaf = image[None].detach().clone()
        leaf.requires_grad = True
        model(leaf)[0, t].backward()
        maps.append(leaf.grad[0].abs())
    model.zero_grad(set_to_none=True)
    return torch.stack(maps)
''',
    "grad_cam_answer": '''
def grad_cam(model, x, target, layer):
    """A full backward hook for the gradient, einsum for the weighted sum, numpy targets."""
    saved = {}
    forward = layer.register_forward_hook(lambda m, i, out: saved.update(activation=out.detach()))
    backward = layer.register_full_backward_hook(lambda m, gin, gout: saved.update(gradient=gout[0].detach()))
    try:
        leaf = x.detach().clone().requires_grad_(True)
        logits = model(leaf)
        rows = np.arange(len(x))
        cols = np.full(len(x), target) if np.ndim(target) == 0 else np.asarray(target)
        torch.autograd.grad(logits[rows, cols].sum(), leaf)
    finally:
        forward.remove()
        backward.remove()
    alpha = saved["gradient"].mean(dim=(-2, -1))
    cam = torch.einsum("nk,nkhw->nhw", alpha, saved["activation"]).clamp(min=0)
    return F.interpolate(cam.unsqueeze(1), size=tuple(x.shape[-2:]), mode="bilinear")[:, 0]
''',
    "integrated_gradients_answer": '''
def integrated_gradients(model, x, target, *, baseline=None, steps=50):
    """A loop over the steps + 1 points, one forward pass each, float weights in Python."""
    b = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline).to(device=x.device, dtype=x.dtype)
    b = b.expand(x.shape)
    t = torch.full((len(x),), target) if isinstance(target, int) else torch.as_tensor(target)
    total = torch.zeros_like(x)
    for k in range(steps + 1):
        point = (b + (k / steps) * (x - b)).detach().requires_grad_(True)
        score = model(point)[torch.arange(len(x)), t].sum()
        grad = torch.autograd.grad(score, point)[0]
        weight = 0.5 if k in (0, steps) else 1.0
        total = total + weight * grad
    return (x - b).detach() * total / steps
''',
    "d5_stages_answer": '''
def d5_stages(model, x, target):
    """Loops over the points, numpy for the table."""
    def logit(images):
        with torch.no_grad():
            return model(images)[torch.arange(len(x)), target].double().numpy()

    def ig(baseline, n, rule, factor):
        ks = range(n) if rule == "left" else range(n + 1)
        total = torch.zeros_like(x)
        for k in ks:
            point = (baseline + k / n * (x - baseline)).detach().requires_grad_(True)
            g = torch.autograd.grad(model(point)[torch.arange(len(x)), target].sum(), point)[0]
            w = 0.5 if rule == "trapezoid" and k in (0, n) else 1.0
            total += w * g / n
        return total * (x - baseline) if factor else total

    black = torch.zeros_like(x)
    blurred = lib.blur(x)
    plan = [(blurred, 8, "left", False), (blurred, 8, "left", True), (blurred, 8, "trapezoid", True),
            (blurred, 64, "trapezoid", True), (black, 64, "trapezoid", True)]
    own, to_black = np.zeros((5, len(x))), np.zeros((5, len(x)))
    for s, (b, n, rule, factor) in enumerate(plan):
        attr = ig(b, n, rule, factor)
        total = attr.sum(dim=(1, 2, 3)).double().numpy()
        own[s] = total / (logit(x) - logit(b)) - 1
        to_black[s] = total / (logit(x) - logit(black)) - 1
    return {"own": own, "black": to_black, "fixed": attr.numpy()}
''',
    "d5_why_answer": '''
d5_why = None
d5_why = " b "
''',
}

_SAL_PICK = "picked = logits.gather(1, torch.as_tensor(target, device=logits.device).view(-1, 1))"
_CAM_CAM = "cam = F.relu((weights * activation).sum(dim=1, keepdim=True))"
_CAM_UP = 'return F.interpolate(cam, size=x.shape[-2:], mode="bilinear", align_corners=False)[:, 0].detach()'
_IG_ALPHAS = "alphas = torch.arange(steps + 1, dtype=x.dtype, device=x.device) / steps"
_IG_WEIGHTS = "weights[0] = weights[-1] = 0.5 / steps"

WRONG = {
    "saliency_answer": [
        ("signed gradient, no abs", planted(_SALIENCY, ("return gradient.abs()", "return gradient")),
         r"signed gradient"),
        ("gradient of the softmax", planted(_SALIENCY, ("logits = model(inputs)", "logits = model(inputs).softmax(dim=1)")),
         r"softmax"),
        ("target ignored: the argmax", planted(_SALIENCY, (_SAL_PICK, "picked = logits.max(dim=1).values")),
         r"predicted class"),
        ("max over channels", planted(_SALIENCY, ("return gradient.abs()", "return gradient.abs().amax(dim=1, keepdim=True)")),
         r"no max over channels"),
        ("input times gradient", planted(_SALIENCY, ("return gradient.abs()", "return (gradient * x).abs()")),
         r"Input x Gradient"),
        ("the first target for every image", planted(_SALIENCY,
            ("if isinstance(target, int):", "if not isinstance(target, int):\n        target = int(target[0])\n    if True:")),
         r"first image's target"),
        ("noise added (SmoothGrad)", planted(_SALIENCY,
            ("inputs = x.detach().clone()", "inputs = (x.detach() + 0.05 * torch.randn_like(x))")),
         r"SmoothGrad"),
        (".backward() leaves gradients in the parameters", planted(_SALIENCY,
            ("(gradient,) = torch.autograd.grad(picked.sum(), inputs)", "picked.sum().backward()\n    gradient = inputs.grad")),
         r"gradients in the model's parameters"),
        ("model switched to eval mode", planted(_SALIENCY, ("logits = model(inputs)", "model.eval()\n    logits = model(inputs)")),
         r"model's mode"),
        ("caller's x set to require gradients", planted(_SALIENCY,
            ("inputs = x.detach().clone().requires_grad_(True)", "inputs = x.requires_grad_(True)")),
         r"changed the caller's x"),
        ("delegates to captum", '''
def saliency(model, x, target):
    from captum.attr import Saliency
    return Saliency(model).attribute(x, target=target, abs=True)
''', r"runs captum"),
    ],
    "grad_cam_answer": [
        ("no ReLU", planted(_GRAD_CAM, (_CAM_CAM, "cam = (weights * activation).sum(dim=1, keepdim=True)")),
         r"negative values|ReLU"),
        ("gradients not pooled (elementwise grad * activation)", planted(_GRAD_CAM,
            ("weights = gradient.mean(dim=(2, 3), keepdim=True)", "weights = gradient")),
         r"pixel by pixel"),
        ("no upsampling", planted(_GRAD_CAM, (_CAM_UP, "return cam[:, 0].detach()")), r"layer's resolution"),
        ("nearest-neighbour upsampling", planted(_GRAD_CAM,
            ('mode="bilinear", align_corners=False', 'mode="nearest"')), r"nearest"),
        ("gradient of the softmax", planted(_GRAD_CAM, ("logits = model(x)", "logits = model(x).softmax(dim=1)")),
         r"softmax"),
        ("target ignored: the argmax", planted(_GRAD_CAM,
            ("picked = logits.gather(1, torch.as_tensor(target, device=logits.device).view(-1, 1))",
             "picked = logits.max(dim=1).values")), r"predicted class"),
        ("normalised to a maximum of 1", planted(_GRAD_CAM,
            (_CAM_CAM, _CAM_CAM + "\n    cam = cam / cam.amax(dim=(2, 3), keepdim=True).clamp_min(1e-12)")),
         r"maximum"),
        ("ReLU after upsampling", planted(_GRAD_CAM,
            (_CAM_CAM, "cam = (weights * activation).sum(dim=1, keepdim=True)"),
            (_CAM_UP, 'return F.relu(F.interpolate(cam, size=x.shape[-2:], mode="bilinear", '
                      'align_corners=False))[:, 0].detach()')), r"after upsampling"),
        ("summed instead of averaged gradients", planted(_GRAD_CAM,
            ("weights = gradient.mean(dim=(2, 3), keepdim=True)", "weights = gradient.sum(dim=(2, 3), keepdim=True)")),
         r"sums of the gradient"),
        ("hook never removed", planted(_GRAD_CAM, ("        handle.remove()", "        pass")), r"hook"),
        ("delegates to torchcam", '''
def grad_cam(model, x, target, layer):
    from torchcam.methods import GradCAM
    with GradCAM(model, layer) as extractor:
        scores = model(x)
        t = [int(target)] * len(x) if isinstance(target, int) else [int(v) for v in target]
        cam = extractor(t, scores, normalized=False)[0]
    return F.interpolate(cam[:, None], size=x.shape[-2:], mode="bilinear", align_corners=False)[:, 0]
''', r"runs torchcam"),
    ],
    "integrated_gradients_answer": [
        ("left Riemann sum", planted(_IG,
            (_IG_ALPHAS, "alphas = torch.arange(steps, dtype=x.dtype, device=x.device) / steps"),
            (_IG_WEIGHTS, "pass")), r"left Riemann sum"),
        ("missing (x - baseline) factor", planted(_IG, ("return (x.detach() - baseline) * average", "return average")),
         r"factor \(x - baseline\)"),
        ("baseline left in another dtype", planted(_IG, ("else baseline.to(x)", "else baseline")), r"float64 inputs"),
        ("steps points, steps - 1 intervals (captum's n_steps)", planted(_IG,
            (_IG_ALPHAS, "alphas = torch.linspace(0, 1, steps, dtype=x.dtype, device=x.device)"),
            ("1.0 / steps", "1.0 / (steps - 1)"), ("0.5 / steps", "0.5 / (steps - 1)")), r"captum's n_steps counts"),
        ("too many points: left and right sums averaged", planted(_IG,
            ("    return (x.detach() - baseline) * average",
             "    again = (weights.view(-1, 1, 1, 1, 1) * torch.autograd.grad(model(path).gather(1, target.repeat("
             "len(alphas)).view(-1, 1)).sum(), path)[0].view(len(alphas), *x.shape)).sum(dim=0)\n"
             "    return (x.detach() - baseline) * (average + again) / 2")), r"too many points"),
        ("too few points: half the steps", planted(_IG, ("    alphas = torch.arange(steps + 1,",
                                                         "    steps = max(1, steps // 2)\n    alphas = torch.arange(steps + 1,")),
         r"evaluated \d+ of the \d+ points"),
        ("captum's (n-1)/n trapezoid weights", planted(_IG,
            ("1.0 / steps, dtype", "1.0 / (steps + 1), dtype"), (_IG_WEIGHTS, "weights[0] = weights[-1] = 0.5 / (steps + 1)")),
         r"riemann_trapezoid"),
        ("equal weights for every point", planted(_IG, (_IG_WEIGHTS, "weights = weights * steps / (steps + 1)")),
         r"equal weights"),
        ("absolute attributions", planted(_IG, ("return (x.detach() - baseline) * average",
                                                "return ((x.detach() - baseline) * average).abs()")), r"signed"),
        ("gradient of the softmax", planted(_IG, ("logits = model(path)", "logits = model(path).softmax(dim=1)")),
         r"softmax"),
        ("target ignored: the argmax", planted(_IG, ("    if isinstance(target, int):\n",
                                                     "    target = model(x).argmax(dim=1)\n    if False:\n")),
         r"predicted class"),
        ("baseline ignored", planted(_IG, ("torch.zeros_like(x) if baseline is None else baseline.to(x)",
                                           "torch.zeros_like(x)")), r"baseline you are given"),
        ("midpoint rule", planted(_IG, (_IG_ALPHAS, "alphas = (torch.arange(steps, dtype=x.dtype) + 0.5) / steps"),
                                  (_IG_WEIGHTS, "pass")), r"midpoint"),
        ("delegates to captum", '''
def integrated_gradients(model, x, target, *, baseline=None, steps=50):
    from captum.attr import IntegratedGradients
    b = torch.zeros_like(x) if baseline is None else baseline.to(x).expand_as(x)
    ig = IntegratedGradients(model).attribute(x, baselines=b, target=target, n_steps=steps + 1,
                                              method="riemann_trapezoid")
    return ig * (steps + 1) / steps
''', r"runs captum"),
    ],
    "d5_stages_answer": [
        ("fixes applied one at a time, not cumulatively", planted(_D5,
            ('stages = [(blurred, 8, "left", False), (blurred, 8, "left", True), (blurred, 8, "trapezoid", True),\n'
             '              (blurred, 64, "trapezoid", True), (black, 64, "trapezoid", True)]',
             'stages = [(blurred, 8, "left", False), (blurred, 8, "left", True), (blurred, 8, "trapezoid", False),\n'
             '              (blurred, 64, "left", False), (black, 8, "left", False)]')), r"cumulatively"),
        ("absolute gaps, not relative", planted(_D5, ("own.append((sums - delta) / delta)", "own.append(sums - delta)")),
         r"differences \(sum - delta\)"),
        ("own and black swapped", planted(_D5, ('{"own": torch.stack(own), "black": torch.stack(to_black)',
                                                '{"own": torch.stack(to_black), "black": torch.stack(own)')),
         r"against the baseline each stage used"),
        ("gaps against f(x) alone", planted(_D5, ("own.append((sums - delta) / delta)",
                                                  "own.append((sums - logit(x)) / logit(x))")), r"f\(x\) - f\(baseline\)"),
        ("the fixed IG with too few steps", planted(_D5, ('(black, 64, "trapezoid", True)', '(black, 16, "trapezoid", True)')),
         r"result\['black'\]|result\['own'\]|result\['fixed'\]"),
    ],
    "d5_why_answer": [
        ("A: still too few steps", 'd5_why = None\nd5_why = "A"\n', r"not the best explanation"),
        ("C: ReLU networks break completeness", 'd5_why = None\nd5_why = "C"\n', r"not the best explanation"),
        ("D: the trapezoid is biased", 'd5_why = None\nd5_why = "D"\n', r"not the best explanation"),
        ("not a letter", 'd5_why = None\nd5_why = 2\n', r"one letter"),
    ],
}

ERROR = {
    "saliency_answer": "def saliency(model, x, target):\n    return model(x)[target].backward()\n",
    "grad_cam_answer": "def grad_cam(model, x, target, layer):\n    return layer(x).mean(dim=(2, 3))\n",
    "integrated_gradients_answer":
        "def integrated_gradients(model, x, target, *, baseline=None, steps=50):\n"
        "    return x @ baseline\n",
    "d5_stages_answer": "def d5_stages(model, x, target):\n    return {'own': model(x, target)}\n",
}

# Red-team round 2 (issue 7): new cases, each planted in its base; the first two of each list above are kept.
WRONG["saliency_answer"] += [
    ("logits[:, target]: every target's logit of every image", planted(_SALIENCY, (_SAL_PICK, "picked = logits[:, target]")),
     r"not \|d logit_target / dx\|"),
    ("eval mode inside, restored after", planted(_SALIENCY, (
        "    logits = model(inputs)\n", "    was = model.training\n    model.eval()\n    logits = model(inputs)\n    model.train(was)\n")),
     r"changed the model's mode"),
    ("the squared gradient", planted(_SALIENCY, ("return gradient.abs()", "return gradient ** 2")), r"not \|d logit_target / dx\|"),
]
WRONG["grad_cam_answer"] += [
    ("bicubic upsampling", planted(_GRAD_CAM, ('mode="bilinear"', 'mode="bicubic"')), r"upsampled bicubically"),
    ("positive gradients only", planted(_GRAD_CAM, (
        "weights = gradient.mean(dim=(2, 3), keepdim=True)", "weights = F.relu(gradient).mean(dim=(2, 3), keepdim=True)")),
     r"not ReLU\(sum_k alpha_k A_k\)"),
    ("the gradient's maximum as channel weight", planted(_GRAD_CAM, (
        "weights = gradient.mean(dim=(2, 3), keepdim=True)", "weights = gradient.amax(dim=(2, 3), keepdim=True)")),
     r"not ReLU\(sum_k alpha_k A_k\)"),
]
WRONG["integrated_gradients_answer"] += [
    ("targets repeated with repeat_interleave", planted(_IG, ("target.repeat(len(alphas))", "target.repeat_interleave(len(alphas))")),
     r"wrong points of the paths"),
    ("attributions rescaled to complete exactly", planted(_IG, ("    return (x.detach() - baseline) * average", (
        "    attr = (x.detach() - baseline) * average\n    with torch.no_grad():\n"
        "        delta = model(x).gather(1, target.view(-1, 1))[:, 0] - model(baseline).gather(1, target.view(-1, 1))[:, 0]\n"
        "    return attr * (delta / attr.sum(dim=(1, 2, 3))).view(-1, 1, 1, 1)"))), r"not the trapezoid IG"),
    ("the path baseline + alpha * x", planted(_IG, (
        "path = baseline + alphas.view(-1, 1, 1, 1, 1) * (x.detach() - baseline)",
        "path = baseline + alphas.view(-1, 1, 1, 1, 1) * x.detach()")), r"not on the straight path"),
]
WRONG["d5_stages_answer"] += [
    ("the baseline fixed first", planted(_D5, (
        'stages = [(blurred, 8, "left", False), (blurred, 8, "left", True), (blurred, 8, "trapezoid", True),\n'
        '              (blurred, 64, "trapezoid", True), (black, 64, "trapezoid", True)]',
        'stages = [(blurred, 8, "left", False), (black, 8, "left", False), (black, 8, "left", True),\n'
        '              (black, 8, "trapezoid", True), (black, 64, "trapezoid", True)]')),
     r"another order \(black baseline, .*from stage 1 on.*in the order of the table"),
    ("'black' measured against the blurred image", planted(_D5, (
        "delta_black = logit(x) - logit(baseline), logit(x) - logit(black)",
        "delta_black = logit(x) - logit(baseline), logit(x) - logit(blurred)")), r"result\['black'\]\[s\] should be"),
    ("'fixed' from the course's reference", planted(_D5, (
        '"fixed": attributions}', '"fixed": lib.integrated_gradients(model, x, target, steps=64)}')), r"course's reference"),
]

# Issue 14 (named messages) and issue 13 (Grad-CAM's odd sizes): each planted in its base.
_D5_PLAN = ('stages = [(blurred, 8, "left", False), (blurred, 8, "left", True), (blurred, 8, "trapezoid", True),\n'
            '              (blurred, 64, "trapezoid", True), (black, 64, "trapezoid", True)]')
WRONG["grad_cam_answer"] += [
    ("min-max normalised to [0, 1] (torchcam's default)", planted(_GRAD_CAM, (_CAM_CAM, _CAM_CAM + (
        "\n    low = cam.amin(dim=(2, 3), keepdim=True)\n"
        "    cam = (cam - low) / (cam.amax(dim=(2, 3), keepdim=True) - low).clamp_min(1e-12)"))),
     r"normalised to \[0, 1\]"),
    ("normalised after upsampling", planted(_GRAD_CAM, (_CAM_UP, (
        'up = F.interpolate(cam, size=x.shape[-2:], mode="bilinear", align_corners=False)[:, 0].detach()\n'
        "    return up / up.amax(dim=(1, 2), keepdim=True).clamp_min(1e-12)"))), r"normalised to \[0, 1\]"),
    ("upsampled with an integer scale factor", planted(_GRAD_CAM, (_CAM_UP, (
        "factor = x.shape[-1] // cam.shape[-1] + (x.shape[-1] % cam.shape[-1] > 0)\n"
        '    return F.interpolate(cam, scale_factor=factor, mode="bilinear", align_corners=False)[:, 0].detach()'))),
     r"with `size=`, not a scale factor"),
]
WRONG["integrated_gradients_answer"] += [
    ("trapezoid ends not halved", planted(_IG, (_IG_WEIGHTS, "pass")), r"the ends included"),
    ("path image by image, targets repeated point by point", planted(_IG,
        ("path = baseline + alphas.view(-1, 1, 1, 1, 1) * (x.detach() - baseline)",
         "path = (baseline[:, None] + alphas.view(1, -1, 1, 1, 1) * (x.detach() - baseline)[:, None])"),
        ("average = (weights.view(-1, 1, 1, 1, 1) * gradient.view(len(alphas), *x.shape)).sum(dim=0)",
         "average = (weights.view(1, -1, 1, 1, 1) * gradient.view(len(x), len(alphas), *x.shape[1:])).sum(dim=1)")),
     r"wrong points of the paths"),
]
WRONG["d5_stages_answer"] += [
    ("'own' at stage 4 against the blurred baseline", planted(_D5, (
        "delta, delta_black = logit(x) - logit(baseline), logit(x) - logit(black)",
        "delta, delta_black = logit(x) - logit(blurred), logit(x) - logit(black)")), r"at stage 4 \('black baseline'\)"),
    ("64 steps before the trapezoid", planted(_D5, (_D5_PLAN,
        'stages = [(blurred, 8, "left", False), (blurred, 8, "left", True), (blurred, 64, "left", True),\n'
        '              (blurred, 64, "trapezoid", True), (black, 64, "trapezoid", True)]')),
     r"another order \(times \(x - baseline\), 64 steps, trapezoid, black baseline\): from stage 2 on"),
]


# Correct answers in styles an audit found punished (graded by tests/test_graders.py; the first of each goes
# through the autograde pipeline, where torch.func makes torch import torch._dynamo mid-notebook).
MORE_ALTERNATIVES = {
    "saliency_answer": [
        ("torch.func: vmap of grad over the images", '''
def saliency(model, x, target):
    """torch.func: vmap over the images of the gradient of one image's target logit."""
    from torch.func import grad, vmap
    t = torch.as_tensor(target)
    t = t.expand(len(x)) if t.dim() == 0 else t

    def score(image, k):
        return model(image[None])[0].gather(0, k[None])[0]

    return vmap(grad(score))(x.detach(), t).abs()
'''),
        ("a float64 deep copy of the model", '''
def saliency(model, x, target):
    """A float64 deep copy of the model, gradients with torch.autograd.grad."""
    import copy
    net = copy.deepcopy(model).double()
    z = x.detach().double().requires_grad_(True)
    t = torch.as_tensor(target)
    t = t.expand(len(x)) if t.dim() == 0 else t
    score = net(z).gather(1, t[:, None]).sum()
    return torch.autograd.grad(score, z)[0].abs().to(x.dtype)
'''),
    ],
    "grad_cam_answer": [
        ("hooks on the layer of a deep copy, found by name", '''
def grad_cam(model, x, target, layer):
    """Hooks on the layer of a deep copy (the copy's layer found by name), torch.func-free."""
    import copy
    net = copy.deepcopy(model)
    name = next(n for n, m in model.named_modules() if m is layer)
    copied = net.get_submodule(name)
    saved = {}
    hook = copied.register_forward_hook(lambda m, i, out: saved.update(a=out))
    try:
        z = x.detach().clone().requires_grad_(True)
        logits = net(z)
    finally:
        hook.remove()
    t = torch.as_tensor(target)
    t = t.expand(len(x)) if t.dim() == 0 else t
    (g,) = torch.autograd.grad(logits.gather(1, t[:, None]).sum(), saved["a"])
    cam = (g.mean(dim=(2, 3), keepdim=True) * saved["a"]).sum(dim=1, keepdim=True).clamp(min=0)
    return F.interpolate(cam, size=tuple(x.shape[-2:]), mode="bilinear", align_corners=False)[:, 0].detach()
'''),
    ],
    "integrated_gradients_answer": [
        ("torch.func over the path points, on a float64 deep copy", '''
def integrated_gradients(model, x, target, *, baseline=None, steps=50):
    """torch.func over the path points, on a float64 deep copy of the model."""
    import copy
    from torch.func import grad, vmap
    net = copy.deepcopy(model).double()
    x64 = x.detach().double()
    b = torch.zeros_like(x64) if baseline is None else torch.as_tensor(baseline).double().expand_as(x64)
    t = torch.as_tensor(target)
    t = t.expand(len(x)) if t.dim() == 0 else t
    alphas = torch.linspace(0, 1, steps + 1, dtype=torch.float64)
    w = torch.ones(steps + 1, dtype=torch.float64)
    w[0] = w[-1] = 0.5

    def score(point):
        return net(point).gather(1, t[:, None]).sum()

    points = b + alphas.view(-1, *[1] * x.dim()) * (x64 - b)
    grads = vmap(grad(score))(points)
    return ((x64 - b) * torch.einsum("k,k...->...", w, grads) / steps).to(x.dtype)
'''),
    ],
}

# Audit 4: a result that does its work later (its __array__ or __float__ calls the course's reference
# once the check reads it) is evaluated while the answer is still watched, so the delegation is named.
WRONG["integrated_gradients_answer"] += [
    ("a lazy result that calls lib.integrated_gradients when read", '''
class LazyIG:
    def __init__(self, model, x, target, baseline, steps):
        self.args = (model, x, target, baseline, steps)
        self.shape = x.shape
    def __array__(self, dtype=None, copy=None):
        model, x, target, baseline, steps = self.args
        return lib.integrated_gradients(model, x, target, baseline=baseline, steps=steps).detach().numpy()
def integrated_gradients(model, x, target, *, baseline=None, steps=50):
    model(x[:1])
    return LazyIG(model, x, target, baseline, steps)
''', r"`integrated_gradients`, the course's reference implementation"),
]
