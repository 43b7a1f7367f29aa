"""Chapter 05's library: transformers, attention maps and rollout (``from helpers.lib import ch05 as lib``).

- The texts the chapter explains (:func:`text_setup`): the shipped tiny transformer, a fresh cue corpus
  encoded as it was trained, and the true cue positions.
- The reference implementations that the cells after an exercise use, each guarded by
  :func:`~helpers._context.reference`: :func:`attention_rollout` (exercise 5.1),
  :func:`grad_weighted_attention` (exercise 5.2), :func:`masking_effect` (exercise 5.3) and
  :func:`vit_grad_cam` (drill D3 (a)).
- The measurements of section 4: Integrated Gradients on the token embeddings (:func:`token_ig`,
  captum's ``LayerIntegratedGradients`` with a ``[MASK]`` baseline and the padding mask passed
  explicitly), the top-1 hit rate against the cue (:func:`top1_hits`), and the constructed model whose
  attention looks at a word it never uses (:class:`DecoyTransformer`, :func:`decoy_setup`).
- Test beds built from a seed, as the checks build them: untrained transformers with peaked attention
  and texts with padding (:func:`random_transformer`, :func:`random_texts`), positions to mask
  (:func:`random_positions`), untrained ViTs
  (:func:`random_vit`), random attentions with masked keys (:func:`random_attentions`).
- Drill D3's images (:func:`d3_setup`), the patch boxes of the shapes (:func:`box_patches`) and the
  reference maps of the evaluation images with their summary (:func:`d3_evaluation`,
  :func:`d3_summary`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
import torch
from captum.attr import LayerIntegratedGradients
from torch import nn

from helpers._context import reference
from helpers._validation import check_int
from helpers.data import images, text
from helpers.models import transformer, vit
from helpers.models._torch import seeded

__all__ = [
    "CLASS_NAMES", "DECOY_WORD", "DRILL_IMAGES", "EVAL_IMAGES", "HAND_LAYERS", "IG_BATCH", "IG_STEPS", "N_TEXTS",
    "TEXT_LENGTH",
    "D3Evaluation", "DecoySetup", "DecoyTransformer", "TextSetup", "ViTSetup",
    "attention_rollout", "box_patches", "d3_evaluation", "d3_setup", "d3_summary", "decoy_setup",
    "grad_weighted_attention", "masking_effect", "random_attentions", "random_positions", "random_texts",
    "random_transformer", "random_vit", "replace_tokens", "text_setup", "token_ig", "top1_hits", "vit_grad_cam",
]

TEXT_LENGTH = 21  # [CLS] and up to 20 words: the length the shipped transformer was trained with
N_TEXTS = 400     # texts scored in section 4
IG_STEPS = 50     # Integrated Gradients steps (Gauss-Legendre, captum's default rule)
IG_BATCH = 2000   # captum's internal_batch_size: bounds memory (about 1.4 GB without it)
DECOY_WORD = "movie"
CLASS_NAMES = images.SHAPE_CLASSES  # the ViT's classes, by index
DRILL_IMAGES = 8    # images drawn in drill D3 (a) and (b)
EVAL_IMAGES = 200   # images measured in drill D3 (c)
_DRILL_SEED, _EVAL_SEED = 100, 200  # offsets: the ViT was trained and tested on seeds 6 and 7

# Section 2's example worked by hand: two layers, each of shape (batch=1, heads=2, T=3, T=3).
HAND_LAYERS = (
    np.array([[[[0, 1, 0], [1, 0, 0], [0, 0, 1]], [[0, 0, 1], [1, 0, 0], [0, 0, 1]]]], dtype=float),
    np.array([[[[0, 0, 1], [0, 1, 0], [1, 0, 0]], [[0, 0, 1], [0, 0, 1], [0, 1, 0]]]], dtype=float),
)


# --------------------------------------------------------------------------------------------
# Texts


class TextSetup(NamedTuple):
    """Texts of the cue corpus and the model that classifies them.

    model : TinyTransformer, the shipped weights, in eval mode
    ids : Tensor of shape (n, TEXT_LENGTH), int64, ``[CLS]`` first, ``[PAD]`` after the words
    mask : Tensor of shape (n, TEXT_LENGTH), bool, True at ``[CLS]`` and the words
    labels : Tensor of shape (n,), int64 (1 positive, 0 negative)
    cue : Tensor of shape (n, TEXT_LENGTH), bool, True at the cue word of the label's polarity
    tokens : list of list of str, the words of every text with ``[CLS]``, padding dropped
    """

    model: nn.Module
    ids: torch.Tensor
    mask: torch.Tensor
    labels: torch.Tensor
    cue: torch.Tensor
    tokens: list


def _cue_mask(positions, shape) -> torch.Tensor:
    cue = torch.zeros(shape, dtype=torch.bool)
    for row, where in enumerate(positions):
        cue[row, torch.as_tensor(where, dtype=torch.long)] = True
    return cue


def text_setup(random_state: int = 0, n_texts: int = N_TEXTS) -> TextSetup:
    """``n_texts`` fresh texts (``make_corpus(n_texts, random_state=random_state)``, one cue each)."""
    corpus = text.make_corpus(check_int(n_texts, "n_texts", minimum=1),
                              random_state=check_int(random_state, "random_state", minimum=0))
    encoded = text.encode(corpus, length=TEXT_LENGTH)
    ids, mask, labels = transformer.as_tensors(encoded)
    return TextSetup(transformer.load_transformer(), ids, mask, labels,
                     _cue_mask(encoded.cue_positions, ids.shape), text.decode(encoded.ids))


def replace_tokens(ids: torch.Tensor, where: torch.Tensor, word: str) -> torch.Tensor:
    """A copy of ``ids`` with the token ``word`` (e.g. ``"[MASK]"``) wherever ``where`` is True."""
    if tuple(where.shape) != tuple(ids.shape) or where.dtype != torch.bool:
        raise ValueError(f"where must be a bool tensor of shape {tuple(ids.shape)}, got "
                         f"{where.dtype} of shape {tuple(where.shape)}")
    if word not in text.VOCABULARY:
        raise ValueError(f"word must be one of the vocabulary's tokens, got {word!r}")
    return ids.masked_fill(where, text.VOCABULARY.index(word))


# --------------------------------------------------------------------------------------------
# References (exercises 5.1, 5.2 and drill D3 (a))


def _as_numpy(layer) -> np.ndarray:
    if isinstance(layer, torch.Tensor):
        layer = layer.detach().cpu().numpy()
    array = np.asarray(layer, dtype=float)
    if array.ndim != 4 or array.shape[-1] != array.shape[-2]:
        raise ValueError(f"every attention must have shape (batch, heads, T, T), got {array.shape}")
    return array


@reference
def attention_rollout(attentions, *, add_residual=True):
    """Attention rollout (Abnar & Zuidema 2020): ``A_rollout = Â_L ... Â_1``.

    ``Â_l`` is the head mean of layer ``l``; with ``add_residual`` it is ``0.5 * mean + 0.5 * I``
    (the identity added for the residual connection, rows renormalised to 1).

    Parameters
    ----------
    attentions : list or tuple of L arrays or tensors of shape (batch, heads, T, T)
        First layer first; rows sum to 1.
    add_residual : bool, default=True

    Returns
    -------
    ndarray of shape (batch, T, T)
        Row ``i`` says how much of each input token flows into output token ``i``.
    """
    rollout = None
    for layer in attentions:
        mixing = _as_numpy(layer).mean(axis=1)  # (batch, T, T)
        if add_residual:
            mixing = 0.5 * mixing + 0.5 * np.eye(mixing.shape[-1])
        rollout = mixing if rollout is None else mixing @ rollout  # later layers on the left
    if rollout is None:
        raise ValueError("attentions must hold at least one layer")
    return rollout


def _target_column(target, batch: int) -> torch.Tensor:
    return torch.as_tensor(target, dtype=torch.long).reshape(-1).expand(batch)[:, None]


@reference
def grad_weighted_attention(model, ids, target, *, mask=None):
    """Gradient-weighted attention of the LAST layer, read at the ``[CLS]`` row.

    ``r_j = mean over heads of max(0, A_h[CLS, j] * d logit_target / d A_h[CLS, j])``.

    Parameters
    ----------
    model : a transformer whose ``model(ids, mask, return_attention=True)`` returns
        ``(logits (batch, classes), [attention (batch, heads, T, T) per layer])``
    ids : Tensor of shape (batch, T), int64, ``[CLS]`` at position 0
    target : int or Tensor of shape (batch,)
    mask : Tensor of shape (batch, T), bool, optional

    Returns
    -------
    Tensor of shape (batch, T)
    """
    logits, attentions = model(ids, mask, return_attention=True)
    score = logits.gather(1, _target_column(target, len(ids))).sum()
    last = attentions[-1]
    (grad,) = torch.autograd.grad(score, last)
    return (last * grad).clamp(min=0).mean(dim=1)[:, 0].detach()


@reference
def vit_grad_cam(model, x, target):
    """Grad-CAM on the patch tokens that enter the ViT's last block, as a (batch, 4, 4) grid.

    Channel weights are the gradients of the target logit averaged over the 16 patch tokens
    (``[CLS]`` excluded); the map is ``ReLU(sum_c weight_c * token_c)``, not normalised.
    """
    kept = {}
    handle = model.blocks[-1].tokens_in.register_forward_hook(lambda module, inputs, output: kept.update(t=output))
    try:
        logits = model(x)
    finally:
        handle.remove()
    score = logits.gather(1, _target_column(target, len(x))).sum()
    (grad,) = torch.autograd.grad(score, kept["t"])
    tokens, grad = kept["t"][:, 1:].detach(), grad[:, 1:]         # (batch, 16, dim)
    weights = grad.mean(dim=1, keepdim=True)                       # (batch, 1, dim)
    return torch.relu((weights * tokens).sum(dim=-1)).reshape(len(x), *vit.GRID)


@reference
def masking_effect(model, ids, where, target, *, mask=None):
    """How much the target logit drops when the tokens at ``where`` are replaced by ``[MASK]``.

    ``effect = logit_target(ids) - logit_target(ids with [MASK] wherever where is True)``, both runs
    with the same ``mask``; positive when the masked words supported the target.

    Parameters
    ----------
    model : a transformer called as ``model(ids, mask)``, returning logits (batch, classes)
    ids : Tensor of shape (batch, T), int64
    where : Tensor of shape (batch, T), bool
    target : int or Tensor of shape (batch,)
    mask : Tensor of shape (batch, T), bool, optional

    Returns
    -------
    ndarray of shape (batch,)
    """
    column = _target_column(target, len(ids))
    with torch.no_grad():
        before = model(ids, mask).gather(1, column)[:, 0]
        after = model(replace_tokens(ids, where, "[MASK]"), mask).gather(1, column)[:, 0]
    return (before - after).numpy()


# --------------------------------------------------------------------------------------------
# Test beds (the checks of exercises 5.1, 5.2 and drill D3 (a) use them)


def random_transformer(random_state: int = 0, *, max_length: int = TEXT_LENGTH, dim: int = 16, n_heads: int = 2,
                       n_layers: int = 2, n_classes: int = 3, focus: float = 4.0,
                       dtype: torch.dtype = torch.float32) -> transformer.TinyTransformer:
    """An untrained ``TinyTransformer`` whose query, key and value weights are multiplied by ``focus``,
    so that its attention is peaked rather than nearly uniform (in train mode, as built)."""
    def build():
        model = transformer.TinyTransformer(max_length=max_length, dim=dim, n_heads=n_heads, n_layers=n_layers,
                                            n_classes=n_classes)
        with torch.no_grad():
            for block in model.blocks:
                block.attention.qkv.weight.mul_(focus)
        return model.to(dtype)
    return seeded(build, random_state)


def random_texts(random_state: int, batch: int, length: int) -> torch.Tensor:
    """Ids of shape (batch, length): ``[CLS]``, then random words; the last three positions of the
    second text (of the only one when ``batch`` is 1) are ``[PAD]``."""
    generator = torch.Generator().manual_seed(check_int(random_state, "random_state", minimum=0))
    ids = torch.randint(text.MASK_ID + 1, len(text.VOCABULARY), (batch, length), generator=generator)
    ids[:, 0], ids[1 % batch, length - 3:] = text.CLS_ID, text.PAD_ID
    return ids


def random_positions(random_state: int, ids: torch.Tensor) -> torch.Tensor:
    """A bool tensor of ``ids``' shape, True at one word of each text (two in the first, none in the
    last when there are three or more texts); ``[CLS]`` and ``[PAD]`` are never chosen."""
    rng = np.random.default_rng(check_int(random_state, "random_state", minimum=0))
    words = (ids != text.PAD_ID) & (ids != text.CLS_ID)
    where = torch.zeros_like(words)
    for row in range(len(ids) - (len(ids) >= 3)):
        candidates = np.flatnonzero(words[row].numpy())
        chosen = rng.choice(candidates, size=min(2 if row == 0 else 1, len(candidates)), replace=False)
        where[row, torch.as_tensor(chosen, dtype=torch.long)] = True
    return where


def random_vit(random_state: int = 0, *, n_layers: int = 3, dtype: torch.dtype = torch.float32) -> nn.Module:
    """An untrained ``TinyViT`` with ``n_layers`` blocks (in train mode, as built)."""
    return seeded(lambda: vit.TinyViT(n_layers=n_layers).to(dtype), random_state)


def random_attentions(random_state: int, n_layers: int, batch: int, n_heads: int, length: int, *,
                      concentration: float = 0.3, n_masked: int = 2) -> np.ndarray:
    """Attentions of shape (n_layers, batch, n_heads, length, length) whose rows are peaked Dirichlet
    draws (they do not commute); the last ``n_masked`` keys of example 0 get 0, as padding does."""
    rng = np.random.default_rng(check_int(random_state, "random_state", minimum=0))
    layers = rng.dirichlet(np.full(length, concentration), size=(n_layers, batch, n_heads, length))
    layers[:, 0, :, :, length - n_masked:] = 0.0
    layers[:, 0] /= layers[:, 0].sum(-1, keepdims=True)
    return layers


# --------------------------------------------------------------------------------------------
# Section 4: scores against the cue


def token_ig(model, ids, mask, target, *, baseline=None, n_steps: int = IG_STEPS):
    """Integrated Gradients of the target logit on the token embeddings, summed per token.

    captum's ``LayerIntegratedGradients`` on ``model.token_embedding``; the baseline defaults to
    :func:`helpers.models.transformer.baseline_ids` (every word replaced by ``[MASK]``) and the
    padding ``mask`` is passed to the model explicitly, so that the baseline's ids do not rebuild it.

    Returns
    -------
    attributions : ndarray of shape (batch, T)
    delta : ndarray of shape (batch,)
        Completeness gap ``sum(attributions) - (f(x) - f(baseline))``.
    """
    baseline = transformer.baseline_ids(ids) if baseline is None else baseline
    forward_args = (mask,) if mask is not None else None
    ig = LayerIntegratedGradients(model, model.token_embedding)
    attributions, delta = ig.attribute(ids, baselines=baseline, additional_forward_args=forward_args,
                                       target=_target_column(target, len(ids))[:, 0], n_steps=n_steps,
                                       internal_batch_size=IG_BATCH, return_convergence_delta=True)
    return attributions.sum(dim=-1).detach().numpy(), delta.detach().numpy()


def top1_hits(scores, mask, cue) -> np.ndarray:
    """Whether each text's highest-scoring word is a cue (``[CLS]`` and padding are not candidates).

    Parameters
    ----------
    scores : array or Tensor of shape (n, T)
    mask, cue : Tensor of shape (n, T), bool

    Returns
    -------
    ndarray of shape (n,), bool
    """
    scores = torch.as_tensor(np.asarray(scores, dtype=float))
    if scores.shape != mask.shape:
        raise ValueError(f"scores must have shape {tuple(mask.shape)} (one per token), got {tuple(scores.shape)}")
    words = mask.clone()
    words[:, 0] = False
    top = scores.masked_fill(~words, -np.inf).argmax(dim=1)
    return cue.gather(1, top[:, None])[:, 0].numpy()


# --------------------------------------------------------------------------------------------
# Section 4.3: a constructed decoy


class DecoyTransformer(nn.Module):
    """One attention layer with two heads, written by hand; the decoy head's output is dropped.

    Every token is embedded as four features: (positive cue, negative cue, the word ``DECOY_WORD``, 1).
    Head 0, the *cue head*, scores each key by ``cue_focus`` times "is a cue word" and carries the
    value +1 for a positive cue, -1 for a negative one, 0 otherwise. Head 1, the *decoy head*, scores
    each key by ``decoy_focus`` times "is the decoy word". Every query has the same scores. The
    output reads the ``[CLS]`` row of the heads with the weights ``(scale, 0)``: the decoy head's
    output is multiplied by zero, so nothing it attends to can change the logits
    ``(-scale * cue, +scale * cue)``.

    ``forward(ids, mask=None, *, return_attention=False)`` follows ``TinyTransformer``.
    """

    def __init__(self, *, cue_focus: float = 3.0, decoy_focus: float = 6.0, scale: float = 4.0):
        super().__init__()
        features = torch.zeros(len(text.VOCABULARY), 4)
        features[:, 3] = 1.0
        for word in text.POSITIVE_CUES:
            features[text.VOCABULARY.index(word), 0] = 1.0
        for word in text.NEGATIVE_CUES:
            features[text.VOCABULARY.index(word), 1] = 1.0
        features[text.VOCABULARY.index(DECOY_WORD), 2] = 1.0
        self.token_embedding = nn.Embedding.from_pretrained(features, freeze=False)
        self.keys = nn.Parameter(torch.tensor([[cue_focus, cue_focus, 0.0, 0.0], [0.0, 0.0, decoy_focus, 0.0]]))
        self.values = nn.Parameter(torch.tensor([[1.0, -1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]]))
        self.head_weights = nn.Parameter(torch.tensor([scale, 0.0]))

    def forward(self, ids, mask=None, *, return_attention: bool = False):
        x = self.token_embedding(ids)                                   # (batch, T, 4)
        mask = ids != text.PAD_ID if mask is None else mask
        batch, length, _ = x.shape
        scores = torch.einsum("btf,hf->bht", x, self.keys)[:, :, None, :].expand(batch, 2, length, length)
        scores = scores.masked_fill(~mask[:, None, None, :], torch.finfo(scores.dtype).min)
        probs = torch.softmax(scores, dim=-1)                          # (batch, heads, T, T)
        values = torch.einsum("btf,hf->bht", x, self.values)            # (batch, heads, T)
        heads = (probs @ values[..., None])[..., 0]                     # (batch, heads, T)
        evidence = heads[:, :, 0] @ self.head_weights                   # the [CLS] row only
        logits = torch.stack([-evidence, evidence], dim=1)
        return (logits, [probs]) if return_attention else logits


class DecoySetup(NamedTuple):
    """Texts with the decoy word at one filler position each, and the :class:`DecoyTransformer`.

    Fields as :class:`TextSetup`, plus ``decoy`` : Tensor of shape (n, T), bool, True at the decoy.
    """

    model: nn.Module
    ids: torch.Tensor
    mask: torch.Tensor
    labels: torch.Tensor
    cue: torch.Tensor
    decoy: torch.Tensor
    tokens: list


def decoy_setup(random_state: int = 0, n_texts: int = 100) -> DecoySetup:
    """Cue texts in which exactly one filler word is replaced by ``DECOY_WORD`` (other copies of it
    become ``"film"``)."""
    base = text_setup(random_state, n_texts)
    ids = base.ids.clone()
    decoy_id = text.VOCABULARY.index(DECOY_WORD)
    ids[ids == decoy_id] = text.VOCABULARY.index("film")
    rng = np.random.default_rng(random_state)
    decoy = torch.zeros_like(base.mask)
    filler = base.mask & ~base.cue
    filler[:, 0] = False
    for row in range(len(ids)):
        decoy[row, int(rng.choice(np.flatnonzero(filler[row].numpy())))] = True
    ids[decoy] = decoy_id
    return DecoySetup(DecoyTransformer(), ids, base.mask, base.labels, base.cue, decoy,
                      text.decode(ids.numpy()))


# --------------------------------------------------------------------------------------------
# Drill D3: the tiny ViT


class ViTSetup(NamedTuple):
    """Shapes for the tiny ViT.

    model : TinyViT, the shipped weights, in eval mode
    x : Tensor of shape (n, 1, 32, 32), float32
    labels : ndarray of shape (n,)
    predicted : Tensor of shape (n,), int64, the model's classes (the targets explained)
    box : ndarray of shape (n, 4, 4), bool, the patches that the shape's bounding box touches
    """

    model: nn.Module
    x: torch.Tensor
    labels: np.ndarray
    predicted: torch.Tensor
    box: np.ndarray


def box_patches(masks) -> np.ndarray:
    """For each image, the 4x4 patches (8x8 pixels each) that the bounding box of its shape touches.

    Parameters
    ----------
    masks : array of shape (n, 32, 32), bool

    Returns
    -------
    ndarray of shape (n, 4, 4), bool
    """
    masks = np.asarray(masks, dtype=bool)
    if masks.ndim != 3 or masks.shape[1:] != (vit.IMAGE_SIZE, vit.IMAGE_SIZE):
        raise ValueError(f"masks must have shape (n, {vit.IMAGE_SIZE}, {vit.IMAGE_SIZE}), got {masks.shape}")
    size = vit.IMAGE_SIZE // vit.GRID[0]
    box = np.zeros((len(masks), *vit.GRID), dtype=bool)
    for k, mask in enumerate(masks):
        rows, cols = np.nonzero(mask)
        if rows.size:
            box[k, rows.min() // size:rows.max() // size + 1, cols.min() // size:cols.max() // size + 1] = True
    return box


def _vit_setup(seed: int, n_images: int) -> ViTSetup:
    shapes = images.make_shapes(check_int(n_images, "n_images", minimum=1), noise=vit.NOISE, random_state=seed)
    model = vit.load_vit()
    x = torch.as_tensor(shapes.images[:, None], dtype=torch.float32)
    with torch.no_grad():
        predicted = model(x).argmax(dim=1)
    return ViTSetup(model, x, shapes.labels, predicted, box_patches(shapes.masks))


def d3_setup(random_state: int = 0, n_images: int = DRILL_IMAGES) -> ViTSetup:
    """The images that drill D3 (a) and (b) draw (seed ``100 + random_state``)."""
    return _vit_setup(_DRILL_SEED + check_int(random_state, "random_state", minimum=0), n_images)


class D3Evaluation(NamedTuple):
    """Reference maps of drill D3 (c)'s images (seed ``200 + random_state``), all ndarrays.

    cam : (n, 4, 4), Grad-CAM of the predicted class on the last block's input (ReLU, not normalised)
    rollout : (n, 4, 4), the rollout's ``[CLS]`` row at the 16 patches, row by row
    box : (n, 4, 4), bool, the patches that the shape's bounding box touches
    labels, predicted : (n,)
    images : (n, 32, 32), the images
    """

    cam: np.ndarray
    rollout: np.ndarray
    box: np.ndarray
    labels: np.ndarray
    predicted: np.ndarray
    images: np.ndarray


def d3_evaluation(random_state: int = 0, n_images: int = EVAL_IMAGES) -> D3Evaluation:
    """Grad-CAM and rollout maps (the references) of ``n_images`` shapes that drill D3 (c) measures."""
    setup = _vit_setup(_EVAL_SEED + check_int(random_state, "random_state", minimum=0), n_images)
    cam = vit_grad_cam(setup.model, setup.x, setup.predicted).numpy()
    with torch.no_grad():
        _, attentions = setup.model(setup.x, return_attention=True)
    rollout = attention_rollout(attentions)[:, 0, 1:].reshape(n_images, *vit.GRID)
    return D3Evaluation(cam.astype(float), rollout, setup.box, setup.labels, setup.predicted.numpy(),
                        setup.x[:, 0].numpy().astype(float))


def _rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rho: Pearson's correlation of average ranks; NaN when a map is constant."""
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return np.nan
    ra, rb = (pd.Series(v).rank().to_numpy() for v in (a, b))
    return float(np.corrcoef(ra, rb)[0, 1])


