"""The checks' test beds: a linear network whose directional derivatives are known in closed form, small
seeded CNNs (chapter 04's SmallCNN) and seeded random inputs. They build inputs, never answers."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from helpers.lib.ch04 import SmallCNN
from helpers.models._torch import seeded


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


class PlantedFailure(RuntimeError):
    """The error a :class:`FailingCNN` raises after its layers up to ``relu2`` have run."""


class FailingCNN(SmallCNN):
    """A SmallCNN whose forward pass raises :class:`PlantedFailure` after ``relu2``: hooks on conv1 ... relu2
    have fired when it raises. Subclassed (not a patched ``forward``), so a deep copy fails the same way."""

    def forward(self, x):
        self.relu2(self.conv2(self.relu1(self.conv1(x))))
        raise PlantedFailure("planted failure in the forward pass (after relu2)")


def failing_cnn(random_state: int = 0, *, width: int = 5) -> FailingCNN:
    """A FailingCNN with the weights of :func:`random_cnn` (``random_state``, ``width``), in eval mode."""
    model = FailingCNN(1, 4, width)
    model.load_state_dict(random_cnn(random_state, width=width).state_dict())
    return model.eval()


def random_inputs(random_state: int, shape, *, dtype=torch.float32, shift: float = 0.0) -> torch.Tensor:
    """Uniform [0, 1) images of ``shape`` plus ``shift``, from a seeded generator."""
    generator = torch.Generator().manual_seed(int(random_state))
    return torch.rand(tuple(shape), generator=generator, dtype=dtype) + shift


def probe_bed(seed: int, n: int, dims, n_types: int):
    """Activations of a few layers (names in no canonical form), labels and control labels: the class is
    readable more clearly deeper, and every type (n_types of them) shares a random offset, so that a
    control task has something to memorise. Returns ``(activations, labels, control_labels)``."""
    from ._probing import control_labels
    rng = np.random.default_rng(seed)
    types = rng.permutation(np.arange(n) % n_types)
    labels = rng.integers(0, 3, n_types)[types] if seed % 2 else rng.integers(0, 3, n)
    acts = {}
    for k, d in enumerate(dims):
        X = rng.normal(size=(n, d)) + (k + 0.5) * np.eye(3, d)[labels] + 0.7 * rng.normal(size=(n_types, d))[types]
        acts[f"layer{k}" if k % 2 else f"block.{k}"] = X
    return acts, labels, control_labels(types, seed)
