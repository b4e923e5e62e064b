"""Per-module summaries: what the project index needs to know about one file.

A summary is plain JSON data so that it can be cached. It records, for the
module's top level only (function bodies are never read here):

* ``imports``: local name -> dotted name it refers to (relative imports resolved),
* ``stars``: modules imported with ``from x import *``,
* ``aliases``: module-level ``Name = Other`` / ``Name = A.from_queryset(B)``,
* ``classes``: per class its bases, its class-level ``name = Call(...)``
  attributes (fields and managers are told apart later), its decorated
  methods and its ``Meta`` flags.

Names are resolved through the module's own imports at this stage, so the
index later deals with dotted names only.
"""

from __future__ import annotations

import ast
from typing import Any

Summary = dict[str, Any]
STR_REF = "str:"
"""Prefix of a reference written as a string, e.g. ``ForeignKey("shop.Account")``."""

SUMMARY_VERSION = 4


def _dotted(node: ast.expr) -> list[str] | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        parts.reverse()
        return parts
    return None


def resolve_relative(module: str, is_package: bool, target: str | None, level: int) -> str:
    """Absolute dotted name of ``from <level dots><target> import ...`` inside ``module``."""
    if level == 0:
        return target or ""
    package = module if is_package else module.rpartition(".")[0]
    parts = package.split(".") if package else []
    if level > 1:
        parts = parts[: len(parts) - (level - 1)]
    if target:
        parts.append(target)
    return ".".join(parts)


