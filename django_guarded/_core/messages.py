"""Error messages that name the model, the field, the state and the way out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django_guarded._core import source as _source
from django_guarded._core.fsm import is_state_field, shown
from django_guarded._core.methods import method_info
from django_guarded._core.wording import field_way_out, state_way_out, way_out, writers

if TYPE_CHECKING:
    from django.db.models import Field, Model

__all__ = [
    "cascade_delete",
    "direct_save",
    "field_write",
    "guarded_methods",
    "queryset_write",
    "unsaved_call",
]

_ESCAPE = (
    "For test setup or a one-off data fix, wrap the code in `with django_guarded.unguarded():`."
)


def _method_names(model: type[Model]) -> tuple[list[str], list[str]]:
    """The names of the transitions and of the operations defined on ``model``."""
    transitions: list[str] = []
    operations: list[str] = []
    for name in sorted(dir(model)):
        if name.startswith("__"):
            continue
        info = method_info(getattr(model, name, None))
        if info is not None:
            (transitions if info.kind == "transition" else operations).append(name)
    return transitions, operations


def guarded_methods(model: type[Model]) -> tuple[list[str], list[str]]:
    """The transitions and operations defined on ``model``, as ``Model.method()`` strings."""
    transitions, operations = _method_names(model)
    return _labels(model, transitions), _labels(model, operations)


def _labels(model: type[Model], names: list[str]) -> list[str]:
    return [f"{model.__name__}.{name}()" for name in names]


def manager_operations(model: type[Model]) -> list[str]:
    """The ``@operation`` methods of ``model``'s default manager and its queryset."""
    manager = model._default_manager
    found = []
    for owner in (type(manager), getattr(manager, "_queryset_class", None)):
        if owner is None:
            continue
        for name in sorted(dir(owner)):
            if name.startswith("_"):
                continue
            if method_info(getattr(owner, name, None)) is not None:
                label = f"{model.__name__}.{manager.name}.{name}()"
                if label not in found:
                    found.append(label)
    return found


def _field_for(model: type[Model], name: str) -> Field[Any, Any] | None:
    for field in model._meta.concrete_fields:
        if name in (field.name, field.attname):
            return field
    return None


def _transitions_of(model: type[Model], field: Field[Any, Any]) -> list[str]:
    labels = []
    for transition in field.get_all_transitions(model):  # type: ignore[attr-defined]
        label = f"{model.__name__}.{transition.name}()"
        if label not in labels:
            labels.append(label)
    return labels


def _own_methods(model: type[Model]) -> list[str]:
    """The transitions and operations of ``model`` and of its manager, as call labels."""
    transitions, operations = guarded_methods(model)
    return transitions + operations + manager_operations(model)


def field_writers(model: type[Model], field: Field[Any, Any]) -> list[str]:
    """The transitions and operations of ``model`` that assign ``field``, as call labels.

    Read from their source (see `django_guarded._core.source`); a method whose source
    is unknown is named too.
    """
    transitions, operations = _method_names(model)
    names = writers(transitions + operations, _source.bodies(model), {field.name, field.attname})
    return _labels(model, names)


def field_write(instance: Model, name: str) -> tuple[str, str]:
    """Message for an assignment to a guarded field from outside the model, and its
    short form for a form's field error (without the advice meant for programmers)."""
    model = type(instance)
    field = _field_for(model, name)
    label = f"{model.__name__}.{name}"
    if field is not None and is_state_field(field):
        state = shown(instance.__dict__.get(field.attname, "<not loaded>"))
        how = state_way_out(model.__name__, field.name, _transitions_of(model, field))
        short = f"{label} is guarded (current state {state!r}): {how}."
    elif field is None:
        short = f"{label} is guarded: {field_way_out(model.__name__, _own_methods(model))}."
    else:
        short = f"{label} is guarded: {field_way_out(model.__name__, field_writers(model, field))}."
    return f"{short} {_ESCAPE}", short


def direct_save(instance: Model, action: str) -> str:
    """Message for ``save()`` or ``delete()`` called from outside the model."""
    model = type(instance)
    how = way_out(
        _own_methods(model),
        "call one of its own methods instead",
        f"write a @transition or @operation method on {model.__name__} that does it",
    )
    return (
        f"{model.__name__}.{action}() is guarded: {model.__name__} objects change only through "
        f"their own transitions and operations, which save them; {how}. {_ESCAPE}"
    )


