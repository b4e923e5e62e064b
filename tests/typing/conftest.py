"""The ``mypy`` marker: tests that run mypy, skipped where it is not installed."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "mypy: runs mypy with django-stubs (a few seconds; skipped without them)"
    )
