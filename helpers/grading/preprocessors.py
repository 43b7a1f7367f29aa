"""The nbgrader preprocessors of this course (configured in ``nbgrader_config.py``).

Release: :class:`TagRaisingCellsForRelease`. Autograde, in this order:

1. :class:`AuditCells` reads every code cell the student could have edited (all but the locked
   cells restored from the gradebook and the notebook's own cells left unchanged) with the static
   audit (``helpers.audit``). A cell that breaks a rule is not run, and the test cells it
   answers to are not run either: they score 0 with an ``AuditFailed`` error that names the rule
   and the line.
2. :class:`GuardedExecute` runs the notebook in the sandboxed kernel (``.sandbox``); before each
   test cell it verifies (and restores) IPython's execution machinery, and a test cell run after a
   failed verification scores 0; when the kernel dies, the cells that never ran score 0.
3. :class:`GuardTestCells` gives 0 to a test cell whose output shows a failed check, or fewer
   passing checks than the cell runs, whatever the execution reply said.
"""

from __future__ import annotations

import json
import os
import re

from nbclient.exceptions import DeadKernelError
from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Bool

from helpers.audit import audit, chapter_of

from . import guard, verify
from .cells import is_answer, is_test, label, module_aliases, tests_answered_by
from .sandbox import SandboxKernelManager

AUDIT_ERROR = "AuditFailed"
GUARD_ERROR = "GradingGuard"
_LINE = re.compile(r"^line \d+: ")


def error_output(ename: str, evalue: str) -> NotebookNode:
    """An error output nbgrader scores 0 and the feedback shows as ``ename: evalue``."""
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def zero(cell, ename: str, evalue: str) -> None:
    """Put an error first in the cell's outputs (nbgrader stops at the first output it can score)."""
    outputs = [o for o in cell.get("outputs", []) if not (o.get("output_type") == "error" and o.get("ename") == ename
                                                            and o.get("evalue") == evalue)]
    cell.outputs = [error_output(ename, evalue)] + outputs


def _grading_state(resources) -> dict:
    return resources.setdefault("grading", {"skip": [], "zeroed": {}})


class TagRaisingCellsForRelease(Preprocessor):
    """Tag the release's answer and test cells ``raises-exception``.

    In the blank release these cells raise (the stub's ``NotImplementedError``, a check that says
    NOT ATTEMPTED). The tag lets ``pytest --nbval-lax course/`` run, and lets a student "Run All"
    past an unsolved exercise, while any other failing cell (imports, data) still fails.
    """

    enabled = True

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and (is_test(cell) or is_answer(cell)):
            tags = cell.metadata.setdefault("tags", [])
            if "raises-exception" not in tags:
                tags.append("raises-exception")
        return cell, resources


class AuditCells(NbGraderPreprocessor):
    """Audit every code cell the student could edit; a cell that breaks a rule and its tests score 0.

    Trusted (not audited): the locked cells of the gradebook (test and read-only cells, which
    ``OverwriteCells`` restored) and cells whose source is one of the source notebook's own
    non-answer cells. Everything else is audited, whatever its metadata says: an answer cell made
    to look like a plain cell, a cell the student added. An edited notebook cell may keep what the
    original cell does (the same violations, by rule and code), nothing more.
    """

    def preprocess(self, nb, resources):
        trusted, originals = self._trusted(nb, resources)
        aliases = module_aliases(c.source for c in nb.cells if c.cell_type == "code")
        info = (resources or {}).get("nbgrader") or {}
        chapter = chapter_of(info.get("assignment") or info.get("notebook"))
        state = _grading_state(resources)
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or cell.source in trusted:
                continue
            waived = originals.get(cell.get("id"), set())
            violations = [v for v in audit(cell.source, modules=aliases, chapter=chapter)
                          if _LINE.sub("", v.message) not in waived]
            if violations:
                self._fail(nb, index, violations, state)
        return nb, resources

    def _fail(self, nb, index, violations, state) -> None:
        shown = "; ".join(v.message for v in violations[:3])
        if len(violations) > 3:
            shown += f" (and {len(violations) - 3} more)"
        name = label(nb.cells[index], index)
        self.log.warning("audit: %s breaks a grading rule: %s", name, shown)
        zero(nb.cells[index], AUDIT_ERROR, f"this cell breaks a grading rule, so it was not run. {shown}")
        state["skip"].append(index)
        for test in tests_answered_by(nb, index):
            if test in state["zeroed"]:  # an earlier cell already took this test's points
                continue
            message = f"0 points: the cell `{name}` breaks a grading rule, so it and this test were not run. {shown}"
            nb.cells[test].outputs = []
            zero(nb.cells[test], AUDIT_ERROR, message)
            state["skip"].append(test)
            state["zeroed"][test] = (AUDIT_ERROR, message)

    def _trusted(self, nb, resources) -> tuple[set[str], dict[str, set[str]]]:
        """Sources not to audit, and {cell id: violations its original already had}."""
        info = resources.get("nbgrader") if resources else None
        if not info:  # outside autograde (tests): trust the locked test and read-only cells as marked
            locked = {c.source for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("locked")
                      and not is_answer(c)}
            return locked, {}
        from nbgrader.api import Gradebook
        from nbgrader.preprocessors import OverwriteCells

        notice = OverwriteCells(config=self.config).missing_cell_notification
        trusted = set()
        with Gradebook(info["db_url"]) as gradebook:
            notebook = gradebook.find_notebook(info["notebook"], info["assignment"])
            for cell in notebook.source_cells:
                if cell.locked:  # as restored, or as re-added when the student deleted it
                    trusted |= {cell.source, "# " + notice.format(cell_id=cell.name) + cell.source}
        originals = {}
        for cell in self._source_cells(info):
            if cell.get("cell_type") == "code" and not is_answer(cell) and not is_test(cell):
                source = "".join(cell.get("source", ""))
                trusted.add(source)
                originals[cell.get("id")] = {_LINE.sub("", v.message) for v in audit(source)}
        return trusted, originals

    def _source_cells(self, info) -> list:
        converter = getattr(getattr(self, "parent", None), "parent", None)
        coursedir = getattr(converter, "coursedir", None)
        if coursedir is None:
            from nbgrader.coursedir import CourseDirectory
            coursedir = CourseDirectory(config=self.config)
        folder = coursedir.format_path(coursedir.source_directory, ".", info["assignment"])
        path = os.path.join(folder, f"{info['notebook']}.ipynb")
        try:
            with open(path, encoding="utf-8") as handle:
                return json.load(handle)["cells"]
        except (OSError, ValueError, KeyError):
            self.log.warning("audit: no source notebook at %s; every unlocked code cell is audited", path)
            return []


