"""Every exercise is declared once (helpers/checks/chNN.py) and every notebook reference resolves:
grade_ids, `check.X`, `lib.X`, `grading_copy("chNN").X`, the sections messages point to, and the
exercise headings."""

import ast
import importlib
import re

import pytest

from helpers.checks._core import Exercise
from helpers.grading.guard import count_checks
from tests.notebook_tools import chapters, grade_id, is_answer, is_test, read

HEADING = re.compile(r"^#+\s*(.+?)\s*$", re.MULTILINE)
META = re.compile(r"\s*\([^()]*\bmin\)\s*$")  # "(medium · importance ★★★ · 20 min)"


def _modules(chapter):
    number = chapter[:2]
    checks = importlib.import_module(f"helpers.checks.ch{number}")
    lib = importlib.import_module(f"helpers.lib.ch{number}")
    return number, checks, lib


def _code(nb):
    return "\n".join(c.source for c in nb.cells if c.cell_type == "code")


def _headings(nb):
    found = set()
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            found |= {META.sub("", h) for h in HEADING.findall(cell.source)}
    return found


@pytest.mark.parametrize("chapter", chapters())
def test_grade_ids_and_exercises_match_one_to_one(chapter):
    _, checks, _ = _modules(chapter)
    nb = read(chapter)
    answers = {grade_id(c).removesuffix("_answer") for c in nb.cells if is_answer(c)}
    tests = {grade_id(c).removesuffix("_test") for c in nb.cells if is_test(c)}
    assert all(grade_id(c).endswith("_answer") for c in nb.cells if is_answer(c))
    assert all(grade_id(c).endswith("_test") for c in nb.cells if is_test(c))
    declared = set(checks.CHAPTER.names)
    assert answers == declared, f"answer cells {sorted(answers)} vs declared exercises {sorted(declared)}"
    assert tests == declared, f"test cells {sorted(tests)} vs declared exercises {sorted(declared)}"
    assert sorted(checks.__all__) == sorted(declared)


@pytest.mark.parametrize("chapter", chapters())
def test_every_check_lib_and_grading_copy_reference_resolves(chapter):
    number, checks, lib = _modules(chapter)
    code = _code(read(chapter))
    for name in set(re.findall(r"\bcheck\.([A-Za-z_]\w*)", code)):
        assert isinstance(getattr(checks, name, None), Exercise), \
            f"check.{name} is not an exercise of chapter {number}: constants and references live in helpers.lib"
    for name in set(re.findall(r"\blib\.([A-Za-z_]\w*)", code)):
        assert hasattr(lib, name), f"lib.{name} does not exist in helpers.lib.ch{number}"
    for module, name in re.findall(r'grading_copy\("(ch\d\d)"\)\.([A-Za-z_]\w*)', code):
        assert module == f"ch{number}", f"chapter {chapter} grades with {module}"
        assert isinstance(getattr(checks, name, None), Exercise), f'grading_copy("{module}").{name} does not resolve'


@pytest.mark.parametrize("chapter", chapters())
def test_every_section_and_exercise_heading_is_in_the_notebook(chapter):
    _, checks, _ = _modules(chapter)
    headings = _headings(read(chapter))
    for exercise in checks.CHAPTER.exercises.values():
        assert exercise.section in headings, f"{exercise.name}: no heading {exercise.section!r} in the notebook"
        if exercise.number[:1].isdigit():
            wanted = f"Exercise {exercise.number} · `{exercise.name}`"
            assert wanted in headings, f"{exercise.name}: no heading {wanted!r}"
        else:
            drill = exercise.number.split()[0]
            assert any(h.startswith(f"Drill {drill} ") for h in headings), f"{exercise.name}: no Drill {drill} heading"


@pytest.mark.parametrize("chapter", chapters())
def test_every_check_in_a_test_cell_is_a_top_level_statement(chapter):
    """The output guard requires one pass line per top-level check (helpers.grading.guard): a check
    inside a loop, a branch or a function would not be required, and could fail unnoticed."""
    for cell in read(chapter).cells:
        if not is_test(cell):
            continue
        tree = ast.parse(cell.source)
        calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                 and (node.func.attr == "grade" or getattr(node.func.value, "id", "") == "check")]
        assert calls and len(calls) == count_checks(cell.source), (
            f"{grade_id(cell)}: every check.<exercise>(...) and .grade(...) must be a statement of its own, at "
            "the top level of the cell")
