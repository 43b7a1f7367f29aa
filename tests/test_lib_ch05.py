"""Unit tests of chapter 05's library (helpers.lib.ch05) and its plots (helpers.plots.text and .images).

The references are tested against hand computations, autograd done another way, torchcam and the
properties the chapter states; the constructed decoy against its construction (its output ignores
the decoy head exactly).
"""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from torchcam.methods import GradCAM

from helpers import plots
from helpers.data import text
from helpers.lib import ch05 as lib
from helpers.models import transformer, vit


@pytest.fixture(scope="module")
def texts():
    return lib.text_setup(3, n_texts=40)


@pytest.fixture(scope="module")
def decoy():
    return lib.decoy_setup(1, n_texts=30)


# --------------------------------------------------------------------------------------------
# attention_rollout


def test_rollout_of_the_hand_example():
    assert np.allclose(lib.attention_rollout(lib.HAND_LAYERS),
                       [[[0.25, 0.125, 0.625], [0.375, 0.375, 0.25], [0.25, 0.1875, 0.5625]]])
    assert np.allclose(lib.attention_rollout(lib.HAND_LAYERS, add_residual=False),
                       [[[0, 0, 1], [0.5, 0, 0.5], [0.5, 0.25, 0.25]]])


def test_rollout_properties_on_random_attentions():
    rng = np.random.default_rng(0)
    layers = list(rng.dirichlet(np.ones(6) * 0.3, size=(3, 2, 4, 6)))
    rollout = lib.attention_rollout(layers)
    assert rollout.shape == (2, 6, 6) and np.allclose(rollout.sum(-1), 1)
    assert np.all(np.diagonal(rollout, axis1=1, axis2=2) >= 0.5 ** 3 - 1e-12)
    means = [layer.mean(axis=1) for layer in layers]
    assert np.allclose(lib.attention_rollout(layers, add_residual=False), means[2] @ means[1] @ means[0])
    one = lib.attention_rollout(layers[:1])
    assert np.allclose(one, 0.5 * means[0] + 0.5 * np.eye(6))
    as_tensors = lib.attention_rollout(tuple(torch.as_tensor(layer, dtype=torch.float32) for layer in layers))
    assert np.allclose(as_tensors, rollout, atol=1e-6)


@pytest.mark.parametrize("bad", [[], [np.ones((3, 3))], [np.ones((1, 2, 3, 4))]])
def test_rollout_rejects_bad_input(bad):
    with pytest.raises(ValueError, match="at least one layer|shape"):
        lib.attention_rollout(bad)


# --------------------------------------------------------------------------------------------
# grad_weighted_attention and the texts


def test_text_setup_matches_the_corpus(texts):
    assert texts.ids.shape == texts.mask.shape == texts.cue.shape == (40, lib.TEXT_LENGTH)
    assert texts.cue.sum(dim=1).eq(1).all() and (texts.ids[:, 0] == text.CLS_ID).all()
    cue_words = [texts.tokens[i][int(torch.nonzero(texts.cue[i])[0, 0])] for i in range(40)]
    expected = [text.POSITIVE_CUES if y == 1 else text.NEGATIVE_CUES for y in texts.labels]
    assert all(word in cues for word, cues in zip(cue_words, expected))


def test_grad_weighted_attention_against_autograd_by_hand(texts):
    ids, mask, labels, model = texts.ids[:6], texts.mask[:6], texts.labels[:6], texts.model
    relevance = lib.grad_weighted_attention(model, ids, labels, mask=mask)
    for i in range(6):  # one text at a time, a hook on the probabilities
        kept = []
        handle = model.blocks[-1].attention.probs.register_forward_hook(lambda m, inp, out, k=kept: k.append(out))
        logit = model(ids[i:i + 1], mask[i:i + 1])[0, labels[i]]
        handle.remove()
        (grad,) = torch.autograd.grad(logit, kept[0])
        by_hand = torch.relu(kept[0] * grad)[0, :, 0].mean(dim=0)
        assert torch.allclose(relevance[i], by_hand, atol=1e-7)
    assert all(p.grad is None for p in model.parameters())
    same = lib.grad_weighted_attention(model, ids, int(labels[0]), mask=mask)
    assert torch.allclose(same, lib.grad_weighted_attention(model, ids, torch.full((6,), int(labels[0])), mask=mask))


