"""Chapter 08's studies beyond the exercises: a table with a planted truth, agreement between methods,
explanations of image patches (re-exported by :mod:`helpers.lib.ch08`; use ``lib.<name>``).

- Chapter 02's effects as a classifier: :func:`effects_classification` draws labels from the known
  log-odds ``2 linear + square^2 + 1.5 (step > 0) + inter_a inter_b - 1.75``, whose exact SHAP values are
  :func:`helpers.data.tabular.true_shap_values`; :class:`TabularNet` is a small MLP whose class-1 logit is
  its log-odds (class 0's logit is 0); :func:`train_tabular` fits one with L-BFGS in about half a second;
  :func:`tabular_setup` is the chapter's split and model; :func:`explain_table` explains its rows with
  SHAP, LIME, IG, the gradient and Input x Gradient (courses 02-04's references and the libraries);
  :func:`table_permutation_importance` is scikit-learn's permutation importance of the log-likelihood.
- Agreement (Krishna et al. 2022): :func:`top_features`, :func:`agreement` (feature, rank and sign
  agreement of the top k), :func:`agreement_matrix`.
- Images cut into ``PATCH`` x ``PATCH`` patches: :func:`patch_sums` (a pixel map summed per patch),
  :func:`patch_shap` (shap's KernelExplainer), :func:`patch_lime` (lime_image with a grid),
  :func:`patch_permutation_importance` (chapter 01's grouped permutation importance).
"""

from __future__ import annotations

import contextlib
import functools
from typing import NamedTuple

import numpy as np
import pandas as pd
import shap
import torch
from lime import lime_image
from scipy.stats import spearmanr
from sklearn.inspection import permutation_importance
from torch import nn

from helpers._validation import check_int
from helpers.data import tabular
from helpers.lib import ch02, ch03, ch04

__all__ = ["AGREEMENT_K", "FEATURES", "PATCH", "TabularNet", "TabularSetup", "agreement", "agreement_matrix",
           "effects_classification", "explain_table", "patch_lime", "patch_permutation_importance", "patch_shap",
           "patch_sums", "spearman_rows", "table_permutation_importance", "tabular_setup", "top_features", "train_tabular"]

FEATURES = tabular.EFFECTS_COLUMNS   # linear, square, step, inter_a, inter_b, null
PATCH = 8                            # 32 x 32 images as a 4 x 4 grid of 8 x 8 patches: 16 features
AGREEMENT_K = 3                      # the top k of the agreement metrics


# --------------------------------------------------------------------------------------------
# A table with a planted truth


