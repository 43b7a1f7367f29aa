"""One command grades a class (helpers.grading.classroom), from a folder of mixed submissions.

A small class of chapter 02 handed in as files: a full-marks notebook, the same answers downloaded
from Colab (nbgrader metadata stripped), one sent as a .zip, one with a duplicated answer cell (which
aborts a plain ``nbgrader autograde`` run), one with a deleted test and answer cell, the blank
release, and a corrupt file. Every gradable submission is graded by parallel graders; each repair is
named in the output, the report and the CSV; the corrupt file is reported as not graded (never a
silent 0); the stripped download scores what the intact notebook scores; kernels run with one BLAS
thread; feedback shows no hidden test.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import zipfile

import nbformat
import pytest

from tests.notebook_tools import COURSE, ROOT, colab_download, grade_id, is_answer, is_test, read, replace_answers

pytestmark = pytest.mark.pipeline

CHAPTER = "02-shapley"
BIN = pathlib.Path(sys.executable).parent
# A cell a student added: numpy reports the BLAS threads it runs with (threadpoolctl's view).
THREADS_CELL = "np.show_runtime()"



@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    work = tmp_path_factory.mktemp("class")
    course, subs = work / "course", work / "submissions"
    shutil.copytree(ROOT / "solutions" / CHAPTER, course / "solutions" / CHAPTER)
    shutil.copytree(COURSE / CHAPTER, course / "course" / CHAPTER)
    subs.mkdir()
    release = read(CHAPTER, COURSE)
    solution = {grade_id(c): c.source for c in read(CHAPTER).cells if is_answer(c)}
    full = replace_answers(release, solution)
    full_threads = copy.deepcopy(full)
    full_threads.cells.insert(3, nbformat.v4.new_code_cell(THREADS_CELL))
    nbformat.write(full_threads, subs / "alice.ipynb")
    nbformat.write(colab_download(full), subs / "Colab Student.ipynb")
    with zipfile.ZipFile(subs / "carol.zip", "w") as archive:
        archive.writestr(f"carol/{CHAPTER}.ipynb", nbformat.writes(full))
    dup = copy.deepcopy(full)
    at = next(k for k, c in enumerate(dup.cells) if grade_id(c) == "kernel_shap_answer")
    dup.cells.insert(at + 1, copy.deepcopy(dup.cells[at]))
    dup.cells[at + 1]["id"] = "pasted"
    nbformat.write(dup, subs / "dora.ipynb")
    deleted = copy.deepcopy(full)
    deleted.cells = [c for c in deleted.cells if grade_id(c) not in ("shapley_values_test", "kernel_shap_answer")]
    nbformat.write(deleted, subs / "erin.ipynb")
    nbformat.write(release, subs / "blank.ipynb")
    (subs / "zed.ipynb").write_text('{"cells": [')  # cut short by a bad upload
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    env.pop("OMP_NUM_THREADS", None)
    env.pop("OPENBLAS_NUM_THREADS", None)
    done = subprocess.run([str(BIN / "python"), "-m", "helpers.grading.classroom", CHAPTER, "--from", str(subs),
                           "--root", str(course), "--jobs", "2"], cwd=ROOT, env=env, capture_output=True, text=True)
    report = json.loads((course / "reports" / f"{CHAPTER}.json").read_text())
    return course, done, {s["id"]: s for s in report["students"]}, full


def _code_scores(course, student):
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course}/gradebook.db", "interpretability") as gradebook:
        notebook = gradebook.find_submission_notebook(CHAPTER, CHAPTER, student)
        return {g.name: g.auto_score for g in notebook.grades if g.cell.cell_type == "code"}


def test_every_gradable_student_is_graded_and_the_corrupt_file_is_named(graded):
    course, done, students, _ = graded
    assert done.returncode == 0, done.stdout + done.stderr
    assert "6 of 7 students graded" in done.stdout, done.stdout
    assert "NOT GRADED (nothing gradable in the submission): zed" in done.stdout
    assert not students["zed"]["gradable"] and students["zed"]["findings"][0]["kind"] == "unreadable"
    rows = {r["student_id"]: r for r in csv.DictReader((course / "grades.csv").open())}
    assert rows["zed"]["grading_note"].startswith("NOT GRADED: unreadable"), rows["zed"]
    assert rows["alice"]["grading_note"] == "graded" and rows["blank"]["grading_note"] == "graded"
    # No exchange submission, no submission_secret.txt: nbgrader's release_feedback would stop at the first.
    assert f"feedback to send by hand (not submitted through the exchange): {course}/feedback/<student>/{CHAPTER}/ " \
           "for Colab_Student, alice, blank, carol, dora, erin" in done.stdout, done.stdout
    assert "release_feedback" not in done.stdout
    assert "grading sandbox: on" in done.stdout or "grading sandbox OFF: " in done.stdout


def test_repairs_are_named_and_scores_match_the_intact_notebook(graded):
    course, done, students, _ = graded
    alice = _code_scores(course, "alice")
    best = sum(alice.values())
    assert best > 0 and all(v > 0 for v in alice.values()), alice
    assert _code_scores(course, "Colab_Student") == alice
    assert _code_scores(course, "carol") == alice
    assert _code_scores(course, "dora") == alice
    kinds = {s: [f["kind"] for f in students[s]["findings"]] for s in students}
    assert kinds["Colab_Student"] == ["student id", "metadata stripped"]
    assert kinds["dora"] == ["duplicated cell"] and kinds["alice"] == [] and kinds["carol"] == []
    assert sorted(kinds["erin"]) == ["answer cell deleted", "test cell deleted"]
    erin = _code_scores(course, "erin")
    source = read(CHAPTER)
    kernel_shap_tests = [grade_id(c) for c in source.cells if is_test(c) and grade_id(c).startswith("kernel_shap")]
    assert all(erin[t] == 0 for t in kernel_shap_tests) and erin["shapley_values_test"] == alice["shapley_values_test"]
    assert sum(_code_scores(course, "blank").values()) == 0
    for line in ("Colab_Student: metadata stripped", "dora: duplicated cell", "erin: test cell deleted"):
        assert line in done.stdout, line
    text = (course / "reports" / f"{CHAPTER}.md").read_text()
    assert "restored from the release" in text and "| zed | not graded |" in text


def test_grading_kernels_run_with_one_blas_thread(graded):
    course, *_ = graded
    nb = nbformat.read(course / "autograded" / "alice" / CHAPTER / f"{CHAPTER}.ipynb", as_version=4)
    shown = "".join(o.get("text", "") for c in nb.cells if c.source == THREADS_CELL for o in c.outputs)
    threads = re.findall(r"""['"]num_threads['"]: (\d+)""", shown)
    assert threads and set(threads) == {"1"}, shown[:2000]


