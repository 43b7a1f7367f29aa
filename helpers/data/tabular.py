"""Offline, seeded data sets with known ground truth.

Everything here is generated in milliseconds from ``numpy.random.default_rng(random_state)`` or
loaded from scikit-learn's bundled sets; nothing is downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from helpers._validation import check_float, check_int, check_matrix

__all__ = ["EFFECTS_COLUMNS", "LOAN_CATEGORIES", "LOAN_COLUMNS", "LOAN_REGION_GIVEN_GROUP", "LoanData", "TabularData",
           "loan_income", "loan_logit", "make_effects_data", "make_importance_data", "make_linear_data",
           "make_loan_data", "true_shap_values"]


@dataclass(frozen=True)
class TabularData:
    """A table with its target and the truth it was generated from.

    Attributes
    ----------
    X : DataFrame of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    effects : dict of str to str
        For every column, how it enters the target (``"2.0 * x"``, ``"none"``...).
    groups : dict of str to list of str
        Named groups of columns that carry one signal together (near-duplicates).
    """

    X: pd.DataFrame
    y: np.ndarray
    effects: dict[str, str] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)

    @property
    def feature_names(self) -> list[str]:
        return list(self.X.columns)

    def column_indices(self, names) -> list[int]:
        """Positions of the columns ``names`` in ``X`` (for grouped importance)."""
        missing = [n for n in names if n not in self.X.columns]
        if missing:
            raise ValueError(f"unknown columns {missing}; the columns are {self.feature_names}")
        return [self.X.columns.get_loc(n) for n in names]


def make_importance_data(n_samples: int = 2000, *, noise: float = 1.0, twin_corr: float = 0.99,
                         random_state: int = 0) -> TabularData:
    """Regression data for chapter 01: known effects, near-duplicate twins and a random ID.

    The target is
    ``y = 2 strong + medium + 1.5 weak + 1.5 z + 2 switch + 1.5 (2 switch - 1) interact + noise``,
    where ``strong`` and ``interact`` are standard normal, ``medium`` takes the values 0, 1, 2 and
    ``weak`` the values 0, 1 (few distinct values, as categorical features have); ``twin_a`` and
    ``twin_b`` are two noisy copies of the latent standard normal ``z`` with correlation
    ``twin_corr``; ``null`` has no effect; ``switch`` is a 0/1 coin that flips the sign of the
    effect of ``interact`` (its partial dependence is flat, its ICE curves are not); ``id`` is a
    random permutation of ``0..n_samples-1``: unique per row, unrelated to the target.

    Parameters
    ----------
    n_samples : int, default=2000
    noise : float, default=1.0
        Standard deviation of the Gaussian noise added to the target.
    twin_corr : float, default=0.99
        Correlation between ``twin_a`` and ``twin_b``, in (0, 1).
    random_state : int, default=0

    Returns
    -------
    TabularData
        ``X`` has the columns strong, medium, weak, null, twin_a, twin_b, interact, switch, id.
    """
    n = check_int(n_samples, "n_samples", minimum=10)
    noise = check_float(noise, "noise", low=0.0)
    rho = check_float(twin_corr, "twin_corr", low=0.0, high=0.9999)
    seed = check_int(random_state, "random_state", minimum=0)
    rng = np.random.default_rng(seed)
    strong, null, z, interact = rng.standard_normal((4, n))
    medium = rng.integers(0, 3, n).astype(float)
    weak = rng.integers(0, 2, n).astype(float)
    # Two copies of z whose correlation with each other is rho: each is sqrt(rho) z + independent noise.
    spread = np.sqrt(1.0 - rho)
    twin_a = np.sqrt(rho) * z + spread * rng.standard_normal(n)
    twin_b = np.sqrt(rho) * z + spread * rng.standard_normal(n)
    switch = rng.integers(0, 2, n).astype(float)
    row_id = rng.permutation(n).astype(float)
    y = (2.0 * strong + 1.0 * medium + 1.5 * weak + 1.5 * z + 2.0 * switch
         + 1.5 * (2 * switch - 1) * interact + noise * rng.standard_normal(n))
    X = pd.DataFrame({"strong": strong, "medium": medium, "weak": weak, "null": null,
                      "twin_a": twin_a, "twin_b": twin_b, "interact": interact,
                      "switch": switch, "id": row_id})
    effects = {"strong": "2.0 * x", "medium": "1.0 * x (x in 0, 1, 2)", "weak": "1.5 * x (x in 0, 1)",
               "null": "none",
               "twin_a": "1.5 * z, shared with twin_b", "twin_b": "1.5 * z, shared with twin_a",
               "interact": "+1.5 * x if switch == 1 else -1.5 * x",
               "switch": "2.0 * x, and flips the sign of interact", "id": "none (a unique row number)"}
    return TabularData(X=X, y=y, effects=effects, groups={"twins": ["twin_a", "twin_b"]})


def make_linear_data(n_samples: int = 500, n_features: int = 4, *, coef=None, correlated=(),
                     corr: float = 0.95, noise: float = 0.1,
                     random_state: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Standard-normal features and ``y = X @ coef + noise``: the closed-form test bed.

    Parameters
    ----------
    n_samples, n_features : int
    coef : array-like of shape (n_features,), optional
        Defaults to ``n_features`` values decreasing from 2 to 0 (the last feature has no effect).
    correlated : sequence of int, default=()
        Columns made to share one latent factor (pairwise correlation ``corr``).
    corr : float, default=0.95
    noise : float, default=0.1
    random_state : int, default=0

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    coef : ndarray of shape (n_features,)
    """
    n = check_int(n_samples, "n_samples", minimum=10)
    p = check_int(n_features, "n_features", minimum=1)
    rho = check_float(corr, "corr", low=0.0, high=0.9999)
    noise = check_float(noise, "noise", low=0.0)
    rng = np.random.default_rng(check_int(random_state, "random_state", minimum=0))
    coef = np.linspace(2.0, 0.0, p) if coef is None else np.asarray(coef, dtype=float)
    if coef.shape != (p,):
        raise ValueError(f"coef must have shape ({p},), got {coef.shape}")
    columns = [check_int(c, "correlated column", minimum=0) for c in correlated]
    if any(c >= p for c in columns):
        raise ValueError(f"correlated columns must be < n_features={p}, got {columns}")
    X = rng.standard_normal((n, p))
    if columns:
        latent = rng.standard_normal(n)
        X[:, columns] = np.sqrt(rho) * latent[:, None] + np.sqrt(1 - rho) * X[:, columns]
    y = X @ coef + noise * rng.standard_normal(n)
    return X, y, coef


