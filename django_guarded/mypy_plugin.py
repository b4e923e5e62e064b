"""A mypy plugin: assigning a guarded field outside its model is a type error.

Enable it after django-stubs' plugin, in ``pyproject.toml``:

    [tool.mypy]
    plugins = ["mypy_django_plugin.main", "django_guarded.mypy_plugin"]

With it, mypy reports ``account.status = "closed"`` written outside ``Account``
with the error code ``guarded-field``, as the guard would raise
`GuardedFieldError` at run time. The plugin decides by
*where* the assignment is written, not by when it runs:

- allowed in the body of any method of the model, of a model it derives from or
  of a model derived from it (``@transition``, ``@operation`` and the helpers
  they call), and in functions nested in those methods;
- allowed in the methods of a manager or queryset class whose model is that model,
  or is not known;
- allowed inside ``with django_guarded.unguarded():`` and in a function
  decorated with ``@django_guarded.unguarded()``;
- an error everywhere else.

What it cannot see: ``setattr()``, writes through ``__dict__``, queryset
``update()`` and ``create()`` (the guard checks those at run time), and an
object typed ``Any``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from mypy.errorcodes import ErrorCode
from mypy.maptype import map_instance_to_supertype
from mypy.nodes import (
    AssignmentStmt,
    Block,
    CallExpr,
    ClassDef,
    Context,
    Decorator,
    Expression,
    FuncBase,
    FuncDef,
    FuncItem,
    MypyFile,
    NameExpr,
    RefExpr,
    Statement,
    StrExpr,
    TypeInfo,
    Var,
    WithStmt,
)
from mypy.plugin import AttributeContext, FunctionContext, Plugin
from mypy.types import AnyType, Instance, Type, TypeVarType, get_proper_type
from mypy.typevars import fill_typevars

from django_guarded._core import source as _source
from django_guarded._core.wording import Body, field_way_out, state_way_out, writers

__all__ = ["GUARDED_FIELD", "GuardedPlugin", "plugin"]

#: The error code of an assignment to a guarded field outside its model.
GUARDED_FIELD = ErrorCode(
    "guarded-field", "Assign a guarded model field outside the model's own code", "django-guarded"
)


class _Scope(Protocol):
    """What the plugin reads of mypy's checker scope (``TypeChecker.scope``)."""

    stack: list[TypeInfo | FuncItem | MypyFile]

    def active_class(self) -> TypeInfo | None: ...
    def current_class(self) -> TypeInfo | None: ...


def _scope(api: object) -> _Scope | None:
    # The checker's scope is not part of the plugin interface: look, do not assume.
    scope = getattr(api, "scope", None)
    if all(hasattr(scope, name) for name in ("stack", "active_class", "current_class")):
        return scope
    return None


_MODEL = "django_guarded._orm.model.GuardedModel"
_STATE_FIELD = "django_guarded._orm.fields._GuardedStateMixin"
_GUARDED = "django_guarded._orm.fields.guarded"
_TRANSITION = "django_guarded._engine.decorators.transition"
_OPERATION = "django_guarded._engine.decorators.operation"
_UNGUARDED = "django_guarded._core.permission.unguarded"
_FOREIGN_KEY = "django.db.models.fields.related.ForeignKey"
_OWNERS = (
    # django-guarded's own first: mypy cannot follow GuardedManager's dynamic base.
    "django_guarded._orm.managers.GuardedManager",
    "django_guarded._orm.managers.GuardedQuerySet",
    "django.db.models.manager.BaseManager",
    "django.db.models.query.QuerySet",
)

#: Key of what the plugin learns about a model in ``TypeInfo.metadata`` (kept in
#: mypy's cache, where class bodies are not).
_METADATA = "django_guarded"


class _Declared:
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


def _fullname(expr: Expression) -> str | None:
    return expr.fullname if isinstance(expr, RefExpr) else None


def _class_of(expr: Expression) -> TypeInfo | None:
    if isinstance(expr, RefExpr) and isinstance(expr.node, TypeInfo):
        return expr.node
    return None


