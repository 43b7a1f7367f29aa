"""The autograde pipeline's pieces, each on its own (helpers/grading/): small notebooks fed through
the preprocessors, the output guard on crafted outputs, the IPython verification and the sandbox
in a real kernel (a few seconds each)."""

from __future__ import annotations

import asyncio
import os
import pathlib
import shutil
import sys
import time

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from nbgrader.utils import determine_grade

from helpers.grading import guard, verify
from helpers.grading.cells import module_aliases
from helpers.grading.cells import tests_answered_by as answered_by
from helpers.grading.preprocessors import (
    AUDIT_ERROR,
    GUARD_ERROR,
    AuditCells,
    GuardedExecute,
    GuardTestCells,
    TagRaisingCellsForRelease,
)
from helpers.grading.sandbox import SandboxKernelManager, _readable_by_others, sandbox_problem

ROOT = pathlib.Path(__file__).resolve().parents[1]


def answer(grade_id, source):
    return new_code_cell(source, id=grade_id, metadata={"nbgrader": {
        "grade": False, "solution": True, "locked": False, "grade_id": grade_id, "schema_version": 3}})


def graded(grade_id, source, points=1):
    return new_code_cell(source, id=grade_id, metadata={"nbgrader": {
        "grade": True, "solution": False, "locked": True, "points": points, "grade_id": grade_id,
        "schema_version": 3}})


def plain(source, cell_id):
    return new_code_cell(source, id=cell_id)


def score(cell):
    return determine_grade(cell)[0]


def errors(cell):
    return [o for o in cell.outputs if o.output_type == "error"]


def markdown_output(text):
    return new_output("display_data", data={"text/markdown": text, "text/plain": "<Feedback>"})


PASS = "✅ **Exercise 1.1 taxonomy (correct)**: these visible checks passed."
GRADED = "✅ **Exercise 1.1 taxonomy (correct)**: passed a grading check."
WRONG = "❌ **Exercise 1.1 taxonomy (incorrect)**: the order is (scope, access)."
RECORDED = "📝 **Drill D2 (b) why (recorded)**: answer B recorded."
TEST_SOURCE = 'check.taxonomy(taxonomy)\nfrom helpers.checks import grading_copy\ngrading_copy("ch01").taxonomy.grade(taxonomy)'


# --------------------------------------------------------------------------------------------
# Notebook structure


def notebook():
    return new_notebook(cells=[
        plain("import numpy as np\nfrom helpers.checks import ch01 as check", "imports"),
        answer("a_answer", "def a():\n    return 1"),
        graded("a_test", "check.a(a)"),
        graded("a_test2", "check.a(a)"),
        new_markdown_cell("text", id="md"),
        plain("x = 1", "between"),
        answer("b_answer", "b = 2"),
        graded("b_test", "check.b(b)"),
    ])


def test_each_cell_answers_to_the_tests_that_follow_it():
    nb = notebook()
    assert answered_by(nb, 1) == [2, 3]  # an answer: up to the next answer
    assert answered_by(nb, 6) == [7]
    assert answered_by(nb, 5) == [7]  # any other cell: the next group of tests
    assert answered_by(nb, 0) == [2, 3]


def test_module_aliases_come_from_every_import():
    assert module_aliases(["import numpy as np, sys as s", "from sklearn import inspection", "x = ("]) == {
        "np": "numpy", "s": "sys", "inspection": "sklearn.inspection"}


def test_release_tags_answer_and_test_cells_only():
    nb, _ = TagRaisingCellsForRelease().preprocess(notebook(), {})
    tagged = [c.id for c in nb.cells if "raises-exception" in c.metadata.get("tags", [])]
    assert tagged == ["a_answer", "a_test", "a_test2", "b_answer", "b_test"]


# --------------------------------------------------------------------------------------------
# The audit preprocessor


def test_audit_refuses_a_breaking_answer_and_zeroes_its_tests_only():
    nb = notebook()
    nb.cells[1].source = "import sys\nsys.settrace(None)\ndef a():\n    return 1"
    nb, resources = AuditCells().preprocess(nb, {})
    answer_error, test_error = errors(nb.cells[1])[0], errors(nb.cells[2])[0]
    assert answer_error.ename == AUDIT_ERROR and "line 2" in answer_error.evalue and "trace" in answer_error.evalue
    assert test_error.ename == AUDIT_ERROR and "`a_answer`" in test_error.evalue and "line 2" in test_error.evalue
    assert score(nb.cells[2]) == 0 and score(nb.cells[3]) == 0
    assert not errors(nb.cells[7]) and sorted(resources["grading"]["skip"]) == [1, 2, 3]


