"""What a transition checks before it may run: its state, its conditions, its permission.

Each is checked once per call: on the caller's copy, or with ``lock=True`` on the
row as just locked. The state change itself is `django_guarded._engine.moves`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured

from django_guarded._core import messages as _messages
from django_guarded._core.fsm import describe_sources, fsm_meta, is_state_field
from django_guarded.exceptions import TransitionNotAllowed, TransitionPermissionDenied

if TYPE_CHECKING:
    from django.db import models
    from django_fsm import FSMFieldMixin, FSMMeta, Transition

    from django_guarded._core.methods import MethodInfo

__all__ = ["SYSTEM", "Rules", "take_actor"]


class _System:
    """The actor of code that acts on its own behalf (a cron job, a data migration)."""

    def __repr__(self) -> str:
        return "django_guarded.SYSTEM"


#: Pass ``by=SYSTEM`` to run a permissioned transition as the system itself.
SYSTEM: Any = _System()


def take_actor(info: MethodInfo, kwargs: dict[str, Any]) -> Any:
    """The call's ``by=``, left in ``kwargs`` only if the method declares it."""
    return kwargs.get("by") if info.accepts_by else kwargs.pop("by", None)


class Rules:
    """The transitions of one method, as they apply to one instance."""

    __slots__ = ("field", "info", "instance", "meta")

    def __init__(self, info: MethodInfo, instance: models.Model) -> None:
        meta = fsm_meta(info.func)
        assert meta is not None, "a transition's function carries its FSMMeta"
        field = meta.field
        if not is_state_field(field):
            raise ImproperlyConfigured(_messages.unknown_state_field(instance, info.name, field))
        self.info = info
        self.instance = instance
        self.meta: FSMMeta = meta
        self.field: FSMFieldMixin = field

    def state(self) -> Any:
        """The instance's state now."""
        return self.field.get_state(self.instance)

    def check(self, actor: Any) -> Transition:
        """The transition that starts from the current state, once it is available,
        its conditions hold and ``actor`` may run it; raises otherwise."""
        state = self.state()
        transition = self._available(state)
        self._permitted(transition, actor)
        return transition

    def _available(self, state: Any) -> Transition:
        instance, name, field = self.instance, self.info.name, self.field.name
        transition = self.meta.get_transition(state) if self.meta.has_transition(state) else None
        if transition is None:
            raise TransitionNotAllowed(
                _messages.not_available(instance, name, field, state, describe_sources(self.meta)),
                object=instance,
                method=self.info.func,
            )
        failed = [condition for condition in transition.conditions if not condition(instance)]
        if failed:
            names = ", ".join(getattr(c, "__name__", repr(c)) for c in failed)
            raise TransitionNotAllowed(
                _messages.conditions_unmet(instance, name, field, state, names),
                object=instance,
                method=self.info.func,
            )
        return transition

    def _permitted(self, transition: Transition, actor: Any) -> None:
        permission = transition.permission
        if not permission or actor is SYSTEM:
            return
        if actor is None:
            raise TransitionPermissionDenied(
                _messages.permission_needed(self.instance, self.info.name, permission)
            )
        if not transition.has_perm(self.instance, actor):
            raise TransitionPermissionDenied(
                _messages.permission_refused(self.instance, self.info.name, permission, actor)
            )
