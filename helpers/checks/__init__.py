"""Answer checks, one module per chapter (``from helpers.checks import ch01 as check``).

Hidden tests use :func:`grading_copy`, a private copy of a chapter's checks loaded afresh from disk,
so that a notebook which patches the imported check modules cannot change what grading runs.
"""

from __future__ import annotations

import importlib
import importlib.util
import itertools
import pathlib
import sys
from types import ModuleType

__all__ = ["grading_copy"]

_HERE = pathlib.Path(__file__).resolve().parent
_COPIES = itertools.count()


def grading_copy(chapter: str) -> ModuleType:
    """Load a fresh copy of ``helpers.checks.<chapter>`` (and of the framework modules it imports) from disk.

    Parameters
    ----------
    chapter : str
        The module name, e.g. ``"ch01"``.

    Returns
    -------
    module
        A new module object, independent of ``sys.modules["helpers.checks.<chapter>"]``.
    """
    if not isinstance(chapter, str) or not (_HERE / f"{chapter}.py").is_file():
        raise ValueError(f"no check module named {chapter!r} in {_HERE}")
    package = f"_grading_checks_{next(_COPIES)}"
    spec = importlib.util.spec_from_file_location(
        package, _HERE / "__init__.py", submodule_search_locations=[str(_HERE)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[package] = module
    try:
        spec.loader.exec_module(module)
        return importlib.import_module(f"{package}.{chapter}")
    finally:
        for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
            del sys.modules[name]
