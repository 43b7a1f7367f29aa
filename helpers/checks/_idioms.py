"""Check idioms every chapter uses, written once.

- :func:`close`: the one closeness test (relative to the expected values' scale).
- :class:`Pitfall` and :func:`diagnose`: name the chapter's pitfall that the answer matches, then
  compare with the oracle.
- :func:`check_seeded`: the same ``random_state`` gives the same result, another one another result.
- :func:`inputs_unchanged`: the answer did not modify the arrays it was given.
- :class:`Spy` and :class:`SpyModel`: a function or model handed to the student's code that records
  every input it is called on, so that a check can verify what the answer *did* (which column was
  permuted, which coalitions were evaluated, which perturbations were drawn), not only the number it
  returned.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._calls import Incorrect, as_float_array, call

__all__ = ["DEFAULT_RTOL", "Pitfall", "Spy", "SpyModel", "check_seeded", "close", "diagnose",
           "expect_close", "expect_refit", "inputs_unchanged", "within"]

# Where a task names no dtype, float32 and float64 answers both pass: float32 carries about 7
# significant digits, and sums of a few thousand float32 terms lose about one more; 1e-6 of the
# scale still sits orders of magnitude below the smallest difference any pitfall makes (>= 1e-3).
DEFAULT_RTOL = 1e-6


def close(yours: Any, expected: Any, *, rtol: float = DEFAULT_RTOL, atol: float = 0.0,
          scale: float | None = None) -> bool:
    """``|yours - expected| <= atol + rtol * scale`` everywhere, shapes equal.

    ``scale`` defaults to ``max(1, max |expected|)``: relative for large values, absolute near 0.
    """
    a, b = np.asarray(yours, dtype=float), np.asarray(expected, dtype=float)
    if a.shape != b.shape:
        return False
    if scale is None:
        scale = max(1.0, float(np.max(np.abs(b)))) if b.size else 1.0
    return bool(np.all(np.abs(a - b) <= atol + rtol * scale))


def expect_close(yours: Any, expected: Any, message: str, **tolerance: float) -> None:
    """Raise :class:`Incorrect` with ``message`` unless :func:`close`."""
    if not close(yours, expected, **tolerance):
        raise Incorrect(message)


@dataclass(frozen=True)
class Pitfall:
    """A plausible wrong answer the chapter warns about.

    ``compute(*inputs)`` returns what an answer with this pitfall returns on the check's inputs;
    ``message`` names the mistake and the fix (never the expected value).
    """

    name: str
    compute: Callable[..., Any]
    message: str


def diagnose(yours: Any, expected: Any, pitfalls: tuple[Pitfall, ...] | list[Pitfall], inputs: tuple = (),
             *, otherwise: str, rtol: float = DEFAULT_RTOL, **tolerance: float) -> None:
    """Pass if ``yours`` is close to ``expected``; else name the first matching pitfall, else ``otherwise``.

    A pitfall matches when its result on ``inputs`` is close to ``yours`` while differing from
    ``expected`` (on inputs where the two coincide, no pitfall can be named).
    """
    if close(yours, expected, rtol=rtol, **tolerance):
        return
    for pitfall in pitfalls:
        variant = pitfall.compute(*inputs)
        if close(yours, variant, rtol=rtol, **tolerance) and not close(variant, expected, rtol=rtol, **tolerance):
            raise Incorrect(pitfall.message)
    raise Incorrect(otherwise)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    try:
        x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    except (TypeError, ValueError):
        return False
    return x.shape == y.shape and bool(np.allclose(x, y, rtol=1e-12, atol=1e-12, equal_nan=True))


def check_seeded(run: Callable[[int | None], Any], seed: int, *, varies: bool = True,
                 none_varies: bool = False) -> Any:
    """Run ``run(seed)`` twice and ``run(seed + 1)`` once; return the first result.

    Raises :class:`Incorrect` when the same seed gives different results (global random state, or a
    generator made once outside the function), or, with ``varies``, when another seed gives exactly
    the same result (``random_state`` ignored); with ``none_varies``, when two calls with
    ``random_state=None`` give the same result (None turned into a fixed seed).
    """
    first, again = run(seed), run(seed)
    if not _same(first, again):
        raise Incorrect("two calls with the same random_state gave different results: draw every "
                        "random number from one generator made inside the function from random_state "
                        "(`rng = np.random.default_rng(random_state)`), not from the global np.random.")
    if varies and _same(run(seed + 1), first):
        raise Incorrect("random_state is ignored: another random_state gave exactly the same result.")
    if none_varies and _same(run(None), run(None)):
        raise Incorrect("two calls with random_state=None gave the same result: None means fresh randomness, "
                        "`np.random.default_rng(None)`, not a fixed seed (`random_state or 0` turns None into 0).")
    return first


@contextlib.contextmanager
def inputs_unchanged(**arrays: Any) -> Iterator[None]:
    """Raise :class:`Incorrect` if the student's code modified any of ``arrays`` in place.

    >>> with inputs_unchanged(X=X):
    ...     result = call(answer, model, X, y)
    """
    before = {name: np.array(value, copy=True) for name, value in arrays.items()}
    yield
    for name, value in arrays.items():
        if not np.array_equal(np.asarray(value), before[name], equal_nan=True):
            raise Incorrect(f"your function changed the caller's `{name}` in place: work on a copy "
                            f"(`{name}.copy()`).")


class Spy:
    """A function handed to the student's code: it records every input and what it returned.

    Inputs are 2-D arrays of rows (a single row, 1-D, is recorded as one row and answered with a
    scalar, like a scikit-learn-style model function).
    """

    def __init__(self, function: Callable[[np.ndarray], Any]):
        self.function = function
        self.inputs: list[np.ndarray] = []
        self.outputs: list[np.ndarray] = []

    def __call__(self, Z: Any) -> Any:
        Z = np.array(Z, dtype=float)
        single = Z.ndim == 1
        rows = np.atleast_2d(Z)
        out = np.asarray(self.function(rows))
        self.inputs.append(rows.copy())
        self.outputs.append(out.copy())
        return out[0] if single else out

    def __deepcopy__(self, memo):  # a copy the answer makes still records here
        return self

    @property
    def rows(self) -> np.ndarray:
        """Every row evaluated, in order: (n_evaluated, n_features)."""
        return np.concatenate(self.inputs) if self.inputs else np.empty((0, 0))

    @property
    def n_calls(self) -> int:
        return len(self.inputs)


class SpyModel:
    """A fitted model handed to the student's code: records every matrix passed to its methods.

    ``calls`` holds ``(method, X, result)`` for each call of ``predict``, ``predict_proba``,
    ``decision_function`` or ``score`` (``X`` as a float copy); other attributes are the model's.
    """

    _RECORDED = ("predict", "predict_proba", "decision_function", "score")

    def __init__(self, model: Any):
        self._model = model
        self.calls: list[tuple[str, np.ndarray, Any]] = []

    def __deepcopy__(self, memo):
        """A copy the answer makes (``copy.deepcopy(model)``) is a spy of a copy of the model that records
        into the same ``calls``."""
        twin = SpyModel(copy.deepcopy(self._model, memo))
        twin.calls = self.calls
        return twin

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._model, name)
        if name not in self._RECORDED:
            return attribute

        def recorded(X, *args, **kwargs):
            result = attribute(X, *args, **kwargs)
            self.calls.append((name, np.array(X, dtype=float, copy=True), result))
            return result
        return recorded

    def matrices(self, method: str) -> list[np.ndarray]:
        """The matrices passed to ``method``, in order."""
        return [X for name, X, _ in self.calls if name == method]


def call_protected(answer: Callable, *args: Any, what: str = "your result", shape: tuple | None = None,
                   **kwargs: Any) -> np.ndarray:
    """Call the answer with copies-checked array arguments and return its result as a float array."""
    arrays = {f"argument {k}": a for k, a in enumerate(args) if isinstance(a, np.ndarray)}
    with inputs_unchanged(**arrays):
        result = call(answer, *args, **kwargs)
    return as_float_array(result, what, shape=shape)


def expect_refit(model: Any, reference: Any, X: Any, *, name: str, how: str, params: tuple[str, ...] = ()) -> None:
    """A model the answer fitted (a drill's artefact) must be the one ``how`` describes: ``reference``.

    Checked in the order that names the mistake: the class, the number of columns it was fitted on,
    each of ``params`` the task states (e.g. ``random_state``), then its predictions on ``X``, which
    other rows, another target or other settings change.
    """
    if type(model) is not type(reference):
        raise Incorrect(f"{name} should be the {type(reference).__name__} that {how} returns, got "
                        f"{type(model).__name__}.")
    if (n := getattr(model, "n_features_in_", None)) != X.shape[1]:
        raise Incorrect(f"{name} was fitted on {n} columns, not {X.shape[1]}: fit it as the task says, {how}.")
    for param in params:
        if (yours := model.get_params()[param]) != (wanted := reference.get_params()[param]):
            raise Incorrect(f"{name} was fitted with {param}={yours!r}: fit it with {param}={wanted!r}, as the "
                            "task states.")
    X = np.asarray(X)
    if not close(model.predict(X), reference.predict(X)):
        raise Incorrect(f"{name} does not predict like {how}: was it fitted with other settings, on other rows "
                        "(the test fold?) or another target?")


@contextlib.contextmanager
def within(context: str) -> Iterator[None]:
    """Prefix the message of an :class:`Incorrect` raised in the block with the case it happened in.

    >>> with within("on the two-layer example of section 2"):
    ...     diagnose(yours, expected, pitfalls, otherwise="...")
    """
    try:
        yield
    except Incorrect as failure:
        raise Incorrect(f"{context}: {failure}") from None

