"""The machinery shared by every chapter's answer checks.

An exercise is declared once, as data (:class:`Exercise`): the name of the graded answer (which is
also the notebook's ``grade_id`` prefix and the chapter module's attribute), its number, the section
that teaches it, graduated hints and a *check function*. A chapter's exercises are gathered in a
:class:`Chapter`, the one place they are declared. The check function receives the student's answer (a function or a value) and
raises :class:`Incorrect` with a message that names the failed property; it calls the student's code
only through :func:`call`, so that an exception in the student's code is reported as ERROR (with the
call that failed) and the ``NotImplementedError`` stub as NOT ATTEMPTED.

Display is separate from checking: :meth:`Exercise.run` returns a :class:`Feedback` (rich markdown in
JupyterLab, plain text elsewhere); calling the exercise displays it and, when the answer is not
correct, raises :class:`CheckFailed` so that nbgrader takes the cell's points. The traceback of a
``CheckFailed`` is a one-line message, never the source lines of the test cell (hidden tests stay
hidden in the feedback).
"""

from __future__ import annotations

import enum
import importlib
import linecache
import os
import sys
import threading
import traceback
import warnings
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from helpers._context import IN_STUDENT_CODE, reference
from helpers._context import Delegated as _Delegated

from . import _audit, _integrity, _keys

__all__ = [
    "Chapter",
    "CheckFailed",
    "choice",
    "Recorded",
    "Exercise",
    "Feedback",
    "Incorrect",
    "Outcome",
    "as_float_array",
    "call",
    "reference",
    "StudentError",
]


class Outcome(enum.Enum):
    """The outcomes of a check. RECORDED: an answer only the grader can judge (a multiple-choice
    letter, a classification) has the right form; it is neither right nor wrong yet."""

    NOT_ATTEMPTED = "not attempted"
    ERROR = "error"
    INCORRECT = "incorrect"
    RECORDED = "recorded"
    CORRECT = "correct"


_SYMBOL = {
    Outcome.NOT_ATTEMPTED: "⏳",
    Outcome.ERROR: "💥",
    Outcome.INCORRECT: "❌",
    Outcome.RECORDED: "📝",
    Outcome.CORRECT: "✅",
}
# The outcomes that let a test cell run on (and keep its points when nothing else fails).
_PASSING = (Outcome.CORRECT, Outcome.RECORDED)


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


def _watch(locations: tuple[tuple[str, str], ...]) -> tuple[Callable, list[str]]:
    """A trace function that notes the files of forbidden libraries whose code starts running.

    It is called once per new Python frame and returns None, so no line is traced; code that
    makes many small Python calls (a forest's predict) still runs up to about twice as slowly.
    """
    prefixes, seen = tuple(prefix for prefix, _ in locations), []

    def watch(frame, event, arg):
        if not seen and event == "call" and frame.f_code.co_filename.startswith(prefixes):
            seen.append(frame.f_code.co_filename)
        return None

    return watch, seen


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
    (watch, seen), previous = _watch(locations), (sys.gettrace(), sys.getprofile())
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
    return result


def _call_student(function: Callable, args: tuple, kwargs: dict) -> Any:
    token = IN_STUDENT_CODE.set(True)
    try:
        return function(*args, **kwargs)
    except _Delegated as delegated:
        raise Incorrect(f"your function calls `{delegated}`, the course's reference implementation: "
                        "write your own.") from None
    except NotImplementedError as error:
        raise _NotAttempted() from error
    except Exception as error:  # the student's code failed: report, never crash the check
        name = getattr(function, "__name__", "your function")
        parts = [_describe(a) for a in args] + [f"{k}={_describe(v)}" for k, v in kwargs.items()]
        raise StudentError(f"{name}({', '.join(parts)})", error) from error
    finally:
        IN_STUDENT_CODE.reset(token)


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


class Recorded(Exception):
    """Raised by a check function: the answer has the right form; only the answer key can judge it."""


