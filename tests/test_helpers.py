"""Unit tests of helpers: data, models, plots, validation, seeding, fresh grading copies."""

import random

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import helpers  # noqa: E402
from helpers import data, models, plots  # noqa: E402
from helpers.checks import grading_copy  # noqa: E402

# ---------------------------------------------------------------------------------------- data

def test_importance_data_has_the_documented_columns_and_truth():
    table = data.make_importance_data(n_samples=500, random_state=3)
    assert table.feature_names == ["strong", "medium", "weak", "null", "twin_a", "twin_b",
                                   "interact", "switch", "id"]
    assert table.X.shape == (500, 9) and table.y.shape == (500,)
    assert set(table.effects) == set(table.feature_names)
    assert sorted(table.X["id"]) == list(range(500))              # a unique row number
    assert set(table.X["medium"]) == {0, 1, 2} and set(table.X["weak"]) == {0, 1}
    assert np.corrcoef(table.X["twin_a"], table.X["twin_b"])[0, 1] > 0.97
    assert table.column_indices(table.groups["twins"]) == [4, 5]


def test_importance_data_recovers_its_coefficients():
    """Least squares on the generating terms gives back the documented effects."""
    table = data.make_importance_data(n_samples=20000, twin_corr=0.99, random_state=0)
    X = table.X
    z = (X["twin_a"] + X["twin_b"]) / 2 / np.sqrt(0.99)
    design = np.column_stack([X["strong"], X["medium"], X["weak"], z, X["switch"],
                              (2 * X["switch"] - 1) * X["interact"], np.ones(len(X))])
    coef, *_ = np.linalg.lstsq(design, table.y, rcond=None)
    np.testing.assert_allclose(coef[:6], [2.0, 1.0, 1.5, 1.5, 2.0, 1.5], atol=0.06)


def test_data_is_deterministic_for_a_seed_and_differs_across_seeds():
    a, b = data.make_importance_data(random_state=1), data.make_importance_data(random_state=1)
    pd.testing.assert_frame_equal(a.X, b.X)
    assert not np.allclose(a.y, data.make_importance_data(random_state=2).y)


def test_linear_data_closed_form_inputs():
    X, y, coef = data.make_linear_data(1000, 3, coef=[1.0, -2.0, 0.0], correlated=(0, 1), corr=0.9,
                                       noise=0.0, random_state=0)
    np.testing.assert_allclose(y, X @ coef)
    assert np.corrcoef(X[:, 0], X[:, 1])[0, 1] > 0.85 and abs(np.corrcoef(X[:, 0], X[:, 2])[0, 1]) < 0.1


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"n_samples": 5}, ValueError, "n_samples must be >= 10"),
    ({"n_samples": 100.5}, TypeError, "n_samples must be an integer"),
    ({"noise": float("nan")}, ValueError, "noise must be finite"),
    ({"twin_corr": 1.0}, ValueError, r"twin_corr must lie in \[0.0, 0.9999\]"),
    ({"random_state": "0"}, TypeError, "random_state must be an integer"),
])
def test_importance_data_rejects_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        data.make_importance_data(**kwargs)


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"coef": [1.0, 2.0]}, ValueError, r"coef must have shape \(4,\)"),
    ({"correlated": (0, 9)}, ValueError, "correlated columns must be < n_features=4"),
    ({"n_features": 0}, ValueError, "n_features must be >= 1"),
])
def test_linear_data_rejects_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        data.make_linear_data(**kwargs)


def test_column_indices_names_the_unknown_column():
    with pytest.raises(ValueError, match=r"unknown columns \['nope'\]"):
        data.make_importance_data(n_samples=50).column_indices(["strong", "nope"])


# -------------------------------------------------------------------------------------- models

def test_forest_is_seeded_and_fits():
    X, y, _ = data.make_linear_data(300, 3, random_state=0)
    a, b = models.train_forest(X, y, n_estimators=10), models.train_forest(X, y, n_estimators=10)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    assert a.score(X, y) > 0.8
    labels = (y > 0).astype(int)
    assert models.train_forest(X, labels, task="classification", n_estimators=10).score(X, labels) > 0.9


