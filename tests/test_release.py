"""course/ is exactly what nbgrader generates from solutions/, and it leaks nothing."""

import json
import pathlib
import subprocess
import sys

import pytest

from tests.notebook_tools import COURSE, ROOT, SOLUTIONS, chapters, grade_id, is_answer, is_test, is_workspace, read

pytestmark = pytest.mark.slow  # nbgrader generates every chapter (about 15 s)


@pytest.fixture(scope="module")
def fresh_release(tmp_path_factory):
    out = tmp_path_factory.mktemp("release") / "course"
    subprocess.run([sys.executable, str(ROOT / ".ci" / "release.py"), str(out)], check=True, cwd=ROOT)
    return out


def _files(folder: pathlib.Path):
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_course_is_in_sync_with_a_fresh_release(fresh_release):
    committed, fresh = _files(COURSE), _files(fresh_release)
    assert sorted(committed) == sorted(fresh), "course/ has stale or missing files: run `make release`"
    stale = [str(p) for p in fresh if committed[p] != fresh[p]]
    assert not stale, f"course/ differs from a fresh release in {stale}: run `make release`"


def test_release_is_byte_identical_on_a_rerun(fresh_release, tmp_path):
    subprocess.run([sys.executable, str(ROOT / ".ci" / "release.py"), str(tmp_path / "again")],
                   check=True, cwd=ROOT)
    assert _files(fresh_release) == _files(tmp_path / "again")


@pytest.mark.parametrize("chapter", chapters())
def test_release_has_no_solution_hidden_test_or_output(chapter):
    text = next((COURSE / chapter).glob("*.ipynb")).read_text()
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "grading_copy", "MARK SCHEME"):
        assert marker not in text, f"{marker!r} in the release of {chapter}"
    nb = json.loads(text)
    assert all(not c.get("outputs") for c in nb["cells"]), "stored outputs in the release"
    assert all(c.get("execution_count") is None for c in nb["cells"] if c["cell_type"] == "code")


@pytest.mark.parametrize("chapter", chapters())
def test_sources_are_stored_without_outputs_and_with_stable_ids(chapter):
    nb = json.loads(next((SOLUTIONS / chapter).glob("*.ipynb")).read_text())
    assert all(not c.get("outputs") for c in nb["cells"]), "solutions/ notebooks must have no outputs"
    ids = [c["id"] for c in nb["cells"]]
    assert len(set(ids)) == len(ids) and all(not i.isalnum() or "-" in i or "_" in i for i in ids)


@pytest.mark.parametrize("chapter", chapters())
def test_release_tags_only_answer_and_test_cells_as_raising(chapter):
    for cell in read(chapter, COURSE).cells:
        tagged = "raises-exception" in cell.metadata.get("tags", [])
        assert tagged == (cell.cell_type == "code" and (is_answer(cell) or is_test(cell) or is_workspace(cell))), \
            grade_id(cell)


@pytest.mark.parametrize("chapter", chapters())
def test_graded_cells_follow_the_conventions(chapter):
    nb = read(chapter)
    tests = [c for c in nb.cells if is_test(c)]
    assert tests, "a chapter without graded test cells"
    for cell in tests:
        assert "BEGIN HIDDEN TESTS" in cell.source, f"{grade_id(cell)}: no hidden (fresh-copy) grading"
        assert cell.metadata["nbgrader"]["locked"] and cell.metadata["nbgrader"]["points"] > 0
    first = nb.cells[0].source
    assert first.startswith("# ") and "**Time:**" in first and first.count("\n1. ") + first.count("\n2. ") >= 2