def _field_call(call: CallExpr) -> tuple[bool, bool] | None:
    """``(is a state field, is a foreign key)`` if ``call`` builds a guarded field."""
    if _fullname(call.callee) == _GUARDED:
        inner = call.args[0] if call.args else None
        info = _class_of(inner.callee) if isinstance(inner, CallExpr) else None
        return False, info is not None and info.has_base(_FOREIGN_KEY)
    info = _class_of(call.callee)
    if info is not None and info.has_base(_STATE_FIELD):
        return True, info.has_base(_FOREIGN_KEY)
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


def _scan(info: TypeInfo, lines: list[str] | None) -> _Declared | None:
    """Read the class body; ``None`` if mypy loaded the class from its cache, without it.

    ``lines`` are those of the file being checked, which declares the class (``None``
    when they cannot be read: the methods' bodies are then unknown)."""
    body = info.defn.defs.body
    if not body:
        return None
    declared = _Declared()
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
                target = _fullname(call.callee if call else decorator)
                if target == _OPERATION:
                    declared.operations.append(stmt.func.name)
                elif target == _TRANSITION and call is not None:
                    field = _transition_field(call)
                    if field is not None:
                        names = declared.transitions.setdefault(field, [])
                        if stmt.func.name not in names:
                            names.append(stmt.func.name)
    return declared


def _state_fields_by_type(info: TypeInfo, declared: _Declared) -> None:
    # For a class read from the cache without the plugin's metadata: state fields
    # still show in the types of their attributes.
    for name, symbol in info.names.items():
        node = symbol.node
        if not isinstance(node, Var) or node.type is None:
            continue
        field_type = get_proper_type(node.type)
        if isinstance(field_type, Instance) and field_type.type.has_base(_STATE_FIELD):
            declared.add_field(name, state=True, foreign_key=field_type.type.has_base(_FOREIGN_KEY))


class _Model:
    """What applies to instances of one model: its own declarations and its bases'."""

    def __init__(self, info: TypeInfo, parts: Iterable[_Declared]) -> None:
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


def _related(a: TypeInfo, b: TypeInfo) -> bool:
    return a.has_base(b.fullname) or b.has_base(a.fullname)


def _is_unguarded(expr: Expression) -> bool:
    return isinstance(expr, CallExpr) and _fullname(expr.callee) == _UNGUARDED


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


def _inside_unguarded(scope: _Scope, context: Context) -> bool:
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


