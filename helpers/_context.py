"""State shared by the check modules and their fresh grading copies (which reload helpers.checks
but not this module): whether the student's code is running under a check, and the exception a
course reference implementation raises when that code calls it."""

from contextvars import ContextVar

IN_STUDENT_CODE: ContextVar[bool] = ContextVar("in_student_code", default=False)


class Delegated(Exception):
    """A course reference implementation was called from inside the student's function."""
