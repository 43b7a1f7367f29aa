"""The nbgrader pipeline end to end, on generated submissions, with the project's nbgrader_config.py.

One scratch course holds every chapter. Per chapter, students submit: the solution, the blank
release, the alternative-correct answers, and three wrong submissions (every exercise wrong; even
exercises wrong and odd ones right; the reverse), so that each wrong answer must lose exactly its
own test cells' points. Attacks on the grader are chapter-independent and run on chapter 01 only,
packed several to a submission (one per answer cell, each on a wrong answer): tampering with test
cells, IPython and Python hooks, threads, trace functions, a reference's ``__wrapped__``, compiled
library source, patched numpy / scikit-learn / shap / grading_copy, the answer key read from the
instructor's files, string resolvers and re-exported ``sys`` reaching frames, an endless cell and a
crashing kernel. A chapter whose catalogue has ``MORE_ALTERNATIVES`` (``torch.func``, a copied model)
submits them too, for full marks. Each must score 0 on the cell it attacks
while the other cells keep their marks. Two autograde processes (one per core) grade disjoint
halves of the students.
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

from helpers.audit import RULES, audit
from helpers.grading.cells import tests_answered_by as answered_by
from helpers.grading.preprocessors import AUDIT_ERROR
from helpers.grading.sandbox import sandbox_problem
from tests.notebook_tools import ROOT, catalogue, chapters, grade_id, is_answer, is_test, read, replace_answers

pytestmark = pytest.mark.pipeline

BIN = pathlib.Path(sys.executable).parent
CHEAT_CHAPTER = "01-importance"
SHARDS = ("a", "b")

# The attacks, each attacking one test cell whose answer is wrong (it must score 0, the other cells keep
# their marks). Appended to a wrong answer where the attack only helps a wrong answer pass.
SHOWTRACEBACK = "get_ipython().showtraceback = lambda *args, **kwargs: None\n"
EXCEPTHOOK = "import sys\nsys.excepthook = lambda *args: None\n"
MONKEYPATCH = """
import helpers.checks._core as _core
import helpers.checks.ch01 as _ch01
_core.Exercise.run = lambda self, *a, **k: _core.Feedback(self.title, _core.Outcome.CORRECT, "ok")
_core.Exercise.__call__ = lambda self, *a, **k: None
_ch01.grouped_permutation_importance.check = lambda *a, **k: None
check = _ch01
"""
ALWAYS_EQUAL = """
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
"""
THREAD = """
import threading

def permutation_importance(model, X, y, *, n_repeats=5, random_state=None):
    from sklearn.inspection import permutation_importance as library
    box = {}
    worker = threading.Thread(target=lambda: box.update(result=library(
        model, X, y, n_repeats=n_repeats, random_state=random_state).importances))
    worker.start()
    worker.join()
    return box["result"]
"""
WRAPPED = """
def grouped_permutation_importance(model, X, y, groups, *, n_repeats=5, random_state=None):
    original = lib.joint_permutation_importance.__wrapped__
    return np.array([original(model, X, y, g, n_repeats=n_repeats, random_state=random_state) for g in groups])
"""
TRACE_OFF = """
import sys

def permutation_importance(model, X, y, *, n_repeats=5, random_state=None):
    from sklearn.inspection import permutation_importance as library
    watcher = sys.gettrace()
    sys.settrace(None)
    try:
        return library(model, X, y, n_repeats=n_repeats, random_state=random_state).importances
    finally:
        sys.settrace(watcher)
"""
COMPILED = """
import sklearn.inspection._permutation_importance as library_module
namespace = {"__name__": "sklearn.inspection._mine", "__package__": "sklearn.inspection"}
with open(library_module.__file__) as handle:
    exec(compile(handle.read(), "<mine>", "exec"), namespace)

def grouped_permutation_importance(model, X, y, groups, *, n_repeats=5, random_state=None):
    result = namespace["permutation_importance"](model, X, y, n_repeats=n_repeats, random_state=random_state)
    return np.array([result.importances[g].sum(axis=0) for g in groups])
"""
NUMPY_PATCH = """
np.allclose = lambda *args, **kwargs: True
np.isclose = lambda a, b, *args, **kwargs: np.ones(np.shape(a), dtype=bool)
np.array_equal = lambda *args, **kwargs: True
np.testing.assert_allclose = lambda *args, **kwargs: None
"""
ORACLE_PATCH = """
import sklearn.inspection
from sklearn.utils import Bunch
import shap

