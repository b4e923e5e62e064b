"""Users, permissions and data of the demo; running it again changes nothing."""

from __future__ import annotations

import datetime
import decimal
from dataclasses import dataclass

from django.contrib.auth.models import Group, User
from django.utils import timezone
from guardian.shortcuts import assign_perm


@dataclass(frozen=True)
class Login:
    username: str
    password: str
    can: str


LOGINS = [
    Login("admin", "admin", "everything (a superuser)"),
    Login(
        "alice",
        "alice",
        "open her own bank account only, and deposit into it and withdraw from it "
        "(django-guardian object permissions)",
    ),
    Login("bob", "bob", "the same for his own account: he cannot see alice's"),
    Login(
        "teller",
        "teller",
        "see every bank account and deposit into any (global permissions), "
        "freeze and unfreeze them; no withdrawals",
    ),
    Login(
        "support",
        "support",
        "sign up trial and expired accounts (global), expire one old trial "
        "(an object permission on it)",
    ),
    Login("dispatcher", "dispatcher", "assign drivers to pickup requests"),
    Login(
        "driver1",
        "driver1",
        "see the pickups, and accept, decline and drive those assigned to them",
    ),
    Login("driver2", "driver2", "the same as driver1, for their own pickups"),
]


def _user(login: Login, *, superuser: bool = False) -> User:
    user, created = User.objects.get_or_create(
        username=login.username,
        defaults={
            "is_staff": True,
            "is_superuser": superuser,
            "email": f"{login.username}@example.com",
        },
    )
    if created:
        user.set_password(login.password)
        user.save()
    return user


def _bank(users: dict[str, User]) -> None:
    from demo.bank.models import Account

    for name, opening in (("alice", "250.00"), ("bob", "40.00")):
        owner = users[name]
        account = Account.objects.filter(user=owner).first()
        if account is None:
            account = Account.objects.open_for(owner)
            account.deposit(decimal.Decimal(opening), by=owner, reference="opening deposit")
        for perm in ("view_account", "deposit_account", "withdraw_account"):
            assign_perm(f"bank.{perm}", owner, account)
    for perm in ("view_account", "deposit_account", "freeze_account"):
        assign_perm(f"bank.{perm}", users["teller"])


def _signup(users: dict[str, User]) -> None:
    from demo.signup.models import Account

    now = timezone.now()
    if not Account.objects.exists():
        Account.objects.create_trial("new.trial@example.com")
        Account.objects.create_trial(
            "old.trial@example.com", created=now - datetime.timedelta(days=45)
        )
        Account.objects.create_trial(
            "older.trial@example.com", created=now - datetime.timedelta(days=60)
        )
        Account.objects.create_signup(
            "customer@example.com", address="1 Quay Street", card_type="visa"
        )
    for perm in ("view_account", "signup_account"):
        assign_perm(f"signup.{perm}", users["support"])
    old = Account.objects.get(email="old.trial@example.com")
    assign_perm("signup.expire_account", users["support"], old)


def _pickup(users: dict[str, User]) -> None:
    from demo.pickup.models import Pickup

    drivers, _ = Group.objects.get_or_create(name="drivers")
    drivers.user_set.add(users["driver1"], users["driver2"])
    assign_perm("pickup.view_pickup", drivers)
    for perm in ("view_pickup", "dispatch_pickup"):
        assign_perm(f"pickup.{perm}", users["dispatcher"])
    if not Pickup.objects.exists():
        Pickup.objects.request("Ada Lovelace", "BA 117")
        waiting = Pickup.objects.request("Alan Turing", "LH 400")
        waiting.assign(users["driver1"], by=users["dispatcher"])
        on_the_way = Pickup.objects.request("Grace Hopper", "UA 901")
        on_the_way.assign(users["driver2"], by=users["dispatcher"])
        on_the_way.accept(by=users["driver2"])


def seed() -> list[Login]:
    """Create what is missing; return the logins to print."""
    users = {login.username: _user(login, superuser=login.username == "admin") for login in LOGINS}
    _bank(users)
    _signup(users)
    _pickup(users)
    return LOGINS
