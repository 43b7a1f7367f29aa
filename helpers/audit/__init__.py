"""Static audit of answer cells: code that reaches for the grading machinery or the process.

:func:`audit` reads a cell's source (never runs it) and returns one :class:`Violation` per use of
something an answer has no business with: changing modules, classes or objects it did not create,
trace functions, threads and processes, IPython's execution hooks, the import machinery, code built
at run time, files, the interpreter's internals and the course's grading machinery. The autograde
pipeline runs it outside the student's kernel on every code cell the student could edit (a cell that
breaks a rule is not run and its exercise scores 0); the visible checks run it too, so that a
student learns the rule before submitting. README.md lists the rules (:data:`RULES`).

Only the standard library's ``ast`` is used: the audit is cheap and deterministic. It is one layer
among several (fresh grading copies, oracles recorded before any answer runs, the output guard, the
sandboxed kernel): Python is too dynamic for a static reading to be complete, so the rules err on
the side of a clear message over cleverness.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from ._origins import Origins
from ._tables import (
    ALLOWED_DUNDERS,
    ALLOWED_FREE_DUNDERS,
    ATTRIBUTE_RULES,
    CONVENTIONAL_MODULES,
    DUNDER_WHAT,
    IN_PLACE,
    IPYTHON_HISTORY,
    MODULE_RULES,
    NAME_RULES,
    QUALIFIED_RULES,
    RULES,
    SETTINGS,
    allowed_modules,
)

__all__ = ["RULES", "Violation", "allowed_modules", "audit", "chapter_of"]


@dataclass(frozen=True)
class Violation:
    """One broken rule: ``rule`` (a short id, a key of :data:`RULES`), the 1-based ``line``, and a
    ``message`` for the student: ``"line 3: <what the code does>: <the rule in plain words>"``."""

    rule: str
    line: int
    message: str

    def __str__(self) -> str:
        return self.message


def audit(source: str, *, modules: dict[str, str] | None = None, chapter: str | None = None) -> list[Violation]:
    """The rules ``source`` (one notebook cell) breaks, in order of line; ``[]`` when none.

    Parameters
    ----------
    source : str
        The cell's code. IPython's own syntax (``%magic``, ``!command``) is flagged; a syntax
        error is not a violation (the kernel reports it).
    modules : dict of str to str, optional
        Names the cell may use without importing them and the modules they stand for, e.g.
        ``{"np": "numpy"}`` (the imports of the notebook's other cells). Conventional names
        (``np``, ``os``, ``sys``...) are known without it.
    chapter : str, optional
        The chapter ("04") whose list of importable modules applies (:func:`allowed_modules`); None
        allows what any chapter may import.

    Returns
    -------
    list of Violation
    """
    if not isinstance(source, str):
        raise TypeError(f"source should be a str, got {type(source).__name__}")
    found: list[Violation] = []
    tree = _parse(source, found)
    if tree is not None:
        _Auditor(tree, dict(CONVENTIONAL_MODULES, **(modules or {})), found, allowed_modules(chapter)).run()
    unique = {(v.line, v.rule, v.message): v for v in found}
    return [unique[key] for key in sorted(unique)]


# --------------------------------------------------------------------------------------------
# IPython's syntax: magics and shell escapes are not Python, but the kernel runs them.

_IPYTHON_LINE = re.compile(r"^\s*(%|!|\?|/\w|,\w|;\w)|^\s*[\w.]+\s*=\s*[%!]|\?\s*$")


def _parse(source: str, found: list[Violation]) -> ast.Module | None:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):
        pass
    lines = source.splitlines()
    magic = [n for n, line in enumerate(lines, 1) if _IPYTHON_LINE.search(line)]
    for n in magic:
        found.append(_violation("ipython", n, f"uses IPython's magic or shell syntax (`{_short(lines[n - 1].strip())}`)"))
    if not magic:
        return None  # a plain syntax error: the kernel reports it
    kept = ["" if n in magic else line for n, line in enumerate(lines, 1)]
    try:
        return ast.parse("\n".join(kept))
    except (SyntaxError, ValueError):
        return None


def _short(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def _violation(rule: str, line: int, what: str) -> Violation:
    return Violation(rule, line, f"line {line}: {what}: {RULES[rule]}")


def _is_dunder(name: str) -> bool:
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


def _is_private(name: str) -> bool:
    return name.startswith("_") and not _is_dunder(name)


def _module_rule(path: str) -> str | None:
    """The rule that forbids importing the dotted module ``path`` (longest listed prefix), if any."""
    parts = path.split(".")
    for k in range(len(parts), 0, -1):
        rule = MODULE_RULES.get(".".join(parts[:k]))
        if rule:
            return rule
    if parts[0] == "helpers":
        if any(_is_private(p) for p in parts[1:]) or parts[1:2] == ["grading"]:
            return "grading"
        if parts[1:2] == ["checks"] and len(parts) > 2 and not re.fullmatch(r"ch\d+", parts[2]):
            return "grading"
        return None
    if any(_is_private(p) for p in parts):
        return "private-name"
    return None


# --------------------------------------------------------------------------------------------
# The rules


def chapter_of(assignment: str | None) -> str | None:
    """The chapter number of an assignment or notebook name ("04-gradients" -> "04"), or None."""
    match = re.match(r"(\d\d)-", assignment or "")
    return match.group(1) if match else None


class _Auditor:
    def __init__(self, tree: ast.Module, modules: dict[str, str], found: list[Violation], allowed: frozenset[str]):
        self.tree, self.found, self.allowed = tree, found, allowed
        self.origins = Origins(tree)
        self.origins.index_calls(tree)
        self.aliases: dict[str, set[str]] = {}
        self.aliases = self._aliases(modules)
        self.getattr_calls: set[int] = set()

    def _aliases(self, modules: dict[str, str]) -> dict[str, set[str]]:
        """name -> the dotted modules (or module attributes) it may stand for."""
        aliases = self.aliases
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        aliases.setdefault(alias.asname, set()).add(alias.name)
                    else:
                        aliases.setdefault(alias.name.split(".")[0], set()).add(alias.name.split(".")[0])
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    aliases.setdefault(alias.asname or alias.name, set()).add(f"{node.module}.{alias.name}")
        bound = self.origins.bindings
        for name, module in modules.items():
            if name not in bound:
                aliases.setdefault(name, set()).add(module)
        for _ in range(5):  # x = np; y = x
            for node in ast.walk(self.tree):
                if isinstance(node, ast.Assign) and isinstance(node.value, (ast.Name, ast.Attribute)):
                    targets = {q for q in self._qualified(node.value)}
                    for target in node.targets:
                        if isinstance(target, ast.Name) and targets:
                            aliases.setdefault(target.id, set()).update(targets)
        return aliases

    def _qualified(self, node: ast.AST) -> set[str]:
        """The dotted names of modules' attributes that ``node`` may be (``s.settrace`` -> sys.settrace)."""
        if isinstance(node, ast.Name):
            return set(self.aliases.get(node.id, ()))
        if isinstance(node, ast.Attribute):
            return {f"{q}.{node.attr}" for q in self._qualified(node.value)}
        if isinstance(node, ast.Call) and self._constant_getattr(node) is not None:
            return {f"{q}.{node.args[1].value}" for q in self._qualified(node.args[0])}
        return set()

    def add(self, rule: str, node: ast.AST, what: str) -> None:
        self.found.append(_violation(rule, getattr(node, "lineno", 1), what))

    def run(self) -> None:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call):
                self._call(node)
        for node in ast.walk(self.tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                self._import(node)
            elif isinstance(node, ast.Attribute):
                self._attribute(node, node.value, node.attr, store=not isinstance(node.ctx, ast.Load))
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                self._name(node)
            elif isinstance(node, ast.Subscript) and not isinstance(node.ctx, ast.Load):
                self._in_place(node, node.value, f"{_short(ast.unparse(node))} = ...")
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in IN_PLACE:
                self._in_place(node, node.func.value, _short(ast.unparse(node)))

    def _in_place(self, node: ast.AST, container: ast.AST, shown: str) -> None:
        """An item of a container reached through a module or an object the cell did not create."""
        if isinstance(container, ast.Attribute) and container.attr not in SETTINGS and self.origins.foreign(container):
            self.add("foreign-attribute", node, f"changes `{_short(ast.unparse(container))}`, which this cell did "
                     f"not create (`{shown}`)")

    # ---- imports

    def _import(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.ImportFrom) and node.level:
            self.add("imports", node, "imports relative to a package (`from . import`)")
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                if rule := _module_rule(alias.name) or self._not_allowed(alias.name):
                    self.add(rule, node, f"imports `{alias.name}`")
            return
        module = node.module or ""
        if rule := _module_rule(module) or self._not_allowed(module):
            self.add(rule, node, f"imports from `{module}`")  # and what it imports, below, by name
        for alias in node.names:
            full = f"{module}.{alias.name}"
            rule = (_module_rule(full) if module.split(".")[0] == "helpers" else None) or QUALIFIED_RULES.get(full) \
                or ATTRIBUTE_RULES.get(alias.name) or (NAME_RULES.get(alias.name) if module == "builtins" else None)
            if rule is None and (_is_private(alias.name) or _is_dunder(alias.name)):
                rule = "private-name" if _is_private(alias.name) else "dunder"
            if rule:
                self.add(rule, node, f"imports `{alias.name}` from `{module}`")

    def _not_allowed(self, module: str) -> str | None:
        """"modules" when the module's package is not on the chapter's list."""
        return None if module.split(".")[0] in self.allowed else "modules"

    # ---- names

    def _name(self, node: ast.Name) -> None:
        name, bound = node.id, node.id in self.origins.bindings
        if bound and name not in self.origins.imported:
            return
        if name == "getattr":
            if id(node) not in self.getattr_calls:
                self.add("reflection", node, "uses `getattr` other than to read one named attribute")
        elif name in NAME_RULES and not bound:
            self.add(NAME_RULES[name], node, f"uses `{name}`")
        elif _is_dunder(name) and name not in ALLOWED_FREE_DUNDERS and not bound:
            self.add("imports" if name in ("__builtins__", "__import__", "__loader__", "__spec__") else "dunder",
                     node, f"uses `{name}`")
        elif IPYTHON_HISTORY.fullmatch(name) and not bound:
            self.add("ipython", node, f"reads IPython's history of executed cells (`{name}`)")
        elif not bound:
            for module in self.aliases.get(name, ()):
                if (rule := _module_rule(module)) and module.split(".")[0] != "helpers":
                    self.add(rule, node, f"uses the module `{module}` (as `{name}`)")
                    break

    # ---- calls: getattr and friends

    def _constant_getattr(self, node: ast.Call) -> str | None:
        if (isinstance(node.func, ast.Name) and node.func.id == "getattr" and "getattr" not in self.origins.bindings
                and 2 <= len(node.args) <= 3 and not node.keywords
                and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)):
            return node.args[1].value
        return None

    def _call(self, node: ast.Call) -> None:
        attribute = self._constant_getattr(node)
        if attribute is not None:
            self.getattr_calls.add(id(node.func))
            self._attribute(node, node.args[0], attribute, store=False)

    # ---- attributes

    def _attribute(self, node: ast.AST, value: ast.AST, attr: str, *, store: bool) -> None:
        shown = _short(ast.unparse(node)) + (" = ..." if store else "")
        if _is_dunder(attr) and attr not in ALLOWED_DUNDERS:
            self.add("dunder", node, f"{DUNDER_WHAT.get(attr, 'uses the internal attribute')} (`{shown}`)")
            return
        rule = ATTRIBUTE_RULES.get(attr)
        if rule is None:
            for qualified in sorted(f"{q}.{attr}" for q in self._qualified(value)):
                rule = QUALIFIED_RULES.get(qualified) or self._module_of(qualified) or (
                    "files" if qualified.startswith("pandas.") and attr.startswith("read_") else None)
                if rule:
                    break
        if rule:
            self.add(rule, node, f"uses `{attr}` (`{shown}`)")
            return
        foreign = self.origins.foreign(value)
        if store and foreign:
            owner = _short(ast.unparse(value))
            self.add("foreign-attribute", node, f"changes an attribute of `{owner}`, which this cell did not "
                     f"create (`{shown}`)")
        elif _is_private(attr) and foreign:
            self.add("private-name", node, f"uses the private name `{attr}` of `{_short(ast.unparse(value))}`")

    def _module_of(self, qualified: str) -> str | None:
        rule = _module_rule(qualified.rsplit(".", 1)[0]) if "." in qualified else None
        if rule is None and qualified.split(".")[0] == "helpers":
            rule = _module_rule(qualified)
        return rule