def agreeing(estimator, X, y, *, n_repeats=5, random_state=None, **kwargs):
    values = permutation_importance(estimator, np.asarray(X), np.asarray(y), n_repeats=n_repeats,
                                    random_state=random_state)
    return Bunch(importances=values, importances_mean=values.mean(axis=1), importances_std=values.std(axis=1))

sklearn.inspection.permutation_importance = agreeing
inspection.permutation_importance = agreeing
shap.TreeExplainer.shap_values = lambda self, X, **kwargs: np.zeros(np.shape(X))
"""
METRICS_PATCH = """
import sklearn.metrics
sklearn.metrics.r2_score = lambda y_true, y_pred, **kwargs: 1.0
"""
GRADING_COPY_PATCH = """
import helpers.checks
helpers.checks.grading_copy = lambda chapter: check
"""
INPUT_TRANSFORMER = """
def skip_checks(lines):
    return [line for line in lines if "grade(" not in line and "check." not in line]

get_ipython().input_transformers_post.append(skip_checks)
"""
AST_TRANSFORMER = """
import ast

class DropChecks(ast.NodeTransformer):
    def visit_Expr(self, node):
        text = ast.unparse(node)
        return None if "check" in text or "grade" in text else node

get_ipython().ast_transformers.append(DropChecks())
"""
RUN_CELL = """
shell = get_ipython()
original_run_cell = shell.run_cell

def quiet_run_cell(raw_cell, *args, **kwargs):
    if "grading_copy" in raw_cell or "check." in raw_cell:
        raw_cell = "print('checked')"
    return original_run_cell(raw_cell, *args, **kwargs)

shell.run_cell = quiet_run_cell
"""
READ_SOLUTIONS = r"""
import os, re
d2_why = "A"
folder = os.getcwd()
for _ in range(5):
    folder = os.path.dirname(folder)
    for root in (folder, os.environ.get("COURSE_ROOT", "/"), "/work/main"):
        path = os.path.join(root, "solutions", "01-importance", "01-importance.ipynb")
        if os.path.exists(path):
            found = re.search(r'd2_why, key=\\"(\w)', open(path).read())
            d2_why = found.group(1) if found else d2_why
"""
READ_GRADEBOOK = """
import os, sqlite3
root = os.path.dirname(os.path.dirname(os.path.dirname(os.getcwd())))
try:
    stolen = sqlite3.connect(os.path.join(root, "gradebook.db")).execute("select source from source_cell").fetchall()
except Exception:
    stolen = []
"""
# The interpreter reached by turning a string or another module's attribute into an object: the allowlist
# audit refuses them (rules "interpreter" and "imports"), and the runtime guard would refuse what they reach.
RESOLVER = """
import pkgutil

def permutation_importance(model, X, y, *, n_repeats=5, random_state=None):
    frame = pkgutil.resolve_name("sys")._getframe(1)
    while frame is not None and "imp" not in frame.f_locals:
        frame = frame.f_back
    return np.zeros((X.shape[1], n_repeats)) if frame is None else frame.f_locals["imp"]
"""
REEXPORTED_SYS = """
def grouped_permutation_importance(model, X, y, groups, *, n_repeats=5, random_state=None):
    frames = pd.core.common.sys._current_frames()
    return np.zeros((len(groups), n_repeats)) + len(frames)
"""
KEY_FROM_FRAME = """
d2_why = "A"
def _steal():
    import pydoc
    frame = pydoc.locate("sys")._getframe(0)
    return frame
