"""A class round trip through nbgrader's local exchange, with the project's nbgrader_config.py.

The instructor releases a chapter into the exchange; a student, in a folder of their own and with
no course configuration, lists, fetches, answers and submits it; the instructor collects and
autogrades it. The collected notebook must be the student's, and the solution must get full marks.
"""

from __future__ import annotations

import getpass
import os
import pathlib
import shutil
import subprocess
import sys

import nbformat
import pytest

from tests.notebook_tools import ROOT, grade_id, is_answer, read, replace_answers

pytestmark = pytest.mark.pipeline

BIN = pathlib.Path(sys.executable).parent
CHAPTER = "02-shapley"  # the quickest to grade; the exchange does not depend on the chapter
COURSE_ID = "interpretability"


def _run(*args, cwd):
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")  # alembic for a new gradebook
    done = subprocess.run([str(BIN / "nbgrader"), *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"nbgrader {args[0]} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def test_release_fetch_submit_collect_autograde(tmp_path):
    course, student_home, exchange = tmp_path / "course", tmp_path / "student", tmp_path / "exchange"
    student_home.mkdir()
    shutil.copytree(ROOT / "solutions" / CHAPTER, course / "solutions" / CHAPTER)
    instructor = [f"--CourseDirectory.root={course}", f"--Exchange.root={exchange}"]
    student = [f"--course={COURSE_ID}", f"--Exchange.root={exchange}"]

    _run("generate_assignment", CHAPTER, "--force", *instructor, cwd=ROOT)
    _run("release_assignment", CHAPTER, *instructor, cwd=ROOT)

    assert f"{COURSE_ID} {CHAPTER}" in _run("list", *student, cwd=student_home)
    _run("fetch_assignment", CHAPTER, *student, cwd=student_home)
    fetched = student_home / CHAPTER / f"{CHAPTER}.ipynb"
    assert nbformat.read(fetched, as_version=4) == read(CHAPTER, course / "course"), \
        "the fetched notebook differs from the release"
    solution = {grade_id(c): c.source for c in read(CHAPTER).cells if is_answer(c)}
    answered = replace_answers(nbformat.read(fetched, as_version=4), solution)
    nbformat.write(answered, fetched)
    _run("submit", CHAPTER, *student, cwd=student_home)

    _run("collect", CHAPTER, *instructor, cwd=ROOT)
    user = getpass.getuser()
    collected = course / "submitted" / user / CHAPTER / f"{CHAPTER}.ipynb"
    assert collected.exists(), f"nothing collected for {user}: {sorted((course / 'submitted').rglob('*'))}"
    assert nbformat.read(collected, as_version=4) == answered, "the collected notebook is not the submission"

    _run("autograde", CHAPTER, "--force", *instructor, cwd=ROOT)
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course}/gradebook.db") as gradebook:
        submission = gradebook.find_submission(CHAPTER, user)
        got, best = submission.code_score, submission.max_code_score
    assert best > 0 and got == best, f"the solution, sent through the exchange, scored {got}/{best} autograded points"


def test_a_global_course_id_and_exchange_win_over_the_repositorys(tmp_path):
    """Two sections on one hub (INSTRUCTORS.md, section 3): each grader account names its course id in a
    global nbgrader_config.py; the repository's own file gives its id and its .exchange/ only when no
    global file names them (a trial on one account)."""
    probe = ("from nbgrader.apps.baseapp import NbGrader\n"
             "app = NbGrader(); app.initialize([])\n"
             "print(app.config.CourseDirectory.course_id, app.config.Exchange.root)\n")
    glob_dir = tmp_path / "etc"
    glob_dir.mkdir()
    (glob_dir / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.CourseDirectory.course_id = 'section2'\nc.Exchange.root = {str(tmp_path / 'ex')!r}\n")

    def seen(**env):
        done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True,
                              env=dict(os.environ, **env))
        assert done.returncode == 0, done.stderr
        return done.stdout.split()[-2:]

    assert seen(JUPYTER_CONFIG_PATH=str(glob_dir)) == ["section2", str(tmp_path / "ex")]
    assert seen(JUPYTER_CONFIG_PATH=str(tmp_path)) == [COURSE_ID, str(ROOT / ".exchange")]
