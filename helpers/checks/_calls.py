"""Running the student's code for a check, and what can go wrong when it runs.

A check calls the student's code only through :func:`call`: an exception in it becomes
:class:`StudentError` (reported as ERROR with the call that failed), the ``NotImplementedError``
stub becomes NOT ATTEMPTED, a call of a course reference or, while an exercise forbids it, of the
library the exercise reimplements becomes :class:`Incorrect`. :func:`as_float_array` turns an answer
into numbers before any comparison.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import threading
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

import numpy as np

from helpers import _context
from helpers._context import Delegated as _Delegated

__all__ = ["Incorrect", "StudentError", "as_float_array", "call", "forbidding", "refusal_mark", "refused_since"]


class Incorrect(Exception):
    """Raised by a check function: the answer runs but a property of it is wrong."""


class _NotAttempted(Exception):
    """The answer is the stub (``NotImplementedError``) or ``None``."""


class StudentError(Exception):
    """The student's code raised while the check called it."""

    def __init__(self, call_text: str, error: BaseException):
        super().__init__(call_text)
        self.call_text = call_text
        self.error = error


def _describe(value: Any) -> str:
    """A short description of an argument: shape and type, never the values."""
    if isinstance(value, np.ndarray):
        return f"<array of shape {value.shape}>"
    shape = getattr(value, "shape", None)
    if shape is not None and not callable(shape):
        return f"<{type(value).__name__} of shape {tuple(shape)}>"
    if isinstance(value, (int, float, str, bool)) or value is None:
        return repr(value)
    if isinstance(value, (list, tuple)) and len(value) <= 6:
        return repr(value)
    return f"<{type(value).__name__}>"


# The libraries an exercise asks the student to reimplement, while its check runs: pairs of
# (where their code lives, how to name them), set by Exercise.run and read by call().
_FORBIDDEN: ContextVar[tuple[tuple[str, str], ...]] = ContextVar("forbidden", default=())