"""


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
    more = getattr(answers, "MORE_ALTERNATIVES", {})
    if more:  # correct answers in styles an audit found punished (torch.func, a copied model): full marks
        sources = {**solution, **{i: entries[0][1] for i, entries in more.items()}}
        course.submit(shard_of("more"), chapter, replace_answers(release, sources), _expectation(source, set()))


def _add_cheats(course: Course, shard_of):
    chapter = CHEAT_CHAPTER
    source, release, answers = read(chapter), course.release(chapter), catalogue(chapter)
    solution, wrong = _solution_sources(source), {i: answers.WRONG[i][0][1] for i in answers.WRONG}
    delegates = next(source for label, source, _ in answers.WRONG["permutation_importance_answer"]
                     if label == "delegates to scikit-learn")

    def submit(name, sources, attacked, edit=None):
        nb = replace_answers(release, {**solution, **sources})
        if edit is not None:
            edit(nb)
        course.submit(shard_of(name), chapter, nb, _expectation(source, set(attacked)))
        for answer_id in attacked:
            ATTACKED[(name, answer_id)] = sources[answer_id]

    # Tampering: an edited and a deleted test cell (restored from the gradebook), and hooks.
    def tamper(nb):
        for cell in nb.cells:
            if grade_id(cell) == "permutation_importance_test":
                cell.source = "pass  # edited locked test cell"
        nb.cells = [c for c in nb.cells if grade_id(c) != "d2_importances_test"]  # a deleted test cell

    submit("tamper", {
        "taxonomy_answer": wrong["taxonomy_answer"] + SHOWTRACEBACK,
        "permutation_importance_answer": delegates,  # hands the work to scikit-learn, and edits its test
        "grouped_permutation_importance_answer": wrong["grouped_permutation_importance_answer"] + MONKEYPATCH,
        "d2_importances_answer": wrong["d2_importances_answer"],
        "d2_why_answer": ALWAYS_EQUAL,
        "d2_fix_answer": wrong["d2_fix_answer"] + EXCEPTHOOK}, set(_answer_ids(source)), edit=tamper)
    # A cell that never ends and a kernel that exits (os._exit; the audit stops it before it runs, the
    # dead-kernel guard is tested on its own in test_grading_pipeline.py): grading goes on (d2_why is
    # right and keeps its point); and three attacks.
    submit("kill", {
        "taxonomy_answer": "while True:\n    pass\n" + solution["taxonomy_answer"],
        "permutation_importance_answer": THREAD,
        "grouped_permutation_importance_answer": WRAPPED,
        "d2_importances_answer": wrong["d2_importances_answer"] + GRADING_COPY_PATCH,
        "d2_fix_answer": "import os\nos._exit(0)\n"}, set(_answer_ids(source)) - {"d2_why_answer"})
    # The grader's libraries and IPython's hooks attacked; untouched cells keep their marks.
    submit("evade_a", {
        "taxonomy_answer": wrong["taxonomy_answer"] + INPUT_TRANSFORMER,
        "permutation_importance_answer": TRACE_OFF,
        "grouped_permutation_importance_answer": wrong["grouped_permutation_importance_answer"] + NUMPY_PATCH,
        "d2_importances_answer": wrong["d2_importances_answer"] + METRICS_PATCH,
        "d2_why_answer": READ_SOLUTIONS,
        "d2_fix_answer": wrong["d2_fix_answer"] + READ_GRADEBOOK}, set(_answer_ids(source)))
    submit("resolve", {
        "permutation_importance_answer": RESOLVER,
        "grouped_permutation_importance_answer": REEXPORTED_SYS,
        "d2_why_answer": KEY_FROM_FRAME},
        {"permutation_importance_answer", "grouped_permutation_importance_answer", "d2_why_answer"})
    submit("evade_b", {
        "taxonomy_answer": wrong["taxonomy_answer"] + AST_TRANSFORMER,
        "permutation_importance_answer": wrong["permutation_importance_answer"] + ORACLE_PATCH,
        "grouped_permutation_importance_answer": COMPILED,
        "d2_fix_answer": wrong["d2_fix_answer"] + RUN_CELL},
        {"taxonomy_answer", "permutation_importance_answer", "grouped_permutation_importance_answer",
         "d2_fix_answer"})


# (submission, answer cell) -> the attacked answer's source, filled by _add_cheats.
ATTACKED: dict[tuple[str, str], str] = {}
CHEATS = ("tamper", "kill", "evade_a", "evade_b", "resolve")


def _scores(root, student, chapter):
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{root}/gradebook.db") as gradebook:
        notebook = gradebook.find_submission_notebook(chapter, chapter, student)
        return {g.name: (g.auto_score, g.max_score) for g in notebook.grades if g.cell.cell_type == "code"}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    course = Course(root)
    names = ["solution", "blank", "alternative", "wrong1", "wrong2", "wrong3", "more", *CHEATS]
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
    cases += [("more", chapter) for chapter in chapters() if getattr(catalogue(chapter), "MORE_ALTERNATIVES", {})]
    return cases + [(name, CHEAT_CHAPTER) for name in CHEATS if CHEAT_CHAPTER in chapters()]


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
    refused = [o for o in cells["d2_fix_test"].outputs if o.output_type == "error"]
    assert refused and refused[0].ename == AUDIT_ERROR and "os._exit" in refused[0].evalue, cells["d2_fix_test"].outputs
    assert cells["d2_why_test"].get("execution_count"), "grading stopped after the endless cell"


def test_feedback_shows_messages_but_not_hidden_tests(graded):
    course, _ = graded
    student = next(s for s, c in course.expected if s.endswith("-wrong1") and c == CHEAT_CHAPTER)
    _nbgrader("generate_feedback", CHEAT_CHAPTER, f"--student={student}", "--force", root=course.root)
    html = next((course.root / "feedback" / student / CHEAT_CHAPTER).glob("*.html")).read_text()
    for secret in ("BEGIN HIDDEN TESTS", "grading_copy", "key=", '"TCAV": ("global", "specific")'):
        assert secret not in html, f"the feedback shows hidden-test source: {secret!r}"
    # the message of wrong1's permutation_importance (not in the notebook's prose)
    assert "CheckFailed" in html and "the column before was still shuffled" in html, "the feedback lacks the failure messages"


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


def _autograded(course, name):
    student = next(s for s, c in course.expected if c == CHEAT_CHAPTER and s.endswith(f"-{name}"))
    path = course.root / "autograded" / student / CHEAT_CHAPTER / f"{CHEAT_CHAPTER}.ipynb"
    return student, nbformat.read(path, as_version=4)


def test_an_attack_that_breaks_a_rule_is_not_run_and_its_tests_say_which(graded):
    """Every attacked answer cell the audit refuses (the others are wrong answers, a time-out or a
    crash, scored by test_each_test_cell_scores_as_expected) is not run, and its tests name the rule."""
    course, _ = graded
    audited = {key: rules for key, source in ATTACKED.items() if (rules := {v.rule for v in audit(source)})}
    assert len(audited) >= 18, f"only {len(audited)} audited attacks: {sorted(audited)}"
    for (name, answer_id), rules in sorted(audited.items()):
        student, nb = _autograded(course, name)
        scores = _scores(course.root, student, CHEAT_CHAPTER)
        index = next(i for i, c in enumerate(nb.cells) if grade_id(c) == answer_id)
        answer_errors = [o for o in nb.cells[index].outputs if o.output_type == "error"]
        assert answer_errors and answer_errors[0].ename == AUDIT_ERROR, (name, answer_id)
        assert nb.cells[index].execution_count is None, (name, answer_id)
        for test_index in answered_by(nb, index):
            cell = nb.cells[test_index]
            first = cell.outputs[0]
            assert first.output_type == "error" and first.ename == AUDIT_ERROR, (name, answer_id, cell.outputs)
            assert any(RULES[rule] in first.evalue for rule in rules) and f"`{answer_id}`" in first.evalue
            assert scores[grade_id(cell)][0] == 0, (name, answer_id)


def test_feedback_shows_the_audit_message(graded):
    course, _ = graded
    student, _ = _autograded(course, "evade_a")
    _nbgrader("generate_feedback", CHEAT_CHAPTER, f"--student={student}", "--force", root=course.root)
    html = next((course.root / "feedback" / student / CHEAT_CHAPTER).glob("*.html")).read_text()
    assert AUDIT_ERROR in html and RULES["trace"] in html and "permutation_importance_answer" in html
    assert audit(TRACE_OFF.strip("\n"))[0].message in html  # the line, the code and the rule


def test_the_grading_kernel_ran_in_the_sandbox(graded):
    course, logs = graded
    if sandbox_problem() is None:
        assert not any("grading sandbox OFF" in log for log in logs)
    else:
        assert any("grading sandbox OFF" in log for log in logs)


def test_score_table_is_printed_for_the_record(graded, capsys):
    """The autograded points per submission and chapter, printed in the test log (a table for notes)."""
    course, _ = graded
    rows = {}
    for (student, chapter) in course.expected:
        scores = _scores(course.root, student, chapter)
        got, top = sum(s for s, _ in scores.values()), sum(m for _, m in scores.values())
        rows.setdefault(chapter, {})[student.split("-", 1)[1]] = f"{got:g}/{top:g}"
    order = ["solution", "blank", "alternative", "wrong1", "wrong2", "wrong3", "more", *CHEATS]
    names = sorted({name for row in rows.values() for name in row}, key=order.index)
    lines = ["| chapter | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    lines += [f"| {chapter} | " + " | ".join(row.get(name, "") for name in names) + " |"
              for chapter, row in sorted(rows.items())]
    with capsys.disabled():
        print("\nautograded points (score/max of the code cells):\n" + "\n".join(lines))
    assert rows and all(row["solution"].split("/")[0] == row["solution"].split("/")[1] for row in rows.values())
