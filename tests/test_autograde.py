"""The nbgrader pipeline end to end, on generated submissions, with the project's nbgrader_config.py.

One scratch course holds every chapter. Per chapter, students submit: the solution, the blank
release, the alternative-correct answers, and three wrong submissions (every exercise wrong; even
exercises wrong and odd ones right; the reverse), so that each wrong answer must lose exactly its
own test cells' points. Cheats and tampering are chapter-independent and run on chapter 01 only.
Two autograde processes (one per core) grade disjoint halves of the students.
"""

from __future__ import annotations

import csv
import os
import pathlib
import shutil
import subprocess
import sys

import nbformat
import pytest

from tests.notebook_tools import ROOT, catalogue, chapters, grade_id, is_answer, is_test, read, replace_answers

pytestmark = pytest.mark.pipeline

BIN = pathlib.Path(sys.executable).parent
CHEAT_CHAPTER = "01-importance"
SHARDS = ("a", "b")

# Source of the cheats. Each attacks one test cell whose answer is also wrong: it must score 0.
SHOWTRACEBACK = "get_ipython().showtraceback = lambda *args, **kwargs: None\n"
EXCEPTHOOK = "import sys\nsys.excepthook = lambda *args: None\n"
MONKEYPATCH = '''
import helpers.checks._core as _core
import helpers.checks.ch01 as _ch01
_core.Exercise.run = lambda self, *a, **k: _core.Feedback(self.title, _core.Outcome.CORRECT, "ok")
_core.Exercise.__call__ = lambda self, *a, **k: None
_ch01.grouped_permutation_importance.check = lambda *a, **k: None
check = _ch01
'''
ALWAYS_EQUAL = '''
class AlwaysEqual(str):
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    __hash__ = str.__hash__
    def strip(self):
        return self
    def upper(self):
        return self

d2_why = AlwaysEqual("X")
'''


def _nbgrader(*args, root, check=True):
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")  # alembic for a new gradebook
    return subprocess.run([str(BIN / "nbgrader"), *args, f"--CourseDirectory.root={root}"], cwd=ROOT,
                          env=env, check=check, capture_output=True, text=True)


def _answer_ids(nb):
    return [grade_id(c) for c in nb.cells if is_answer(c)]


def _solution_sources(nb):
    return {grade_id(c): c.source for c in nb.cells if is_answer(c)}


class Course:
    """A scratch nbgrader course: releases, submissions and the expected score of every test cell."""

    def __init__(self, root: pathlib.Path):
        self.root = root
        self.expected: dict[tuple[str, str], dict[str, bool]] = {}  # (student, chapter) -> cell -> passes
        for chapter in chapters():  # only the chapters under test (COURSE_CHAPTERS)
            shutil.copytree(ROOT / "solutions" / chapter, root / "solutions" / chapter)
        _nbgrader("generate_assignment", "*", "--force", root=root)

    def release(self, chapter):
        return read(chapter, self.root / "course")

    def submit(self, student, chapter, nb, passes: dict[str, bool]):
        folder = self.root / "submitted" / student / chapter
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / f"{chapter}.ipynb")
        self.expected[(student, chapter)] = passes


def _expectation(source_nb, wrong: set[str]) -> dict[str, bool]:
    """Every test cell passes unless it follows an answer cell in ``wrong``."""
    passes, current = {}, None
    for cell in source_nb.cells:
        if is_answer(cell):
            current = grade_id(cell)
        elif is_test(cell):
            passes[grade_id(cell)] = current not in wrong
    return passes


def _add_chapter_submissions(course: Course, chapter: str, shard_of):
    source, release = read(chapter), course.release(chapter)
    answers, ids = catalogue(chapter), _answer_ids(read(chapter))
    solution = _solution_sources(source)
    everyone = set(ids)
    course.submit(shard_of("solution"), chapter, replace_answers(release, solution), _expectation(source, set()))
    course.submit(shard_of("blank"), chapter, release, _expectation(source, everyone))
    course.submit(shard_of("alternative"), chapter, replace_answers(release, answers.ALTERNATIVE),
                  _expectation(source, set()))
    first = {i: answers.WRONG[i][0][1] for i in ids}
    course.submit(shard_of("wrong1"), chapter, replace_answers(release, first), _expectation(source, everyone))
    for name, parity in (("wrong2", 0), ("wrong3", 1)):
        wrong = {i for k, i in enumerate(ids) if k % 2 == parity}
        sources = {i: (answers.WRONG[i][1][1] if i in wrong else solution[i]) for i in ids}
        course.submit(shard_of(name), chapter, replace_answers(release, sources), _expectation(source, wrong))


def _add_cheats(course: Course, shard_of):
    chapter = CHEAT_CHAPTER
    source, release, answers = read(chapter), course.release(chapter), catalogue(chapter)
    solution, wrong = _solution_sources(source), {i: answers.WRONG[i][0][1] for i in answers.WRONG}
    # Tampering and in-kernel cheats, one per test cell; every attacked answer is wrong.
    sources = dict(solution)
    sources["taxonomy_answer"] = wrong["taxonomy_answer"] + SHOWTRACEBACK
    # hands the work to scikit-learn (the library the exercise reimplements) and edits its test
    sources["permutation_importance_answer"] = next(
        source for label, source, _ in answers.WRONG["permutation_importance_answer"]
        if label == "delegates to scikit-learn")
    sources["grouped_permutation_importance_answer"] = wrong["grouped_permutation_importance_answer"] + MONKEYPATCH
    sources["d2_importances_answer"] = wrong["d2_importances_answer"]
    sources["d2_why_answer"] = ALWAYS_EQUAL
    sources["d2_fix_answer"] = wrong["d2_fix_answer"] + EXCEPTHOOK
    nb = replace_answers(release, sources)
    for cell in nb.cells:
        if grade_id(cell) == "permutation_importance_test":
            cell.source = "pass  # edited locked test cell"
    nb.cells = [c for c in nb.cells if grade_id(c) != "d2_importances_test"]  # a deleted test cell
    course.submit(shard_of("tamper"), chapter, nb, _expectation(source, set(_answer_ids(source))))
    # A cell that never ends and a kernel that exits: grading goes on; only the attacked cells lose.
    sources = dict(solution)
    sources["taxonomy_answer"] = "while True:\n    pass\n" + solution["taxonomy_answer"]
    sources["d2_fix_answer"] = "import os\nos._exit(0)\n"
    course.submit(shard_of("kill"), chapter, replace_answers(release, sources),
                  _expectation(source, {"taxonomy_answer", "d2_fix_answer"}))