def _code_locations(modules: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """``{module name: label}`` -> ``((file or folder prefix, label), ...)`` of the modules' code."""
    locations = []
    for name, label in modules.items():
        module = importlib.import_module(name)
        if hasattr(module, "__path__"):  # a package: every file below its folder
            locations += [(os.path.join(folder, ""), label) for folder in module.__path__]
        else:
            locations.append((module.__file__, label))
    return tuple(locations)


def _watch(locations: tuple[tuple[str, str], ...]) -> tuple[Callable, list[str], list[bool]]:
    """A trace function that notes the files of forbidden libraries whose code starts running, and
    whether it saw the student's own code run (the proof that it watched the answer at all).

    It is called once per new Python frame and returns None, so no line is traced; code that
    makes many small Python calls (a forest's predict) still runs up to about twice as slowly.
    """
    prefixes, seen, student = tuple(prefix for prefix, _ in locations), [], []

    def watch(frame, event, arg):
        if event == "call":
            filename = frame.f_code.co_filename
            if not seen and filename.startswith(prefixes):
                seen.append(filename)
            if not student and _context.student_file(filename):
                student.append(True)
        return None

    return watch, seen, student


def call(function: Callable, *args: Any, **kwargs: Any) -> Any:
    """Call the student's ``function``; classify what it raises.

    ``NotImplementedError`` (the released stub) becomes NOT ATTEMPTED, any other exception
    becomes ERROR with the call shown by the shapes and types of its arguments. A function that
    runs the library the exercise reimplements (see ``Exercise.forbidden``), in this thread or in
    a thread it starts, is INCORRECT; so is one that changes the trace or profile function the
    watch relies on.
    """
    if function is None:
        raise _NotAttempted()
    if not callable(function):
        raise Incorrect(f"expected a function, got a {type(function).__name__}.")
    locations = _FORBIDDEN.get()
    if not locations:
        return _call_student(function, args, kwargs)
    (watch, seen, student), previous = _watch(locations), (sys.gettrace(), sys.getprofile())
    sys.settrace(watch)
    sys.setprofile(watch)        # a second, independent watch: removing one is noticed by the other
    threading.settrace(watch)    # threads the function starts are watched too
    threading.setprofile(watch)
    try:
        result = _call_student(function, args, kwargs)
    except (Incorrect, _NotAttempted, StudentError):
        if not seen:
            raise
        result = None
    finally:
        replaced = sys.gettrace() is not watch or sys.getprofile() is not watch
        sys.settrace(previous[0])
        sys.setprofile(previous[1])
        threading.settrace(None)
        threading.setprofile(None)
    if seen:
        label = next(label for prefix, label in locations if seen[0].startswith(prefix))
        raise Incorrect(f"your function runs {label}, the implementation this exercise asks "
                        "you to write yourself (the checks compare your result with it).")
    if replaced:
        raise Incorrect("your function changed Python's trace or profile function (`sys.settrace`, "
                        "`sys.setprofile`, which debuggers also use), which the checks need: remove "
                        "that from the function.")
    if not student:
        raise Incorrect("the check's trace never saw your own code run (was it switched off, or is the answer a "
                        "library's function under another name?): write the function yourself, in Python, "
                        "and leave the trace alone.")
    return result


def refused_since(mark: tuple[int, int]) -> None:
    """Raise :class:`Incorrect` if student code called a course reference or was refused something by the
    runtime guard (``helpers._context``) since ``mark`` (from :func:`refusal_mark`), even if it caught
    the exception."""
    delegated, refused = _context.DELEGATED[mark[0]:], _context.REFUSED[mark[1]:]
    if delegated:
        raise Incorrect(f"your function calls `{delegated[0]}`, the course's reference implementation: "
                        "write your own.")
    if refused:
        raise Incorrect(f"while the check ran, your code tried to {refused[0]}, which answers may not do (see "
                        "the rules in README.md): the grading refused it.")


def refusal_mark() -> tuple[int, int]:
    return len(_context.DELEGATED), len(_context.REFUSED)


def _call_student(function: Callable, args: tuple, kwargs: dict) -> Any:
    mark = refusal_mark()
    try:
        with _context.student_running():
            result = function(*args, **kwargs)
    except _Delegated:  # recorded in DELEGATED as it was raised: one message, refused_since's
        refused_since(mark)
        raise  # pragma: no cover - refused_since always raises after a delegation
    except NotImplementedError as error:
        refused_since(mark)
        raise _NotAttempted() from error
    except Exception as error:  # the student's code failed: report, never crash the check
        refused_since(mark)
        name = getattr(function, "__name__", "your function")
        parts = [_describe(a) for a in args] + [f"{k}={_describe(v)}" for k, v in kwargs.items()]
        raise StudentError(f"{name}({', '.join(parts)})", error) from error
    refused_since(mark)
    return result


def as_float_array(value: Any, what: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """Convert an answer to a float array, or raise :class:`Incorrect` saying what was expected.

    The conversion happens before any comparison, so an object that overrides ``__eq__`` cannot
    pass a check by claiming equality.
    """
    if value is None:
        raise Incorrect(f"{what} is None: did you forget to `return` it?")
    try:
        array = np.array(value, dtype=float)
    except (TypeError, ValueError) as error:
        raise Incorrect(f"{what} should be a numeric array; got {type(value).__name__} ({error}).") from None
    if shape is not None and array.shape != shape:
        raise Incorrect(f"{what} should have shape {shape}; yours has shape {array.shape}.")
    if not np.all(np.isfinite(array)):
        raise Incorrect(f"{what} contains NaN or infinite values.")
    return array


@contextlib.contextmanager
def forbidding(modules: dict[str, str]):
    """While the block runs, :func:`call` fails a student's function that runs ``modules``
    (``{module name: label}``, a package covers its submodules)."""
    token = _FORBIDDEN.set(_code_locations(modules))
    try:
        yield
    finally:
        _FORBIDDEN.reset(token)
