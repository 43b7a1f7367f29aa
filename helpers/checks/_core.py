"""Exercises and chapters: the one place an exercise is declared, and how it is checked.

An exercise is declared once, as data (:class:`Exercise`): the name of the graded answer (which is
also the notebook's ``grade_id`` prefix and the chapter module's attribute), its number, the section
that teaches it, graduated hints and a *check function*. A chapter's exercises are gathered in a
:class:`Chapter`. The check function receives the student's answer (a function or a value), calls
the student's code only through :func:`~helpers.checks._calls.call`, and raises :class:`Incorrect`
with a message that names the failed property, or :class:`Recorded` for an answer only a key can
judge. :meth:`Exercise.run` turns what happened into a :class:`~helpers.checks._feedback.Feedback`;
calling the exercise (visible cells) or ``.grade`` (hidden tests) displays it and fails the cell
unless the answer passed.
"""

from __future__ import annotations

import dataclasses
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from helpers._context import checking, reference

from . import _integrity
from ._answer_cells import audit_answer_cells, full_explanation, self_study_verdict
from ._calls import (
    Incorrect,
    StudentError,
    _NotAttempted,
    as_float_array,
    call,
    forbidding,
    refusal_mark,
    refused_since,
)
from ._feedback import PASSING, CheckFailed, Feedback, Hint, Outcome, show

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
    check_choice.options = options  # read by tests/test_conventions.py: every option has its explanation
    return check_choice


def _why_not(feedback: Feedback, answers: tuple, explanation: Any) -> Feedback:
    """A wrong letter graded by a hidden test is told why that option is wrong (its own sentence only,
    as in self-study), never the other options' sentences, which would give the key away."""
    if not isinstance(explanation, dict) or not answers or type(answers[0]) is not str:
        return feedback
    letter = answers[0].strip().upper()
    why = explanation.get(letter)
    if not isinstance(why, str) or not why:
        return feedback
    return dataclasses.replace(feedback, message=f"{feedback.message} Why not {letter}: {why}")


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
        with forbidding(self.forbidden):
            return self._run(answers, options)

    def _run(self, answers: tuple, options: dict) -> Feedback:
        mark = refusal_mark()
        try:
            try:
                with warnings.catch_warnings(), checking():
                    # A warning printed to stderr in a test cell makes nbgrader give 0 points: silence
                    # the libraries' warnings while checking, so that only a wrong answer costs points.
                    warnings.simplefilter("ignore")
                    said = self.check(*answers, **options)
            except (Incorrect, _NotAttempted, StudentError, Recorded):
                raise
            except Exception:
                # Raised outside `call`, by an object of the answer's that the check converted (its
                # `__array__` calling a reference, say): a refusal since `mark` is the verdict.
                refused_since(mark)
                raise
            refused_since(mark)  # an answer's object whose methods the check ran (no call()) counts too
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
        broken = audit_answer_cells(answers, self.name, self.chapter)
        if broken:
            self._report(Feedback(self.title, Outcome.INCORRECT,
                                  f"your answer cell breaks a grading rule: {broken}. Answers that "
                                  "reach for the grading machinery or the process score 0 when the "
                                  "notebook is graded (the rules are listed in README.md)."))
        self._report_changed(_integrity.verify(), "by the cells run since the last check")
        feedback = self.run(*answers, **options)
        if feedback.outcome is Outcome.RECORDED:
            feedback = self_study_verdict(self, feedback, answers, options)
        self._report_changed(_integrity.verify(), "while the check ran your answer")
        self._report(feedback)

    def grade(self, *answers: Any, explanation: Any = "", **options: Any) -> None:
        """Like calling the exercise, for hidden tests: other inputs or the key, a plain success line.

        ``explanation`` (hidden tests of recorded answers) is what a self-study verdict shows: one
        sentence per option (``{"A": ..., "B": ...}``) or one for the question.

        The environment is verified before and after the check: a change made by the cells since the
        last check, or by the answer while the check ran, fails this check only, and is undone.
        """
        self._report_changed(_integrity.verify(), "after the checks were loaded")
        feedback = self.run(*answers, **options)
        if feedback.outcome is Outcome.RECORDED:  # a hidden test that forgot the key: never a pass
            feedback = Feedback(self.title, Outcome.ERROR, "the grading check has no answer key.")
        self._report_changed(_integrity.verify(), "while the check ran your answer")
        if feedback.passed:
            feedback = Feedback(self.title, Outcome.CORRECT, "passed a grading check.")
        elif feedback.outcome is Outcome.INCORRECT:
            feedback = _why_not(feedback, answers, explanation)
        self._report(feedback)

    def _report_changed(self, changed: str | None, when: str) -> None:
        if changed:
            self._report(Feedback(self.title, Outcome.INCORRECT,
                                  f"the grading environment was changed {when}: {changed}. Answers may not "
                                  "change modules, classes or functions they did not create (see the rules in "
                                  "README.md). The change was undone, so it costs this check only."))

    @staticmethod
    def _report(feedback: Feedback) -> None:
        show(feedback)
        if feedback.outcome not in PASSING:
            raise CheckFailed(feedback)

    def hint(self, level: int = 1) -> None:
        """Show hint number ``level`` (1 is a nudge; the last is an outline); past the last, say so."""
        if not self.hints:
            show(Hint(f"{self.title}", "No hint for this one: reread the section."))
            return
        if not isinstance(level, int) or level < 1:
            raise ValueError(f"hint level must be an integer >= 1, got {level!r}")
        n = len(self.hints)
        if level > n:
            show(Hint(f"No hint {level} for {self.title}", f"No more hints: hint {n} was the last. Reread the "
                      f"section \"{self.section}\", or compare with the solution notebook when you are done."))
            return
        more = f" Call `.hint({level + 1})` for the next one." if level < n else " This is the last hint."
        show(Hint(f"Hint {level} of {n} for {self.title}.{more}", self.hints[level - 1]))

    def explain(self) -> None:
        """A recorded answer's full explanation, every option's, where the key can be read (self-study)."""
        text = full_explanation(self)
        if text is None:
            show(Hint(self.title, "The explanation comes with the graded notebook (there is no answer key here)."))
        else:
            show(Hint(f"Every option of {self.title}", text or "This exercise has no written explanation."))


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
