"""Grade a whole class with one command: ``make grade ASSIGNMENT=01-importance [FROM=folder|exchange]``.

    python -m helpers.grading.classroom 01-importance --from submissions/   # alice.ipynb, bob.zip, carol/...
    python -m helpers.grading.classroom 01-importance --from exchange       # nbgrader collect first
    python -m helpers.grading.classroom 01-importance                       # what submitted/ holds already

In order:

1. **Intake.** Submissions are read (an .ipynb, a .zip or a folder per student, or nbgrader's
   exchange through ``nbgrader collect``) into ``submitted/<student>/<assignment>/``, and repaired
   against the release (:mod:`.intake`): stripped nbgrader metadata, deleted or duplicated cells.
   What was wrong and what was done is printed and kept in the report; the student's original is kept
   in ``intake/<assignment>/<student>/``. An unreadable submission is named, and not graded.
2. **The gradebook first.** The assignment (if missing) and every student are written to the
   gradebook before grading starts, so that parallel graders never race to create the same row
   (``UNIQUE constraint failed``); an SQLite gradebook is switched to write-ahead logging, so that a
   grader reading it never blocks another one's write.
3. **Parallel graders.** One long-lived process per core (``--jobs``) takes the next student from a
   shared queue and runs nbgrader's autograde and feedback for that student (nbgrader's own code,
   through ``NbGraderAPI``, with this course's ``nbgrader_config.py``); each imports nbgrader and the
   grading pipeline once. Kernels get one BLAS / OpenMP / torch thread each (:data:`ONE_THREAD`):
   the graders already use every core, and oversubscribed BLAS threads slow a small solve a hundredfold
   on a busy machine. A student whose grading fails (a kernel that does not start, a port already
   in use) is graded once more before being reported as failed; the others go on.
4. **Results.** Feedback HTML (scores and messages, no hidden tests: ``nbgrader_config.py``), the
   CSV of every student's scores (``grades.csv``, nbgrader's export), and a report,
   ``reports/<assignment>.md`` and ``.json``: per student, the score, the seconds and CPU seconds
   the grading took, the findings of the intake, and the grading rules a cell broke.

Run it as root on Linux so that grading kernels run in the sandbox (README, "Grading is hardened");
files it creates are then given to the owner of the course directory.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import hashlib
import json
import multiprocessing
import os
import pathlib
import re
import resource
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field

import nbformat

from .intake import Finding, read_submission, repair, student_id
from .sandbox import sandbox_problem

REPO = pathlib.Path(__file__).resolve().parents[2]
# One thread per grading kernel: the graders already use every core (see the module docstring).
ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                     "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMBA_NUM_THREADS")}
# Log lines worth showing in the report: what the grading pipeline refused or stopped.
_NOTABLE = re.compile(r"audit: |guard: |kernel died|Timeout|timed out|CellTimeoutError|sandbox OFF")


@dataclass
class Student:
    """One student's submission of the assignment, and what grading made of it."""

    id: str
    findings: list[Finding] = field(default_factory=list)
    gradable: bool = True
    graded: bool = False
    attempts: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    score: float | None = None
    max_score: float | None = None
    manual: float = 0.0  # points of written answers still to grade by hand (the formgrader)
    notes: list[str] = field(default_factory=list)
    error: str = ""


# --------------------------------------------------------------------------------------------
# nbgrader's configuration, as its command line would load it


def load_config(overrides: list[str]):
    """nbgrader's configuration: the jupyter config paths, this repository's ``nbgrader_config.py``,
    the course root's own, then ``overrides`` (``--CourseDirectory.root=...``)."""
    from nbgrader.apps.baseapp import NbGrader

    with contextlib.chdir(REPO):
        app = NbGrader()
        app.initialize(list(overrides))
        config = app.config
        app.clear_instance()
    return config


def _api(config):
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    return api


# --------------------------------------------------------------------------------------------
# The graders (worker processes)

_API = None
_ASSIGNMENT = ""


def _start_grader(overrides: list[str], assignment: str, log_folder: str) -> None:
    global _API, _ASSIGNMENT
    os.environ.update(ONE_THREAD)
    os.chdir(REPO)
    log = open(pathlib.Path(log_folder) / f"grader-{os.getpid()}.log", "a", buffering=1)  # noqa: SIM115
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)
    _API, _ASSIGNMENT = _api(load_config(overrides)), assignment


def _cpu_now() -> float:
    mine, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return mine.ru_utime + mine.ru_stime + children.ru_utime + children.ru_stime


