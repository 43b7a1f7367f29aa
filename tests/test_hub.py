"""A class on a real JupyterHub: an instructor and two students share nbgrader's exchange, end to end.

A local JupyterHub on loopback (``jupyterhub`` from PyPI, ``configurable-http-proxy`` from npm:
``make e2e-env``) spawns each user's JupyterLab as that user's own Unix account (created for the
test, removed after it), as a hub on a Linux server does. One global nbgrader configuration points
everyone at one exchange. Then, as INSTRUCTORS.md says:

1. the instructor generates and releases a chapter (nbgrader, as the instructor, in the course
   directory: a copy of this repository's chapter and ``nbgrader_config.py``);
2. each student lists and fetches it, answers (alice: every exercise; bob: nothing), and submits,
   through nbgrader's assignment-list API of their own server;
3. bob cannot list the exchange's inbound folder, find alice's submission there, nor read her home;
4. the instructor grades the class with ``python -m helpers.grading.classroom --from exchange`` as
   root (``sudo make grade``: the grading sandbox needs root), which collects, autogrades, writes
   feedback and exports grades; formgrader, in the instructor's server, sees the scores;
5. the instructor releases the feedback; each student fetches their own, which shows their score and
   no hidden test.

Linux and root only (Unix accounts, and a hub that switches to them); elsewhere the test is skipped.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import pwd
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import nbformat
import pytest

from tests.e2e_tools import BIN, E2E, ROOT, free_port, install, server, wait_for
from tests.notebook_tools import grade_id, is_answer, read, replace_answers

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(
    not sys.platform.startswith("linux") or os.geteuid() != 0 or shutil.which("useradd") is None,
    reason="needs Linux and root: the hub spawns each user's server as a Unix account the test creates")]

CHAPTER = "02-shapley"  # the quickest chapter to grade; the exchange does not depend on the chapter
COURSE_ID = "interpretability"
INSTRUCTOR, STUDENTS = "ic-instructor", ("ic-alice", "ic-bob")
ONE_THREAD = {k: "1" for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
# The files of INSTRUCTORS.md section 2 that turn the formgrader and the assignment creator off for students.
STUDENTS_CONFIG = {
    "labconfig/page_config.json": json.dumps({
        "disabledExtensions": {"@jupyter/nbgrader:formgrader": True, "@jupyter/nbgrader:create-assignment": True},
        "lockedExtensions": {"@jupyter/nbgrader:formgrader": True, "@jupyter/nbgrader:create-assignment": True}}),
    "jupyter_server_config.d/nbgrader-students.json": json.dumps(
        {"ServerApp": {"jpserver_extensions": {"nbgrader.server_extensions.formgrader": False}}}),
}


# ---- the machine: Unix accounts, folders every account can reach


def _traversable(path: pathlib.Path) -> list[pathlib.Path]:
    """Give o+x (enter, not list) to the folders above ``path`` that lack it; the ones changed."""
    changed = []
    for folder in [path, *path.parents]:
        mode = folder.stat().st_mode
        if not mode & 0o001:
            os.chmod(folder, mode | 0o001)
            changed.append(folder)
    return changed


@contextlib.contextmanager
def unix_accounts(names, home_base: pathlib.Path):
    for name in names:
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            subprocess.run(["userdel", "-r", name], capture_output=True)
        subprocess.run(["useradd", "-m", "-d", str(home_base / name), "-s", "/bin/bash", name], check=True)
        os.chmod(home_base / name, 0o700)  # a student's home is theirs alone (INSTRUCTORS.md)
    try:
        yield {name: pwd.getpwnam(name) for name in names}
    finally:
        import psutil

        uids = {pwd.getpwnam(n).pw_uid for n in names}
        left = [p for p in psutil.process_iter(["uids"]) if p.info["uids"] and p.info["uids"].real in uids]
        for process in left:
            with contextlib.suppress(psutil.Error):
                process.kill()
        psutil.wait_procs(left, timeout=10)
        for name in names:
            subprocess.run(["userdel", "-r", name], capture_output=True)


def run_as(account, command, *, env, cwd=None, check=True):
    """A command as ``account`` (a pwd entry), as the user would type it in their hub terminal."""
    env = dict(env, HOME=account.pw_dir, USER=account.pw_name, LOGNAME=account.pw_name)
    done = subprocess.run(command, user=account.pw_uid, group=account.pw_gid, extra_groups=[], env=env,
                          cwd=cwd or account.pw_dir, capture_output=True, text=True)
    if check:
        assert done.returncode == 0, f"{' '.join(map(str, command))} as {account.pw_name}:\n{done.stdout}\n{done.stderr}"
    return done


# ---- the hub's REST API, and each user's server behind the proxy


class Hub:
    def __init__(self, url: str, token: str, log: pathlib.Path):
        self.url, self.token, self.log = url, token, log

    def call(self, method, path, data=None, form=None, timeout=120):
        body, headers = None, {"Authorization": f"token {self.token}"}
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif data is not None:
            body = json.dumps(data).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.url + path, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                text = response.read().decode()
        except urllib.error.HTTPError as error:
            raise AssertionError(f"{method} {path}: HTTP {error.code} {error.read().decode()[:2000]}\n"
                                 f"hub log:\n{self.log.read_text()[-6000:]}") from None
        return json.loads(text) if text.strip().startswith(("{", "[")) else text

    def wait_up(self, seconds, log):
        """Until the hub itself answers through its proxy (the proxy answers 404 or 503 before)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError, AssertionError):
                if isinstance(self.call("GET", "/hub/api", timeout=10), dict):
                    return
            time.sleep(0.5)
        raise AssertionError(f"the hub did not come up in {seconds} s:\n{log.read_text()[-4000:]}")

    def start(self, user):
        if user not in {u["name"] for u in self.call("GET", "/hub/api/users")}:
            self.call("POST", f"/hub/api/users/{user}")
        self.call("POST", f"/hub/api/users/{user}/server")

    def wait_ready(self, user, seconds=180):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            model = self.call("GET", f"/hub/api/users/{user}")
            if model.get("servers", {}).get("", {}).get("ready"):
                return
            time.sleep(1)
        raise AssertionError(f"{user}'s server did not start in {seconds} s")

    def user(self, user, method, path, **kw):
        return self.call(method, f"/user/{user}{path}", **kw)

    def status(self, user, path) -> int:
        request = urllib.request.Request(f"{self.url}/user/{user}{path}", headers={"Authorization": f"token {self.token}"})
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def lab_disabled(self, user) -> set[str]:
        """The JupyterLab plug-ins the user's /lab page turns off (its page config)."""
        page = self.user(user, "GET", "/lab")
        found = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.S)
        disabled = json.loads(found.group(1)).get("disabledExtensions", [])
        return set(disabled) if isinstance(disabled, list) else {k for k, v in disabled.items() if v}


