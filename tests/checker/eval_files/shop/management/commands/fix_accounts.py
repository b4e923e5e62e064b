from django.core.management.base import BaseCommand

from django_guarded import unguarded

from shop.models import Account


class Command(BaseCommand):
    def handle(self, *args, **options):
        with unguarded():
            Account.objects.filter(status="").update(status="trial")
        Account.objects.filter(status="").delete()  # error: GRD402