def test_linear_model_recovers_coefficients():
    X, y, coef = data.make_linear_data(500, 4, noise=0.0, random_state=0)
    np.testing.assert_allclose(models.train_linear(X, y).coef_, coef, atol=1e-10)


@pytest.mark.parametrize(("X", "y", "kwargs", "error", "match"), [
    (np.ones(10), np.ones(10), {}, ValueError, r"X must be 2-D of shape \(n_samples, n_features\)"),
    (np.ones((10, 2)), np.ones(9), {}, ValueError, "y must have 10 entries"),
    (np.full((10, 2), np.nan), np.ones(10), {}, ValueError, "X contains NaN"),
    ([["a", "b"]], [1.0], {}, TypeError, "X must be a numeric 2-D array"),
    (np.ones((10, 2)), np.ones(10), {"task": "ranking"}, ValueError, "task must be one of"),
    (np.ones((10, 2)), np.ones(10), {"n_estimators": 0}, ValueError, "n_estimators must be >= 1"),
])
def test_forest_rejects_bad_input(X, y, kwargs, error, match):
    with pytest.raises(error, match=match):
        models.train_forest(X, y, **kwargs)


# --------------------------------------------------------------------------------------- plots

def test_importance_bars_sorts_and_labels():
    ax = plots.importance_bars([0.1, 0.5, 0.2], ["a", "b", "c"], errors=[0.01, 0.02, 0.03], title="t")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "c", "b"]  # largest on top
    assert ax.get_title() == "t" and ax.get_xlabel() == "importance"
    plt.close("all")


def test_importance_comparison_draws_one_bar_per_cell():
    table = pd.DataFrame({"m1": [0.5, 0.5], "m2": [0.9, 0.1]}, index=["x", "y"])
    ax = plots.importance_comparison(table)
    assert len(ax.patches) == 4 and [t.get_text() for t in ax.get_legend().get_texts()] == ["m1", "m2"]
    plt.close("all")


def test_taxonomy_map_places_methods_in_their_quadrant():
    ax = plots.taxonomy_map({"LIME": ("Local", "Model agnostic"), "MDI": ["Global", "Model-specific"]})
    texts = {t.get_text(): t.get_position() for t in ax.texts if t.get_text()}
    assert texts["LIME"][0] < 1 < texts["MDI"][0]      # agnostic left, specific right
    assert texts["LIME"][1] < 1 < texts["MDI"][1]      # local bottom, global top
    plt.close("all")


@pytest.mark.parametrize(("place", "accepted"), [
    (("Local", "Model agnostic"), True), (["GLOBAL", "model-specific"], True), ((" local ", "Model_agnostic"), True),
    (("local", "black-box"), False), (("agnostic", "local"), False), (("local",), False),
    ("local agnostic", False), ((1, 2), False),
])
def test_taxonomy_vocabulary_is_one_for_the_map_and_the_check(place, accepted):
    """helpers.lib.ch01.normalise_place is the one rule: the map and exercise 1.1's check agree."""
    from helpers.checks import ch01 as check
    from helpers.lib import ch01 as lib
    try:
        lib.normalise_place(place)
        normalised = True
    except ValueError:
        normalised = False
    try:
        plots.taxonomy_map({"LIME": place})
        drawn = True
    except ValueError:
        drawn = False
    plt.close("all")
    outcome = check.taxonomy.run(lambda method: lib.WORKED_EXAMPLES.get(method, place)).outcome.value
    assert normalised == drawn == (outcome == "recorded") == accepted, outcome


# ------------------------------------------------------------------------------ chapter 01 library

def test_importance_setup_is_the_notebook_split_and_hands_out_copies():
    from helpers.lib import ch01 as lib
    first = lib.importance_setup(0)
    assert first.X_train.shape == (1400, 9) and first.X_test.shape == (600, 9)
    assert isinstance(first.y_test, np.ndarray) and first.twins == [4, 5]
    assert first.forest.n_features_in_ == 9 and first.forest.random_state == 0
    first.X_test.iloc[:, 0] = 0.0                      # changing one copy leaves the next one alone
    again = lib.importance_setup(0)
    assert again.X_test.iloc[:, 0].std() > 0.5
    np.testing.assert_array_equal(again.forest.predict(again.X_test), lib.importance_setup(0).forest.predict(again.X_test))


