"""One call of a transition or an operation on a model instance, step by step.

`InstanceCall.run` prepares (the write permission, the database, whether a
transaction is needed), then inside it: locks and checks, notes the instance's
values, runs the body, and persists the changes with their audit record. On
failure it undoes: the instance gets its values back, and a declared ``on_error``
state is saved and recorded. The call is also what the model layer asks, while it
runs, for the instance's baseline and its waiting record (``ActiveCall``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Any

from django.db import connections, models, router, transaction
from django_fsm.signals import post_transition, pre_transition

from django_guarded._audit import writer
from django_guarded._audit.fused import FusedRecord, writes_with_update
from django_guarded._core import messages as _messages
from django_guarded._core import permission as _permission
from django_guarded._engine.moves import move
from django_guarded._engine.rules import Rules, take_actor
from django_guarded._orm.tracking import (
    UNSAVED,
    forget_unsaved,
    note_unsaved,
    persist_changes,
    restore,
    snapshot,
    unsaved_baseline,
)
from django_guarded.exceptions import DirectSaveError

if TYPE_CHECKING:
    from django_fsm import Transition

    from django_guarded._core.methods import MethodInfo

__all__ = ["InstanceCall", "db_for_write"]


def db_for_write(instance: models.Model) -> str:
    """The database a call on ``instance`` writes to."""
    return instance._state.db or router.db_for_write(type(instance), instance=instance)


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


class InstanceCall:
    """A transition or an operation called on a model instance."""

    __slots__ = (
        "actor",
        "args",
        "asof",
        "audited",
        "baseline",
        "deleted_itself",
        "info",
        "instance",
        "kwargs",
        "memory",
        "object_pk",
        "pending",
        "rules",
        "source",
        "transition",
        "using",
    )

    def __init__(
        self,
        info: MethodInfo,
        instance: models.Model,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> None:
        if instance._state.adding or instance.pk is None:
            # New rows come from the manager's operations, where their rules run.
            raise DirectSaveError(_messages.unsaved_call(instance, info.name))
        self.info = info
        self.instance = instance
        self.args = args
        self.kwargs = kwargs
        self.rules = Rules(info, instance) if info.kind == "transition" else None
        self.actor = take_actor(info, kwargs)
        self.asof = writer.resolve_asof(info, kwargs)
        self.using = db_for_write(instance)
        self.audited = writer.is_audited(type(instance))
        #: ``ActiveCall``: the owner's values as stored, and its waiting record.
        self.baseline: list[Any] | None = None
        self.pending: FusedRecord | None = None
        #: The instance's values when the body began: what an undo puts back.
        self.memory: list[Any] | None = None
        self.transition: Transition | None = None
        self.source: Any = None
        self.object_pk: Any = instance.pk
        self.deleted_itself = False

    # -- what the model layer asks of the running call (ActiveCall) -----------------------

    def created(self, instance: models.Model) -> None:
        """A row created inside a model method has no record of its own."""

    def deleted(self, instance: models.Model) -> None:
        """Record a row the call deletes; the call's own record tells of its own row."""
        owner = self.instance
        if type(owner) is type(instance) and owner.pk == instance.pk:
            self.deleted_itself = True
        elif writer.is_audited(type(instance)):
            self._save(self._record(type(instance), instance.pk, kind="deletion"))

    # -- the steps ------------------------------------------------------------------------

    def run(self) -> Any:
        """Check, run and persist the call; undo it if anything fails."""
        instance = self.instance
        if self.rules is not None and not self.info.lock:
            # With lock=True the caller's copy may be stale: the row decides, once locked.
            self.transition = self.rules.check(self.actor)
        permission = _permission.Permission(
            instance._meta.concrete_model, owner=instance, call=self
        )
        klass = type(instance)
        with _permission.enter(permission):
            try:
                result = self._run_atomically()
            except BaseException as error:
                if self.memory is not None:
                    self._undo(klass, error)
                raise
            forget_unsaved(instance)
        return result

    def _run_atomically(self) -> Any:
        connection = connections[self.using]
        # A body that runs no SQL leaves one statement (the UPDATE) to run, atomic on
        # its own: it needs no BEGIN/COMMIT, which costs round trips (three on MySQL
        # and MariaDB). Inside the caller's transaction the savepoint stays, so that a
        # failure here cannot break the caller's transaction. A lock, or an audit
        # record (a second statement), needs the transaction.
        update_alone = not (self.info.lock or self.audited or connection.in_atomic_block)
        no_transaction = update_alone and self._runs_no_sql()
        with ExitStack() as atomic:
            if not no_transaction:
                atomic.enter_context(transaction.atomic(using=self.using))
            self._lock_and_check()
            self._note_values()
            if update_alone and not no_transaction:
                with self._counted(connection) as counter:
                    result = self._body()
                if counter.count == 0:
                    atomic.close()  # nothing to commit yet: the UPDATE goes alone
            else:
                result = self._body()
            self._persist()
        return result

    def _runs_no_sql(self) -> bool:
        """Whether the call certainly runs no SQL before its UPDATE: an empty body, and
        nothing of the user's around it (a computed target, a transition signal)."""
        if not self.info.empty_body:
            return False
        if self.rules is None:
            return True
        assert self.transition is not None
        if hasattr(self.transition.target, "get_state"):
            return False
        sender = type(self.instance)
        return not (pre_transition.has_listeners(sender) or post_transition.has_listeners(sender))

    @contextmanager
    def _counted(self, connection: Any) -> Iterator[_StatementCounter]:
        counter = _StatementCounter()
        with connection.execute_wrapper(counter):
            yield counter

    def _lock_and_check(self) -> None:
        if self.info.lock:
            self._lock_row()
            if self.rules is not None:
                self.transition = self.rules.check(self.actor)
        if self.rules is not None:
            self.source = self.rules.state()

    def _lock_row(self) -> None:
        """Re-read the row with ``SELECT ... FOR UPDATE``, keeping the caller's unsaved
        edits: they go back on top of the fresh values, still unsaved, so that the call
        saves them as it would have without the lock."""
        instance = self.instance
        data = instance.__dict__
        kept = {attname: data[attname] for attname in data.get(UNSAVED, ()) if attname in data}
        queryset = type(instance)._base_manager.db_manager(self.using).select_for_update()
        instance.refresh_from_db(using=self.using, from_queryset=queryset)
        for attname, value in kept.items():
            note_unsaved(instance, attname)
            data[attname] = value

    def _note_values(self) -> None:
        instance = self.instance
        self.memory = snapshot(instance)
        # What the call saves is measured against the values as stored, so that edits
        # made before the call are saved with it. The body's own saves move it.
        self.baseline = unsaved_baseline(instance, self.memory)
        self.object_pk = instance.pk  # the record's, even if the body deletes the row

    def _body(self) -> Any:
        if self.rules is None:
            return self.info.func(self.instance, *self.args, **self.kwargs)
        assert self.transition is not None
        return move(
            self.rules.field, self.instance, self.transition, self.info.func, self.args, self.kwargs
        )

    def _persist(self) -> None:
        """Save what the call changed, with its audit record in the same transaction."""
        instance = self.instance
        if not self.audited:
            persist_changes(instance, self.baseline)
            return
        values = self._call_record()
        if not (writes_with_update(connections[self.using]) and instance.pk is not None):
            persist_changes(instance, self.baseline)
            self._save(values)
            return
        # The record waits for the instance's UPDATE, which writes it in the same
        # statement (GuardedModel._do_update); if no UPDATE took it, it goes alone.
        self.pending = pending = FusedRecord(values)
        try:
            persist_changes(instance, self.baseline)
        finally:
            self.pending = None
        if not pending.written:
            self._save(values)

    def _call_record(self) -> writer.RecordValues:
        instance, info = self.instance, self.info
        state: tuple[str, Any, Any] | None
        if self.rules is not None:
            state = (self.rules.field.name, self.source, self.rules.state())
        else:
            assert self.memory is not None
            state = writer.state_move(instance, self.memory)
        field, source, target = state if state is not None else ("", None, None)
        return self._record(
            type(instance),
            instance.pk if instance.pk is not None else self.object_pk,
            kind="deletion" if self.deleted_itself else info.kind,
            field=field,
            source=source,
            target=target,
            data=writer.call_data(info, instance, self.args, self.kwargs),
        )

    def _record(
        self, model: type[models.Model], object_pk: Any, **details: Any
    ) -> writer.RecordValues:
        return writer.new_record(
            model, object_pk, method=self.info.name, by=self.actor, asof=self.asof, **details
        )

    def _save(self, values: writer.RecordValues) -> None:
        writer.save_record(values, self.using)

    # -- undo -----------------------------------------------------------------------------

    def _undo(self, klass: type[models.Model], error: BaseException) -> None:
        """Give the instance its values (and class) back; save a declared ``on_error``."""
        instance = self.instance
        error_state = self._error_state()
        assert self.memory is not None
        restore(instance, self.memory)
        if type(instance) is not klass:
            instance.__class__ = klass  # the class a state_choices proxy had switched
        if error_state is None:
            return
        try:
            self._save_error_state(error_state, error)
        except Exception as failure:
            # The caller must see what went wrong in the call, not in the undo.
            if hasattr(error, "add_note"):
                error.add_note(f"django-guarded could not undo the call: {failure!r}")
            raise error from failure

    def _error_state(self) -> Any:
        """The ``on_error`` state the failed body left, if the transition declares one."""
        if self.rules is None or self.transition is None:
            return None
        on_error = self.transition.on_error
        if on_error is not None and self.rules.state() == on_error:
            return on_error
        return None

    def _save_error_state(self, state: Any, error: BaseException) -> None:
        assert self.rules is not None
        instance, field = self.instance, self.rules.field
        field.set_proxy(instance, state)
        field.set_state(instance, state)
        with transaction.atomic(using=self.using):
            instance.save(update_fields=[field.name])
            if self.audited:
                # The call failed, so its declared data is not computed: say what went wrong.
                self._save(
                    self._record(
                        type(instance),
                        instance.pk if instance.pk is not None else self.object_pk,
                        kind=self.info.kind,
                        field=field.name,
                        source=self.source,
                        target=state,
                        data={"error": f"{type(error).__name__}: {error}"[:1000]},
                    )
                )