def test_audit_cannot_be_dodged_by_editing_metadata_or_adding_cells():
    nb = notebook()
    nb.cells[6].metadata = {}  # the answer made to look like a plain cell
    nb.cells[6].source = "b = 2\nnp.allclose = lambda *a, **k: True"
    nb.cells.insert(4, new_code_cell("import threading", id="added"))  # a new cell before the markdown
    nb, resources = AuditCells().preprocess(nb, {})
    assert errors(nb.cells[4]) and errors(nb.cells[7]) and errors(nb.cells[8])
    assert sorted(resources["grading"]["skip"]) == [4, 7, 8]


def test_audit_trusts_locked_test_cells():
    nb = new_notebook(cells=[answer("a_answer", "a = 1"), graded("a_test", TEST_SOURCE)])
    nb, resources = AuditCells().preprocess(nb, {})
    assert not errors(nb.cells[1]) and resources["grading"]["skip"] == []


def test_audit_in_autograde_trusts_the_gradebook_and_the_notebooks_own_cells(tmp_path, monkeypatch):
    from nbgrader.api import Gradebook
    from nbgrader.preprocessors import OverwriteCells
    from traitlets.config import Config

    own = "import numpy as np\nsklearn_module.flag = True"  # the notebook's own cells may break rules
    setup = [plain(own, f"setup{k}") for k in range(3)]
    source = new_notebook(cells=[*setup, answer("a_answer", "a = 1"), graded("a_test", TEST_SOURCE)])
    (tmp_path / "solutions" / "ch").mkdir(parents=True)
    nbformat.write(source, tmp_path / "solutions" / "ch" / "ch.ipynb")
    db_url = f"sqlite:///{tmp_path}/gradebook.db"
    monkeypatch.setenv("PATH", f"{pathlib.Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")  # alembic
    with Gradebook(db_url) as gradebook:
        gradebook.add_assignment("ch")
        gradebook.add_notebook("ch", "ch")
        gradebook.add_source_cell("a_test", "ch", "ch", cell_type="code", locked=True, source=TEST_SOURCE)
    config = Config()
    config.CourseDirectory.root = str(tmp_path)
    config.CourseDirectory.source_directory = "solutions"
    notice = "# " + OverwriteCells().missing_cell_notification.format(cell_id="a_test")
    submission = new_notebook(cells=[
        plain(own, "setup0"),                                                   # unchanged: trusted
        plain(own + "\nprint('edited')", "setup1"),                             # edited, nothing new: fine
        plain(own + "\nnp.isclose = print", "setup2"),                          # edited, a new violation
        answer("a_answer", "a = 1"),
        graded("a_test", notice + TEST_SOURCE),                                 # re-added by nbgrader: trusted
    ])
    resources = {"nbgrader": {"db_url": db_url, "notebook": "ch", "assignment": "ch", "student": "s"}}
    submission, resources = AuditCells(config=config).preprocess(submission, resources)
    assert [bool(errors(c)) for c in submission.cells] == [False, False, True, False, True]
    assert "np.isclose" in errors(submission.cells[4])[0].evalue and resources["grading"]["skip"] == [2, 4]


# --------------------------------------------------------------------------------------------
# The output guard, on crafted executed notebooks (no kernel)


def guarded(*test_cells):
    nb = new_notebook(cells=[answer("a_answer", "a = 1"), *test_cells])
    nb, _ = GuardTestCells().preprocess(nb, {})
    return nb.cells[1:]


def test_guard_counts_the_checks_a_cell_runs():
    assert guard.count_checks(TEST_SOURCE) == 2
    assert guard.count_checks("grader = grading_copy('ch01').x\ngrader.grade(x, seed=1)\ngrader.grade(x, seed=2)") == 2
    assert guard.count_checks("for s in (1, 2):\n    grader.grade(x, seed=s)\ncheck.x.hint()") == 0


def test_guard_keeps_the_points_of_a_cell_whose_checks_all_passed():
    cell = graded("t", TEST_SOURCE)
    cell.outputs = [markdown_output(PASS), markdown_output(GRADED)]
    (cell,) = guarded(cell)
    assert not errors(cell) and score(cell) == 1


def test_guard_accepts_recorded_answers_and_plain_text_feedback():
    cell = graded("t", 'check.d2_why(d2_why)\ngrading_copy("ch01").d2_why.grade(d2_why, key="B")')
    cell.outputs = [markdown_output(RECORDED),
                    new_output("stream", name="stdout", text="[CORRECT] Drill D2 (b) why: passed a grading check.\n")]
    (cell,) = guarded(cell)
    assert score(cell) == 1


