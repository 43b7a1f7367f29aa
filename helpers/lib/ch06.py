"""Chapter 06's library: probing and concepts (``from helpers.lib import ch06 as lib``).

- The conventions every exercise states: the probe (:func:`probe_estimator`: standardisation then
  ``LogisticRegression(C=PROBE_C, max_iter=PROBE_MAX_ITER)``), the folds (``StratifiedKFold(PROBE_FOLDS,
  shuffle=True, random_state)`` on the task labels) and the CAV classifier (:func:`cav_estimator`).
- Data: the probing images (:func:`probe_images`, watermarks drawn at random so that pattern and class
  are independent), the per-layer summaries the probes read (:func:`summarise`: each channel averaged
  over a 4x4 grid of cells), Hewitt & Liang's control task (:func:`control_labels`), a randomly
  initialised copy of a model (:func:`random_copy`), the texts of the transformer (:func:`text_data`).
- The reference implementations the cells after an exercise use, each ``@reference``:
  :func:`capture_activations`, :func:`probe_layers`, :func:`tcav_score`, :func:`tcav_significance`.
- Decodable vs used: :func:`probe_directions` and :func:`predictions_without` (project the probe's
  directions out of a layer's activations and run the rest of the network).
- TCAV's concept sets (:func:`watermark_concept`), captum's TCAV on the same CAVs
  (:class:`LogisticCAV`, :func:`captum_tcav`), and the checks' test beds (:func:`random_cnn`,
  :func:`linear_net`, :func:`random_inputs`).
"""

from __future__ import annotations

import copy
import tempfile
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from scipy import stats
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from torch import nn

from helpers._context import reference
from helpers._validation import check_int
from helpers.data import images, text
from helpers.lib.ch04 import SmallCNN  # noqa: F401  (the test beds' CNN)
from helpers.models import transformer
from helpers.models._torch import seeded

__all__ = ["CAV_C", "CNN_LAYERS", "N_PROBE", "N_RANDOM_CONCEPTS", "POOL_GRID", "PROBE_C", "PROBE_FOLDS",
           "PROBE_MAX_ITER", "RENDERINGS", "TCAV_LAYERS", "TEXT_LAYERS", "D6Setup", "LinearNet", "LogisticCAV", "ProbeImages", "TextData",
           "capture_activations", "captum_tcav", "cav_estimator", "control_labels", "d6_setup", "image_batch", "inlp_directions", "linear_net",
           "predictions_without", "probe_directions", "probe_estimator", "probe_images", "probe_layers",
           "random_cnn", "random_copy", "random_inputs", "summarise", "tcav_score", "tcav_significance",
           "text_data", "watermark_concept"]

CNN_LAYERS = ("relu1", "relu2", "relu3", "pool")   # the TinyCNN's layers probed, input side first
TEXT_LAYERS = ("blocks.0.tokens_in", "blocks.1.tokens_in", "norm")  # the transformer's, read at [CLS]
TCAV_LAYERS = ("relu2", "relu3")
PROBE_C = 1.0          # inverse L2 strength of the probe's logistic regression
PROBE_MAX_ITER = 500   # lbfgs converges in < 200 iterations on standardised summaries
PROBE_FOLDS = 3        # 3 folds, not 5: 8 probes x 5 folds would cost most of the 60 s budget
POOL_GRID = 4          # conv maps are averaged over a 4x4 grid of cells before probing
N_PROBE = 600          # probing images
CAV_C = 0.1            # the CAV classifier's inverse L2 strength
N_RANDOM_CONCEPTS = 10  # random concepts the TCAV score is tested against
N_CONCEPT = 40          # images per concept set


# --------------------------------------------------------------------------------------------
# Settings and data


def probe_estimator():
    """The chapter's linear probe: ``make_pipeline(StandardScaler(), LogisticRegression(C=PROBE_C,
    max_iter=PROBE_MAX_ITER))`` (lbfgs, multinomial). Fit it on training folds only: the scaler too."""
    return make_pipeline(StandardScaler(), LogisticRegression(C=PROBE_C, max_iter=PROBE_MAX_ITER))


def cav_estimator():
    """The CAV classifier: ``LogisticRegression(C=CAV_C, max_iter=1000)`` on raw flattened activations."""
    return LogisticRegression(C=CAV_C, max_iter=1000)


