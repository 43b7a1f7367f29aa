"""Chapter 03's library: LIME, local surrogates (``from helpers.lib import ch03 as lib``).

The breast-cancer set-up that section 4.1 and drill D4 explain (:func:`cancer_setup`, rebuilt from
its seed by the drill's checks), the drill's constants, and the reference implementations that the
cells after an exercise use: one lime explanation with its seed honoured (:func:`lime_weights`),
the runs of drill D4 (a) (:func:`lime_runs`), top-k masks (:func:`topk_mask`), the stability
numbers of drill D4 (b) (:func:`stability`) and a held-out fidelity (:func:`holdout_r2`). Each
reference is guarded: called from inside a student's function while a check runs, it makes the
check fail.
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

import numpy as np
from lime.lime_tabular import LimeTabularExplainer
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from helpers._context import reference
from helpers._validation import check_int, check_matrix
from helpers.models import train_forest

__all__ = ["D4_FEW", "D4_K", "D4_MANY", "D4_SEEDS", "D4_SIZES", "CancerSetup", "cancer_setup",
           "holdout_r2", "lime_runs", "lime_weights", "stability", "topk_mask"]

# Drill D4: ten seeds, two sample sizes (few, many), agreement of the top five features.
D4_SEEDS = tuple(range(10))
D4_FEW, D4_MANY = 100, 2000
D4_SIZES = (D4_FEW, D4_MANY)
D4_K = 5


class CancerSetup(NamedTuple):
    """The table that section 4.1 and drill D4 explain.

    model : RandomForestClassifier, fitted on ``X_train``
    X_train, X_test : ndarray of shape (n_train, 30), (n_test, 30)
    y_train, y_test : ndarray of shape (n_train,), (n_test,)
    x : ndarray of shape (30,), the test row ``X_test[row]`` whose P(benign) is closest to 0.7
    row : int
    feature_names : list of str
    class_names : list of str
    """

    model: object
    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    x: np.ndarray
    row: int
    feature_names: list
    class_names: list


def cancer_setup(random_state: int = 0) -> CancerSetup:
    """scikit-learn's bundled breast-cancer data split 70/30, a forest of 50 trees, one test row.

    Everything is rebuilt from ``random_state`` (the split and the forest), in about 0.2 s.
    """
    random_state = check_int(random_state, "random_state", minimum=0)
    cancer = load_breast_cancer()
    X_train, X_test, y_train, y_test = train_test_split(cancer.data, cancer.target, test_size=0.3,
                                                        random_state=random_state)
    model = train_forest(X_train, y_train, task="classification", n_estimators=50, min_samples_leaf=3,
                         random_state=random_state)
    row = int(np.argmin(np.abs(model.predict_proba(X_test)[:, 1] - 0.7)))
    return CancerSetup(model, X_train, X_test, y_train, y_test, X_test[row].copy(), row,
                       [str(name) for name in cancer.feature_names], [str(name) for name in cancer.target_names])


def _explainer(X_train, random_state, kernel_width=None, *, sample_around_instance=True,
               discretize_continuous=False):
    return LimeTabularExplainer(X_train, mode="classification", discretize_continuous=discretize_continuous,
                                sample_around_instance=sample_around_instance, kernel_width=kernel_width,
                                random_state=random_state)


def _weights_of(explanation, n_features: int, label: int = 1) -> np.ndarray:
    weights = np.zeros(n_features)
    for j, value in explanation.as_map()[label]:
        weights[j] = value
    return weights


@reference
def lime_weights(predict_fn, x, X_train, *, n_samples: int, random_state: int, kernel_width=None,
                 model_regressor=None, label: int = 1, sample_around_instance: bool = True,
                 discretize_continuous: bool = False) -> tuple[np.ndarray, float]:
    """One lime explanation of ``x`` from a fresh explainer, so that ``random_state`` fixes it.

    The settings of drill D4: ``LimeTabularExplainer(X_train, mode="classification",
    discretize_continuous=False, sample_around_instance=True, kernel_width=kernel_width,
    random_state=random_state)`` and ``explain_instance(x, predict_fn, num_features=n_features,
    num_samples=n_samples, model_regressor=model_regressor)``; the last two settings can be changed
    to show what lime's defaults do.

    Returns
    -------
    weights : ndarray of shape (n_features,)
        The surrogate's coefficient of every feature for ``label``, in feature order.
    r2 : float
        ``explanation.score``, the surrogate's weighted R^2 on the perturbations it was fitted on.
    """
    X_train = check_matrix(X_train, "X_train")
    explanation = _explainer(X_train, random_state, kernel_width, sample_around_instance=sample_around_instance,
                             discretize_continuous=discretize_continuous).explain_instance(
        np.asarray(x, dtype=float), predict_fn, num_features=X_train.shape[1], num_samples=n_samples,
        model_regressor=model_regressor)
    return _weights_of(explanation, X_train.shape[1], label), float(explanation.score)


@reference
def lime_runs(predict_fn, x, X_train, *, seeds, sizes, kernel_width=None, model_regressor=None) -> dict:
    """Drill D4's runs: one explanation per sample size and seed, each from a fresh explainer.

    Returns
    -------
    dict
        ``weights`` : ndarray of shape (len(sizes), len(seeds), n_features);
        ``r2`` : ndarray of shape (len(sizes), len(seeds)).
    """
    X_train = check_matrix(X_train, "X_train")
    weights = np.zeros((len(sizes), len(seeds), X_train.shape[1]))
    r2 = np.zeros((len(sizes), len(seeds)))
    for s, size in enumerate(sizes):
        for i, seed in enumerate(seeds):
            weights[s, i], r2[s, i] = lime_weights(predict_fn, x, X_train, n_samples=size, random_state=seed,
                                                   kernel_width=kernel_width, model_regressor=model_regressor)
    return {"weights": weights, "r2": r2}


def _top_set(weights, k: int) -> set:
    return set(np.argsort(-np.abs(np.asarray(weights, dtype=float)), kind="stable")[:k].tolist())


@reference
def topk_mask(weights, k: int) -> np.ndarray:
    """Boolean mask of the ``k`` features of largest ``|weight|`` (ties: the lower index first).

    Parameters
    ----------
    weights : array-like of shape (n_features,)
    k : int

    Returns
    -------
    ndarray of bool, shape (n_features,)
    """
    weights = np.asarray(weights, dtype=float)
    mask = np.zeros(weights.shape[-1], dtype=bool)
    mask[list(_top_set(weights, check_int(k, "k", minimum=1)))] = True
    return mask


@reference
def stability(weights, r2, *, k: int) -> dict:
    """The stability numbers of drill D4 (b), for each sample size.

    Parameters
    ----------
    weights : ndarray of shape (n_sizes, n_seeds, n_features)
    r2 : ndarray of shape (n_sizes, n_seeds)
    k : int

    Returns
    -------
    dict
        ``agreement`` : ndarray of shape (n_sizes,), the mean top-k Jaccard index over the pairs of
        distinct seeds; ``fidelity`` : ndarray of shape (n_sizes,), the mean R^2 over the seeds.
    """
    agreement = []
    for runs in np.asarray(weights, dtype=float):
        tops = [_top_set(w, k) for w in runs]
        agreement.append(np.mean([len(a & b) / len(a | b) for a, b in itertools.combinations(tops, 2)]))
    return {"agreement": np.array(agreement), "fidelity": np.asarray(r2, dtype=float).mean(axis=1)}


@reference
def holdout_r2(predict_fn, x, X_train, *, n_samples: int, random_state: int, n_test: int = 5000,
               label: int = 1) -> tuple[float, float]:
    """A lime surrogate's weighted R^2 on its own perturbations and on fresh ones.

    The surrogate is drill D4's (lime's default Ridge, ``sample_around_instance=True``); the fresh
    perturbations are drawn the same way, from ``default_rng(random_state)``, and weighted with the
    same kernel, ``sqrt(exp(-d^2 / w^2))`` with ``w = 0.75 * sqrt(n_features)``.

    Returns
    -------
    in_sample : float
        ``explanation.score``.
    held_out : float
        The weighted R^2 of the same surrogate on ``n_test`` fresh perturbations.
    """
    X_train = check_matrix(X_train, "X_train")
    x = np.asarray(x, dtype=float)
    explanation = _explainer(X_train, random_state).explain_instance(
        x, predict_fn, num_features=X_train.shape[1], num_samples=n_samples)
    scaler = StandardScaler(with_mean=False).fit(X_train)  # lime's scaler: scale 1 for a constant feature
    coef = _weights_of(explanation, X_train.shape[1], label)
    Z = x + np.random.default_rng(random_state).standard_normal((n_test, len(x))) * scaler.scale_
    surrogate = explanation.intercept[label] + ((Z - scaler.mean_) / scaler.scale_) @ coef
    y = np.asarray(predict_fn(Z))[:, label]
    width = 0.75 * np.sqrt(len(x))
    pi = np.sqrt(np.exp(-np.sum(((Z - x) / scaler.scale_) ** 2, axis=1) / width ** 2))
    residual = np.sum(pi * (y - surrogate) ** 2)
    total = np.sum(pi * (y - np.average(y, weights=pi)) ** 2)
    return float(explanation.score), float(1 - residual / total)