def test_guard_alone_zeroes_a_cell_that_shows_incorrect_without_raising():
    cell = graded("t", TEST_SOURCE)  # e.g. a hook ate the CheckFailed but the feedback was displayed
    cell.outputs = [markdown_output(WRONG), markdown_output(GRADED)]
    (cell,) = guarded(cell)
    assert errors(cell)[0].ename == GUARD_ERROR and "INCORRECT" in errors(cell)[0].evalue and score(cell) == 0


def test_guard_alone_zeroes_a_swallowed_cell():
    silent = graded("silent", TEST_SOURCE)  # a run_cell wrapper or a transformer that dropped the checks
    half = graded("half", TEST_SOURCE)  # the hidden check swallowed, the visible one shown
    half.outputs = [markdown_output(PASS)]
    credit = graded("credit", TEST_SOURCE)  # a rewritten cell that displays a number: nbgrader's partial credit
    credit.outputs = [new_output("execute_result", data={"text/plain": "1.0"}, execution_count=1)]
    for cell in guarded(silent, half, credit):
        assert errors(cell)[0].ename == GUARD_ERROR and "shows 0 passing" in errors(cell)[0].evalue \
            or "shows 1 passing" in errors(cell)[0].evalue
        assert score(cell) == 0


def test_guard_leaves_cells_that_already_failed_alone():
    cell = graded("t", TEST_SOURCE)
    cell.outputs = [new_output("error", ename="CheckFailed", evalue="x", traceback=["CheckFailed: x"])]
    (cell,) = guarded(cell)
    assert [o.ename for o in errors(cell)] == ["CheckFailed"]


def test_guard_restores_an_audit_error_that_execution_replaced():
    nb = notebook()
    nb.cells[1].source = "exec('a = 1')"
    nb, resources = AuditCells().preprocess(nb, {})
    nb.cells[2].outputs = [markdown_output(PASS)]  # as if a plain Execute had run it anyway
    nb, _ = GuardTestCells().preprocess(nb, resources)
    assert errors(nb.cells[2])[0].ename == AUDIT_ERROR and score(nb.cells[2]) == 0


def _reply(text, status="ok"):
    value = {"status": status, "data": {"text/plain": repr(text)}}
    return {"content": {"status": "ok", "user_expressions": {"verdict": value}}}


def test_verdict_needs_the_nonce_line():
    nonce = verify.new_nonce()
    assert verify.verdict(nonce, _reply(f"{verify.MARK} {nonce} OK")) is None
    assert "did not run" in verify.verdict(nonce, None)
    assert "did not run" in verify.verdict(nonce, {"content": {"status": "error", "evalue": "boom"}})
    assert "did not run" in verify.verdict(nonce, _reply(f"{verify.MARK} {'0' * 16} OK"))
    assert "did not run" in verify.verdict(nonce, _reply(f"{verify.MARK} {nonce} OK", status="error"))
    failed = _reply(f"{verify.MARK} {nonce} FAIL: shell.run_cell was replaced")
    assert verify.verdict(nonce, failed) == "shell.run_cell was replaced"
    with pytest.raises(ValueError):
        verify.snippet("not hex; import os")
    compile(verify.expression(nonce), "<expression>", "eval")


# --------------------------------------------------------------------------------------------
# In a real kernel: the verification of IPython's machinery, and the sandbox


HOOKS = {
    "input transformer": "get_ipython().input_transformers_post.append(lambda lines: ['pass\\n'])",
    "AST transformer": "import ast\nclass Drop(ast.NodeTransformer):\n    def visit_Module(self, node):\n"
                       "        node.body = []\n        return node\nget_ipython().ast_transformers.append(Drop())",
    "run_cell wrapper": "ip = get_ipython()\nold = ip.run_cell\nip.run_cell = lambda raw_cell, *a, **k: old('pass', *a, **k)",
    "cleanup transformer": "get_ipython().input_transformers_cleanup.insert(0, lambda lines: lines)",
}


def _execute(nb, sandbox=False, tmp_path=None, course=None):
    executor = GuardedExecute(timeout=60, kernel_name="python3")
    executor.config.SandboxKernelManager.sandbox = sandbox
    executor.config.SandboxKernelManager.course_roots = [str(ROOT)]  # as nbgrader_config.py
    if course is not None:
        executor.config.CourseDirectory.root = str(course)
    resources = {"metadata": {"path": str(tmp_path)}} if tmp_path else {}
    nb, _ = executor.preprocess(nb, resources)
    return nb


