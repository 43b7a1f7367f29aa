"""A generated, sentiment-like text corpus whose cue words and their positions are known.

Every text is a sequence of neutral filler words with ``cues_per_text`` cue words of the text's
polarity put at random positions; the label is that polarity (1 positive, 0 negative). With
``distractor_rate > 0`` some texts also carry one cue of the *opposite* polarity, so a model must
weigh cues instead of spotting one; the label is still the majority polarity, so that
``cues_per_text >= 2`` is needed for distractors. Explanations of a model trained on it can be
scored against the truth: the cue positions.

Chapter 03 explains a bag-of-words classifier with LIME on it; chapter 05 trains a tiny
transformer on the same texts: :func:`encode` turns a corpus into token ids of the fixed
``VOCABULARY`` (special tokens ``[PAD]``, ``[CLS]``, ``[MASK]``, then ``Corpus.vocabulary``), with
``[CLS]`` first and the cue positions shifted by one to match.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helpers._validation import check_float, check_int

__all__ = [
    "CLS_ID", "Corpus", "EncodedCorpus", "FILLER", "MASK_ID", "NEGATIVE_CUES", "PAD_ID", "POSITIVE_CUES",
    "SPECIAL_TOKENS", "VOCABULARY", "decode", "encode", "make_corpus",
]

POSITIVE_CUES = ("excellent", "wonderful", "brilliant", "superb")
NEGATIVE_CUES = ("terrible", "awful", "boring", "dreadful")
FILLER = (
    "the", "a", "an", "this", "that", "it", "was", "is", "and", "but", "of", "to", "in", "on", "with",
    "for", "at", "by", "as", "about", "movie", "film", "plot", "actor", "actress", "scene", "story",
    "director", "music", "ending", "cast", "role", "script", "camera", "sound", "night", "city",
    "book", "show", "character",
)

SPECIAL_TOKENS = ("[PAD]", "[CLS]", "[MASK]")
# Token ids: the special tokens, then every word of ``Corpus.vocabulary`` in its order.
VOCABULARY = SPECIAL_TOKENS + FILLER + POSITIVE_CUES + NEGATIVE_CUES
PAD_ID, CLS_ID, MASK_ID = range(len(SPECIAL_TOKENS))
_FIRST_FILLER_ID = len(SPECIAL_TOKENS)
_TOKEN_ID = {word: index for index, word in enumerate(VOCABULARY)}


@dataclass(frozen=True)
class Corpus:
    """Texts, labels and the truth they were generated from.

    Attributes
    ----------
    texts : list of str of length n_texts
        Space-separated lower-case words.
    labels : ndarray of shape (n_texts,)
        1 for positive, 0 for negative (an int array).
    tokens : list of tuple of str
        ``texts[i].split()``.
    cue_positions : list of ndarray of int
        For every text, the token positions of its cue words of the label's polarity (sorted).
    distractor_positions : list of ndarray of int
        For every text, the positions of cue words of the opposite polarity (often empty).
    """

    texts: list
    labels: np.ndarray
    tokens: list
    cue_positions: list
    distractor_positions: list

    @property
    def vocabulary(self) -> tuple:
        """Every word that can occur: the filler, then the positive and the negative cues."""
        return FILLER + POSITIVE_CUES + NEGATIVE_CUES

    @property
    def cue_words(self) -> list:
        """For every text, the set of its cue words of the label's polarity."""
        return [{self.tokens[i][p] for p in pos} for i, pos in enumerate(self.cue_positions)]

    def __len__(self) -> int:
        return len(self.texts)