def test_top1_hits_and_replace_tokens(texts):
    scores = texts.cue.float() + 0.0
    assert lib.top1_hits(scores, texts.mask, texts.cue).all()
    scores[:, 0] = 10.0  # [CLS] is never a candidate
    assert lib.top1_hits(scores, texts.mask, texts.cue).all()
    replaced = lib.replace_tokens(texts.ids, texts.cue, "[MASK]")
    assert (replaced[texts.cue] == text.MASK_ID).all() and torch.equal(replaced[~texts.cue], texts.ids[~texts.cue])
    with pytest.raises(ValueError, match="vocabulary"):
        lib.replace_tokens(texts.ids, texts.cue, "zebra")
    with pytest.raises(ValueError, match="shape"):
        lib.top1_hits(np.zeros((2, 3)), texts.mask, texts.cue)


def test_token_ig_is_complete_and_ignores_padding(texts):
    attributions, delta = lib.token_ig(texts.model, texts.ids[:8], texts.mask[:8], texts.labels[:8], n_steps=100)
    assert attributions.shape == (8, lib.TEXT_LENGTH) and np.abs(delta).max() < 0.5
    assert np.all(attributions[~texts.mask[:8].numpy()] == 0)


def test_masking_effect_by_hand_and_its_test_bed(texts):
    ids, mask, labels, cue, model = texts.ids[:8], texts.mask[:8], texts.labels[:8], texts.cue[:8], texts.model
    effect = lib.masking_effect(model, ids, cue, labels, mask=mask)
    with torch.no_grad():
        for i in range(8):
            masked = ids[i:i + 1].clone()
            masked[cue[i:i + 1]] = text.MASK_ID
            by_hand = model(ids[i:i + 1], mask[i:i + 1])[0, labels[i]] - model(masked, mask[i:i + 1])[0, labels[i]]
            assert abs(effect[i] - by_hand.item()) < 1e-5
    assert np.all(effect[labels.numpy() == 0] > 5)  # masking a negative cue: the negative logit drops
    nothing = lib.masking_effect(model, ids, torch.zeros_like(cue), 1)
    assert np.all(nothing == 0) and torch.equal(ids, texts.ids[:8])
    where = lib.random_positions(2, lib.random_texts(2, 4, 9))
    assert where.sum(dim=1).tolist() == [2, 1, 1, 0] and not where[:, 0].any() and not where[1, -3:].any()
    assert torch.equal(where, lib.random_positions(2, lib.random_texts(2, 4, 9)))


# --------------------------------------------------------------------------------------------
# The constructed decoy


def test_the_decoy_head_cannot_change_the_output(decoy):
    logits, (attention,) = decoy.model(decoy.ids, decoy.mask, return_attention=True)
    assert torch.allclose(attention.sum(-1), torch.ones(attention.shape[:-1]))
    assert (logits.argmax(dim=1) == decoy.labels).all() and decoy.decoy.sum(dim=1).eq(1).all()
    assert not (decoy.decoy & decoy.cue).any()
    replaced = decoy.model(lib.replace_tokens(decoy.ids, decoy.decoy, "the"), decoy.mask)
    assert torch.equal(replaced, logits)
    assert ((attention[:, 1, 0] * decoy.decoy).sum(dim=1) > 0.9).all()
    relevance = lib.grad_weighted_attention(decoy.model, decoy.ids, decoy.labels, mask=decoy.mask)
    assert torch.all(relevance[decoy.decoy] == 0) and lib.top1_hits(relevance, decoy.mask, decoy.cue).all()
    ig, delta = lib.token_ig(decoy.model, decoy.ids, decoy.mask, decoy.labels)
    assert np.abs(delta).max() < 1e-4 and np.all(ig[decoy.decoy.numpy()] == 0)
    assert np.all(lib.masking_effect(decoy.model, decoy.ids, decoy.decoy, decoy.labels, mask=decoy.mask) == 0)
    assert np.all(lib.masking_effect(decoy.model, decoy.ids, decoy.cue, decoy.labels, mask=decoy.mask) > 1)


