"""A tiny transformer classifier for the cue-word corpus, with explicit attention and shipped weights.

Chapter 05 reads its attention maps, rolls them out and compares them with Integrated Gradients
against the known cue positions (see :mod:`helpers.data.text`).

Architecture: token embedding + learned position embedding; ``[CLS]`` at position 0; two pre-LN
encoder blocks (``x + attention(norm1(x))``, then ``x + mlp(norm2(x))``) of width 32 with 2 heads;
a final LayerNorm and a linear head on the ``[CLS]`` output (2 classes). Attention is computed by
hand, ``softmax(Q K^T / sqrt(head_dim))`` with padded keys masked out, and returned as tensors that
stay in the autograd graph: ``torch.autograd.grad(logit, attentions)`` gives d logit / d attention
for gradient-weighted attention.

Padding: the mask is an explicit argument (default ``ids != PAD_ID``). Pass it explicitly whenever
the ids may hold ``[PAD]`` where there is a word, e.g. an Integrated-Gradients baseline; the
recommended baseline is :func:`baseline_ids` (every word replaced by ``[MASK]``, a token the model
saw in training: 15% of filler words were masked at random).

Integrated Gradients on embeddings, two ways::

    ig = captum.attr.LayerIntegratedGradients(model, model.token_embedding)
    ig.attribute(ids, baselines=baseline_ids(ids), additional_forward_args=(mask,), target=labels)

    ig = captum.attr.IntegratedGradients(model.forward_embeddings)
    ig.attribute(model.embed(ids), baselines=model.embed(baseline_ids(ids)),
                 additional_forward_args=(mask,), target=labels)
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from .._validation import check_float, check_int
from ..data.text import CLS_ID, MASK_ID, PAD_ID, VOCABULARY, Corpus, EncodedCorpus, encode
from ._torch import accuracy_of, check_input, fit, label_tensor, load_weights

__all__ = ["EncoderBlock", "SelfAttention", "TinyTransformer", "accuracy", "as_tensors", "baseline_ids",
           "load_transformer", "train_transformer"]

N_CLASSES = 2
MAX_LENGTH = 32  # positions the model knows: [CLS] and up to 31 words
LEARNING_RATE = 3e-3
BATCH_SIZE = 64
MASK_RATE = 0.15


class SelfAttention(nn.Module):
    """Multi-head self-attention written out, returning its probabilities.

    Attributes
    ----------
    qkv : nn.Linear
        ``(dim,) -> (3 * dim,)``: queries, keys and values of every head.
    probs : nn.Identity
        Applied to the attention probabilities: a hook point of shape (batch, heads, T, T).
    out : nn.Linear
    """

    def __init__(self, dim: int, n_heads: int):
        super().__init__()
        if dim % n_heads:
            raise ValueError(f"dim must be a multiple of n_heads={n_heads}, got {dim}")
        self.n_heads, self.head_dim = n_heads, dim // n_heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.probs = nn.Identity()
        self.out = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> tuple:
        """Return ``(output (batch, T, dim), probabilities (batch, heads, T, T))``; rows sum to 1.

        ``mask`` (batch, T), bool: keys where it is False get probability 0.
        """
        batch, length, dim = x.shape
        qkv = self.qkv(x).reshape(batch, length, 3, self.n_heads, self.head_dim)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)  # each (batch, heads, T, head_dim)
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.head_dim)  # (batch, heads, T, T)
        if mask is not None:
            scores = scores.masked_fill(~mask[:, None, None, :], torch.finfo(scores.dtype).min)
        probs = self.probs(torch.softmax(scores, dim=-1))
        heads = (probs @ v).transpose(1, 2).reshape(batch, length, dim)
        return self.out(heads), probs


class EncoderBlock(nn.Module):
    """A pre-LN encoder block: ``x + attention(norm1(x))``, then ``x + mlp(norm2(x))``.

    ``forward(x, mask=None)`` returns ``(tokens (batch, T, dim), attention (batch, heads, T, T))``.

    Attributes
    ----------
    tokens_in : nn.Identity
        Applied to the block's input: hook it (e.g. torchcam's ``target_layer``) to get the tokens
        that enter the block and their gradients.
    norm1, attention, norm2 : nn.LayerNorm, SelfAttention, nn.LayerNorm
    mlp_in, relu, mlp_out : nn.Linear, nn.ReLU, nn.Linear
        The MLP, ``dim -> 4 dim -> dim``.
    """

    def __init__(self, dim: int, n_heads: int):
        super().__init__()
        self.tokens_in = nn.Identity()
        self.norm1 = nn.LayerNorm(dim)
        self.attention = SelfAttention(dim, n_heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp_in = nn.Linear(dim, 4 * dim)
        self.relu = nn.ReLU(inplace=False)
        self.mlp_out = nn.Linear(4 * dim, dim)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> tuple:
        x = self.tokens_in(x)
        update, probs = self.attention(self.norm1(x), mask)
        x = x + update
        x = x + self.mlp_out(self.relu(self.mlp_in(self.norm2(x))))
        return x, probs


class TinyTransformer(nn.Module):
    """Token and position embeddings, encoder blocks, and a linear head on ``[CLS]``.

    Parameters
    ----------
    vocab_size : int, default=len(VOCABULARY)
    max_length : int, default=32
    dim : int, default=32
    n_heads : int, default=2
    n_layers : int, default=2
    n_classes : int, default=2

    Attributes
    ----------
    token_embedding : nn.Embedding
        The layer for captum's ``LayerIntegratedGradients``.
    position_embedding : nn.Embedding
    blocks : nn.ModuleList of EncoderBlock
    norm : nn.LayerNorm
    head : nn.Linear
    """

    def __init__(self, *, vocab_size: int = len(VOCABULARY), max_length: int = MAX_LENGTH, dim: int = 32,
                 n_heads: int = 2, n_layers: int = 2, n_classes: int = N_CLASSES):
        super().__init__()
        self.dim = check_int(dim, "dim", minimum=1)
        self.max_length = check_int(max_length, "max_length", minimum=1)
        self.token_embedding = nn.Embedding(check_int(vocab_size, "vocab_size", minimum=1), dim)
        self.position_embedding = nn.Embedding(max_length, dim)
        n_heads = check_int(n_heads, "n_heads", minimum=1)
        self.blocks = nn.ModuleList(EncoderBlock(dim, n_heads)
                                    for _ in range(check_int(n_layers, "n_layers", minimum=1)))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, check_int(n_classes, "n_classes", minimum=2))

    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        """Token embeddings (batch, T, dim) of ids (batch, T), without positions."""
        check_input(ids, (None, None), "ids", floating=False)
        if ids.numel() and (ids.min() < 0 or ids.max() >= self.token_embedding.num_embeddings):
            raise ValueError(f"ids must lie in [0, {self.token_embedding.num_embeddings}), "
                             f"got values from {int(ids.min())} to {int(ids.max())}")
        return self.token_embedding(ids)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor | None = None, *,
                return_attention: bool = False):
        """Logits (batch, n_classes) of token ids (batch, T), int64, with ``[CLS]`` at position 0.

        Parameters
        ----------
        ids : Tensor of shape (batch, T), integer
        mask : Tensor of shape (batch, T), bool, optional
            True at real tokens. Default ``ids != PAD_ID``.
        return_attention : bool, default=False
            Also return the attention of every layer.

        Returns
        -------
        logits : Tensor of shape (batch, n_classes)
        attentions : list of Tensor of shape (batch, heads, T, T)
            Only with ``return_attention=True``; one per layer, in the autograd graph.
        """
        embeds = self.embed(ids)
        if mask is None:
            mask = ids != PAD_ID
        return self.forward_embeddings(embeds, mask, return_attention=return_attention)

    def forward_embeddings(self, embeds: torch.Tensor, mask: torch.Tensor | None = None, *,
                           return_attention: bool = False):
        """Like :meth:`forward`, from token embeddings (batch, T, dim) (see :meth:`embed`).

        ``mask`` defaults to all True (no padding): pass the ids' mask when there is padding.
        """
        check_input(embeds, (None, None, self.dim), "embeds")
        batch, length, _ = embeds.shape
        if length > self.max_length:
            raise ValueError(f"sequences must have at most {self.max_length} tokens, got {length}")
        if mask is None:
            mask = torch.ones(batch, length, dtype=torch.bool)
        elif not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
            raise TypeError(f"mask must be a bool tensor of shape ({batch}, {length}), got "
                            f"{getattr(mask, 'dtype', type(mask).__name__)}")
        elif tuple(mask.shape) != (batch, length):
            raise ValueError(f"mask must have shape ({batch}, {length}) like the ids, got {tuple(mask.shape)}")
        x = embeds + self.position_embedding(torch.arange(length))
        attentions = []
        for block in self.blocks:
            x, probs = block(x, mask)
            attentions.append(probs)
        logits = self.head(self.norm(x[:, 0]))
        return (logits, attentions) if return_attention else logits


def as_tensors(encoded: EncodedCorpus) -> tuple:
    """``(ids, mask, labels)`` of an encoded corpus as tensors (int64, bool, int64)."""
    if not isinstance(encoded, EncodedCorpus):
        raise TypeError(f"encoded must be an EncodedCorpus (from helpers.data.text.encode), "
                        f"got {type(encoded).__name__}")
    return (torch.as_tensor(encoded.ids), torch.as_tensor(encoded.mask),
            torch.as_tensor(encoded.labels, dtype=torch.int64))


def baseline_ids(ids: torch.Tensor) -> torch.Tensor:
    """An IG baseline: ``ids`` with every word replaced by ``[MASK]`` (``[CLS]`` and ``[PAD]`` kept).

    Parameters
    ----------
    ids : Tensor of shape (batch, T), integer

    Returns
    -------
    Tensor of shape (batch, T), int64
    """
    check_input(ids, (None, None), "ids", floating=False)
    special = (ids == PAD_ID) | (ids == CLS_ID)
    return torch.where(special, ids, torch.full_like(ids, MASK_ID))


def _masker(rate: float):
    """Augmentation: replace each filler token by [MASK] with probability ``rate`` (global torch RNG)."""
    def augment(batch):
        ids, mask, filler = batch
        hide = filler & (torch.rand(ids.shape) < rate)
        return ids.masked_fill(hide, MASK_ID), mask
    return augment


class _Classifier(nn.Module):
    """Adapter for training: ``(ids, mask, filler)`` in, logits out."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, ids, mask, filler=None):
        return self.model(ids, mask)


