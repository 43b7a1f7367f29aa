"""Where the values of an audited cell come from: which names and attributes may hold an object
the cell did not create (a flow-insensitive reading of the whole cell, every scope together). Used
by :mod:`helpers.audit`."""

from __future__ import annotations

import ast

from ._tables import MUTATORS, PASSTHROUGH_BUILTINS, PASSTHROUGH_METHODS


class Origins:
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
        self.contents: dict[str, list] = {}      # name -> [expression put into it: box[0] = np, box.append(np)]
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
                self.contents.setdefault(root, []).append(value)  # a container holding the value

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
                    self.contents.setdefault(root, []).append(value)

    # ---- solving

    def _solve(self) -> None:
        for _ in range(50):  # to a fixed point; every pass can only add foreign names
            before = len(self.foreign_names)
            for table in (self.bindings, self.contents):
                for name, values in table.items():
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
