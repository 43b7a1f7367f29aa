"""Each chapter's library: constants, games, worked examples and the reference implementations
that a notebook may call *after* the exercise that asks for them (``from helpers.lib import ch02
as lib``). Every reference implementation is marked with :func:`helpers._context.reference`: called
from inside a student's function while a check runs, it makes the check fail, so an answer cannot
hand its work to the course's own implementation. The answer checks live apart, in
``helpers.checks``; nothing here holds an answer key or the code a student must write from scratch
(references are given only for exercises whose later cells need a working version).
"""
