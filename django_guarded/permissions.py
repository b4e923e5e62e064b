"""Who may run which transition, for one object or for a page of them.

A transition's ``permission`` is granted as django-fsm-2 grants it: a callable
``permission(instance, user)`` decides alone; a permission string is granted when
``user.has_perm(perm, instance)`` (an object permission, from django-guardian's
``ObjectPermissionBackend``) or ``user.has_perm(perm)`` (a global permission, from
Django's ``ModelBackend``) says so. `TransitionChecker` answers the same
question for many objects in a constant number of queries.

django-guardian is optional: it is imported here, lazily, and only used when its
backend is in ``AUTHENTICATION_BACKENDS``. Importing ``django_guarded`` never
imports this module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_backends
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.utils.encoding import force_str

from django_guarded._core.fsm import FSMFieldMixin, fsm_meta, state_fields

if TYPE_CHECKING:
    from django_fsm import Transition

__all__ = [
    "TransitionChecker",
    "available_transitions",
    "state_fields",
    "transitions_from_state",
]

#: ModelBackend methods that decide a global permission: a subclass that overrides
#: none of them answers exactly as ModelBackend, so its answer can be computed in bulk.
_MODEL_BACKEND_METHODS = (
    "has_perm",
    "get_all_permissions",
    "get_user_permissions",
    "get_group_permissions",
    "_get_permissions",
    "_get_user_permissions",
    "_get_group_permissions",
)


def _fields(obj: models.Model, field: str | None) -> list[FSMFieldMixin]:
    fields = state_fields(type(obj))
    if field is None:
        return fields
    chosen = [f for f in fields if field in (f.name, f.attname)]
    if not chosen:
        names = ", ".join(f.name for f in fields) or "none"
        raise ValueError(
            f"{type(obj).__name__} has no state field {field!r}: its FSM fields are {names}"
        )
    return chosen


def transitions_from_state(
    obj: models.Model, field: str | None = None
) -> Iterator[tuple[Transition, list[Callable[[Any], bool]]]]:
    """Each transition that starts from ``obj``'s current state, with its unmet conditions.

    A transition whose list of unmet conditions is empty is available. ``field``
    names one state field; by default every state field of the model is looked at.
    Permissions are not considered here.
    """
    for fsm_field in _fields(obj, field):
        state = fsm_field.get_state(obj)
        for method in fsm_field.transitions.get(type(obj), {}).values():
            meta = fsm_meta(method)
            if meta is None:
                continue
            if not meta.has_transition(state):
                continue
            transition = meta.get_transition(state)
            if transition is None:
                continue
            unmet = [condition for condition in transition.conditions if not condition(obj)]
            yield transition, unmet


def _overrides_nothing(backend: object, base: type, names: Sequence[str]) -> bool:
    return all(getattr(type(backend), name, None) is getattr(base, name) for name in names)


def _guardian_backend_class() -> type | None:
    from django.apps import apps

    if not apps.is_installed("guardian"):
        return None
    try:
        from guardian.backends import ObjectPermissionBackend
    except ImportError:  # pragma: no cover - listed in INSTALLED_APPS but not importable
        return None
    return ObjectPermissionBackend


class _Backends:
    """The configured authentication backends, sorted by how they can be asked."""

    def __init__(self) -> None:
        # Imported here: django.contrib.auth.backends needs the app registry ready,
        # and this module may be imported from a models module.
        from django.contrib.auth.backends import ModelBackend

        guardian_class = _guardian_backend_class()
        self.order: list[tuple[str, Any]] = []
        for backend in get_backends():
            if not hasattr(backend, "has_perm"):
                continue
            if isinstance(backend, ModelBackend) and _overrides_nothing(
                backend, ModelBackend, _MODEL_BACKEND_METHODS
            ):
                self.order.append(("model", backend))
            elif (
                guardian_class is not None
                and isinstance(backend, guardian_class)
                and _overrides_nothing(backend, guardian_class, ("has_perm",))
            ):
                self.order.append(("guardian", backend))
            else:
                self.order.append(("other", backend))
        self.uses_model = any(kind == "model" for kind, _ in self.order)
        self.uses_guardian = any(kind == "guardian" for kind, _ in self.order)


class TransitionChecker:
    """Decides, for one user, which transitions they may run on which objects.

    ``has_perm(transition, obj)`` answers as ``transition.has_perm(obj, user)``
    (django-fsm-2's check, which the transition call itself enforces), with the
    same backends, but from data loaded in bulk by `prefetch()`:

    * the user's global permissions: one query (none if Django already cached them
      on the user);
    * with django-guardian's backend configured, the user's and their groups' object
      permissions on the objects: guardian's
      ``ObjectPermissionChecker.prefetch_perms``, two queries per model.

    Active superusers are granted every permission string without a query, as
    ``User.has_perm`` does; inactive users none. A callable permission is called
    for each object, and an authentication backend other than Django's
    ``ModelBackend`` and guardian's ``ObjectPermissionBackend`` is asked for each
    object: their cost is theirs. Objects not prefetched are still answered
    correctly, at guardian's usual cost of queries per object.
    """

    def __init__(self, user: Any) -> None:
        self.user = user
        self._backends = _Backends()
        self._global: dict[str, bool] = {}
        self._held: dict[tuple[type[models.Model], str], set[str]] = {}
        self._guardian: Any = None

    @property
    def uses_object_permissions(self) -> bool:
        """Whether django-guardian's backend is configured, so object permissions count."""
        return self._backends.uses_guardian

    # -- loading --------------------------------------------------------------------------

    def prefetch(self, objects: Iterable[models.Model]) -> None:
        """Load the permissions needed to answer `has_perm()` for ``objects``.

        Only the permission strings of transitions available from each object's
        state are looked up, and only for the objects that have one.
        """
        self._prefetch(
            (obj, [t for t, unmet in transitions_from_state(obj) if not unmet]) for obj in objects
        )

    def _prefetch(self, pairs: Iterable[tuple[models.Model, list[Transition]]]) -> None:
        if self._grants_everything() or not self._is_active():
            return
        needed: dict[type[models.Model], list[models.Model]] = {}
        perms: set[str] = set()
        for obj, transitions in pairs:
            wanted = {t.permission for t in transitions if isinstance(t.permission, str)}
            wanted.discard("")
            if wanted:
                perms |= wanted
                needed.setdefault(obj._meta.concrete_model or type(obj), []).append(obj)
        if not perms:
            return
        if self._backends.uses_model:
            self._load_global(perms)
        if self._backends.uses_guardian:
            checker = self._guardian_checker()
            if checker is not None:
                for group in needed.values():
                    checker.prefetch_perms(group)

    def _is_active(self) -> bool:
        return bool(getattr(self.user, "is_active", False))

    def _grants_everything(self) -> bool:
        return self._is_active() and bool(getattr(self.user, "is_superuser", False))

    def _load_global(self, perms: Iterable[str]) -> None:
        missing = {perm for perm in perms if perm not in self._global}
        if not missing:
            return
        user = self.user
        cached = getattr(user, "_perm_cache", None)
        if cached is not None:
            # ModelBackend has already read all of them for this user object.
            loaded = set(cached)
        elif not self._is_active() or getattr(user, "is_anonymous", True) or user.pk is None:
            loaded = set()
        else:
            from django.contrib.auth.models import Permission

            # What ModelBackend reads in two queries (the user's own and their groups'
            # permissions), in one, and only for the permissions asked about.
            rows = (
                Permission.objects.filter(Q(user=user) | Q(group__user=user))
                .filter(codename__in={perm.split(".", 1)[-1] for perm in missing})
                .values_list("content_type__app_label", "codename")
                .distinct()
            )
            loaded = {f"{app_label}.{codename}" for app_label, codename in rows}
        for perm in missing:
            self._global[perm] = perm in loaded

    def _has_global(self, perm: str) -> bool:
        if perm not in self._global:
            self._load_global([perm])
        return self._global[perm]

    def _guardian_checker(self) -> Any:
        if self._guardian is None:
            from guardian.conf import settings as guardian_settings
            from guardian.core import ObjectPermissionChecker

            user = self.user
            if not user.is_authenticated and guardian_settings.ANONYMOUS_USER_NAME is None:
                self._guardian = False
            else:
                self._guardian = ObjectPermissionChecker(user)
        return self._guardian or None

    # -- answering ------------------------------------------------------------------------

    def has_perm(self, transition: Transition, obj: models.Model) -> bool:
        """Whether the user may run ``transition`` on ``obj`` (availability aside)."""
        permission = transition.permission
        if not permission:
            return True
        if callable(permission):
            return bool(permission(obj, self.user))
        return self.has_permission(str(permission), obj)

    def has_permission(self, perm: str, obj: models.Model | None = None) -> bool:
        """Whether the user holds the permission string ``perm`` on ``obj`` or globally."""
        if self._grants_everything():
            return True
        if obj is not None and self._ask_backends(perm, obj):
            return True
        return self._ask_backends(perm, None)

    def _ask_backends(self, perm: str, obj: models.Model | None) -> bool:
        # The order and the short-circuit on PermissionDenied are those of
        # django.contrib.auth.models._user_has_perm.
        for kind, backend in self._backends.order:
            try:
                if kind == "model":
                    granted = obj is None and self._is_active() and self._has_global(perm)
                elif kind == "guardian":
                    granted = obj is not None and self._guardian_grants(perm, obj)
                else:
                    granted = bool(backend.has_perm(self.user, perm, obj))
            except PermissionDenied:
                return False
            if granted:
                return True
        return False

    def _guardian_grants(self, perm: str, obj: models.Model) -> bool:
        app_label = perm.split(".", 1)[0] if "." in perm else None
        if app_label is not None and app_label != obj._meta.app_label:
            from guardian.ctypes import get_content_type

            # guardian's backend raises WrongAppError here: a permission of another
            # app can never be held on this object.
            if app_label != get_content_type(obj).app_label:
                return False
        return perm.rpartition(".")[2] in self.object_permissions(obj)

    def object_permissions(self, obj: models.Model) -> set[str]:
        """The codenames the user holds on ``obj`` itself (django-guardian), else empty."""
        if not self._backends.uses_guardian:
            return set()
        key = (obj._meta.concrete_model or type(obj), force_str(obj.pk))
        held = self._held.get(key)
        if held is None:
            checker = self._guardian_checker()
            # get_perms() answers from what prefetch_perms() loaded, and applies
            # guardian's rules for inactive users; superusers never get here.
            held = set() if checker is None else {force_str(c) for c in checker.get_perms(obj)}
            self._held[key] = held
        return held

    def available(self, obj: models.Model, field: str | None = None) -> list[Transition]:
        """The transitions available from ``obj``'s state that the user may run."""
        return [
            transition
            for transition, unmet in transitions_from_state(obj, field)
            if not unmet and self.has_perm(transition, obj)
        ]


def available_transitions(
    objects: Iterable[models.Model], user: Any, *, field: str | None = None
) -> dict[models.Model, list[Transition]]:
    """Map each object to the transitions it can take now and ``user`` may run.

    Available means: a transition starts from the object's current state and its
    conditions hold. Permitted means what the call itself enforces (see
    `TransitionChecker`). For saved objects of models whose transitions
    use permission strings, the permissions cost a constant number of queries
    however many objects there are: one for the user's global permissions and two
    for django-guardian's object permissions; pass a list to avoid the query that
    evaluating a queryset costs. ``field`` limits the answer to one state field.
    """
    candidates = [
        (obj, [t for t, unmet in transitions_from_state(obj, field) if not unmet])
        for obj in objects
    ]
    checker = TransitionChecker(user)
    checker._prefetch(candidates)
    return {obj: [t for t in found if checker.has_perm(t, obj)] for obj, found in candidates}
