"""KernelSHAP's check when an answer's solve fails: a singular system from infinite weights is the
answer's mistake; one from a sample of too few distinct coalitions (about 2e-4 of the draws at the
boundary n_samples = 2^M - 3, M = 4) is bad luck, and the check draws again instead of failing a correct
answer that uses np.linalg.solve."""

import numpy as np
import pytest

from helpers.checks import ch02 as check
from helpers.checks._core import Incorrect
from helpers.lib import ch02 as lib
from tests.answers import ch02 as answers

UNLUCKY = 123  # the seed on which the answer below draws one coalition only


def _namespace():
    namespace = {"np": np}
    exec(answers.ALTERNATIVE["kernel_shap_answer"], namespace)  # the solve-based alternative
    return namespace["kernel_shap"]


def _unlucky(kernel_shap):
    def answer(f, x, background, *, n_samples, random_state=None):
        if random_state == UNLUCKY:  # every row from one coalition: a singular normal equation
            z = np.arange(len(x)) == 0
            f(np.vstack([np.where(z, x, row) for row in background] * n_samples))
            np.linalg.solve(np.zeros((len(x) - 1, len(x) - 1)), np.ones(len(x) - 1))
        return kernel_shap(f, x, background, n_samples=n_samples, random_state=random_state)
    return answer


def test_a_sample_that_cannot_determine_the_values_is_drawn_again():
    rng = np.random.default_rng(0)
    f, x, background = lib.kernel_problem(rng, 4, 6)
    check._check_sampled(_unlucky(_namespace()), f, x, background, 13, UNLUCKY)


def test_a_singular_solve_on_enough_coalitions_is_the_answers_mistake():
    def infinite(f, x, background, *, n_samples, random_state=None):
        _namespace()(f, x, background, n_samples=n_samples, random_state=random_state)
        np.linalg.solve(np.zeros((3, 3)), np.ones(3))

    f, x, background = lib.kernel_problem(np.random.default_rng(0), 4, 6)
    with pytest.raises(Incorrect, match="infinite kernel weight") as failure:
        check._check_sampled(infinite, f, x, background, 13, 0)
    assert not isinstance(failure.value, check._Underdetermined)
