"""`make progress`: a self-study student sees which exercises pass their visible checks."""

from __future__ import annotations

import io
import shutil

import nbformat
import pytest

from helpers.grading import progress as progress_module
from tests.notebook_tools import COURSE, catalogue, grade_id, is_answer, read, replace_answers

pytestmark = pytest.mark.pipeline

CHAPTER = "02-shapley"


def test_progress_reports_each_exercise_and_reuses_unchanged_results(tmp_path, monkeypatch):
    monkeypatch.setattr(progress_module, "CACHE", tmp_path / "cache")
    shutil.copytree(COURSE / CHAPTER, tmp_path / "course" / CHAPTER)
    path = tmp_path / "course" / CHAPTER / f"{CHAPTER}.ipynb"
    solution = {grade_id(c): c.source for c in read(CHAPTER).cells if is_answer(c)}
    ids = list(solution)
    wrong = catalogue(CHAPTER).WRONG[ids[1]][0][1]
    nbformat.write(replace_answers(read(CHAPTER, COURSE), {ids[0]: solution[ids[0]], ids[1]: wrong}), path)

    out = io.StringIO()
    rows = dict(progress_module.progress(tmp_path / "course", ["02"], out=out)[CHAPTER])
    first, second = ids[0].removesuffix("_answer"), ids[1].removesuffix("_answer")
    assert rows[first] == "correct", rows
    assert rows[second] == "incorrect", rows
    assert {o for e, o in rows.items() if e not in (first, second)} == {"not attempted"}, rows
    assert f"1 of {len(rows)} checks pass" in out.getvalue() and "✅" in out.getvalue()

    again = io.StringIO()
    assert dict(progress_module.progress(tmp_path / "course", ["02"], out=again)[CHAPTER]) == rows
    assert "unchanged since the last run" in again.getvalue() and "running" not in again.getvalue()
