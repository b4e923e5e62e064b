"""Things that look like model writes and are not: none of these is reported."""

from django.core.files.storage import default_storage

from crm.models import Account
from shop.models import Report


def form_view(form, serializer, request):
    obj = form.save(commit=False)
    obj.save()
    serializer.save()
    default_storage.save("a.txt", request.FILES["f"])


class CreateAccountMutation:
    @classmethod
    def mutate(cls, root, info, **kwargs):
        cls.save()
        return cls(**kwargs)


def plain_objects(report: Report, data: dict, account: Account):
    report.status = "final"
    data.update(status="x")
    account.status = "crm accounts are not models"
    account.save()
    Account("new").save()


def unknown_receivers(thing, things):
    thing.status = "x"
    thing.save()
    thing.objects.create()
    things.update(status="x")
    things.delete()
    [t.save() for t in things]
