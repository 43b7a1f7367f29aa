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


HINT_LINE = "# Stuck? Uncomment the next line for a hint; each hint says whether another follows."


@pytest.mark.parametrize("chapter", chapters())
def test_every_exercise_has_graduated_hints_and_a_hint_cell_under_its_check(chapter):
    """Two or more hints per exercise (a nudge, then the approach), offered by one cell under the check."""
    _, checks, _ = _modules(chapter)
    cells = read(chapter).cells
    for exercise in checks.CHAPTER.exercises.values():
        assert len(exercise.hints) >= 2, f"{exercise.name}: {len(exercise.hints)} hint(s); give a nudge, then the approach"
        assert all(isinstance(h, str) and len(h) > 20 for h in exercise.hints), f"{exercise.name}: an empty hint"
        position = next(k for k, c in enumerate(cells) if is_test(c) and grade_id(c) == f"{exercise.name}_test")
        following = [c.source for c in cells[position + 1:position + 3] if c.cell_type == "code"]
        wanted = f"{HINT_LINE}\n# check.{exercise.name}.hint()"
        assert wanted in following, f"{exercise.name}: no hint cell right under its test cell reading {wanted!r}"


def _grade_calls(source):
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "grade":
            yield node


_LETTER_PREFIX = re.compile(r"\s*(not [a-z]\b|why not\b|[a-z]\s*[:.)]\s|(right|wrong|correct|incorrect|yes|no)\s*[:.!,])",
                            re.IGNORECASE)


@pytest.mark.parametrize("chapter", chapters())
def test_every_multiple_choice_explains_each_option_on_its_own(chapter):
    """A wrong letter is shown only the sentence about that letter: the hidden test gives one per option,
    as literals (a student's letter must never be answered with the key's explanation)."""
    _, checks, _ = _modules(chapter)
    multiple_choice = {name: exercise for name, exercise in checks.CHAPTER.exercises.items()
                       if hasattr(exercise.check, "options")}
    seen = set()
    for cell in read(chapter).cells:
        if not is_test(cell):
            continue
        for call in _grade_calls(cell.source):
            name = call.func.value.attr if isinstance(call.func.value, ast.Attribute) else None
            if name not in multiple_choice:
                continue
            seen.add(name)
            keywords = {k.arg: k.value for k in call.keywords}
            assert isinstance(keywords.get("key"), ast.Constant), f"{name}: the key must be a literal"
            explanation = keywords.get("explanation")
            assert isinstance(explanation, ast.Dict), f"{name}: explanation= must be a dict, one sentence per option"
            letters = [ast.literal_eval(k) for k in explanation.keys]
            assert sorted(letters) == sorted(multiple_choice[name].check.options), (
                f"{name}: explanations for {sorted(letters)}, options {list(multiple_choice[name].check.options)}")
            assert all(isinstance(v, (ast.Constant, ast.JoinedStr, ast.BinOp)) for v in explanation.values)
            for letter, value in zip(letters, explanation.values):  # the framework names the letter itself
                text = value.value if isinstance(value, ast.Constant) else ""
                assert not _LETTER_PREFIX.match(text), (
                    f"{name}: the explanation of {letter} starts with {text[:12]!r}; the check already prints "
                    f"'Why not {letter}: ' or '{letter}: ' before it")
    assert seen == set(multiple_choice), f"multiple-choice exercises without a graded hidden test: {set(multiple_choice) - seen}"


HOW_IT_WORKS = re.compile(r"\*How this notebook works\.\*.*Run All \(Run > Run All Cells\) goes on past an unsolved "
                          r"exercise, whose check shows\s+⏳ not attempted\.", re.DOTALL)


@pytest.mark.parametrize("chapter", chapters())
def test_the_first_cell_says_how_the_notebook_works(chapter):
    """Every chapter opens with the same paragraph on checks, hints and Run All (the release tags check cells
    raises-exception, so Run All goes on: verified in JupyterLab with a headless browser)."""
    assert HOW_IT_WORKS.search(read(chapter).cells[0].source), f"{chapter}: the 'How this notebook works' paragraph"