def test_verification_alone_zeroes_the_test_after_each_ipython_hook():
    cells = [plain("def check(x):\n    print('checked', x)", "setup")]
    for k, hook in enumerate(HOOKS.values()):
        cells += [answer(f"hook{k}_answer", hook), graded(f"hook{k}_test", f"check({k})")]
    cells.append(graded("after_test", "check('after')"))
    nb = _execute(new_notebook(cells=cells))
    for k, name in enumerate(HOOKS):
        cell = nb.cells[2 + 2 * k]
        assert errors(cell) and errors(cell)[0].ename == GUARD_ERROR, (name, cell.outputs)
        assert score(cell) == 0
    after = nb.cells[-1]  # the verification removed the hooks: the next test runs clean
    assert not errors(after) and "checked after" in after.outputs[0].text


def test_verification_passes_a_clean_kernel_and_dead_kernel_cells_score_0():
    nb = new_notebook(cells=[plain("import matplotlib.pyplot as plt\nplt.plot([1, 2])", "plot"),
                             graded("clean_test", "print('fine')"),
                             answer("exit_answer", "import os\nos._exit(0)"),
                             graded("exit_test", "print('never')")])
    nb = _execute(nb)
    assert not errors(nb.cells[1]) and nb.cells[1].outputs[-1].text == "fine\n"
    assert errors(nb.cells[3])[0].ename == "DeadKernelError" and score(nb.cells[3]) == 0


SECRETS = ("solutions/01-importance/01-importance.ipynb", "gradebook.db", "submitted/other/01-importance/x.ipynb",
           "autograded/other/01-importance/x.ipynb", "feedback/other/01-importance/x.html", ".exchange/x/inbound/y")


@pytest.mark.skipif(sandbox_problem() is not None, reason=f"no sandbox here: {sandbox_problem()}")
def test_sandbox_alone_hides_the_course_from_the_kernel(tmp_path):
    course = tmp_path / "course"
    for secret in SECRETS:
        (course / secret).parent.mkdir(parents=True, exist_ok=True)
        (course / secret).write_text("the answer key")
    work = course / "autograded" / "me" / "01-importance"
    work.mkdir(parents=True)
    (work / "data.csv").write_text("1,2\n")
    probe = "\n".join([
        "import os, sys, helpers",
        f"course = {str(course)!r}",
        f"secrets = {list(SECRETS)!r}",
        "seen = [s for s in secrets if os.path.exists(os.path.join(course, s))]",
        "seen += [p for p in (os.path.join(os.path.dirname(helpers.__file__), '..', 'solutions'),)"
        " if os.path.exists(p)]",
        "print('seen', seen, 'cwd', sorted(os.listdir('.')), 'data', open('data.csv').read().strip())",
    ])
    nb = _execute(new_notebook(cells=[plain(probe, "probe")]), sandbox=True, tmp_path=work, course=course)
    text = nb.cells[0].outputs[-1].text
    assert "seen [] " in text and "'data.csv'" in text and "data 1,2" in text, nb.cells[0].outputs


@pytest.mark.skipif(sandbox_problem() is not None, reason=f"no sandbox here: {sandbox_problem()}")
def test_sandbox_kernel_cannot_undo_it_or_change_the_course(tmp_path):
    code = "\n".join([
        "import os, subprocess",
        "caps = [l.split()[1] for l in open('/proc/self/status') if l.startswith(('CapEff', 'CapBnd'))]",
        "umount = subprocess.run(['umount', '/tmp'], capture_output=True).returncode",
        f"try:\n    open({str(ROOT / 'helpers' / '__init__.py')!r}, 'a').close()\n    wrote = True\n"
        "except OSError:\n    wrote = False",
        "print(caps, umount != 0, wrote, len([p for p in os.listdir('/proc') if p.isdigit()]))",
    ])
    nb = _execute(new_notebook(cells=[plain(code, "escape")]), sandbox=True, tmp_path=tmp_path)
    assert nb.cells[0].outputs[-1].text.startswith("['0000000000000000', '0000000000000000'] True False"), \
        nb.cells[0].outputs


@pytest.mark.skipif(sandbox_problem() is not None, reason=f"no sandbox here: {sandbox_problem()}")
def test_sandbox_overhead_per_kernel_is_small(tmp_path):
    async def start(sandbox):
        km = SandboxKernelManager(kernel_name="python3")
        km.sandbox = sandbox
        begin = time.perf_counter()
        await km.start_kernel(cwd=str(tmp_path))
        client = km.client()
        client.start_channels()
        await client.wait_for_ready(timeout=60)
        elapsed = time.perf_counter() - begin
        client.stop_channels()
        await km.shutdown_kernel(now=True)
        return elapsed

    plain_s = min(asyncio.run(start(False)) for _ in range(2))
    sandboxed_s = min(asyncio.run(start(True)) for _ in range(2))
    print(f"kernel start: plain {plain_s:.2f} s, sandboxed {sandboxed_s:.2f} s")
    assert sandboxed_s < plain_s + 1.0


