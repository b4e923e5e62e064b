import django.core.serializers.json
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="AuditRecord",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(
                        help_text="The configured clock's time, or the asof= of the call."
                    ),
                ),
                (
                    "model",
                    models.CharField(
                        help_text="app_label.modelname of the object.", max_length=255
                    ),
                ),
                (
                    "object_pk",
                    models.CharField(
                        blank=True, help_text="Primary key of the object, as text.", max_length=255
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("transition", "transition"),
                            ("operation", "operation"),
                            ("bulk_transition", "bulk transition"),
                        ],
                        max_length=20,
                    ),
                ),
                ("method", models.CharField(max_length=100)),
                (
                    "field",
                    models.CharField(
                        blank=True, help_text="The state field, if any.", max_length=100
                    ),
                ),
                ("source", models.CharField(blank=True, max_length=255, null=True)),
                ("target", models.CharField(blank=True, max_length=255, null=True)),
                ("actor", models.CharField(blank=True, help_text="str() of by=.", max_length=255)),
                ("actor_model", models.CharField(blank=True, max_length=255)),
                ("actor_pk", models.CharField(blank=True, max_length=255)),
                (
                    "data",
                    models.JSONField(
                        blank=True,
                        default=dict,
                        encoder=django.core.serializers.json.DjangoJSONEncoder,
                    ),
                ),
            ],
            options={
                "verbose_name": "audit record",
                "base_manager_name": "objects",
                "indexes": [
                    models.Index(
                        fields=["object_pk", "model", "id"], name="django_guarded_audit_object"
                    )
                ],
            },
        ),
    ]