def test_feedback_is_written_without_hidden_tests(graded):
    course, _, students, _ = graded
    for student, entry in students.items():
        pages = list((course / "feedback" / student / CHAPTER).glob("*.html"))
        assert bool(pages) == entry["graded"], student
        for page in pages:
            html = page.read_text()
            assert "BEGIN HIDDEN TESTS" not in html and "grading_copy" not in html


def test_grades_of_other_assignments_keep_their_notes(graded, tmp_path):
    """grades.csv holds every assignment: grading one must not blank the notes of the others."""
    from helpers.grading.classroom import ClassGrading
    course, *_ = graded
    (course / "reports" / "01-importance.json").write_text(json.dumps(
        {"students": [{"id": "alice", "note": "graded; metadata stripped (restored from the release)"}]}))
    table = tmp_path / "grades.csv"
    table.write_text("assignment,student_id,score\n01-importance,alice,3\n01-importance,bob,0\n"
                     f"{CHAPTER},alice,11\n")
    grading = ClassGrading(CHAPTER, root=str(course), out=io.StringIO())
    grading._annotate(table)
    notes = [row["grading_note"] for row in csv.DictReader(table.open())]
    assert notes == ["graded; metadata stripped (restored from the release)", "", ""], notes


def test_a_regrade_keeps_the_repairs_of_the_first_grading(graded):
    """Run again on what submitted/ holds (a late student, hand grades): the repaired notebooks have
    nothing left to repair, and the report still says what was repaired when they came in."""
    course, *_ = graded
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    again = subprocess.run([str(BIN / "python"), "-m", "helpers.grading.classroom", CHAPTER, "--root", str(course),
                            "--jobs", "2"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stdout + again.stderr
    students = {s["id"]: s for s in json.loads((course / "reports" / f"{CHAPTER}.json").read_text())["students"]}
    assert [f["kind"] for f in students["Colab_Student"]["findings"]] == ["student id", "metadata stripped"]
    assert students["Colab_Student"]["findings"][1]["action"].endswith("(at an earlier grading)")
    assert students["alice"]["findings"] == [] and _code_scores(course, "Colab_Student") == _code_scores(course, "alice")
