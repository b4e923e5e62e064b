"""What the methods of a model assign on ``self``, read from their source with `ast`.

A guard message names the methods that change the guarded field (``Account.balance``
is changed by ``deposit()`` and ``withdraw()``, not by ``freeze()``). A method's source
says which attributes it assigns: ``self.balance = ...`` and ``self.balance += ...`` in
any form, ``del self.balance``, ``setattr(self, "balance", ...)``; and which methods it
calls on ``self``, which `django_guarded._core.wording.writers` follows. A method whose source
cannot be read (defined in a shell, or by generated code), or that assigns through a
name it computes (``setattr(self, name, ...)``, ``self.__dict__``), is unknown: the
messages name it, whatever the field.

The run-time messages read each class once (`bodies`); the mypy plugin hands `scan`
the lines of each method of the file it checks. Neither imports Django.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
import weakref
from typing import Any

from django_guarded._core.wording import Body

__all__ = ["UNKNOWN", "bodies", "scan"]

#: What is known of a method whose source cannot be read: it may assign anything.
UNKNOWN: Body = (None, ())
_CACHE: weakref.WeakKeyDictionary[type, dict[str, Body]] = weakref.WeakKeyDictionary()
#: Where the framework's classes live: their methods are not the model's own code.
_FRAMEWORKS = ("django.", "django_fsm", "django_guarded.", "builtins")


def bodies(model: type) -> dict[str, Body]:
    """What each method defined by ``model`` and its own bases assigns and calls on
    ``self``, read once per class (a subclass's method hides its base's)."""
    found = _CACHE.get(model)
    if found is None:
        found = {}
        for cls in model.__mro__:
            if cls.__module__.startswith(_FRAMEWORKS):
                continue
            for name, attr in vars(cls).items():
                if name not in found and inspect.isfunction(attr):
                    found[name] = _read(inspect.unwrap(attr))
        _CACHE[model] = found
    return found


def _read(func: Any) -> Body:
    try:
        source = inspect.getsource(func)
    except (OSError, TypeError):
        return UNKNOWN
    return scan(source)


def scan(source: str) -> Body:
    """What the function defined by ``source`` assigns and calls on its first argument."""
    try:
        tree = ast.parse(textwrap.dedent(source))
    except SyntaxError:
        return UNKNOWN
    node = tree.body[0] if tree.body else None
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return UNKNOWN
    arguments = [*node.args.posonlyargs, *node.args.args]
    if not arguments:
        return (), ()
    return _on(node, arguments[0].arg)


def _on(node: ast.AST, self_name: str) -> Body:
    def is_self(expr: ast.expr) -> bool:
        return isinstance(expr, ast.Name) and expr.id == self_name

    assigned: set[str] = set()
    calls: set[str] = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Attribute) and is_self(child.value):
            if child.attr == "__dict__":
                return UNKNOWN
            if isinstance(child.ctx, (ast.Store, ast.Del)):
                assigned.add(child.attr)
        elif isinstance(child, ast.Call):
            func = child.func
            if isinstance(func, ast.Attribute) and is_self(func.value):
                calls.add(func.attr)
            elif (
                isinstance(func, ast.Name)
                and func.id in ("setattr", "delattr")
                and child.args
                and is_self(child.args[0])
            ):
                name = child.args[1] if len(child.args) > 1 else None
                if not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
                    return UNKNOWN
                assigned.add(name.value)
    return frozenset(assigned), frozenset(calls)
