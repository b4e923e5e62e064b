"""The guard: who may assign a guarded field, and the errors everyone else gets."""

from __future__ import annotations

import asyncio
import contextvars
import threading

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.db import connection, models, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_guarded import (
    DirectSaveError,
    GuardedError,
    GuardedFieldError,
    GuardedModel,
    unguarded,
)
from tests.testapp.models import Account, BillingInfo, Pickup

pytestmark = pytest.mark.django_db


@pytest.fixture
def account() -> Account:
    return Account.objects.create_trial(name="ada")


def make_pickup(state: str = "request") -> Pickup:
    with unguarded():
        return Pickup.objects.create(state=state)


def test_assigning_a_state_field_raises_and_names_the_way_out(account: Account) -> None:
    with pytest.raises(GuardedFieldError) as caught:
        account.status = "signedup"
    message = str(caught.value)
    assert "Account.status is guarded" in message
    assert "'trial'" in message
    assert "Account.signup()" in message
    assert "Account.expire()" in message
    assert "unguarded()" in message
    assert account.status == "trial"


def test_guarded_field_error_is_an_attribute_error(account: Account) -> None:
    with pytest.raises(AttributeError):
        account.signup_date = None if account.signup_date else "2020-01-01"
    assert issubclass(GuardedFieldError, GuardedError)


def test_setattr_is_guarded_like_assignment(account: Account) -> None:
    with pytest.raises(GuardedFieldError, match="Account.signup_date is guarded"):
        setattr(account, "signup_date", "2020-01-01")  # noqa: B010 - setattr is the point
    assert account.signup_date is None


def test_guarded_plain_field_message_names_the_methods_that_assign_it(account: Account) -> None:
    with pytest.raises(GuardedFieldError) as caught:
        account.signup_date = "2020-01-01"
    message = str(caught.value)
    assert (
        "change it inside one of the model's own methods: Account.signup() or Account.stamp()."
        in message
    )
    # rename() assigns another field; create_trial() creates accounts.
    assert "Account.rename()" not in message
    assert "create_trial()" not in message


def test_unguarded_fields_are_free(account: Account) -> None:
    account.name = "grace"
    assert account.name == "grace"


def test_assigning_the_current_value_is_not_a_change(account: Account) -> None:
    account.status = "trial"
    account.signup_date = None
    assert account.status == "trial"


def test_unguarded_block_allows_writes_and_ends_with_the_block(account: Account) -> None:
    with unguarded():
        account.status = "expired"
        account.save()
    account.refresh_from_db()
    assert account.status == "expired"
    with pytest.raises(GuardedFieldError):
        account.status = "trial"


def test_unguarded_permission_ends_even_when_the_block_raises(account: Account) -> None:
    with pytest.raises(ZeroDivisionError), unguarded():
        1 / 0  # noqa: B018
    with pytest.raises(GuardedFieldError):
        account.status = "expired"


def test_an_operation_may_not_write_another_model(account: Account) -> None:
    """A method of Account is not a method of BillingInfo."""
    with unguarded():
        billing = BillingInfo.objects.create(account=account, address="a", card_type="visa")

    class Sneaky(Exception):
        pass

    def write_billing() -> None:
        billing.address = "changed"  # not guarded: fine
        try:
            billing.account = Account.objects.create_trial()
        except GuardedFieldError:
            raise Sneaky from None

    from django_guarded._core import permission

    with permission.enter(permission.Permission(Account)), pytest.raises(Sneaky):
        write_billing()


def test_the_guard_is_per_thread(account: Account) -> None:
    """A thread inside unguarded() opens nothing for another thread."""
    inside = threading.Event()
    release = threading.Event()
    errors: list[BaseException] = []

    def hold_permission() -> None:
        with unguarded():
            inside.set()
            release.wait(timeout=10)

    holder = threading.Thread(target=hold_permission)
    holder.start()
    try:
        assert inside.wait(timeout=10)
        other = Pickup(state="request")  # built in memory: allowed

        def write_from_other_thread() -> None:
            try:
                other.state = "waiting"
            except GuardedFieldError as error:
                errors.append(error)

        writer = threading.Thread(target=write_from_other_thread)
        writer.start()
        writer.join(timeout=10)
        with pytest.raises(GuardedFieldError):
            account.status = "expired"
    finally:
        release.set()
        holder.join(timeout=10)
    assert len(errors) == 1


def test_the_guard_is_per_asyncio_task() -> None:
    """One task inside unguarded() opens nothing for a task running at the same time."""
    pickup = Pickup(state="request")
    results: dict[str, str] = {}

    async def privileged(started: asyncio.Event, done: asyncio.Event) -> None:
        with unguarded():
            started.set()
            await done.wait()
            pickup.state = "waiting"
            results["privileged"] = "wrote"

    async def intruder(started: asyncio.Event, done: asyncio.Event) -> None:
        await started.wait()
        try:
            pickup.state = "dropped_off"
            results["intruder"] = "wrote"
        except GuardedFieldError:
            results["intruder"] = "refused"
        done.set()

    async def main() -> None:
        started, done = asyncio.Event(), asyncio.Event()
        await asyncio.gather(privileged(started, done), intruder(started, done))

    asyncio.run(main())
    assert results == {"privileged": "wrote", "intruder": "refused"}
    assert pickup.state == "waiting"


@pytest.mark.django_db(transaction=True)
def test_sync_to_async_carries_no_permission_out_of_its_caller() -> None:
    account = Account.objects.create_trial()

    def assign() -> None:
        account.status = "expired"

    with pytest.raises(GuardedFieldError):
        async_to_sync(sync_to_async(assign))()