# --------------------------------------------------------------------------------------------
# Chapter 02: effects whose SHAP values are known in closed form


EFFECTS_COLUMNS = ("linear", "square", "step", "inter_a", "inter_b", "null")


def make_effects_data(n_samples: int = 2000, *, noise: float = 0.3,
                      random_state: int = 0) -> TabularData:
    """Regression data built from known effects, so that SHAP values can be compared with the truth.

    Six independent standard normal features and
    ``y = 2 linear + square**2 + 1.5 * (step > 0) + inter_a * inter_b + noise``; ``null`` has no
    effect. Because the features are independent and the function is a sum of one-feature terms
    plus one product of two zero-mean features, its interventional SHAP values are known exactly:
    see :func:`true_shap_values`.

    Parameters
    ----------
    n_samples : int, default=2000
    noise : float, default=0.3
        Standard deviation of the Gaussian noise added to the target.
    random_state : int, default=0

    Returns
    -------
    TabularData
        ``X`` has the columns of ``EFFECTS_COLUMNS``: linear, square, step, inter_a, inter_b, null.
    """
    n = check_int(n_samples, "n_samples", minimum=10)
    noise = check_float(noise, "noise", low=0.0)
    rng = np.random.default_rng(check_int(random_state, "random_state", minimum=0))
    X = pd.DataFrame(rng.standard_normal((n, len(EFFECTS_COLUMNS))), columns=list(EFFECTS_COLUMNS))
    y = _effects_function(X.to_numpy()) + noise * rng.standard_normal(n)
    effects = {"linear": "2.0 * x", "square": "x ** 2 (a U shape)", "step": "1.5 if x > 0 else 0",
               "inter_a": "inter_a * inter_b, shared with inter_b",
               "inter_b": "inter_a * inter_b, shared with inter_a", "null": "none"}
    return TabularData(X=X, y=y, effects=effects, groups={"interaction": ["inter_a", "inter_b"]})


def _effects_function(X: np.ndarray) -> np.ndarray:
    # X: (n, 6) in the order of EFFECTS_COLUMNS
    return 2.0 * X[:, 0] + X[:, 1] ** 2 + 1.5 * (X[:, 2] > 0) + X[:, 3] * X[:, 4]