# --------------------------------------------------------------------------------------------
# Drill D3


def test_box_patches():
    masks = np.zeros((2, 32, 32), dtype=bool)
    masks[0, 3:10, 12:20] = True   # rows 0-1, columns 1-2
    masks[1, 30, 31] = True        # the last patch only
    box = lib.box_patches(masks)
    expected = np.zeros((2, 4, 4), dtype=bool)
    expected[0, 0:2, 1:3] = True
    expected[1, 3, 3] = True
    assert np.array_equal(box, expected)
    with pytest.raises(ValueError, match="shape"):
        lib.box_patches(np.zeros((2, 16, 16)))


def test_vit_grad_cam_equals_torchcam_and_leaves_the_model_alone():
    setup = lib.d3_setup(2, n_images=6)
    model = setup.model.train()
    cam = lib.vit_grad_cam(model, setup.x, setup.predicted)
    assert model.training and all(p.grad is None for p in model.parameters())
    assert not any(m._forward_hooks for m in model.modules())
    model.eval()
    with GradCAM(model, target_layer=model.blocks[-1].tokens_in, reshape_transform=vit.tokens_to_grid) as extractor:
        expected = extractor(setup.predicted.tolist(), model(setup.x), normalized=False)[0]
    model.zero_grad(set_to_none=True)
    assert cam.shape == (6, 4, 4) and torch.allclose(cam, expected, atol=1e-6)


def test_d3_evaluation_is_reproducible_and_summarised():
    first, again = lib.d3_evaluation(1, n_images=24), lib.d3_evaluation(1, n_images=24)
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert first.cam.shape == first.rollout.shape == first.box.shape == (24, 4, 4) and first.images.shape == (24, 32, 32)
    assert np.all(first.cam >= 0) and np.allclose(first.rollout.sum(axis=(1, 2)) <= 1, True)
    summary = lib.d3_summary(first)
    assert list(summary.columns) == ["images", "spearman", "cam_mass", "rollout_mass", "chance", "zero_cams"]
    assert summary.loc["all", "images"] == 24 and summary.drop("all").images.sum() == 24
    assert np.isclose(summary.loc["all", "chance"], first.box.reshape(24, -1).mean(axis=1).mean())


def test_drill_and_evaluation_images_differ():
    drill, evaluation = lib.d3_setup(0, n_images=4), lib.d3_evaluation(0, n_images=4)
    assert not np.allclose(drill.x[:, 0].numpy(), evaluation.images)


# --------------------------------------------------------------------------------------------
# Plots


def test_plots_return_axes_with_token_labels(texts):
    words = texts.tokens[0]
    length = len(words)
    ax = plots.attention_heatmap(np.eye(length), words, title="t")
    assert [t.get_text() for t in ax.get_xticklabels()] == words
    axes = plots.attention_grid([np.ones((2, length, length)) / length] * 2, words)
    assert axes.shape == (2, 2)
    ax = plots.token_relevance({"a": np.arange(length), "b": -np.arange(length)}, words, highlight=[1])
    assert ax.get_xticklabels()[1].get_fontweight() == "bold"
    ax = plots.patch_overlay(np.zeros((1, 32, 32)), None, box=np.eye(4, dtype=bool))
    assert len(ax.patches) == 1  # one outline around the box's patches, not a lattice
    plt.close("all")


