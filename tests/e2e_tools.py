"""What the end-to-end tests share: their set-up (``make e2e-env``), free ports, servers that stop.

``make e2e-env`` installs what they need and nothing else needs: Debian's Chromium (apt), jupyterhub
(PyPI, the ``hub`` extra), playwright-core and configurable-http-proxy (npm, ``tests/e2e/``). The
fixtures run it, so ``pytest tests/test_browser.py`` works on a fresh clone as ``make test`` does.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[1]
E2E = ROOT / "tests" / "e2e"
ARTIFACTS = ROOT / ".artifacts"
BIN = pathlib.Path(sys.executable).parent


def install() -> None:
    """``make e2e-env`` (quick once installed); fails the test with make's output if it cannot."""
    done = subprocess.run(["make", "-s", "e2e-env", f"VENV={BIN.parent}"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, f"`make e2e-env` failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"


def free_port() -> int:
    with contextlib.closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, seconds: float, process: subprocess.Popen | None = None, log: pathlib.Path | None = None):
    """Poll ``url`` until it answers (any HTTP status); fail with the server's log if it never does."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            break
        try:
            urllib.request.urlopen(url, timeout=5)
            return
        except urllib.error.HTTPError:
            return
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    tail = log.read_text()[-4000:] if log and log.exists() else ""
    raise AssertionError(f"{url} did not answer within {seconds:.0f} s\n{tail}")


@contextlib.contextmanager
def server(command: list[str], *, log: pathlib.Path, **kwargs):
    """Run a server for the duration of a ``with`` block; stop it (and only it) afterwards."""
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, **kwargs)
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 15)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, 9)
            process.wait()


def node() -> str:
    found = shutil.which("node")
    assert found, "node is not installed (make e2e-env installs Debian's nodejs)"
    return found
