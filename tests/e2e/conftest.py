"""Browser tests: Playwright's sync API beside Django's ORM in one thread."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the browser tests after all the others.

    pytest-playwright keeps one Playwright session, and its event loop, in this thread
    until the test session ends; code that runs async functions synchronously
    (asgiref's ``async_to_sync``) refuses to run beside a running loop, so no other
    test may come after the first browser test.
    """
    browser = [item for item in items if item.get_closest_marker("browser")]
    if browser:
        items[:] = [item for item in items if not item.get_closest_marker("browser")] + browser


@pytest.fixture(scope="session", autouse=True)
def allow_orm_beside_playwright() -> Iterator[None]:
    """Let the tests use the ORM while Playwright runs its event loop in this thread.

    Django refuses ORM calls from a thread with a running event loop, to protect
    async views; here the loop belongs to the browser driver, and the test's own
    queries (setup, assertions, database flushes) are synchronous. Session scope:
    the test database is set up and torn down while the browser is running.
    """
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
