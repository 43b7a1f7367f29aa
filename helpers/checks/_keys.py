"""Answer keys for self-study: read from the hidden tests of the solution notebooks, if present.

Multiple-choice and classification answers can only be *recorded* by a visible check: their keys
live in the hidden tests of solutions/, never in course/ or in this package. A self-study student
works in a clone that has solutions/, so the visible check can give an instant verdict there (and so
does ``nbgrader validate``, so that Validate never says Success while the check says wrong); in a
class the students receive only course/ (and the graders run in a sandbox that cannot read
solutions/), so :func:`answer_key` finds nothing and the answer stays recorded.
"""

from __future__ import annotations

import ast
import json
import os
import pathlib
from dataclasses import dataclass, field

SOLUTIONS = pathlib.Path(__file__).resolve().parents[2] / "solutions"


@dataclass(frozen=True)
class Key:
    """The keyword arguments a hidden test passes to ``grade`` (``key=...``) and its explanation: one
    sentence per option (``{"A": ..., "B": ...}``) or one for the whole question."""

    options: dict = field(default_factory=dict)
    explanation: dict | str = ""

    def of(self, letter: str) -> str:
        """What explains this one option (nothing when the explanation is not split by option)."""
        return self.explanation.get(letter, "") if isinstance(self.explanation, dict) else ""

    def full(self) -> str:
        """Every option's explanation, the key's first."""
        if not isinstance(self.explanation, dict):
            return str(self.explanation)
        key = self.options.get("key")
        order = sorted(self.explanation, key=lambda letter: (letter != key, letter))
        return " ".join(f"{letter}: {self.explanation[letter]}" for letter in order)


def _hidden_test_sources(chapter: str, solutions: pathlib.Path):
    for path in sorted(solutions.glob(f"{chapter}-*/*.ipynb")):
        try:
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        except (OSError, ValueError, KeyError):
            continue
        for cell in cells:
            source = "".join(cell.get("source", ""))
            if cell.get("cell_type") == "code" and "BEGIN HIDDEN TESTS" in source:
                yield source


def _grade_call(tree: ast.AST, name: str):
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "grade"
                and isinstance(node.func.value, ast.Attribute) and node.func.value.attr == name
                and any(k.arg == "key" for k in node.keywords)):
            return node
    return None


def answer_key(chapter: str, name: str, *, solutions: pathlib.Path = SOLUTIONS) -> Key | None:
    """The key of exercise ``name`` of chapter ``chapter`` ("01"), or None where it cannot be read."""
    if os.environ.get("NBGRADER_EXECUTION") == "autograde":  # grading: the hidden tests carry the key
        return None
    if not chapter or not solutions.is_dir():
        return None
    for source in _hidden_test_sources(chapter, solutions):
        try:
            node = _grade_call(ast.parse(source), name)
        except SyntaxError:
            continue
        if node is None:
            continue
        try:
            values = {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg}
        except ValueError:  # a key that is not a literal cannot be read here
            return None
        explanation = values.pop("explanation", "")
        if not isinstance(explanation, dict):
            explanation = str(explanation)
        return Key(options={"key": values["key"]}, explanation=explanation)
    return None
