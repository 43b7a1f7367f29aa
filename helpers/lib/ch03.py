"""Chapter 03's library: LIME, local surrogates (``from helpers.lib import ch03 as lib``).

The breast-cancer set-up that section 4.1 and drill D4 explain (:func:`cancer_setup`, rebuilt from
its seed by the drill's checks), the drill's constants, and the reference implementations that the
cells after an exercise use: one lime explanation with its seed honoured (:func:`lime_weights`),
the runs of drill D4 (a) (:func:`lime_runs`), top-k masks (:func:`topk_mask`), the stability
numbers of drill D4 (b) (:func:`stability`) and a held-out fidelity (:func:`holdout_r2`). Each
reference is guarded: called from inside a student's function while a check runs, it makes the
check fail. Last, the seeded test beds the checks build their inputs with (:func:`lime_bed`,
:func:`jaccard_cases`, :func:`noisy_runs`): data and models only, no answer.
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

__all__ = ["D4_FEW", "D4_K", "D4_MANY", "D4_P_BENIGN", "D4_SEEDS", "D4_SIZES", "CancerSetup", "LimeBed", "cancer_setup",
           "holdout_r2", "jaccard_cases", "lime_bed", "lime_runs", "lime_weights", "noisy_runs", "stability",
           "topk_mask"]

# Drill D4: ten seeds, two sample sizes (few, many), agreement of the top five features.
D4_SEEDS = tuple(range(10))
D4_FEW, D4_MANY = 100, 2000
D4_SIZES = (D4_FEW, D4_MANY)
D4_K = 5
D4_P_BENIGN = 0.7  # cancer_setup's row: the test row whose P(benign) is closest to it (predicted label 1)


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
    row = int(np.argmin(np.abs(model.predict_proba(X_test)[:, 1] - D4_P_BENIGN)))
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


@reference
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


# --------------------------------------------------------------------------------------------
# Test beds of the checks (inputs only: none of them computes a graded answer)


class LimeBed(NamedTuple):
    """A model to explain with LIME and its data (:func:`lime_bed`).

    f : callable, (n, p) -> (n,)
    X_train : ndarray of shape (300, p)
    x : ndarray of shape (p,), the instance
    scale : ndarray of shape (p,), lime's scales: ``X_train.std(axis=0)`` (ddof 0), 1 for a constant feature
    mean : ndarray of shape (p,), ``X_train.mean(axis=0)``
    """

    f: object
    X_train: np.ndarray
    x: np.ndarray
    scale: np.ndarray
    mean: np.ndarray


def lime_bed(random_state: int, n_features: int, *, constant: int | None = None, model: str = "sine") -> LimeBed:
    """Features on very different scales (0.05 to 50), ``constant`` a constant column (or None), an
    instance 1.2 standard deviations from the mean in every feature, and a model of it:

    - ``"sine"``: ``f(z) = sum_j a_j sin(1.5 (z_j - x_j) / scale_j + phase_j)``, non-linear around x;
    - ``"additive"``: ``f(z) = u @ w + 0.3 sum_j tanh(u_j)``, ``u = (z - mean) / scale``, the effects
      ``w`` halving from 3 in a shuffled order, with random signs.
    """
    rng = np.random.default_rng(random_state)
    scales = np.exp(rng.uniform(np.log(0.05), np.log(50.0), n_features))
    X_train = rng.normal(size=n_features) * scales * 3 + rng.standard_normal((300, n_features)) * scales
    if constant is not None:
        X_train[:, constant] = np.round(X_train[0, constant])  # an integer: its std is exactly 0
    scale = StandardScaler(with_mean=False).fit(X_train).scale_  # lime's: std (ddof 0), 1 if constant
    mean = X_train.mean(axis=0)
    x = mean + rng.choice([-1.0, 1.0], n_features) * 1.2 * scale
    if model == "sine":
        amplitude = rng.uniform(0.5, 1.5, n_features) * rng.choice([-1, 1], n_features)
        phase = rng.uniform(0, 2 * np.pi, n_features)

        def f(Z):
            return np.sin(1.5 * (Z - x) / scale + phase) @ amplitude
    else:
        w = rng.permutation(np.geomspace(3.0, 3.0 / 2 ** (n_features - 1), n_features))
        w *= rng.choice([-1, 1], n_features)

        def f(Z):
            return ((Z - mean) / scale) @ w + 0.3 * np.tanh((Z - mean) / scale).sum(axis=1)
    return LimeBed(f, X_train, x, scale, mean)


def jaccard_cases(random_state: int, n_features: int, n_pairs: int) -> list[tuple[np.ndarray, np.ndarray, int]]:
    """Pairs of weight vectors and a k, ``(a, b, k)``: five fixed ones (ties, zeros, opposite signs),
    then ``n_pairs`` random continuous pairs and ``n_pairs`` pairs of small integers (many ties), and
    the last continuous pair with ``k = n_features``."""
    a, b = np.array([-9.0, 1.0, 8.0, -7.0, 0.5, 2.0]), np.array([9.0, -1.0, 8.5, 7.0, 0.4, -2.0])
    cases = [(a, b, 3), (a, -a, 2), (a, b[::-1].copy(), 4),
             (np.array([2.0, -2.0, 1.0, 0.0, 0.0]), np.array([1.5, 0.0, 0.0, 0.0, 0.0]), 1),       # ties
             (np.array([0.0, 3.0, 0.0, 0.0, -1.0, 0.0]), np.array([1.0, 0.0, 2.0, 0.0, 0.0, 0.0]), 3)]  # zeros
    rng = np.random.default_rng(random_state)
    for _ in range(n_pairs):
        continuous = rng.standard_normal((2, n_features)) * rng.uniform(0.5, 3, n_features)
        ties = rng.integers(-3, 4, (2, n_features)).astype(float)
        cases += [(*continuous, int(rng.integers(1, n_features))), (*ties, int(rng.integers(1, n_features)))]
    return cases + [(*continuous, n_features)]


def noisy_runs(random_state: int, shape=(3, 6, 12)) -> dict:
    """Runs like lime's, in the layout of :func:`lime_runs`: true weights plus noise that shrinks with
    the size (``weights`` of ``shape`` = (sizes, seeds, features)), rounded to 0.1 so that |weights| tie
    (the top-k sets break ties to the lower index), and R^2 values in [0.3, 0.95]."""
    rng = np.random.default_rng(random_state)
    truth = rng.standard_normal(shape[2]) * rng.uniform(0.2, 2.0, shape[2])
    weights = np.round(truth + np.geomspace(1.0, 0.1, shape[0])[:, None, None] * rng.standard_normal(shape), 1)
    return {"weights": weights, "r2": rng.uniform(0.3, 0.95, shape[:2])}
