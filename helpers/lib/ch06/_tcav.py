"""TCAV: the references (a CAV, directional derivatives of the logit, the sign-count score, the t-test),
the chapter's experiment over many random concepts, the watermark concept, and captum's TCAV on the
same CAVs."""

from __future__ import annotations

import tempfile

import numpy as np
import torch
from scipy import stats
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

from helpers._context import reference
from helpers.data import images

from ._probing import _capture, image_batch

TCAV_LAYERS = ("relu2", "relu3")
CAV_C = 0.1             # the CAV classifier's inverse L2 strength
N_RANDOM_CONCEPTS = 10  # random concepts the TCAV score is tested against
N_CONCEPT = 40          # images per concept set


def cav_estimator():
    """The CAV classifier: ``LogisticRegression(C=CAV_C, max_iter=1000)`` on raw flattened activations."""
    return LogisticRegression(C=CAV_C, max_iter=1000)


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


def _fit_cav(X_concept, X_random, estimator=None):
    X = np.vstack([X_concept, X_random])
    y = np.r_[np.ones(len(X_concept)), np.zeros(len(X_random))]
    weights = clone(estimator or cav_estimator()).fit(X, y).coef_[0]
    return weights / np.linalg.norm(weights)


def _cav(model, layer_name, concept_inputs, random_inputs, estimator=None):
    acts = _capture(model, [layer_name], torch.cat([concept_inputs, random_inputs]))[layer_name]
    X = acts.flatten(1).double().numpy()
    return _fit_cav(X[:len(concept_inputs)], X[len(concept_inputs):], estimator)


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


@reference
def tcav_experiment(model, layer_name, inputs, target, concept_inputs, random_sets) -> dict:
    """The chapter's TCAV experiment at one layer, the scores of :func:`tcav_score` computed at once.

    The concept is scored against each of ``random_sets[1:]``, and ``random_sets[0]`` (a random set
    posing as a concept) against the same sets; then :func:`tcav_significance`. One forward pass for the
    activations of every set and one backward pass for the gradients, instead of one per score.

    Returns ``{"concept": [score per random set], "random": [score per random set], "statistic",
    "pvalue"}``.
    """
    sizes = [len(concept_inputs)] + [len(r) for r in random_sets]
    acts = _capture(model, [layer_name], torch.cat([concept_inputs, *random_sets]))[layer_name]
    parts = np.split(acts.flatten(1).double().numpy(), np.cumsum(sizes)[:-1])
    grad = _layer_gradient(model, layer_name, inputs, target)[1].flatten(1).double().numpy()
    scores = {"concept": [], "random": []}
    for other in parts[2:]:
        for key, positive in (("concept", parts[0]), ("random", parts[1])):
            scores[key].append(float(np.mean(grad @ _fit_cav(positive, other) > 0)))
    return {**scores, **_significance(scores["concept"], scores["random"])}


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


def captum_tcav(model, layer_name, inputs, target, concept_inputs, random_inputs, *, model_id,
                save_path=None) -> dict:
    """captum's TCAV of the concept against one random set, with ``classifier=LogisticCAV()``.

    captum caches the CAVs it trains on disk, under ``save_path/model_id/``, and loads a cached CAV
    instead of training one whenever the file exists: give every model its own ``model_id``. Without
    ``save_path`` a temporary folder is used (captum's default, ``./cav/``, would litter the working
    folder). Returns ``{"score": sign-count score of the concept, "magnitude": captum's magnitude entry
    (in captum 0.9's code, the mean derivative along the classifier's weights, which captum does not
    normalise), "cav": the concept's CAV, normalised, "cav_norm": the norm of the weights captum used}``.
    """
    from captum.concept import TCAV, Concept

    def run(folder):
        concept = Concept(1, "concept", iter([concept_inputs]))
        random = Concept(0, "random", iter([random_inputs]))
        tcav = TCAV(model, [layer_name], model_id=model_id, classifier=LogisticCAV(), save_path=folder)
        scores = tcav.interpret(inputs, [[concept, random]], target=target)
        cav = tcav.cavs["1-0"][layer_name].stats["weights"][1].double().numpy()  # rows in class order: 0, 1
        found = scores["1-0"][layer_name]
        return {"score": float(found["sign_count"][0]), "magnitude": float(found["magnitude"][0]),
                "cav": cav / np.linalg.norm(cav), "cav_norm": float(np.linalg.norm(cav))}

    if save_path is not None:
        return run(str(save_path))
    with tempfile.TemporaryDirectory() as folder:
        return run(folder)
