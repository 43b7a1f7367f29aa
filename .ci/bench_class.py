"""Grade a generated class of 30 students over every chapter; time it; compare with grading alone.

    make bench-class                 # the class, then each distinct submission graded alone
    make bench-class SOLO=0          # the class only

The class (one submission per student and chapter, generated from ``tests/answers/chNN.py`` as
tests/test_autograde.py builds them): full marks (5, one sent as a .zip, one as a folder), correct
answers written another way (4), blank (3), half wrong (6), all wrong (3), attacks on the grader (3),
Colab downloads with the nbgrader metadata stripped (2: full marks and half wrong), an endless loop
(1), a duplicated answer and test cell (1), a deleted answer and test cell (1), a corrupt file (1).

Each chapter is graded by ``python -m helpers.grading.classroom`` (every core). Then every distinct
submission (after the intake's repairs) is graded alone: one ``nbgrader autograde --student`` process
for it, in a course directory of its own, with no thread limit. Printed: wall time per chapter and in
all, CPU seconds, seconds per notebook by kind of submission, where a notebook's time goes (kernel
start, imports, test cells, the other cells), and every test cell whose score differs between the class
and grading alone, or from what the submission deserves (a correct answer's tests pass, a wrong
answer's fail). Not a test: timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import copy
import hashlib
import json
import os
import pathlib
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.notebook_tools import (  # noqa: E402
    catalogue,
    chapters,
    colab_download,
    grade_id,
    is_answer,
    is_test,
    read,
    replace_answers,
)
from tests.test_autograde import (  # noqa: E402
    EXCEPTHOOK,
    GRADING_COPY_PATCH,
    NUMPY_PATCH,
    READ_GRADEBOOK,
    SHOWTRACEBACK,
    _expectation,
)

BIN = pathlib.Path(sys.executable).parent
ATTACKS = {  # appended to a wrong answer: each attacked cell must still score 0
    "attack-01": [SHOWTRACEBACK, GRADING_COPY_PATCH],
    "attack-02": [NUMPY_PATCH, EXCEPTHOOK],
    "attack-03": [READ_GRADEBOOK, "import os\nos._exit(0)\n"],
}


def _cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime




def build_class(chapter: str, release, folder: pathlib.Path) -> dict[str, dict[str, bool]]:
    """Write the 30 submissions of ``chapter`` into ``folder``; what each test cell should score."""
    source, answers = read(chapter), catalogue(chapter)
    ids = [grade_id(c) for c in source.cells if is_answer(c)]
    solution = {grade_id(c): c.source for c in source.cells if is_answer(c)}
    more = {i: entries[0][1] for i, entries in getattr(answers, "MORE_ALTERNATIVES", {}).items()}
    expected: dict[str, dict[str, bool]] = {}
    folder.mkdir(parents=True)

    def wrong_answer(answer_id, k):
        entries = answers.WRONG[answer_id]
        return entries[k % len(entries)][1]

    def put(student, nb, wrong, how="ipynb"):
        expected[student] = _expectation(source, set(wrong))
        if how == "zip":
            with zipfile.ZipFile(folder / f"{student}.zip", "w") as archive:
                archive.writestr(f"{student}/{chapter}.ipynb", nbformat.writes(nb))
        elif how == "folder":
            (folder / student).mkdir()
            nbformat.write(nb, folder / student / f"{chapter}.ipynb")
        else:
            nbformat.write(nb, folder / f"{student}.ipynb")

    full = replace_answers(release, solution)
    for k, how in enumerate(["ipynb", "ipynb", "ipynb", "zip", "folder"]):
        put(f"full-{k + 1:02d}", full, set(), how)
    for k in range(3):
        put(f"alt-{k + 1:02d}", replace_answers(release, answers.ALTERNATIVE), set())
    put("more-01", replace_answers(release, {**solution, **more}), set())
    for k in range(3):
        put(f"blank-{k + 1:02d}", release, set(ids))
    for k in range(6):
        wrong = {i for n, i in enumerate(ids) if n % 2 == k % 2}
        sources = {i: wrong_answer(i, k) if i in wrong else solution[i] for i in ids}
        put(f"half-{k + 1:02d}", replace_answers(release, sources), wrong)
    for k in range(3):
        put(f"wrong-{k + 1:02d}", replace_answers(release, {i: wrong_answer(i, k) for i in ids}), set(ids))
    for student, extras in ATTACKS.items():
        sources = {i: wrong_answer(i, 0) + "\n" + extras[n % len(extras)] for n, i in enumerate(ids)}
        put(student, replace_answers(release, sources), set(ids))
    put("colab-01", colab_download(full), set())
    half = {i for n, i in enumerate(ids) if n % 2 == 0}
    put("colab-02", colab_download(replace_answers(release, {i: wrong_answer(i, 1) if i in half else solution[i]
                                                      for i in ids})), half)
    put("loop-01", replace_answers(release, {**solution, ids[0]: "while True:\n    pass\n"}), {ids[0]})
    dup = copy.deepcopy(full)
    at = next(k for k, c in enumerate(dup.cells) if grade_id(c) == ids[-1])
    twin = copy.deepcopy(dup.cells[at])
    twin["id"] = "pasted-twin"
    dup.cells.insert(at + 1, twin)
    test_at = next(k for k, c in enumerate(dup.cells) if is_test(c))
    test_twin = copy.deepcopy(dup.cells[test_at])
    test_twin["id"] = "pasted-test"
    dup.cells.insert(test_at + 1, test_twin)
    put("dup-01", dup, set())
    deleted = copy.deepcopy(full)
    first_test = next(c for c in deleted.cells if is_test(c))
    deleted.cells = [c for c in deleted.cells if c is not first_test and grade_id(c) != ids[-1]]
    put("deleted-01", deleted, {ids[-1]})
    (folder / "broken-01.zip").write_bytes(b"PK\x03\x04 this archive was cut short")
    return expected


def _scores(root: pathlib.Path, chapter: str, notebook: str, students) -> dict[str, dict[str, tuple]]:
    from nbgrader.api import Gradebook, MissingEntry

    found = {}
    with Gradebook(f"sqlite:///{root}/gradebook.db", "interpretability") as gradebook:
        for student in students:
            try:
                nb = gradebook.find_submission_notebook(notebook, chapter, student)
            except MissingEntry:
                continue
            found[student] = {g.name: (g.auto_score, g.max_score) for g in nb.grades if g.cell.cell_type == "code"}
    return found


def _notebook_profile(path: pathlib.Path) -> dict[str, float]:
    """Where an autograded notebook's time went, from nbclient's per-cell timestamps."""
    import datetime

    def stamp(text):
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))

    nb = nbformat.read(path, as_version=4)
    parts = {"imports": 0.0, "tests": 0.0, "answers": 0.0, "other cells": 0.0}
    first = None
    for cell in nb.cells:
        timing = cell.get("metadata", {}).get("execution", {})
        if cell.cell_type != "code" or "iopub.execute_input" not in timing or "shell.execute_reply" not in timing:
            continue
        start, end = stamp(timing["iopub.execute_input"]), stamp(timing["shell.execute_reply"])
        first = first or start
        part = ("tests" if is_test(cell) else "answers" if is_answer(cell)
                else "imports" if cell.source.lstrip().startswith(("import ", "from ")) and first == start
                else "other cells")
        parts[part] += (end - start).total_seconds()
    return parts


def grade_the_class(course: pathlib.Path, subs: pathlib.Path, todo: list[str]) -> dict:
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    results = {}
    for chapter in todo:
        cpu, started = _cpu_children(), time.perf_counter()
        done = subprocess.run([str(BIN / "python"), "-m", "helpers.grading.classroom", chapter, "--from",
                               str(subs / chapter), "--root", str(course)], cwd=ROOT, env=env,
                              capture_output=True, text=True)
        wall, cpu = time.perf_counter() - started, _cpu_children() - cpu
        (course / f"classroom-{chapter}.log").write_text(done.stdout + done.stderr)
        report = json.loads((course / "reports" / f"{chapter}.json").read_text())
        results[chapter] = {"wall": wall, "cpu": cpu, "exit": done.returncode, "report": report}
        print(f"  {chapter}: {wall:6.0f} s wall, {cpu:6.0f} s CPU (exit {done.returncode})", flush=True)
    return results


def grade_alone(course: pathlib.Path, work: pathlib.Path, todo: list[str], notebooks: dict) -> dict:
    """Each distinct submission (by its bytes after intake) graded by a process of its own."""
    distinct: dict[tuple[str, str], list[str]] = {}
    for chapter in todo:
        for path in sorted((course / "submitted").glob(f"*/{chapter}/{notebooks[chapter]}.ipynb")):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
            distinct.setdefault((chapter, digest), []).append(path.parent.parent.name)
    roots = [work / f"alone-{k}" for k in range(os.cpu_count() or 1)]
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    for root in roots:
        for chapter in todo:
            shutil.copytree(ROOT / "solutions" / chapter, root / "solutions" / chapter)
        subprocess.run([str(BIN / "nbgrader"), "generate_assignment", "*", "--force",
                        f"--CourseDirectory.root={root}"], cwd=ROOT, env=env, check=True, capture_output=True)
    jobs = sorted(distinct.items())
    print(f"  {len(jobs)} distinct submissions (of {sum(len(v) for v in distinct.values())}) graded alone", flush=True)

    def one(k_job):
        k, ((chapter, _), students) = k_job
        root, student = roots[k % len(roots)], students[0]
        target = root / "submitted" / student / chapter
        shutil.copytree(course / "submitted" / student / chapter, target, dirs_exist_ok=True)
        started = time.perf_counter()
        subprocess.run([str(BIN / "nbgrader"), "autograde", chapter, f"--student={student}", "--force",
                        f"--CourseDirectory.root={root}"], cwd=ROOT, env=env, capture_output=True)
        return chapter, students, root, time.perf_counter() - started

    alone, seconds = {}, []
    with concurrent.futures.ThreadPoolExecutor(len(roots)) as pool:
        # each root is used by one job at a time: job k runs on root k % n, in rounds of n
        for batch in range(0, len(jobs), len(roots)):
            for chapter, students, root, took in pool.map(one, list(enumerate(jobs))[batch:batch + len(roots)]):
                scores = _scores(root, chapter, notebooks[chapter], students[:1]).get(students[0])
                seconds.append(took)
                for student in students:
                    alone[(chapter, student)] = scores
    return {"scores": alone, "seconds": seconds}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--solo", type=int, default=1, help="1: also grade each distinct submission alone")
    parser.add_argument("--chapters", default="", help="comma-separated chapters (default: every chapter)")
    parser.add_argument("--keep", help="work in this folder and keep it (default: a temporary folder)")
    args = parser.parse_args()
    todo = [c for c in chapters() if not args.chapters or c in args.chapters.split(",") or c[:2] in args.chapters.split(",")]
    work = pathlib.Path(args.keep or tempfile.mkdtemp(prefix="bench-class-"))
    course, subs = work / "course", work / "submissions"
    for chapter in todo:
        shutil.copytree(ROOT / "solutions" / chapter, course / "solutions" / chapter)
        shutil.copytree(ROOT / "course" / chapter, course / "course" / chapter)
    notebooks = {c: next((ROOT / "course" / c).glob("*.ipynb")).stem for c in todo}
    expected = {c: build_class(c, read(c, course / "course"), subs / c) for c in todo}
    print(f"bench-class: {len(expected[todo[0]]) + 1} students x {len(todo)} chapters in {work}; "
          f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}", flush=True)

    started, cpu = time.perf_counter(), _cpu_children()
    graded = grade_the_class(course, subs, todo)
    class_wall, class_cpu = time.perf_counter() - started, _cpu_children() - cpu

    rows, by_kind, profile = [], {}, {"imports": 0.0, "tests": 0.0, "answers": 0.0, "other cells": 0.0}
    mismatch = []
    for chapter in todo:
        students = graded[chapter]["report"]["students"]
        scores = _scores(course, chapter, notebooks[chapter], [s["id"] for s in students])
        for s in students:
            if s["graded"]:
                by_kind.setdefault(s["id"].rsplit("-", 1)[0], []).append(s["seconds"])
        for student, passes in expected[chapter].items():
            got = scores.get(student)
            if got is None:
                mismatch.append(f"{chapter}/{student}: not graded")
                continue
            for cell, ok in passes.items():
                if (got[cell][0] == got[cell][1]) != ok:
                    mismatch.append(f"{chapter}/{student}/{cell}: scored {got[cell][0]}/{got[cell][1]}, "
                                    f"{'should pass' if ok else 'should fail'}")
        broken = next(s for s in students if s["id"] == "broken-01")
        if broken["gradable"] or not broken["findings"]:
            mismatch.append(f"{chapter}/broken-01: not reported as ungradable")
        for path in (course / "autograded").glob(f"full-0*/{chapter}/*.ipynb"):
            for part, value in _notebook_profile(path).items():
                profile[part] += value / 5 / len(todo)
        rows.append(f"| {chapter} | {graded[chapter]['wall']:.0f} | {graded[chapter]['cpu']:.0f} | "
                    f"{statistics.median(s['seconds'] for s in students if s['graded']):.0f} | "
                    f"{max(s['seconds'] for s in students if s['graded']):.0f} |")
    print("\n| chapter | wall s | CPU s | median s per notebook | slowest notebook s |\n|---|---:|---:|---:|---:|")
    print("\n".join(rows))
    print(f"| **all** | **{class_wall:.0f}** | **{class_cpu:.0f}** | | |")
    print("\nseconds per notebook (wall, in a grader) by kind of submission:")
    for kind, values in sorted(by_kind.items()):
        print(f"  {kind:8s} median {statistics.median(values):5.1f}  max {max(values):5.1f}  (n={len(values)})")
    print("\nwhere a full-marks notebook's cell time goes (mean per notebook, s): "
          + ", ".join(f"{k} {v:.1f}" for k, v in profile.items()))

    if args.solo:
        alone = grade_alone(course, work, todo, notebooks)
        print(f"  graded alone: {len(alone['seconds'])} processes, median {statistics.median(alone['seconds']):.0f} s")
        for chapter in todo:
            scores = _scores(course, chapter, notebooks[chapter], expected[chapter])
            for student in expected[chapter]:
                mine, theirs = scores.get(student), alone["scores"].get((chapter, student))
                if mine != theirs:
                    mismatch.append(f"{chapter}/{student}: class {mine} != alone {theirs}")
    print(f"\nclass of {len(expected[todo[0]]) + 1} x {len(todo)} chapters: {class_wall / 60:.1f} min wall, "
          f"{class_cpu / 60:.1f} CPU min on {os.cpu_count()} cores (goal: 30 min wall)")
    print("scores: " + ("every test cell as expected" + (", and equal to grading alone" if args.solo else "")
                        if not mismatch else f"{len(mismatch)} MISMATCHES:\n  " + "\n  ".join(mismatch)))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if mismatch else 0


if __name__ == "__main__":
    sys.exit(main())
