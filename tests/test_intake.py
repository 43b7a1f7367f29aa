"""The intake of the class grader: submissions read and repaired against the release, every repair named."""

from __future__ import annotations

import copy
import io
import zipfile

import nbformat
import pytest

from helpers.grading import classroom
from helpers.grading.intake import read_submission, repair, student_id
from tests.notebook_tools import COURSE, chapters, colab_download, grade_id, is_answer, is_test, read, replace_answers


def _graded_cells(nb):
    return [(grade_id(c), c.cell_type, c.source, c.metadata.get("nbgrader")) for c in nb.cells if grade_id(c)]


def _answered(chapter):
    release = read(chapter, COURSE)
    solution = {grade_id(c): c.source for c in read(chapter).cells if is_answer(c)}
    return release, replace_answers(release, solution)



@pytest.mark.parametrize("chapter", chapters())
def test_stripped_metadata_is_restored_cell_for_cell(chapter):
    release, answered = _answered(chapter)
    fixed, findings = repair(colab_download(answered), release)
    assert _graded_cells(fixed) == _graded_cells(answered)
    assert [f.kind for f in findings] == ["metadata stripped"]
    assert f"{len(_graded_cells(release))} of {len(_graded_cells(release))} graded cells" in findings[0].detail
    nbformat.validate(fixed)


@pytest.mark.parametrize("chapter", chapters())
def test_an_intact_submission_is_left_alone(chapter):
    release, answered = _answered(chapter)
    fixed, findings = repair(answered, release)
    assert findings == [] and fixed == answered


def test_duplicated_answer_keeps_the_edited_copy_and_duplicated_test_is_dropped():
    release, answered = _answered("02-shapley")
    nb = copy.deepcopy(answered)
    at = next(k for k, c in enumerate(nb.cells) if grade_id(c) == "kernel_shap_answer")
    stub = copy.deepcopy(release.cells[next(k for k, c in enumerate(release.cells) if grade_id(c) == "kernel_shap_answer")])
    stub["id"] = "pasted-stub"
    nb.cells.insert(at, stub)  # the stub pasted above the student's answer
    test_at = next(k for k, c in enumerate(nb.cells) if grade_id(c) == "shapley_values_test")
    twin = copy.deepcopy(nb.cells[test_at])
    twin["id"] = "pasted-test"
    nb.cells.insert(test_at + 1, twin)
    fixed, findings = repair(nb, release)
    assert sorted(f.kind for f in findings) == ["duplicated cell", "duplicated cell"]
    assert _graded_cells(fixed) == _graded_cells(answered)
    graded_answer = next(c for c in fixed.cells if grade_id(c) == "kernel_shap_answer")
    assert graded_answer.source == next(c for c in answered.cells if grade_id(c) == "kernel_shap_answer").source
    assert any(c.get("id") == "pasted-stub" and not grade_id(c) for c in fixed.cells), "the copy must still run"
    assert not any(c.get("id") == "pasted-test" for c in fixed.cells)


def test_deleted_answer_and_test_cells_are_put_back_in_place():
    release, answered = _answered("07-counterfactuals")
    ids = [grade_id(c) for c in answered.cells if is_answer(c)]
    first_test = next(grade_id(c) for c in answered.cells if is_test(c))
    nb = copy.deepcopy(answered)
    nb.cells = [c for c in nb.cells if grade_id(c) not in (ids[1], first_test)]
    fixed, findings = repair(colab_download(nb), release)  # and stripped, for good measure
    kinds = {f.kind: f for f in findings}
    assert set(kinds) == {"metadata stripped", "answer cell deleted", "test cell deleted"}, findings
    assert kinds["answer cell deleted"].detail == ids[1] and "score 0" in kinds["answer cell deleted"].action
    assert [g for g, *_ in _graded_cells(fixed)] == [g for g, *_ in _graded_cells(release)]
    restored = next(c for c in fixed.cells if grade_id(c) == ids[1])
    assert restored.source == next(c for c in release.cells if grade_id(c) == ids[1]).source  # the stub


def test_unknown_grade_ids_are_stripped_and_another_assignment_is_flagged():
    release, answered = _answered("02-shapley")
    nb = copy.deepcopy(answered)
    nb.cells[3].metadata["nbgrader"] = {"grade": True, "grade_id": "made_up_test", "points": 100, "solution": False,
                                        "locked": True, "schema_version": 3}
    fixed, findings = repair(nb, release)
    assert [f.kind for f in findings] == ["unknown grade cell"] and "made_up_test" in findings[0].detail
    assert "nbgrader" not in fixed.cells[3].metadata
    other, findings = repair(colab_download(_answered("07-counterfactuals")[1]), release)
    assert [f.kind for f in findings] == ["not this assignment?"], findings  # one line, not one per cell
    assert "repairs" in findings[0].action and "right notebook" in findings[0].action


