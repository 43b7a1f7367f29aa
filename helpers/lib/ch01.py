"""Chapter 01's library: the taxonomy vocabulary, the chapter's data and forest (which the drill
reuses), and the reference implementation of grouped permutation importance that later cells may
call (``from helpers.lib import ch01 as lib``).

The vocabulary of the two axes is defined here once, with the one rule that normalises an answer
(:func:`normalise_place`): ``helpers.plots.taxonomy_map`` and the checks of exercise 1.1 both use it,
so that a placement accepted by one is accepted by the other.
"""

from __future__ import annotations

import copy
import functools
from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance as _sk_permutation_importance
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split

from helpers._context import reference
from helpers.data import TabularData, make_importance_data, make_linear_data
from helpers.models import train_forest, train_linear

__all__ = ["ACCESS", "D2_N_REPEATS", "MERGED_COLUMN", "REFIT_RANDOM_STATE", "SCOPES", "TAXONOMY_METHODS",
           "TEST_SIZE", "TWINS", "WORKED_EXAMPLES", "ImportanceSetup", "importance_bed", "importance_setup",
           "joint_permutation_importance", "normalise_place"]

# --------------------------------------------------------------------------------------------
# The two axes

SCOPES = ("global", "local")
ACCESS = ("agnostic", "specific")

TAXONOMY_METHODS = (
    "permutation importance", "impurity importance (MDI)", "partial dependence plot", "ICE curves",
    "LIME", "KernelSHAP", "TreeSHAP", "saliency map", "Grad-CAM", "Integrated Gradients",
    "global surrogate tree", "TCAV", "counterfactual explanation", "linear model coefficients",
)
# The two placements section 1 works through in its text.
WORKED_EXAMPLES = {"permutation importance": ("global", "agnostic"), "Grad-CAM": ("local", "specific")}

_PREFIXES = ("model-", "model ", "model_")


def _word(part: str) -> str:
    word = part.strip().lower()
    for prefix in _PREFIXES:
        word = word.removeprefix(prefix)
    return word.strip()


def normalise_place(place) -> tuple[str, str]:
    """A placement in canonical form: ``(scope, access)`` from :data:`SCOPES` x :data:`ACCESS`.

    Case, surrounding spaces and a ``"model-"``, ``"model "`` or ``"model_"`` prefix are ignored, so
    ``("Local", "Model agnostic")`` and ``["GLOBAL", "model-specific"]`` are accepted.

    Parameters
    ----------
    place : tuple or list of two str

    Returns
    -------
    tuple of (str, str)

    Raises
    ------
    ValueError
        If ``place`` is not a pair of strings, is given in the order (access, scope), or uses a word
        outside the vocabulary; the message says what was expected.
    """
    if not isinstance(place, (tuple, list)) or len(place) != 2:
        raise ValueError(f"a placement is a pair (scope, access), got {place!r}")
    if not all(type(part) is str for part in place):  # exact str: no object may fake equality
        raise ValueError(f"a placement is a pair of two strings, got {place!r}")
    scope, access = (_word(part) for part in place)
    if scope in ACCESS and access in SCOPES:
        raise ValueError(f"{place!r} is in the order (access, scope): give the scope first, (scope, access)")
    if scope not in SCOPES or access not in ACCESS:
        raise ValueError(f"{place!r} is not a (scope, access) pair: scope must be one of {SCOPES} and "
                         f"access one of {ACCESS}")
    return scope, access


# --------------------------------------------------------------------------------------------
# The chapter's data and forest (sections 2-5 and drill D2)

TEST_SIZE = 0.3            # the held-out fold: 30% of the rows
TWINS = ("twin_a", "twin_b")
MERGED_COLUMN = "twin_mean"  # drill D2 (c): the twins' mean, the last column of the merged tables
REFIT_RANDOM_STATE = 0       # drill D2 (c): models.train_forest(..., random_state=0)
D2_N_REPEATS = 10            # drill D2: permutations per importance


class ImportanceSetup(NamedTuple):
    """The chapter's data, split, and forest.

    Attributes
    ----------
    table : TabularData
        2,000 rows of :func:`helpers.data.make_importance_data` with their true effects.
    X_train, X_test : DataFrame of shape (1400, 9) and (600, 9)
    y_train, y_test : ndarray of shape (1400,) and (600,)
    forest : RandomForestRegressor
        ``helpers.models.train_forest(X_train, y_train, random_state=random_state)``.
    twins : list of int
        The positions of ``twin_a`` and ``twin_b`` among the columns.
    """

    table: TabularData
    X_train: pd.DataFrame
    X_test: pd.DataFrame
    y_train: np.ndarray
    y_test: np.ndarray
    forest: object
    twins: list