def test_sandbox_can_be_turned_off_and_warns_where_unavailable(monkeypatch, caplog):
    km = SandboxKernelManager(kernel_name="python3")
    monkeypatch.setattr("helpers.grading.sandbox.sandbox_problem", lambda: "the sandbox needs Linux (this is plan9)")
    launched = []

    async def fake_launch(self, cmd, **kw):
        launched.append(cmd)

    monkeypatch.setattr("jupyter_client.manager.AsyncKernelManager._async_launch_kernel", fake_launch)
    with caplog.at_level("WARNING"):
        asyncio.run(km._async_launch_kernel(["python", "-m", "ipykernel_launcher"]))
    assert launched == [["python", "-m", "ipykernel_launcher"]]
    assert any("sandbox OFF" in r.getMessage() and "plan9" in r.getMessage() for r in caplog.records)
    km.sandbox = False  # off on purpose: no warning, the plain command
    caplog.clear()
    asyncio.run(km._async_launch_kernel(["python", "-m", "ipykernel_launcher"]))
    assert launched[-1] == ["python", "-m", "ipykernel_launcher"] and not caplog.records


def test_nobody_is_chosen_only_when_it_can_read_the_environment(tmp_path):
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    (private / "module.py").write_text("x = 1")
    assert _readable_by_others(shutil.which("sh")) and not _readable_by_others(str(private / "module.py"))
    km = SandboxKernelManager(kernel_name="python3")
    km.user = "root"
    assert km.kernel_user() is None


def test_the_hidden_paths_cover_the_course_and_keep_the_environment(tmp_path):
    km = SandboxKernelManager(kernel_name="python3")
    km.config.CourseDirectory.root = str(tmp_path)
    km.config.CourseDirectory.db_url = f"sqlite:///{tmp_path}/elsewhere/gradebook.db"
    km.config.Exchange.root = "/srv/exchange"
    km.course_roots = [str(ROOT)]
    km.connection_file = str(tmp_path / "runtime" / "kernel-1.json")
    hidden, kept = km.hidden_paths(), km.kept_paths()
    assert {str(tmp_path), str(ROOT), "/srv/exchange", str(tmp_path / "runtime")} <= set(hidden)
    assert f"{tmp_path}/elsewhere/gradebook.db" in hidden
    assert os.path.realpath(ROOT / "helpers") in kept


def test_nbgrader_config_uses_these_preprocessors():
    from traitlets.config.loader import PyFileConfigLoader
    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    names = [p if isinstance(p, str) else p.__name__ for p in config.Autograde.autograde_preprocessors]
    assert names[:3] == ["AuditCells", "GuardedExecute", "GuardTestCells"]
    assert names.index("GuardTestCells") < names.index("nbgrader.preprocessors.SaveAutoGrades")
    assert config.SandboxKernelManager.sandbox is True


def test_solution_test_cells_are_counted():
    for path in sorted((ROOT / "solutions").glob("*/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade") and not meta.get("solution") and cell.cell_type == "code":
                assert guard.count_checks(cell.source) >= 2, (path.name, meta["grade_id"])


def test_the_visible_check_audits_the_cell_that_assigned_the_passed_name():
    """In a kernel, as a student runs it: the visible check reads back the answer cell of the name it
    was passed, not another cell bound to the same (interned) object."""
    cells = [plain("from helpers.checks import ch01 as check", "imports"),
             plain('d2_why = "C"\nimport os', "breaking"), plain('other = "C"', "clean"),
             plain("check.d2_why(d2_why)", "flagged"),
             plain('d2_why = "C"', "fixed"), plain('junk = "C"\nimport os', "unrelated"),
             plain("check.d2_why(d2_why)", "passes")]
    nb = new_notebook(cells=cells)
    NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True).execute()
    text = ["".join(str(o.get("text", o.get("data", {}).get("text/plain", ""))) for o in cell.outputs)
            for cell in nb.cells]
    assert "breaks a grading rule" in text[3] and errors(nb.cells[3]), nb.cells[3].outputs
    assert "breaks a grading rule" not in text[6] and not errors(nb.cells[6]), nb.cells[6].outputs