class GuardedExecute(Execute):
    """nbgrader's Execute in the sandboxed kernel, with the IPython machinery verified before each test.

    * Cells that :class:`AuditCells` refused are not run (their outputs say why).
    * Before each test cell, :mod:`.verify` checks (and restores) IPython's input and AST
      transformers, ``run_cell`` and friends; a test cell after a failed check scores 0.
    * When the kernel dies (``os._exit`` in an answer), every code cell that never ran scores 0
      instead of counting as passed, and grading goes on.
    """

    verify_ipython = Bool(True, help="Verify IPython's execution machinery before each test cell.").tag(config=True)

    def __init__(self, **kwargs):
        kwargs.setdefault("kernel_manager_class", SandboxKernelManager)
        super().__init__(**kwargs)

    def preprocess(self, nb, resources, km=None):
        self._skip = set(_grading_state(resources)["skip"]) if resources is not None else set()
        try:
            return super().preprocess(nb, resources, km=km)
        except DeadKernelError as error:
            self.log.warning("kernel died during grading (%s); cells that did not run score 0", error)
            for index, cell in enumerate(nb.cells):
                if cell.cell_type == "code" and cell.get("execution_count") is None and index not in self._skip:
                    cell.outputs = [error_output("DeadKernelError", "the kernel died before this cell ran")]
            return nb, resources

    def preprocess_cell(self, cell, resources, index):
        if index in self._skip:
            return cell, resources
        problem = self._verify(index) if self.verify_ipython and is_test(cell) else None
        cell, resources = super().preprocess_cell(cell, resources, index)
        if problem:
            zero(cell, GUARD_ERROR, f"0 points: before this test ran, IPython's execution machinery had been "
                                    f"changed: {problem}.")
        return cell, resources

    def _verify(self, index: int) -> str | None:
        """Run the check of :mod:`.verify` as a silent user expression; what is wrong, or None."""
        nonce = verify.new_nonce()
        try:
            msg_id = self.kc.execute("", silent=True, store_history=False, allow_stdin=False, stop_on_error=False,
                                     user_expressions={"verdict": verify.expression(nonce)})
            reply = self.wait_for_reply(msg_id)
        except DeadKernelError:
            raise
        except Exception as error:  # a timeout: the kernel is busy with something it should not be
            return f"the check of IPython's execution machinery got no reply ({type(error).__name__})"
        return verify.verdict(nonce, reply)


class GuardTestCells(NbGraderPreprocessor):
    """After execution: a test cell whose output shows a failed check, or fewer passing checks than
    it runs, scores 0 (a ``GradingGuard`` error first in its outputs), whatever the kernel replied."""

    def preprocess(self, nb, resources):
        self._zeroed = dict(_grading_state(resources)["zeroed"]) if resources is not None else {}
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        if not is_test(cell):
            return cell, resources
        if index in self._zeroed:  # refused by the audit: make sure nothing replaced its error
            zero(cell, *self._zeroed[index])
            return cell, resources
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return cell, resources  # nbgrader gives 0 already
        reason = guard.judge(cell.source, cell.get("outputs", []))
        if reason:
            self.log.warning("guard: %s scores 0: %s", label(cell, index), reason)
            zero(cell, GUARD_ERROR, f"0 points: {reason}.")
        return cell, resources
