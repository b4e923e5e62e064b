"""GRD201/GRD202: save() and delete() on a guarded instance."""

from django.shortcuts import get_object_or_404

from shop.models import Account, Order


def view(request, pk):
    account = get_object_or_404(Account, pk=pk)
    account.save()  # error: GRD201
    account.save(update_fields=["name"])  # error: GRD201
    account.delete()  # error: GRD202
    account.signup()
    order = Order.objects.get(pk=pk)
    order.save()  # plain model, not strict: fine
    order.delete()


async def async_view(pk):
    account = await Account.objects.aget(pk=pk)
    await account.asave()  # error: GRD201
    await account.adelete()  # error: GRD202


def from_queryset_shortcut(pk):
    account = get_object_or_404(Account.objects.filter(status="trial"), pk=pk)
    account.save()  # error: GRD201