def train_transformer(data, *, epochs: int = 4, random_state: int = 0, lr: float = LEARNING_RATE,
                      batch_size: int = BATCH_SIZE, mask_rate: float = MASK_RATE,
                      progress: bool = False) -> TinyTransformer:
    """Train a TinyTransformer, seeded; 15% of filler words become ``[MASK]`` in every batch.

    ``torch.manual_seed(random_state)`` runs before the model is built, inside
    ``torch.random.fork_rng``: the global torch RNG is left as it was.

    Parameters
    ----------
    data : Corpus or EncodedCorpus
        A :class:`Corpus` is encoded with :func:`encode` (length: its longest text plus ``[CLS]``).
    epochs : int, default=4
    random_state : int, default=0
    lr : float, default=3e-3
    batch_size : int, default=64
    mask_rate : float, default=0.15
    progress : bool, default=False

    Returns
    -------
    TinyTransformer
        Trained, in eval mode.
    """
    if isinstance(data, Corpus):
        data = encode(data)
    ids, mask, labels = as_tensors(data)
    if ids.shape[1] > MAX_LENGTH:
        raise ValueError(f"texts must have at most {MAX_LENGTH - 1} words, got {ids.shape[1] - 1}")
    labels = label_tensor(labels, len(ids), N_CLASSES)
    rate = check_float(mask_rate, "mask_rate", low=0.0, high=1.0)
    filler = torch.as_tensor(data.filler)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(check_int(random_state, "random_state", minimum=0))
        model = TinyTransformer()
        fit(_Classifier(model), (ids, mask, filler), labels, epochs=epochs, lr=lr, batch_size=batch_size,
            augment=_masker(rate), progress=progress, desc="TinyTransformer")
    return model.eval()


def load_transformer() -> TinyTransformer:
    """The shipped TinyTransformer, in eval mode (see ``helpers/models/weights/metadata.json``)."""
    return load_weights(TinyTransformer(), "transformer.pt")


def accuracy(model: nn.Module, ids, labels, mask=None) -> float:
    """Share of texts classified correctly.

    Parameters
    ----------
    model : TinyTransformer
    ids : Tensor or ndarray of shape (n, T), integer
    labels : array-like of shape (n,)
    mask : Tensor or ndarray of shape (n, T), bool, optional
        Default ``ids != PAD_ID``.

    Returns
    -------
    float
    """
    ids = torch.as_tensor(np.asarray(ids)) if not isinstance(ids, torch.Tensor) else ids
    check_input(ids, (None, None), "ids", floating=False)
    if mask is None:
        mask = ids != PAD_ID
    elif not isinstance(mask, torch.Tensor):
        mask = torch.as_tensor(np.asarray(mask, dtype=bool))
    return accuracy_of(model, (ids, mask), label_tensor(labels, len(ids), N_CLASSES))
