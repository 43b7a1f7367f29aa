"""A tiny CNN for the generated 32x32 shapes, with shipped weights: a clean model and a shortcut model.

Chapter 04 explains it with saliency, Grad-CAM and Integrated Gradients, and finds the shortcut the
second model learned (the watermark in the top-left corner, see :mod:`helpers.data.images`).

Architecture (input ``(batch, 1, 32, 32)``, float32)::

    conv1  5x5 stride 2, 8 channels   -> relu1 -> (batch, 8, 16, 16)
    conv2  3x3 stride 2, 16 channels  -> relu2 -> (batch, 16, 8, 8)
    conv3  3x3 stride 1, 32 channels  -> relu3 -> (batch, 32, 8, 8)   <- Grad-CAM layer: ``model.conv3``
    pool   global average             -> flatten -> (batch, 32)
    fc     Linear(32, 4)              -> logits (batch, 4)

Every ReLU is its own ``nn.ReLU`` module (never in place, never functional), so forward and full
backward hooks, captum's DeepLift / LayerGradCam and shap's DeepExplainer all work. Grad-CAM hooks
``model.conv3`` (its output is the last 8x8 feature map, before the ReLU; ``model.relu3`` gives the
same map after the ReLU). Use the shipped weights through :func:`load_cnn`.
"""

from __future__ import annotations

import torch
from torch import nn

from .._validation import check_int
from ._torch import accuracy_of, check_input, fit, image_tensor, label_tensor, load_weights

__all__ = ["CAM_LAYER", "IMAGE_SIZE", "KINDS", "N_CLASSES", "TinyCNN", "accuracy", "load_cnn", "train_cnn"]

IMAGE_SIZE = 32
N_CLASSES = 4
CAM_LAYER = "conv3"  # the attribute of TinyCNN whose output Grad-CAM weighs: getattr(model, CAM_LAYER)
KINDS = ("clean", "shortcut")
LEARNING_RATE = 5e-3
BATCH_SIZE = 64


class TinyCNN(nn.Module):
    """Three convolutions, a global-average-pool head and a linear classifier (6,000 parameters).

    Parameters
    ----------
    n_classes : int, default=4

    Attributes
    ----------
    conv1, conv2, conv3 : nn.Conv2d
        ``conv3`` is the last convolution (8x8 output): the layer Grad-CAM hooks.
    relu1, relu2, relu3 : nn.ReLU
        One module per use, ``inplace=False``.
    pool : nn.AdaptiveAvgPool2d
    flatten : nn.Flatten
    fc : nn.Linear
        The classifier, ``(32,) -> (n_classes,)``.
    """

    def __init__(self, *, n_classes: int = N_CLASSES):
        super().__init__()
        n_classes = check_int(n_classes, "n_classes", minimum=2)
        add_convolutions(self)
        self.fc = nn.Linear(32, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of shape (batch, n_classes) for images ``x`` of shape (batch, 1, 32, 32), float."""
        return self.fc(pooled_features(self, x))


def add_convolutions(module: nn.Module) -> None:
    """TinyCNN's feature layers as attributes of ``module``: conv1/relu1 ... relu3, pool, flatten (chapter
    06's concept bottleneck model has the same ones, with its own weights)."""
    module.conv1 = nn.Conv2d(1, 8, kernel_size=5, stride=2, padding=2)
    module.relu1 = nn.ReLU(inplace=False)
    module.conv2 = nn.Conv2d(8, 16, kernel_size=3, stride=2, padding=1)
    module.relu2 = nn.ReLU(inplace=False)
    module.conv3 = nn.Conv2d(16, 32, kernel_size=3, stride=1, padding=1)
    module.relu3 = nn.ReLU(inplace=False)
    module.pool = nn.AdaptiveAvgPool2d(1)
    module.flatten = nn.Flatten()


def pooled_features(module: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The 32 pooled features (batch, 32) of images ``x`` (batch, 1, 32, 32) through the layers that
    :func:`add_convolutions` gave ``module``."""
    check_input(x, (None, 1, IMAGE_SIZE, IMAGE_SIZE), "x")
    x = module.relu1(module.conv1(x))  # (batch, 8, 16, 16)
    x = module.relu2(module.conv2(x))  # (batch, 16, 8, 8)
    x = module.relu3(module.conv3(x))  # (batch, 32, 8, 8)
    return module.flatten(module.pool(x))


def _check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    return kind


def load_cnn(kind: str = "clean") -> TinyCNN:
    """The shipped CNN, in eval mode.

    Parameters
    ----------
    kind : {"clean", "shortcut"}, default="clean"
        ``"clean"`` was trained on shapes whose watermark is random (it carries no information);
        ``"shortcut"`` on shapes that carry their class's watermark 95% of the time (see
        :func:`helpers.data.images.make_shape_splits` for both training sets).

    Returns
    -------
    TinyCNN
    """
    return load_weights(TinyCNN(), f"cnn_{_check_kind(kind)}.pt")


def train_cnn(data, *, epochs: int = 6, random_state: int = 0, lr: float = LEARNING_RATE,
              batch_size: int = BATCH_SIZE, progress: bool = False) -> TinyCNN:
    """Train a TinyCNN with Adam and cross-entropy, seeded (3-4 s on one core).

    ``torch.manual_seed(random_state)`` runs before the model is built, inside
    ``torch.random.fork_rng``: the global torch RNG is left as it was. Results repeat bit for bit at
    a fixed ``torch.get_num_threads()``; across thread counts accuracy varies by about 0.03.

    Parameters
    ----------
    data : ShapeImages
        From :func:`helpers.data.images.make_shapes` (``data.images`` of shape (n, 32, 32),
        ``data.labels`` of shape (n,)).
    epochs : int, default=6
    random_state : int, default=0
    lr : float, default=5e-3
    batch_size : int, default=64
    progress : bool, default=False
        Show a tqdm progress bar over epochs (if tqdm is installed).

    Returns
    -------
    TinyCNN
        Trained, in eval mode.
    """
    if not hasattr(data, "images") or not hasattr(data, "labels"):
        raise TypeError(f"data must be a ShapeImages (with .images and .labels), got {type(data).__name__}")
    images = image_tensor(data.images, name="data.images")
    labels = label_tensor(data.labels, len(images), N_CLASSES)
    seed = check_int(random_state, "random_state", minimum=0)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = TinyCNN()
        return fit(model, (images,), labels, epochs=epochs, lr=lr, batch_size=batch_size,
                   progress=progress, desc="TinyCNN")


def accuracy(model: nn.Module, images, labels) -> float:
    """Share of images the model classifies correctly.

    Parameters
    ----------
    model : nn.Module
        Maps (n, 1, 32, 32) to logits (n, n_classes).
    images : array-like or Tensor of shape (n, 32, 32) or (n, 1, 32, 32)
    labels : array-like or Tensor of shape (n,), int

    Returns
    -------
    float
    """
    x = image_tensor(images)
    return accuracy_of(model, (x,), label_tensor(labels, len(x), N_CLASSES))
