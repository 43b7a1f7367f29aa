"""Seeded scikit-learn models with the course's settings, trained in about a second."""

from __future__ import annotations

from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingRegressor, RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from .._validation import check_int, check_matrix, check_vector

__all__ = ["train_boosted", "train_forest", "train_linear", "train_loan_model"]

_TASKS = ("regression", "classification")


def _check_task(task: str) -> str:
    if task not in _TASKS:
        raise ValueError(f"task must be one of {_TASKS}, got {task!r}")
    return task


def train_forest(X, y, *, task: str = "regression", n_estimators: int = 100,
                 min_samples_leaf: int = 1, random_state: int = 0):
    """Fit a random forest with a fixed seed (one job: on small data, fastest to predict).

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    task : {"regression", "classification"}, default="regression"
    n_estimators : int, default=100
    min_samples_leaf : int, default=1
        1 grows every tree to purity: the setting under which impurity importance is most biased.
    random_state : int, default=0

    Returns
    -------
    RandomForestRegressor or RandomForestClassifier, fitted
    """
    check_matrix(X, "X")
    check_vector(y, "y", length=len(X))
    kind = RandomForestRegressor if _check_task(task) == "regression" else RandomForestClassifier
    model = kind(n_estimators=check_int(n_estimators, "n_estimators", minimum=1), n_jobs=1,
                 min_samples_leaf=check_int(min_samples_leaf, "min_samples_leaf", minimum=1),
                 random_state=check_int(random_state, "random_state", minimum=0))
    return model.fit(X, y)


def train_linear(X, y, *, task: str = "regression"):
    """Fit ordinary least squares (regression) or logistic regression (classification)."""
    check_matrix(X, "X")
    check_vector(y, "y", length=len(X))
    model = LinearRegression() if _check_task(task) == "regression" else LogisticRegression(max_iter=1000)
    return model.fit(X, y)


def train_boosted(X, y, *, n_estimators: int = 200, max_depth: int = 4, random_state: int = 0):
    """Fit scikit-learn's gradient boosting regressor with a fixed seed.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    n_estimators : int, default=200
    max_depth : int, default=4
    random_state : int, default=0

    Returns
    -------
    GradientBoostingRegressor, fitted
    """
    check_matrix(X, "X")
    check_vector(y, "y", length=len(X))
    model = GradientBoostingRegressor(n_estimators=check_int(n_estimators, "n_estimators", minimum=1),
                                      max_depth=check_int(max_depth, "max_depth", minimum=1),
                                      random_state=check_int(random_state, "random_state", minimum=0))
    return model.fit(X, y)


def train_loan_model(X, y, *, categorical, drop=(), C: float = 1.0):
    """Logistic regression on mixed columns: numeric ones standardised, categorical ones one-hot.

    The model takes the whole matrix ``X`` (numbers; categorical columns as integer codes) and
    ignores the columns in ``drop``: a model trained "without" the sensitive attribute still accepts
    it, so that it can be changed and the model queried (chapter 07's proxy model).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
        Binary labels.
    categorical : sequence of int
        Positions of the categorical columns (one-hot encoded; unknown codes are ignored).
    drop : sequence of int, default=()
        Positions of columns the model never reads.
    C : float, default=1.0
        Inverse regularisation strength of the logistic regression.

    Returns
    -------
    Pipeline, fitted (``predict``, ``predict_proba``, ``decision_function``)
    """
    X = check_matrix(X, "X")
    check_vector(y, "y", length=len(X))
    categorical, drop = [int(c) for c in categorical], [int(c) for c in drop]
    if any(not 0 <= c < X.shape[1] for c in categorical + drop):
        raise ValueError(f"column positions must lie in 0..{X.shape[1] - 1}, got {categorical} and {drop}")
    numeric = [c for c in range(X.shape[1]) if c not in categorical and c not in drop]
    encode = ColumnTransformer([("numeric", StandardScaler(), numeric),
                                ("categorical", OneHotEncoder(handle_unknown="ignore"),
                                 [c for c in categorical if c not in drop])], remainder="drop")
    return make_pipeline(encode, LogisticRegression(C=C, max_iter=1000)).fit(X, y)
