from __future__ import annotations

from django.apps import AppConfig


class PickupConfig(AppConfig):
    """ "Managing state in Django models": a hotel's airport pickups."""

    name = "demo.pickup"
    label = "pickup"
    verbose_name = "Airport pickups"
