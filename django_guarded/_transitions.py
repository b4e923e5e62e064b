"""``@transition`` and ``@operation``: the only code allowed to change a guarded model.

Each call runs in ``transaction.atomic()``, with permission to write to the model,
and saves the instance itself (only the columns it changed). On failure the
transaction rolls back and the instance gets its previous values back.
"""

from __future__ import annotations

import dis
import functools
import inspect
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, ParamSpec, TypeVar, overload

import django_fsm
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, models, router, transaction
from django.db.models.manager import BaseManager
from django_fsm.signals import post_transition, pre_transition

from django_guarded import _audit, _guard, _messages
from django_guarded._tracking import (
    UNSAVED,
    forget_unsaved,
    note_unsaved,
    persist_changes,
    restore,
    snapshot,
    unsaved_baseline,
)
from django_guarded.exceptions import (
    DirectSaveError,
    TransitionNotAllowed,
    TransitionPermissionDenied,
)

if TYPE_CHECKING:
    from django_fsm import FSMFieldMixin, FSMMeta

__all__ = ["SYSTEM", "MethodInfo", "operation", "transition"]

P = ParamSpec("P")
R = TypeVar("R")


class _System:
    """The actor of code that acts on its own behalf (a cron job, a data migration)."""

    def __repr__(self) -> str:
        return "django_guarded.SYSTEM"


#: Pass ``by=SYSTEM`` to run a permissioned transition as the system itself.
SYSTEM: Any = _System()


def _empty() -> None:
    pass


def _empty_doc() -> None:
    """A docstring only."""


_EMPTY_CODES = {
    tuple((i.opname, i.argval) for i in dis.get_instructions(f)) for f in (_empty, _empty_doc)
}


def _has_empty_body(func: Any) -> bool:
    """Whether ``func``'s body is only ``pass``, ``...`` and/or a docstring."""
    code = getattr(func, "__code__", None)
    if code is None:
        return False
    return tuple((i.opname, i.argval) for i in dis.get_instructions(code)) in _EMPTY_CODES


class MethodInfo:
    """What django-guarded knows about a decorated method (``method.__guarded__``)."""

    __slots__ = ("accepts_asof", "accepts_by", "audit", "empty_body", "func", "kind", "lock")

    def __init__(
        self,
        kind: Literal["transition", "operation"],
        func: Callable[..., Any],
        lock: bool,
        audit: Callable[..., _audit.AuditData] | None = None,
    ) -> None:
        self.kind = kind
        self.func = func
        self.lock = lock
        #: Computes the data of the method's audit record from its arguments.
        self.audit = audit
        self.accepts_asof = _audit.accepts_asof(func)
        parameters = inspect.signature(func).parameters.values()
        self.accepts_by = any(
            p.name == "by" or p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters
        )
        #: The body is only ``pass`` or a docstring: it cannot run SQL.
        self.empty_body = _has_empty_body(func)


def _reject_coroutine(func: Callable[..., Any], decorator: str) -> None:
    if inspect.iscoroutinefunction(func):
        raise TypeError(
            f"@{decorator} cannot decorate the coroutine function {func.__qualname__}: "
            "write it as a regular method and call it with asgiref's sync_to_async()"
        )


