"""The state change of a transition: its signals, its body, its new state.

django-fsm-2's ``FSMFieldMixin.change_state()`` checks the source and the
conditions again before it does this; the engine has checked them already
(`django_guarded._engine.rules`), so it moves the state itself, with the same
signals, arguments and ``on_error`` behaviour.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django_fsm.signals import post_transition, pre_transition

if TYPE_CHECKING:
    from django.db import models
    from django_fsm import FSMFieldMixin, Transition

__all__ = ["move"]


def _set(field: FSMFieldMixin, instance: models.Model, state: Any) -> None:
    field.set_proxy(instance, state)  # the state_choices proxy class, if any
    field.set_state(instance, state)


def move(
    field: FSMFieldMixin,
    instance: models.Model,
    transition: Transition,
    method: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    """Run ``method`` (the transition's body) on ``instance``, then set the state
    ``transition`` leads to.

    ``pre_transition`` is sent before the body, ``post_transition`` after the new
    state is set; a failing body with an ``on_error`` state sets that state and
    sends ``post_transition`` with ``exception=``, then re-raises.
    """
    source = field.get_state(instance)
    target = transition.target
    signal: dict[str, Any] = {
        "sender": type(instance),
        "instance": instance,
        "name": transition.name,
        "field": field,
        "source": source,
        "target": target,
        "method_args": args,
        "method_kwargs": kwargs,
    }
    pre_transition.send(**signal)
    try:
        result = method(instance, *args, **kwargs)
        if target is not None:
            if hasattr(target, "get_state"):  # RETURN_VALUE or GET_STATE
                target = target.get_state(instance, transition, result, args=args, kwargs=kwargs)
                signal["target"] = target
            _set(field, instance, target)
    except Exception as error:
        if transition.on_error is not None:
            _set(field, instance, transition.on_error)
            post_transition.send(**{**signal, "target": transition.on_error, "exception": error})
        raise
    post_transition.send(**signal)
    return result