def make_corpus(n_texts: int = 1000, *, min_length: int = 12, max_length: int = 20,
                cues_per_text: int = 1, distractor_rate: float = 0.0,
                random_state: int = 0) -> Corpus:
    """Generate labelled texts with known cue words (half positive, half negative on average).

    Parameters
    ----------
    n_texts : int, default=1000
    min_length, max_length : int, default=12, 20
        Number of words of a text, drawn uniformly in [min_length, max_length].
    cues_per_text : int, default=1
        Cue words of the label's polarity in every text (the same word may repeat).
    distractor_rate : float, default=0.0
        Probability that a text also carries one cue of the opposite polarity; needs
        ``cues_per_text >= 2`` so that the label stays the majority polarity.
    random_state : int, default=0
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    Corpus
    """
    n = check_int(n_texts, "n_texts", minimum=1)
    cues = check_int(cues_per_text, "cues_per_text", minimum=1)
    rate = check_float(distractor_rate, "distractor_rate", low=0.0, high=1.0)
    if rate > 0 and cues < 2:
        raise ValueError("distractor_rate > 0 needs cues_per_text >= 2 (the label is the majority "
                         f"polarity), got cues_per_text={cues}")
    lo = check_int(min_length, "min_length", minimum=cues + 1 + (rate > 0))
    hi = check_int(max_length, "max_length", minimum=1)
    if hi < lo:
        raise ValueError(f"max_length must be >= min_length={lo}, got {hi}")
    rng = np.random.default_rng(check_int(random_state, "random_state", minimum=0))
    labels = rng.integers(0, 2, n)
    lengths = rng.integers(lo, hi + 1, n)
    has_distractor = rng.random(n) < rate
    texts, tokens, cue_positions, distractor_positions = [], [], [], []
    for label, length, distract in zip(labels, lengths, has_distractor):
        words = list(rng.choice(FILLER, size=length))
        slots = rng.choice(length, size=cues + int(distract), replace=False)
        own, other = (POSITIVE_CUES, NEGATIVE_CUES) if label == 1 else (NEGATIVE_CUES, POSITIVE_CUES)
        for slot in slots[:cues]:
            words[slot] = str(rng.choice(own))
        for slot in slots[cues:]:
            words[slot] = str(rng.choice(other))
        words = [str(w) for w in words]
        texts.append(" ".join(words))
        tokens.append(tuple(words))
        cue_positions.append(np.sort(slots[:cues]).astype(int))
        distractor_positions.append(np.sort(slots[cues:]).astype(int))
    return Corpus(texts=texts, labels=labels.astype(int), tokens=tokens, cue_positions=cue_positions,
                  distractor_positions=distractor_positions)


@dataclass(frozen=True)
class EncodedCorpus:
    """A corpus as token ids of ``VOCABULARY``, ``[CLS]`` first, padded with ``[PAD]`` to one length.

    Attributes
    ----------
    ids : ndarray of shape (n_texts, length), int64
        ``ids[:, 0] == CLS_ID``; word ``j`` of text ``i`` is at ``ids[i, j + 1]``; ``PAD_ID`` after the end.
    mask : ndarray of shape (n_texts, length), bool
        True at the real tokens (``[CLS]`` and the words), False at padding: pass it to the model
        rather than letting it rebuild the mask from the ids.
    labels : ndarray of shape (n_texts,)
    cue_positions, distractor_positions : list of ndarray of int
        The corpus's positions plus one: indices into the rows of ``ids``.
    filler : ndarray of shape (n_texts, length), bool
        True at the filler words (neither a cue, nor a special token).
    """

    ids: np.ndarray
    mask: np.ndarray
    labels: np.ndarray
    cue_positions: list
    distractor_positions: list

    @property
    def filler(self) -> np.ndarray:
        """Bool array of shape (n_texts, length): True at filler words."""
        return (self.ids >= _FIRST_FILLER_ID) & (self.ids < _FIRST_FILLER_ID + len(FILLER))

    def __len__(self) -> int:
        return len(self.ids)


def encode(corpus: Corpus, *, length: int | None = None) -> EncodedCorpus:
    """Token ids of a corpus: ``[CLS]``, the words, then ``[PAD]`` up to ``length``.

    Parameters
    ----------
    corpus : Corpus
        From :func:`make_corpus`.
    length : int, optional
        Columns of ``ids``; at least one more than the longest text. Default: exactly that.

    Returns
    -------
    EncodedCorpus
    """
    if not isinstance(corpus, Corpus):
        raise TypeError(f"corpus must be a Corpus (from make_corpus), got {type(corpus).__name__}")
    longest = 1 + max((len(tokens) for tokens in corpus.tokens), default=0)
    length = longest if length is None else check_int(length, "length", minimum=longest)
    ids = np.full((len(corpus), length), PAD_ID, dtype=np.int64)
    ids[:, 0] = CLS_ID
    for row, tokens in enumerate(corpus.tokens):
        ids[row, 1:1 + len(tokens)] = [_TOKEN_ID[word] for word in tokens]
    return EncodedCorpus(ids=ids, mask=ids != PAD_ID, labels=corpus.labels.copy(),
                         cue_positions=[p + 1 for p in corpus.cue_positions],
                         distractor_positions=[p + 1 for p in corpus.distractor_positions])


def decode(ids) -> list:
    """Words of token ids, padding dropped: a list of lists of str (one per row of a 2-D input).

    Parameters
    ----------
    ids : array-like of int, of shape (length,) or (n_texts, length)

    Returns
    -------
    list of str, or list of list of str
    """
    array = np.asarray(ids)
    if array.ndim not in (1, 2) or not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"ids must be integers of shape (length,) or (n_texts, length), got {array.dtype} "
                         f"of shape {array.shape}")
    if array.size and (array.min() < 0 or array.max() >= len(VOCABULARY)):
        raise ValueError(f"ids must lie in [0, {len(VOCABULARY)}), got values from {array.min()} to {array.max()}")
    if array.ndim == 1:
        return [VOCABULARY[i] for i in array if i != PAD_ID]
    return [decode(row) for row in array]