# -- Permission ends with its block, whoever copied the context ----------------------------


def test_a_task_created_inside_unguarded_loses_permission_when_the_block_ends() -> None:
    pickup = Pickup(state="request")
    results: list[str] = []

    async def late_writer(go: asyncio.Event) -> None:
        await go.wait()
        try:
            pickup.state = "waiting"
            results.append("wrote")
        except GuardedFieldError:
            results.append("refused")

    async def main() -> None:
        go = asyncio.Event()
        with unguarded():
            task = asyncio.create_task(late_writer(go))
        go.set()
        await task

    asyncio.run(main())
    assert results == ["refused"]
    assert pickup.state == "request"


def test_a_copied_context_keeps_no_permission_after_the_operation(account: Account) -> None:
    captured: list[contextvars.Context] = []
    original = Account.rename.__guarded__.func  # type: ignore[attr-defined]

    def rename_and_capture(self: Account, name: str) -> None:
        captured.append(contextvars.copy_context())
        original(self, name)

    Account.rename.__guarded__.func = rename_and_capture  # type: ignore[attr-defined]
    try:
        account.rename("inside")
    finally:
        Account.rename.__guarded__.func = original  # type: ignore[attr-defined]

    def write() -> None:
        account.signup_date = timezone.now()

    with pytest.raises(GuardedFieldError):
        captured[0].run(write)
    with pytest.raises(DirectSaveError):
        captured[0].run(account.save)
    assert Account.objects.get(pk=account.pk).signup_date is None


def test_a_thread_started_with_a_copied_context_keeps_no_permission() -> None:
    pickup = Pickup(state="request")
    errors: list[BaseException] = []
    with unguarded():
        context = contextvars.copy_context()

    def write() -> None:
        try:
            pickup.state = "waiting"
        except GuardedFieldError as error:
            errors.append(error)

    thread = threading.Thread(target=context.run, args=(write,))
    thread.start()
    thread.join(timeout=10)
    assert len(errors) == 1


# -- The routes around save() and update() -------------------------------------------------


def test_saving_through_a_base_class_is_refused(account: Account) -> None:
    account.name = "changed"
    with pytest.raises(DirectSaveError, match=r"Account\.save\(\) is guarded"):
        super(GuardedModel, account).save()
    with pytest.raises(DirectSaveError):
        models.Model.save(account)
    with pytest.raises(DirectSaveError):
        account.save_base()
    with pytest.raises(DirectSaveError), transaction.atomic():
        models.Model.save_base(account)  # refused inside Django's save: roll it back
    assert Account.objects.get(pk=account.pk).name == "ada"


def test_an_unbound_queryset_update_is_refused(account: Account) -> None:
    with pytest.raises(DirectSaveError, match=r"Account\.objects\.update\(\) is guarded"):
        models.QuerySet.update(Account.objects.all(), status="expired")
    with pytest.raises(DirectSaveError):
        Account.objects.all()._update([(Account._meta.get_field("name"), None, "x")])
    assert Account.objects.get(pk=account.pk).status == "trial"


def test_a_raw_save_still_loads_rows(account: Account) -> None:
    """What ``loaddata`` does: ``Model.save_base(obj, raw=True)`` on the base class."""
    copy_ = Account.objects.get(pk=account.pk)
    copy_.__dict__["name"] = "from a fixture"
    models.Model.save_base(copy_, raw=True)
    assert Account.objects.get(pk=account.pk).name == "from a fixture"


# -- A call saves what was assigned before it --------------------------------------------


def test_a_transition_saves_the_edits_made_before_it(account: Account) -> None:
    account.name = "edited"
    account.signup()
    stored = Account.objects.get(pk=account.pk)
    assert (stored.status, stored.name) == ("signedup", "edited")
    assert account.__dict__.get("_guarded_unsaved") is None


def test_an_operation_saves_the_edits_made_before_it(account: Account) -> None:
    account.signup_date = None  # the value it has: not a change
    account.name = "edited"
    account.rename("renamed")
    assert Account.objects.get(pk=account.pk).name == "renamed"
    pickup = make_pickup()
    pickup.notes = "gate 4"
    pickup.assign("Grace")
    stored = Pickup.objects.get(pk=pickup.pk)
    assert (stored.state, stored.driver, stored.notes) == ("waiting", "Grace", "gate 4")


def test_a_locked_call_whose_body_saves_one_field_keeps_the_other_edits(
    account: Account,
) -> None:
    account.name = "edited"
    account.stamp()
    stored = Account.objects.get(pk=account.pk)
    assert stored.signup_date is not None
    assert stored.name == "edited"


def test_a_failed_call_keeps_the_edits_in_memory_for_the_next_call() -> None:
    pickup = make_pickup("to_hotel")
    pickup.notes = "left at the desk"
    with pytest.raises(RuntimeError):
        pickup.dropped_off(crash=True)  # on_error: only the state "failed" is saved
    assert pickup.notes == "left at the desk"
    stored = Pickup.objects.get(pk=pickup.pk)
    assert (stored.state, stored.notes) == ("failed", "")
    pickup.reset("request")
    stored = Pickup.objects.get(pk=pickup.pk)
    assert (stored.state, stored.notes) == ("request", "left at the desk")


def test_an_edit_set_back_before_the_call_is_not_written(account: Account) -> None:
    account.name = "other"
    account.name = "ada"
    with CaptureQueriesContext(connection) as queries:
        account.expire()
    # On PostgreSQL the UPDATE and its audit record are one statement.
    (update,) = [q["sql"] for q in queries if "UPDATE" in q["sql"]]
    quote = connection.ops.quote_name
    assert quote("status") in update
    assert quote("name") not in update
