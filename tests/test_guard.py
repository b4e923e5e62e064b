"""The guard: who may assign a guarded field, and the errors everyone else gets."""

from __future__ import annotations

import asyncio
import threading

import pytest
from asgiref.sync import async_to_sync, sync_to_async

from django_guarded import GuardedError, GuardedFieldError, unguarded
from tests.testapp.models import Account, BillingInfo, Pickup

pytestmark = pytest.mark.django_db


@pytest.fixture
def account() -> Account:
    return Account.objects.create_trial(name="ada")


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
    assert "change it inside one of the model's own methods: Account.signup()." in message
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

    from django_guarded import _guard

    with _guard.enter(_guard.Frame(Account)), pytest.raises(Sneaky):
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
