"""The runtime guard (helpers._context) and the environment record (helpers.checks._integrity): what
student code may not do while a check runs, whatever path it took to the interpreter, and what an
honest answer may do; a disturbed environment costs only the check that saw it."""

import contextvars
import copy
import pathlib
import threading

import numpy as np
import pytest
import torch

from helpers import _context
from helpers.checks._core import Chapter, CheckFailed, Exercise, Incorrect, Outcome, as_float_array, call

# An attack's refused thread prints its exception; that is expected here.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")


def _check_with_a_secret(answer):
    expected = np.arange(3.0) ** 2  # a local of the check's frame while the answer runs  # noqa: F841
    key = "the secret key"  # noqa: F841
    value = as_float_array(call(answer, np.arange(3.0)), "your result", shape=(3,))
    if not np.allclose(value, np.arange(3.0) ** 2):
        raise Incorrect("the squares are wrong")


SECRET = Exercise("square", "0.3", "0. Squares", _check_with_a_secret)


@_context.reference
def _reference_squares(x):
    return x ** 2


def _frames_via_getframe(x):
    import sys
    frame = sys._getframe(1)
    while "expected" not in frame.f_locals:
        frame = frame.f_back
    return frame.f_locals["expected"]


def _frames_via_map(x):
    import sys
    frame = list(map(sys._getframe, [1]))[0]
    while "expected" not in frame.f_locals:
        frame = frame.f_back
    return frame.f_locals["expected"]


def _frames_via_generator(x):
    def gen():
        yield box[0].gi_frame.f_back
    box = [gen()]
    frame = next(box[0])
    while "expected" not in frame.f_locals:
        frame = frame.f_back
    return frame.f_locals["expected"]


def _frames_via_traceback(x):
    try:
        raise ValueError
    except ValueError as error:
        frame = error.__traceback__.tb_frame
    while "expected" not in frame.f_locals:
        frame = frame.f_back
    return frame.f_locals["expected"]


def _frames_via_inspect(x):
    import inspect
    for info in inspect.stack():
        if "expected" in info.frame.f_locals:
            return info.frame.f_locals["expected"]


def _frames_via_resolver(x):
    import pkgutil
    frame = pkgutil.resolve_name("sys")._getframe(2)
    return frame.f_back.f_locals["expected"]


def _gc_referrers(x):
    import gc
    for holder in gc.get_referrers(x):
        if isinstance(holder, dict) and "expected" in holder:
            return holder["expected"]
    return x ** 2


def _trace_off_via_map(x):
    import sys
    list(map(sys.settrace, [None]))
    return x ** 2


def _exec_in_a_thread(x):
    out = {}
    worker = threading.Thread(target=exec, args=("out['v'] = x ** 2", {"out": out, "x": x}))
    worker.start()
    worker.join()
    return out["v"]


def _eval_encoded(x):
    import base64
    return eval(base64.b64decode(b"eCAqKiAy").decode())


def _reference_in_a_new_context(x):
    return contextvars.Context().run(_reference_squares, x)


def _reference_in_a_thread(x):
    out = {}
    worker = threading.Thread(target=lambda: out.update(v=_reference_squares(x)))
    worker.start()
    worker.join()
    return out["v"]


def _reference_caught(x):
    try:
        return _reference_squares(x)
    except Exception:
        return x ** 2


def _opens_a_file(x):
    with open(__file__) as handle:
        handle.read(1)
    return x ** 2


ATTACKS = {
    "frames: sys._getframe": (_frames_via_getframe, "read the call stack"),
    "frames: map(sys._getframe)": (_frames_via_map, "read the call stack"),
    "frames: a generator's gi_frame": (_frames_via_generator, "gi_frame"),
    "frames: a traceback's tb_frame": (_frames_via_traceback, "tb_frame"),
    "frames: inspect.stack()": (_frames_via_inspect, "read the call stack"),
    "frames: a string resolver": (_frames_via_resolver, "read the call stack"),
    "gc.get_referrers": (_gc_referrers, "garbage collector"),
    "trace switched off through map": (_trace_off_via_map, "trace function"),
    "exec in a joined thread": (_exec_in_a_thread, "code at run time"),
    "eval of encoded code": (_eval_encoded, "compile code at run time"),
    "a reference in a new Context": (_reference_in_a_new_context, "reference implementation"),
    "a reference in a thread": (_reference_in_a_thread, "reference implementation"),
    "a reference whose refusal is caught": (_reference_caught, "reference implementation"),
    "a file opened": (_opens_a_file, "open a file"),
}


@pytest.mark.parametrize("name", list(ATTACKS))
def test_attacks_on_the_running_check_are_refused(name):
    attack, phrase = ATTACKS[name]
    feedback = SECRET.run(attack)
    assert feedback.outcome is Outcome.INCORRECT and phrase in feedback.message, feedback.message


def test_the_guard_is_off_outside_checks():
    import sys
    assert sys._getframe(0) is not None and _reference_squares(np.arange(2.0)).tolist() == [0.0, 1.0]
    assert not _context._DEPTH["checking"] and not _context._DEPTH["student"]


def _honest_torch_func(x):
    from torch.func import grad, vmap
    t = torch.as_tensor(x)
    return vmap(grad(lambda v: v ** 3 / 3))(t).numpy()


def _honest_everything_else(x):
    import warnings
    from collections import namedtuple
    from dataclasses import dataclass

    Pair = namedtuple("Pair", "a b")

    @dataclass
    class Box:
        value: float

    warnings.warn("a warning from the answer", stacklevel=2)
    try:
        {}["missing"]
    except KeyError:
        pass
    boxes = [Box(v) for v in copy.deepcopy(x)]
    return np.array([Pair(b.value, 0).a ** 2 for b in boxes])


@pytest.mark.parametrize("answer", [_honest_torch_func, _honest_everything_else])
def test_honest_answers_pass_under_the_guard(answer):
    feedback = SECRET.run(answer)
    assert feedback.outcome is Outcome.CORRECT, feedback.message


def test_a_disturbed_environment_costs_only_the_check_that_saw_it():
    Chapter("00", [])
    original = np.allclose

    def patches(x):
        np.allclose = lambda *a, **k: True
        return x * 2

    with pytest.raises(CheckFailed, match="numpy.allclose` was changed.*costs this check only"):
        SECRET.grade(patches)
    assert np.allclose is original
    SECRET.grade(lambda x: x ** 2)  # the next check runs in the restored environment and passes


def test_torch_func_in_an_earlier_cell_costs_nothing():
    Chapter("00", [])
    from torch.func import grad, vmap
    vmap(grad(lambda v: (v * v).sum()))(torch.ones(2, 3))  # torch rebinds torch.manual_seed to its own wrapper
    SECRET.grade(lambda x: x ** 2)


# Results that do their work later: the check converts them after the answer returned (audit 4 found
# `__array__` and `__float__` calling a course reference then, with full marks).
class _LazyArray:
    def __init__(self, x):
        self.x = np.array(x, copy=True)

    def __array__(self, dtype=None, copy=None):
        return np.asarray(_reference_squares(self.x), dtype=dtype)


class _LazyFloat(float):
    def __float__(self):
        return float(_reference_squares(np.arange(3.0)).sum())


class _LazyMapping(dict):
    def __getitem__(self, key):
        return _reference_squares(np.arange(3.0))


def _lazy_thread(x):
    class Later:
        def __array__(self, dtype=None, copy=None):
            out = {}
            worker = threading.Thread(target=lambda: out.update(v=_reference_squares(x)))
            worker.start()
            worker.join()
            return np.asarray(out.get("v", x ** 2), dtype=dtype)
    return Later()


LAZY = {
    "__array__ calls a reference": (lambda x: _LazyArray(x), "reference implementation"),
    "__array__ starts a thread that calls a reference": (_lazy_thread, "reference implementation"),
    # settled to the float it holds (-1), its override dropped: the squares are wrong
    "a float subclass whose __float__ calls a reference": (lambda x: [_LazyFloat(-1.0)] + list(x[1:] ** 2),
                                                           "squares are wrong"),
}


@pytest.mark.parametrize("name", list(LAZY))
def test_a_result_that_calls_a_reference_later_is_refused(name):
    answer, phrase = LAZY[name]
    feedback = SECRET.run(answer)
    assert feedback.outcome is Outcome.INCORRECT and phrase in feedback.message, feedback.message


def _mapping_check(answer):
    value = call(answer, np.arange(3.0))
    if not np.allclose(as_float_array(value["squares"], "squares", shape=(3,)), np.arange(3.0) ** 2):
        raise Incorrect("the squares are wrong")


def test_a_mapping_whose_getitem_calls_a_reference_later_is_refused():
    exercise = Exercise("square", "0.4", "0. Squares", _mapping_check)
    feedback = exercise.run(lambda x: _LazyMapping(squares=None))
    assert feedback.outcome is Outcome.INCORRECT and "reference implementation" in feedback.message, feedback.message
    assert exercise.run(lambda x: {"squares": x ** 2}).outcome is Outcome.CORRECT


def test_a_result_that_runs_a_forbidden_library_later_is_refused():
    class Later:
        def __init__(self, x):
            self.x = x

        def __array__(self, dtype=None, copy=None):
            import statistics
            return np.array([statistics.fmean([v * v]) for v in self.x], dtype=dtype)

    exercise = Exercise("square", "0.5", "0. Squares", SECRET.check, forbidden={"statistics": "the statistics module"})
    feedback = exercise.run(lambda x: Later(x))
    assert feedback.outcome is Outcome.INCORRECT and "runs the statistics module" in feedback.message, feedback.message


def _honest_own_types(x):
    from collections import namedtuple

    class Squares(np.ndarray):
        pass

    class Value(float):
        pass

    class Row:  # converts to numbers as any array-like does
        def __init__(self, values):
            self.values = values

        def __array__(self, dtype=None, copy=None):
            return np.asarray(self.values, dtype=dtype)

    Pair = namedtuple("Pair", "a b")
    kinds = [np.asarray(x ** 2).view(Squares), [Value(v * v) for v in x], Row(list(x ** 2)),
             [Pair(v * v, 0).a for v in x], torch.as_tensor(x ** 2)]
    return kinds


def test_an_honest_result_of_the_students_own_types_keeps_its_value():
    for index in range(5):
        feedback = SECRET.run(lambda x, i=index: _honest_own_types(x)[i])
        assert feedback.outcome is Outcome.CORRECT, (index, feedback.message)


def _opens_a_solution_through_a_library(x):
    from matplotlib import cbook
    with cbook.open_file_cm(str(pathlib.Path(__file__).parents[1] / "README.md")) as handle:
        handle.read(1)
    return x ** 2


# torch.from_file opens its file in C++ without an audit event: the static audit refuses `from_file`.
def test_a_library_that_opens_a_course_file_for_the_answer_is_refused():
    feedback = SECRET.run(_opens_a_solution_through_a_library)
    assert feedback.outcome is Outcome.INCORRECT and "open a file" in feedback.message, feedback.message


def test_libraries_still_open_their_own_files_for_the_answer():
    def honest(x):
        import importlib

        import sklearn.datasets
        sklearn.datasets.load_iris()                    # a data file inside the installation
        importlib.import_module("torch.func")           # lazy imports read the installation's files
        return x ** 2
    feedback = SECRET.run(honest)
    assert feedback.outcome is Outcome.CORRECT, feedback.message


def test_a_library_installed_inside_the_repository_opens_its_files_for_the_answer(tmp_path, monkeypatch):
    """A virtual environment in the clone (`make env` makes .venv/ there) is the libraries', not the
    course's: a package on sys.path under site-packages reads its data and its modules are imported
    inside the answer, while a file of the repository outside site-packages is still refused."""
    import shutil
    import uuid

    root = pathlib.Path(__file__).parents[1]
    site = root / ".artifacts" / f"venv-{uuid.uuid4().hex[:8]}" / "site-packages"
    name = f"fakelib_{uuid.uuid4().hex[:8]}"
    (site / name).mkdir(parents=True)
    (site / name / "data.txt").write_text("4")
    (site / name / "__init__.py").write_text(
        "import contextlib, pathlib, zipfile\ndef factor():\n"
        "    with contextlib.suppress(OSError):  # importlib.metadata tries sys.path entries as zip files\n"
        "        zipfile.ZipFile('__editable__.course-0.1.0.finder.__path_hook__')\n"
        "    return float((pathlib.Path(__file__).parent / 'data.txt').read_text())\n")
    (site / name / "later.py").write_text("OFFSET = 0.0\n")
    monkeypatch.syspath_prepend(str(site))
    try:
        def honest(x):
            import importlib
            lib = importlib.import_module(name)
            later = importlib.import_module(f"{name}.later")  # a lazy import: its source and .pyc
            return x ** 2 * lib.factor() / 4 + later.OFFSET
        feedback = SECRET.run(honest)
        assert feedback.outcome is Outcome.CORRECT, feedback.message
        feedback = SECRET.run(_opens_a_solution_through_a_library)
        assert feedback.outcome is Outcome.INCORRECT and "README.md" in feedback.message, feedback.message
    finally:
        shutil.rmtree(site.parent, ignore_errors=True)
