"""A state field's machine as data: its states and its edges (`describe`, `machines`).

Wildcard sources are expanded against the states (``"*"``: every state, ``"+"``:
every state but the target, each only where the method has no transition of its
own), and a ``RETURN_VALUE`` or ``GET_STATE`` target fans out to the states it
declares. Nothing here touches the database.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.apps import apps as django_apps
from django.db import models

from django_guarded._core.fsm import (
    ANY_OTHER_STATE,
    ANY_STATE,
    FSMFieldMixin,
    fsm_meta,
    state_fields,
)

__all__ = ["Edge", "Machine", "State", "describe", "machines", "state_value"]

_WILDCARDS = (ANY_STATE, ANY_OTHER_STATE)


@dataclass(frozen=True)
class State:
    """One state of a machine, as the field stores it."""

    #: The stored value (for an ``FSMKeyField``, the key of the state's row).
    value: Any
    #: The label of the value among the field's choices (the value itself otherwise).
    label: str
    #: ``False`` for a state that a transition names but the field's choices do not.
    declared: bool = True

    @property
    def text(self) -> str:
        """The value, followed by its label when the label says more than the value."""
        value = str(self.value)
        if _plain(self.label) == _plain(value):
            return value
        return f"{value} ({self.label})"


@dataclass(frozen=True)
class Edge:
    """One way from ``source`` to ``target``: a transition method, from one source state."""

    source: Any
    #: ``None`` when a ``RETURN_VALUE`` or ``GET_STATE`` target declares no states.
    target: Any
    #: The name of the transition method.
    method: str
    #: The permission it needs: a permission name, or the name of the check function.
    permission: str | None = None
    #: The names of its conditions.
    conditions: tuple[str, ...] = ()
    #: Taken when the method raises (its ``on_error`` state).
    on_error: bool = False
    #: The target is chosen when the method runs (``RETURN_VALUE``, ``GET_STATE``).
    dynamic: bool = False
    #: The edge comes from a ``"*"`` or ``"+"`` source.
    wildcard: bool = False

    @property
    def label(self) -> str:
        """The method's name with its markers, such as ``approve [needs app.perm] [if ok]``."""
        parts = [self.method]
        if self.on_error:
            parts.append("(on error)")
        if self.dynamic:
            parts.append("(dynamic)")
        if self.permission:
            parts.append(f"[needs {self.permission}]")
        if self.conditions:
            parts.append(f"[if {', '.join(self.conditions)}]")
        return " ".join(parts)


@dataclass(frozen=True)
class Machine:
    """The states and transitions of one state field of one model."""

    model: type[models.Model]
    #: The name of the state field.
    field: str
    states: tuple[State, ...]
    edges: tuple[Edge, ...]
    #: The states objects start in: the field's default and ``guarded_initial_states``.
    initial: tuple[Any, ...] = ()
    #: The states where the machine ends (see the module's documentation).
    final: tuple[Any, ...] = ()
    #: Whether ``final`` comes from the model's ``guarded_final_states``.
    final_declared: bool = False

    @property
    def label(self) -> str:
        """``app_label.Model.field``."""
        return f"{self.model._meta.label}.{self.field}"

    def state(self, value: Any) -> State | None:
        """The state stored as ``value``, if the machine has one."""
        value = state_value(value)
        return next((state for state in self.states if state.value == value), None)

    def reachable(self, start: Iterable[Any]) -> set[Any]:
        """The states some chain of transitions leads to from ``start`` (included)."""
        values = [state.value for state in self.states]
        seen = {state_value(value) for value in start}
        todo = list(seen)
        while todo:
            current = todo.pop()
            for edge in self.edges:
                if edge.source != current:
                    continue
                targets = values if edge.target is None else [edge.target]
                for target in targets:
                    if target not in seen:
                        seen.add(target)
                        todo.append(target)
        return seen


def _plain(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.lower())


