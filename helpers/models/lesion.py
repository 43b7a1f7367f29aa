"""The CNN of the round-2 mock task (chapter 09): a TinyCNN for the lesion images, with shipped weights.

The architecture of :class:`helpers.models.cnn.TinyCNN` (three convolutions, ``conv3`` giving the last
8x8 map, a global-average-pool head) with two classes (0 benign, 1 malignant), preceded by a fixed
standardisation of the input, ``(x - 0.5) / 0.25``, kept in two buffers (``mean`` and ``std``): the
model takes images in [0, 1] of shape ``(batch, 1, 32, 32)``. It was trained on the training split of
:func:`helpers.data.lesions.load_lesions` (Adam, lr 5e-3, batch 64, 8 epochs, seed 0, one thread).
"""

from __future__ import annotations

import torch

from .._validation import check_int
from ._torch import fit, image_tensor, label_tensor, load_weights, weights_path
from .cnn import BATCH_SIZE, LEARNING_RATE, TinyCNN

__all__ = ["CAM_LAYER", "LesionCNN", "load_lesion_cnn", "train_lesion_cnn", "weights_file"]

CAM_LAYER = "conv3"
N_CLASSES = 2
_WEIGHTS = "lesion_cnn.pt"


class LesionCNN(TinyCNN):
    """A two-class TinyCNN whose input is standardised inside the model.

    Attributes
    ----------
    mean, std : torch.Tensor (buffers, scalars)
        ``forward(x)`` runs the TinyCNN on ``(x - mean) / std``.
    conv1, conv2, conv3, relu1, relu2, relu3, pool, flatten, fc
        As in :class:`~helpers.models.cnn.TinyCNN`; ``conv3`` is the Grad-CAM layer.
    """

    def __init__(self):
        super().__init__(n_classes=N_CLASSES)
        self.register_buffer("mean", torch.tensor(0.5))
        self.register_buffer("std", torch.tensor(0.25))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of shape (batch, 2) for images ``x`` of shape (batch, 1, 32, 32) with values in [0, 1]."""
        return super().forward((x - self.mean) / self.std)


def weights_file():
    """Where the shipped weights live (``helpers/models/weights/lesion_cnn.pt``)."""
    return weights_path(_WEIGHTS)


def load_lesion_cnn() -> LesionCNN:
    """The shipped CNN, in eval mode."""
    return load_weights(LesionCNN(), _WEIGHTS)


def train_lesion_cnn(images, labels, *, epochs: int = 8, random_state: int = 0, lr: float = LEARNING_RATE,
                     batch_size: int = BATCH_SIZE, progress: bool = False) -> LesionCNN:
    """Train a LesionCNN with Adam and cross-entropy, seeded (about 6 s on one core).

    Parameters
    ----------
    images : array-like of shape (n, 32, 32) or (n, 1, 32, 32), values in [0, 1]
    labels : array-like of shape (n,), 0 or 1
    epochs : int, default=8
    random_state : int, default=0
        ``torch.manual_seed`` before the model is built, inside ``torch.random.fork_rng`` (the global
        torch RNG is left as it was). Results repeat bit for bit at a fixed thread count.
    lr, batch_size : float, int
    progress : bool, default=False

    Returns
    -------
    LesionCNN
        Trained, in eval mode.
    """
    x = image_tensor(images, name="images")
    y = label_tensor(labels, len(x), N_CLASSES)
    seed = check_int(random_state, "random_state", minimum=0)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = LesionCNN()
        return fit(model, (x,), y, epochs=epochs, lr=lr, batch_size=batch_size, progress=progress,
                   desc="LesionCNN")
