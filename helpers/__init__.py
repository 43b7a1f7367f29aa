"""Helpers for the Jupyter course on model interpretability.

``helpers.data`` (offline data sets with known ground truth), ``helpers.models`` (seeded models),
``helpers.plots`` (plots that return Axes) and ``helpers.checks`` (answer checks, one module per
chapter). Importing the package changes no global state; seeding is explicit with :func:`set_seed`.
"""

from __future__ import annotations

import random

import numpy as np

from ._validation import check_int

__version__ = "0.1.0"
__all__ = ["__version__", "set_seed"]


def set_seed(seed: int = 0) -> None:
    """Seed Python's ``random``, numpy's legacy global RNG and, if it is imported, torch.

    Some libraries (lime's defaults, captum's GradientShap) draw from these global generators; the
    course's own code takes an explicit ``random_state`` instead.
    """
    seed = check_int(seed, "seed", minimum=0)
    random.seed(seed)
    np.random.seed(seed)
    import sys
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)