def hub_config(base, port, hub_port, api_port, token, etc):
    return f"""
c = get_config()
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api_port}"
c.JupyterHub.db_url = "sqlite:///{base}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{base}/jupyterhub_cookie_secret"
c.JupyterHub.pid_file = "{base}/jupyterhub.pid"
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allowed_users = {{{', '.join(repr(u) for u in (INSTRUCTOR, *STUDENTS))}}}
c.JupyterHub.spawner_class = "localprocess"   # each server runs as its user's Unix account
c.Spawner.cmd = ["{BIN / 'jupyterhub-singleuser'}"]
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180
def _config_path(spawner):  # students read first the folder that turns the formgrader off (INSTRUCTORS.md)
    return "{etc}" if spawner.user.name == "{INSTRUCTOR}" else "{etc / 'students'}{os.pathsep}{etc}"
c.Spawner.environment = {{"JUPYTER_CONFIG_PATH": _config_path, **{ONE_THREAD!r}}}
c.JupyterHub.services = [{{"name": "e2e", "api_token": "{token}"}}]
c.JupyterHub.load_roles = [{{"name": "e2e", "services": ["e2e"],
                            "scopes": ["admin:users", "admin:servers", "access:servers", "read:users"]}}]
"""


def test_a_class_on_jupyterhub_round_trip():
    install()
    started = time.monotonic()
    # Every account runs the course's Python: its interpreter (pyenv's lives under /root here), the
    # environment and this repository must be reachable (o+x on the folders above them, for the test).
    changed = [f for p in (pathlib.Path(sys.base_prefix).resolve(), pathlib.Path(sys.prefix).resolve(), ROOT)
               for f in _traversable(p)]
    base = pathlib.Path(tempfile.mkdtemp(prefix="ic-hub-"))
    os.chmod(base, 0o755)
    try:
        _round_trip(base, started)
    finally:
        shutil.rmtree(base, ignore_errors=True)
        for folder in changed:
            os.chmod(folder, folder.stat().st_mode & ~0o001)