def test_rollout_heatmap_can_leave_the_diagonal_out_of_the_scale():
    matrix = np.array([[0.6, 0.3, 0.1], [0.2, 0.7, 0.1], [0.1, 0.1, 0.8]])
    ax = plots.attention_heatmap(matrix, list("abc"), hide_diagonal=True, label="rollout")
    image = ax.images[0]
    assert image.get_clim() == (0.0, 0.3) and np.ma.getmaskarray(image.get_array()).diagonal().all()
    assert ax.figure.axes[-1].get_ylabel() == "rollout"
    assert plots.attention_heatmap(matrix, list("abc")).images[0].get_clim() == (0.0, 0.8)
    plt.close("all")


def test_patch_overlay_draws_the_map_opaque_with_one_box_outline_inside_the_image():
    image = np.zeros((32, 32))
    image[8:24, 8:24] = 1.0
    box = np.zeros((4, 4), dtype=bool)
    box[2:4, 2:4] = True  # touches the bottom-right border
    grid = np.arange(16.0).reshape(4, 4)
    ax = plots.patch_overlay(image, grid, box=box, colorbar=True)
    shown = ax.images[0]
    assert shown.get_alpha() is None and np.allclose(shown.get_array(), grid / 15)  # colours = the colour bar's
    assert len(ax.collections) >= 1 and len(ax.patches) == 1                        # the shape's outline, one box
    (x0, y0), (x1, y1) = ax.patches[0].get_bbox().get_points()
    assert 16 < x0 < 17 and 16 < y0 < 17 and 31 < x1 < 32 and 31 < y1 < 32          # inside the image's border
    plt.close("all")


@pytest.mark.parametrize(("call", "pattern"), [
    (lambda: plots.attention_heatmap(np.ones((3, 4)), list("abc")), "square"),
    (lambda: plots.attention_heatmap(np.ones((3, 3)), list("ab")), "3 entries"),
    (lambda: plots.token_relevance([1, 2], list("ab")), "dict"),
    (lambda: plots.patch_overlay(np.zeros((32, 32)), np.ones((5, 5))), "divide"),
    (lambda: plots.patch_overlay(np.zeros((32, 32)), np.ones((4, 4)), box=np.ones((2, 2), bool)), "grid's shape"),
])
def test_plots_reject_bad_input(call, pattern):
    with pytest.raises((ValueError, TypeError), match=pattern):
        call()
    plt.close("all")


def test_baseline_ids_keep_cls_and_padding(texts):
    base = transformer.baseline_ids(texts.ids)
    assert (base[:, 0] == text.CLS_ID).all() and (base[~texts.mask] == text.PAD_ID).all()


def test_test_beds_are_seeded_and_shaped_as_documented():
    first, again = lib.random_transformer(3, n_layers=1), lib.random_transformer(3, n_layers=1)
    assert first.training and all(torch.equal(a, b) for a, b in zip(first.state_dict().values(),
                                                                      again.state_dict().values()))
    assert not torch.equal(first.blocks[0].attention.qkv.weight, lib.random_transformer(4, n_layers=1)
                           .blocks[0].attention.qkv.weight)
    ids = lib.random_texts(1, 3, 7)
    assert ids.shape == (3, 7) and (ids[:, 0] == text.CLS_ID).all() and (ids[1, 4:] == text.PAD_ID).all()
    assert torch.equal(ids, lib.random_texts(1, 3, 7)) and (lib.random_texts(1, 1, 7)[0, 4:] == text.PAD_ID).all()
    assert lib.random_vit(0, n_layers=2, dtype=torch.float64).blocks[0].tokens_in is not None
    layers = lib.random_attentions(0, 2, 3, 2, 6)
    assert layers.shape == (2, 3, 2, 6, 6) and np.allclose(layers.sum(-1), 1.0)
    assert (layers[:, 0, :, :, -2:] == 0).all() and (layers[:, 1:, :, :, -2:] > 0).all()