def queryset_write(model: type[Model], action: str) -> str:
    """Message for ``create()``, ``update()``, ``delete()`` or a bulk write on a queryset."""
    how = way_out(
        manager_operations(model),
        "use the manager's operations",
        f"write an @operation method on {model.__name__}'s manager or queryset that does it",
    )
    return (
        f"{model.__name__}.objects.{action}() is guarded: rows of {model.__name__} are created, "
        f"updated and deleted only by its manager's and its own methods; {how}. {_ESCAPE}"
    )


def cascade_delete(instance: Model) -> str:
    """Message for a cascade that would delete a guarded row from outside its model."""
    model = type(instance)
    return (
        f"Deleting this would also delete {model.__name__} pk={instance.pk!r}, which is guarded: "
        f"delete it through {model.__name__}'s own methods first, or make the relation "
        f"on_delete=models.PROTECT. {_ESCAPE}"
    )


def unsaved_call(instance: Model, method: str) -> str:
    """Message for a transition or operation called on an instance without a row."""
    model = type(instance)
    name = model.__name__
    which = "an unsaved" if instance._state.adding else "a deleted"
    how = way_out(
        manager_operations(model),
        f"create {name} objects through its manager's operations",
        f"write an @operation on {name}'s manager that creates them",
    )
    return (
        f"{name}.{method}() was called on {which} {name} object: its rows are created only by "
        f"its manager's operations, so that every rule of creating one runs; {how}, then call "
        f"{method}() on the object that returns."
    )


def not_a_transition(model: type[Model], method: Any) -> str:
    """Message for ``bulk_transition()`` of something that is not one of the transitions."""
    return (
        f"bulk_transition({method!r}): {model.__name__} has no @transition method of that "
        'name; pass the name of one, such as bulk_transition("expire")'
    )


def not_available(instance: Model, method: str, field: str, state: Any, sources: str) -> str:
    """Message for a transition called from a state it does not start from."""
    model = type(instance).__name__
    return (
        f"{model}.{method}() cannot run while {model}.{field} is {shown(state)!r}: it starts "
        f"from {sources}. Check can_proceed(obj.{method}) or "
        f"obj.get_available_{field}_transitions() first."
    )


def conditions_unmet(instance: Model, method: str, field: str, state: Any, names: str) -> str:
    """Message for a transition whose conditions do not hold."""
    model = type(instance).__name__
    return (
        f"{model}.{method}() cannot run from {field}={shown(state)!r}: its conditions are "
        f"not met ({names})."
    )


def describe_permission(permission: Any) -> str:
    """A transition's ``permission=`` in words: the name, or the check and its docstring."""
    if not callable(permission):
        return f"permission {permission!r}"
    doc = (getattr(permission, "__doc__", None) or "").strip().splitlines()
    name = getattr(permission, "__qualname__", repr(permission))
    return f"the permission check {name}()" + (f" ({doc[0].rstrip('.')})" if doc else "")


def permission_needed(instance: Model, method: str, permission: Any) -> str:
    """Message for a permissioned transition called without ``by=``."""
    return (
        f"{type(instance).__name__}.{method}() needs {describe_permission(permission)}: pass "
        "the acting user as by=user, or by=django_guarded.SYSTEM for code acting on its own "
        "behalf."
    )


def permission_refused(instance: Model, method: str, permission: Any, actor: Any) -> str:
    """Message for a transition the acting user may not run on the object."""
    model = type(instance).__name__
    where = "" if callable(permission) else " on this object or globally"
    return (
        f"{actor} may not run {model}.{method}() on {model} pk={instance.pk!r}: it needs "
        f"{describe_permission(permission)}{where}."
    )


def unknown_state_field(instance: Model, method: str, field: Any) -> str:
    """Message for a transition declared on a field the model does not have."""
    model = type(instance).__name__
    return (
        f"{model}.{method}() names the state field {field!r}, which {model} does not have: "
        "pass the field object or the name of an FSMField declared on the model"
    )
