"""``python -m demo``: set up the demo site on SQLite and serve it.

Migrates the database (``demo/db.sqlite3`` unless ``--db`` says otherwise),
creates the users, their permissions and some data where they are missing,
prints the URL and the logins, then runs Django's development server.
``--check`` does everything but serve: it also signs in as each user and opens
their pages, and exits 0 when all of it worked.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8000, help="port to serve on (8000)")
    parser.add_argument("--db", help="SQLite file to use (default: demo/db.sqlite3)")
    parser.add_argument(
        "--check",
        "--no-server",
        action="store_true",
        dest="check",
        help="set everything up, try each login, and exit instead of serving",
    )
    return parser.parse_args(argv)


def setup(db: str | None) -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    if db:
        os.environ["DEMO_DB"] = str(Path(db).resolve())
    os.environ["DJANGO_SETTINGS_MODULE"] = "demo.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def print_welcome(url: str) -> None:
    from demo.seed import LOGINS

    print(f"\ndjango-guarded demo: {url}\n")
    width = max(len(login.username) for login in LOGINS)
    print(f"  {'login':<{width}}  {'password':<{width}}  may")
    for login in LOGINS:
        print(f"  {login.username:<{width}}  {login.password:<{width}}  {login.can}")
    print(
        "\nEvery change goes through a button: a transition or an operation of the model, "
        "checked again on the server.\n"
    )


def _fixtures() -> tuple[Any, Any, Any]:
    """Alice's and Bob's accounts, and a pickup waiting for driver1, whatever the site's
    users did before: what the check needs is made here, in its rolled-back transaction."""
    from django.contrib.auth.models import User

    from demo.bank.models import Account
    from demo.pickup.models import Pickup

    users = {user.username: user for user in User.objects.all()}
    alice = Account.objects.get(user__username="alice")
    if alice.state == Account.State.FROZEN:
        alice.unfreeze(by=users["admin"])  # a teller froze it through the admin
    bob = Account.objects.get(user__username="bob")
    waiting = Pickup.objects.request("Ada Lovelace", "CHECK 1")
    waiting.assign(users["driver1"], by=users["dispatcher"])
    return alice, bob, waiting


def check() -> int:
    """Sign in as the users and press a button each, in a transaction rolled back at the end.

    Returns the number of expectations that failed (0: the demo works). The buttons
    are pressed on what the site holds now: a database used through the admin before
    gives the same answer as a new one.
    """
    import logging

    from django.core.management import call_command
    from django.db import transaction
    from django.test import Client

    from demo.seed import LOGINS

    call_command("check", fail_level="WARNING")
    # Refusals are expected below; Django would log each one as a warning.
    logging.getLogger("django.request").setLevel(logging.ERROR)
    clients = {}
    for login in LOGINS:
        clients[login.username] = client = Client()
        client.login(username=login.username, password=login.password)
    with transaction.atomic():
        failures = _press_buttons(clients) + _check_diagrams(clients["alice"])
        transaction.set_rollback(True)
    return failures


def _check_diagrams(client: Any) -> int:
    """The change page draws its state machine with the mermaid.js the demo serves."""
    from django.conf import settings
    from django.templatetags.static import static

    from demo.bank.models import Account

    script = static(settings.DJANGO_GUARDED["MERMAID_JS"])
    account = Account.objects.get(user__username="alice")
    page = client.get(f"/admin/bank/account/{account.pk}/change/").content.decode()
    served = client.get(script)
    body = b"".join(served.streaming_content) if served.status_code == 200 else b""
    problems = []
    if f'<script src="{script}"></script>' not in page or '<pre class="mermaid">' not in page:
        problems.append(f"the change page does not load {script} to draw its state machine")
    if b'globalThis["mermaid"]' not in body:
        problems.append(f"{script} answered {served.status_code}, not mermaid.js")
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    return len(problems)


def _press_buttons(clients: dict[str, Any]) -> int:
    import decimal

    alice, bob, waiting = _fixtures()
    if alice.state != alice.State.OPEN:
        print(
            f"problem: alice's account is {alice.state}, closed for good through the admin: "
            "the check deposits into it; run it on a new database (--db FILE)",
            file=sys.stderr,
        )
        return 1
    before = alice.balance
    bank, pickup = "/admin/bank/account", "/admin/pickup/pickup"
    expectations = [
        ("admin", "get", "/admin/", {}, 200),
        ("alice", "get", f"{bank}/{alice.pk}/change/", {}, 200),
        ("alice", "get", f"{bank}/{bob.pk}/change/", {}, 302),  # not hers: "doesn't exist"
        (
            "alice",
            "post",
            f"{bank}/{alice.pk}/transition/deposit/",
            {"_guarded_confirm": "1", "amount": "10"},
            302,
        ),
        ("alice", "post", f"{bank}/{alice.pk}/transition/freeze/", {}, 403),
        (
            "teller",
            "post",
            f"{bank}/{bob.pk}/transition/withdraw/",
            {"_guarded_confirm": "1", "amount": "1"},
            403,
        ),
        ("driver2", "post", f"{pickup}/{waiting.pk}/transition/accept/", {}, 403),
        ("driver1", "post", f"{pickup}/{waiting.pk}/transition/accept/", {}, 302),
        ("dispatcher", "get", f"{bank}/", {}, 403),
    ]
    failures = 0
    for username, method, url, data, expected in expectations:
        response = getattr(clients[username], method)(url, data)
        if response.status_code != expected:
            failures += 1
            print(
                f"problem: {username} {method.upper()} {url} answered "
                f"{response.status_code}, expected {expected}",
                file=sys.stderr,
            )
    alice.refresh_from_db()
    waiting.refresh_from_db()
    wanted = before + decimal.Decimal("10")
    if (alice.balance, waiting.state) != (wanted, "to_airport"):
        failures += 1
        print(
            f"problem: alice's balance is {alice.balance} after depositing 10 into "
            f"{before} (expected {wanted}); the pickup is {waiting.state} after driver1 "
            "accepted it (expected to_airport)",
            file=sys.stderr,
        )
    return failures


def main(argv: list[str]) -> int:
    options = parse(argv)
    setup(options.db)
    from demo.seed import seed

    seed()
    url = f"http://127.0.0.1:{options.port}/admin/"
    print_welcome(url)
    if options.check:
        failures = check()
        print("demo check:", "ok" if not failures else f"{failures} problem(s)")
        return 1 if failures else 0
    from django.core.management import call_command

    call_command("runserver", f"127.0.0.1:{options.port}", use_reloader=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
