"""State shared by the check modules and their fresh grading copies (which reload helpers.checks but
not this module), and the process-wide guard that watches student code while a check runs.

- :data:`IN_STUDENT_CODE` and :func:`student_running`: whether the student's code is running under a
  check. The depth is process-wide (a plain counter, not only a context variable), so that a new
  ``contextvars.Context``, a thread or a forked child process sees it too.
- :func:`reference`: marks a course reference implementation; called from student code while a check
  runs, it refuses (:class:`Delegated`), and the refusal is remembered even if the student's code
  catches the exception.
- :func:`checking` and the audit hook (PEP 578): while a check runs, code the student wrote (any code
  outside the Python installation and ``helpers``) may not reach frames (``sys._getframe``,
  ``tb_frame``, ``gi_frame``...), the garbage collector's object graph, trace and profile functions,
  ``exec``/``compile``, processes, files or ``ctypes``. The interpreter raises these events in C,
  however the code got hold of the function (a string resolver, ``map``, a thread), so the refusal
  does not depend on reading the code. A refused operation raises ``PermissionError`` and is
  recorded in :data:`REFUSED`; the check that was running reports it.
- :data:`SNAPSHOT`: the record of the modules the checks rely on (``helpers.checks._integrity``).
"""

import functools
import os
import sys
import threading
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar

IN_STUDENT_CODE: ContextVar[bool] = ContextVar("in_student_code", default=False)

# module name -> (module, {attribute: state}); written once per module, before any answer cell.
SNAPSHOT: dict = {}

# How deep the checks are (whole checks, and the student's calls inside them), process-wide.
_DEPTH = {"checking": 0, "student": 0}
# What student code was refused while a check ran (sentences), and the references it called.
REFUSED: list[str] = []
DELEGATED: list[str] = []

_HELPERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "")
_LIBRARY = tuple({os.path.join(os.path.abspath(p), "") for p in
                  (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)}) + (_HELPERS, "<frozen ")
# Standard modules that read frames on their caller's behalf (inspect.currentframe, traceback.walk_stack,
# logging.currentframe) or run strings as code (timeit, code, runpy, pdb): the code that called them decides.
_TOOLS = tuple(os.path.join(os.path.dirname(os.path.abspath(os.__file__)), name) for name in (
    "inspect.py", "traceback.py", "logging", "pdb.py", "bdb.py", "cgitb.py", "pydoc.py", "code.py", "codeop.py",
    "timeit.py", "runpy.py", "doctest.py", "cProfile.py", "profile.py", "trace.py", "pkgutil.py", "importlib",
    "functools.py", "operator.py", "contextvars.py", "threading.py"))
# The audit events (PEP 578) that student code may not raise while a check runs, by what they mean.
_EVENTS = {
    "sys._getframe": "read the call stack (frames)", "sys._current_frames": "read the call stack (frames)",
    "sys._getframemodulename": "read the call stack (frames)",
    "object.__getattr__": "read the interpreter's internals (frames, tracebacks, code objects)",
    "object.__setattr__": "change the interpreter's internals", "object.__delattr__": "change the interpreter's internals",
    "sys.settrace": "change the trace function", "sys.setprofile": "change the profile function",
    "sys.addaudithook": "add an audit hook", "gc.get_objects": "walk the garbage collector's objects",
    "gc.get_referrers": "walk the garbage collector's objects", "gc.get_referents": "walk the garbage collector's objects",
    "exec": "run code built at run time (exec)", "compile": "compile code at run time",
    "code.__new__": "build code objects", "function.__new__": "build functions from code objects",
    "os.system": "run a process", "os.exec": "run a process", "os.fork": "start a process",
    "os.forkpty": "start a process", "os.posix_spawn": "start a process", "os.spawn": "start a process",
    "os.kill": "send a signal", "os.killpg": "send a signal", "subprocess.Popen": "run a process",
    "open": "open a file", "os.listdir": "list files", "os.scandir": "list files", "os.remove": "remove a file",
    "socket.connect": "use the network", "socket.bind": "use the network", "marshal.loads": "load code objects",
    "pickle.find_class": "unpickle objects",
}
_HARMLESS_SETATTR = {"__module__", "__doc__", "__qualname__", "__name__", "__annotations__"}
_busy = threading.local()


def student_file(filename: str) -> bool:
    """Whether code of this file is the student's: anything outside the Python installation and helpers."""
    return not filename.startswith(_LIBRARY)


def _culprit(frame, event: str) -> bool:
    """Whether the code that raised the event is the student's: the first frame that is not one of the
    standard tools acting on its caller's behalf. Code run from a thread whose whole stack is such tools
    (a thread whose target is ``exec`` itself) was started by the student: no library runs code so."""
    while frame is not None and frame.f_code.co_filename.startswith(_TOOLS):
        frame = frame.f_back
    if frame is None:
        return event in ("exec", "compile") and threading.current_thread() is not threading.main_thread()
    return student_file(frame.f_code.co_filename)


_REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _course_roots() -> tuple[str, ...]:
    """The folders that hold answer keys: this repository, and the nbgrader course the kernel grades in
    (the first folder above the working directory with a gradebook or an nbgrader configuration)."""
    roots, folder = [os.path.join(_REPOSITORY, "")], os.getcwd()
    while os.path.dirname(folder) != folder:
        if any(os.path.exists(os.path.join(folder, name)) for name in ("gradebook.db", "nbgrader_config.py")):
            roots.append(os.path.join(folder, ""))
            break
        folder = os.path.dirname(folder)
    return tuple(roots)


def _installed() -> tuple[str, ...]:
    """The folders installed packages are imported from (site-packages on ``sys.path``), wherever the
    environment lives: a virtual environment inside the repository is the libraries', not the course's."""
    return tuple(os.path.join(os.path.abspath(p), "") for p in sys.path
                 if os.path.basename(os.path.normpath(p)) in ("site-packages", "dist-packages"))


def _course_file_for_student(args: tuple) -> bool:
    """Whether a library opens a file of the course (a solution, the gradebook) for student code: a
    frame of student code comes before any frame of ``helpers`` on the stack. Files of the Python
    installation and of ``helpers`` (lazy imports, the course's data) are not the course's secrets."""
    path = args[0] if args else None
    if not isinstance(path, (str, bytes, os.PathLike)):
        return False
    path = os.path.abspath(os.fsdecode(path))
    if path.startswith(_LIBRARY + _installed()) or not path.startswith(_course_roots()) or not os.path.isfile(path):
        return False  # a library's file, not the course's, or a path that holds no file (a probe that fails)
    frame = sys._getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename.startswith(_HELPERS) or filename.startswith("<frozen importlib"):
            return False  # the course's own code, or an import (a module's source or its .pyc)
        if student_file(filename):
            return True
        frame = frame.f_back
    return False


def _audit_hook(event: str, args: tuple) -> None:
    if not _DEPTH["checking"] or not (event in _EVENTS or event.startswith("ctypes.")):
        return
    if getattr(_busy, "on", False):
        return
    _busy.on = True
    try:
        if event in ("object.__setattr__", "object.__delattr__") and len(args) > 1 and args[1] in _HARMLESS_SETATTR:
            return
        if not _culprit(sys._getframe(1), event) and not (event == "open" and _course_file_for_student(args)):
            return
        what = _EVENTS.get(event, "use ctypes")
        detail = f" (`{args[1]}`)" if event.startswith("object.") and len(args) > 1 else f" (`{event}`)"
        if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
            detail = f" (`{event}` of {os.fsdecode(args[0])})"
        REFUSED.append(what + detail)
    finally:
        _busy.on = False
    raise PermissionError(f"the grading refuses this while a check runs: {what}{detail}")


if not getattr(sys, "_course_audit_hook", False):  # once per process, whatever reloads this module
    sys.addaudithook(_audit_hook)
    sys._course_audit_hook = True


@contextmanager
def checking():
    """While the block runs, the audit hook refuses what student code may not do."""
    _DEPTH["checking"] += 1
    try:
        yield
    finally:
        _DEPTH["checking"] -= 1


@contextmanager
def student_running():
    """While the block runs, the student's code is running: references refuse to run for it."""
    token = IN_STUDENT_CODE.set(True)
    _DEPTH["student"] += 1
    try:
        yield
    finally:
        _DEPTH["student"] -= 1
        IN_STUDENT_CODE.reset(token)


def _called_for_student(frame) -> bool:
    """Whether a reference called while a check runs, but outside the student's function, runs for the
    student: walking out from its caller, a frame of student code comes before any frame of ``helpers``
    (a result object whose ``__array__`` or ``__float__`` calls the reference when the check converts
    it), or no frame of ``helpers`` is on the stack at all (a thread that such an object started)."""
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename.startswith(_HELPERS):
            return False
        if student_file(filename):
            return True
        frame = frame.f_back
    return True


class Delegated(Exception):
    """A course reference implementation was called from inside the student's function."""


def reference(function: Callable) -> Callable:
    """Mark a reference implementation that notebooks may use after an exercise (``helpers.lib``).

    Called while a check runs the student's code, from anything but the checks themselves (the
    student's function, a new context, a thread, a forked process), it raises, and the check reports
    that the answer delegates to the course's reference instead of implementing the method. So it does
    when student code calls it later in the same check, from an object the answer returned (its
    ``__array__``, ``__float__``, ``__getitem__``...) that the check converts. The
    unguarded original is not handed out (no ``__wrapped__``).
    """
    @functools.wraps(function)
    def guarded(*args, **kwargs):
        if IN_STUDENT_CODE.get() or _DEPTH["student"]:
            refuse = not sys._getframe(1).f_code.co_filename.startswith(_HELPERS)
        else:
            refuse = _DEPTH["checking"] and _called_for_student(sys._getframe(1))
        if refuse:
            DELEGATED.append(function.__name__)
            raise Delegated(function.__name__)
        return function(*args, **kwargs)
    del guarded.__wrapped__
    return guarded
