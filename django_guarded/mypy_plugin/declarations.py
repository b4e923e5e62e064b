"""What each model class declares: guarded names, state fields, transitions, operations.

Read from the class bodies mypy parsed, and kept in the model's ``TypeInfo.metadata``
(mypy's cache keeps that; it does not keep class bodies).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mypy.nodes import (
    AssignmentStmt,
    CallExpr,
    Decorator,
    Expression,
    FuncDef,
    NameExpr,
    RefExpr,
    StrExpr,
    TypeInfo,
    Var,
)
from mypy.types import Instance, get_proper_type

from django_guarded._core import source as _source
from django_guarded._core.wording import Body, field_way_out, state_way_out, writers
from django_guarded.mypy_plugin.names import (
    FOREIGN_KEY,
    GUARDED,
    OPERATION,
    STATE_FIELD,
    TRANSITION,
)


class Declared:
    """What one model class declares itself: guarded names, transitions, operations."""

    __slots__ = ("bodies", "guarded", "operations", "state_fields", "transitions")

    def __init__(self, data: dict[str, Any] | None = None) -> None:
        data = data or {}
        #: attribute name (``state``, ``state_id``) -> field name (``state``)
        self.guarded: dict[str, str] = dict(data.get("guarded", {}))
        self.state_fields: list[str] = list(data.get("state_fields", []))
        #: field name -> names of the methods that are its transitions
        self.transitions: dict[str, list[str]] = {
            field: list(names) for field, names in data.get("transitions", {}).items()
        }
        self.operations: list[str] = list(data.get("operations", []))
        #: method name -> what its body assigns on self and calls on self
        self.bodies: dict[str, Body] = {
            name: (None if assigned is None else list(assigned), list(calls))
            for name, (assigned, calls) in data.get("bodies", {}).items()
        }

    def serialize(self) -> dict[str, Any]:
        return {
            "guarded": self.guarded,
            "state_fields": self.state_fields,
            "transitions": self.transitions,
            "operations": self.operations,
            "bodies": {
                name: [None if assigned is None else sorted(assigned), sorted(calls)]
                for name, (assigned, calls) in self.bodies.items()
            },
        }

    def add_field(self, name: str, *, state: bool, foreign_key: bool) -> None:
        self.guarded[name] = name
        if foreign_key:
            self.guarded[f"{name}_id"] = name
        if state and name not in self.state_fields:
            self.state_fields.append(name)


def fullname_of(expr: Expression) -> str | None:
    return expr.fullname if isinstance(expr, RefExpr) else None


def _class_of(expr: Expression) -> TypeInfo | None:
    if isinstance(expr, RefExpr) and isinstance(expr.node, TypeInfo):
        return expr.node
    return None


def _field_call(call: CallExpr) -> tuple[bool, bool] | None:
    """``(is a state field, is a foreign key)`` if ``call`` builds a guarded field."""
    if fullname_of(call.callee) == GUARDED:
        inner = call.args[0] if call.args else None
        info = _class_of(inner.callee) if isinstance(inner, CallExpr) else None
        return False, info is not None and info.has_base(FOREIGN_KEY)
    info = _class_of(call.callee)
    if info is not None and info.has_base(STATE_FIELD):
        return True, info.has_base(FOREIGN_KEY)
    return None


def _transition_field(call: CallExpr) -> str | None:
    for name, arg in zip(call.arg_names, call.args, strict=True):
        if name == "field" or name is None:
            if isinstance(arg, NameExpr):
                return arg.name
            if isinstance(arg, StrExpr):
                return arg.value
            return None
    return None


def _body(func: FuncDef, lines: list[str] | None) -> Body | None:
    """What ``func`` assigns and calls on its first argument, read from its lines with
    the run-time messages' own rules (`django_guarded._core.source`); ``None`` for a static
    or class method, which has no instance."""
    if func.is_static or func.is_class:
        return None
    if lines is None or func.end_line is None:
        return _source.UNKNOWN
    return _source.scan("\n".join(lines[func.line - 1 : func.end_line]))


def scan(info: TypeInfo, lines: list[str] | None) -> Declared | None:
    """Read the class body; ``None`` if mypy loaded the class from its cache, without it.

    ``lines`` are those of the file being checked, which declares the class (``None``
    when they cannot be read: the methods' bodies are then unknown)."""
    body = info.defn.defs.body
    if not body:
        return None
    declared = Declared()
    for stmt in body:
        if (
            isinstance(stmt, AssignmentStmt)
            and len(stmt.lvalues) == 1
            and isinstance(stmt.lvalues[0], NameExpr)
            and isinstance(stmt.rvalue, CallExpr)
        ):
            kind = _field_call(stmt.rvalue)
            if kind is not None:
                declared.add_field(stmt.lvalues[0].name, state=kind[0], foreign_key=kind[1])
        func = stmt.func if isinstance(stmt, Decorator) else stmt
        if isinstance(func, FuncDef):
            method = _body(func, lines)
            if method is not None:
                declared.bodies[func.name] = method
        if isinstance(stmt, Decorator):
            for decorator in stmt.decorators:
                call = decorator if isinstance(decorator, CallExpr) else None
                target = fullname_of(call.callee if call else decorator)
                if target == OPERATION:
                    declared.operations.append(stmt.func.name)
                elif target == TRANSITION and call is not None:
                    field = _transition_field(call)
                    if field is not None:
                        names = declared.transitions.setdefault(field, [])
                        if stmt.func.name not in names:
                            names.append(stmt.func.name)
    return declared


def state_fields_by_type(info: TypeInfo, declared: Declared) -> None:
    # For a class read from the cache without the plugin's metadata: state fields
    # still show in the types of their attributes.
    for name, symbol in info.names.items():
        node = symbol.node
        if not isinstance(node, Var) or node.type is None:
            continue
        field_type = get_proper_type(node.type)
        if isinstance(field_type, Instance) and field_type.type.has_base(STATE_FIELD):
            declared.add_field(name, state=True, foreign_key=field_type.type.has_base(FOREIGN_KEY))


class ModelFacts:
    """What applies to instances of one model: its own declarations and its bases'."""

    def __init__(self, info: TypeInfo, parts: Iterable[Declared]) -> None:
        self.info = info
        self.guarded: dict[str, str] = {}
        self.state_fields: set[str] = set()
        self.transitions: dict[str, list[str]] = {}
        self.operations: list[str] = []
        #: The bodies of the methods, the most derived class's first.
        self.bodies: dict[str, Body] = {}
        for part in parts:
            for method, body in part.bodies.items():
                self.bodies.setdefault(method, body)
            for attr, field in part.guarded.items():
                self.guarded.setdefault(attr, field)
            self.state_fields.update(part.state_fields)
            for field, names in part.transitions.items():
                known = self.transitions.setdefault(field, [])
                known.extend(name for name in names if name not in known)
            self.operations.extend(n for n in part.operations if n not in self.operations)

    def message(self, attr: str) -> str:
        name = self.info.name
        field = self.guarded[attr]
        if field in self.state_fields:
            ways = [f"{name}.{method}()" for method in self.transitions.get(field, [])]
            how = state_way_out(name, field, ways)
        else:
            # The run-time message's choice and order: of the transitions, then the
            # operations, each sorted by name, those that assign the field.
            transitions = sorted({m for names in self.transitions.values() for m in names})
            methods = transitions + sorted(set(self.operations) - set(transitions))
            attributes = {field} | {a for a, f in self.guarded.items() if f == field}
            methods = writers(methods, self.bodies, attributes)
            how = field_way_out(name, [f"{name}.{method}()" for method in methods])
        return (
            f"{name}.{attr} is guarded: {how} "
            '(test setup may assign it inside "with django_guarded.unguarded():")'
        )