def d3_summary(evaluation: D3Evaluation) -> pd.DataFrame:
    """Per predicted class and overall: mean Spearman correlation of the two maps, mean mass on the
    shape's box of each map, the chance level (mean share of box patches), and how many Grad-CAM maps
    are all zero. Means skip the undefined values of all-zero maps."""
    n = len(evaluation.cam)
    cam, rollout, box = (np.asarray(a, dtype=float).reshape(n, -1) for a in evaluation[:3])
    rho = np.array([_rank_correlation(c, r) for c, r in zip(cam, rollout)])

    def mass(maps):
        total = maps.sum(axis=1)
        return np.where(total > 0, (maps * box).sum(axis=1) / np.where(total > 0, total, 1.0), np.nan)

    table = pd.DataFrame({"class": [images.SHAPE_CLASSES[k] for k in evaluation.predicted], "spearman": rho,
                          "cam_mass": mass(cam), "rollout_mass": mass(rollout), "chance": box.mean(axis=1),
                          "zero_cams": cam.sum(axis=1) == 0})
    summary = table.groupby("class", sort=False).agg(
        images=("spearman", "size"), spearman=("spearman", "mean"), cam_mass=("cam_mass", "mean"),
        rollout_mass=("rollout_mass", "mean"), chance=("chance", "mean"), zero_cams=("zero_cams", "sum"))
    summary = summary.reindex([c for c in images.SHAPE_CLASSES if c in summary.index])
    summary.loc["all"] = [n, np.nanmean(rho), np.nanmean(table.cam_mass), np.nanmean(table.rollout_mass),
                          table.chance.mean(), int(table.zero_cams.sum())]
    return summary.astype({"images": int, "zero_cams": int})
