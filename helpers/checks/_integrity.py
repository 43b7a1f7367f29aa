"""The state of the modules the checks rely on, recorded before any answer cell runs.

Declaring a chapter (importing ``helpers.checks.chNN`` in a notebook's first cells) records what
every attribute of the oracle libraries (numpy, scikit-learn, shap, lime, captum, torchcam, torch),
of ``builtins`` and of ``helpers`` is, and the code of their functions and of the classes they
define. Before a hidden test grades, :func:`verify` compares: an answer cell that patched one of them
(``np.allclose = ...``, ``shap.KernelExplainer.shap_values = ...``, ``grading_copy = ...``) makes every
later grading check fail. The record lives in ``helpers._context``, which grading copies of the
checks share. It complements the static audit of answer cells, which runs outside the kernel.
"""

from __future__ import annotations

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
        if isinstance(value, type) and value.__module__ == module.__name__:
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


def verify() -> str | None:
    """None when every recorded module is as recorded; else a sentence naming the first change."""
    for name, (module, record) in list(SNAPSHOT.items()):
        if sys.modules.get(name) is not module:
            return f"the module `{name}` was replaced in sys.modules"
        now = _record(module)
        for attr, state in record.items():
            if attr not in now:
                return f"`{name}.{attr}` was deleted"
            if not _same(state, now[attr]):
                return f"`{name}.{attr}` was changed"
    return None
