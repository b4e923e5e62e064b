"""System checks on the shape of each state machine (``django_guarded.E004`` to ``E006``,
``W004`` and ``W005``).

They read the machines as `django_guarded.graph` describes them, so a warning
names the same states and transitions the diagrams show.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core import checks
from django.db import models

from django_guarded import graph
from django_guarded._core.fsm import FSMFieldMixin, fsm_meta, state_fields
from django_guarded.checks.selection import models_of

_DECLARATIONS = ("guarded_initial_states", "guarded_final_states")


def _listed(values: Iterable[Any]) -> str:
    """States as a sentence lists them: `'a', 'b'`."""
    return ", ".join(repr(value) for value in values)


def check_machines(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """E004, E006, W004, W005: each machine starts, moves and ends among its states."""
    errors: list[checks.CheckMessage] = []
    for model in models_of(app_configs):
        fields = state_fields(model)
        if not fields:
            continue
        declarations = _check_declarations(model, fields)
        errors += declarations
        for field in fields:
            if field.model is not model:
                continue  # a multi-table child: its parent's machine is checked there
            errors += _check_default(model, field)
            if declarations:
                continue  # the machine's ends are not known until they are fixed
            machine = graph.describe(model, field.name)
            errors += _check_reachable(machine)
            errors += _check_way_out(machine)
    return errors


def _check_default(model: type[models.Model], field: FSMFieldMixin) -> list[checks.CheckMessage]:
    if not field.choices or not field.has_default() or callable(field.default):
        return []
    choices = [value for value, _ in field.flatchoices]
    if field.default in choices:
        return []
    return [
        checks.Error(
            f"{model.__name__}.{field.name} starts in {field.default!r} (its default), which "
            "is not one of its choices.",
            hint=f"Set default= to one of the choices ({_listed(choices)}).",
            obj=model,
            id="django_guarded.E004",
        )
    ]


def _check_declarations(
    model: type[models.Model], fields: list[FSMFieldMixin]
) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    by_name = {field.name: field for field in fields}
    for attribute in _DECLARATIONS:
        declared = getattr(model, attribute, None)
        if declared is None:
            continue
        where = f"{model.__name__}.{attribute}"
        if not isinstance(declared, Mapping):
            errors.append(
                _bad_declaration(model, f"{where} is a {type(declared).__name__}.", attribute)
            )
            continue
        for name, states in declared.items():
            field = by_name.get(name)
            if field is None:
                errors.append(
                    _bad_declaration(
                        model,
                        f"{where} names {name!r}, which is not a state field of "
                        f"{model.__name__} (its state fields: {', '.join(by_name)}).",
                        attribute,
                    )
                )
                continue
            if isinstance(states, (str, bytes)) or not isinstance(states, Iterable):
                errors.append(
                    _bad_declaration(
                        model, f"{where}[{name!r}] is {states!r}, not a list.", attribute
                    )
                )
                continue
            choices = [value for value, _ in field.flatchoices]
            unknown = [state for state in states if choices and state not in choices]
            if unknown:
                errors.append(
                    _bad_declaration(
                        model,
                        f"{where}[{name!r}] lists {_listed(unknown)}, which "
                        f"{'is' if len(unknown) == 1 else 'are'} not among the choices of "
                        f"{model.__name__}.{name}.",
                        attribute,
                    )
                )
    return errors


def _bad_declaration(
    model: type[models.Model], message: str, attribute: str
) -> checks.CheckMessage:
    return checks.Error(
        message,
        hint=(
            f'Write {attribute} = {{"<state field>": [<states among its choices>]}}, '
            f'such as {attribute} = {{"state": ["done"]}}.'
        ),
        obj=model,
        id="django_guarded.E006",
    )


def _declared_states(machine: graph.Machine) -> list[Any]:
    return [state.value for state in machine.states if state.declared]


def _check_reachable(machine: graph.Machine) -> list[checks.CheckMessage]:
    if not machine.initial:
        return []
    reached = machine.reachable(machine.initial)
    missing = [value for value in _declared_states(machine) if value not in reached]
    if not missing:
        return []
    model = machine.model.__name__
    starts = "its default" if len(machine.initial) == 1 else "the states it starts in"
    return [
        checks.Warning(
            f"{model}.{machine.field} can never become {_listed(missing)}: no chain of "
            f"transitions leads there from {starts} ({_listed(machine.initial)}).",
            hint=(
                "Add a transition that leads there, or remove the state from the choices. "
                "If objects are created in it, list it in "
                f'{model}.guarded_initial_states = {{"{machine.field}": [...]}}.'
            ),
            obj=machine.model,
            id="django_guarded.W004",
        )
    ]


def _check_way_out(machine: graph.Machine) -> list[checks.CheckMessage]:
    final = set(machine.final)
    if not final:
        return []  # a machine without an end, such as a traffic light, cycles by design
    candidates = _declared_states(machine)
    if machine.initial:
        reached = machine.reachable(machine.initial)
        candidates = [value for value in candidates if value in reached]  # W004's business
    stuck = [
        value
        for value in candidates
        if value not in final and not machine.reachable([value]) & final
    ]
    if not stuck:
        return []
    model = machine.model.__name__
    if machine.final_declared:
        hint = (
            "Add a transition that leads from there towards an end, or, if the machine may "
            f"end there, add the state to {model}.guarded_final_states."
        )
    else:
        hint = (
            "Add a transition that leads from there towards an end. If the machine ends "
            f"in {_listed(stuck)}, say so: {model}.guarded_final_states = "
            f'{{"{machine.field}": [...]}}.'
        )
    return [
        checks.Warning(
            f"{model}.{machine.field} has no way out of {_listed(stuck)}: no chain of "
            f"transitions leads from there to an end state ({_listed(machine.final)}).",
            hint=hint,
            obj=machine.model,
            id="django_guarded.W005",
        )
    ]


def _field_name(meta: Any) -> str | None:
    field = getattr(meta, "field", None)
    return field if isinstance(field, str) else getattr(field, "name", None)


def check_transition_names(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """E005: one name, one transition of a state field."""
    errors: list[checks.CheckMessage] = []
    for model in models_of(app_configs):
        fields = state_fields(model)
        if fields:
            errors += _check_overrides(model, {field.name for field in fields})
            for field in fields:
                errors += _check_same_names(model, field)
    return errors


def _check_overrides(model: type[models.Model], fields: set[str]) -> list[checks.CheckMessage]:
    """An inherited transition that the model replaces by something else."""
    errors: list[checks.CheckMessage] = []
    seen: set[str] = set()
    for base in model.__mro__[1:]:
        for name, attr in vars(base).items():
            meta = fsm_meta(attr)
            field = _field_name(meta) if meta is not None else None
            if field not in fields or name in seen:
                continue
            seen.add(name)
            resolved = getattr(model, name, None)
            resolved_field = _field_name(fsm_meta(resolved))
            if resolved_field == field:
                continue
            what = (
                f"a transition of {resolved_field}"
                if resolved_field
                else "something that is not a transition"
            )
            errors.append(
                checks.Error(
                    f"{model.__name__}.{name} replaces the transition "
                    f"{base.__name__}.{name}() of {field} with {what}: on {model.__name__}, "
                    f"{name}() no longer changes {field}.",
                    hint=(
                        f"Decorate {model.__name__}.{name}() with @transition(field={field}, "
                        "...) too, or give it another name."
                    ),
                    obj=model,
                    id="django_guarded.E005",
                )
            )
    return errors


def _check_same_names(model: type[models.Model], field: FSMFieldMixin) -> list[checks.CheckMessage]:
    """Two transition methods of the field that carry the same ``__name__``."""
    by_name: dict[str, list[tuple[str, Any]]] = {}
    for attribute, method in sorted(field.transitions.get(model, {}).items()):
        meta = fsm_meta(method)
        entries = by_name.setdefault(method.__name__, [])
        if all(known is not meta for _, known in entries):  # an alias is the same transition
            entries.append((attribute, meta))
    errors: list[checks.CheckMessage] = []
    for name, entries in by_name.items():
        if len(entries) < 2:
            continue
        attributes = " and ".join(f"{model.__name__}.{attribute}" for attribute, _ in entries)
        errors.append(
            checks.Error(
                f"{attributes} are different transitions of {field.name} that are all named "
                f"{name}(): the admin, the audit trail and bulk_transition() tell transitions "
                "apart by name.",
                hint="Give each transition method a name of its own (its def line).",
                obj=model,
                id="django_guarded.E005",
            )
        )
    return errors
