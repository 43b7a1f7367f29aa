"""Tools the tests share: chapters, their answer catalogues, in-process runs, submissions.

The graded truth is a chapter's *test cells* (visible and hidden checks) in solutions/. To test a
check against an answer without a kernel, :class:`ChapterRun` executes the solution notebook's code
once in-process, keeps a snapshot of the namespace before every answer cell, and replays an answer
cell followed by its test cells on a copy of that snapshot.
"""

from __future__ import annotations

import copy
import importlib
import os
import pathlib
import re
from dataclasses import dataclass

import matplotlib
import nbformat

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
COURSE = ROOT / "course"


def chapters() -> list[str]:
    """Folder names of the chapters, e.g. ``["01-importance"]``.

    ``COURSE_CHAPTERS=01-importance,02-shapley`` (or ``01,02``, as ``make test CHAPTERS=01,02`` sets it)
    restricts the tests to some chapters while one is being written; CI leaves it unset and tests them all.
    """
    found = sorted(p.name for p in SOLUTIONS.iterdir() if p.is_dir() and not p.name.startswith("."))
    wanted = [w.strip() for w in os.environ.get("COURSE_CHAPTERS", "").split(",") if w.strip()]
    return [c for c in found if c in wanted or c.split("-")[0] in wanted] if wanted else found


def notebook_path(chapter: str, folder: pathlib.Path = SOLUTIONS) -> pathlib.Path:
    (path,) = sorted((folder / chapter).glob("*.ipynb"))
    return path


def read(chapter: str, folder: pathlib.Path = SOLUTIONS) -> nbformat.NotebookNode:
    return nbformat.read(notebook_path(chapter, folder), as_version=4)


def catalogue(chapter: str):
    """The answers module ``tests/answers/chNN.py`` of a chapter."""
    return importlib.import_module(f"tests.answers.ch{chapter[:2]}")


def reference_answers(chapter: str) -> dict[str, str]:
    """The model answers as a student would hand them in: the solution notebook's answer cells,
    solution markers removed (``{grade_id: source}``)."""
    marker = solution_text_pattern()
    return {grade_id(cell): "\n".join(line for line in cell.source.splitlines() if not marker.search(line))
            for cell in read(chapter).cells if is_answer(cell)}


def nbgrader_meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def is_workspace(cell) -> bool:
    """A workspace cell (chapter 09): an nbgrader solution cell the student fills with their own analysis,
    graded by no test cell (its grade_id starts with ``workspace``). nbgrader and the grading pipeline treat
    it as an answer cell (the release replaces its solution, a submission's edits are audited); the answer
    catalogues and the autograde expectations leave it out."""
    meta = nbgrader_meta(cell)
    return (cell.cell_type == "code" and meta.get("solution", False) and not meta.get("grade", False)
            and meta.get("grade_id", "").startswith("workspace"))


def is_answer(cell) -> bool:
    """An autograded answer cell (a solution cell graded by the test cells after it), not a workspace cell."""
    meta = nbgrader_meta(cell)
    return cell.cell_type == "code" and meta.get("solution", False) and not meta.get("grade", False) \
        and not is_workspace(cell)


def is_test(cell) -> bool:
    meta = nbgrader_meta(cell)
    return cell.cell_type == "code" and meta.get("grade", False) and not meta.get("solution", False)


def grade_id(cell) -> str:
    return nbgrader_meta(cell).get("grade_id", "")


def tests_of_answers(nb) -> dict[str, list[str]]:
    """Map every autograded answer cell to the test cells that follow it (before the next answer)."""
    mapping: dict[str, list[str]] = {}
    current = None
    for cell in nb.cells:
        if is_answer(cell):
            current = grade_id(cell)
            mapping[current] = []
        elif is_test(cell) and current is not None:
            mapping[current].append(grade_id(cell))
    return mapping


def _protect(value):
    """Copy data a wrong answer could mutate in place; share everything else (modules, models)."""
    try:
        import numpy as np
        import pandas as pd
        if isinstance(value, (np.ndarray, pd.DataFrame, pd.Series, list, dict)):
            return copy.deepcopy(value)
    except Exception:  # pragma: no cover - defensive: never fail a copy
        pass
    return value


@dataclass
class CellResult:
    grade_id: str
    error: BaseException | None

    @property
    def passed(self) -> bool:
        return self.error is None

    @property
    def message(self) -> str:
        feedback = getattr(self.error, "feedback", None)
        return feedback.message if feedback is not None else repr(self.error)

    @property
    def is_check_failure(self) -> bool:
        """A CheckFailed of helpers.checks or of a fresh grading copy (another class object)."""
        return type(self.error).__name__ == "CheckFailed" and hasattr(self.error, "feedback")

    @property
    def outcome(self) -> str | None:
        """The outcome's value ("incorrect", "not attempted"...), comparable across copies."""
        feedback = getattr(self.error, "feedback", None)
        return None if feedback is None else feedback.outcome.value


class ChapterRun:
    """The solution notebook of a chapter executed once, in-process, with snapshots."""

    def __init__(self, chapter: str):
        self.chapter = chapter
        self.nb = read(chapter)
        self.cells = {grade_id(c): c for c in self.nb.cells if grade_id(c)}
        self.tests = tests_of_answers(self.nb)
        self.snapshots: dict[str, dict] = {}
        namespace: dict = {"__name__": "__main__"}
        for cell in self.nb.cells:
            if cell.cell_type != "code":
                continue
            if is_answer(cell):
                self.snapshots[grade_id(cell)] = dict(namespace)
            exec(compile(cell.source, f"<{grade_id(cell) or cell.id}>", "exec"), namespace)
            plt.close("all")

    def replay(self, answer_id: str, source: str) -> list[CellResult]:
        """Run ``source`` in place of the answer cell, then its test cells; one result per test."""
        namespace = {k: _protect(v) for k, v in self.snapshots[answer_id].items()}
        try:
            exec(compile(source, f"<{answer_id}>", "exec"), namespace)
        except NotImplementedError:
            pass  # the release's stub: its test cells must say NOT ATTEMPTED
        results = []
        for test_id in self.tests[answer_id]:
            try:
                exec(compile(self.cells[test_id].source, f"<{test_id}>", "exec"), namespace)
                results.append(CellResult(test_id, None))
            except Exception as error:  # the check's CheckFailed, or a NameError for a missing answer
                results.append(CellResult(test_id, error))
            plt.close("all")
        return results


# --------------------------------------------------------------------------------------------
# Submissions for the autograde pipeline


def replace_answers(nb, sources: dict[str, str]):
    """A copy of ``nb`` whose answer cells named in ``sources`` hold the given source."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if grade_id(cell) in sources:
            cell.source = sources[grade_id(cell)].strip("\n")
    return nb


def solution_text_pattern() -> re.Pattern:
    return re.compile(r"### (BEGIN|END) (SOLUTION|HIDDEN TESTS)")


def colab_download(nb):
    """What a Colab download looks like: no nbgrader metadata, no cell ids, nbformat 4.4, Colab's own
    notebook metadata."""
    nb = copy.deepcopy(nb)
    nb.nbformat_minor = 4
    nb.metadata = {"colab": {"provenance": []}, "kernelspec": {"name": "python3", "display_name": "Python 3"}}
    for k, cell in enumerate(nb.cells):
        cell.pop("id", None)
        cell.metadata = {"id": f"colab{k:04d}"}
    return nb