def _grade_student(student: str) -> dict:
    """Autograde and write feedback for one student; a failure is retried once, in the same grader."""
    started, cpu = time.perf_counter(), _cpu_now()
    result, attempts = {}, 0
    for attempts in (1, 2):  # noqa: B007 - the count is reported
        result = _API.autograde(_ASSIGNMENT, student, force=True, create=True)
        if result.get("success"):
            break
        print(f"grading {student} failed (attempt {attempts}):\n{result.get('error', '')}", flush=True)
    log = result.get("log", "")
    notes = sorted({line.split("] ", 1)[-1].strip() for line in log.splitlines() if _NOTABLE.search(line)})
    feedback = {}
    if result.get("success"):
        feedback = _API.generate_feedback(_ASSIGNMENT, student, force=True)
        if not feedback.get("success"):
            notes.append("feedback could not be written: " + _last_line(feedback.get("error", "")))
    return {"id": student, "graded": bool(result.get("success")), "attempts": attempts, "notes": notes,
            "error": "" if result.get("success") else _last_line(result.get("error", "") or log),
            "seconds": time.perf_counter() - started, "cpu_seconds": _cpu_now() - cpu}


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "unknown error"


# --------------------------------------------------------------------------------------------
# The class


class ClassGrading:
    """Grade every submission of one assignment (see the module docstring)."""

    def __init__(self, assignment: str, *, root: str | None = None, source: str | None = None,
                 jobs: int | None = None, overrides: list[str] | None = None, out=sys.stdout):
        self.assignment, self.source, self.out = assignment, source, out
        self.overrides = list(overrides or [])
        if root:
            self.overrides.append(f"--CourseDirectory.root={pathlib.Path(root).resolve()}")
        self.config = load_config(self.overrides)
        self.api = _api(self.config)
        self.coursedir = self.api.coursedir
        self.root = pathlib.Path(self.coursedir.root)
        self.jobs = max(1, jobs or os.cpu_count() or 1)
        self.students: dict[str, Student] = {}
        self.timings: dict[str, float] = {}

    def sandboxed(self) -> bool:
        """Whether the configuration asks for the grading sandbox (nbgrader_config.py: on)."""
        section = self.config.get("SandboxKernelManager", {}) if "SandboxKernelManager" in self.config else {}
        return section.get("sandbox", True) is not False

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    # ---- steps

    def register_assignment(self) -> None:
        from nbgrader.api import Gradebook, MissingEntry

        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gradebook:
            try:
                assignment = gradebook.find_assignment(self.assignment)
                known = bool(assignment.notebooks)
            except MissingEntry:
                known = False
        if not known:
            self.say(f"registering {self.assignment} in the gradebook (nbgrader generate_assignment)")
            result = self.api.generate_assignment(self.assignment, force=True, create=True)
            if not result.get("success"):
                raise SystemExit(f"could not register {self.assignment}:\n{result.get('error') or result.get('log')}")

    def release_notebooks(self) -> dict[str, nbformat.NotebookNode]:
        folder = pathlib.Path(self.coursedir.format_path(self.coursedir.release_directory, ".", self.assignment))
        found = {p.name: nbformat.read(p, as_version=4) for p in sorted(folder.glob("*.ipynb"))}
        if not found:
            raise SystemExit(f"no release of {self.assignment} in {folder}: run `make release` (or "
                             f"`nbgrader generate_assignment {self.assignment}`) first")
        return found

    def submitted_path(self, student: str, notebook: str) -> pathlib.Path:
        return pathlib.Path(self.coursedir.format_path(self.coursedir.submitted_directory, student,
                                                       self.assignment)) / notebook

    def digest(self, student: str) -> str:
        """A hash of the student's submitted notebooks as they are graded (after the repairs)."""
        folder = self.submitted_path(student, "x").parent
        hashed = hashlib.sha256()
        for path in sorted(folder.glob("*.ipynb")):
            hashed.update(path.name.encode() + b"\0" + path.read_bytes())
        return hashed.hexdigest()

    def remember_repairs(self) -> None:
        """A regrade of a notebook repaired before finds nothing left to repair: the earlier report's
        findings are kept for it, while the notebook is the one that report graded (same hash)."""
        saved = self.root / "reports" / f"{self.assignment}.json"
        if not saved.is_file():
            return
        before = {s["id"]: s for s in json.loads(saved.read_text()).get("students", [])}
        for entry in self.students.values():
            old = before.get(entry.id)
            if (entry.gradable and not entry.findings and old and old.get("findings")
                    and old.get("digest") == self.digest(entry.id)):
                entry.findings = [Finding(f["kind"], f["detail"], f"{f['action']} (at an earlier grading)")
                                  for f in old["findings"]]

    def intake(self) -> None:
        releases = self.release_notebooks()
        if len(releases) > 1 and self.source not in (None, "exchange"):
            raise SystemExit(f"{self.assignment} has {len(releases)} notebooks: submit folders per student "
                             "through the exchange, or into submitted/ directly")
        if self.source == "exchange":
            self.say(f"collecting {self.assignment} from the exchange (nbgrader collect)")
            result = self.api.collect(self.assignment, update=True)
            if not result.get("success"):
                raise SystemExit(f"nbgrader collect failed:\n{result.get('error') or result.get('log')}")
        elif self.source:
            self._copy_in(pathlib.Path(self.source), next(iter(releases)))
        for student in self._submitted_students():
            entry = self.students.setdefault(student, Student(student))
            for name, release in releases.items():
                self._repair(entry, name, release)

    def _copy_in(self, folder: pathlib.Path, notebook: str) -> None:
        if not folder.is_dir():
            raise SystemExit(f"{folder} is not a folder of submissions")
        entries = sorted(p for p in folder.iterdir() if not p.name.startswith(".")
                         and (p.is_dir() or p.suffix.lower() in (".ipynb", ".zip")))
        self.say(f"reading {len(entries)} submissions from {folder}")
        seen: dict[str, str] = {}
        for path in entries:
            student = student_id(path.name)
            entry = self.students.setdefault(student, Student(student))
            if student in seen:
                entry.findings.append(Finding("two submissions", f"{seen[student]!r} and {path.name!r} are both "
                                              f"student {student!r}", f"graded {path.name!r}, the last in name order"))
            seen[student] = path.name
            if student != (path.name if path.is_dir() else path.name.rsplit(".", 1)[0]):
                raw = path.name if path.is_dir() else path.name.rsplit(".", 1)[0]
                entry.findings.append(Finding("student id", f"{raw!r} is not a valid nbgrader id",
                                              f"graded as {student!r}"))
            nb, findings = read_submission(path, notebook)
            entry.findings += findings
            target = self.submitted_path(student, notebook)
            if nb is None:
                entry.gradable = False
                if target.exists():
                    target.unlink()
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, target)
            modified = datetime.datetime.fromtimestamp(path.stat().st_mtime, datetime.UTC)
            (target.parent / "timestamp.txt").write_text(modified.strftime("%Y-%m-%d %H:%M:%S.%f %Z"))

    def _submitted_students(self) -> list[str]:
        folder = self.root / self.coursedir.submitted_directory
        return sorted({p.parent.name for p in folder.glob(f"*/{self.assignment}") if p.is_dir()} |
                      {s for s, e in self.students.items() if not e.gradable})

    def _repair(self, entry: Student, notebook: str, release) -> None:
        path = self.submitted_path(entry.id, notebook)
        if not entry.gradable:
            return
        if not path.exists():
            entry.findings.append(Finding("notebook missing", f"no {notebook} in the submission",
                                          "graded without it (its cells score 0)"))
            return
        nb, findings = read_submission(path, notebook)
        if nb is None:
            entry.findings += findings
            entry.gradable = False
            self._keep_original(entry.id, path)
            path.unlink()
            return
        fixed, findings = repair(nb, release)
        if fixed != nb:
            self._keep_original(entry.id, path)
            nbformat.write(fixed, path)
        entry.findings += findings

    def _keep_original(self, student: str, path: pathlib.Path) -> None:
        keep = self.root / "intake" / self.assignment / student
        keep.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, keep / path.name)

    def prepare_gradebook(self) -> list[str]:
        """Create every student's row before the graders start; WAL for SQLite. The students to grade."""
        from nbgrader.api import Gradebook

        url = self.coursedir.db_url
        if url.startswith("sqlite:///"):
            import sqlite3

            with contextlib.closing(sqlite3.connect(url[len("sqlite:///"):])) as db:
                db.execute("PRAGMA journal_mode=WAL")
        todo = [s for s, e in sorted(self.students.items()) if e.gradable]
        with Gradebook(url, self.coursedir.course_id) as gradebook:
            for student in self.students:
                gradebook.update_or_create_student(student)
        return todo

    def grade(self, todo: list[str]) -> None:
        jobs = min(self.jobs, len(todo)) or 1
        logs = self.root / "reports" / "logs" / self.assignment
        shutil.rmtree(logs, ignore_errors=True)
        logs.mkdir(parents=True)
        self.say(f"grading {len(todo)} students with {jobs} graders (one thread per kernel); logs in {logs}")
        context = multiprocessing.get_context("spawn")
        done = 0
        with context.Pool(jobs, initializer=_start_grader, initargs=(self.overrides, self.assignment, str(logs))) as pool:
            for result in pool.imap_unordered(_grade_student, todo):
                done += 1
                entry = self.students[result["id"]]
                for key in ("graded", "attempts", "seconds", "cpu_seconds", "error"):
                    setattr(entry, key, result[key])
                entry.notes = result["notes"]
                state = "graded" if entry.graded else f"FAILED ({entry.error})"
                retried = " after a retry" if entry.attempts > 1 and entry.graded else ""
                self.say(f"  [{done}/{len(todo)}] {entry.id}: {state}{retried}, {entry.seconds:.0f} s")

    def scores(self) -> None:
        from nbgrader.api import Gradebook, MissingEntry

        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gradebook:
            for entry in self.students.values():
                try:
                    submission = gradebook.find_submission(self.assignment, entry.id)
                except MissingEntry:
                    continue
                if entry.graded:
                    entry.score, entry.max_score = submission.score, submission.max_score
                    if submission.needs_manual_grade:
                        entry.manual = submission.max_written_score

    def export(self) -> pathlib.Path:
        from nbgrader.api import Gradebook
        from nbgrader.plugins import CsvExportPlugin

        target = self.root / "grades.csv"
        plugin = CsvExportPlugin(config=self.config)
        plugin.to = str(target)
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gradebook:
            plugin.export(gradebook)
        self._annotate(target)
        return target

    def _annotate(self, target: pathlib.Path) -> None:
        """A ``grading_note`` column in the CSV: a 0 that is not a graded 0 says so."""
        import csv

        with target.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
        if not rows:
            return
        earlier: dict[str, dict[str, str]] = {}  # other assignments keep the notes of their own grading
        for row in rows:
            if row["assignment"] == self.assignment:
                entry = self.students.get(row["student_id"])
                row["grading_note"] = "" if entry is None else self.status(entry)
                continue
            if row["assignment"] not in earlier:
                saved = self.root / "reports" / f"{row['assignment']}.json"
                students = json.loads(saved.read_text()).get("students", []) if saved.is_file() else []
                earlier[row["assignment"]] = {s["id"]: s.get("note", "") for s in students}
            row["grading_note"] = earlier[row["assignment"]].get(row["student_id"], "")
        with target.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)

    @staticmethod
    def status(entry: Student) -> str:
        """One line: graded (and what was repaired), not graded (why), or failed."""
        if not entry.gradable:
            return "NOT GRADED: " + "; ".join(f"{f.kind}: {f.detail}" for f in entry.findings if "not graded" in f.action)
        if not entry.graded:
            return f"GRADING FAILED: {entry.error}"
        said = "graded" + (f"; {entry.manual:g} points to grade by hand" if entry.manual else "")
        return said + "".join(f"; {f.kind} ({f.action})" for f in entry.findings)

    def report(self) -> pathlib.Path:
        folder = self.root / "reports"
        folder.mkdir(exist_ok=True)
        rows = ["| student | score | seconds | CPU s | what was wrong, and what was done |", "|---|---:|---:|---:|---|"]
        for entry in sorted(self.students.values(), key=lambda e: e.id):
            manual = f" ({entry.manual:g} by hand)" if entry.manual else ""
            score = (f"{entry.score:g} / {entry.max_score:g}{manual}" if entry.score is not None
                     else "not graded" if not entry.gradable else f"FAILED: {entry.error}")
            said = [str(f) for f in entry.findings] + entry.notes
            rows.append(f"| {entry.id} | {score} | {entry.seconds:.0f} | {entry.cpu_seconds:.0f} | "
                        f"{'<br>'.join(s.replace('|', '/') for s in said)} |")
        timing = ", ".join(f"{k} {v:.0f} s" for k, v in self.timings.items())
        text = f"# Grading of {self.assignment}\n\n{timing}\n\n" + "\n".join(rows) + "\n"
        (folder / f"{self.assignment}.md").write_text(text)
        data = {"assignment": self.assignment, "timings": self.timings, "jobs": self.jobs,
                "students": [{**asdict(e), "findings": [asdict(f) for f in e.findings], "note": self.status(e),
                              "digest": self.digest(e.id) if e.gradable else ""} for e in self.students.values()]}
        (folder / f"{self.assignment}.json").write_text(json.dumps(data, indent=1))
        return folder / f"{self.assignment}.md"

    def give_back(self) -> None:
        """Run as root on someone else's course directory: hand the files written back to its owner."""
        owner = self.root.stat()
        if os.geteuid() != 0 or owner.st_uid == 0:
            return
        for name in ("submitted", "autograded", "feedback", "intake", "reports", "grades.csv", "gradebook.db",
                     "gradebook.db-wal", "gradebook.db-shm"):
            path = self.root / name
            if not path.exists():
                continue
            for item in [path, *(path.rglob("*") if path.is_dir() else [])]:
                os.lchown(item, owner.st_uid, owner.st_gid)

    # ---- all of it

    def run(self) -> int:
        def step(name, action, *args):
            started = time.perf_counter()
            value = action(*args)
            self.timings[name] = time.perf_counter() - started
            return value

        started = time.perf_counter()
        problem = sandbox_problem() if self.sandboxed() else "turned off (SandboxKernelManager.sandbox = False)"
        self.say("grading sandbox: on" if problem is None else f"grading sandbox OFF: {problem}")
        step("register", self.register_assignment)
        step("intake", self.intake)
        self.remember_repairs()
        for entry in sorted(self.students.values(), key=lambda e: e.id):
            for finding in entry.findings:
                self.say(f"  {entry.id}: {finding}")
        todo = step("gradebook", self.prepare_gradebook)
        if todo:
            step("grading", self.grade, todo)
        self.scores()
        csv = step("export", self.export)
        self.timings["total"] = time.perf_counter() - started
        report = self.report()
        self.give_back()
        failed = [e.id for e in self.students.values() if e.gradable and not e.graded]
        skipped = [e.id for e in self.students.values() if not e.gradable]
        self.say(f"\n{len(todo) - len(failed)} of {len(self.students)} students graded in "
                 f"{self.timings['total']:.0f} s; scores in {csv}, feedback in "
                 f"{self.coursedir.feedback_directory}/, report in {report}")
        if skipped:
            self.say(f"NOT GRADED (nothing gradable in the submission): {', '.join(skipped)}")
        if failed:
            self.say(f"GRADING FAILED twice: {', '.join(failed)} (see {report})")
        if advice := self.release_advice():
            self.say(advice)
        return 1 if failed else 0

    def release_advice(self) -> str:
        """How to give the feedback back. nbgrader's release_feedback needs the submission_secret.txt that
        the exchange wrote for each submission, and stops at the first student without one (a submission
        from a folder): so it is told to leave those students out, who get their HTML by hand."""
        folder = self.root / self.coursedir.feedback_directory
        pages = sorted(p for p in folder.glob(f"*/{self.assignment}") if p.is_dir())
        by_hand = [p.parent.name for p in pages if not (p / "submission_secret.txt").exists()]
        lines = []
        if len(by_hand) < len(pages):
            exclude = f" --CourseDirectory.student_id_exclude={','.join(by_hand)}" if by_hand else ""
            lines.append(f"feedback for the exchange: nbgrader release_feedback {self.assignment}{exclude}")
        if by_hand:
            lines.append(f"feedback to send by hand (not submitted through the exchange): "
                         f"{folder}/<student>/{self.assignment}/ for {', '.join(by_hand)}")
        return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.grading.classroom", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignment", help="the chapter, e.g. 01-importance")
    parser.add_argument("--from", dest="source", help="a folder of submissions (one .ipynb, .zip or folder per "
                        "student, named by the student's id), or 'exchange'; default: submitted/ as it is")
    parser.add_argument("--root", help="the course directory (default: nbgrader's CourseDirectory.root)")
    parser.add_argument("--jobs", type=int, help="parallel graders (default: one per core)")
    args, extra = parser.parse_known_args(argv)
    unknown = [a for a in extra if not re.match(r"^--\w+\.\w+=", a)]
    if unknown:
        parser.error(f"unrecognised arguments: {' '.join(unknown)} (nbgrader options look like --Class.trait=value)")
    # nbgrader shells out to `alembic` (in this environment) when it opens a new gradebook.
    os.environ["PATH"] = f"{pathlib.Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    grading = ClassGrading(args.assignment, root=args.root, source=args.source, jobs=args.jobs, overrides=extra)
    return grading.run()


if __name__ == "__main__":
    sys.exit(main())
