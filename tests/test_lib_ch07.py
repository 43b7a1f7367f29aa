"""Unit tests of helpers.lib.ch07: the references against the field's libraries and closed cases, the
test beds (each pitfall answers differently from the optimum), the worked examples and the plots."""

import itertools

import gower
import matplotlib
import numpy as np
import pytest
from fairlearn import metrics as fm

from helpers import plots
from helpers.lib import ch07 as lib

matplotlib.use("Agg")


@pytest.mark.parametrize("seed", range(6))
def test_gower_reference_matches_the_gower_package(seed):
    a, B, ranges, categorical = lib.gower_bed(seed, n_rows=7, n_features=6, n_categorical=2,
                                              zero_range=None if seed % 2 else 1)
    expected = gower.gower_matrix(a[None], B, cat_features=categorical)[0]
    np.testing.assert_allclose(lib.gower_distance(a, B, ranges=ranges, categorical=categorical), expected, rtol=1e-5)


def test_gower_reference_by_hand():
    a, b = np.array([10.0, 1.0, 2.0, 5.0]), np.array([[20.0, 1.0, 3.0, 5.0], [10.0, 2.0, 2.0, 5.0]])
    ranges, categorical = np.array([40.0, 0.0, 0.0, 0.0]), np.array([False, True, True, False])
    # (10/40 + 0 + 1 + 0) / 4 and (0 + 1 + 0 + 0) / 4; the constant last column contributes 0
    np.testing.assert_allclose(lib.gower_distance(a, b, ranges=ranges, categorical=categorical), [0.3125, 0.25])
    assert lib.gower_distance(a, a, ranges=ranges, categorical=categorical) == 0.0


def _brute(case, cost, *, immutable=None, monotone=None):
    x, axes = case["x"], []
    for j, values in enumerate(case["candidates"]):
        values = set(map(float, values)) | {float(x[j])}
        if j in (case["immutable"] if immutable is None else immutable):
            values = {float(x[j])}
        elif j in (case["monotone"] if monotone is None else monotone):
            values = {v for v in values if v >= x[j]}
        axes.append(sorted(values))
    best = None
    for z in itertools.product(*axes):
        z = np.array(z)
        if (z != x).any() and case["model"].predict(z[None])[0] == case["target_class"]:
            c = cost(x, z[None])[0]
            best = (c, z) if best is None or c < best[0] else best
    return best


def _gower_cost(case):
    return lambda x, Z: lib._gower(x, Z, case["ranges"], case["categorical"])


@pytest.mark.parametrize("case", lib.counterfactual_cases() + [lib.counterfactual_bed(s, target_class=s % 2)
                                                              for s in range(8)], ids=lambda c: c["name"])
def test_find_counterfactual_reference_is_the_brute_force_optimum(case):
    keys = ("candidates", "ranges", "categorical", "immutable", "monotone")
    found = lib.find_counterfactual(case["model"], case["x"], case["target_class"], **{k: case[k] for k in keys})
    best = _brute(case, _gower_cost(case))
    if best is None:
        assert found is None
        return
    assert case["model"].predict(found[None])[0] == case["target_class"]
    assert _gower_cost(case)(case["x"], found[None])[0] == pytest.approx(best[0])


def test_each_hand_case_separates_its_pitfall_from_the_optimum():
    cases = {c["name"]: c for c in lib.counterfactual_cases()}
    optimum = {name: _brute(c, _gower_cost(c)) for name, c in cases.items()}
    assert optimum["none"] is None and all(v is not None for k, v in optimum.items() if k != "none")
    c = cases["immutable"]
    assert _brute(c, _gower_cost(c), immutable=())[0] < optimum["immutable"][0] - 1e-3
    c = cases["monotone"]
    assert _brute(c, _gower_cost(c), monotone=())[0] < optimum["monotone"][0] - 1e-3
    c = cases["categorical"]

    def codes(x, Z):
        diff = np.abs(Z - x)
        scaled = np.divide(diff, c["ranges"], out=np.zeros_like(diff), where=c["ranges"] > 0)
        return np.where(c["categorical"], diff, scaled).mean(axis=1)

    assert not np.array_equal(_brute(c, codes)[1], optimum["categorical"][1])
    c = cases["scale"]
    raw = _brute(c, lambda x, Z: np.abs(Z - x).sum(axis=1))[1]
    assert _gower_cost(c)(c["x"], raw[None])[0] > optimum["scale"][0] + 1e-3
    assert cases["refusal"]["target_class"] == 0


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_flip_bed_flips_rows_both_ways_and_the_reference_counts_both(seed):
    model, X, s, values = lib.flip_bed(seed)
    before = model.predict(X)
    up, down = X.copy(), X.copy()
    up[:, s], down[:, s] = 1, 0
    one_way = ((model.predict(up) != before) & (X[:, s] == 0)).mean()
    other_way = ((model.predict(down) != before) & (X[:, s] == 1)).mean()
    assert one_way > 0.1 and other_way > 0.1  # a one-direction answer misses at least a tenth of the rows
    assert lib.flip_rate(model, X, s, values=values) == pytest.approx(one_way + other_way)


