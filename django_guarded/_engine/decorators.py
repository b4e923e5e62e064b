"""``@transition`` and ``@operation``: the only code allowed to change a guarded model.

Each call runs in ``transaction.atomic()``, with permission to write to the model,
and saves the instance itself (only the columns it changed). On failure the
transaction rolls back and the instance gets its previous values back. The steps
of a call are `django_guarded._engine.call`'s.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any, ParamSpec, TypeVar, overload

import django_fsm
from django.db import models
from django.db.models.manager import BaseManager

from django_guarded._core.fsm import ANY_STATE
from django_guarded._core.methods import ATTRIBUTE, AuditData, MethodInfo, method_info
from django_guarded._engine import bulk
from django_guarded._engine.call import InstanceCall
from django_guarded._engine.manager_call import ManagerCall
from django_guarded._engine.rules import SYSTEM

__all__ = ["SYSTEM", "operation", "transition"]

P = ParamSpec("P")
R = TypeVar("R")


def _reject_coroutine(func: Callable[..., Any], decorator: str) -> None:
    if inspect.iscoroutinefunction(func):
        raise TypeError(
            f"@{decorator} cannot decorate the coroutine function {func.__qualname__}: "
            "write it as a regular method and call it with asgiref's sync_to_async()"
        )


def transition(
    field: Any,
    source: Any = ANY_STATE,
    target: Any = None,
    on_error: Any = None,
    conditions: Sequence[Callable[[Any], bool]] | None = None,
    permission: str | Callable[[Any, Any], bool] | None = None,
    custom: dict[str, Any] | None = None,
    *,
    lock: bool = False,
    audit: Callable[..., AuditData] | None = None,
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Declare a method as the transition of ``field`` from ``source`` to ``target``.

    Takes django-fsm-2's arguments (``source`` may be a state, a list, ``"*"`` or
    ``"+"``; ``target`` may be ``RETURN_VALUE``/``GET_STATE``). Unlike
    django-fsm-2, the call saves the instance itself inside ``transaction.atomic()``.
    With ``lock=True`` the row is re-read with ``SELECT ... FOR UPDATE`` first, so
    the transition sees the current state, not the one the caller loaded.

    A ``permission`` is enforced on the call: pass the acting user as ``by=``
    (or ``by=SYSTEM``); the method receives ``by`` only if it declares it.

    Each successful call writes one audit record (see ``docs/audit.md``):
    ``audit=`` is called with the method's own arguments after its body ran and
    returns the record's ``data``, such as ``lambda self, amount: {"delta": amount}``.
    """
    register = django_fsm.transition(
        field, source, target, on_error, list(conditions or []), permission, custom
    )

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        _reject_coroutine(func, "transition")
        info = method_info(func)
        if info is not None:
            if info.kind != "transition":
                raise TypeError(
                    f"{func.__qualname__} is an @operation: it cannot also be a @transition"
                )
            # Another @transition on the same method adds sources to it.
            register(func)
            info.lock = info.lock or lock
            info.audit = info.audit or audit
            return func
        register(func)
        info = MethodInfo("transition", func, lock, audit)
        info.run_bulk = bulk.bulk_transition

        @functools.wraps(func)
        def run_transition(instance: Any, /, *args: Any, **kwargs: Any) -> Any:
            return InstanceCall(info, instance, args, kwargs).run()

        setattr(run_transition, ATTRIBUTE, info)
        return run_transition  # type: ignore[return-value]

    return decorate


@overload
def operation(func: Callable[P, R], /) -> Callable[P, R]: ...
@overload
def operation(
    *, lock: bool = False, audit: Callable[..., AuditData] | None = None
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...
def operation(
    func: Callable[P, R] | None = None,
    /,
    *,
    lock: bool = False,
    audit: Callable[..., AuditData] | None = None,
) -> Any:
    """Declare a method of a guarded model, its manager or its queryset as an operation.

    Inside an operation the model's guarded fields may be written, and ``save()``,
    ``create()``, ``update()``, ``delete()`` and bulk writes are allowed for the model.
    A model method's changes are saved when it returns (only the changed columns);
    everything runs in ``transaction.atomic()``. ``lock=True`` re-reads a model
    instance's row with ``SELECT ... FOR UPDATE`` before the body runs. Each
    successful call writes one audit record, with ``audit=`` as for ``@transition``.
    """

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        _reject_coroutine(func, "operation")
        if method_info(func) is not None:
            raise TypeError(f"{func.__qualname__} is already a @transition or @operation")
        info = MethodInfo("operation", func, lock, audit)

        @functools.wraps(func)
        def run_operation(owner: Any, /, *args: Any, **kwargs: Any) -> Any:
            if isinstance(owner, models.Model):
                return InstanceCall(info, owner, args, kwargs).run()
            if isinstance(owner, (BaseManager, models.QuerySet)):
                return ManagerCall(info, owner, args, kwargs).run()
            raise TypeError(
                f"@operation {func.__qualname__} was called on {owner!r}: it decorates methods "
                "of a GuardedModel, of its manager or of its queryset"
            )

        setattr(run_operation, ATTRIBUTE, info)
        return run_operation  # type: ignore[return-value]

    if func is not None:
        return decorate(func)
    return decorate
