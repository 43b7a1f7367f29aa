"""Unit tests of helpers.data.text: the cue-word corpus."""

import numpy as np
import pytest

from helpers.data import text as corpus


def test_corpus_shapes_and_labels():
    texts = corpus.make_corpus(200, min_length=10, max_length=15, cues_per_text=2, random_state=1)
    assert len(texts) == len(texts.texts) == len(texts.tokens) == 200
    assert texts.labels.shape == (200,) and set(np.unique(texts.labels)) == {0, 1}
    lengths = np.array([len(t) for t in texts.tokens])
    assert lengths.min() >= 10 and lengths.max() <= 15
    assert all(text == " ".join(tokens) for text, tokens in zip(texts.texts, texts.tokens))
    assert set(word for tokens in texts.tokens for word in tokens) <= set(texts.vocabulary)


def test_corpus_cue_positions_hold_cues_of_the_label_and_filler_elsewhere():
    texts = corpus.make_corpus(300, cues_per_text=2, distractor_rate=0.5, random_state=2)
    for tokens, label, cues, distractors in zip(texts.tokens, texts.labels, texts.cue_positions,
                                                texts.distractor_positions):
        own, other = ((corpus.POSITIVE_CUES, corpus.NEGATIVE_CUES) if label == 1
                      else (corpus.NEGATIVE_CUES, corpus.POSITIVE_CUES))
        assert len(cues) == 2 and len(distractors) <= 1
        assert all(tokens[p] in own for p in cues)
        assert all(tokens[p] in other for p in distractors)
        rest = set(range(len(tokens))) - set(cues) - set(distractors)
        assert all(tokens[p] in corpus.FILLER for p in rest)
    share = np.mean([len(d) for d in texts.distractor_positions])
    assert 0.4 < share < 0.6  # distractor_rate=0.5 over 300 texts


def test_corpus_without_distractors_has_none_and_one_cue():
    texts = corpus.make_corpus(50, random_state=0)
    assert all(len(d) == 0 for d in texts.distractor_positions)
    assert all(len(c) == 1 for c in texts.cue_positions)
    assert all(len(words) == 1 for words in texts.cue_words)


def test_corpus_words_are_plain_str():
    texts = corpus.make_corpus(20, random_state=0)
    assert all(type(word) is str for tokens in texts.tokens for word in tokens)


def test_corpus_is_deterministic_for_a_seed_and_differs_across_seeds():
    a, b = corpus.make_corpus(100, random_state=4), corpus.make_corpus(100, random_state=4)
    assert a.texts == b.texts and np.array_equal(a.labels, b.labels)
    assert all(np.array_equal(p, q) for p, q in zip(a.cue_positions, b.cue_positions))
    assert a.texts != corpus.make_corpus(100, random_state=5).texts


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"n_texts": 0}, ValueError, "n_texts must be >= 1"),
    ({"n_texts": 10.0}, TypeError, "n_texts must be an integer"),
    ({"cues_per_text": 0}, ValueError, "cues_per_text must be >= 1"),
    ({"distractor_rate": 1.5, "cues_per_text": 2}, ValueError, r"distractor_rate must lie in \[0.0, 1.0\]"),
    ({"distractor_rate": 0.2}, ValueError, "needs cues_per_text >= 2"),
    ({"min_length": 1}, ValueError, "min_length must be >="),
    ({"min_length": 12, "max_length": 8}, ValueError, "max_length must be >= min_length"),
    ({"random_state": -1}, ValueError, "random_state must be >= 0"),
    ({"random_state": "zero"}, TypeError, "random_state must be an integer"),
])
def test_corpus_rejects_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        corpus.make_corpus(**kwargs)


def test_encode_puts_cls_first_pads_and_shifts_the_cue_positions():
    texts = corpus.make_corpus(100, min_length=5, max_length=9, cues_per_text=2, distractor_rate=0.5,
                               random_state=3)
    encoded = corpus.encode(texts)
    assert encoded.ids.shape == (100, 10) and encoded.ids.dtype == np.int64 and len(encoded) == 100
    assert np.all(encoded.ids[:, 0] == corpus.CLS_ID)
    np.testing.assert_array_equal(encoded.mask, encoded.ids != corpus.PAD_ID)
    np.testing.assert_array_equal(encoded.mask.sum(axis=1), [1 + len(t) for t in texts.tokens])
    np.testing.assert_array_equal(encoded.labels, texts.labels)
    for row, tokens, cues, distractors in zip(encoded.ids, texts.tokens, encoded.cue_positions,
                                              encoded.distractor_positions):
        assert corpus.decode(row)[1:] == list(tokens)
        assert all(corpus.VOCABULARY[row[p]] == tokens[p - 1] for p in [*cues, *distractors])
        assert all(corpus.VOCABULARY[row[p]] not in corpus.FILLER for p in [*cues, *distractors])
    words = np.array(corpus.VOCABULARY)[encoded.ids]
    np.testing.assert_array_equal(encoded.filler, np.isin(words, corpus.FILLER))


def test_vocabulary_starts_with_the_special_tokens_and_keeps_the_corpus_order():
    assert corpus.VOCABULARY[:3] == ("[PAD]", "[CLS]", "[MASK]") == corpus.SPECIAL_TOKENS
    assert (corpus.PAD_ID, corpus.CLS_ID, corpus.MASK_ID) == (0, 1, 2)
    assert corpus.VOCABULARY[3:] == corpus.make_corpus(1).vocabulary


def test_encode_pads_to_a_given_length_and_decode_drops_padding():
    encoded = corpus.encode(corpus.make_corpus(10, random_state=0), length=32)
    assert encoded.ids.shape == (10, 32)
    assert corpus.decode(encoded.ids)[0][0] == "[CLS]" and "[PAD]" not in corpus.decode(encoded.ids)[0]


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda: corpus.encode(["a text"]), TypeError, "corpus must be a Corpus"),
    (lambda: corpus.encode(corpus.make_corpus(5, max_length=12), length=12), ValueError, "length must be >= 13"),
    (lambda: corpus.decode(np.zeros((2, 2, 2), dtype=int)), ValueError, r"ids must be integers of shape"),
    (lambda: corpus.decode([0.5, 1.0]), ValueError, r"ids must be integers of shape"),
    (lambda: corpus.decode([0, 99]), ValueError, r"ids must lie in \[0, 51\)"),
])
def test_encode_and_decode_reject_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
