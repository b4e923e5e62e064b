from django.db import migrations

from shop.models import Account


def backfill(apps, schema_editor):
    for account in Account.objects.all():
        account.status = "trial"
        account.save()
    Account.objects.filter(status="").update(status="trial")
    Account.objects.create(name="seed")


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [migrations.RunPython(backfill)]