def test_submissions_are_read_from_notebooks_archives_and_folders(tmp_path):
    nb = read("02-shapley", COURSE)
    wanted = "02-shapley.ipynb"
    archive = tmp_path / "alice.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("__MACOSX/._02-shapley.ipynb", b"junk")
        handle.writestr("alice/02-shapley.ipynb", nbformat.writes(nb))
    got, findings = read_submission(archive, wanted)
    assert got == nb and findings == []
    two = tmp_path / "bob.zip"
    with zipfile.ZipFile(two, "w") as handle:
        handle.writestr("a.ipynb", nbformat.writes(nb))
        handle.writestr("b.ipynb", nbformat.writes(nb))
    got, findings = read_submission(two, wanted)
    assert got is None and findings[0].kind == "several notebooks" and "not graded" in findings[0].action
    folder = tmp_path / "carol"
    folder.mkdir()
    nbformat.write(nb, folder / "02-shapley (1).ipynb")
    got, findings = read_submission(folder, wanted)
    assert got == nb and [f.kind for f in findings] == ["renamed notebook"]
    (tmp_path / "dan.ipynb").write_text("{not a notebook")
    got, findings = read_submission(tmp_path / "dan.ipynb", wanted)
    assert got is None and findings[0].kind == "unreadable"
    (tmp_path / "eve.zip").write_bytes(b"PK\x03\x04 cut short")
    got, findings = read_submission(tmp_path / "eve.zip", wanted)
    assert got is None and findings[0].kind == "unreadable"
    (tmp_path / "old.ipynb").write_text(nbformat.writes(nbformat.v4.new_notebook(), version=3))  # nbformat 3
    got, findings = read_submission(tmp_path / "old.ipynb", wanted)
    assert got is not None and got.nbformat == 4


@pytest.mark.parametrize(("name", "expected"), [("alice.ipynb", "alice"), ("Bob Smith.zip", "Bob_Smith"),
                                                ("c+d.ipynb", "c_d"), ("Émile Zola", "Emile_Zola"), ("...", "unnamed")])
def test_student_ids_are_safe_for_nbgrader_and_the_exchange(name, expected):
    assert student_id(name) == expected


class _FlakyAPI:
    """nbgrader's API whose autograde fails the first ``failures`` times (a kernel that does not start)."""

    def __init__(self, failures):
        self.failures, self.calls = failures, 0

    def autograde(self, assignment, student, force=True, create=True):
        self.calls += 1
        if self.calls <= self.failures:
            return {"success": False, "error": "RuntimeError: Kernel died before replying to kernel_info",
                    "log": "[ERROR] There was an error processing assignment"}
        return {"success": True, "log": "[WARNING] audit: d1_why_answer breaks a grading rule: ..."}

    def generate_feedback(self, assignment, student, force=True):
        return {"success": True}


@pytest.mark.parametrize(("failures", "graded", "attempts"), [(0, True, 1), (1, True, 2), (2, False, 2)])
def test_a_failed_grading_is_retried_once(monkeypatch, failures, graded, attempts):
    api = _FlakyAPI(failures)
    monkeypatch.setattr(classroom, "_API", api)
    monkeypatch.setattr(classroom, "_ASSIGNMENT", "02-shapley")
    result = classroom._grade_student("alice")
    assert (result["graded"], result["attempts"], api.calls) == (graded, attempts, attempts)
    if graded:
        assert result["notes"] == ["audit: d1_why_answer breaks a grading rule: ..."]
    else:
        assert "Kernel died" in result["error"]


def test_two_files_for_one_student_are_named(tmp_path):
    folder = tmp_path / "subs"
    folder.mkdir()
    nb = read("02-shapley", COURSE)
    nbformat.write(nb, folder / "jane doe.ipynb")
    nbformat.write(nb, folder / "jane_doe.ipynb")
    grading = classroom.ClassGrading.__new__(classroom.ClassGrading)
    grading.students, grading.out = {}, io.StringIO()
    grading.submitted_path = lambda student, notebook: tmp_path / "submitted" / student / "02-shapley" / notebook
    grading._copy_in(folder, "02-shapley.ipynb")
    kinds = [f.kind for f in grading.students["jane_doe"].findings]
    assert "two submissions" in kinds, kinds
