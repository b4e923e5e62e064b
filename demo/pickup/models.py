"""The airport pickup of "Managing state in Django models".

request -> waiting (a driver is assigned) -> to_airport (the driver accepts) ->
to_hotel (the guest is picked up) -> dropped_off; the driver may decline while
waiting or on the way to the airport, which puts the request back for another
driver. Hotel staff assign; only the assigned driver moves the pickup on.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from django_guarded import FSMField, GuardedManager, GuardedModel, guarded, operation, transition


# --8<-- [start:permission]
def is_assigned_driver(pickup: Pickup, user: Any) -> bool:
    """Only the driver the pickup is assigned to may move it on."""
    return pickup.driver_id is not None and pickup.driver_id == user.pk


# --8<-- [end:permission]


class PickupManager(GuardedManager["Pickup"]):
    @operation
    def request(self, guest: str, flight: str) -> Pickup:
        return self.create(guest=guest, flight=flight)


class Pickup(GuardedModel):
    class State(models.TextChoices):
        REQUEST = "request", "Requested"
        WAITING = "waiting", "Waiting for the driver"
        TO_AIRPORT = "to_airport", "Driving to the airport"
        TO_HOTEL = "to_hotel", "Driving to the hotel"
        DROPPED_OFF = "dropped_off", "Dropped off"

    guest = models.CharField(max_length=100)
    flight = models.CharField(max_length=20)
    state = FSMField(choices=State.choices, default=State.REQUEST, max_length=20)
    driver = guarded(
        models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    )

    objects = PickupManager()

    class Meta:
        permissions = [("dispatch_pickup", "Can assign a driver to pickup")]

    def __str__(self) -> str:
        return f"{self.guest} ({self.flight})"

    # --8<-- [start:transitions]
    @transition(
        field=state,
        source=State.REQUEST,
        target=State.WAITING,
        permission="pickup.dispatch_pickup",
        custom={"label": "Assign a driver", "form": "demo.pickup.admin.AssignForm"},
    )
    def assign(self, driver: Any) -> None:
        self.driver = driver

    @transition(
        field=state,
        source=State.WAITING,
        target=State.TO_AIRPORT,
        permission=is_assigned_driver,
        custom={"label": "Accept", "help_text": "Take the job and drive to the airport."},
    )
    def accept(self) -> None:
        pass

    @transition(
        field=state,
        source=[State.WAITING, State.TO_AIRPORT],
        target=State.REQUEST,
        permission=is_assigned_driver,
        custom={"label": "Decline", "confirm": "Give this pickup back for another driver?"},
    )
    def decline(self) -> None:
        self.driver = None

    # --8<-- [end:transitions]
    @transition(
        field=state,
        source=State.TO_AIRPORT,
        target=State.TO_HOTEL,
        permission=is_assigned_driver,
        custom={"label": "Guest picked up"},
    )
    def picked_up(self) -> None:
        pass

    @transition(
        field=state,
        source=State.TO_HOTEL,
        target=State.DROPPED_OFF,
        permission=is_assigned_driver,
        custom={"label": "Guest dropped off"},
    )
    def dropped_off(self) -> None:
        pass
