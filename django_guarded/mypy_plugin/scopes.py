"""Where an assignment is written: in the model's own code, or inside ``unguarded()``."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import Protocol

from mypy.maptype import map_instance_to_supertype
from mypy.nodes import (
    Block,
    CallExpr,
    ClassDef,
    Context,
    Decorator,
    Expression,
    FuncBase,
    FuncItem,
    MypyFile,
    Statement,
    TypeInfo,
    WithStmt,
)
from mypy.types import Instance, Type, TypeVarType, get_proper_type
from mypy.typevars import fill_typevars

from django_guarded.mypy_plugin.declarations import fullname_of
from django_guarded.mypy_plugin.names import MODEL, OWNERS, UNGUARDED


class Scope(Protocol):
    """What the plugin reads of mypy's checker scope (``TypeChecker.scope``)."""

    stack: list[TypeInfo | FuncItem | MypyFile]

    def active_class(self) -> TypeInfo | None: ...
    def current_class(self) -> TypeInfo | None: ...


def find_scope(api: object) -> Scope | None:
    # The checker's scope is not part of the plugin interface: look, do not assume.
    scope = getattr(api, "scope", None)
    if all(hasattr(scope, name) for name in ("stack", "active_class", "current_class")):
        return scope
    return None


def related(a: TypeInfo, b: TypeInfo) -> bool:
    return a.has_base(b.fullname) or b.has_base(a.fullname)


def _is_unguarded(expr: Expression) -> bool:
    return isinstance(expr, CallExpr) and fullname_of(expr.callee) == UNGUARDED


def _statements(statements: Iterable[Statement]) -> Iterator[Statement]:
    """``statements`` and those nested in their blocks, but not in nested scopes."""
    for stmt in statements:
        yield stmt
        if isinstance(stmt, (FuncBase, Decorator, ClassDef)):
            continue  # another scope: it runs later, or elsewhere
        for attr in ("body", "else_body", "finally_body", "handlers", "bodies"):
            blocks = getattr(stmt, attr, None)
            for block in blocks if isinstance(blocks, list) else [blocks]:
                if isinstance(block, Block):
                    yield from _statements(block.body)


def _decorators(func: FuncItem, parent: TypeInfo | FuncItem | MypyFile) -> list[Expression]:
    if isinstance(parent, FuncItem):
        candidates: Iterable[object] = _statements(parent.body.body)
    else:
        symbol = parent.names.get(func.name)
        candidates = [symbol.node] if symbol is not None else []
    for node in candidates:
        if isinstance(node, Decorator) and node.func is func:
            return node.decorators
    return []


def inside_unguarded(scope: Scope, context: Context) -> bool:
    """Whether ``context`` runs in an ``unguarded()`` block or decorated function."""
    for parent, item in itertools.pairwise(scope.stack):
        if isinstance(item, FuncItem) and any(map(_is_unguarded, _decorators(item, parent))):
            return True
    innermost = scope.stack[-1]
    if isinstance(innermost, FuncItem):
        statements: list[Statement] = innermost.body.body
    elif isinstance(innermost, MypyFile):
        statements = innermost.defs
    else:
        statements = innermost.defn.defs.body
    return any(
        isinstance(stmt, WithStmt)
        and any(map(_is_unguarded, stmt.expr))
        and stmt.line <= context.line <= (stmt.end_line or stmt.line)
        for stmt in _statements(statements)
    )


def model_info(typ: Type | None) -> TypeInfo | None:
    proper = get_proper_type(typ)
    if isinstance(proper, TypeVarType):
        proper = get_proper_type(proper.upper_bound)
    if isinstance(proper, Instance) and proper.type.has_base(MODEL):
        return proper.type
    return None


def inside_own_code(scope: Scope, model: TypeInfo) -> bool:
    owner = scope.current_class()
    if owner is None:
        return False
    if owner.has_base(MODEL):
        return related(owner, model)
    for base_name in OWNERS:
        base = next((b for b in owner.mro if b.fullname == base_name), None)
        if base is None:
            continue
        self_type = fill_typevars(owner)
        if not isinstance(self_type, Instance):
            return True
        args = map_instance_to_supertype(self_type, base).args
        managed = model_info(args[0]) if args else None
        return managed is None or related(managed, model)
    return False
