"""What the admin offers on one object: its transitions and operations as buttons.

A *step* is a transition or an operation the admin may run, with its options
(label, help text, form, confirmation), resolved against an object's current
state. Used only by the admin package.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils.module_loading import import_string
from django.utils.text import capfirst

from django_guarded._core.fsm import fsm_meta, state_fields
from django_guarded._core.methods import method_info
from django_guarded.permissions import transitions_from_state

if TYPE_CHECKING:
    from django_fsm import Transition

__all__ = [
    "OPERATION_KEYS",
    "OPTION_KEYS",
    "Step",
    "condition_hint",
    "declared_steps",
    "resolve_step",
]

#: The keys a transition's ``custom`` dict (or the admin's ``transition_options``) may use.
OPTION_KEYS = frozenset({"label", "help_text", "form", "confirm", "admin", "bulk"})
#: An operation has no ``@transition(permission=...)``: its admin options name one.
OPERATION_KEYS = OPTION_KEYS | {"permission"}


@dataclass
class Step:
    """A transition or operation, as the admin shows and runs it for one object."""

    name: str
    kind: Literal["transition", "operation"]
    label: str
    help_text: str = ""
    form_class: type[forms.BaseForm] | None = None
    confirm: str | None = None
    bulk: bool = True
    permission: str | Callable[[Any, Any], bool] | None = None
    #: The django-fsm-2 transition for the object's current state (transitions only).
    transition: Transition | None = None
    #: Conditions of that transition that the object does not meet now.
    unmet: list[Callable[[Any], bool]] = field(default_factory=list)

    @property
    def needs_input(self) -> bool:
        """Whether the admin must ask before running it (a form or a confirmation)."""
        return self.form_class is not None or self.confirm is not None

    def hints(self) -> list[str]:
        """One sentence per unmet condition."""
        return [condition_hint(condition) for condition in self.unmet]


def condition_hint(condition: Callable[[Any], bool]) -> str:
    """What to do so that ``condition`` holds: its docstring's first line, else its name."""
    doc = (getattr(condition, "__doc__", None) or "").strip()
    if doc:
        return doc.splitlines()[0]
    name = getattr(condition, "__name__", repr(condition))
    return f"{capfirst(name.replace('_', ' '))}: not met yet."


def _form_class(value: Any, where: str) -> type[forms.BaseForm] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = import_string(value)
    if not (isinstance(value, type) and issubclass(value, forms.BaseForm)):
        raise ImproperlyConfigured(f"{where}: 'form' must be a Form class or its dotted path")
    return value


def _confirm_text(value: Any, label: str) -> str | None:
    if not value:
        return None
    if isinstance(value, str):
        return value
    return f"{label}: are you sure?"


def _build(
    name: str,
    kind: Literal["transition", "operation"],
    options: Mapping[str, Any],
    where: str,
) -> Step:
    allowed = OPTION_KEYS if kind == "transition" else OPERATION_KEYS
    unknown = set(options) - allowed
    if unknown:
        raise ImproperlyConfigured(
            f"{where}: unknown admin option(s) {', '.join(sorted(unknown))}; "
            f"the options are {', '.join(sorted(allowed))}"
            + (
                " (who may run a transition is its @transition(permission=...))"
                if "permission" in unknown
                else ""
            )
        )
    label = str(options.get("label") or capfirst(name.replace("_", " ")))
    return Step(
        name=name,
        kind=kind,
        label=label,
        help_text=str(options.get("help_text") or ""),
        form_class=_form_class(options.get("form"), where),
        confirm=_confirm_text(options.get("confirm"), label),
        bulk=bool(options.get("bulk", True)),
        permission=options.get("permission"),
    )


def _transition_methods(model: type[models.Model]) -> dict[str, Any]:
    """The transition methods of ``model`` by name, in the order the classes declare them."""
    methods: dict[str, Any] = {}
    for fsm_field in state_fields(model):
        methods.update(fsm_field.transitions.get(model, {}))
    order = [name for cls in reversed(model.__mro__) for name in vars(cls) if name in methods]
    return {name: methods[name] for name in dict.fromkeys(order)}


def _custom_of(method: Any) -> dict[str, Any]:
    """The ``custom`` options of a transition method (the same for each of its sources)."""
    merged: dict[str, Any] = {}
    meta = fsm_meta(method)
    for transition in meta.transitions.values() if meta is not None else ():
        merged.update(transition.custom or {})
    return {key: value for key, value in merged.items() if key in OPTION_KEYS}


def declared_steps(
    model: type[models.Model],
    transition_options: Mapping[str, Mapping[str, Any]],
    operation_buttons: Mapping[str, Mapping[str, Any]],
) -> dict[str, Step]:
    """Every step the admin of ``model`` offers, by method name (hidden ones left out).

    A transition's options come from its ``custom`` dict, overridden key by key by
    the admin's ``transition_options``. Operations are offered only when the admin
    lists them in ``operation_buttons``.
    """
    methods = _transition_methods(model)
    for name in transition_options:
        if name not in methods:
            raise ImproperlyConfigured(
                f"transition_options names {name!r}, which is not a transition of "
                f"{model.__name__}: its transitions are {', '.join(sorted(methods)) or 'none'}"
            )
    steps: dict[str, Step] = {}
    for name, method in methods.items():
        options = {**_custom_of(method), **transition_options.get(name, {})}
        if options.get("admin", True) is False:
            continue
        steps[name] = _build(name, "transition", options, f"{model.__name__}.{name}()")
    for name, declared in operation_buttons.items():
        info = method_info(getattr(model, name, None))
        if info is None or info.kind != "operation":
            raise ImproperlyConfigured(
                f"operation_buttons names {name!r}, which is not an @operation method of "
                f"{model.__name__}"
            )
        step = _build(name, "operation", declared, f"{model.__name__}.{name}()")
        if declared.get("admin", True) is not False:
            steps[name] = step
    return steps


def resolve_step(declared: Step, obj: models.Model) -> Step | None:
    """``declared`` as it applies to ``obj`` now; ``None`` if it cannot start from its state."""
    if declared.kind == "operation":
        return declared
    for transition, unmet in transitions_from_state(obj):
        if transition.name == declared.name:
            return Step(
                name=declared.name,
                kind="transition",
                label=declared.label,
                help_text=declared.help_text,
                form_class=declared.form_class,
                confirm=declared.confirm,
                bulk=declared.bulk,
                permission=transition.permission,
                transition=transition,
                unmet=unmet,
            )
    return None
