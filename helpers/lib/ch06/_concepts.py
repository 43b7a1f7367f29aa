"""Concept bottleneck models (:mod:`helpers.models.cbm`): a test set with its true concepts, the concept
probabilities, an intervention through a forward hook on the bottleneck, and the intervention curve."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

from helpers.data import images
from helpers.models import cbm

from ._probing import image_batch


class ConceptData(NamedTuple):
    x: torch.Tensor         # (n, 1, 32, 32) float32
    labels: torch.Tensor    # (n,) int64 shape class
    concepts: torch.Tensor  # (n, 8) float32 true concepts, in the order of cbm.CONCEPTS


def concept_data(random_state: int = 0, n_images: int = 1000) -> ConceptData:
    """Shapes with random watermarks (the CBMs' test distribution) and their true concepts."""
    data = images.make_shapes(n_images, watermark="random", random_state=random_state)
    return ConceptData(image_batch(data), torch.as_tensor(data.labels),
                       torch.as_tensor(cbm.concept_labels(data.labels, data.watermarks)))


def true_concepts(model, data: ConceptData) -> torch.Tensor:
    """The true concepts of ``data`` in the order of ``model.concept_names`` (a CBM may use a subset)."""
    return data.concepts[:, [cbm.CONCEPTS.index(name) for name in model.concept_names]]


def concept_probabilities(model, x) -> torch.Tensor:
    """The CBM's concept probabilities, sigmoid of its concept logits, (n, k), without gradients."""
    with torch.no_grad():
        return torch.sigmoid(model.concept_logits(x))


def predict_with(model, x, values=None, mask=None) -> torch.Tensor:
    """The CBM's predicted classes (n,), with an intervention: where ``mask`` (n, k) is True, the
    bottleneck's output is replaced by ``values`` (n, k). A forward hook on ``model.bottleneck`` that
    returns a tensor replaces the module's output; it is removed in a ``finally``."""
    def replace(module, inputs, out):
        return torch.where(mask, values.to(out.dtype), out)

    handle = model.bottleneck.register_forward_hook(replace) if mask is not None else None
    try:
        with torch.no_grad():
            return model(x).argmax(dim=1)
    finally:
        if handle is not None:
            handle.remove()


def uncertainty_order(model, x) -> torch.Tensor:
    """For every input, the concepts sorted from the least to the most certain (|p - 0.5| increasing), (n, k)."""
    return (concept_probabilities(model, x) - 0.5).abs().argsort(dim=1, stable=True)


def intervention_curve(model, data: ConceptData) -> np.ndarray:
    """Accuracy of the CBM on ``data`` when, in every image, its k least certain concepts are set to their
    true values, for k = 0 .. number of concepts. Shape (k + 1,)."""
    truth, order = true_concepts(model, data), uncertainty_order(model, data.x)
    accuracy = []
    for k in range(truth.shape[1] + 1):
        mask = torch.zeros_like(truth, dtype=torch.bool).scatter_(1, order[:, :k], True)
        accuracy.append(float((predict_with(model, data.x, truth, mask) == data.labels).double().mean()))
    return np.array(accuracy)