def _round_trip(base: pathlib.Path, started: float):
    homes, etc, exchange = base / "home", base / "etc" / "jupyter", base / "exchange"
    for folder in (homes, etc, exchange):
        folder.mkdir(parents=True)
        os.chmod(folder, 0o755)
    os.chmod(exchange, 0o777)  # nbgrader's exchange root: everyone writes (release sets the course's modes)
    (etc / "nbgrader_config.py").write_text(  # /etc/jupyter/nbgrader_config.py on a real hub
        f"c = get_config()\nc.Exchange.root = {str(exchange)!r}\nc.CourseDirectory.course_id = {COURSE_ID!r}\n")
    students_only = etc / "students"  # /etc/jupyter/students on a real hub: what students' servers leave out
    for name, text in STUDENTS_CONFIG.items():
        (students_only / name).parent.mkdir(parents=True, exist_ok=True)
        (students_only / name).write_text(text)
    for folder in (base / "etc", etc, *[p for p in students_only.rglob("*") if p.is_dir()], students_only):
        os.chmod(folder, 0o755)
    for config in (etc / "nbgrader_config.py", *[p for p in students_only.rglob("*") if p.is_file()]):
        os.chmod(config, 0o644)
    path = f"{BIN}{os.pathsep}{E2E / 'node_modules' / '.bin'}{os.pathsep}{os.environ['PATH']}"
    env = {"PATH": path, "JUPYTER_CONFIG_PATH": str(etc), "LANG": "C.UTF-8", **ONE_THREAD}

    with unix_accounts((INSTRUCTOR, *STUDENTS), homes) as accounts:
        instructor = accounts[INSTRUCTOR]
        course = pathlib.Path(instructor.pw_dir) / "course"  # the instructor's clone of the course
        shutil.copytree(ROOT / "solutions" / CHAPTER, course / "solutions" / CHAPTER)
        shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
        (pathlib.Path(instructor.pw_dir) / ".jupyter").mkdir()
        (pathlib.Path(instructor.pw_dir) / ".jupyter" / "nbgrader_config.py").write_text(
            f"c = get_config()\nc.CourseDirectory.root = {str(course)!r}\n")
        subprocess.run(["chown", "-R", f"{instructor.pw_uid}:{instructor.pw_gid}", instructor.pw_dir], check=True)

        port, token = free_port(), secrets.token_hex(24)
        (base / "jupyterhub_config.py").write_text(hub_config(base, port, free_port(), free_port(), token, etc))
        log = base / "hub.log"
        hub = Hub(f"http://127.0.0.1:{port}", token, log)
        hub_env = dict(os.environ, PATH=path)
        with server([str(BIN / "jupyterhub"), "-f", str(base / "jupyterhub_config.py")], log=log, cwd=base,
                    env=hub_env) as process:
            wait_for(f"{hub.url}/hub/api", 120, process, log)
            hub.wait_up(120, log)
            for user in (INSTRUCTOR, *STUDENTS):
                hub.start(user)
            for user in (INSTRUCTOR, *STUDENTS):
                hub.wait_ready(user)
            spawned = time.monotonic()
            _class(hub, accounts, course, exchange, env)
            timings = f"hub and 3 servers {spawned - started:.0f} s, the class {time.monotonic() - spawned:.0f} s"
        print(f"\nJupyterHub round trip: {timings}")


