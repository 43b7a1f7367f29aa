"""A kernel manager whose kernels cannot read the answer key or other students' work.

On Linux, as root, :class:`SandboxKernelManager` starts each grading kernel through
``unshare --mount --pid --fork --kill-child --mount-proc`` and :mod:`._launch`, which, in the new
namespaces only:

* covers the course folders (``CourseDirectory.root`` and ``course_roots``: solutions/, the
  gradebook, submitted/, autograded/, feedback/, the exchange, tests/, .git, everything) with empty
  file systems, and brings back read-only only what the kernel needs (the Python environment and
  ``helpers/``); also hides the gradebook and the exchange wherever they are, and Jupyter's runtime
  folder (other kernels' connection keys);
* gives the kernel fresh ``/tmp`` and ``/dev/shm`` and a scratch working folder, ``/tmp/grading``,
  holding a copy of the submission's folder;
* makes every other mount read-only, hides the other processes (a PID namespace), and drops every
  capability (and the uid, to ``nobody``, when that user can read the environment), so the kernel
  cannot undo any of this.

Elsewhere (macOS, Windows, not root, no ``unshare``) the kernel starts as usual and autograde logs
a warning once; ``SandboxKernelManager.sandbox = False`` turns the sandbox off on purpose.
"""

from __future__ import annotations

import functools
import json
import os
import pathlib
import shutil
import stat
import subprocess
import sys

from jupyter_client.manager import AsyncKernelManager
from traitlets import Bool, List, Unicode

LAUNCHER = pathlib.Path(__file__).resolve().with_name("_launch.py")
HELPERS = pathlib.Path(__file__).resolve().parents[1]
UNSHARE = ["--mount", "--pid", "--fork", "--kill-child", "--mount-proc", "--propagation", "private"]
_warned: set[str] = set()


