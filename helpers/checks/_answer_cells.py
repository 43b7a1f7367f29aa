"""What the visible check reads from the notebook: the cells that defined the answers (for the
static audit) and, in a self-study clone, the answer key of a recorded answer.

Both run only in the visible check (``Exercise.__call__``); grading audits every answer cell
outside the kernel (``helpers.grading``) and never reads a key (``_keys``).
"""

from __future__ import annotations

import ast
import linecache

from helpers import audit as _audit

from . import _keys
from ._feedback import Feedback, Outcome

__all__ = ["answer_cell_sources", "audit_answer_cells", "full_explanation", "self_study_verdict"]


def _binds(cell: str, name: str) -> bool:
    """Whether the cell's code assigns ``name`` (read with ast; text search for a cell ast cannot read,
    such as one with a %magic)."""
    try:
        tree = ast.parse(cell)
    except SyntaxError:
        return f"{name} =" in cell or f"{name}=" in cell
    return any((isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id == name)
               or (isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name)
               or (isinstance(node, ast.alias) and (node.asname or node.name) == name)
               for node in ast.walk(tree))


def _argument_names(cell: str, exercise: str) -> list[str | None]:
    """The names of the positional arguments of the call ``<...>.<exercise>(...)`` in ``cell`` (the
    running test cell), None where an argument is not a plain name."""
    try:
        tree = ast.parse(cell)
    except SyntaxError:
        return []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == exercise:
            return [arg.id if isinstance(arg, ast.Name) else None for arg in node.args]
    return []


def answer_cell_sources(answers: tuple, exercise: str, shell) -> list[str]:
    """The notebook cells that defined the answers: a function's cell is read back from its code's
    file name; a value's is the last executed cell that assigns the name the running cell passes
    (``check.d2_fix(X_train_merged, ...)``), or, when it passes no plain name, any name bound to it."""
    history = [cell for cell in shell.user_ns.get("In", []) if isinstance(cell, str)]
    passed = _argument_names(history[-1], exercise) if history else []
    sources = []
    for k, answer in enumerate(answers):
        code = getattr(answer, "__code__", None)
        if code is not None and (lines := linecache.getlines(code.co_filename)):
            sources.append("".join(lines))
            continue
        if k < len(passed) and passed[k]:
            names = {passed[k]}
        else:
            names = {name for name, value in list(shell.user_ns.items())
                     if value is answer and not name.startswith("_")}
        for cell in reversed(history):
            if any(_binds(cell, name) for name in names):
                sources.append(cell)
                break
    return sources


def audit_answer_cells(answers: tuple, exercise: str, chapter: str | None = None) -> str:
    """The first audit violation in the cells that defined the answers, as a sentence ('' if none).
    Only inside IPython: elsewhere there are no cells."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with the course
        return ""
    shell = get_ipython()
    for source in answer_cell_sources(answers, exercise, shell) if shell is not None else []:
        violations = _audit.audit(source, chapter=chapter)
        if violations:
            return violations[0].message
    return ""


def self_study_verdict(exercise, recorded, answers: tuple, options: dict):
    """Grade a recorded answer with the key of the solution notebook, where there is one.

    A wrong answer is told why its own choice is wrong (the explanation of that option), never the
    whole explanation, which would give the key away; a right one gets every option's explanation.
    """
    found = _keys.answer_key(exercise.chapter, exercise.name)
    if found is None:
        return recorded
    feedback = exercise.run(*answers, **{**options, **found.options})
    if feedback.passed:
        text = f" {found.full()}" if found.full() else ""
        return Feedback(exercise.title, Outcome.CORRECT, f"right (self-study: the key was read from solutions/).{text}")
    if feedback.outcome is Outcome.INCORRECT:
        letter = answers[0].strip().upper() if answers and type(answers[0]) is str else ""
        why = found.of(letter)
        text = f" Why not {letter}: {why}" if why else ""
        return Feedback(exercise.title, Outcome.INCORRECT,
                        f"{feedback.message}{text} (Self-study: the key was read from solutions/; "
                        f"`check.{exercise.name}.explain()` shows every option's explanation.)")
    return feedback


def full_explanation(exercise) -> str | None:
    """Every option's explanation of a recorded exercise, in a self-study clone; None in a class."""
    found = _keys.answer_key(exercise.chapter, exercise.name)
    return None if found is None else (found.full() or "")