class GuardedPlugin(Plugin):
    """Reports assignments to guarded fields written outside their model's own code."""

    def __init__(self, options: Any) -> None:
        super().__init__(options)
        self._is_model: dict[str, bool] = {}
        self._declared: dict[str, _Declared] = {}
        self._lines: dict[str, list[str] | None] = {}

    def get_function_hook(self, fullname: str) -> Callable[[FunctionContext], Type] | None:
        if fullname in (_GUARDED, _TRANSITION, _OPERATION):
            return self._note_model
        return None

    def get_attribute_hook(self, fullname: str) -> Callable[[AttributeContext], Type] | None:
        class_name, _, attr = fullname.rpartition(".")
        if not self._is_guarded_model(class_name):
            return None
        return partial(self._attribute, class_name, attr)

    def _is_guarded_model(self, class_name: str) -> bool:
        known = self._is_model.get(class_name)
        if known is None:
            symbol = self.lookup_fully_qualified(class_name)
            node = symbol.node if symbol is not None else None
            known = isinstance(node, TypeInfo) and node.has_base(_MODEL)
            self._is_model[class_name] = known
        return known

    def _note_model(self, ctx: FunctionContext) -> Type:
        # Runs while mypy checks a model's body (its guarded() fields, its
        # decorators): what the body declares goes into the metadata mypy caches.
        scope = _scope(ctx.api)
        info = scope.active_class() if scope is not None else None
        if info is not None and info.has_base(_MODEL):
            self._declarations(info)
        return ctx.default_return_type

    def _declarations(self, info: TypeInfo) -> _Declared:
        declared = self._declared.get(info.fullname)
        if declared is None:
            scanned = _scan(info, self._source_lines(info.module_name))
            if scanned is not None:
                info.metadata[_METADATA] = scanned.serialize()
                declared = scanned
            else:
                declared = _Declared(info.metadata.get(_METADATA))
            _state_fields_by_type(info, declared)
            self._declared[info.fullname] = declared
        return declared

    def _source_lines(self, module: str) -> list[str] | None:
        """The lines of ``module``'s file, read once; ``None`` for a stub or an unreadable
        file, whose method bodies say nothing of what runs."""
        if module not in self._lines:
            # The modules mypy loaded: the plugin interface's own lookup uses them.
            modules = getattr(self, "_modules", None) or {}
            path = getattr(modules.get(module), "path", "")
            lines = None
            if path.endswith(".py"):
                try:
                    lines = Path(path).read_text(encoding="utf-8").splitlines()
                except (OSError, UnicodeDecodeError):
                    lines = None
            self._lines[module] = lines
        return self._lines[module]

    def _model(self, info: TypeInfo) -> _Model:
        parts = [self._declarations(base) for base in info.mro if base.has_base(_MODEL)]
        return _Model(info, parts)

    def _attribute(self, class_name: str, attr: str, ctx: AttributeContext) -> Type:
        if ctx.is_lvalue:
            return self._check_write(class_name, attr, ctx)
        if isinstance(get_proper_type(ctx.default_attr_type), AnyType):
            return self._state_type(class_name, attr) or ctx.default_attr_type
        return ctx.default_attr_type

    def _state_type(self, class_name: str, attr: str) -> Type | None:
        # django-fsm-2's fields derive from Field[Any, Any] first, so mypy reads a
        # state as Any; the field's own type arguments say what it holds.
        info = self._lookup_class(class_name)
        symbol = info.names.get(attr) if info is not None else None
        node = symbol.node if symbol is not None else None
        field_type = get_proper_type(node.type) if isinstance(node, Var) else None
        if (
            isinstance(field_type, Instance)
            and field_type.type.has_base(_STATE_FIELD)
            and not field_type.type.has_base(_FOREIGN_KEY)
            and len(field_type.args) == 2
        ):
            return field_type.args[1]
        return None

    def _check_write(self, class_name: str, attr: str, ctx: AttributeContext) -> Type:
        info = _model_info(ctx.type) or self._lookup_class(class_name)
        if info is None:
            return ctx.default_attr_type
        model = self._model(info)
        if attr not in model.guarded:
            return ctx.default_attr_type
        scope = _scope(ctx.api)
        if scope is not None and (
            _inside_own_code(scope, info) or _inside_unguarded(scope, ctx.context)
        ):
            return ctx.default_attr_type
        ctx.api.fail(model.message(attr), ctx.context, code=GUARDED_FIELD)
        return ctx.default_attr_type

    def _lookup_class(self, class_name: str) -> TypeInfo | None:
        symbol = self.lookup_fully_qualified(class_name)
        return symbol.node if symbol is not None and isinstance(symbol.node, TypeInfo) else None


def _model_info(typ: Type | None) -> TypeInfo | None:
    proper = get_proper_type(typ)
    if isinstance(proper, TypeVarType):
        proper = get_proper_type(proper.upper_bound)
    if isinstance(proper, Instance) and proper.type.has_base(_MODEL):
        return proper.type
    return None


def _inside_own_code(scope: _Scope, model: TypeInfo) -> bool:
    owner = scope.current_class()
    if owner is None:
        return False
    if owner.has_base(_MODEL):
        return _related(owner, model)
    for base_name in _OWNERS:
        base = next((b for b in owner.mro if b.fullname == base_name), None)
        if base is None:
            continue
        self_type = fill_typevars(owner)
        if not isinstance(self_type, Instance):
            return True
        args = map_instance_to_supertype(self_type, base).args
        managed = _model_info(args[0]) if args else None
        return managed is None or _related(managed, model)
    return False


def plugin(version: str) -> type[Plugin]:
    """mypy's entry point: the plugin class."""
    return GuardedPlugin