def choice(options: str) -> Callable[..., None]:
    """The check function of a multiple-choice question with the given option letters.

    Without ``key`` (the visible check) it validates the form and raises :class:`Recorded`; with
    the ``key`` (passed only by a hidden test) it grades.
    """
    def check_choice(answer: Any, *, key: str | None = None) -> None:
        if type(answer) is not str:  # exact str: no object may fake equality
            raise Incorrect(f"answer with one letter as a string, one of {list(options)}; got "
                            f"{type(answer).__name__}.")
        letter = answer.strip().upper()
        if letter not in options or len(letter) != 1:
            raise Incorrect(f"answer with one of {list(options)}; got {answer!r}.")
        if key is None:
            raise Recorded(f"answer {letter} recorded.")
        if letter != key:
            raise Incorrect(f"{letter} is not the best explanation. Reread the section and the options.")
    return check_choice


@dataclass(frozen=True)
class Feedback:
    """What a check concluded, with a message for the student."""

    title: str
    outcome: Outcome
    message: str
    details: str = ""

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.CORRECT

    def __repr__(self) -> str:  # the text/plain of the display: the same line as in a terminal
        return str(self)

    def __str__(self) -> str:
        head = f"[{self.outcome.value.upper()}] {self.title}: {self.message}"
        return head + (f"\n{self.details}" if self.details else "")

    def _repr_markdown_(self) -> str:
        body = f"{_SYMBOL[self.outcome]} **{self.title} ({self.outcome.value})**: {self.message}"
        if self.details:
            body += f"\n\n```text\n{self.details}\n```"
        return body


class CheckFailed(AssertionError):
    """Raised in a graded cell when the answer is not correct.

    IPython prints the lines of ``_render_traceback_`` instead of a traceback, so a failed check
    shows its message and never the source of the (possibly hidden) test cell.
    """

    def __init__(self, feedback: Feedback):
        super().__init__(str(feedback))
        self.feedback = feedback

    def _render_traceback_(self) -> list[str]:
        return [f"CheckFailed: {line}" if i == 0 else line
                for i, line in enumerate(str(self.feedback).splitlines())]