def test_flip_rate_of_a_model_that_ignores_the_attribute_is_zero():
    setup = lib.loan_setup(0)
    assert lib.flip_rate(setup.proxy, setup.X_test, lib.GROUP, values=(0, 1)) == 0.0
    assert lib.flip_rate(setup.direct, setup.X_test, lib.GROUP, values=(0, 1)) > 0.2


@pytest.mark.parametrize("groups", [("A", "B"), ("west", "east", "north"), (2, 0, 1)])
def test_metrics_bed_has_both_labels_in_every_group_and_fairlearn_runs(groups):
    y_true, y_pred, s = lib.metrics_bed(1, groups=groups)
    for g in groups:
        assert set(y_true[s == g]) == {0, 1} and set(y_pred[s == g]) == {0, 1}
    assert 0 < fm.demographic_parity_difference(y_true, y_pred, sensitive_features=s) < 1


def test_loan_setup_models_and_constraints():
    setup = lib.loan_setup(0)
    assert setup.X_train.shape == (1400, 8) and setup.X_test.shape == (600, 8)
    assert list(np.flatnonzero(setup.categorical)) == list(lib.CATEGORICAL)
    assert setup.direct.predict(setup.X_test[lib.APPLICANT][None])[0] == 0
    assert setup.proxy.predict(setup.X_test[lib.D7_APPLICANT][None])[0] == 0
    changed = setup.X_test.copy()
    changed[:, lib.GROUP] = 1 - changed[:, lib.GROUP]
    np.testing.assert_array_equal(setup.proxy.predict_proba(changed), setup.proxy.predict_proba(setup.X_test))


def test_candidate_grid_respects_the_constraints_and_the_ranges():
    setup = lib.loan_setup(0)
    x = setup.X_test[lib.APPLICANT]
    grid = lib.candidate_grid(x, setup.X_train)
    lo, hi = setup.X_train.min(axis=0), setup.X_train.max(axis=0)
    for j, values in enumerate(grid):
        assert np.all((values >= lo[j]) & (values <= hi[j]))
    for j in lib.IMMUTABLE:
        assert list(grid[j]) == [x[j]]
    for j in lib.MONOTONE:
        assert np.all(grid[j] >= x[j])


def test_recourse_sentence():
    x = np.array([38_400, 6_200, 4_700, 28, 1, 0, 2, 1], dtype=float)
    z = x + [3_000, -1_200, 0, 2, 1, 2, 0, 0]
    assert lib.recourse_sentence(x, z) == (
        "You would have been approved if your income had been 3,000 higher, your debt had been 1,200 lower, "
        "you had been 2 years older, your education had been master instead of bachelor and your employment had "
        "been part-time instead of salaried.")
    assert lib.recourse_sentence(x, x) == "You are already approved."


def test_act_on_education_follows_the_structural_equation():
    x = np.array([38_400, 6_200, 4_700, 28, 1, 0, 2, 1], dtype=float)
    z = lib.act_on_education(x, levels=5)
    assert z[lib.EDUCATION] == 3 and z[lib.INCOME] == x[lib.INCOME] + 18_000


def test_diverse_counterfactuals_change_different_sets_of_features():
    setup = lib.loan_setup(0)
    x = setup.X_test[lib.APPLICANT]
    options = lib.diverse_counterfactuals(setup.direct, x, 1, k=3, candidates=lib.candidate_grid(x, setup.X_train),
                                          ranges=setup.ranges, categorical=setup.categorical,
                                          immutable=lib.IMMUTABLE, monotone=lib.MONOTONE)
    sets = [frozenset(np.flatnonzero(z != x)) for z in options]
    assert len(set(sets)) == len(sets) == 3 and (setup.direct.predict(options) == 1).all()


def test_plots_return_axes_and_reject_bad_input():
    import pandas as pd
    x = np.zeros(3)
    ax = plots.counterfactual_changes(x, np.array([[1.0, 0, 0], [0, 2.0, 1]]), ["a", "b", "c"],
                                      ranges=np.array([2.0, 4.0, 0.0]))
    assert len(ax.patches) == 6
    with pytest.raises(ValueError, match="agree"):
        plots.counterfactual_changes(x, np.zeros((1, 2)), ["a", "b", "c"], ranges=np.ones(3))
    ax = plots.group_rates(pd.DataFrame({"rate": [0.2, 0.5]}, index=["A", "B"]), legend=False)
    assert ax.get_legend() is None
    ax = plots.recourse_costs({"A": np.array([0.1, 0.2, np.inf]), "B": np.array([0.3, 0.4])})
    assert "n = 2" in ax.get_legend().get_texts()[0].get_text()
    matplotlib.pyplot.close("all")
