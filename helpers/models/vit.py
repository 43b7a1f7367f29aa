"""A tiny vision transformer for the 32x32 shapes: a conv stem, 16 patch tokens and a ``[CLS]`` head.

Chapter 05's drill D3 compares Grad-CAM on its patch tokens with attention rollout.

Architecture (input ``(batch, 1, 32, 32)``, float32)::

    stem   conv 3x3 stride 2, 16 channels -> stem_relu -> (batch, 16, 16, 16)
    patch  conv 4x4 stride 4, 32 channels (a linear map of each 4x4 patch) -> 4x4 grid, 16 tokens
    tokens [CLS] + 16 patch tokens + learned positions                      -> (batch, 17, 32)
    blocks 2 pre-LN encoder blocks (2 heads, explicit attention, see helpers.models.transformer)
    norm, head on the [CLS] token                                           -> logits (batch, 4)

Token ``1 + 4 * row + col`` is the patch at ``(row, col)`` of the ``GRID``; token 0 is ``[CLS]``.

Grad-CAM on patch tokens: the head reads only ``[CLS]``, so the *output* of the last block reaches
the logits only at ``[CLS]`` and its 16 patch outputs get no gradient (a Grad-CAM of zeros). Hook
the *input* of the last block instead: ``model.blocks[-1].tokens_in`` (an ``nn.Identity``, also
usable as torchcam's ``target_layer``) gives the tokens ``(batch, 17, 32)`` that enter it; drop
``[CLS]`` and reshape the 16 patch tokens to ``(batch, 32, *GRID)`` (:func:`tokens_to_grid`).
"""

from __future__ import annotations

import torch
from torch import nn

from .._validation import check_float, check_int
from ._torch import accuracy_of, check_input, fit, image_tensor, label_tensor, load_weights
from .transformer import EncoderBlock

__all__ = ["GRID", "IMAGE_SIZE", "N_CLASSES", "TinyViT", "accuracy", "load_vit", "tokens_to_grid", "train_vit"]

IMAGE_SIZE = 32
N_CLASSES = 4
GRID = (4, 4)  # rows, columns of patch tokens
NOISE = 0.05  # the pixel noise of the ViT's training and test shapes (make_shapes(noise=NOISE))
LEARNING_RATE = 3e-3
BATCH_SIZE = 64


class TinyViT(nn.Module):
    """Conv stem, 4x4 patch embedding, ``[CLS]``, encoder blocks and a linear head (4 classes).

    Parameters
    ----------
    dim : int, default=32
    n_heads : int, default=2
    n_layers : int, default=2
    n_classes : int, default=4

    Attributes
    ----------
    stem, stem_relu : nn.Conv2d, nn.ReLU
    patch_embedding : nn.Conv2d
        4x4 kernel, stride 4: one token per patch of the 16x16 stem map.
    cls_token : nn.Parameter of shape (1, 1, dim)
    position_embedding : nn.Parameter of shape (1, 17, dim)
    blocks : nn.ModuleList of EncoderBlock
        ``blocks[-1].tokens_in`` is the Grad-CAM layer (see the module docstring).
    norm : nn.LayerNorm
    head : nn.Linear
    """

    def __init__(self, *, dim: int = 32, n_heads: int = 2, n_layers: int = 2, n_classes: int = N_CLASSES):
        super().__init__()
        self.dim = check_int(dim, "dim", minimum=1)
        self.stem = nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1)
        self.stem_relu = nn.ReLU(inplace=False)
        patch = IMAGE_SIZE // 2 // GRID[0]
        self.patch_embedding = nn.Conv2d(16, dim, kernel_size=patch, stride=patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.position_embedding = nn.Parameter(0.02 * torch.randn(1, 1 + GRID[0] * GRID[1], dim))
        n_heads = check_int(n_heads, "n_heads", minimum=1)
        self.blocks = nn.ModuleList(EncoderBlock(dim, n_heads)
                                    for _ in range(check_int(n_layers, "n_layers", minimum=1)))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, check_int(n_classes, "n_classes", minimum=2))

    def forward(self, x: torch.Tensor, *, return_attention: bool = False):
        """Logits (batch, n_classes) of images ``x`` (batch, 1, 32, 32), float.

        With ``return_attention=True`` also the list of per-layer attention tensors, each of shape
        (batch, heads, 17, 17), in the autograd graph.
        """
        check_input(x, (None, 1, IMAGE_SIZE, IMAGE_SIZE), "x")
        patches = self.patch_embedding(self.stem_relu(self.stem(x)))  # (batch, dim, 4, 4)
        tokens = patches.flatten(2).transpose(1, 2)  # (batch, 16, dim), row by row
        x = torch.cat([self.cls_token.expand(len(tokens), -1, -1), tokens], dim=1) + self.position_embedding
        attentions = []
        for block in self.blocks:
            x, probs = block(x)
            attentions.append(probs)
        logits = self.head(self.norm(x[:, 0]))
        return (logits, attentions) if return_attention else logits


def tokens_to_grid(tokens: torch.Tensor) -> torch.Tensor:
    """Patch tokens as a feature map: (batch, 17, dim) -> (batch, dim, 4, 4), ``[CLS]`` dropped.

    The ``reshape_transform`` for torchcam (or a hook of your own) on ``model.blocks[-1].tokens_in``.
    """
    check_input(tokens, (None, 1 + GRID[0] * GRID[1], None), "tokens")
    return tokens[:, 1:].transpose(1, 2).reshape(len(tokens), tokens.shape[2], *GRID)


def train_vit(data, *, epochs: int = 16, random_state: int = 0, lr: float = LEARNING_RATE,
              batch_size: int = BATCH_SIZE, progress: bool = False) -> TinyViT:
    """Train a TinyViT with Adam and cross-entropy, seeded (global torch RNG left as it was); 4-5 s.

    16 epochs rather than 8: at 8, one seed out of two ended between 0.86 and 0.95 test accuracy
    depending on the thread count; at 16 all four runs measured reached 0.93-0.99.

    Parameters
    ----------
    data : ShapeImages
        From :func:`helpers.data.images.make_shapes`, best with ``noise=NOISE`` (0.05).
    epochs : int, default=16
    random_state : int, default=0
    lr : float, default=3e-3
    batch_size : int, default=64
    progress : bool, default=False

    Returns
    -------
    TinyViT
        Trained, in eval mode.
    """
    if not hasattr(data, "images") or not hasattr(data, "labels"):
        raise TypeError(f"data must be a ShapeImages (with .images and .labels), got {type(data).__name__}")
    images = image_tensor(data.images, name="data.images")
    labels = label_tensor(data.labels, len(images), N_CLASSES)
    check_float(lr, "lr", low=0.0)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(check_int(random_state, "random_state", minimum=0))
        model = TinyViT()
        return fit(model, (images,), labels, epochs=epochs, lr=lr, batch_size=batch_size,
                   progress=progress, desc="TinyViT")


def load_vit() -> TinyViT:
    """The shipped TinyViT, in eval mode (trained on shapes with ``noise=NOISE``)."""
    return load_weights(TinyViT(), "vit.pt")


def accuracy(model: nn.Module, images, labels) -> float:
    """Share of images classified correctly; images of shape (n, 32, 32) or (n, 1, 32, 32)."""
    x = image_tensor(images)
    return accuracy_of(model, (x,), label_tensor(labels, len(x), N_CLASSES))
