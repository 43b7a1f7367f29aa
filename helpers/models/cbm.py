"""Concept bottleneck models (Koh et al. 2020) on the 32x32 shapes, with shipped weights (chapter 06).

A concept bottleneck model predicts human concepts from the image, then the label from the concepts
only. The concepts here (:data:`CONCEPTS`, one probability each)::

    round                outline curved everywhere           (circle)
    right angles         corners of 90 degrees               (square, cross)
    quarter-turn         looks the same turned by 90 degrees (circle, square, cross)
    convex               no dent in the outline              (circle, square, triangle)
    watermark 0..3       the corner watermark's pattern      (checker, inverse checker, horizontal
                                                              stripes, vertical stripes: one-hot)

The four shape concepts determine the class (:data:`SHAPE_CONCEPTS`); the watermark's carry no
information about it in the clean training set.

Architecture (input ``(batch, 1, 32, 32)``, float32): the :class:`~helpers.models.cnn.TinyCNN`
convolutions (conv1/relu1 ... relu3, pool, flatten), then::

    concepts    Linear(32, k)       -> concept logits (batch, k)
    bottleneck  Bottleneck          -> sigmoid, then thresholded at 0.5 if ``hard``: what the head reads
    head        Linear(k, 4)        -> label logits (batch, 4)

``model.bottleneck`` is a module, so a forward hook on it reads the concept scores, and a forward hook
that *returns* a tensor replaces them: that is a concept intervention.

Two shipped models (:func:`load_cbm`), both trained on chapter 04's clean training set:

- ``"independent"``: the concept predictor trained on the concepts alone (binary cross-entropy), the
  head trained on the true concepts (Koh et al.'s *independent* CBM), used with a **hard** bottleneck.
- ``"leaky"``: a *joint* CBM (label and concept losses together, through a **soft** bottleneck) whose
  bottleneck lacks the concepts that tell a square from a triangle (:data:`LEAKY_CONCEPTS`): with
  true 0/1 concepts no head can do better than 0.75; the soft probabilities let the label leak through.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .._validation import check_int
from ..data.images import SHAPE_CLASSES
from ._torch import image_tensor, label_tensor, load_weights
from .cnn import add_convolutions, pooled_features

__all__ = ["CONCEPTS", "KINDS", "LEAKY_CONCEPTS", "SHAPE_CLASSES", "SHAPE_CONCEPTS", "Bottleneck", "ConceptBottleneckCNN",
           "concept_labels", "load_cbm", "train_cbm"]

N_CLASSES = 4
CONCEPTS = ("round", "right angles", "quarter-turn", "convex",
            "watermark 0", "watermark 1", "watermark 2", "watermark 3")
# Shape concepts of each class (rows: circle, square, triangle, cross; columns: the first four CONCEPTS).
SHAPE_CONCEPTS = np.array([[1, 0, 1, 1],
                           [0, 1, 1, 1],
                           [0, 0, 0, 1],
                           [0, 1, 1, 0]], dtype=np.float32)
LEAKY_CONCEPTS = ("round", "convex", "watermark 0", "watermark 1", "watermark 2", "watermark 3")
KINDS = ("independent", "leaky")
LEARNING_RATE = 5e-3
BATCH_SIZE = 64


def concept_labels(labels, watermarks, names=CONCEPTS) -> np.ndarray:
    """The true concepts of images, float32 (n, len(names)), from their classes and watermark patterns."""
    labels, watermarks = np.asarray(labels, dtype=int), np.asarray(watermarks, dtype=int)
    if labels.shape != watermarks.shape or labels.ndim != 1:
        raise ValueError(f"labels and watermarks must be 1-d of one length, got {labels.shape}, {watermarks.shape}")
    table = np.hstack([SHAPE_CONCEPTS[labels], np.eye(4, dtype=np.float32)[watermarks]])
    unknown = [name for name in names if name not in CONCEPTS]
    if unknown:
        raise ValueError(f"unknown concepts {unknown}; known: {CONCEPTS}")
    return table[:, [CONCEPTS.index(name) for name in names]]


class Bottleneck(nn.Module):
    """Concept logits -> the concept scores the head reads: sigmoid probabilities, or 0/1 if ``hard``."""

    def __init__(self, hard: bool = False):
        super().__init__()
        self.hard = bool(hard)

    def forward(self, logits: torch.Tensor) -> torch.Tensor:
        p = torch.sigmoid(logits)
        return (p > 0.5).to(p.dtype) if self.hard else p

    def extra_repr(self) -> str:
        return f"hard={self.hard}"


class ConceptBottleneckCNN(nn.Module):
    """Image -> concept logits -> bottleneck -> label logits (see the module docstring).

    Parameters
    ----------
    concepts : tuple of str, default=CONCEPTS
        The concepts of the bottleneck, a subset of :data:`CONCEPTS` (``model.concept_names``).
    hard : bool, default=False
        Threshold the concept probabilities at 0.5 before the head.
    """

    def __init__(self, *, concepts=CONCEPTS, hard: bool = False):
        super().__init__()
        self.concept_names = tuple(concepts)
        if not self.concept_names or any(name not in CONCEPTS for name in self.concept_names):
            raise ValueError(f"concepts must be a non-empty subset of {CONCEPTS}, got {concepts!r}")
        add_convolutions(self)
        self.concepts = nn.Linear(32, len(self.concept_names))
        self.bottleneck = Bottleneck(hard)
        self.head = nn.Linear(len(self.concept_names), N_CLASSES)

    def concept_logits(self, x: torch.Tensor) -> torch.Tensor:
        """Concept logits (batch, k) of images ``x`` (batch, 1, 32, 32)."""
        return self.concepts(pooled_features(self, x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Label logits (batch, 4)."""
        return self.head(self.bottleneck(self.concept_logits(x)))


