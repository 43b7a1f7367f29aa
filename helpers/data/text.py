"""A generated, sentiment-like text corpus whose cue words and their positions are known.

Every text is a sequence of neutral filler words with ``cues_per_text`` cue words of the text's
polarity put at random positions; the label is that polarity (1 positive, 0 negative). With
``distractor_rate > 0`` some texts also carry one cue of the *opposite* polarity, so a model must
weigh cues instead of spotting one; the label is still the majority polarity, so that
``cues_per_text >= 2`` is needed for distractors. Explanations of a model trained on it can be
scored against the truth: the cue positions.

Chapter 03 explains a bag-of-words classifier with LIME on it; chapter 05 trains a tiny
transformer on the same texts (``Corpus.vocabulary`` fixes the token ids).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helpers._validation import check_float, check_int

__all__ = ["Corpus", "FILLER", "NEGATIVE_CUES", "POSITIVE_CUES", "make_corpus"]

POSITIVE_CUES = ("excellent", "wonderful", "brilliant", "superb")
NEGATIVE_CUES = ("terrible", "awful", "boring", "dreadful")
FILLER = (
    "the", "a", "an", "this", "that", "it", "was", "is", "and", "but", "of", "to", "in", "on", "with",
    "for", "at", "by", "as", "about", "movie", "film", "plot", "actor", "actress", "scene", "story",
    "director", "music", "ending", "cast", "role", "script", "camera", "sound", "night", "city",
    "book", "show", "character",
)


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
