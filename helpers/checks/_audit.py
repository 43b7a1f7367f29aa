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

from ._audit_tables import (
    ALLOWED_DUNDERS,
    ALLOWED_FREE_DUNDERS,
    ATTRIBUTE_RULES,
    CONVENTIONAL_MODULES,
    DUNDER_WHAT,
    IPYTHON_HISTORY,
    MODULE_RULES,
    MUTATORS,
    NAME_RULES,
    PASSTHROUGH_BUILTINS,
    PASSTHROUGH_METHODS,
    QUALIFIED_RULES,
    RULES,
)

__all__ = ["RULES", "Violation", "audit"]


@dataclass(frozen=True)
class Violation:
    """One broken rule: ``rule`` (a short id, a key of :data:`RULES`), the 1-based ``line``, and a
    ``message`` for the student: ``"line 3: <what the code does>: <the rule in plain words>"``."""

    rule: str
    line: int
    message: str

    def __str__(self) -> str:
        return self.message


def audit(source: str, *, modules: dict[str, str] | None = None) -> list[Violation]:
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

    Returns
    -------
    list of Violation
    """
    if not isinstance(source, str):
        raise TypeError(f"source should be a str, got {type(source).__name__}")
    found: list[Violation] = []
    tree = _parse(source, found)
    if tree is not None:
        _Auditor(tree, dict(CONVENTIONAL_MODULES, **(modules or {})), found).run()
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
# Where values come from: a flow-insensitive reading of the whole cell (every scope together).


class _Origins:
    """Which names and attributes may hold an object the cell did not create ("foreign").

    Foreign: names the cell never binds (the notebook's globals and builtins), imported names, and
    anything bound to a foreign value, an attribute or item of one, or what a pass-through call
    (``next``, ``getattr``, ``dict.get``, ``model.fit``...) returns from one. Created: literals,
    the results of other calls (constructors, library functions), functions and classes defined in
    the cell. Function parameters are foreign when the cell itself calls the function with a
    foreign argument.
    """

    def __init__(self, tree: ast.Module):
        self.bindings: dict[str, list] = {}      # name -> [expression | marker]
        self.attribute_values: dict[str, list] = {}  # attribute name -> [expression stored into it]
        self.functions: dict[str, list] = {}     # name -> [FunctionDef | Lambda | ClassDef]
        self.params: dict[ast.AST, list[str]] = {}
        self._call_index: dict[ast.AST, list[ast.Call]] = {}
        self.imported: set[str] = set()
        self._active: set[int] = set()
        self._collect(tree)
        self.foreign_names: set[str] = set()
        self._solve()

    # ---- collection

    def _bind(self, target: ast.AST, value) -> None:
        if isinstance(target, ast.Name):
            self.bindings.setdefault(target.id, []).append(value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            values = value.elts if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(
                target.elts) and not any(isinstance(e, ast.Starred) for e in target.elts) else None
            for k, element in enumerate(target.elts):
                self._bind(element, values[k] if values is not None else value)
        elif isinstance(target, ast.Starred):
            self._bind(target.value, value)
        elif isinstance(target, ast.Attribute):
            self.attribute_values.setdefault(target.attr, []).append(value)
        elif isinstance(target, ast.Subscript):
            root = _root_name(target.value)
            if root is not None:
                self.bindings.setdefault(root, []).append(value)  # a container holding the value

    def _collect(self, tree: ast.Module) -> None:
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    name = alias.asname or alias.name.split(".")[0]
                    if name != "*":
                        self.imported.add(name)
                        self.bindings.setdefault(name, []).append("foreign")
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    self._bind(target, node.value)
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and node.value is not None:
                self._bind(node.target, node.value)
            elif isinstance(node, ast.NamedExpr):
                self._bind(node.target, node.value)
            elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
                self._bind(node.target, node.iter)
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    if item.optional_vars is not None:
                        self._bind(item.optional_vars, item.context_expr)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.bindings.setdefault(node.name, []).append("created")
                self.functions.setdefault(node.name, []).append(node)
                if isinstance(node, ast.ClassDef):
                    self._collect_class(node)
                else:
                    self._collect_params(node)
            elif isinstance(node, ast.Lambda):
                self._collect_params(node)
            elif isinstance(node, ast.ExceptHandler) and node.name:
                self.bindings.setdefault(node.name, []).append("created")
            elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
                self.bindings.setdefault(node.name, []).append("foreign")
            elif isinstance(node, ast.Call):
                self._collect_mutation(node)

    def _collect_params(self, node) -> None:
        args = node.args
        names = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
        names += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
        self.params[node] = names
        for name in names:
            self.bindings.setdefault(name, []).append(("param", node, name))

    def _collect_class(self, node: ast.ClassDef) -> None:
        for statement in node.body:  # class attributes: Holder.m = np
            if isinstance(statement, ast.Assign):
                for target in statement.targets:
                    if isinstance(target, ast.Name):
                        self.attribute_values.setdefault(target.id, []).append(statement.value)

    def _collect_mutation(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in MUTATORS:  # box.append(np)
            for value in list(node.args) + [k.value for k in node.keywords]:
                if isinstance(func.value, ast.Attribute):
                    self.attribute_values.setdefault(func.value.attr, []).append(value)
                elif (root := _root_name(func.value)) is not None:
                    self.bindings.setdefault(root, []).append(value)

    # ---- solving

    def _solve(self) -> None:
        for _ in range(50):  # to a fixed point; every pass can only add foreign names
            before = len(self.foreign_names)
            for name, values in self.bindings.items():
                if name not in self.foreign_names and any(self._value_foreign(v) for v in values):
                    self.foreign_names.add(name)
            if len(self.foreign_names) == before:
                return

    def _value_foreign(self, value) -> bool:
        if value == "foreign":
            return True
        if value == "created":
            return False
        if isinstance(value, tuple):  # ("param", function node, name)
            return self._param_foreign(value[1], value[2])
        return self.foreign(value)

    def _param_foreign(self, function, name: str) -> bool:
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
                self.foreign(d) for d in function.decorator_list if not _is_plain_decorator(d)):
            return True
        for call in self._calls_of(function):
            positional = [a for a in call.args if not isinstance(a, ast.Starred)]
            if any(isinstance(a, ast.Starred) and self.foreign(a.value) for a in call.args) or any(
                    k.arg is None and self.foreign(k.value) for k in call.keywords):
                return True
            offset = 1 if getattr(call, "_method", False) else 0
            slots = [a.arg for a in function.args.posonlyargs + function.args.args]
            rest = function.args.vararg.arg if function.args.vararg else None
            for k, argument in enumerate(positional):
                slot = slots[k + offset] if k + offset < len(slots) else rest
                if slot == name and self.foreign(argument):
                    return True
            if any(k.arg == name and self.foreign(k.value) for k in call.keywords):
                return True
        return False

    def _calls_of(self, function) -> list[ast.Call]:
        return self._call_index.get(function, [])

    def index_calls(self, tree: ast.Module) -> None:
        """Direct calls of the cell's functions (and of classes, to their ``__init__``)."""
        self._call_index = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                for target in self.functions.get(node.func.id, []):
                    if isinstance(target, ast.ClassDef):
                        for init in target.body:
                            if isinstance(init, (ast.FunctionDef, ast.AsyncFunctionDef)) and init.name == "__init__":
                                node._method = True
                                self._call_index.setdefault(init, []).append(node)
                    else:
                        self._call_index.setdefault(target, []).append(node)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Lambda):
                self._call_index.setdefault(node.func, []).append(node)
        self.foreign_names.clear()
        self._solve()

    def foreign(self, node: ast.AST | None) -> bool:
        """May the value of expression ``node`` be an object the cell did not create?"""
        if node is None or id(node) in self._active:  # a cycle (x = x.y) adds nothing new
            return False
        self._active.add(id(node))
        try:
            return self._foreign(node)
        finally:
            self._active.discard(id(node))

    def _foreign(self, node: ast.AST) -> bool:
        if isinstance(node, ast.Name):
            return node.id not in self.bindings or node.id in self.foreign_names
        if isinstance(node, ast.Attribute):
            return self.foreign(node.value) or any(self.foreign(v) for v in self.attribute_values.get(node.attr, ()))
        if isinstance(node, ast.Subscript):
            return self.foreign(node.value)
        if isinstance(node, ast.Call):
            return self._call_foreign(node)
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            return any(self.foreign(e) for e in node.elts)
        if isinstance(node, ast.Dict):
            return any(self.foreign(e) for e in list(node.keys) + list(node.values) if e is not None)
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
            return self.foreign(node.elt)
        if isinstance(node, ast.DictComp):
            return self.foreign(node.key) or self.foreign(node.value)
        if isinstance(node, ast.IfExp):
            return self.foreign(node.body) or self.foreign(node.orelse)
        if isinstance(node, ast.BoolOp):
            return any(self.foreign(v) for v in node.values)
        if isinstance(node, (ast.NamedExpr, ast.Starred, ast.Await)):
            return self.foreign(node.value)
        return False  # literals, arithmetic, comparisons, lambdas: created here

    def _call_foreign(self, node: ast.Call) -> bool:
        func, arguments = node.func, list(node.args) + [k.value for k in node.keywords]
        any_argument = any(self.foreign(a) for a in arguments)
        if isinstance(func, ast.Name):
            if func.id in self.functions:  # the cell's own function: what it returns or yields
                return any_argument or any(self._returns_foreign(f) for f in self.functions[func.id]
                                           if not isinstance(f, ast.ClassDef))
            if func.id in self.bindings and any(v != "foreign" for v in self.bindings[func.id]):
                return any_argument or self.foreign(func)  # an alias of something: pass-through, to be safe
            if func.id == "type" and len(node.args) == 1:
                return True  # the class of an object: shared with every instance
            return func.id in PASSTHROUGH_BUILTINS and any_argument
        if isinstance(func, ast.Attribute):
            return func.attr in PASSTHROUGH_METHODS and (self.foreign(func.value) or any_argument)
        if isinstance(func, ast.Lambda):
            return any_argument or self.foreign(func.body)
        return any_argument  # a call of a call: attrgetter("x")(np)

    def _returns_foreign(self, function) -> bool:
        for node in _walk_own_body(function):
            if isinstance(node, (ast.Return, ast.Yield, ast.YieldFrom)) and self.foreign(node.value):
                return True
        return False