class ProbeImages(NamedTuple):
    images: np.ndarray      # (n, 32, 32) in [0, 1]
    labels: np.ndarray      # (n,) shape class
    watermarks: np.ndarray  # (n,) watermark pattern, drawn at random (independent of the class)
    types: np.ndarray       # (n,) the geometry each image renders (its *type*): RENDERINGS images per type


RENDERINGS = 4  # renderings per geometry in the probing set


def probe_images(random_state: int = 0, n_images: int = N_PROBE) -> ProbeImages:
    """The probing set: n_images / RENDERINGS shape geometries (class, size, position), each rendered
    RENDERINGS times with its own brightness, pixel noise and random watermark. The geometry is the
    image's *type* for Hewitt & Liang's control task (:func:`control_labels`)."""
    n = check_int(n_images, "n_images", minimum=RENDERINGS)
    rng = np.random.default_rng(check_int(random_state, "random_state", minimum=0))
    base = images.make_shapes(n // RENDERINGS, random_state=int(rng.integers(2 ** 31)))
    types = np.repeat(np.arange(len(base)), RENDERINGS)
    masks = base.masks[types]
    intensity = rng.uniform(0.5, 1.0, len(types))
    pictures = masks * intensity[:, None, None] + 0.15 * rng.standard_normal(masks.shape)
    marks = rng.integers(0, len(images.WATERMARK_PATTERNS), len(types))
    row, col, h, w = base.watermark_box
    pictures[:, row:row + h, col:col + w] = images.WATERMARK_PATTERNS[marks]
    return ProbeImages(np.clip(pictures, 0, 1), base.labels[types], marks, types)


def image_batch(data) -> torch.Tensor:
    """``data.images`` (n, 32, 32) as a float32 tensor (n, 1, 32, 32)."""
    return torch.as_tensor(np.asarray(data.images, dtype=np.float32))[:, None].clone()


def _pooled(value) -> bool:
    return value.ndim == 4 and min(value.shape[2:]) >= POOL_GRID


def summarise(activations) -> dict:
    """What a probe reads: each map (n, c, h, w) of at least 4x4 averaged over a POOL_GRID x POOL_GRID grid of cells
    and flattened to (n, c * 16); other activations flattened to (n, -1). float64 numpy arrays."""
    out = {}
    for name, value in activations.items():
        value = torch.as_tensor(value).detach().double()
        if _pooled(value):
            value = F.adaptive_avg_pool2d(value, POOL_GRID)
        out[name] = value.flatten(1).numpy()
    return out


def control_labels(types, random_state: int = 0, n_classes: int = 4) -> np.ndarray:
    """Hewitt & Liang's control task: every type (here a shape geometry, rendered several times) gets a
    label drawn at random, and every image of that type carries it. A probe can solve it only by
    memorising type -> label, never from the shape class. Returns (n,) int."""
    types = np.asarray(types)
    _, index = np.unique(types, return_inverse=True)
    table = np.random.default_rng(random_state).integers(0, n_classes, index.max() + 1)
    return table[index]


def random_copy(model: nn.Module, random_state: int = 0) -> nn.Module:
    """A copy of ``model`` with every layer re-initialised from ``random_state`` (same architecture,
    untrained), in eval mode: the baseline that says what the architecture alone makes decodable."""
    def build():
        fresh = copy.deepcopy(model)
        for module in fresh.modules():
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()
        return fresh
    return seeded(build, random_state).eval()


class TextData(NamedTuple):
    ids: torch.Tensor     # (n, T) int64, [CLS] first
    mask: torch.Tensor    # (n, T) bool
    labels: np.ndarray    # (n,) 1 = positive cue
    cue_word: np.ndarray  # (n,) index of the cue word among the 8 cues (the type of the control task)


def text_data(random_state: int = 0, n_texts: int = 400) -> TextData:
    """Cue texts encoded as the shipped transformer was trained (length 21)."""
    corpus = text.make_corpus(check_int(n_texts, "n_texts", minimum=2), random_state=random_state)
    encoded = text.encode(corpus, length=21)
    ids, mask, labels = transformer.as_tensors(encoded)
    cues = text.POSITIVE_CUES + text.NEGATIVE_CUES
    first = len(text.SPECIAL_TOKENS) + len(text.FILLER)
    word = ids.numpy()[np.arange(len(ids)), [int(np.ravel(p)[0]) for p in encoded.cue_positions]]
    return TextData(ids, mask, labels.numpy(), (word - first).astype(int) % len(cues))


# --------------------------------------------------------------------------------------------
# References (guarded: a student's function under check may not call them)


def _capture(model, layer_names, inputs, batch_size=None):
    names = [layer_names] if isinstance(layer_names, str) else list(layer_names)
    modules = [model.get_submodule(name) for name in names]
    store = {name: [] for name in names}
    handles = [module.register_forward_hook(lambda m, i, out, name=name: store[name].append(out.detach()))
               for name, module in zip(names, modules)]
    step = len(inputs) if batch_size is None else batch_size
    try:
        with torch.no_grad():
            for start in range(0, len(inputs), max(step, 1)):
                model(inputs[start:start + step])
    finally:
        for handle in handles:
            handle.remove()
    return {name: torch.cat(store[name]) for name in names}


@reference
def capture_activations(model, layer_names, inputs, *, batch_size=None) -> dict:
    """The outputs of the named submodules on ``inputs``: ``{name: Tensor (n, ...)}``, detached.

    One forward pass per batch of ``batch_size`` inputs (all at once by default), forward hooks removed
    in a ``finally``, the model's mode left alone.
    """
    return _capture(model, layer_names, inputs, batch_size)


def _folds(labels, cv, random_state):
    return list(StratifiedKFold(cv, shuffle=True, random_state=random_state).split(np.zeros(len(labels)), labels))


def _cv_accuracy(estimator, X, y, folds):
    scores = []
    for train, test in folds:
        fitted = clone(estimator).fit(X[train], y[train])
        scores.append(float(np.mean(fitted.predict(X[test]) == y[test])))
    return float(np.mean(scores))


def _probe_layers(activations, labels, control=None, cv=PROBE_FOLDS, random_state=0, estimator=None):
    estimator = probe_estimator() if estimator is None else estimator
    labels = np.asarray(labels)
    folds = _folds(labels, cv, random_state)
    result = {"accuracy": {}, "control": None, "selectivity": None}
    if control is not None:
        result["control"], result["selectivity"] = {}, {}
    for name, X in activations.items():
        X = np.asarray(X)
        result["accuracy"][name] = _cv_accuracy(estimator, X, labels, folds)
        if control is not None:
            result["control"][name] = _cv_accuracy(estimator, X, np.asarray(control), folds)
            result["selectivity"][name] = result["accuracy"][name] - result["control"][name]
    return result


@reference
def probe_layers(activations, labels, *, control_labels=None, cv=PROBE_FOLDS, random_state=0, estimator=None):
    """Cross-validated probe accuracy per layer, and the control task's accuracy and selectivity.

    Returns ``{"accuracy": {layer: float}, "control": {layer: float} or None, "selectivity": ...}``.
    """
    return _probe_layers(activations, labels, control_labels, cv, random_state, estimator)


def _layer_gradient(model, layer_name, inputs, target, score="logit"):
    store = {}
    handle = model.get_submodule(layer_name).register_forward_hook(lambda m, i, out: store.update(a=out))
    try:
        with torch.enable_grad():
            out = model(inputs)
    finally:
        handle.remove()
    if score == "softmax":
        out = out.softmax(dim=1)
    target = torch.as_tensor(target).reshape(-1).expand(len(inputs))
    (grad,) = torch.autograd.grad(out.gather(1, target[:, None]).sum(), store["a"])
    return store["a"].detach(), grad.detach()


def _cav(model, layer_name, concept_inputs, random_inputs, estimator=None):
    acts = _capture(model, [layer_name], torch.cat([concept_inputs, random_inputs]))[layer_name]
    X = acts.flatten(1).double().numpy()
    y = np.r_[np.ones(len(concept_inputs)), np.zeros(len(random_inputs))]
    weights = clone(estimator or cav_estimator()).fit(X, y).coef_[0]
    return weights / np.linalg.norm(weights)


def _tcav(model, layer_name, inputs, target, concept_inputs, random_inputs, score="logit"):
    cav = _cav(model, layer_name, concept_inputs, random_inputs)
    _, grad = _layer_gradient(model, layer_name, inputs, target, score)
    derivatives = grad.flatten(1).double().numpy() @ cav
    return {"cav": cav, "derivatives": derivatives, "score": float(np.mean(derivatives > 0))}


@reference
def tcav_score(model, layer_name, inputs, target, concept_inputs, random_inputs) -> dict:
    """TCAV of one concept against one random set at one layer.

    Returns ``{"cav": (d,) unit vector towards the concept, "derivatives": (n,) directional derivatives
    of the target logit, "score": fraction of them > 0}``.
    """
    return _tcav(model, layer_name, inputs, target, concept_inputs, random_inputs)


def _significance(concept_scores, random_scores):
    result = stats.ttest_ind(np.asarray(concept_scores, float), np.asarray(random_scores, float))
    return {"statistic": float(result.statistic), "pvalue": float(result.pvalue)}


@reference
def tcav_significance(concept_scores, random_scores) -> dict:
    """Two-sided Student t-test (``scipy.stats.ttest_ind``) of the concept's TCAV scores against the
    random concepts' scores: ``{"statistic", "pvalue"}``."""
    return _significance(concept_scores, random_scores)


# --------------------------------------------------------------------------------------------
# Decodable vs used


def probe_directions(X, labels) -> np.ndarray:
    """The directions, in the raw summary space, that the chapter's probe uses: the rows of its
    coefficients divided by the scaler's standard deviations, orthonormalised. (k, d)."""
    probe = probe_estimator().fit(np.asarray(X), np.asarray(labels))
    scaler, logistic = probe[0], probe[-1]
    raw = logistic.coef_ / scaler.scale_[None]
    q, _ = np.linalg.qr(raw.T)
    return q.T


def inlp_directions(X, labels, *, n_iterations: int = 6) -> np.ndarray:
    """Iterative nullspace projection (Ravfogel et al. 2020): fit the probe, project its directions out,
    fit again on what is left, ``n_iterations`` times. Returns the removed directions, orthonormal (k, d)."""
    X = np.asarray(X, dtype=float)
    basis = np.zeros((0, X.shape[1]))
    for _ in range(check_int(n_iterations, "n_iterations", minimum=1)):
        left = X - X @ basis.T @ basis
        new = probe_directions(left, labels)
        new = new - new @ basis.T @ basis
        q, _ = np.linalg.qr(np.vstack([basis, new]).T)
        basis = q.T
    return basis


def predictions_without(model, layer_name, x, directions) -> torch.Tensor:
    """Predicted classes when the ``directions`` (k, d), orthonormal in the summary space of
    ``layer_name``, are projected out of the layer's activations (the rest of the network unchanged).

    A map's summary is the mean of each channel over a POOL_GRID x POOL_GRID grid of cells: subtracting from
    every pixel of a cell the cell's component U^T U s removes exactly that component from the summary s
    and changes nothing orthogonal to it.
    """
    U = torch.as_tensor(np.asarray(directions), dtype=torch.float32)

    def remove(module, inputs, out):
        if _pooled(out):
            s = F.adaptive_avg_pool2d(out, POOL_GRID)
            part = ((s.flatten(1) @ U.T) @ U).view_as(s)
            return out - F.interpolate(part, size=out.shape[2:], mode="nearest")
        return out - (out.flatten(1) @ U.T @ U).view_as(out)

    handle = model.get_submodule(layer_name).register_forward_hook(remove)
    try:
        with torch.no_grad():
            return model(x).argmax(dim=1)
    finally:
        handle.remove()


class D6Setup(NamedTuple):
    probe_x: torch.Tensor      # (N_PROBE, 1, 32, 32) the probing images
    watermarks: np.ndarray     # (N_PROBE,) their watermark patterns
    test_x: torch.Tensor       # (400, 1, 32, 32) test images (random watermarks)
    test_labels: torch.Tensor  # (400,)


def d6_setup(random_state: int = 0) -> D6Setup:
    """Drill D6's images: a probing set (seed ``random_state``) and 400 test images (seed + 5)."""
    probe, test = probe_images(random_state), probe_images(random_state + 5, 400)
    return D6Setup(image_batch(probe), probe.watermarks, image_batch(test), torch.as_tensor(test.labels))


# --------------------------------------------------------------------------------------------
# TCAV's concepts and captum


def watermark_concept(pattern: int, random_state: int = 0, n_images: int = N_CONCEPT) -> torch.Tensor:
    """Concept images: shapes of random classes, every one carrying watermark ``pattern``."""
    data = images.make_shapes(n_images, watermark="random", random_state=random_state)
    batch = image_batch(data)
    row, col, h, w = data.watermark_box
    batch[:, 0, row:row + h, col:col + w] = torch.as_tensor(images.WATERMARK_PATTERNS[pattern], dtype=torch.float32)
    return batch


class LogisticCAV:
    """A captum ``Classifier`` that fits :func:`cav_estimator` (scikit-learn, deterministic), so that
    captum's TCAV uses exactly the CAV of the from-scratch version."""

    def __new__(cls):
        from captum.concept._utils.classifier import Classifier

        class _LogisticCAV(Classifier):
            def __init__(self):
                self.model, self.classes_ = None, []

            def train_and_eval(self, dataloader, **kwargs):
                xs, ys = zip(*[(x, y) for x, y in dataloader])
                X, y = torch.cat(xs).flatten(1).double().numpy(), torch.cat(ys).numpy()
                self.classes_ = sorted(set(y.tolist()))
                self.model = cav_estimator().fit(X, y)
                return {"accs": torch.tensor(self.model.score(X, y))}

            def weights(self):
                w = torch.as_tensor(self.model.coef_[0], dtype=torch.float32)
                return torch.stack([-w, w])

            def classes(self):
                return self.classes_
        return _LogisticCAV()


def captum_tcav(model, layer_name, inputs, target, concept_inputs, random_inputs, *, model_id) -> float:
    """captum's TCAV sign-count score of the concept (against one random set), in a temporary save_path
    with its own ``model_id`` (captum caches CAVs on disk by model_id: reusing one returns stale CAVs)."""
    from captum.concept import TCAV, Concept

    def loader(batch):
        return iter([batch])

    with tempfile.TemporaryDirectory() as folder:
        concept = Concept(1, "concept", loader(concept_inputs))
        random = Concept(0, "random", loader(random_inputs))
        tcav = TCAV(model, [layer_name], model_id=model_id, classifier=LogisticCAV(), save_path=folder)
        scores = tcav.interpret(inputs, [[concept, random]], target=target)
        return float(scores["1-0"][layer_name]["sign_count"][0])


# --------------------------------------------------------------------------------------------
# Test beds


class LinearNet(nn.Module):
    """flatten -> ``hidden`` Linear(d_in, width) -> ``fc`` Linear(width, k): d logit_t / d hidden = fc.weight[t]."""

    def __init__(self, n_inputs: int, width: int, n_classes: int):
        super().__init__()
        self.flatten = nn.Flatten()
        self.hidden = nn.Linear(n_inputs, width)
        self.fc = nn.Linear(width, n_classes)

    def forward(self, x):
        return self.fc(self.hidden(self.flatten(x)))


def linear_net(random_state: int = 0, *, in_shape=(1, 6, 6), width: int = 5, n_classes: int = 3) -> LinearNet:
    """A LinearNet with seeded weights, in eval mode (the closed-form TCAV case)."""
    return seeded(lambda: LinearNet(int(np.prod(in_shape)), width, n_classes), random_state).eval()


def random_cnn(random_state: int = 0, *, in_channels: int = 1, n_classes: int = 4, width: int = 6,
               dtype=torch.float32) -> SmallCNN:
    """Chapter 04's SmallCNN (conv1, relu1, conv2, relu2, pool, flatten, fc) with seeded weights."""
    from helpers.lib.ch04 import random_cnn as ch04_random_cnn
    return ch04_random_cnn(random_state, in_channels=in_channels, n_classes=n_classes, width=width, dtype=dtype)


def random_inputs(random_state: int, shape, *, dtype=torch.float32, shift: float = 0.0) -> torch.Tensor:
    """Uniform [0, 1) images of ``shape`` plus ``shift``, from a seeded generator."""
    generator = torch.Generator().manual_seed(int(random_state))
    return torch.rand(tuple(shape), generator=generator, dtype=dtype) + shift
