"""Whether the moves a trail records are edges the transitions declare.

Each distinct ``(method, field, source, target)`` of transition records is looked up
once (a ``DISTINCT`` query, whatever the size of the trail) among the edges of the
model's method: its sources (``"*"`` and ``"+"`` included) and what they lead to
(the target, the ``on_error`` state, the states a ``RETURN_VALUE`` or ``GET_STATE``
target declares, or the source itself when the target is ``None``).
"""

from __future__ import annotations

from typing import Any

from django.db import models

from django_guarded._audit.report import Problem, Report
from django_guarded._audit.writer import state_text
from django_guarded._core.fsm import ANY_OTHER_STATE, ANY_STATE, fsm_meta

__all__ = ["check_edges"]

_TRANSITION_KINDS = ("transition", "bulk_transition")


def check_edges(label: str, model: type[models.Model], records: Any, report: Report) -> None:
    """Each distinct move recorded for a transition must be one its method declares."""
    moves = (
        records.filter(model=label, kind__in=_TRANSITION_KINDS)
        .exclude(field="")
        .order_by()
        .values_list("method", "field", "source", "target")
        .distinct()
    )
    for method, field_name, source, target in moves:
        meta = fsm_meta(getattr(model, method, None))
        if meta is None:
            report.notes.append(
                f"{label}: the trail names {model.__name__}.{method}(), which is not a "
                "transition any more: its moves were not checked"
            )
            continue
        if not _declares(meta, source, target):
            count = (
                records.filter(model=label, method=method, field=field_name, source=source)
                .filter(target=target)
                .count()
            )
            report.problems.append(
                Problem(
                    label,
                    "*",
                    f"{count} record(s) of {model.__name__}.{method}() move {field_name} from "
                    f"{source!r} to {target!r}, which {method}() does not declare",
                )
            )


def _declares(meta: Any, source: str | None, target: str | None) -> bool:
    """Whether the transition ``meta`` (django-fsm's) may move ``source`` to ``target``."""
    for declared, transition in meta.transitions.items():
        if declared == ANY_STATE:
            pass
        elif declared == ANY_OTHER_STATE:
            if source == state_text(transition.target):
                continue
        elif state_text(declared) != source:
            continue
        if target in _targets(transition, source):
            return True
    return False


def _targets(transition: Any, source: str | None) -> set[str | None]:
    targets = {state_text(transition.on_error)} if transition.on_error is not None else set()
    target = transition.target
    if target is None:
        targets.add(source)  # no target: the state stays
    elif hasattr(target, "get_state"):  # RETURN_VALUE or GET_STATE
        targets |= {state_text(s) for s in (getattr(target, "allowed_states", None) or ())}
    else:
        targets.add(state_text(target))
    return targets