def true_shap_values(X) -> pd.DataFrame:
    """The exact SHAP values of the noise-free function of :func:`make_effects_data`.

    With independent features and the population as background, the SHAP value of a one-feature
    term ``g(x_j)`` is ``g(x_j) - E[g(X_j)]`` and the product of two zero-mean features is split
    equally: ``2 linear``, ``square**2 - 1``, ``1.5 (step > 0) - 0.75``, ``inter_a inter_b / 2``
    (twice) and 0 for ``null``.

    Parameters
    ----------
    X : DataFrame or array-like of shape (n_samples, 6)
        Columns in the order of ``EFFECTS_COLUMNS`` (a DataFrame must have exactly those columns).

    Returns
    -------
    DataFrame of shape (n_samples, 6)
        One column per feature; each row sums to the noise-free prediction minus its mean, 1.75.
    """
    if isinstance(X, pd.DataFrame):
        if list(X.columns) != list(EFFECTS_COLUMNS):
            raise ValueError(f"X must have the columns {list(EFFECTS_COLUMNS)}, got {list(X.columns)}")
        X = X.to_numpy()
    X = check_matrix(X, "X")
    if X.shape[1] != len(EFFECTS_COLUMNS):
        raise ValueError(f"X must have shape (n_samples, {len(EFFECTS_COLUMNS)}), got {X.shape}")
    product = X[:, 3] * X[:, 4] / 2
    values = np.column_stack([2.0 * X[:, 0], X[:, 1] ** 2 - 1.0, 1.5 * (X[:, 2] > 0) - 0.75,
                              product, product, np.zeros(len(X))])
    return pd.DataFrame(values, columns=list(EFFECTS_COLUMNS))


LOAN_COLUMNS = ("income", "debt", "savings", "age", "education", "employment", "region", "group")
LOAN_CATEGORIES = {
    "education": ("secondary", "bachelor", "master", "doctorate"),
    "employment": ("salaried", "self-employed", "part-time"),
    "region": ("north", "east", "south", "west"),
    "group": ("A", "B"),
}
# Where each group lives: P(region | group). Group B lives mostly in the south and west, so the region
# carries most of what the group says (the proxy).
LOAN_REGION_GIVEN_GROUP = ((0.50, 0.35, 0.10, 0.05), (0.05, 0.10, 0.35, 0.50))
_EMPLOYMENT_EFFECT = (0.0, -0.4, -0.8)


@dataclass(frozen=True)
class LoanData:
    """Generated loan applications with the truth they were drawn from (chapter 07).

    Attributes
    ----------
    X : DataFrame of shape (n_samples, 8)
        The columns of ``LOAN_COLUMNS``, all numbers: dollars for income, debt and savings, years for
        age, and integer codes for the categorical columns (``categories`` names the codes).
    y : ndarray of shape (n_samples,)
        1 = the loan was repaid in the historical records (the label a lender trains on).
    logit : ndarray of shape (n_samples,)
        The true log-odds the labels were drawn from.
    effects : dict of str to str
        How each column enters the logit.
    categories : dict of str to tuple of str
        The names of the codes of the categorical columns (education is also ordinal).
    categorical : tuple of str
        Columns compared by equality (Gower's 0/1 distance): employment, region, group.
    immutable : tuple of str
        Columns a counterfactual may not change: group (the sensitive attribute) and region.
    monotone : tuple of str
        Columns that may only grow: age and education.
    sensitive, proxy : str
        The sensitive attribute ("group") and its proxy ("region").
    """

    X: pd.DataFrame
    y: np.ndarray
    logit: np.ndarray
    effects: dict[str, str]
    categories: dict[str, tuple[str, ...]]
    categorical: tuple[str, ...] = ("employment", "region", "group")
    immutable: tuple[str, ...] = ("region", "group")
    monotone: tuple[str, ...] = ("age", "education")
    sensitive: str = "group"
    proxy: str = "region"

    @property
    def feature_names(self) -> list[str]:
        return list(self.X.columns)

    def column_indices(self, names) -> list[int]:
        """Positions of the columns ``names`` in ``X``."""
        missing = [n for n in names if n not in self.X.columns]
        if missing:
            raise ValueError(f"unknown columns {missing}; the columns are {self.feature_names}")
        return [self.X.columns.get_loc(n) for n in names]

    @property
    def categorical_mask(self) -> np.ndarray:
        """Boolean array of shape (8,): True for the categorical columns."""
        return np.isin(self.X.columns, self.categorical)


def loan_income(education, age, employment, noise):
    """The structural equation of income (dollars a year): education raises it, 9,000 per level.

    ``income = 24,000 + 9,000 education + 350 (age - 21) - 4,000 [part-time] + noise``, floored at
    8,000. Chapter 07 uses it to show that acting on education also moves income.
    """
    education, age, employment = (np.asarray(v, dtype=float) for v in (education, age, employment))
    income = 24_000 + 9_000 * education + 350 * (age - 21) - 4_000 * (employment == 2) + np.asarray(noise)
    return np.maximum(income, 8_000.0)


