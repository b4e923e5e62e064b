from __future__ import annotations

from typing import Any

from django.db import migrations


def create_states(apps: Any, schema_editor: Any) -> None:
    DocumentState = apps.get_model("testapp", "DocumentState")
    for key in ("draft", "published"):
        DocumentState.objects.create(id=key, label=key.title())


class Migration(migrations.Migration):
    dependencies = [("testapp", "0001_initial")]

    operations = [migrations.RunPython(create_states, migrations.RunPython.noop)]
