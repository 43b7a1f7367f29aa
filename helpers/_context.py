"""State shared by the check modules and their fresh grading copies (which reload helpers.checks
but not this module): whether the student's code is running under a check, the exception a course
reference implementation raises when that code calls it, and the record of the modules the checks
rely on (``helpers.checks._integrity``)."""

import functools
from collections.abc import Callable
from contextvars import ContextVar

IN_STUDENT_CODE: ContextVar[bool] = ContextVar("in_student_code", default=False)

# module name -> (module, {attribute: state}); written once per module, before any answer cell.
SNAPSHOT: dict = {}


class Delegated(Exception):
    """A course reference implementation was called from inside the student's function."""


def reference(function: Callable) -> Callable:
    """Mark a reference implementation that notebooks may use after an exercise (``helpers.lib``).

    Called from inside a student's function while a check runs, it raises, and the check reports
    that the answer delegates to the course's reference instead of implementing the method. The
    unguarded original is not handed out (no ``__wrapped__``).
    """
    @functools.wraps(function)
    def guarded(*args, **kwargs):
        if IN_STUDENT_CODE.get():
            raise Delegated(function.__name__)
        return function(*args, **kwargs)
    del guarded.__wrapped__
    return guarded
