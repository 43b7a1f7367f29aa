"""Unit tests of helpers.data.tabular: known effects and their exact SHAP values."""

import numpy as np
import pandas as pd
import pytest

from helpers import data


def test_effects_data_has_the_documented_columns():
    table = data.make_effects_data(n_samples=300, random_state=1)
    assert table.feature_names == list(data.EFFECTS_COLUMNS)
    assert table.X.shape == (300, 6) and table.y.shape == (300,)
    assert set(table.effects) == set(table.feature_names)
    assert table.column_indices(table.groups["interaction"]) == [3, 4]


def test_effects_data_without_noise_is_the_documented_function():
    table = data.make_effects_data(n_samples=200, noise=0.0, random_state=2)
    X = table.X
    expected = 2 * X["linear"] + X["square"] ** 2 + 1.5 * (X["step"] > 0) + X["inter_a"] * X["inter_b"]
    np.testing.assert_allclose(table.y, expected)


def test_effects_data_is_deterministic_for_a_seed_and_differs_across_seeds():
    a, b = data.make_effects_data(random_state=4), data.make_effects_data(random_state=4)
    pd.testing.assert_frame_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.allclose(a.y, data.make_effects_data(random_state=5).y)


def test_true_shap_values_satisfy_efficiency_and_have_zero_mean():
    """Rows add up to f(x) - E[f(X)] (E[f] = 1 + 0.75 = 1.75); each column has mean ~0."""
    table = data.make_effects_data(n_samples=20000, noise=0.0, random_state=0)
    truth = data.true_shap_values(table.X)
    np.testing.assert_allclose(truth.sum(axis=1), table.y - 1.75)
    np.testing.assert_allclose(truth.mean(axis=0), 0.0, atol=0.05)
    assert (truth["null"] == 0).all()
    np.testing.assert_array_equal(truth["inter_a"], truth["inter_b"])


def test_true_shap_values_match_exact_shapley_values_on_a_large_background():
    """The closed form equals the Shapley values of the noise-free function (interventional)."""
    shap = pytest.importorskip("shap")
    table = data.make_effects_data(n_samples=600, noise=0.0, random_state=3)
    background = data.make_effects_data(n_samples=400, noise=0.0, random_state=9).X.to_numpy()
    f = data.tabular._effects_function
    x = table.X.to_numpy()[:3]
    explainer = shap.KernelExplainer(f, background, silent=True)
    exact = explainer.shap_values(x, nsamples=2 ** 6, silent=True)
    # The closed form uses population means; a 400-row background differs by sampling error.
    np.testing.assert_allclose(exact, data.true_shap_values(x).to_numpy(), atol=0.25)


def test_true_shap_values_accepts_arrays_and_frames():
    X = data.make_effects_data(n_samples=20, random_state=0).X
    pd.testing.assert_frame_equal(data.true_shap_values(X), data.true_shap_values(X.to_numpy()))


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"n_samples": 5}, ValueError, "n_samples must be >= 10"),
    ({"n_samples": 20.0}, TypeError, "n_samples must be an integer"),
    ({"noise": -1.0}, ValueError, r"noise must lie in \[0.0, None\]"),
    ({"noise": float("inf")}, ValueError, "noise must be finite"),
    ({"random_state": -1}, ValueError, "random_state must be >= 0"),
])
def test_effects_data_rejects_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        data.make_effects_data(**kwargs)


@pytest.mark.parametrize(("X", "error", "match"), [
    (np.zeros((4, 5)), ValueError, r"shape \(n_samples, 6\)"),
    (np.zeros(6), ValueError, "must be 2-D"),
    (np.full((2, 6), np.nan), ValueError, "NaN"),
    (pd.DataFrame(np.zeros((2, 6)), columns=list("abcdef")), ValueError, "must have the columns"),
    ("not a table", TypeError, "numeric 2-D array"),
])
def test_true_shap_values_rejects_bad_input(X, error, match):
    with pytest.raises(error, match=match):
        data.true_shap_values(X)


def test_loan_data_columns_types_and_constraints():
    table = data.make_loan_data(n_samples=500, random_state=1)
    assert table.feature_names == list(data.LOAN_COLUMNS) and table.X.shape == (500, 8)
    assert set(table.y) == {0, 1} and table.logit.shape == (500,)
    assert list(np.flatnonzero(table.categorical_mask)) == [5, 6, 7]
    for name, codes in data.LOAN_CATEGORIES.items():
        assert set(table.X[name]) <= set(range(len(codes)))
    assert table.X["age"].between(21, 70).all() and (table.X[["income", "debt", "savings"]] % 100 == 0).all().all()
    assert set(table.immutable) == {"region", "group"} and set(table.monotone) == {"age", "education"}


def test_loan_data_label_logit_is_the_documented_function():
    table = data.make_loan_data(n_samples=300, random_state=2)
    np.testing.assert_allclose(table.logit, data.loan_logit(table.X.to_numpy(float)))
    X = table.X.to_numpy(float)
    shifted = X.copy()
    shifted[:, 0] += 1000
    np.testing.assert_allclose(data.loan_logit(shifted) - data.loan_logit(X), 0.07)
    b = X.copy()
    b[:, 7] = 1 - b[:, 7]
    np.testing.assert_allclose(np.abs(data.loan_logit(b) - data.loan_logit(X)), 1.5)
    np.testing.assert_allclose(data.loan_logit(X, bias=0.0), data.loan_logit(b, bias=0.0))
    c = X.copy()
    c[:, 6] = (c[:, 6] + 1) % 4  # region has no effect of its own
    np.testing.assert_allclose(data.loan_logit(c), data.loan_logit(X))


def test_loan_data_region_is_a_proxy_of_group_and_income_is_not():
    table = data.make_loan_data(n_samples=4000, random_state=3)
    X = table.X
    west = X.groupby("group")["region"].apply(lambda r: (r == 3).mean())
    assert west[1] > 0.4 and west[0] < 0.1
    assert abs(X.groupby("group")["income"].mean().diff().iloc[-1]) < 1500
    assert table.y[X["group"] == 0].mean() > table.y[X["group"] == 1].mean() + 0.1


def test_loan_income_rises_with_education():
    assert data.loan_income(2, 30, 0, 0) - data.loan_income(1, 30, 0, 0) == 9_000
    assert data.loan_income(0, 21, 2, -1e6) == 8_000


def test_loan_data_is_deterministic_and_rejects_bad_input():
    a, b = data.make_loan_data(random_state=4), data.make_loan_data(random_state=4)
    pd.testing.assert_frame_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    assert not a.X.equals(data.make_loan_data(random_state=5).X)
    with pytest.raises(ValueError):
        data.make_loan_data(n_samples=3)
    with pytest.raises(ValueError):
        data.loan_logit(np.zeros((2, 3)))
