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

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from mypy.errorcodes import ErrorCode
from mypy.nodes import TypeInfo, Var
from mypy.plugin import AttributeContext, FunctionContext, Plugin
from mypy.types import AnyType, Instance, Type, get_proper_type

from django_guarded.mypy_plugin.declarations import Declared, ModelFacts, scan, state_fields_by_type
from django_guarded.mypy_plugin.names import (
    FOREIGN_KEY,
    GUARDED,
    METADATA,
    MODEL,
    OPERATION,
    STATE_FIELD,
    TRANSITION,
)
from django_guarded.mypy_plugin.scopes import (
    find_scope,
    inside_own_code,
    inside_unguarded,
    model_info,
)

__all__ = ["GUARDED_FIELD", "GuardedPlugin", "plugin"]

#: The error code of an assignment to a guarded field outside its model.
GUARDED_FIELD = ErrorCode(
    "guarded-field", "Assign a guarded model field outside the model's own code", "django-guarded"
)


class GuardedPlugin(Plugin):
    """Reports assignments to guarded fields written outside their model's own code."""

    def __init__(self, options: Any) -> None:
        super().__init__(options)
        self._is_model: dict[str, bool] = {}
        self._declared: dict[str, Declared] = {}
        self._lines: dict[str, list[str] | None] = {}

    def get_function_hook(self, fullname: str) -> Callable[[FunctionContext], Type] | None:
        if fullname in (GUARDED, TRANSITION, OPERATION):
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
            known = isinstance(node, TypeInfo) and node.has_base(MODEL)
            self._is_model[class_name] = known
        return known

    def _note_model(self, ctx: FunctionContext) -> Type:
        # Runs while mypy checks a model's body (its guarded() fields, its
        # decorators): what the body declares goes into the metadata mypy caches.
        scope = find_scope(ctx.api)
        info = scope.active_class() if scope is not None else None
        if info is not None and info.has_base(MODEL):
            self._declarations(info)
        return ctx.default_return_type

    def _declarations(self, info: TypeInfo) -> Declared:
        declared = self._declared.get(info.fullname)
        if declared is None:
            scanned = scan(info, self._source_lines(info.module_name))
            if scanned is not None:
                info.metadata[METADATA] = scanned.serialize()
                declared = scanned
            else:
                declared = Declared(info.metadata.get(METADATA))
            state_fields_by_type(info, declared)
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

    def _model(self, info: TypeInfo) -> ModelFacts:
        parts = [self._declarations(base) for base in info.mro if base.has_base(MODEL)]
        return ModelFacts(info, parts)

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
            and field_type.type.has_base(STATE_FIELD)
            and not field_type.type.has_base(FOREIGN_KEY)
            and len(field_type.args) == 2
        ):
            return field_type.args[1]
        return None

    def _check_write(self, class_name: str, attr: str, ctx: AttributeContext) -> Type:
        info = model_info(ctx.type) or self._lookup_class(class_name)
        if info is None:
            return ctx.default_attr_type
        model = self._model(info)
        if attr not in model.guarded:
            return ctx.default_attr_type
        scope = find_scope(ctx.api)
        if scope is not None and (
            inside_own_code(scope, info) or inside_unguarded(scope, ctx.context)
        ):
            return ctx.default_attr_type
        ctx.api.fail(model.message(attr), ctx.context, code=GUARDED_FIELD)
        return ctx.default_attr_type

    def _lookup_class(self, class_name: str) -> TypeInfo | None:
        symbol = self.lookup_fully_qualified(class_name)
        return symbol.node if symbol is not None and isinstance(symbol.node, TypeInfo) else None


def plugin(version: str) -> type[Plugin]:
    """mypy's entry point: the plugin class."""
    return GuardedPlugin