def transition(
    field: Any,
    source: Any = "*",
    target: Any = None,
    on_error: Any = None,
    conditions: Sequence[Callable[[Any], bool]] | None = None,
    permission: str | Callable[[Any, Any], bool] | None = None,
    custom: dict[str, Any] | None = None,
    *,
    lock: bool = False,
    audit: Callable[..., _audit.AuditData] | None = None,
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
        info: MethodInfo | None = getattr(func, "__guarded__", None)
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

        @functools.wraps(func)
        def run_transition(instance: Any, /, *args: Any, **kwargs: Any) -> Any:
            return _run_transition(info, instance, args, kwargs)

        run_transition.__guarded__ = info  # type: ignore[attr-defined]
        return run_transition  # type: ignore[return-value]

    return decorate


@overload
def operation(func: Callable[P, R], /) -> Callable[P, R]: ...
@overload
def operation(
    *, lock: bool = False, audit: Callable[..., _audit.AuditData] | None = None
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...
def operation(
    func: Callable[P, R] | None = None,
    /,
    *,
    lock: bool = False,
    audit: Callable[..., _audit.AuditData] | None = None,
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
        if getattr(func, "__guarded__", None) is not None:
            raise TypeError(f"{func.__qualname__} is already a @transition or @operation")
        info = MethodInfo("operation", func, lock, audit)

        @functools.wraps(func)
        def run_operation(owner: Any, /, *args: Any, **kwargs: Any) -> Any:
            if isinstance(owner, models.Model):
                _refuse_unsaved(info, owner)
                return _run_instance_method(info, owner, args, kwargs, None)
            if isinstance(owner, (BaseManager, models.QuerySet)):
                return _run_manager_operation(info, owner, args, kwargs)
            raise TypeError(
                f"@operation {func.__qualname__} was called on {owner!r}: it decorates methods "
                "of a GuardedModel, of its manager or of its queryset"
            )

        run_operation.__guarded__ = info  # type: ignore[attr-defined]
        return run_operation  # type: ignore[return-value]

    if func is not None:
        return decorate(func)
    return decorate


def _db_for_write(instance: models.Model) -> str:
    return instance._state.db or router.db_for_write(type(instance), instance=instance)


def _run_manager_operation(
    info: MethodInfo, owner: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    model = owner.model
    if info.lock:
        raise TypeError(
            f"@operation(lock=True) on {info.func.__qualname__}: lock applies to methods of a "
            "model instance; lock rows in the manager method with select_for_update()"
        )
    actor = _take_actor(info, kwargs)
    asof = _audit.resolve_asof(info, kwargs)
    using = getattr(owner, "_db", None) or router.db_for_write(model)
    frame = _guard.Frame(
        model._meta.concrete_model, call=_guard.CallInfo(info.func.__name__, actor, asof)
    )
    with _guard.enter(frame), transaction.atomic(using=using):
        result = info.func(owner, *args, **kwargs)
        if _audit.is_audited(model):
            _audit.after_manager_call(
                info, owner, result, by=actor, asof=asof, args=args, kwargs=kwargs, using=using
            )
        return result


def _fsm_meta(info: MethodInfo, instance: models.Model) -> tuple[FSMMeta, FSMFieldMixin]:
    meta: FSMMeta = info.func._django_fsm  # type: ignore[attr-defined]
    field = meta.field
    if not isinstance(field, django_fsm.FSMFieldMixin):
        raise ImproperlyConfigured(
            f"{type(instance).__name__}.{info.func.__name__}() names the state field {field!r}, "
            f"which {type(instance).__name__} does not have: pass the field object or the name "
            "of an FSMField declared on the model"
        )
    return meta, field


def _describe_sources(meta: FSMMeta) -> str:
    sources = [
        repr(s) if s not in ("*", "+") else {"*": "any state", "+": "any other state"}[s]
        for s in meta.transitions
    ]
    return " or ".join(sources)


def _check_available(
    info: MethodInfo, instance: models.Model, meta: FSMMeta, field: FSMFieldMixin, state: Any
) -> None:
    name = f"{type(instance).__name__}.{info.func.__name__}()"
    if not meta.has_transition(state):
        raise TransitionNotAllowed(
            f"{name} cannot run while {type(instance).__name__}.{field.name} is {state!r}: "
            f"it starts from {_describe_sources(meta)}. Check "
            f"can_proceed(obj.{info.func.__name__}) or "
            f"obj.get_available_{field.name}_transitions() first.",
            object=instance,
            method=info.func,
        )
    transition_ = meta.get_transition(state)
    failed = [c for c in (transition_.conditions if transition_ else []) if not c(instance)]
    if failed:
        names = ", ".join(getattr(c, "__name__", repr(c)) for c in failed)
        raise TransitionNotAllowed(
            f"{name} cannot run from {field.name}={state!r}: its conditions are not met ({names}).",
            object=instance,
            method=info.func,
        )


def _check_permission(
    info: MethodInfo, instance: models.Model, meta: FSMMeta, state: Any, actor: Any
) -> None:
    transition_ = meta.get_transition(state)
    if transition_ is None or not transition_.permission or actor is SYSTEM:
        return
    name = f"{type(instance).__name__}.{info.func.__name__}()"
    needs = _describe_permission(transition_.permission)
    if actor is None:
        raise TransitionPermissionDenied(
            f"{name} needs {needs}: pass the acting user as "
            f"by=user, or by=django_guarded.SYSTEM for code acting on its own behalf."
        )
    if not transition_.has_perm(instance, actor):
        where = "" if callable(transition_.permission) else " on this object or globally"
        raise TransitionPermissionDenied(
            f"{actor} may not run {name} on {type(instance).__name__} pk={instance.pk!r}: "
            f"it needs {needs}{where}."
        )


def _describe_permission(permission: Any) -> str:
    if not callable(permission):
        return f"permission {permission!r}"
    doc = (getattr(permission, "__doc__", None) or "").strip().splitlines()
    name = getattr(permission, "__qualname__", repr(permission))
    return f"the permission check {name}()" + (f" ({doc[0].rstrip('.')})" if doc else "")


def _lock_row(instance: models.Model, using: str) -> None:
    """Re-read the row with ``SELECT ... FOR UPDATE``, keeping the caller's unsaved edits.

    What the caller assigned since the instance was loaded is put back on top of
    the fresh values, still unsaved, so that the call saves it as it would have
    without the lock.
    """
    data = instance.__dict__
    kept = {attname: data[attname] for attname in data.get(UNSAVED, ()) if attname in data}
    queryset = type(instance)._base_manager.db_manager(using).select_for_update()
    instance.refresh_from_db(using=using, from_queryset=queryset)
    for attname, value in kept.items():
        note_unsaved(instance, attname)
        data[attname] = value


def _refuse_unsaved(info: MethodInfo, instance: models.Model) -> None:
    """Raise unless ``instance`` has a row: new rows come from the manager's operations."""
    if not instance._state.adding and instance.pk is not None:
        return
    raise DirectSaveError(_messages.unsaved_call(instance, info.func.__name__))


def _run_transition(
    info: MethodInfo, instance: models.Model, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    _refuse_unsaved(info, instance)
    meta, field = _fsm_meta(info, instance)
    actor = _take_actor(info, kwargs)
    if not info.lock:
        # With lock=True the caller's copy may be stale: recheck() decides on the row.
        state = field.get_state(instance)
        _check_available(info, instance, meta, field, state)
        _check_permission(info, instance, meta, state, actor)

    def body() -> Any:
        return field.change_state(instance, info.func, *args, **kwargs)

    def recheck() -> None:
        current = field.get_state(instance)
        _check_available(info, instance, meta, field, current)
        _check_permission(info, instance, meta, current, actor)

    return _run_instance_method(
        info, instance, args, kwargs, _Machine(body, recheck, meta, field), actor
    )


class _Machine(NamedTuple):
    """What ``_run_instance_method`` needs to run a transition rather than an operation."""

    #: Runs the method through django-fsm, which checks and sets the new state.
    body: Callable[[], Any]
    #: Checks availability and permission again on the freshly locked row.
    recheck: Callable[[], None]
    meta: FSMMeta
    field: FSMFieldMixin


def _take_actor(info: MethodInfo, kwargs: dict[str, Any]) -> Any:
    """The call's ``by=``, left in ``kwargs`` only if the method declares it."""
    return kwargs.get("by") if info.accepts_by else kwargs.pop("by", None)


def _runs_no_sql(info: MethodInfo, instance: models.Model, machine: _Machine) -> bool:
    """Whether a transition certainly runs no SQL before its UPDATE: its body is
    empty, and django-fsm calls nothing of the user's around it (no conditions, no
    computed target, no receiver of its transition signals)."""
    if not info.empty_body:
        return False
    transition = machine.meta.get_transition(machine.field.get_state(instance))
    if transition is None or transition.conditions or hasattr(transition.target, "get_state"):
        return False
    sender = type(instance)
    return not (pre_transition.has_listeners(sender) or post_transition.has_listeners(sender))


class _StatementCounter:
    """An execute wrapper that counts the statements a method body runs."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


def _run_instance_method(
    info: MethodInfo,
    instance: models.Model,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    fsm: _Machine | None,
    actor: Any = None,
) -> Any:
    if fsm is None:
        actor = _take_actor(info, kwargs)
    asof = _audit.resolve_asof(info, kwargs)
    audited = _audit.is_audited(type(instance))
    using = _db_for_write(instance)
    connection = connections[using]
    frame = _guard.Frame(
        instance._meta.concrete_model,
        owner=instance,
        call=_guard.CallInfo(info.func.__name__, actor, asof),
    )
    before: list[Any] | None = None
    # A body that ran no SQL leaves one statement to run (the UPDATE, or the INSERT
    # that Django's save() makes atomic by itself): it needs no BEGIN/COMMIT around
    # it. Inside the caller's transaction the savepoint stays, so that a failure
    # here cannot break the caller's transaction.
    # The audit record may be a second statement, which must commit with the change.
    lone_update = not (info.lock or audited or connection.in_atomic_block)
    # When nothing before the UPDATE can query (see _runs_no_sql), no transaction is
    # opened at all: on MySQL and MariaDB even an empty one costs three round trips.
    no_sql = lone_update and fsm is not None and _runs_no_sql(info, instance, fsm)
    counter = _StatementCounter() if lone_update and not no_sql else None
    fused = audited and _audit.writes_with_update(connection)
    klass = type(instance)
    token = _guard._frame.set(frame)
    try:
        source = fsm.field.get_state(instance) if fsm else None
        atomic = transaction.atomic(using=using)
        open_ = not no_sql
        try:
            if open_:
                atomic.__enter__()
            try:
                if info.lock:
                    _lock_row(instance, using)
                    if fsm:
                        fsm.recheck()
                        source = fsm.field.get_state(instance)
                before = snapshot(instance)
                # What the call saves is measured against the baseline: the values
                # as stored, so that edits made before the call are saved with it.
                # The baseline moves when the body saves; ``before`` stays for an undo.
                frame.snapshot = unsaved_baseline(instance, before)
                object_pk = instance.pk  # the record's, even if the body deletes the row
                if counter is None:
                    result = fsm.body() if fsm else info.func(instance, *args, **kwargs)
                else:
                    wrappers = connection.execute_wrappers
                    wrappers.append(counter)
                    try:
                        result = fsm.body() if fsm else info.func(instance, *args, **kwargs)
                    finally:
                        wrappers.remove(counter)
                    if counter.count == 0:
                        open_ = False
                        atomic.__exit__(None, None, None)  # nothing to commit: free
                if audited:
                    entry = _audit.instance_record(
                        info,
                        instance,
                        object_pk=object_pk,
                        before=before,
                        state=(fsm.field.name, source, fsm.field.get_state(instance))
                        if fsm
                        else None,
                        by=actor,
                        asof=asof,
                        args=args,
                        kwargs=kwargs,
                    )
                    if frame.owner_deleted:
                        entry["kind"] = "deletion"  # the body deleted the object's row
                    _persist_with_record(instance, frame, entry, fused=fused, using=using)
                else:
                    persist_changes(instance, frame.snapshot)
            except BaseException:
                if open_:
                    open_ = False
                    atomic.__exit__(*sys.exc_info())  # rolls back; never swallows
                raise
            if open_:
                open_ = False
                atomic.__exit__(None, None, None)
            forget_unsaved(instance)
        except BaseException as error:
            if before is not None:
                recorder = None
                if audited and fsm is not None:
                    recorder = functools.partial(
                        _audit.after_error_state,
                        info,
                        instance,
                        object_pk=object_pk,
                        field=fsm.field.name,
                        source=source,
                        error=error,
                        by=actor,
                        asof=asof,
                        using=using,
                    )
                try:
                    _undo(instance, klass, before, fsm, source, using, recorder)
                except Exception as failure:
                    # The caller must see what went wrong in the call, not in the undo.
                    if hasattr(error, "add_note"):
                        error.add_note(f"django-guarded could not undo the call: {failure!r}")
                    raise error from failure
            raise
    finally:
        frame.closed = True
        _guard._frame.reset(token)
    return result


def _persist_with_record(
    instance: models.Model,
    frame: _guard.Frame,
    entry: _audit.RecordValues,
    *,
    fused: bool,
    using: str,
) -> None:
    """Save what the call changed on ``instance``, then write its audit record.

    With ``fused`` (PostgreSQL), the record waits on the frame for the instance's
    ``UPDATE``, which ``GuardedModel._do_update`` sends as one statement with the
    record's ``INSERT``. When no ``UPDATE`` took it (nothing changed, the save was
    an ``INSERT``, or that statement could not serve), it is saved on its own.
    """
    if not (fused and instance.pk is not None and not instance._state.adding):
        persist_changes(instance, frame.snapshot)
        _audit.save_record(entry, using)
        return
    frame.record = entry
    try:
        persist_changes(instance, frame.snapshot)
    finally:
        written = frame.record is None
        frame.record = None
    if not written:
        _audit.save_record(entry, using)


def _undo(
    instance: models.Model,
    klass: type[models.Model],
    before: list[Any],
    fsm: _Machine | None,
    source: Any,
    using: str,
    record_error_state: Callable[[Any], None] | None = None,
) -> None:
    """Give the instance its stored values back; record an ``on_error`` state if declared."""
    error_state = None
    if fsm is not None:
        transition_ = fsm.meta.get_transition(source)
        on_error = transition_.on_error if transition_ is not None else None
        if on_error is not None and fsm.field.get_state(instance) == on_error:
            error_state = on_error
    restore(instance, before)
    if type(instance) is not klass:
        instance.__class__ = klass  # the class a state_choices proxy had switched
    if error_state is not None and fsm is not None:
        field = fsm.field
        field.set_proxy(instance, error_state)
        field.set_state(instance, error_state)
        with transaction.atomic(using=using):
            instance.save(update_fields=[field.name])
            if record_error_state is not None:
                record_error_state(error_state)
