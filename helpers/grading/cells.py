"""What the grading pipeline reads from a notebook's structure: answer and test cells, which test
cells a cell's code answers to, and the module aliases the notebook's imports define."""

from __future__ import annotations

import ast


def nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def is_answer(cell) -> bool:
    """An autograded answer cell: code, nbgrader solution, not graded."""
    meta = nbgrader(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("solution")) and not meta.get("grade")


def is_test(cell) -> bool:
    """An autograder test cell: code, graded, not a solution."""
    meta = nbgrader(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def grade_id(cell) -> str:
    return nbgrader(cell).get("grade_id", "")


def label(cell, index: int) -> str:
    """How a message names a cell: its grade_id, else its position."""
    return grade_id(cell) or f"cell {index + 1}"


def tests_answered_by(nb, index: int) -> list[int]:
    """Indices of the test cells that grade the code of cell ``index``.

    An answer cell answers to the test cells that follow it, up to the next answer cell (as
    ``tests/notebook_tools.tests_of_answers``). Any other cell (a cell the student added, or an
    answer cell whose metadata was edited) answers to the next group of test cells: those after
    it, up to the first answer cell that follows one of them.
    """
    cells, tests = nb.cells, []
    answer = is_answer(cells[index])
    for position in range(index + 1, len(cells)):
        cell = cells[position]
        if is_answer(cell) and (answer or tests):
            break
        if is_test(cell):
            tests.append(position)
    return tests


def module_aliases(sources) -> dict[str, str]:
    """``{name: module}`` for the ``import`` statements of the given cell sources (``np`` -> numpy)."""
    aliases: dict[str, str] = {}
    for source in sources:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    name = alias.asname or alias.name.split(".")[0]
                    aliases[name] = alias.name if alias.asname else alias.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    if alias.name != "*":
                        aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases
