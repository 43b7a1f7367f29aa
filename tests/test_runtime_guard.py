"""The runtime guard (helpers._context) and the environment record (helpers.checks._integrity): what
student code may not do while a check runs, whatever path it took to the interpreter, and what an
honest answer may do; a disturbed environment costs only the check that saw it."""

import contextvars
import copy
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