def state_value(value: Any) -> Any:
    """A state as the graph holds it: a ``TextChoices`` member as its value, a related
    state (``FSMKeyField``) as its key."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, models.Model):
        return value.pk
    return value


def _name(thing: Any) -> str:
    return str(getattr(thing, "__name__", None) or getattr(thing, "__qualname__", None) or thing)


def _targets(target: Any) -> tuple[list[Any], bool]:
    """The states ``target`` may be, and whether it is chosen at run time."""
    if hasattr(target, "allowed_states"):
        return [state_value(state) for state in target.allowed_states or []], True
    return [state_value(target)], False


def _field(model: type[models.Model], name: str | None) -> FSMFieldMixin:
    fields = state_fields(model)
    label = model._meta.label
    if name is None:
        if len(fields) == 1:
            return fields[0]
        if not fields:
            raise ValueError(
                f"{label} has no state field: describe a model with an FSMField, "
                "FSMIntegerField or FSMKeyField"
            )
        names = ", ".join(f.name for f in fields)
        raise ValueError(f"{label} has several state fields ({names}): name the one to describe")
    for field in fields:
        if name in (field.name, field.attname):
            return field
    known = ", ".join(f.name for f in fields) or "none"
    raise ValueError(f"{label} has no state field {name!r}: its state fields are {known}")


def _declared_states(model: type[models.Model], attribute: str, field: str) -> list[Any] | None:
    declared: Mapping[str, Iterable[Any]] = getattr(model, attribute, None) or {}
    if field not in declared:
        return None
    return [state_value(state) for state in declared[field]]


def _transitions(model: type[models.Model], field: FSMFieldMixin) -> list[Any]:
    # django-fsm-2 collects a model's transitions when the model class is ready.
    methods = field.transitions.get(model, {})
    found: list[Any] = []
    for name in sorted(methods):
        meta = fsm_meta(methods[name])
        if meta is None:
            continue
        found.extend(meta.transitions.values())
    return found


def describe(model: type[models.Model], field: str | None = None) -> Machine:
    """The machine of ``model``'s state field ``field`` (its only one if not named)."""
    state_field = _field(model, field)
    choices = [(state_value(value), str(label)) for value, label in state_field.flatchoices]
    states: dict[Any, State] = {value: State(value, label) for value, label in choices}

    def add(value: Any) -> None:
        if value not in states:
            states[value] = State(value, str(value), declared=not choices)

    initial: list[Any] = []
    if state_field.has_default() and not callable(state_field.default):
        initial.append(state_value(state_field.default))
    initial += _declared_states(model, "guarded_initial_states", state_field.name) or []
    for value in initial:
        add(value)

    transitions = _transitions(model, state_field)
    for transition in transitions:
        if transition.source not in _WILDCARDS:
            add(state_value(transition.source))
        if transition.target is not None:
            for value in _targets(transition.target)[0]:
                add(value)
        if transition.on_error is not None:
            add(state_value(transition.on_error))

    order = {value: index for index, value in enumerate(states)}
    edges = sorted(
        _edges(transitions, list(states)),
        key=lambda e: (order[e.source], e.method, e.on_error, order.get(e.target, -1)),
    )
    declared_final = _declared_states(model, "guarded_final_states", state_field.name)
    if declared_final is None:
        leaving = {e.source for e in edges if not e.wildcard and e.target != e.source}
        final = [value for value in states if value not in leaving]
    else:
        final = declared_final
    return Machine(
        model=model,
        field=state_field.name,
        states=tuple(states.values()),
        edges=tuple(edges),
        initial=tuple(dict.fromkeys(initial)),
        final=tuple(dict.fromkeys(final)),
        final_declared=declared_final is not None,
    )


def _edges(transitions: list[Any], states: list[Any]) -> Iterator[Edge]:
    explicit: dict[str, set[Any]] = {}
    for transition in transitions:
        if transition.source not in _WILDCARDS:
            explicit.setdefault(transition.name, set()).add(state_value(transition.source))
    seen: set[tuple[Any, Any, str, bool]] = set()
    for transition in transitions:
        targets, dynamic = _targets(transition.target)
        permission = transition.permission
        common = {
            "method": transition.name,
            "permission": _name(permission) if callable(permission) else permission or None,
            "conditions": tuple(_name(condition) for condition in transition.conditions),
        }
        if transition.source in _WILDCARDS:
            own = explicit.get(transition.name, set())
            sources = [s for s in states if s not in own]
        else:
            sources = [state_value(transition.source)]
        for source in sources:
            # django-fsm-2: no target at all leaves the state as it is.
            moves = [source] if transition.target is None else targets or [None]
            for target in moves:
                if transition.source == ANY_OTHER_STATE and target == source:
                    continue
                key = (source, target, transition.name, False)
                if key not in seen:
                    seen.add(key)
                    wildcard = transition.source in _WILDCARDS
                    yield Edge(source, target, dynamic=dynamic, wildcard=wildcard, **common)
            if transition.on_error is not None:
                target = state_value(transition.on_error)
                key = (source, target, transition.name, True)
                if key not in seen:
                    seen.add(key)
                    wildcard = transition.source in _WILDCARDS
                    yield Edge(source, target, on_error=True, wildcard=wildcard, **common)


def machines(labels: Iterable[str] = ()) -> list[Machine]:
    """The machines named by ``labels``, or every machine of the project.

    A label is ``app_label``, ``app_label.Model`` or ``app_label.Model.field``.
    Without labels: each state field of each installed model, where the field is
    declared (a proxy or a multi-table child does not repeat its parent's machine).
    Raises ``LookupError`` with what to write instead when a label names nothing.
    """
    found: list[Machine] = []
    labels = list(labels)
    if not labels:
        for model in django_apps.get_models():
            for field in state_fields(model):
                if field.model is model:
                    found.append(describe(model, field.name))
        return found
    for label in labels:
        found.extend(_machines_for(label))
    return found


def _machines_for(label: str) -> list[Machine]:
    parts = label.split(".")
    if not 1 <= len(parts) <= 3 or not all(parts):
        raise LookupError(
            f"{label!r} is not a machine label: write app_label, app_label.Model "
            "or app_label.Model.field, such as pickup.Pickup.state"
        )
    try:
        config = django_apps.get_app_config(parts[0])
    except LookupError:
        raise LookupError(
            f"No installed app with label {parts[0]!r} (from {label!r}): the installed "
            f"apps are {', '.join(sorted(c.label for c in django_apps.get_app_configs()))}"
        ) from None
    if len(parts) == 1:
        return [
            describe(model, field.name)
            for model in config.get_models()
            for field in state_fields(model)
            if field.model is model
        ]
    try:
        model = config.get_model(parts[1])
    except LookupError:
        names = ", ".join(sorted(m.__name__ for m in config.get_models() if state_fields(m)))
        raise LookupError(
            f"App {config.label!r} has no model {parts[1]!r} (from {label!r}): "
            f"its models with a state field are {names or 'none'}"
        ) from None
    if len(parts) == 3:
        try:
            return [describe(model, parts[2])]
        except ValueError as error:
            raise LookupError(str(error)) from None
    fields = state_fields(model)
    if not fields:
        raise LookupError(
            f"{model._meta.label} has no state field (FSMField, FSMIntegerField or "
            "FSMKeyField): name a model that has one"
        )
    return [describe(model, field.name) for field in fields]


# -- Graphviz DOT ------------------------------------------------------------------------