class _Summarizer:
    def __init__(self, module: str, is_package: bool) -> None:
        self.module = module
        self.is_package = is_package
        self.imports: dict[str, str] = {}
        self.stars: list[str] = []
        self.local: set[str] = set()

    def collect_names(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            if isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    if alias.asname:
                        self.imports[alias.asname] = alias.name
                    else:
                        head = alias.name.partition(".")[0]
                        self.imports[head] = head
            elif isinstance(stmt, ast.ImportFrom):
                base = resolve_relative(self.module, self.is_package, stmt.module, stmt.level)
                for alias in stmt.names:
                    if alias.name == "*":
                        self.stars.append(base)
                    else:
                        self.imports[alias.asname or alias.name] = f"{base}.{alias.name}"
            elif isinstance(stmt, ast.ClassDef):
                self.local.add(stmt.name)
                self.imports.pop(stmt.name, None)
            elif isinstance(stmt, (ast.If, ast.Try)):
                self.collect_names(stmt.body)
                self.collect_names(stmt.orelse)
                for handler in getattr(stmt, "handlers", ()):
                    self.collect_names(handler.body)

    def ref(self, node: ast.expr | None) -> str | None:
        if node is None:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return STR_REF + node.value
        parts = _dotted(node)
        if parts is None:
            return None
        head = parts[0]
        base = self.imports.get(head, f"{self.module}.{head}")
        return ".".join([base, *parts[1:]])

    def call_info(self, call: ast.Call) -> dict[str, Any] | None:
        func = call.func
        extra: list[str] = []
        # Manager.from_queryset(QuerySet)(...) and QuerySet.as_manager()
        if isinstance(func, ast.Call) and isinstance(func.func, ast.Attribute):
            if func.func.attr == "from_queryset" and func.args:
                qs = self.ref(func.args[0])
                if qs:
                    extra.append(qs)
                func = func.func.value
            else:
                return None
        elif isinstance(func, ast.Attribute) and func.attr == "as_manager":
            func = func.value
        qualname = self.ref(func)
        if qualname is None:
            return None
        info: dict[str, Any] = {"call": qualname}
        if extra:
            info["extra"] = extra
        if call.args and isinstance(call.args[0], ast.Call):
            inner = self.call_info(call.args[0])
            if inner is not None:
                info["inner"] = inner  # guarded(models.X(...)) when the call is guarded
        target: ast.expr | None = call.args[0] if call.args else None
        for keyword in call.keywords:
            if keyword.arg == "to":
                target = keyword.value
            elif keyword.arg == "related_name" and isinstance(keyword.value, ast.Constant):
                info["related"] = keyword.value.value
        to = self.ref(target)
        if to:
            info["to"] = to
        return info

    def class_summary(self, node: ast.ClassDef) -> dict[str, Any]:
        attrs: dict[str, Any] = {}
        methods: dict[str, list[list[str | None]]] = {}
        meta: dict[str, Any] = {}
        for stmt in node.body:
            value: ast.expr | None = None
            names: list[str] = []
            if isinstance(stmt, ast.Assign):
                value = stmt.value
                names = [t.id for t in stmt.targets if isinstance(t, ast.Name)]
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                value = stmt.value
                names = [stmt.target.id]
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                decorators = [self.decorator(d) for d in stmt.decorator_list]
                kept = [d for d in decorators if d is not None]
                if kept:
                    methods[stmt.name] = kept
                continue
            elif isinstance(stmt, ast.ClassDef) and stmt.name == "Meta":
                meta = self.meta(stmt)
                continue
            if isinstance(value, ast.Call):
                info = self.call_info(value)
                if info is not None:
                    for name in names:
                        attrs[name] = info
        bases: list[str | None] = []
        for base in node.bases:
            if (
                isinstance(base, ast.Call)
                and isinstance(base.func, ast.Attribute)
                and base.func.attr == "from_queryset"
                and base.args
            ):
                bases.extend((self.ref(base.func.value), self.ref(base.args[0])))
            else:
                bases.append(self.ref(base))
        summary: dict[str, Any] = {"line": node.lineno, "bases": bases}
        if attrs:
            summary["attrs"] = attrs
        if methods:
            summary["methods"] = methods
        if meta:
            summary["meta"] = meta
        return summary

    def decorator(self, node: ast.expr) -> list[str | None] | None:
        call = node if isinstance(node, ast.Call) else None
        qualname = self.ref(call.func if call else node)
        if qualname is None:
            return None
        field_name: str | None = None
        if call is not None:
            for keyword in call.keywords:
                if keyword.arg == "field":
                    field_name = _field_name(keyword.value)
            if field_name is None and call.args:
                field_name = _field_name(call.args[0])
        return [qualname, field_name]

    @staticmethod
    def meta(node: ast.ClassDef) -> dict[str, Any]:
        flags: dict[str, Any] = {}
        for stmt in node.body:
            if (
                isinstance(stmt, ast.Assign)
                and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)
                and isinstance(stmt.value, ast.Constant)
            ):
                key = stmt.targets[0].id
                if key in ("abstract", "proxy") and stmt.value.value is True:
                    flags[key] = True
                elif key == "app_label" and isinstance(stmt.value.value, str):
                    flags[key] = stmt.value.value
        return flags

    def summarize(self, tree: ast.Module) -> Summary:
        self.collect_names(tree.body)
        classes: dict[str, Any] = {}
        aliases: dict[str, list[str]] = {}
        self._walk(tree.body, classes, aliases)
        summary: Summary = {}
        if self.imports:
            summary["imports"] = self.imports
        if self.stars:
            summary["stars"] = self.stars
        if classes:
            summary["classes"] = classes
        if aliases:
            summary["aliases"] = aliases
        return summary

    def _walk(
        self, body: list[ast.stmt], classes: dict[str, Any], aliases: dict[str, list[str]]
    ) -> None:
        for stmt in body:
            if isinstance(stmt, ast.ClassDef):
                classes[stmt.name] = self.class_summary(stmt)
            elif (
                isinstance(stmt, ast.Assign)
                and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)
            ):
                target = stmt.targets[0].id
                alias = self.alias(stmt.value)
                if alias:
                    aliases[target] = alias
            elif isinstance(stmt, (ast.If, ast.Try)):
                self._walk(stmt.body, classes, aliases)
                self._walk(stmt.orelse, classes, aliases)

    def alias(self, value: ast.expr) -> list[str] | None:
        if isinstance(value, (ast.Name, ast.Attribute)):
            ref = self.ref(value)
            return [ref] if ref else None
        if (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Attribute)
            and value.func.attr == "from_queryset"
            and value.args
        ):
            manager = self.ref(value.func.value)
            queryset = self.ref(value.args[0])
            if manager and queryset:
                return [manager, queryset]
        return None


def _field_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def summarize(tree: ast.Module, module: str, is_package: bool) -> Summary:
    """Summarize a parsed module named ``module``."""
    return _Summarizer(module, is_package).summarize(tree)


def summarize_source(source: str | bytes, module: str, is_package: bool) -> Summary:
    """Parse and summarize; a file that does not parse summarizes to nothing."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return {}
    return summarize(tree, module, is_package)