@functools.lru_cache(maxsize=1)
def sandbox_problem() -> str | None:
    """Why this machine cannot run the sandbox (a sentence), or None when it can."""
    if not sys.platform.startswith("linux"):
        return f"the sandbox needs Linux (this is {sys.platform})"
    if os.geteuid() != 0:
        return "the sandbox needs root (mount namespaces); autograde runs as an unprivileged user"
    for tool in ("unshare", "setpriv"):
        if shutil.which(tool) is None:
            return f"`{tool}` (util-linux) is not installed"
    probe = subprocess.run(["unshare", *UNSHARE, "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"`unshare` cannot create namespaces here ({probe.stderr.strip() or probe.returncode})"
    return None


def _readable_by_others(path: str) -> bool:
    """Can a user with no relation to the owner read ``path`` (and search every folder above it)?"""
    path = os.path.realpath(path)
    parts = pathlib.Path(path).parents
    try:
        if not all(os.stat(parent).st_mode & stat.S_IXOTH for parent in parts):
            return False
        mode = os.stat(path).st_mode
    except OSError:
        return False
    need = stat.S_IROTH | (stat.S_IXOTH if stat.S_ISDIR(mode) else 0)
    return mode & need == need


def _matplotlib_folders() -> list[str]:
    """Where matplotlib keeps its font cache and settings (copied, so the kernel need not rebuild it)."""
    if os.environ.get("MPLCONFIGDIR"):
        return [os.environ["MPLCONFIGDIR"]]
    home = pathlib.Path.home()
    cache = pathlib.Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache") / "matplotlib"
    config = pathlib.Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config") / "matplotlib"
    return [str(config), str(cache)]


class SandboxKernelManager(AsyncKernelManager):
    """An ``AsyncKernelManager`` that starts kernels in the grading sandbox (see the module)."""

    sandbox = Bool(True, help="Start grading kernels in the sandbox where the platform allows it.").tag(config=True)
    course_roots = List(Unicode(), help="Folders the kernel may not read (besides CourseDirectory.root), "
                        "except the Python environment and helpers/ inside them.").tag(config=True)
    hidden = List(Unicode(), help="More files and folders the kernel may not read.").tag(config=True)
    keep = List(Unicode(), help="More folders inside the course roots the kernel may read.").tag(config=True)
    user = Unicode("auto", help="'auto': run the kernel as nobody when nobody can read the Python environment "
                   "and helpers/, else as root without capabilities; 'nobody'; 'root'.").tag(config=True)

    def _warn_once(self, message: str) -> None:
        if message not in _warned:
            _warned.add(message)
            self.log.warning(message)

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
        if self.sandbox:
            problem = sandbox_problem()
            if problem is None:
                kernel_cmd = self.sandboxed_command(kernel_cmd, kw.get("cwd") or os.getcwd())
            else:
                self._warn_once(f"grading sandbox OFF: {problem}. The grading kernel can read every file this "
                                "user can (solutions/, the gradebook, other submissions): see README.md, "
                                "'Grading is hardened', for what to do instead.")
        await super()._async_launch_kernel(kernel_cmd, **kw)

    # ---- what the launcher is told

    def _config_value(self, section: str, key: str):
        value = self.config.get(section, {}).get(key) if section in self.config else None
        return value if isinstance(value, str) and value else None

    def hidden_paths(self) -> list[str]:
        """Every file and folder the kernel must not see."""
        roots = list(self.course_roots)
        if root := self._config_value("CourseDirectory", "root"):
            roots.append(root)
        paths = [*roots, *self.hidden, os.path.dirname(os.path.realpath(self.connection_file))]
        if exchange := self._config_value("Exchange", "root"):
            paths.append(exchange)
        db_url = self._config_value("CourseDirectory", "db_url") or ""
        if db_url.startswith("sqlite:///"):
            paths.append(db_url[len("sqlite:///"):])
        return sorted({os.path.realpath(p) for p in paths if p and os.path.realpath(p) != "/"})

    def kept_paths(self) -> list[str]:
        """What the kernel needs from inside the hidden folders: the environment, helpers/."""
        return sorted({os.path.realpath(p) for p in (sys.prefix, HELPERS, *self.keep)})

    def kernel_user(self) -> dict | None:
        if self.user == "root":
            return None
        needed = [sys.executable, os.path.dirname(os.__file__), sys.prefix, str(HELPERS)]
        if self.user == "auto" and not all(_readable_by_others(p) for p in needed):
            self._warn_once("grading sandbox: the Python environment is not readable by `nobody` (it lives "
                            f"under {os.path.realpath(sys.executable)}), so kernels run as root without "
                            "capabilities in the sandbox.")
            return None
        import pwd  # Unix only: imported here so that this module loads on any system

        entry = pwd.getpwnam("nobody")
        return {"uid": entry.pw_uid, "gid": entry.pw_gid}

    def sandboxed_command(self, kernel_cmd: list[str], cwd: str) -> list[str]:
        spec = {
            "hide": self.hidden_paths(),
            "keep": self.kept_paths(),
            "source_dir": os.path.realpath(cwd),
            "connection_file": os.path.realpath(self.connection_file),
            "copy": {".matplotlib": _matplotlib_folders()[-1]},
            "env": {"MPLCONFIGDIR": "{work}/.matplotlib", "IPYTHONDIR": "{work}/.ipython",
                    "JUPYTER_RUNTIME_DIR": "{work}/.runtime", "NUMBA_CACHE_DIR": "{work}/.numba",
                    "HOME": "{work}", "TMPDIR": "/tmp"},
            "user": self.kernel_user(),
            "setpriv": shutil.which("setpriv"),
        }
        kernel_cmd = [os.path.realpath(self.connection_file) if part == self.connection_file else part
                      for part in kernel_cmd]
        return [shutil.which("unshare"), *UNSHARE, sys.executable, "-I", "-S", str(LAUNCHER), json.dumps(spec),
                "--", *kernel_cmd]