def effects_classification(n_samples: int, *, random_state: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``X`` (n, 6) standard normal in the columns ``FEATURES``, labels drawn from the known log-odds, and
    the exact SHAP values of that log-odds (n, 6): the truth each row's explanation should recover."""
    rng = np.random.default_rng(check_int(random_state, "random_state", minimum=0))
    X = rng.standard_normal((check_int(n_samples, "n_samples", minimum=1), len(FEATURES)))
    truth = tabular.true_shap_values(X).to_numpy()
    y = (rng.random(len(X)) < 1 / (1 + np.exp(-truth.sum(axis=1)))).astype(np.int64)
    return X.astype(np.float32), y, truth


class TabularNet(nn.Module):
    """fc1 -> relu1 -> fc2 -> relu2 -> out: a score s(x); the logits are (0, s(x)), so that the class-1
    logit is the log-odds and the softmax probability of class 1 is sigmoid(s)."""

    def __init__(self, n_features: int = len(FEATURES), width: int = 32):
        super().__init__()
        self.fc1, self.relu1 = nn.Linear(n_features, width), nn.ReLU()
        self.fc2, self.relu2 = nn.Linear(width, width), nn.ReLU()
        self.out = nn.Linear(width, 1)

    def forward(self, x):
        s = self.out(self.relu2(self.fc2(self.relu1(self.fc1(x)))))
        return torch.cat([torch.zeros_like(s), s], dim=1)


def train_tabular(X, y, *, random_state: int = 0, iterations: int = 60, weight_decay: float = 1e-3) -> TabularNet:
    """A TabularNet fitted by full-batch L-BFGS on the cross-entropy plus ``weight_decay`` times the squared
    weights; the global torch random state is left as it was. Returned in eval mode."""
    X, y = torch.as_tensor(np.asarray(X, dtype=np.float32)), torch.as_tensor(np.asarray(y, dtype=np.int64))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(check_int(random_state, "random_state", minimum=0))
        model = TabularNet(X.shape[1])
    optimizer = torch.optim.LBFGS(model.parameters(), lr=1.0, max_iter=iterations, history_size=20,
                                  line_search_fn="strong_wolfe", tolerance_grad=1e-9, tolerance_change=1e-12)
    loss_fn = nn.CrossEntropyLoss()

    def closure():
        optimizer.zero_grad()
        penalty = sum((p ** 2).sum() for name, p in model.named_parameters() if name.endswith("weight"))
        loss = loss_fn(model(X), y) + weight_decay * penalty
        loss.backward()
        return loss

    optimizer.step(closure)
    return model.eval()


class TabularSetup(NamedTuple):
    """The chapter's table: 4,000 training rows, 1,000 test rows (float32), the truth of the test rows, the
    model, and 50 training rows as the background of SHAP (the population SHAP's truth assumes)."""

    model: TabularNet
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    truth: np.ndarray
    background: np.ndarray


@functools.lru_cache(maxsize=2)
def _tabular_setup(seed: int) -> TabularSetup:
    X, y, truth = effects_classification(5000, random_state=seed)
    model = train_tabular(X[:4000], y[:4000], random_state=seed)
    return TabularSetup(model, X[:4000], y[:4000], X[4000:], y[4000:], truth[4000:], X[:50])


def tabular_setup(random_state: int = 0) -> TabularSetup:
    """The chapter's table and model (cached: the model is shared; do not change it)."""
    return _tabular_setup(check_int(random_state, "random_state", minimum=0))


def _log_odds(model):
    def f(X):
        with torch.no_grad():
            return model(torch.as_tensor(np.asarray(X, dtype=np.float32)))[:, 1].double().numpy()
    return f


def _probabilities(model):
    def f(X):
        with torch.no_grad():
            return model(torch.as_tensor(np.asarray(X, dtype=np.float32))).softmax(dim=1).double().numpy()
    return f


def explain_table(model, X, X_train, background, *, random_state: int = 0, lime_samples: int = 1000) -> dict:
    """Attributions of the class-1 log-odds (probability for LIME) of every row of ``X``: (n, 6) each.

    ``SHAP``: exact Shapley values against ``background`` (chapter 02's ``exact_shap_values``, every coalition);
    ``LIME``: chapter 03's ``lime_weights`` (continuous features, ``lime_samples`` perturbations, seeded per
    row); ``IG``: chapter 04's Integrated Gradients from the all-zeros row (the features' mean);
    ``gradient`` and ``Input x Gradient``: the signed gradient at x and x times it; ``random``: N(0, 1).
    """
    X = np.asarray(X, dtype=np.float32)
    x, seed = torch.as_tensor(X), check_int(random_state, "random_state", minimum=0)
    gradient = ch04.input_gradient(model, x, 1).double().numpy()
    return {
        "SHAP": np.array([ch02.exact_shap_values(_log_odds(model), row, background) for row in X]),
        "LIME": np.array([ch03.lime_weights(_probabilities(model), row, X_train, n_samples=lime_samples,
                                            random_state=seed + i)[0] for i, row in enumerate(X)]),
        "IG": ch04.integrated_gradients(model, x, 1).double().numpy(),
        "gradient": gradient,
        "Input x Gradient": gradient * X,
        "random": np.random.default_rng(seed).standard_normal(X.shape),
    }


class _Scored:
    """A fitted-looking wrapper so that scikit-learn's permutation_importance can score a torch model."""

    def __init__(self, model):
        self.model = model

    def fit(self, X, y):
        return self

    def score(self, X, y):
        """Mean log-likelihood of the labels: higher is better, so a drop is an importance."""
        p = _probabilities(self.model)(X)[np.arange(len(y)), np.asarray(y)]
        return float(np.log(np.clip(p, 1e-12, 1)).mean())


def table_permutation_importance(model, X, y, *, n_repeats: int = 5, random_state: int = 0) -> np.ndarray:
    """scikit-learn's permutation importance of each column: the mean drop of the log-likelihood, (d,)."""
    result = permutation_importance(_Scored(model), np.asarray(X, dtype=np.float32), np.asarray(y),
                                    n_repeats=n_repeats, random_state=random_state)
    return result.importances_mean


# --------------------------------------------------------------------------------------------
# Agreement between explanations (Krishna et al. 2022)


def spearman_rows(a, b) -> np.ndarray:
    """Spearman's rank correlation of each row of ``a`` with the same row of ``b`` (average ranks for
    ties; NaN where a row is constant), for arrays of shape (n, ...)."""
    a, b = (np.asarray(v, dtype=float).reshape(len(v), -1) for v in (a, b))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.array([spearmanr(u, v)[0] if np.ptp(u) > 0 and np.ptp(v) > 0 else np.nan for u, v in zip(a, b)])



def top_features(attributions, k: int) -> np.ndarray:
    """The ``k`` features of largest |attribution| of each row, most important first (ties: the lower
    index first): (n, k)."""
    a = np.atleast_2d(np.asarray(attributions, dtype=float))
    return np.argsort(-np.abs(a), axis=1, kind="stable")[:, :check_int(k, "k", minimum=1)]


def agreement(a, b, k: int = AGREEMENT_K) -> dict:
    """Feature, rank and sign agreement of the top ``k`` features of two explanations, row by row.

    ``feature``: the share of a's top k that is in b's top k; ``rank``: the share of the k positions that
    hold the same feature in both; ``sign``: the share of a's top k that is in b's top k with the same sign
    in both. Returns a dict of (n,) arrays.
    """
    a, b = np.atleast_2d(np.asarray(a, dtype=float)), np.atleast_2d(np.asarray(b, dtype=float))
    top_a, top_b = top_features(a, k), top_features(b, k)
    shared = (top_a[:, :, None] == top_b[:, None, :]).any(axis=2)                        # (n, k) over a's top
    rows = np.arange(len(a))[:, None]
    same_sign = np.sign(a[rows, top_a]) == np.sign(b[rows, top_a])
    return {"feature": shared.mean(axis=1), "rank": (top_a == top_b).mean(axis=1),
            "sign": (shared & same_sign).mean(axis=1)}


def agreement_matrix(attributions: dict, metric: str = "feature", k: int = AGREEMENT_K) -> pd.DataFrame:
    """The mean ``metric`` agreement (or ``"spearman"``, the rank correlation over all features) of every
    pair of methods, a symmetric table with 1 on the diagonal."""
    names = list(attributions)
    table = pd.DataFrame(np.eye(len(names)), index=names, columns=names)
    for i, first in enumerate(names):
        for second in names[i + 1:]:
            a, b = attributions[first], attributions[second]
            value = (np.nanmean(spearman_rows(a, b)) if metric == "spearman" else
                     np.mean((agreement(a, b, k)[metric] + agreement(b, a, k)[metric]) / 2))
            table.loc[first, second] = table.loc[second, first] = value
    return table


# --------------------------------------------------------------------------------------------
# Explanations of image patches


def patch_sums(maps, size: int = PATCH) -> np.ndarray:
    """A pixel map (n, 1, h, w) or (n, h, w) summed over ``size`` x ``size`` patches: (n, h/size * w/size),
    patches in row-major order."""
    m = maps.detach().double().numpy() if isinstance(maps, torch.Tensor) else np.asarray(maps, dtype=float)
    m = m.reshape(len(m), m.shape[-2], m.shape[-1])
    n, h, w = m.shape
    return m.reshape(n, h // size, size, w // size, size).sum(axis=(2, 4)).reshape(n, -1)


def _patch_images(x: torch.Tensor, z: np.ndarray, size: int) -> torch.Tensor:
    """Copies of the image x (1, h, w) with the patches where z (m, patches) is 0 set to black."""
    h, w = x.shape[-2:]
    keep = torch.as_tensor(np.asarray(z, dtype=np.float32)).view(-1, 1, h // size, w // size)
    keep = keep.repeat_interleave(size, dim=2).repeat_interleave(size, dim=3)
    return x[None] * keep


def patch_shap(model, x, target, *, n_samples: int = 500, random_state: int = 0, size: int = PATCH) -> np.ndarray:
    """SHAP values of the target's probability for the patches of each image (n, patches): shap's
    ``KernelExplainer`` against the black image (every patch removed), ``n_samples`` coalitions, seeded
    (numpy's global random state, which KernelExplainer draws from, is restored afterwards)."""
    targets = ch04.targets_of(target, len(x))
    n_patches = (x.shape[-2] // size) * (x.shape[-1] // size)
    state, values = np.random.get_state(), []
    try:
        np.random.seed(check_int(random_state, "random_state", minimum=0))
        for image, t in zip(x, targets):
            def f(z, image=image, t=int(t)):
                with torch.no_grad():
                    return model(_patch_images(image, z, size)).softmax(dim=1)[:, t].double().numpy()
            explainer = shap.KernelExplainer(f, np.zeros((1, n_patches)), silent=True)
            values.append(explainer.shap_values(np.ones((1, n_patches)), nsamples=n_samples, silent=True)[0])
    finally:
        np.random.set_state(state)
    return np.array(values)


def _grid(size):
    def segments(picture):
        h, w = picture.shape[:2]
        rows, cols = np.indices((h, w)) // size
        return rows * (w // size) + cols
    return segments


@contextlib.contextmanager
def _quiet_lime():
    """lime_image draws a progress bar for every image and has no setting to turn it off (lime 0.2.0.1): its
    module's ``tqdm`` is swapped for a silent one while the block runs, then put back."""
    shown = lime_image.tqdm
    lime_image.tqdm = lambda iterable, *args, **kwargs: iterable
    try:
        yield
    finally:
        lime_image.tqdm = shown


def patch_lime(model, x, target, *, n_samples: int = 500, random_state: int = 0, size: int = PATCH) -> np.ndarray:
    """LIME weights of the patches of each image (n, patches): ``lime_image`` with a grid segmentation,
    patches switched off to black (``hide_color=0``), ``n_samples`` perturbations, seeded."""
    targets = ch04.targets_of(target, len(x))
    n_patches = (x.shape[-2] // size) * (x.shape[-1] // size)
    seed, weights = check_int(random_state, "random_state", minimum=0), []

    def classify(rgb):
        with torch.no_grad():
            return model(torch.as_tensor(rgb[..., 0], dtype=torch.float32)[:, None]).softmax(dim=1).double().numpy()

    with _quiet_lime():
        for image, t in zip(x, targets):
            explainer = lime_image.LimeImageExplainer(random_state=seed)
            picture = np.repeat(image[0].double().numpy()[..., None], 3, axis=-1)
            explanation = explainer.explain_instance(picture, classify, labels=(int(t),), top_labels=None, hide_color=0,
                                                     num_features=n_patches, num_samples=n_samples,
                                                     batch_size=n_samples, segmentation_fn=_grid(size), random_seed=seed)
            row = np.zeros(n_patches)
            for patch, value in explanation.local_exp[int(t)]:
                row[patch] = value
            weights.append(row)
    return np.array(weights)


class _PatchTable:
    """The images seen by scikit-learn as a table of row numbers, one column per patch: column j says which
    image patch j is read from. Permuting column j shuffles patch j across the images (its pixels together),
    so scikit-learn's permutation importance of the table is the grouped permutation importance of the patches."""

    def __init__(self, model, x, size):
        self.model, self.x, self.size = model, x, size

    def table(self) -> np.ndarray:
        n, patches = len(self.x), (self.x.shape[-2] // self.size) * (self.x.shape[-1] // self.size)
        return np.repeat(np.arange(n, dtype=float)[:, None], patches, axis=1)

    def fit(self, table, y):  # scikit-learn checks that an estimator can fit
        return self

    def images(self, table) -> torch.Tensor:
        n, _, h, w = self.x.shape
        s = self.size
        source = torch.as_tensor(np.asarray(table, dtype=np.int64)).view(n, h // s, w // s)
        source = source.repeat_interleave(s, dim=1).repeat_interleave(s, dim=2)          # (n, h, w): source row
        rows, cols = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
        return self.x[:, 0][source, rows, cols][:, None]

    def score(self, table, y):
        with torch.no_grad():
            return float((self.model(self.images(table)).argmax(dim=1).numpy() == np.asarray(y)).mean())


def patch_permutation_importance(model, x, labels, *, n_repeats: int = 5, random_state: int = 0,
                                 size: int = PATCH) -> np.ndarray:
    """Global importance of each patch: the mean drop in accuracy when the patch (its pixels together) is
    shuffled across the images, computed by scikit-learn's ``permutation_importance`` (n_patches,)."""
    wrapper = _PatchTable(model, x.detach(), size)
    result = permutation_importance(wrapper, wrapper.table(), np.asarray(labels), n_repeats=n_repeats,
                                    random_state=random_state)
    return result.importances_mean
