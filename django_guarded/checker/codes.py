"""Rule codes of the static checker and the messages they print.

Every message says what was found, why it matters and what to call instead.
The codes are grouped by the kind of write:

* ``GRD1xx``: assignments to fields,
* ``GRD2xx``: ``save()`` and ``delete()`` on an instance,
* ``GRD3xx``: creating rows,
* ``GRD4xx``: bulk writes through a queryset or manager,
* ``GRD5xx``: switching the guards off (a warning),
* ``GRD6xx``: django-fsm migration aids.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """One rule: its code, a short title and how serious a finding is."""

    code: str
    title: str
    severity: str = "error"


RULES: dict[str, Rule] = {
    rule.code: rule
    for rule in (
        Rule("GRD101", "guarded field assigned outside the model"),
        Rule("GRD102", "guarded field set with setattr() outside the model"),
        Rule("GRD201", "save() called outside the model"),
        Rule("GRD202", "delete() called on an instance outside the model"),
        Rule("GRD301", "model constructed outside its manager"),
        Rule("GRD302", "create() called outside the model's manager"),
        Rule("GRD303", "get_or_create()/update_or_create() outside the model's manager"),
        Rule("GRD401", "queryset update() outside the model's manager"),
        Rule("GRD402", "queryset delete() outside the model's manager"),
        Rule("GRD403", "bulk_create() outside the model's manager"),
        Rule("GRD404", "bulk_update() outside the model's manager"),
        Rule("GRD501", "unguarded() used outside tests, migrations and commands", "warning"),
        Rule("GRD601", "save() right after a django-fsm transition"),
    )
}


def severity(code: str) -> str:
    """Return ``"error"`` or ``"warning"`` for a rule code."""
    rule = RULES.get(code)
    return rule.severity if rule else "error"


def _examples(prefix: str, methods: list[str], limit: int = 2) -> str:
    return " or ".join(f"{prefix}.{name}()" for name in sorted(methods)[:limit])


def _instead_methods(model: str, methods: list[str]) -> str:
    if methods:
        return f"call a method of {model} instead, such as {_examples(model, methods)}"
    return f"call a @transition or @operation method of {model} instead"


def _instead_manager(model: str, operations: list[str]) -> str:
    if operations:
        examples = _examples(f"{model}.objects", operations)
        return f"call a manager operation instead, such as {examples}"
    return f"add an @operation method to {model}'s manager or queryset and call that instead"


def field_message(
    code: str, model: str, field: str, kind: str, transitions: list[str], *, strict: bool
) -> str:
    """Message for GRD101/GRD102: a field written from outside its model."""
    how = "setattr() on" if code == "GRD102" else "assignment to"
    if kind == "fsm_ext":
        why = "a django-fsm state field only changes through its transitions"
    elif kind in ("guarded", "fsm"):
        why = "the field is guarded, so this write is refused at runtime"
    else:
        why = "strict mode: fields change only through model methods"
        return (
            f"{code} {how} {model}.{field} outside {model} ({why}); "
            f"move the change into a method of {model} and call it instead"
        )
    return f"{code} {how} {model}.{field} outside {model} ({why}); " + _instead_methods(
        model, transitions
    )


def instance_message(
    code: str, model: str, method: str, methods: list[str], *, strict: bool
) -> str:
    """Message for GRD201/GRD202: ``save()`` or ``delete()`` on an instance."""
    why = (
        "strict mode: rows change only through model methods"
        if strict
        else "writes to a guarded model are refused outside its own methods"
    )
    return f"{code} {model}.{method}() called outside {model} ({why}); " + _instead_methods(
        model, methods
    )


def create_message(code: str, model: str, call: str, operations: list[str], *, strict: bool) -> str:
    """Message for GRD301-GRD303: a row created outside the manager."""
    why = (
        "strict mode: rows are created only by manager methods"
        if strict
        else "new rows of a guarded model must come from its manager"
    )
    return f"{code} {call} outside {model}'s manager ({why}); " + _instead_manager(
        model, operations
    )


def bulk_message(code: str, model: str, method: str, operations: list[str], *, strict: bool) -> str:
    """Message for GRD401-GRD404: a bulk write through a queryset or manager."""
    why = (
        "strict mode: bulk writes belong in manager or queryset methods"
        if strict
        else "bulk writes skip the guards of each row"
    )
    return f"{code} {method}() on {model} rows outside its manager/queryset ({why}); " + (
        _instead_manager(model, operations)
    )


UNGUARDED_MESSAGE = (
    "GRD501 unguarded() outside tests, migrations and management commands switches every "
    "guard off; call the model's transitions and manager operations instead "
    "(or list this path in unguarded-allowed-paths)"
)


def fsm_save_message(model: str, transition: str) -> str:
    """Message for GRD601: ``save()`` right after a transition call."""
    return (
        f"GRD601 {model}.save() right after the transition {model}.{transition}() "
        "(django-guarded transitions save their own changes and refuse outside saves); "
        "drop this save() when the model moves to django-guarded"
    )
