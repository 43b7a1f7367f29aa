"""Offline, seeded data sets with known ground truth, by modality.

``tabular`` (generated tables and their true effects), ``text`` (a cue-word corpus) and
``images`` (generated shapes with an optional watermark). Everything is generated in milliseconds
from ``numpy.random.default_rng(random_state)``; nothing is downloaded. ``lesions`` (imported
explicitly: ``from helpers.data import lesions``) loads the lesion images of chapter 09's mock task,
which ship as a file.
"""

from __future__ import annotations

from .images import SHAPE_CLASSES, SPLIT_KINDS, WATERMARK_PATTERNS, ShapeImages, make_shape_splits, make_shapes, to_rgb
from .tabular import (
                     EFFECTS_COLUMNS,
                     LOAN_CATEGORIES,
                     LOAN_COLUMNS,
                     LoanData,
                     TabularData,
                     loan_income,
                     loan_logit,
                     make_effects_data,
                     make_importance_data,
                     make_linear_data,
                     make_loan_data,
                     true_shap_values,
)
from .text import (
                     CLS_ID,
                     FILLER,
                     MASK_ID,
                     NEGATIVE_CUES,
                     PAD_ID,
                     POSITIVE_CUES,
                     SPECIAL_TOKENS,
                     VOCABULARY,
                     Corpus,
                     EncodedCorpus,
                     decode,
                     encode,
                     make_corpus,
)

__all__ = [
    "CLS_ID", "Corpus", "EFFECTS_COLUMNS", "EncodedCorpus", "FILLER", "LOAN_CATEGORIES", "LOAN_COLUMNS", "LoanData",
    "MASK_ID", "NEGATIVE_CUES",
    "PAD_ID", "POSITIVE_CUES", "SHAPE_CLASSES", "SPECIAL_TOKENS", "SPLIT_KINDS", "ShapeImages",
    "TabularData", "VOCABULARY", "WATERMARK_PATTERNS", "decode", "encode", "make_corpus",
    "loan_income", "loan_logit", "make_effects_data", "make_importance_data", "make_linear_data", "make_loan_data", "make_shape_splits",
    "make_shapes", "to_rgb", "true_shap_values",
]