@functools.lru_cache(maxsize=2)
def _built(random_state: int) -> ImportanceSetup:
    table = make_importance_data(n_samples=2000, random_state=random_state)
    X_train, X_test, y_train, y_test = train_test_split(table.X, table.y, test_size=TEST_SIZE,
                                                        random_state=random_state)
    forest = train_forest(X_train, y_train, random_state=random_state)
    return ImportanceSetup(table, X_train, X_test, y_train, y_test, forest, table.column_indices(TWINS))


def importance_setup(random_state: int = 0) -> ImportanceSetup:
    """The chapter's data set, its 70/30 split and the forest fitted on the training rows.

    Every call returns fresh copies (a notebook may change its own without changing what the
    drill's checks rebuild from the same seed); the forest is fitted once per seed.

    Parameters
    ----------
    random_state : int, default=0
        Seeds the data, the split and the forest.

    Returns
    -------
    ImportanceSetup
    """
    return copy.deepcopy(_built(int(random_state)))


# --------------------------------------------------------------------------------------------
# Grouped permutation importance with scikit-learn as the engine


class _JointIndexModel:
    """Wraps a model so that permuting one index column permutes the columns ``group`` jointly.

    The wrapper's table has two columns of row numbers: the row the group's columns are read from,
    and the row the other columns are read from. ``sklearn.inspection.permutation_importance`` on
    ``(wrapper, table)`` then gives, for column 0, the grouped permutation importance of ``group``:
    the library itself computes it.
    """

    def __init__(self, model, X, group):
        self.model, self.X, self.group = model, np.asarray(X, dtype=float), list(group)
        self.rest = [j for j in range(self.X.shape[1]) if j not in self.group]

    def table(self):
        rows = np.arange(len(self.X), dtype=float)
        return np.column_stack([rows, rows])

    def _rebuild(self, table):
        group_rows, rest_rows = table[:, 0].astype(int), table[:, 1].astype(int)
        X = np.empty_like(self.X)
        X[:, self.group] = self.X[group_rows][:, self.group]
        X[:, self.rest] = self.X[rest_rows][:, self.rest]
        return X

    def fit(self, table, y):  # scikit-learn's scorer checks that an estimator can fit
        return self

    def predict(self, table):
        X = self._rebuild(np.asarray(table))
        names = getattr(self.model, "feature_names_in_", None)  # a model fitted on a DataFrame
        return self.model.predict(X if names is None else pd.DataFrame(X, columns=names))

    def score(self, table, y):
        return r2_score(y, self.predict(table))


@reference
def joint_permutation_importance(model, X, y, group, *, n_repeats=10, random_state=0):
    """Permutation importance of the columns ``group`` shuffled together, computed by scikit-learn.

    Parameters
    ----------
    model : fitted regressor
    X : array-like or DataFrame of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    group : list of int
        Positions of the columns permuted with one row permutation.
    n_repeats : int, default=10
    random_state : int, default=0

    Returns
    -------
    importances : ndarray of shape (n_repeats,)
        The drop in R^2 for each repeat. For demonstrations: exercise 1.3 asks you to write your own.
    """
    wrapper = _JointIndexModel(model, X, group)
    result = _sk_permutation_importance(wrapper, wrapper.table(), np.asarray(y, dtype=float),
                                        n_repeats=n_repeats, random_state=random_state)
    return result.importances[0]


# --------------------------------------------------------------------------------------------
# Test beds of exercises 1.2 and 1.3 (the checks build them from a seed)


def importance_bed(seed, n_samples, n_features, *, correlated=(), constant=None, null=None, held_out=False):
    """A linear data set whose effects are NOT in decreasing order, and a model to explain.

    Parameters
    ----------
    seed : int
    n_samples, n_features : int
    correlated : tuple of int
        Columns that share a hidden factor (see :func:`helpers.data.make_linear_data`).
    constant, null : int or None
        A column set to 1.0 everywhere, and a column with no effect.
    held_out : bool
        False: a least-squares fit and its training rows; True: a small forest fitted on those rows
        and other rows of the same distribution.

    Returns
    -------
    model, X, y
    """
    coef = np.random.default_rng(seed + 10_000).permutation(np.linspace(2.0, 0.0, n_features))
    if n_features > 1 and np.argmax(coef) == 0:  # never the most important feature first
        coef = np.roll(coef, 1)
    coef[[c for c in (constant, null) if c is not None]] = 0.0
    tables = [make_linear_data(n_samples, n_features, coef=coef, correlated=correlated, noise=0.5,
                               random_state=data_seed)[:2] for data_seed in (seed, seed + 100)]
    for X, _ in tables:
        X[:, [] if constant is None else [constant]] = 1.0
    if not held_out:
        return train_linear(*tables[0]), *tables[0]
    return train_forest(*tables[0], n_estimators=10, min_samples_leaf=3, random_state=seed), *tables[1]
