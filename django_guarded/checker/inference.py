"""What an expression is, as far as the AST tells: receiver resolution.

A *type* is a pair ``(kind, name)``:

``("i", model)``  an instance of a model
``("q", model)``  a queryset or manager of a model
``("c", model)``  the model class itself
``("t", model)``  the ``(instance, created)`` pair of ``get_or_create()``
``("l", model)``  a list or other iterable of instances (not a queryset)
``("r", dotted)``  a module, class or function reached through imports
``("s", class)``  ``self`` inside a class that is not a model

Anything else is ``None``: unknown, and never reported. Precision beats
recall, so every rule below only fires on receivers known this way.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django_guarded.checker.index import ProjectIndex

Type = tuple[str, str]

QS_CHAIN = frozenset(
    {
        "all",
        "filter",
        "exclude",
        "order_by",
        "select_related",
        "prefetch_related",
        "distinct",
        "annotate",
        "alias",
        "select_for_update",
        "using",
        "defer",
        "only",
        "none",
        "reverse",
        "extra",
        "union",
        "intersection",
        "difference",
        "complex_filter",
        "get_queryset",
        "db_manager",
        "iterator",
    }
)
QS_INSTANCE = frozenset(
    {
        "get",
        "first",
        "last",
        "earliest",
        "latest",
        "create",
        "aget",
        "afirst",
        "alast",
        "aearliest",
        "alatest",
        "acreate",
    }
)
QS_TUPLE = frozenset({"get_or_create", "update_or_create", "aget_or_create", "aupdate_or_create"})
QS_METHODS = QS_CHAIN | QS_INSTANCE | QS_TUPLE
QS_GENERIC = frozenset(
    {"QuerySet", "Manager", "BaseManager", "RelatedManager", "ManyRelatedManager"}
)
ITERABLE_GENERIC = frozenset(
    {"list", "List", "Sequence", "Iterable", "Iterator", "Collection", "set", "Set", "tuple"}
)
LIST_BUILTINS = frozenset({"list", "sorted", "reversed", "tuple", "set"})
SHORTCUTS = "django.shortcuts."


class Scope:
    """Names bound in one function, class or module body."""

    __slots__ = ("is_class", "parent", "vars")

    def __init__(self, parent: Scope | None = None, *, is_class: bool = False) -> None:
        self.vars: dict[str, Type | None] = {}
        self.parent = parent
        self.is_class = is_class

    def function_parent(self) -> Scope:
        """The scope a function defined here sees (class bodies are skipped)."""
        scope: Scope = self
        while scope.is_class and scope.parent is not None:
            scope = scope.parent
        return scope


def none_constant(node: ast.expr) -> bool:
    """Whether ``node`` is ``None`` in an annotation."""
    return isinstance(node, ast.Constant) and node.value is None


def last_name(node: ast.expr) -> str | None:
    """``Optional`` for ``typing.Optional`` and ``Optional``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


class TypeInference:
    """Expression typing on top of a scope chain; mixed into the checker."""

    index: ProjectIndex
    scope: Scope
    class_nodes: dict[str, ast.ClassDef]
    self_attrs: dict[str, dict[str, Type | None]]

    def lookup(self, name: str) -> Type | None:
        """The type bound to ``name`` in the innermost scope that binds it."""
        scope: Scope | None = self.scope
        while scope is not None:
            if name in scope.vars:
                return scope.vars[name]
            scope = scope.parent
        return None

    def bind(self, name: str, value: Type | None) -> None:
        """Bind ``name`` in the current scope (``None`` shadows outer bindings)."""
        self.scope.vars[name] = value

    def ref(self, dotted: str) -> Type:
        """``("c", model)`` when ``dotted`` names a model class, else ``("r", dotted)``."""
        model = self.index.model_for_ref(dotted)
        return ("c", model) if model is not None else ("r", self.index.canonical(dotted)[1])

    def typeof(self, node: ast.expr) -> Type | None:
        """The type of an expression, or ``None``."""
        kind = type(node)
        if kind is ast.Name:
            assert isinstance(node, ast.Name)
            bound = self.lookup(node.id)
            if bound is not None and bound[0] == "r":
                return self.ref(bound[1])
            return bound
        if kind is ast.Attribute:
            assert isinstance(node, ast.Attribute)
            base = self.typeof(node.value)
            return None if base is None else self.attribute(base, node.attr)
        if kind is ast.Call:
            assert isinstance(node, ast.Call)
            return self.call_type(node)
        if kind is ast.Await:
            assert isinstance(node, ast.Await)
            return self.typeof(node.value)
        if kind is ast.Subscript:
            assert isinstance(node, ast.Subscript)
            return self.subscript_type(node)
        if kind is ast.NamedExpr:
            assert isinstance(node, ast.NamedExpr)
            return self.typeof(node.value)
        if kind is ast.IfExp:
            assert isinstance(node, ast.IfExp)
            body = self.typeof(node.body)
            return body if body == self.typeof(node.orelse) else None
        return None

    def subscript_type(self, node: ast.Subscript) -> Type | None:
        """``qs[0]`` is an instance, ``qs[:5]`` still a queryset."""
        base = self.typeof(node.value)
        if base is None:
            return None
        kind, model = base
        if kind in ("q", "l"):
            return (kind, model) if isinstance(node.slice, ast.Slice) else ("i", model)
        if kind == "t" and isinstance(node.slice, ast.Constant) and node.slice.value == 0:
            return ("i", model)
        return None

    def attribute(self, base: Type, attr: str) -> Type | None:
        """The type of ``<base>.<attr>``."""
        kind, name = base
        if kind == "r":
            return self.ref(f"{name}.{attr}")
        if kind == "c":
            model = self.index.model(name)
            return ("q", name) if model is not None and model.has_manager(attr) else None
        if kind == "i":
            return self.instance_attribute(name, attr)
        if kind == "q":
            return ("c", name) if attr == "model" else None
        if kind == "s":
            return self.self_attribute(name, attr)
        return None

    def instance_attribute(self, model_name: str, attr: str) -> Type | None:
        """Relations: ``order.account`` is an Account, ``account.orders`` Orders."""
        model = self.index.model(model_name)
        if model is None:
            return None
        field = model.fields.get(attr)
        if field is not None:
            if field.relation is None:
                return None
            target = self.index.field_target(model, attr)
            if target is None:
                return None
            return ("q", target) if field.relation == "m2m" else ("i", target)
        for ancestor in model.mro:
            found = self.index.reverse_accessor(ancestor, attr)
            if found is not None:
                return found
        return None

    def call_type(self, node: ast.Call) -> Type | None:
        """What a call returns: querysets, instances, constructors, shortcuts."""
        func = node.func
        if isinstance(func, ast.Attribute):
            attr = func.attr
            if attr in QS_METHODS:
                base = self.typeof(func.value)
                if base is None or base[0] != "q":
                    return None
                if attr in QS_CHAIN:
                    return base
                return ("i", base[1]) if attr in QS_INSTANCE else ("t", base[1])
            if not attr[:1].isupper():
                return None
            called = self.typeof(func)
        elif isinstance(func, ast.Name):
            called = self.typeof(func)
            if called is None:
                if func.id in LIST_BUILTINS and node.args:
                    inner = self.typeof(node.args[0])
                    if inner is not None and inner[0] in ("q", "l"):
                        return ("l", inner[1])
                return None
        else:
            return None
        if called is None:
            return None
        if called[0] == "c":
            return ("i", called[1])
        if called[0] == "r" and called[1].startswith(SHORTCUTS) and node.args:
            shortcut = called[1][len(SHORTCUTS) :]
            source = self.typeof(node.args[0])
            if source is None or source[0] not in ("c", "q"):
                return None
            if shortcut in ("get_object_or_404", "aget_object_or_404"):
                return ("i", source[1])
            if shortcut in ("get_list_or_404", "aget_list_or_404"):
                return ("l", source[1])
        return None

    def element_type(self, iterable: ast.expr) -> Type | None:
        """The type of the items of ``for x in <iterable>``."""
        found = self.typeof(iterable)
        if found is not None and found[0] in ("q", "l"):
            return ("i", found[1])
        return None

    def annotation_type(self, node: ast.expr | None) -> Type | None:
        """The type a variable annotated ``node`` holds."""
        if node is None:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                parsed = ast.parse(node.value, mode="eval").body
            except SyntaxError:
                return None
            return self.annotation_type(parsed)
        if isinstance(node, (ast.Name, ast.Attribute)):
            found = self.typeof(node)
            return ("i", found[1]) if found is not None and found[0] == "c" else None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return self._union([node.left, node.right])
        if isinstance(node, ast.Subscript):
            return self._generic(node)
        return None

    def _union(self, members: list[ast.expr]) -> Type | None:
        types = {self.annotation_type(m) for m in members if not none_constant(m)}
        return types.pop() if len(types) == 1 else None

    def _generic(self, node: ast.Subscript) -> Type | None:
        outer = last_name(node.value)
        args = list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]
        if outer in ("Optional", "Annotated", "Final", "ClassVar") and args:
            return self.annotation_type(args[0])
        if outer == "Union":
            return self._union(args)
        inner = self.annotation_type(args[0]) if args else None
        if inner is None or inner[0] != "i":
            return None
        if outer in QS_GENERIC:
            return ("q", inner[1])
        if outer in ("type", "Type"):
            return ("c", inner[1])
        if outer in ITERABLE_GENERIC:
            return ("l", inner[1])
        return None

    def self_attribute(self, class_name: str, attr: str) -> Type | None:
        """``self.<attr>`` in a class that is not a model: its annotation, or what
        every ``self.<attr> = ...`` in the class's methods assigns."""
        table = self.self_attrs.get(class_name)
        if table is None:
            table = self._scan_class(class_name)
            self.self_attrs[class_name] = table
        return table.get(attr)

    def _scan_class(self, class_name: str) -> dict[str, Type | None]:
        table: dict[str, Type | None] = {}
        node = self.class_nodes.get(class_name)
        if node is None:
            return table
        saved = self.scope
        outer = saved
        while outer.parent is not None:
            outer = outer.parent
        self.scope = outer
        try:
            for stmt in node.body:
                if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                    _merge(table, stmt.target.id, self.annotation_type(stmt.annotation))
                elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    self._scan_method(stmt, table, outer)
        finally:
            self.scope = saved
        return table

    def _scan_method(
        self,
        method: ast.FunctionDef | ast.AsyncFunctionDef,
        table: dict[str, Type | None],
        outer: Scope,
    ) -> None:
        params = [*method.args.posonlyargs, *method.args.args]
        if not params:
            return
        me = params[0].arg
        self.scope = Scope(outer)
        for param in [*params[1:], *method.args.kwonlyargs]:
            self.bind(param.arg, self.annotation_type(param.annotation))
        for sub in _statements(method.body):
            if isinstance(sub, ast.Assign) and len(sub.targets) == 1:
                target = sub.targets[0]
                if (
                    isinstance(target, ast.Attribute)
                    and isinstance(target.value, ast.Name)
                    and target.value.id == me
                ):
                    _merge(table, target.attr, self.typeof(sub.value))
        self.scope = outer


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement in a body, nested blocks included, nested functions not."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        for name in ("body", "orelse", "finalbody"):
            inner = getattr(stmt, name, None)
            if isinstance(inner, list):
                yield from _statements(inner)
        for handler in getattr(stmt, "handlers", ()):
            yield from _statements(handler.body)
        for case in getattr(stmt, "cases", ()):
            yield from _statements(case.body)


def _merge(table: dict[str, Type | None], key: str, value: Type | None) -> None:
    if key in table and table[key] != value:
        table[key] = None
    else:
        table[key] = value
