"""Signals sent around every transition.

They are django-fsm-2's own signal objects, so receivers written for django-fsm-2
keep working: ``pre_transition`` before the method body runs, ``post_transition``
after the new state is set (inside the transaction, before it commits; also after
an ``on_error`` state was set, with ``exception=``).
"""

from __future__ import annotations

from django_fsm.signals import post_transition, pre_transition

__all__ = ["post_transition", "pre_transition"]
