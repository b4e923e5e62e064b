"""What mypy sees of django-guarded's public API.

This file is type-checked, not run (its functions are never called):
``python3 -m mypy --config-file tests/typing/mypy.ini``. A line that must be a type
error carries ``# type: ignore[<code>]``; with ``warn_unused_ignores`` (part of
``--strict``), mypy fails as soon as it stops being one.
"""

from __future__ import annotations

import datetime
import sys
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import models

from django_guarded import (
    GET_STATE,
    RETURN_VALUE,
    SYSTEM,
    GuardedError,
    GuardedFieldError,
    can_proceed,
    guarded,
    has_transition_perm,
    operation,
    retrying,
    transition,
    unguarded,
)
from django_guarded.graph import Machine, describe, to_dot, to_mermaid
from tests.bank.models import Account as BankAccount
from tests.testapp.models import Account, Invoice, Pickup, TrafficLight

if sys.version_info >= (3, 11):
    from typing import assert_type
else:
    from typing_extensions import assert_type


def transitions_keep_their_signatures(pickup: Pickup, account: BankAccount) -> None:
    assert_type(pickup.assign("Ann"), None)
    pickup.assign(42)  # type: ignore[arg-type]
    pickup.assign()  # type: ignore[call-arg]
    pickup.assign("Ann", "Bob")  # type: ignore[call-arg]
    pickup.dropped_off(crash=True)
    pickup.dropped_off(True)  # type: ignore[call-arg]

    # A RETURN_VALUE transition returns what its body returns: the new state.
    assert_type(pickup.reset(Pickup.State.REQUEST), str)


def operations_keep_their_signatures(account: BankAccount) -> None:
    assert_type(account.withdraw(Decimal("10.00")), None)
    account.withdraw("10.00")  # type: ignore[arg-type]
    account.deposit(Decimal("1.00"), comment="salary")
    account.deposit(Decimal("1.00"), comment=1)  # type: ignore[arg-type]
    assert_type(Account.objects.create_trial(name="Ann"), Account)
    Account.objects.create_trial(name=1)  # type: ignore[arg-type]


def by_is_accepted_where_the_method_declares_it(invoice: Invoice, pickup: Pickup) -> None:
    invoice.approve(by=SYSTEM)
    # ParamSpec cannot add a parameter: a method that needs by= declares it.
    pickup.accept(by=SYSTEM)  # type: ignore[call-arg]


def decorators_return_the_function_they_wrap() -> None:
    @operation
    def rename(owner: Any, name: str) -> int:
        return len(name)

    @operation(lock=True)
    def locked(owner: Any, amount: Decimal) -> Decimal:
        return amount

    @transition(field="state", source="new", target="done")
    def finish(owner: Any, *, note: str = "") -> bool:
        return bool(note)

    as_callable: Callable[[Any, str], int] = rename
    assert_type(locked(None, Decimal(1)), Decimal)
    assert_type(finish(None, note="x"), bool)
    rename(None, 1)  # type: ignore[arg-type]
    finish(None, "x")  # type: ignore[call-arg]
    del as_callable

    def takes_nothing() -> bool:
        return True

    operation(lock="yes")  # type: ignore[call-overload]
    transition(field="state", conditions=[takes_nothing])  # type: ignore[list-item]


def dynamic_targets_are_typed() -> None:
    assert_type(RETURN_VALUE("request", "failed"), RETURN_VALUE)
    assert_type(GET_STATE(lambda self: "waiting", states=["waiting"]), GET_STATE)
    GET_STATE("waiting")  # type: ignore[arg-type]
    RETURN_VALUE(1.5)  # type: ignore[arg-type]


def state_fields_read_as_their_values(account: Account, light: TrafficLight) -> None:
    # With django_guarded.mypy_plugin: django-fsm-2's fields alone read as Any.
    assert_type(account.status, str)
    assert_type(light.state, int)
    assert_type(account.signup_date, datetime.datetime | None)


def guarded_returns_the_field_it_marks(field: models.CharField[str, str]) -> None:
    assert_type(guarded(field), models.CharField[str, str])
    guarded("balance")  # type: ignore[type-var]


def guarded_fields_are_written_by_the_model_only(account: Account, light: TrafficLight) -> None:
    account.name = "Ann"  # not guarded
    account.status = "expired"  # type: ignore[guarded-field]
    account.signup_date = None  # type: ignore[guarded-field]
    light.state = TrafficLight.GREEN  # type: ignore[guarded-field]
    with unguarded():
        account.status = "expired"


def helpers_are_typed(account: Account, user: Any) -> None:
    assert_type(can_proceed(account.signup), bool)
    assert_type(has_transition_perm(account.signup, user), bool)
    assert_type(retrying(account.rename)("Ann"), None)
    retrying(account.rename)(1)  # type: ignore[arg-type]
    rename: Callable[[str], None] = retrying(attempts=5)(account.rename)
    retrying(attempts=5)(account.rename)(name=1)  # type: ignore[arg-type]
    del rename
    error: GuardedError = GuardedFieldError("Account.status is guarded")
    attribute_error: AttributeError = GuardedFieldError("Account.status is guarded")
    del error, attribute_error


def machine_descriptions_are_typed(pickup: Pickup) -> None:
    machine = describe(Pickup, "state")
    assert_type(machine, Machine)
    assert_type(to_mermaid(machine, highlight=pickup.state), str)
    assert_type(to_dot(Pickup, "state"), str)
    to_mermaid(pickup)  # type: ignore[arg-type]