def test_joint_permutation_importance_of_one_column_is_scikit_learns():
    from sklearn.inspection import permutation_importance

    from helpers.lib import ch01 as lib
    X, y, _ = data.make_linear_data(150, 3, random_state=0)
    model = models.train_linear(X, y)
    expected = permutation_importance(model, X, y, n_repeats=4, random_state=2).importances[1]
    np.testing.assert_allclose(lib.joint_permutation_importance(model, X, y, [1], n_repeats=4, random_state=2),
                               expected)
    both = lib.joint_permutation_importance(model, X, y, [0, 1], n_repeats=50, random_state=0).mean()
    closed_form = 2 * np.var(X[:, :2] @ model.coef_[:2]) / np.var(y)   # least squares with an intercept
    assert abs(both - closed_form) < 0.1 * closed_form


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda: plots.importance_bars([1, 2], ["a"]), ValueError, "names must have 2 entries"),
    (lambda: plots.importance_bars([[1, 2]], ["a", "b"]), ValueError, "values must be 1-D"),
    (lambda: plots.importance_comparison([[1, 2]]), TypeError, "table must be a pandas DataFrame"),
    (lambda: plots.taxonomy_map({"LIME": ("local", "black-box")}), ValueError, "placement of 'LIME'"),
    (lambda: plots.taxonomy_map([("LIME", "local")]), TypeError, "placements must be a dict"),
    (lambda: plots.block_values(np.zeros(4)), ValueError, "values must be 2-D"),
    (lambda: plots.block_values(np.zeros((3, 3)), image=np.zeros((32, 32))), ValueError, "must divide"),
])
def test_plots_reject_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_block_values_writes_every_value_once_without_a_negative_zero():
    import matplotlib.pyplot as plt
    grid = np.array([[0.16, -0.001], [0.25, 0.0]])
    ax = plots.block_values(grid, image=np.full((8, 8), 0.5), title="t", label="l")
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["0.16", "0.00", "0.25", "0.00"] and ax.get_title() == "t"
    signed = plots.block_values(-grid, signed=True, colorbar=False)
    assert [t.get_text() for t in signed.texts] == ["-0.16", "0.00", "-0.25", "0.00"]
    plt.close("all")


# ------------------------------------------------------------------------------ seeds and copies

def test_set_seed_seeds_the_global_generators():
    helpers.set_seed(5)
    first = (random.random(), np.random.rand())
    helpers.set_seed(5)
    assert (random.random(), np.random.rand()) == first
    with pytest.raises(ValueError, match="seed must be >= 0"):
        helpers.set_seed(-1)


def test_importing_helpers_changes_no_global_state():
    import subprocess
    import sys
    code = ("import numpy as np, matplotlib as mpl; np.random.seed(1); a = np.random.rand(); "
            "before = dict(mpl.rcParams); np.random.seed(1); import helpers, helpers.data, helpers.plots, "
            "helpers.models, helpers.checks.ch01; assert np.random.rand() == a; "
            "assert dict(mpl.rcParams) == before")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_grading_copy_is_independent_of_patches():
    from helpers.checks import ch01
    original = ch01.permutation_importance.check
    try:
        ch01.permutation_importance.check = lambda *a, **k: None
        fresh = grading_copy("ch01")
        assert fresh.permutation_importance.check is not ch01.permutation_importance.check
        assert fresh.permutation_importance.run(lambda *a, **k: None).outcome.value == "incorrect"
        assert fresh.permutation_importance.run(lambda *a, **k: 1).outcome.value == "incorrect"
    finally:
        ch01.permutation_importance.check = original


def test_grading_copy_rejects_unknown_chapter():
    with pytest.raises(ValueError, match="no check module named 'ch99'"):
        grading_copy("ch99")