def _walk_own_body(function):
    """The nodes of a function's body, without those of the functions nested in it."""
    stack = list(function.body) if isinstance(function.body, list) else [function.body]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                stack.append(child)


def _is_plain_decorator(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id in {"staticmethod", "classmethod", "property"}


def _root_name(node: ast.AST) -> str | None:
    """``box`` for ``box[0].items``; None when the chain starts elsewhere (a call, a literal)."""
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


# --------------------------------------------------------------------------------------------
# The rules


class _Auditor:
    def __init__(self, tree: ast.Module, modules: dict[str, str], found: list[Violation]):
        self.tree, self.found = tree, found
        self.origins = _Origins(tree)
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

    # ---- imports

    def _import(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.ImportFrom) and node.level:
            self.add("imports", node, "imports relative to a package (`from . import`)")
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                if rule := _module_rule(alias.name):
                    self.add(rule, node, f"imports `{alias.name}`")
            return
        module = node.module or ""
        if rule := _module_rule(module):
            self.add(rule, node, f"imports from `{module}`")
            return
        for alias in node.names:
            full = f"{module}.{alias.name}"
            rule = (_module_rule(full) if module.split(".")[0] == "helpers" else None) or QUALIFIED_RULES.get(full) \
                or ATTRIBUTE_RULES.get(alias.name) or (NAME_RULES.get(alias.name) if module == "builtins" else None)
            if rule is None and (_is_private(alias.name) or _is_dunder(alias.name)):
                rule = "private-name" if _is_private(alias.name) else "dunder"
            if rule:
                self.add(rule, node, f"imports `{alias.name}` from `{module}`")

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
        rule = ATTRIBUTE_RULES.get(attr) or ("files" if attr.startswith("read_") else None)
        if rule is None:
            for qualified in sorted(f"{q}.{attr}" for q in self._qualified(value)):
                rule = QUALIFIED_RULES.get(qualified) or self._module_of(qualified)
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