def _scores(root, student, chapter):
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{root}/gradebook.db") as gradebook:
        notebook = gradebook.find_submission_notebook(chapter, chapter, student)
        return {g.name: (g.auto_score, g.max_score) for g in notebook.grades if g.cell.cell_type == "code"}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    course = Course(root)
    names = ["solution", "blank", "alternative", "wrong1", "wrong2", "wrong3", "tamper", "kill"]
    shard = {name: SHARDS[k % len(SHARDS)] for k, name in enumerate(names)}

    def shard_of(name):
        return f"{shard[name]}-{name}"

    for chapter in chapters():
        _add_chapter_submissions(course, chapter, shard_of)
    _add_cheats(course, shard_of)
    for student in sorted({s for s, _ in course.expected}):
        _nbgrader("db", "student", "add", student, root=root)
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    runs = [subprocess.Popen([str(BIN / "nbgrader"), "autograde", "*", "--force",
                              f"--CourseDirectory.student_id={prefix}-*", f"--CourseDirectory.root={root}"],
                             cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for prefix in SHARDS]
    logs = [run.communicate()[0] for run in runs]
    (root / "autograde.log").write_text("\n".join(logs))
    return course, logs


def _cases():
    names = ["solution", "blank", "alternative", "wrong1", "wrong2", "wrong3"]
    cases = [(name, chapter) for chapter in chapters() for name in names]
    return cases + [("tamper", CHEAT_CHAPTER), ("kill", CHEAT_CHAPTER)]


@pytest.mark.parametrize(("name", "chapter"), _cases(), ids=lambda v: str(v))
def test_each_test_cell_scores_as_expected(graded, name, chapter):
    course, _ = graded
    student = next(s for s, c in course.expected if c == chapter and s.endswith(f"-{name}"))
    scores = _scores(course.root, student, chapter)
    expected = course.expected[(student, chapter)]
    assert set(expected) <= set(scores), f"grades missing for {set(expected) - set(scores)}"
    wrong = {cell: scores[cell] for cell, passes in expected.items()
             if (scores[cell][0] == scores[cell][1]) != passes}
    assert not wrong, f"{student}/{chapter}: cells scored against expectation (score, max): {wrong}"
    if name == "blank":
        assert all(scores[cell][0] == 0 for cell in expected), "the blank release scores points"


def test_same_submission_graded_twice_gets_the_same_scores(graded):
    course, _ = graded
    student, chapter = next((s, c) for s, c in course.expected if s.endswith("-alternative"))
    before = _scores(course.root, student, chapter)
    _nbgrader("autograde", chapter, "--force", f"--student={student}", root=course.root)
    assert _scores(course.root, student, chapter) == before


def test_infinite_loop_is_stopped_by_the_cell_time_limit(graded):
    course, logs = graded
    autograded = course.root / "autograded" / "b-kill" / CHEAT_CHAPTER / f"{CHEAT_CHAPTER}.ipynb"
    if not autograded.exists():
        autograded = next((course.root / "autograded").glob(f"*-kill/{CHEAT_CHAPTER}/*.ipynb"))
    cells = {grade_id(c): c for c in nbformat.read(autograded, as_version=4).cells}
    errors = [o for o in cells["taxonomy_answer"].outputs if o.output_type == "error"]
    assert errors and errors[0].ename in ("CellTimeoutError", "KeyboardInterrupt"), cells["taxonomy_answer"].outputs
    died = [o for o in cells["d2_fix_test"].outputs if o.output_type == "error"]
    assert died and died[0].ename == "DeadKernelError", cells["d2_fix_test"].outputs


def test_feedback_shows_messages_but_not_hidden_tests(graded):
    course, _ = graded
    student = next(s for s, c in course.expected if s.endswith("-wrong1") and c == CHEAT_CHAPTER)
    _nbgrader("generate_feedback", CHEAT_CHAPTER, f"--student={student}", "--force", root=course.root)
    html = next((course.root / "feedback" / student / CHEAT_CHAPTER).glob("*.html")).read_text()
    for secret in ("BEGIN HIDDEN TESTS", "grading_copy", "key=", '"TCAV": ("global", "specific")'):
        assert secret not in html, f"the feedback shows hidden-test source: {secret!r}"
    assert "CheckFailed" in html and "closed form" in html, "the feedback lacks the failure messages"


def test_grades_export_to_csv(graded):
    course, _ = graded
    out = course.root / "grades.csv"
    _nbgrader("export", f"--to={out}", root=course.root)
    rows = list(csv.DictReader(out.open()))
    solution = [r for r in rows if r["student_id"].endswith("-solution")]
    blank = [r for r in rows if r["student_id"].endswith("-blank")]
    assert len(solution) == len(chapters()) and len(blank) == len(chapters())
    assert all(float(r["raw_score"]) > 0 for r in solution)
    assert all(float(r["raw_score"]) == 0 for r in blank)
