"""What a student sees: the outcome of a check, its feedback, hints and the failure of a graded cell.

Display is separate from checking: a check's :class:`Feedback` shows as rich markdown in JupyterLab
and as plain text elsewhere. A graded cell whose answer is not correct raises :class:`CheckFailed`,
whose traceback is a one-line message, never the source lines of the test cell (hidden tests stay
hidden in the feedback). ``helpers.grading.guard`` reads the symbols of these lines.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

__all__ = ["CheckFailed", "Feedback", "Hint", "Outcome", "PASSING", "show"]


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
PASSING = (Outcome.CORRECT, Outcome.RECORDED)


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


def show(obj: Any) -> None:
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
