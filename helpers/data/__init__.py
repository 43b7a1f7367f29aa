"""Offline, seeded data sets with known ground truth, by modality.

``tabular`` (generated tables and their true effects), ``text`` (a cue-word corpus) and
``images`` (generated shapes with an optional watermark). Everything is generated in milliseconds
from ``numpy.random.default_rng(random_state)``; nothing is downloaded.
"""

from __future__ import annotations

from .images import SHAPE_CLASSES, WATERMARK_PATTERNS, ShapeImages, make_shapes, to_rgb
from .tabular import (
                      EFFECTS_COLUMNS,
                      TabularData,
                      make_effects_data,
                      make_importance_data,
                      make_linear_data,
                      true_shap_values,
)
from .text import FILLER, NEGATIVE_CUES, POSITIVE_CUES, Corpus, make_corpus

__all__ = [
    "Corpus", "EFFECTS_COLUMNS", "FILLER", "NEGATIVE_CUES", "POSITIVE_CUES", "SHAPE_CLASSES", "ShapeImages",
    "TabularData", "WATERMARK_PATTERNS", "make_corpus", "make_effects_data", "make_importance_data",
    "make_linear_data", "make_shapes", "to_rgb", "true_shap_values",
]
