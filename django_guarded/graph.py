"""State machines as data, and as Graphviz DOT or Mermaid text.

`describe()` reads one state field of a model: its states (the field's choices,
then any other state its default or its transitions name) and one `Edge` per
transition method and source state. Wildcard sources are expanded against the
states (``"*"``: every state, ``"+"``: every state but the target, each only where
the method has no transition of its own), and a ``RETURN_VALUE`` or ``GET_STATE``
target fans out to the states it declares. `to_dot()` and `to_mermaid()`
draw the result; nothing here touches the database.

Which states a machine starts and ends in:

- it starts in the field's default, plus the states a model lists in
  ``guarded_initial_states = {"state": [...]}`` (objects created in them);
- it ends in the states a model lists in ``guarded_final_states = {"state": [...]}``;
  without that, in every state that has no transition of its own to another state
  (transitions from ``"*"`` or ``"+"``, such as a "cancel from anywhere", do not
  count: they leave every state).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import django_fsm
from django.apps import apps as django_apps
from django.db import models

__all__ = [
    "Edge",
    "Machine",
    "State",
    "describe",
    "machines",
    "state_fields",
    "to_dot",
    "to_mermaid",
]

_WILDCARDS = ("*", "+")


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
        value = _value(value)
        return next((state for state in self.states if state.value == value), None)

    def reachable(self, start: Iterable[Any]) -> set[Any]:
        """The states some chain of transitions leads to from ``start`` (included)."""
        values = [state.value for state in self.states]
        seen = {_value(value) for value in start}
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


def _value(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, models.Model):
        return value.pk
    return value


def _name(thing: Any) -> str:
    return str(getattr(thing, "__name__", None) or getattr(thing, "__qualname__", None) or thing)


def _targets(target: Any) -> tuple[list[Any], bool]:
    """The states ``target`` may be, and whether it is chosen at run time."""
    if isinstance(target, django_fsm.State):
        return [_value(state) for state in target.allowed_states or []], True
    return [_value(target)], False


def state_fields(model: type[models.Model]) -> list[django_fsm.FSMFieldMixin]:
    """The state fields (``FSMField`` and its kin, django-fsm-2's included) of ``model``."""
    return [
        field
        for field in model._meta.concrete_fields
        if isinstance(field, django_fsm.FSMFieldMixin)
    ]


def _field(model: type[models.Model], name: str | None) -> django_fsm.FSMFieldMixin:
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
    return [_value(state) for state in declared[field]]


def _transitions(model: type[models.Model], field: django_fsm.FSMFieldMixin) -> list[Any]:
    # django-fsm-2 collects a model's transitions when the model class is ready.
    methods = field.transitions.get(model, {})
    found = []
    for name in sorted(methods):
        meta = methods[name]._django_fsm
        found.extend(meta.transitions.values())
    return found


def describe(model: type[models.Model], field: str | None = None) -> Machine:
    """The machine of ``model``'s state field ``field`` (its only one if not named)."""
    state_field = _field(model, field)
    choices = [(_value(value), str(label)) for value, label in state_field.flatchoices]
    states: dict[Any, State] = {value: State(value, label) for value, label in choices}

    def add(value: Any) -> None:
        if value not in states:
            states[value] = State(value, str(value), declared=not choices)

    initial: list[Any] = []
    if state_field.has_default() and not callable(state_field.default):
        initial.append(_value(state_field.default))
    initial += _declared_states(model, "guarded_initial_states", state_field.name) or []
    for value in initial:
        add(value)

    transitions = _transitions(model, state_field)
    for transition in transitions:
        if transition.source not in _WILDCARDS:
            add(_value(transition.source))
        if transition.target is not None:
            for value in _targets(transition.target)[0]:
                add(value)
        if transition.on_error is not None:
            add(_value(transition.on_error))

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
            explicit.setdefault(transition.name, set()).add(_value(transition.source))
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
            sources = [_value(transition.source)]
        for source in sources:
            # django-fsm-2: no target at all leaves the state as it is.
            moves = [source] if transition.target is None else targets or [None]
            for target in moves:
                if transition.source == "+" and target == source:
                    continue
                key = (source, target, transition.name, False)
                if key not in seen:
                    seen.add(key)
                    wildcard = transition.source in _WILDCARDS
                    yield Edge(source, target, dynamic=dynamic, wildcard=wildcard, **common)
            if transition.on_error is not None:
                target = _value(transition.on_error)
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

_HIGHLIGHT_FILL = "#ffe08a"


def _dot_quote(text: Any) -> str:
    escaped = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _as_machine(machine: Machine | type[models.Model], field: str | None) -> Machine:
    if isinstance(machine, Machine):
        if field is not None and field != machine.field:
            raise ValueError(
                f"field={field!r} was given with the machine of {machine.label}: "
                "pass a model class to describe another field"
            )
        return machine
    return describe(machine, field)


def to_dot(
    machine: Machine | type[models.Model], field: str | None = None, *, highlight: Any = None
) -> str:
    """Graphviz DOT text of ``machine`` (or of ``describe(model, field)``).

    ``highlight`` is a state to fill in, such as an object's current state.
    Render it with ``dot -Tsvg``.
    """
    machine = _as_machine(machine, field)
    current = _value(highlight)
    ids = {state.value: f"s{index}" for index, state in enumerate(machine.states)}
    lines = [
        f"digraph {_dot_quote(machine.label)} {{",
        "    rankdir=LR;",
        '    node [shape=box, style=rounded, fontname="Helvetica"];',
        '    edge [fontname="Helvetica", fontsize=10];',
    ]
    for state in machine.states:
        attributes = [f"label={_dot_quote(state.text)}"]
        styles = ["rounded"]
        if state.value in machine.final:
            attributes.append("peripheries=2")
        if not state.declared:
            styles.append("dashed")
            attributes.append('color="#c53030"')
        if highlight is not None and state.value == current:
            styles.append("filled")
            attributes += [f'fillcolor="{_HIGHLIGHT_FILL}"', "penwidth=2"]
        attributes.insert(1, f"style={_dot_quote(','.join(styles))}")
        lines.append(f"    {ids[state.value]} [{', '.join(attributes)}];")
    if any(edge.target is None for edge in machine.edges):
        lines.append('    unknown [label="?", shape=circle];')
    for index, value in enumerate(machine.initial):
        lines.append(f"    start{index} [shape=point, width=0.15];")
        lines.append(f"    start{index} -> {ids[value]};")
    for edge in machine.edges:
        target = "unknown" if edge.target is None else ids[edge.target]
        attributes = [f"label={_dot_quote(edge.label)}"]
        if edge.on_error:
            attributes += ["style=dashed", 'color="#c53030"']
        elif edge.dynamic:
            attributes.append("style=dotted")
        lines.append(f"    {ids[edge.source]} -> {target} [{', '.join(attributes)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


# -- Mermaid -----------------------------------------------------------------------------


def _mermaid_text(text: str) -> str:
    # Mermaid ends a label at "#", ";" or a newline, and a state's name at '"'.
    return text.replace("#", "no. ").replace(";", ",").replace('"', "'").replace("\n", " ").strip()


def to_mermaid(
    machine: Machine | type[models.Model], field: str | None = None, *, highlight: Any = None
) -> str:
    """Mermaid ``stateDiagram-v2`` text of ``machine`` (or of ``describe(model, field)``).

    ``highlight`` is a state to mark, such as an object's current state. Markdown
    renderers with Mermaid (mkdocs-material, GitHub) draw it from a ```` ```mermaid ````
    fence; no program needs to be installed.
    """
    machine = _as_machine(machine, field)
    current = _value(highlight)
    ids = {state.value: f"s{index}" for index, state in enumerate(machine.states)}
    lines = ["stateDiagram-v2", f"    %% {_mermaid_text(machine.label)}", "    direction LR"]
    for state in machine.states:
        lines.append(f'    state "{_mermaid_text(state.text)}" as {ids[state.value]}')
    if any(edge.target is None for edge in machine.edges):
        lines.append('    state "?" as unknown')
    for value in machine.initial:
        lines.append(f"    [*] --> {ids[value]}")
    for edge in machine.edges:
        target = "unknown" if edge.target is None else ids[edge.target]
        lines.append(f"    {ids[edge.source]} --> {target}: {_mermaid_text(edge.label)}")
    for value in machine.final:
        if value in ids:
            lines.append(f"    {ids[value]} --> [*]")
    undeclared = [ids[state.value] for state in machine.states if not state.declared]
    if undeclared:
        lines.append("    classDef undeclared stroke:#c53030,stroke-dasharray:4 3")
        lines.append(f"    class {','.join(undeclared)} undeclared")
    if highlight is not None and current in ids:
        lines.append(f"    classDef current fill:{_HIGHLIGHT_FILL},stroke:#b7791f,stroke-width:3px")
        lines.append(f"    class {ids[current]} current")
    return "\n".join(lines) + "\n"
