"""JupyterLab in a real browser: a student opens a chapter, runs every cell, finds Validate and the assignments.

Headless Chromium (Debian's package) drives JupyterLab through playwright-core (``tests/e2e/lab.mjs``):
the released chapter is opened from a student's folder, Run > Run All Cells runs it to the end (the
unsolved exercises' cells are tagged ``raises-exception``, so Run All goes past them), nbgrader's
Validate button is in the notebook's toolbar, and nbgrader's assignment list shows the chapter,
released by the instructor into the exchange, as downloaded and ready to submit. The screenshot is kept in ``.artifacts/``.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess

import pytest

from tests.e2e_tools import ARTIFACTS, BIN, E2E, ROOT, free_port, install, node, server, wait_for

pytestmark = pytest.mark.e2e

CHAPTER = "02-shapley"  # the quickest chapter to run; the front end does not depend on the chapter
COURSE_ID = "interpretability"


def test_a_student_runs_a_chapter_in_jupyterlab(tmp_path):
    install()
    home, student, exchange = tmp_path / "home", tmp_path / "student", tmp_path / "exchange"
    home.mkdir()
    student.mkdir()
    env = dict(os.environ, HOME=str(home), PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}",
               MPLCONFIGDIR=str(tmp_path / "mpl"), JUPYTER_CONFIG_DIR=str(home / ".jupyter"))
    env.pop("JUPYTER_PATH", None)
    # The instructor releases the chapter into the exchange; the student's copy is the release.
    released = subprocess.run([str(BIN / "nbgrader"), "release_assignment", CHAPTER, f"--CourseDirectory.root={ROOT}",
                               f"--Exchange.root={exchange}"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert released.returncode == 0, released.stdout + released.stderr
    shutil.copytree(ROOT / "course" / CHAPTER, student / CHAPTER)
    (home / ".jupyter").mkdir()
    (home / ".jupyter" / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.Exchange.root = {str(exchange)!r}\nc.CourseDirectory.course_id = {COURSE_ID!r}\n")

    port, token = free_port(), secrets.token_hex(16)
    base = f"http://127.0.0.1:{port}"
    lab = [str(BIN / "jupyter"), "lab", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.token={token}", f"--ServerApp.root_dir={student}", "--LabApp.expose_app_in_browser=True",
           "--LabApp.news_url=None", "--allow-root"]
    shot = ARTIFACTS / f"lab-{CHAPTER}.png"
    ARTIFACTS.mkdir(exist_ok=True)
    with server(lab, log=tmp_path / "lab.log", cwd=student, env=env) as process:
        wait_for(f"{base}/api/status?token={token}", 90, process, tmp_path / "lab.log")
        done = subprocess.run([node(), str(E2E / "lab.mjs"), base, token, f"{CHAPTER}/{CHAPTER}.ipynb", str(shot)],
                              cwd=E2E, capture_output=True, text=True, timeout=900)
    assert done.stdout.strip(), f"lab.mjs printed nothing:\n{done.stderr[-3000:]}"
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert "error" not in result, f"{result['error']}\n{done.stderr[-2000:]}\nlab log:\n{(tmp_path / 'lab.log').read_text()[-3000:]}"

    cells = result["cells"]
    assert cells and all(c["count"] for c in cells), "Run All stopped before the end"
    # Only the answer and check cells of unsolved exercises may fail, and they say NOT ATTEMPTED.
    failed = [c for c in cells if c["error"]]
    assert failed, "the blank release should show unsolved exercises"
    assert all("raises-exception" in c["tags"] for c in failed), [c for c in failed if "raises-exception" not in c["tags"]]
    assert any("NOT ATTEMPTED" in c["error"] for c in failed)
    assert result["validate"] >= 1, "no Validate button in the notebook toolbar"
    assert result["assignmentList"], "nbgrader's assignment list did not render"
    downloaded = result["assignmentText"].split("Downloaded assignments")[1].split("Submitted assignments")[0]
    assert CHAPTER in downloaded and "Submit" in downloaded, result["assignmentText"]
    assert shot.exists() and shot.stat().st_size > 20_000
    print(f"\nscreenshot: {shot}; steps (ms): "
          + ", ".join(f"{name} {t - result['steps'][0][1]}" for name, t in result["steps"]))
