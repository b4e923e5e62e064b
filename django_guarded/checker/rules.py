"""The rules: one walk over a module's AST, in source order, tracking what each
name holds and reporting writes to models made from outside the model.

Writes are allowed, and never reported, inside the body of the model's own
class (or a model in its inheritance chain), inside its manager and queryset
classes, and inside ``with unguarded():`` blocks or ``@unguarded()`` functions
(``unguarded`` itself is reported by GRD501 where it does not belong).
Branches are merged: after an ``if``, a name keeps its type only when both
branches agree.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from typing import Any, cast

from django_guarded.checker import codes
from django_guarded.checker.config import Config
from django_guarded.checker.index import ProjectIndex, is_guarded_name
from django_guarded.checker.inference import Scope, Type, TypeInference
from django_guarded.checker.models import GUARDED_KINDS, ModelInfo
from django_guarded.checker.report import Finding

INSTANCE_WRITES = {"save": "GRD201", "asave": "GRD201", "delete": "GRD202", "adelete": "GRD202"}
QUERYSET_WRITES = {
    "create": "GRD302",
    "acreate": "GRD302",
    "get_or_create": "GRD303",
    "aget_or_create": "GRD303",
    "update_or_create": "GRD303",
    "aupdate_or_create": "GRD303",
    "update": "GRD401",
    "aupdate": "GRD401",
    "delete": "GRD402",
    "adelete": "GRD402",
    "bulk_create": "GRD403",
    "abulk_create": "GRD403",
    "bulk_update": "GRD404",
    "abulk_update": "GRD404",
}
WRITE_METHODS = frozenset(INSTANCE_WRITES) | frozenset(QUERYSET_WRITES)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)
_SKIP_EXPR = (ast.Name, ast.Constant, ast.Load, ast.Store, ast.Del)
_Visitor = Callable[[ast.stmt], None]


def _optional(*nodes: ast.AST | None) -> list[ast.AST]:
    return [n for n in nodes if n is not None]


_CHILDREN: dict[type[ast.AST], Callable[[Any], Iterable[ast.AST]]] = {
    ast.BinOp: lambda n: (n.left, n.right),
    ast.BoolOp: lambda n: n.values,
    ast.Compare: lambda n: [n.left, *n.comparators],
    ast.UnaryOp: lambda n: (n.operand,),
    ast.Subscript: lambda n: (n.value, n.slice),
    ast.List: lambda n: n.elts,
    ast.Tuple: lambda n: n.elts,
    ast.Set: lambda n: n.elts,
    ast.Dict: lambda n: [*_optional(*n.keys), *n.values],
    ast.JoinedStr: lambda n: n.values,
    ast.FormattedValue: lambda n: _optional(n.value, n.format_spec),
    ast.Starred: lambda n: (n.value,),
    ast.IfExp: lambda n: (n.test, n.body, n.orelse),
    ast.Await: lambda n: (n.value,),
    ast.Yield: lambda n: _optional(n.value),
    ast.YieldFrom: lambda n: (n.value,),
    ast.Slice: lambda n: _optional(n.lower, n.upper, n.step),
}
"""How to reach the sub-expressions of common expression nodes quickly."""


class FileChecker(TypeInference):
    """Check one module; findings collect in `findings`."""

    def __init__(
        self,
        index: ProjectIndex,
        config: Config,
        module: str,
        path: str,
        lines: list[str],
        *,
        is_package: bool = False,
        unguarded_allowed: bool = False,
    ) -> None:
        self.index = index
        self.config = config
        self.module = module
        self.is_package = is_package
        self.path = path
        self.lines = lines
        self.unguarded_allowed = unguarded_allowed
        self.findings: list[Finding] = []
        self.scope = Scope()
        self.class_stack: list[str] = []
        self.class_nodes: dict[str, ast.ClassDef] = {}
        self.self_attrs: dict[str, dict[str, Type | None]] = {}
        self.unguarded = 0
        self.statement: tuple[int, int] = (0, 0)
        self.handled: set[int] = set()
        self.visitors: dict[type[ast.AST], _Visitor] = {
            ast.Expr: self.visit_expr_stmt,
            ast.Assign: self.visit_assign,
            ast.AugAssign: self.visit_augassign,
            ast.AnnAssign: self.visit_annassign,
            ast.For: self.visit_for,
            ast.AsyncFor: self.visit_for,
            ast.While: self.visit_while,
            ast.If: self.visit_if,
            ast.With: self.visit_with,
            ast.AsyncWith: self.visit_with,
            ast.Try: self.visit_try,
            ast.FunctionDef: self.visit_function,
            ast.AsyncFunctionDef: self.visit_function,
            ast.ClassDef: self.visit_class,
            ast.Import: self.visit_import,
            ast.ImportFrom: self.visit_import,
            ast.Return: self.visit_children,
            ast.Raise: self.visit_children,
            ast.Assert: self.visit_children,
            ast.Delete: self.visit_children,
        }
        try_star = getattr(ast, "TryStar", None)
        if try_star is not None:
            self.visitors[try_star] = self.visit_try
        match = getattr(ast, "Match", None)
        if match is not None:
            self.visitors[match] = self.visit_match

    # ------------------------------------------------------------ entry

    def check(self, tree: ast.Module) -> list[Finding]:
        """Walk the module and return the findings, sorted by position."""
        self.prebind(tree.body)
        self.visit_body(tree.body)
        self.findings.sort()
        return self.findings

    def prebind(self, body: list[ast.stmt]) -> None:
        """Bind module-level imports and classes first: functions may use names
        defined further down."""
        for stmt in body:
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                bind_imports(self.scope, stmt, self.module, self.is_package)
            elif isinstance(stmt, ast.ClassDef):
                self.bind(stmt.name, ("r", f"{self.module}.{stmt.name}"))
            elif isinstance(stmt, (ast.If, ast.Try)):
                self.prebind(stmt.body)
                self.prebind(stmt.orelse)
                for handler in getattr(stmt, "handlers", ()):
                    self.prebind(handler.body)

    def visit_body(self, body: list[ast.stmt]) -> None:
        """Visit statements in order (GRD601 looks at neighbouring statements)."""
        previous: ast.stmt | None = None
        for stmt in body:
            if previous is not None and self.config.fsm:
                self.check_save_after_transition(previous, stmt)
            self.statement = _logical_lines(stmt)
            visitor = self.visitors.get(type(stmt))
            if visitor is not None:
                visitor(stmt)
            previous = stmt

    # -------------------------------------------------------- statements

    def visit_children(self, stmt: ast.stmt) -> None:
        """Statements with nothing to bind: just look at their expressions."""
        for child in ast.iter_child_nodes(stmt):
            if isinstance(child, ast.expr):
                self.expr(child)

    def visit_expr_stmt(self, stmt: ast.stmt) -> None:
        assert isinstance(stmt, ast.Expr)
        self.expr(stmt.value)

    def visit_assign(self, stmt: ast.stmt) -> None:
        assert isinstance(stmt, ast.Assign)
        self.expr(stmt.value)
        value: Type | None = None
        if any(not isinstance(t, ast.Attribute) for t in stmt.targets):
            value = self.typeof(stmt.value)
        for target in stmt.targets:
            self.assign_target(target, value, stmt.value)

    def visit_augassign(self, stmt: ast.stmt) -> None:
        assert isinstance(stmt, ast.AugAssign)
        self.expr(stmt.value)
        self.assign_target(stmt.target, None, None)

    def visit_annassign(self, stmt: ast.stmt) -> None:
        assert isinstance(stmt, ast.AnnAssign)
        if stmt.value is not None:
            self.expr(stmt.value)
        target = stmt.target
        if isinstance(target, ast.Name):
            declared = self.annotation_type(stmt.annotation)
            if declared is None and stmt.value is not None:
                declared = self.typeof(stmt.value)
            self.bind(target.id, declared)
        elif stmt.value is not None:
            self.assign_target(target, None, None)

    def visit_for(self, stmt: ast.stmt) -> None:
        assert isinstance(stmt, (ast.For, ast.AsyncFor))
        self.expr(stmt.iter)
        before = dict(self.scope.vars)
        self.bind_loop_target(stmt.target, stmt.iter)
        self.visit_body(stmt.body)
        self.merge_into(before, [dict(self.scope.vars)])
        self.visit_body(stmt.orelse)

    def visit_while(self, stmt: ast.stmt) -> None:
        assert isinstance(stmt, ast.While)
        self.expr(stmt.test)
        before = dict(self.scope.vars)
        self.visit_body(stmt.body)
        self.merge_into(before, [dict(self.scope.vars)])
        self.visit_body(stmt.orelse)

    def visit_if(self, stmt: ast.stmt) -> None:
        assert isinstance(stmt, ast.If)
        self.expr(stmt.test)
        before = dict(self.scope.vars)
        self.visit_body(stmt.body)
        after_body = self.scope.vars
        self.scope.vars = dict(before)
        self.visit_body(stmt.orelse)
        if _terminates(stmt.body):
            return
        if _terminates(stmt.orelse):
            self.scope.vars = after_body
            return
        self.merge_into(after_body, [dict(self.scope.vars)])

    def visit_try(self, stmt: ast.stmt) -> None:
        stmt = cast(ast.Try, stmt)  # or ast.TryStar (Python 3.11+): the same fields
        before = dict(self.scope.vars)
        self.visit_body(stmt.body)
        self.visit_body(stmt.orelse)
        after = dict(self.scope.vars)
        outcomes = []
        for handler in stmt.handlers:
            self.scope.vars = dict(before)
            if handler.type is not None:
                self.expr(handler.type)
            if handler.name:
                self.bind(handler.name, None)
            self.visit_body(handler.body)
            if not _terminates(handler.body):
                outcomes.append(dict(self.scope.vars))
        self.merge_into(after, outcomes)
        self.visit_body(stmt.finalbody)

    def visit_with(self, stmt: ast.stmt) -> None:
        assert isinstance(stmt, (ast.With, ast.AsyncWith))
        switched = 0
        for item in stmt.items:
            self.expr(item.context_expr)
            if self.is_unguarded(item.context_expr):
                switched += 1
            if item.optional_vars is not None:
                self.assign_target(item.optional_vars, None, None)
        self.unguarded += switched
        self.visit_body(stmt.body)
        self.unguarded -= switched

    def visit_match(self, stmt: ast.stmt) -> None:
        subject = getattr(stmt, "subject", None)
        if isinstance(subject, ast.expr):
            self.expr(subject)
        before = dict(self.scope.vars)
        outcomes = []
        for case in getattr(stmt, "cases", ()):
            self.scope.vars = dict(before)
            for node in ast.walk(case.pattern):
                name = getattr(node, "name", None) or getattr(node, "rest", None)
                if isinstance(name, str):
                    self.bind(name, None)
            if case.guard is not None:
                self.expr(case.guard)
            self.visit_body(case.body)
            outcomes.append(dict(self.scope.vars))
        self.merge_into(before, outcomes)

    def visit_import(self, stmt: ast.stmt) -> None:
        assert isinstance(stmt, (ast.Import, ast.ImportFrom))
        bind_imports(self.scope, stmt, self.module, self.is_package)

    def visit_function(self, stmt: ast.stmt) -> None:
        assert isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))
        switched = 0
        kind = "method"
        for decorator in stmt.decorator_list:
            self.expr(decorator)
            if self.is_unguarded(decorator):
                switched = 1
                if not isinstance(decorator, ast.Call):
                    self.report_unguarded(decorator)
            if isinstance(decorator, ast.Name) and decorator.id in ("classmethod", "staticmethod"):
                kind = decorator.id
        args = stmt.args
        for default in [*args.defaults, *args.kw_defaults]:
            if default is not None:
                self.expr(default)
        in_class = self.scope.is_class and bool(self.class_stack)
        self.bind(stmt.name, None)
        outer = self.scope
        self.scope = Scope(outer.function_parent())
        params = [*args.posonlyargs, *args.args]
        for param in [*params, *args.kwonlyargs]:
            self.bind(param.arg, self.annotation_type(param.annotation))
        for extra in (args.vararg, args.kwarg):
            if extra is not None:
                self.bind(extra.arg, None)
        if in_class and params and kind != "staticmethod":
            self.bind(params[0].arg, self.first_parameter(self.class_stack[-1], kind))
        self.unguarded += switched
        self.visit_body(stmt.body)
        self.unguarded -= switched
        self.scope = outer

    def first_parameter(self, class_name: str, kind: str) -> Type | None:
        """``self`` in a model is an instance, ``cls`` the class; elsewhere ``("s", C)``."""
        model = self.index.model(class_name)
        if model is not None:
            return ("c", class_name) if kind == "classmethod" else ("i", class_name)
        info = self.index.class_info(class_name)
        if kind == "classmethod" or (info is not None and info.is_manager):
            return None
        return ("s", class_name)

    def visit_class(self, stmt: ast.stmt) -> None:
        assert isinstance(stmt, ast.ClassDef)
        for node in [*stmt.decorator_list, *stmt.bases, *(k.value for k in stmt.keywords)]:
            self.expr(node)
        if self.class_stack and self.scope.is_class:
            qualname = f"{self.class_stack[-1]}.{stmt.name}"
        elif self.scope.parent is None:
            qualname = f"{self.module}.{stmt.name}"
        else:
            qualname = f"{self.module}.<locals>.{stmt.name}"
        self.class_nodes[qualname] = stmt
        self.class_stack.append(qualname)
        outer = self.scope
        self.scope = Scope(outer, is_class=True)
        self.visit_body(stmt.body)
        self.scope = outer
        self.class_stack.pop()
        self.bind(stmt.name, ("r", qualname) if outer.parent is None else None)

    # ---------------------------------------------------------- bindings

    def assign_target(self, target: ast.expr, value: Type | None, node: ast.expr | None) -> None:
        """Bind names and check attribute targets of an assignment."""
        if isinstance(target, ast.Name):
            self.bind(target.id, value)
        elif isinstance(target, ast.Attribute):
            self.expr(target.value)
            self.check_field_write(target, target.value, target.attr, "GRD101")
        elif isinstance(target, (ast.Tuple, ast.List)):
            items: list[Type | None] = [None] * len(target.elts)
            if value is not None and value[0] == "t" and target.elts:
                items[0] = ("i", value[1])
            elif isinstance(node, (ast.Tuple, ast.List)) and len(node.elts) == len(target.elts):
                items = [self.typeof(elt) for elt in node.elts]
            for elt, item in zip(target.elts, items, strict=False):
                self.assign_target(elt, item, None)
        elif isinstance(target, ast.Starred):
            self.assign_target(target.value, None, None)
        elif isinstance(target, ast.Subscript):
            self.expr(target.value)
            self.expr(target.slice)

    def bind_loop_target(self, target: ast.expr, iterable: ast.expr) -> None:
        """``for x in qs``, ``for i, x in enumerate(qs)``."""
        if (
            isinstance(iterable, ast.Call)
            and isinstance(iterable.func, ast.Name)
            and iterable.func.id == "enumerate"
            and self.lookup("enumerate") is None
            and iterable.args
            and isinstance(target, ast.Tuple)
            and len(target.elts) == 2
        ):
            self.assign_target(target.elts[0], None, None)
            self.assign_target(target.elts[1], self.element_type(iterable.args[0]), None)
            return
        self.assign_target(target, self.element_type(iterable), None)

    def merge_into(
        self, base: dict[str, Type | None], others: list[dict[str, Type | None]]
    ) -> None:
        """Make the current scope what every path agrees on."""
        merged = dict(base)
        missing = object()
        for other in others:
            for key in merged.keys() | other.keys():
                if merged.get(key, missing) != other.get(key, missing):
                    merged[key] = None
        self.scope.vars = merged

    # -------------------------------------------------------- expressions

    def expr(self, node: ast.expr) -> None:
        """Visit an expression: check its calls, bind walrus targets."""
        stack: list[ast.AST] = [node]
        children = _CHILDREN
        while stack:
            current = stack.pop()
            kind = type(current)
            if kind is ast.Call:
                call = cast(ast.Call, current)
                self.check_call(call)
                stack.append(call.func)
                stack.extend(call.args)
                stack.extend(k.value for k in call.keywords)
            elif kind is ast.Attribute:
                stack.append(cast(ast.Attribute, current).value)
            elif kind in _SKIP_EXPR:
                continue
            elif kind in children:
                stack.extend(children[kind](current))
            elif kind in _COMPREHENSIONS:
                self.comprehension(current)
            elif kind is ast.Lambda:
                lam = cast(ast.Lambda, current)
                outer = self.scope
                self.scope = Scope(outer.function_parent())
                for param in ast.walk(lam.args):
                    if isinstance(param, ast.arg):
                        self.bind(param.arg, None)
                self.expr(lam.body)
                self.scope = outer
            elif kind is ast.NamedExpr:
                named = cast(ast.NamedExpr, current)
                self.expr(named.value)
                self.bind(named.target.id, self.typeof(named.value))
            else:
                stack.extend(ast.iter_child_nodes(current))

    def comprehension(self, node: ast.AST) -> None:
        """Comprehensions get their own scope for their loop variables."""
        assert isinstance(node, _COMPREHENSIONS)
        generators = node.generators
        self.expr(generators[0].iter)
        outer = self.scope
        self.scope = Scope(outer)
        for position, generator in enumerate(generators):
            if position:
                self.expr(generator.iter)
            self.bind_loop_target(generator.target, generator.iter)
            for condition in generator.ifs:
                self.expr(condition)
        if isinstance(node, ast.DictComp):
            self.expr(node.key)
            self.expr(node.value)
        else:
            self.expr(node.elt)
        self.scope = outer

    # -------------------------------------------------------------- rules

    def check_call(self, node: ast.Call) -> None:
        """GRD102, GRD2xx-GRD4xx and GRD501 on one call."""
        func = node.func
        called: Type | None
        if isinstance(func, ast.Attribute):
            if func.attr in WRITE_METHODS:
                self.check_write_call(node, func)
                return
            if func.attr != "unguarded" and not func.attr[:1].isupper():
                return
            called = self.typeof(func)
        elif isinstance(func, ast.Name):
            if func.id == "setattr" and len(node.args) >= 2:
                name = node.args[1]
                if isinstance(name, ast.Constant) and isinstance(name.value, str):
                    self.check_field_write(node, node.args[0], name.value, "GRD102")
                return
            called = self.typeof(func)
        else:
            return
        if called is None:
            return
        if called[0] == "c":
            self.check_create(node, called[1], f"{called[1].rpartition('.')[2]}(...)", "GRD301")
        elif called[0] == "r" and is_guarded_name(called[1], "unguarded"):
            self.report_unguarded(node)

    def check_write_call(self, node: ast.Call, func: ast.Attribute) -> None:
        receiver = self.typeof(func.value)
        if receiver is None:
            return
        kind, model_name = receiver
        method = func.attr
        if kind == "i" and method in INSTANCE_WRITES:
            code = INSTANCE_WRITES[method]
        elif kind == "q" and method in QUERYSET_WRITES:
            code = QUERYSET_WRITES[method]
        else:
            return
        model = self.target_model(model_name)
        if model is None or id(node) in self.handled:
            return
        short = model.name
        strict = not model.guarded
        if code in ("GRD201", "GRD202"):
            message = codes.instance_message(code, short, method, model.methods(), strict=strict)
        elif code in ("GRD302", "GRD303"):
            call = f"{short}.objects.{method}()"
            message = codes.create_message(code, short, call, model.operations, strict=strict)
        else:
            message = codes.bulk_message(code, short, method, model.operations, strict=strict)
        self.report(node, code, message)

    def check_create(self, node: ast.Call, model_name: str, call: str, code: str) -> None:
        model = self.target_model(model_name)
        if model is not None:
            message = codes.create_message(
                code, model.name, call, model.operations, strict=not model.guarded
            )
            self.report(node, code, message)

    def target_model(self, model_name: str) -> ModelInfo | None:
        """The model if writes to it from here are reported, else ``None``."""
        model = self.index.model(model_name)
        if model is None or not (model.guarded or self.config.strict):
            return None
        return None if self.exempt(model_name) else model

    def check_field_write(self, node: ast.AST, receiver: ast.expr, attr: str, code: str) -> None:
        """GRD101/GRD102: ``obj.field = ...`` and ``setattr(obj, "field", ...)``."""
        found = self.typeof(receiver)
        if found is None or found[0] != "i":
            return
        model = self.index.model(found[1])
        field = model.field(attr) if model is not None else None
        if model is None or field is None:
            return
        guarded = field.kind in GUARDED_KINDS or (self.config.fsm and field.kind == "fsm_ext")
        if not (guarded or self.config.strict) or self.exempt(found[1]):
            return
        kind = field.kind if guarded else "plain"
        message = codes.field_message(
            code, model.name, field.name, kind, model.transitions_of(field.name), strict=not guarded
        )
        self.report(node, code, message)

    def check_save_after_transition(self, previous: ast.stmt, current: ast.stmt) -> None:
        """GRD601: ``obj.publish()`` directly followed by ``obj.save()``."""
        before, after = _statement_call(previous), _statement_call(current)
        if before is None or after is None:
            return
        first, second = before.func, after.func
        if not (isinstance(first, ast.Attribute) and isinstance(second, ast.Attribute)):
            return
        if second.attr not in ("save", "asave") or ast.dump(first.value) != ast.dump(second.value):
            return
        receiver = self.typeof(second.value)
        if receiver is None or receiver[0] != "i" or self.exempt(receiver[1]):
            return
        model = self.index.model(receiver[1])
        if model is None or first.attr not in model.transitions:
            return
        self.handled.add(id(after))
        self.report(after, "GRD601", codes.fsm_save_message(model.name, first.attr))

    def is_unguarded(self, node: ast.expr) -> bool:
        """Whether ``node`` is ``unguarded`` or ``unguarded(...)``."""
        target = node.func if isinstance(node, ast.Call) else node
        if not isinstance(target, (ast.Name, ast.Attribute)):
            return False
        found = self.typeof(target)
        return found is not None and found[0] == "r" and is_guarded_name(found[1], "unguarded")

    def exempt(self, model_name: str) -> bool:
        """Inside ``unguarded``, the model itself, or its managers."""
        if self.unguarded:
            return True
        return any(self.index.related(name, model_name) for name in self.class_stack)

    def report_unguarded(self, node: ast.expr) -> None:
        if not self.unguarded_allowed:
            self.report(node, "GRD501", codes.UNGUARDED_MESSAGE)

    def report(self, node: ast.AST, code: str, message: str) -> None:
        """Record a finding at ``node``."""
        if any(code.startswith(prefix) for prefix in self.config.ignore):
            return
        line = getattr(node, "lineno", 1)
        col = getattr(node, "col_offset", 0)
        source = self.lines[line - 1].strip() if 0 < line <= len(self.lines) else ""
        start, end = self.statement
        if not start <= line <= end:
            start, end = line, getattr(node, "end_lineno", line) or line
        self.findings.append(Finding(self.path, line, col, code, message, source, (start, end)))


_COMPOUND = (
    ast.If,
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.With,
    ast.AsyncWith,
    ast.Try,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
)
_JUMPS = (ast.Return, ast.Raise, ast.Continue, ast.Break)


def _terminates(body: list[ast.stmt]) -> bool:
    return bool(body) and isinstance(body[-1], _JUMPS)


def _logical_lines(stmt: ast.stmt) -> tuple[int, int]:
    """The lines flake8 treats as one logical line: a simple statement, or the
    header of a compound one."""
    start = stmt.lineno
    body = getattr(stmt, "body", None)
    if isinstance(stmt, _COMPOUND) and body:
        return start, max(start, body[0].lineno - 1)
    cases = getattr(stmt, "cases", None)
    if cases:
        return start, max(start, cases[0].pattern.lineno - 1)
    return start, stmt.end_lineno or start


def _statement_call(stmt: ast.stmt) -> ast.Call | None:
    if not isinstance(stmt, ast.Expr):
        return None
    value = stmt.value
    if isinstance(value, ast.Await):
        value = value.value
    return value if isinstance(value, ast.Call) else None


def bind_imports(
    scope: Scope, stmt: ast.Import | ast.ImportFrom, module: str, is_package: bool
) -> None:
    """Bind the names an import statement creates, as ``("r", dotted name)``."""
    from django_guarded.checker.summary import resolve_relative

    if isinstance(stmt, ast.Import):
        for alias in stmt.names:
            if alias.asname:
                scope.vars[alias.asname] = ("r", alias.name)
            else:
                head = alias.name.partition(".")[0]
                scope.vars[head] = ("r", head)
        return
    base = resolve_relative(module, is_package, stmt.module, stmt.level)
    for alias in stmt.names:
        if alias.name != "*":
            scope.vars[alias.asname or alias.name] = ("r", f"{base}.{alias.name}")
