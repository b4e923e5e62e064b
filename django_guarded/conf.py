"""django-guarded's settings, read in one place.

Everything is optional and lives in one dictionary in the project's settings:

    DJANGO_GUARDED = {
        "AUDIT": True,                            # write an audit record per call
        "CLOCK": "django.utils.timezone.now",     # the time written into records
        "MERMAID_JS": None,                       # mermaid.js for the machine diagrams
    }

Code reads them through `guarded_settings`; tests change them with Django's
``override_settings`` (or pytest-django's ``settings`` fixture), which this module
notices.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

__all__ = ["DEFAULTS", "GuardedSettings", "guarded_settings"]

#: The name of the setting that holds django-guarded's options.
SETTING_NAME = "DJANGO_GUARDED"

#: Every option with its default value.
DEFAULTS: dict[str, Any] = {
    "AUDIT": True,
    "CLOCK": "django.utils.timezone.now",
    "MERMAID_JS": None,
}

Clock = Callable[[], datetime.datetime]


@dataclass(frozen=True)
class _Values:
    audit: bool
    clock: Clock
    mermaid_js: str | None


class GuardedSettings:
    """Typed access to ``settings.DJANGO_GUARDED``, with the defaults of `DEFAULTS`.

    Values are read and checked on first use and cached until a setting changes.
    """

    def __init__(self) -> None:
        self._values: _Values | None = None

    @property
    def AUDIT(self) -> bool:
        """Whether transitions and operations write audit records (models may opt out)."""
        return self._load().audit

    @property
    def CLOCK(self) -> Clock:
        """The callable that returns the current time for audit records and ``asof``."""
        return self._load().clock

    @property
    def MERMAID_JS(self) -> str | None:
        """mermaid.js to draw the machine diagrams with: a URL, or a path under ``STATIC_URL``.

        ``None`` (the default): pages show each diagram's Mermaid text and load no script.
        """
        return self._load().mermaid_js

    def now(self) -> datetime.datetime:
        """The current time according to ``CLOCK``."""
        return self._load().clock()

    def reload(self) -> None:
        """Forget the cached values: the next read looks at the settings again."""
        self._values = None

    def _load(self) -> _Values:
        values = self._values
        if values is None:
            values = self._values = _read()
        return values


def _read() -> _Values:
    user: Any = getattr(settings, SETTING_NAME, {})
    if not isinstance(user, dict):
        raise ImproperlyConfigured(
            f"settings.{SETTING_NAME} must be a dict, got {type(user).__name__}: "
            f'write {SETTING_NAME} = {{"AUDIT": True}}'
        )
    unknown = sorted(set(user) - set(DEFAULTS))
    if unknown:
        raise ImproperlyConfigured(
            f"settings.{SETTING_NAME} has unknown key(s) {', '.join(map(repr, unknown))}: "
            f"the known keys are {', '.join(map(repr, sorted(DEFAULTS)))}"
        )
    merged = {**DEFAULTS, **user}
    audit = merged["AUDIT"]
    if not isinstance(audit, bool):
        raise ImproperlyConfigured(
            f'settings.{SETTING_NAME}["AUDIT"] must be True or False, got {audit!r}'
        )
    clock = merged["CLOCK"]
    if isinstance(clock, str):
        try:
            clock = import_string(clock)
        except ImportError as exc:
            raise ImproperlyConfigured(
                f'settings.{SETTING_NAME}["CLOCK"] = {merged["CLOCK"]!r} cannot be imported '
                f"({exc}): give the dotted path of a function that returns an aware datetime"
            ) from exc
    if not callable(clock):
        raise ImproperlyConfigured(
            f'settings.{SETTING_NAME}["CLOCK"] must be a callable or its dotted path, got {clock!r}'
        )
    mermaid_js = merged["MERMAID_JS"]
    if mermaid_js is not None and (not isinstance(mermaid_js, str) or not mermaid_js.strip()):
        raise ImproperlyConfigured(
            f'settings.{SETTING_NAME}["MERMAID_JS"] must be None, a URL or a static path, '
            f'got {mermaid_js!r}: write "MERMAID_JS": "vendor/mermaid.min.js"'
        )
    return _Values(audit=audit, clock=clock, mermaid_js=mermaid_js)


#: The one object through which django-guarded reads its settings.
guarded_settings = GuardedSettings()


def _reload_on_change(*, setting: str, **kwargs: Any) -> None:
    if setting == SETTING_NAME:
        guarded_settings.reload()


setting_changed.connect(_reload_on_change, dispatch_uid="django_guarded.conf")
