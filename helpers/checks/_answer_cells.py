"""What the visible check reads from the notebook: the cells that defined the answers (for the
static audit) and, in a self-study clone, the answer key of a recorded answer.

Both run only in the visible check (``Exercise.__call__``); grading audits every answer cell
outside the kernel (``helpers.grading``) and never reads a key (``_keys``).
"""

from __future__ import annotations

import linecache

from . import _audit, _keys
from ._feedback import Feedback, Outcome

__all__ = ["audit_answer_cells", "self_study_verdict"]


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


def audit_answer_cells(answers: tuple) -> str:
    """The first audit violation in the cells that defined the answers, as a sentence ('' if none)."""
    for source in _answer_cell_sources(answers):
        violations = _audit.audit(source)
        if violations:
            return violations[0].message
    return ""


def self_study_verdict(exercise, recorded, answers: tuple, options: dict):
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