def loan_logit(X, *, bias: float = 1.5) -> np.ndarray:
    """The true log-odds of repayment of the rows of ``X`` (columns ``LOAN_COLUMNS``).

    ``0.75 + 0.07 (income/1000 - 45) - 0.12 (debt/1000 - 10) + 0.06 (savings/1000 - 8)
    + 0.25 (education - 1) + 0.01 (age - 45) + employment effect (0, -0.4, -0.8) - bias * group``.
    Region has no effect of its own. ``bias`` is the historical bias against group B in the records.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != len(LOAN_COLUMNS):
        raise ValueError(f"X must have shape (n, {len(LOAN_COLUMNS)}) with columns {LOAN_COLUMNS}, got {X.shape}")
    income, debt, savings, age, education, employment, _, group = X.T
    return (0.75 + 0.07 * (income / 1000 - 45) - 0.12 * (debt / 1000 - 10) + 0.06 * (savings / 1000 - 8)
            + 0.25 * (education - 1) + 0.01 * (age - 45) + np.take(_EMPLOYMENT_EFFECT, employment.astype(int))
            - bias * group)


def make_loan_data(n_samples: int = 2000, *, bias: float = 1.5, p_group_b: float = 0.4,
                   random_state: int = 0) -> LoanData:
    """Loan applications for chapter 07: mixed features, constraints, a sensitive attribute and its proxy.

    Drawn in this order from one generator: ``group`` (1 = B with probability ``p_group_b``);
    ``region`` given the group (``LOAN_REGION_GIVEN_GROUP``: the proxy); ``age`` uniform on 21..70;
    ``education`` (0..3, probabilities 0.35, 0.35, 0.2, 0.1); ``employment`` (salaried 60%,
    self-employed 20%, part-time 20%); ``income`` from :func:`loan_income` with normal noise of sd
    8,000; ``debt`` gamma (shape 2, scale 4,000) plus 5% of income, at most 40,000; ``savings``
    exponential (scale 7,000) plus 5% of income; the label ``y`` is Bernoulli(sigmoid(logit)) with
    the logit of :func:`loan_logit`. Income, debt and savings are rounded to 100 dollars. Nothing but
    the label's bias term depends on the group directly, and only region depends on the group.

    Parameters
    ----------
    n_samples : int, default=2000
    bias : float, default=1.5
        Historical bias against group B in the labels (0 = none).
    p_group_b : float, default=0.4
        Share of group B.
    random_state : int, default=0

    Returns
    -------
    LoanData
    """
    n = check_int(n_samples, "n_samples", minimum=10)
    bias = check_float(bias, "bias", low=0.0)
    p_b = check_float(p_group_b, "p_group_b", low=0.01, high=0.99)
    rng = np.random.default_rng(check_int(random_state, "random_state", minimum=0))
    group = (rng.random(n) < p_b).astype(int)
    cumulative = np.cumsum(LOAN_REGION_GIVEN_GROUP, axis=1)[group]
    region = np.minimum((rng.random(n)[:, None] > cumulative).sum(axis=1), 3)
    age = rng.integers(21, 71, n)
    education = rng.choice(4, n, p=[0.35, 0.35, 0.2, 0.1])
    employment = rng.choice(3, n, p=[0.6, 0.2, 0.2])
    income = np.round(loan_income(education, age, employment, 8_000 * rng.standard_normal(n)), -2)
    debt = np.round(np.minimum(rng.gamma(2.0, 4_000.0, n) + 0.05 * income, 40_000.0), -2)
    savings = np.round(rng.exponential(7_000.0, n) + 0.05 * income, -2)
    X = pd.DataFrame({"income": income, "debt": debt, "savings": savings, "age": age, "education": education,
                      "employment": employment, "region": region, "group": group})
    logit = loan_logit(X.to_numpy(float), bias=bias)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    effects = {"income": "+0.07 per 1,000", "debt": "-0.12 per 1,000", "savings": "+0.06 per 1,000",
               "age": "+0.01 per year", "education": "+0.25 per level (and +9,000 income per level)",
               "employment": "salaried 0, self-employed -0.4, part-time -0.8",
               "region": "none (but correlated with group)", "group": f"-{bias:g} for group B (historical bias)"}
    return LoanData(X=X, y=y, logit=logit, effects=effects, categories=dict(LOAN_CATEGORIES))