def _batches(n, batch_size):
    order = torch.randperm(n)
    return [order[start:start + batch_size] for start in range(0, n, batch_size)]


def train_cbm(data, kind: str = "independent", *, epochs: int = 8, head_epochs: int = 30,
              concept_weight: float = 1.0, random_state: int = 0, lr: float = LEARNING_RATE,
              batch_size: int = BATCH_SIZE) -> ConceptBottleneckCNN:
    """Train a CBM on ``data`` (a ShapeImages with watermarks), seeded; 10-20 s for the shipped recipes on one core.

    ``"independent"``: the image -> concepts part with binary cross-entropy on :data:`CONCEPTS` for
    ``epochs``, then the head alone on the TRUE concepts with cross-entropy for ``head_epochs``; the
    model is returned with a hard bottleneck. ``"leaky"``: all of it at once (joint training) on
    :data:`LEAKY_CONCEPTS`, loss = cross-entropy(label) + ``concept_weight`` x BCE(concepts), through
    the soft bottleneck, for ``epochs``. Returns the model in eval mode; the global torch RNG is left
    as it was.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    x = image_tensor(data.images, name="data.images")
    y = label_tensor(data.labels, len(x), N_CLASSES)
    names = CONCEPTS if kind == "independent" else LEAKY_CONCEPTS
    c = torch.as_tensor(concept_labels(data.labels, data.watermarks, names))
    bce, ce = nn.BCEWithLogitsLoss(), nn.CrossEntropyLoss()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(check_int(random_state, "random_state", minimum=0))
        model = ConceptBottleneckCNN(concepts=names).train()
        if kind == "independent":
            body = [p for name, p in model.named_parameters() if not name.startswith("head.")]
            optimizer = torch.optim.Adam(body, lr=lr)
            for _ in range(check_int(epochs, "epochs", minimum=1)):
                for index in _batches(len(y), batch_size):
                    optimizer.zero_grad()
                    bce(model.concept_logits(x[index]), c[index]).backward()
                    optimizer.step()
            optimizer = torch.optim.Adam(model.head.parameters(), lr=lr * 4)
            for _ in range(check_int(head_epochs, "head_epochs", minimum=1)):
                for index in _batches(len(y), batch_size):
                    optimizer.zero_grad()
                    ce(model.head(c[index]), y[index]).backward()
                    optimizer.step()
            model.bottleneck.hard = True
        else:
            optimizer = torch.optim.Adam(model.parameters(), lr=lr)
            for _ in range(check_int(epochs, "epochs", minimum=1)):
                for index in _batches(len(y), batch_size):
                    optimizer.zero_grad()
                    logits = model.concept_logits(x[index])
                    loss = ce(model.head(model.bottleneck(logits)), y[index]) + concept_weight * bce(logits, c[index])
                    loss.backward()
                    optimizer.step()
    return model.eval()


def load_cbm(kind: str = "independent") -> ConceptBottleneckCNN:
    """The shipped CBM, in eval mode: ``"independent"`` (hard bottleneck, every concept) or ``"leaky"``
    (joint, soft bottleneck, :data:`LEAKY_CONCEPTS`)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    model = ConceptBottleneckCNN(concepts=CONCEPTS if kind == "independent" else LEAKY_CONCEPTS,
                                 hard=kind == "independent")
    return load_weights(model, f"cbm_{kind}.pt")