def _class(hub, accounts, course, exchange, env):
    instructor = accounts[INSTRUCTOR]
    nbgrader = str(BIN / "nbgrader")
    # 0. Students have neither the formgrader nor the assignment creator; the instructor has both.
    hidden = {"@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment"}
    for student in STUDENTS:
        assert hub.status(student, "/formgrader") == 404, f"{student}'s server serves the formgrader"
        assert hidden <= hub.lab_disabled(student), hub.lab_disabled(student)
    assert not hidden & hub.lab_disabled(INSTRUCTOR), hub.lab_disabled(INSTRUCTOR)
    assert hub.status(INSTRUCTOR, "/formgrader") in (200, 302)

    # 1. The instructor releases the chapter.
    run_as(instructor, [nbgrader, "generate_assignment", CHAPTER, "--force"], env=env, cwd=course)
    run_as(instructor, [nbgrader, "release_assignment", CHAPTER], env=env, cwd=course)

    # 2. The students fetch, answer and submit, through their own servers.
    solution = {grade_id(c): c.source for c in read(CHAPTER).cells if is_answer(c)}
    form = {"course_id": COURSE_ID, "assignment_id": CHAPTER}
    notebook_api = f"/api/contents/{CHAPTER}/{CHAPTER}.ipynb"
    for student in STUDENTS:
        listed = hub.user(student, "GET", f"/assignments?course_id={COURSE_ID}")
        if not any(a["assignment_id"] == CHAPTER and a["status"] == "released" for a in listed["value"]):
            cli = run_as(accounts[student], [nbgrader, "list"], env=env, check=False)
            raise AssertionError(f"{student}'s server lists {listed}; `nbgrader list` says:\n{cli.stdout}{cli.stderr}"
                                 f"\nexchange: {sorted(str(p) for p in exchange.rglob('*'))}")
        hub.user(student, "POST", "/assignments/fetch", form=form)
        model = hub.user(student, "GET", notebook_api)
        nb = nbformat.from_dict(model["content"])
        if student == "ic-alice":
            nb = replace_answers(nb, solution)
        hub.user(student, "PUT", notebook_api, data={"type": "notebook", "format": "json", "content": nb})
        submitted = hub.user(student, "POST", "/assignments/submit", form=form)
        assert any(a["status"] == "submitted" for a in submitted["value"]), submitted

    # 3. One student cannot read another's submission.
    alice, bob = accounts["ic-alice"], accounts["ic-bob"]
    inbound = exchange / COURSE_ID / "inbound"
    snooping = f"""
import glob, os
findings = []
try:
    os.listdir({str(inbound)!r}); findings.append("listed inbound")
except PermissionError:
    pass
if glob.glob({str(inbound)!r} + "/ic-alice+*"):
    findings.append("found alice's submission")
try:
    open({alice.pw_dir!r} + "/{CHAPTER}/{CHAPTER}.ipynb").read(); findings.append("read alice's notebook")
except PermissionError:
    pass
print(findings)
"""
    seen = run_as(bob, [str(BIN / "python"), "-c", snooping], env=env).stdout.strip()
    assert seen == "[]", f"bob could: {seen}"
    assert len(list(inbound.glob("ic-alice+*"))) == 1 and len(list(inbound.glob("ic-bob+*"))) == 1

    # 4. The instructor grades the class (as root, for the sandbox), then formgrader shows the scores.
    grading = subprocess.run([str(BIN / "python"), "-m", "helpers.grading.classroom", CHAPTER, "--from", "exchange",
                              "--root", str(course)], cwd=ROOT, env=dict(os.environ, **env), capture_output=True,
                             text=True)
    assert grading.returncode == 0, grading.stdout + grading.stderr
    assert "2 of 2 students graded" in grading.stdout, grading.stdout
    assert f"feedback for the exchange: nbgrader release_feedback {CHAPTER}\n" in grading.stdout, grading.stdout
    assert "grading sandbox: on" in grading.stdout, grading.stdout
    assert (course / "gradebook.db").stat().st_uid == instructor.pw_uid, "the gradebook was not given back"
    submissions = hub.user(INSTRUCTOR, "GET", f"/formgrader/api/submissions/{CHAPTER}")
    scores = {s["student"]: (s["code_score"], s["max_code_score"]) for s in submissions}
    assert scores["ic-alice"][0] == scores["ic-alice"][1] > 0, scores
    assert scores["ic-bob"][0] == 0, scores

    # 5. Feedback: released by the instructor, fetched by each student, their own only.
    run_as(instructor, [nbgrader, "release_feedback", CHAPTER], env=env, cwd=course)
    for student in STUDENTS:
        hub.user(student, "POST", "/assignments/fetch_feedback", form=form)
        home = pathlib.Path(accounts[student].pw_dir)
        pages = sorted(home.glob(f"{CHAPTER}/feedback/*/{CHAPTER}.html"))
        assert len(pages) == 1, f"{student} got {pages}"
        html = pages[0].read_text()
        assert "BEGIN HIDDEN TESTS" not in html and "grading_copy" not in html
        total = re.search(r"Score: ([\d.]+) / ([\d.]+)\)</h4>", html)  # the notebook's total, first
        assert total and float(total.group(1)) == scores[student][0], (student, total and total.group(0))
        assert pages[0].stat().st_uid == accounts[student].pw_uid