def _show(obj: Any) -> None:
    """Rich display inside IPython, plain text anywhere else."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython ships with the course
        print(obj)
        return
    if get_ipython() is None:
        print(obj)
    else:
        display(obj)


@dataclass(frozen=True)
class Hint:
    """One level of a graduated hint."""

    title: str
    text: str

    def __str__(self) -> str:
        return f"{self.title}\n{self.text}"

    def _repr_markdown_(self) -> str:
        return f"💡 **{self.title}**\n\n{self.text}"


@dataclass
class Exercise:
    """A checked exercise, declared once: call it with the answer, or ask for ``hint()``.

    Parameters
    ----------
    name : str
        The graded function or value, e.g. ``"permutation_importance"``. It is also the chapter
        module's attribute (``check.permutation_importance``) and the prefix of the notebook's
        ``grade_id`` s (``permutation_importance_answer``, ``permutation_importance_test``).
    number : str
        ``"1.2"`` for an exercise, ``"D2 (a)"`` for a part of a drill.
    section : str
        The notebook heading (without the ``#``) of the section that explains the method; every
        failure message points to it. A test checks that the heading exists.
    check : callable
        ``check(*answers, **options)``: raises :class:`Incorrect` when a property fails, or
        :class:`Recorded` for an answer only the key can judge; may return a sentence that replaces
        the default success message.
    hints : list of str
        Graduated hints, from a nudge to an outline (never the code).
    heading : str, optional
        What a drill part asks (``"why"``, ``"the fix"``); exercises are titled by their name.
    forbidden : dict of str to str
        The libraries that implement what the exercise asks for, ``{module: label}`` (a package
        covers its submodules), e.g. ``{"shap": "the shap library"}``. If their code runs inside the
        student's function while the check calls it, the answer is INCORRECT. The checks themselves
        still use these libraries as oracles.
    """

    name: str
    number: str
    section: str
    check: Callable[..., Any]
    hints: list[str] = field(default_factory=list)
    heading: str = ""
    forbidden: dict[str, str] = field(default_factory=dict)
    chapter: str = ""  # set by the Chapter that declares the exercise

    @property
    def title(self) -> str:
        if self.number[:1].isdigit():
            return f"Exercise {self.number} {self.name}"
        return f"Drill {self.number} {self.heading or self.name}"

    def run(self, *answers: Any, **options: Any) -> Feedback:
        """Check the answer(s) and return the feedback; never raises for the student's faults."""
        if not answers or any(answer is None for answer in answers):
            return Feedback(self.title, Outcome.NOT_ATTEMPTED, "no answer yet (the value is None).")
        token = _FORBIDDEN.set(_code_locations(self.forbidden))
        try:
            return self._run(answers, options)
        finally:
            _FORBIDDEN.reset(token)

    def _run(self, answers: tuple, options: dict) -> Feedback:
        try:
            with warnings.catch_warnings():
                # A warning printed to stderr in a test cell makes nbgrader give 0 points: silence
                # the libraries' warnings while checking, so that only a wrong answer costs points.
                warnings.simplefilter("ignore")
                said = self.check(*answers, **options)
        except _NotAttempted:
            return Feedback(self.title, Outcome.NOT_ATTEMPTED,
                            "not attempted yet: replace `raise NotImplementedError()` with your code.")
        except StudentError as failure:
            error = failure.error
            # Show the student's frames only (skip the frame of `call`).
            student_tb = error.__traceback__.tb_next if error.__traceback__ else None
            trace = "".join(traceback.format_exception(type(error), error, student_tb)[-4:])
            return Feedback(self.title, Outcome.ERROR,
                            f"your code raised `{type(error).__name__}: {error}` when called as "
                            f"`{failure.call_text}`.", details=trace.rstrip())
        except Incorrect as failure:
            return Feedback(self.title, Outcome.INCORRECT,
                            f"{failure} (See the section \"{self.section}\"; `.hint()` helps.)")
        except Recorded as recorded:
            return Feedback(self.title, Outcome.RECORDED,
                            f"{recorded} It is neither right nor wrong yet: it is graded when the "
                            "notebook is graded.")
        if isinstance(said, str):
            return Feedback(self.title, Outcome.CORRECT, said)
        return Feedback(self.title, Outcome.CORRECT,
                        "these visible checks passed. More checks (other seeds, shapes and edge "
                        "cases) run when the notebook is graded.")

    def __call__(self, *answers: Any, **options: Any) -> None:
        """Check, display the feedback, and raise :class:`CheckFailed` unless correct or recorded.

        A recorded answer gets an instant verdict where the answer key can be read (a self-study
        clone that has solutions/); in a class, where students have only course/, it stays recorded.
        """
        broken = _audit_answer_cells(answers)
        if broken:
            self._report(Feedback(self.title, Outcome.INCORRECT,
                                  f"your answer cell breaks a grading rule: {broken}. Answers that "
                                  "reach for the grading machinery or the process score 0 when the "
                                  "notebook is graded (the rules are listed in README.md)."))
        feedback = self.run(*answers, **options)
        if feedback.outcome is Outcome.RECORDED:
            feedback = _self_study_verdict(self, feedback, answers, options)
        self._report(feedback)

    def grade(self, *answers: Any, explanation: str = "", **options: Any) -> None:
        """Like calling the exercise, for hidden tests: other inputs or the key, a plain success line.

        ``explanation`` (hidden tests of recorded answers) is what a self-study verdict shows.
        """
        changed = _integrity.verify()
        if changed:
            self._report(Feedback(self.title, Outcome.INCORRECT,
                                  f"the grading environment was changed: {changed} after the checks "
                                  "were loaded. Answers may not change modules, classes or functions "
                                  "they did not create (see the rules in README.md); no check can "
                                  "trust its oracle now."))
        feedback = self.run(*answers, **options)
        if feedback.outcome is Outcome.RECORDED:  # a hidden test that forgot the key: never a pass
            feedback = Feedback(self.title, Outcome.ERROR, "the grading check has no answer key.")
        if feedback.passed:
            feedback = Feedback(self.title, Outcome.CORRECT, "passed a grading check.")
        self._report(feedback)

    @staticmethod
    def _report(feedback: Feedback) -> None:
        _show(feedback)
        if feedback.outcome not in _PASSING:
            raise CheckFailed(feedback)

    def hint(self, level: int = 1) -> None:
        """Show hint number ``level`` (1 is a nudge; the last is an outline)."""
        if not self.hints:
            _show(Hint(f"{self.title}", "No hint for this one: reread the section."))
            return
        if not isinstance(level, int) or level < 1:
            raise ValueError(f"hint level must be an integer >= 1, got {level!r}")
        level = min(level, len(self.hints))
        more = (f" Call `.hint({level + 1})` for the next one." if level < len(self.hints)
                else " This is the last hint.")
        _show(Hint(f"Hint {level} of {len(self.hints)} for {self.title}.{more}",
                   self.hints[level - 1]))


def _answer_cell_sources(answers: tuple) -> list[str]:
    """The notebook cells that defined the answers (IPython only): a function's cell is read back
    from its code's file name; a value's is the last executed cell that assigns a name bound to it."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with the course
        return []
    shell = get_ipython()
    if shell is None:
        return []
    history = list(shell.user_ns.get("In", []))
    sources = []
    for answer in answers:
        code = getattr(answer, "__code__", None)
        if code is not None and (lines := linecache.getlines(code.co_filename)):
            sources.append("".join(lines))
            continue
        names = {name for name, value in list(shell.user_ns.items())
                 if value is answer and not name.startswith("_")}
        for cell in reversed(history):
            if any(f"{name} =" in cell or f"{name}=" in cell for name in names):
                sources.append(cell)
                break
    return sources


def _audit_answer_cells(answers: tuple) -> str:
    """The first audit violation in the cells that defined the answers, as a sentence ('' if none)."""
    for source in _answer_cell_sources(answers):
        violations = _audit.audit(source)
        if violations:
            return violations[0].message
    return ""


def _self_study_verdict(exercise: Exercise, recorded: Feedback, answers: tuple, options: dict) -> Feedback:
    """Grade a recorded answer with the key of the solution notebook, where there is one."""
    found = _keys.answer_key(exercise.chapter, exercise.name)
    if found is None:
        return recorded
    feedback = exercise.run(*answers, **{**options, **found.options})
    text = f" {found.explanation}" if found.explanation else ""
    if feedback.passed:
        return Feedback(exercise.title, Outcome.CORRECT,
                        f"right (self-study: the key was read from solutions/).{text}")
    if feedback.outcome is Outcome.INCORRECT:
        return Feedback(exercise.title, Outcome.INCORRECT,
                        f"{feedback.message} (Self-study: the key was read from solutions/.){text}")
    return feedback


class Chapter:
    """The exercises of one chapter: the one place each is declared, looked up by name.

    A check module ends with ``CHAPTER = Chapter("01", [...])`` and ``__getattr__ = CHAPTER.attribute``,
    so that ``check.permutation_importance`` is the exercise named ``"permutation_importance"``.
    Declaring a chapter also records the state of the libraries the checks use as oracles (see
    ``_integrity``), before any answer cell of the notebook has run.
    """

    def __init__(self, number: str, exercises: list[Exercise]):
        self.number = number
        self.exercises = {exercise.name: exercise for exercise in exercises}
        if len(self.exercises) != len(exercises):
            raise ValueError(f"chapter {number}: two exercises share a name")
        for exercise in exercises:
            exercise.chapter = number
        _integrity.snapshot()

    @property
    def names(self) -> list[str]:
        return list(self.exercises)

    def attribute(self, name: str) -> Exercise:
        """Module ``__getattr__``: the exercise called ``name``."""
        try:
            return self.exercises[name]
        except KeyError:
            raise AttributeError(f"chapter {self.number} has no exercise or attribute {name!r}") from None
