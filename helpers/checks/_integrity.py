"""The state of the modules the checks rely on, recorded before any answer cell runs.

Declaring a chapter (importing ``helpers.checks.chNN`` in a notebook's first cells) records what
every attribute of the oracle libraries (numpy, scikit-learn, shap, lime, captum, torchcam, torch),
of ``builtins`` and of ``helpers`` is, and the code of their functions and of the classes they
define. Before and after a hidden test grades, :func:`verify` compares: an answer cell or an answer's
function that patched one of them (``np.allclose = ...``, ``shap.KernelExplainer.shap_values = ...``,
``grading_copy = ...``) fails the check that noticed it, and :func:`verify` puts the record back, so
that the change costs that cell only, never a later one. What matters is compared, not bare
identity: a library that rebinds its own function to a wrapper of it (importing ``torch._dynamo``,
which ``torch.func`` does, wraps ``torch.manual_seed``) changes nothing an answer did. The record
lives in ``helpers._context``, which grading copies of the checks share. It complements the static
audit of answer cells, which runs outside the kernel, and the runtime guard of ``helpers._context``.
"""

from __future__ import annotations

import os
import sys
import types

from helpers._context import SNAPSHOT

WATCHED = (
    "builtins", "math", "functools", "itertools", "numpy", "numpy.linalg", "numpy.random",
    "numpy.testing", "pandas", "scipy.stats", "sklearn.metrics", "sklearn.inspection",
    "sklearn.linear_model", "sklearn.utils", "shap", "lime.lime_base", "lime.lime_tabular",
    "lime.lime_text", "lime.lime_image", "captum.attr", "torchcam.methods", "torch",
    "torch.nn.functional", "torch.autograd",
)


def _state(value):
    """What must not change about one attribute: the object, and for a function its code."""
    if isinstance(value, types.FunctionType):
        return (value, value.__code__, value.__defaults__, value.__kwdefaults__)
    return (value,)


# IPython and ipykernel rebind these builtins themselves (the last results `_`, `__`; exit and
# friends; ipykernel replaces `input` before every cell it runs).
_VOLATILE_BUILTINS = {"exit", "quit", "get_ipython", "display", "In", "Out", "input", "raw_input", "getpass"}


def _record(module: types.ModuleType) -> dict:
    record = {}
    for name, value in list(vars(module).items()):
        if module.__name__ == "builtins" and (name.startswith("_") or name in _VOLATILE_BUILTINS):
            continue
        record[name] = _state(value)
        if isinstance(value, type) and str(value.__module__).split(".")[0] == module.__name__.split(".")[0]:
            for attr, member in list(vars(value).items()):
                record[f"{name}.{attr}"] = _state(member)
    return record


def _watched_names() -> list[str]:
    return [name for name in list(sys.modules)
            if name in WATCHED or name == "helpers" or name.startswith("helpers.")]


def snapshot() -> None:
    """Record the modules not recorded yet (never overwrite: the first record is the clean one)."""
    for name in _watched_names():
        if name not in SNAPSHOT and sys.modules.get(name) is not None:
            module = sys.modules[name]
            SNAPSHOT[name] = (module, _record(module))


def _same(before: tuple, after: tuple) -> bool:
    return len(before) == len(after) and all(a is b for a, b in zip(before, after))


def _package_folder(module_name: str) -> str | None:
    package = sys.modules.get(module_name.split(".")[0])
    path = getattr(package, "__path__", None)
    return os.path.join(os.path.dirname(os.path.abspath(package.__file__)), "") if path and package.__file__ else None


def _own_wrapper(module_name: str, original, now) -> bool:
    """A function of the library itself (its code in the library's folder) that wraps the original
    (``functools.wraps``): how torch rebinds ``torch.manual_seed`` when ``torch._dynamo`` is imported."""
    folder = _package_folder(module_name)
    code = getattr(now, "__code__", None)
    if folder is None or code is None or not code.co_filename.startswith(folder):
        return False
    for _ in range(8):
        now = getattr(now, "__wrapped__", None)
        if now is original:
            return True
        if now is None:
            return False
    return False


def _put_back(module, attr: str, state: tuple) -> None:
    value = state[0]
    owner, _, member = attr.rpartition(".")
    target = vars(module)[owner] if owner else module
    if not owner or type.__getattribute__(target, "__dict__").get(member) is not value:
        setattr(target, member, value)  # a class's members through type.__setattr__, a module's directly
    if isinstance(value, types.FunctionType):
        value.__code__, value.__defaults__, value.__kwdefaults__ = state[1], state[2], state[3]


def verify() -> str | None:
    """None when every recorded module is as recorded; else a sentence naming the first change, after
    putting every recorded module, attribute and function back as recorded (so later checks run in
    the environment they were written for)."""
    changes = []
    for name, (module, record) in list(SNAPSHOT.items()):
        if sys.modules.get(name) is not module:
            changes.append(f"the module `{name}` was replaced in sys.modules")
            sys.modules[name] = module
        now = _record(module)
        for attr, state in record.items():
            if attr in now and _same(state, now[attr]):
                continue
            if attr in now and _own_wrapper(name, state[0], now[attr][0]):
                continue
            changes.append(f"`{name}.{attr}` was {'deleted' if attr not in now else 'changed'}")
            try:
                _put_back(module, attr, state)
            except (AttributeError, TypeError):  # pragma: no cover - a read-only attribute cannot have changed
                pass
        for attr in now.keys() - record.keys():  # a member added to a library's class (Tensor.sum = ...)
            owner, _, member = attr.rpartition(".")
            if owner and owner in record and not member.startswith("__"):
                changes.append(f"`{name}.{attr}` was added")
                try:
                    delattr(vars(module)[owner], member)
                except (AttributeError, TypeError):  # pragma: no cover
                    pass
    return changes[0] if changes else None
