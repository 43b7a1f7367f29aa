"""The shared check idioms: closeness, pitfalls, seeded calls, unchanged inputs, spies."""

import re

import numpy as np
import pytest
from sklearn.linear_model import Ridge

from helpers.checks._core import Incorrect
from helpers.checks._idioms import (
    Pitfall,
    Spy,
    SpyModel,
    check_seeded,
    close,
    diagnose,
    expect_close,
    expect_refit,
    inputs_unchanged,
    within,
)
from helpers.models import train_linear


def test_close_is_relative_to_the_scale_and_absolute_near_zero():
    assert close([1000.0], [1000.0005]) and not close([1000.0], [1000.01])
    assert close([1e-9], [0.0]) and not close([1e-5], [0.0])
    assert not close(np.zeros(3), np.zeros(4))                        # shapes must agree
    assert close(np.float32(1 / 3) * np.ones(5), np.ones(5) / 3)       # float32 answers pass
    assert close([0.5], [0.6], atol=0.2) and close([10.0], [11.0], rtol=0.1)
    with pytest.raises(Incorrect, match="off"):
        expect_close([1.0], [2.0], "off")


PITFALLS = (Pitfall("double", lambda x: 2 * x, "you doubled"), Pitfall("negate", lambda x: -x, "wrong sign"))


def test_diagnose_names_the_pitfall_or_falls_back():
    x = np.array([1.0, 2.0])
    diagnose(x, x, PITFALLS, (x,), otherwise="no")                    # correct: nothing raised
    with pytest.raises(Incorrect, match="you doubled"):
        diagnose(2 * x, x, PITFALLS, (x,), otherwise="no")
    with pytest.raises(Incorrect, match="wrong sign"):
        diagnose(-x, x, PITFALLS, (x,), otherwise="no")
    with pytest.raises(Incorrect, match="^no$"):
        diagnose(x + 7, x, PITFALLS, (x,), otherwise="no")
    zero = np.zeros(2)                                                 # a pitfall equal to the truth is no diagnosis
    with pytest.raises(Incorrect, match="^no$"):
        diagnose(zero + 1, zero, PITFALLS, (zero,), otherwise="no")


def test_check_seeded_catches_global_state_and_ignored_seeds():
    assert check_seeded(lambda s: np.random.default_rng(s).random(3), 4).shape == (3,)
    with pytest.raises(Incorrect, match="same random_state gave different results"):
        check_seeded(lambda s: np.random.random(3), 4)
    with pytest.raises(Incorrect, match="random_state is ignored"):
        check_seeded(lambda s: np.random.default_rng(0).random(3), 4)
    assert check_seeded(lambda s: np.ones(2), 4, varies=False).tolist() == [1.0, 1.0]


def test_inputs_unchanged_names_the_modified_array():
    X = np.arange(6.0).reshape(3, 2)
    with inputs_unchanged(X=X):
        X.copy()[0, 0] = 99
    with pytest.raises(Incorrect, match="changed the caller's `X` in place"):
        with inputs_unchanged(X=X):
            X[0, 0] = 99


def test_spy_records_inputs_and_answers_like_the_function():
    spy = Spy(lambda Z: Z.sum(axis=1))
    assert spy(np.ones((2, 3))).tolist() == [3.0, 3.0] and spy(np.ones(3)) == 3.0
    assert spy.n_calls == 2 and spy.rows.shape == (3, 3)


def test_spy_model_records_every_matrix_and_forwards_the_rest():
    X = np.random.default_rng(0).normal(size=(20, 3))
    model = train_linear(X, X @ [1.0, 2.0, 0.0])
    spy = SpyModel(model)
    score = spy.score(X, X @ [1.0, 2.0, 0.0])
    spy.predict(X[:5])
    assert score == pytest.approx(1.0) and [m.shape for m in spy.matrices("score")] == [(20, 3)]
    assert len(spy.matrices("predict")) == 1 and np.allclose(spy.coef_, model.coef_)


def test_expect_refit_names_the_first_difference():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)), rng.normal(size=40)
    reference = Ridge(alpha=1.0).fit(X, y)
    expect_refit(Ridge(alpha=1.0).fit(X.astype(np.float32), y), reference, X, name="m", how="Ridge()", params=("alpha",))
    for model, message in [(Ridge(alpha=2.0).fit(X, y), "alpha=2.0: fit it with alpha=1.0"),
                           (Ridge(alpha=1.0).fit(X[:, :2], y), "fitted on 2 columns, not 3"),
                           (Ridge(alpha=1.0).fit(X[:20], y[:20]), "does not predict like Ridge()"),
                           ([1, 2], "should be the Ridge that Ridge() returns, got list")]:
        with pytest.raises(Incorrect, match=re.escape(message)):
            expect_refit(model, reference, X, name="m", how="Ridge()", params=("alpha",))


def test_within_names_the_case_of_a_failure():
    with pytest.raises(Incorrect, match=r"^on the second case: wrong\.$"):
        with within("on the second case"):
            raise Incorrect("wrong.")
    with within("never shown"):
        pass
