# checker-options: strict
"""Strict mode: GRD1xx-GRD4xx for every Django model, guarded or not."""

from crm.models import Account as NotAModel
from crm.models import Contact
from shop.models import Account, Order, Tag


def edit_contact(pk):
    contact = Contact.objects.get(pk=pk)
    contact.email = "a@example.com"  # error: GRD101
    setattr(contact, "account_name", "x")  # error: GRD102
    contact.save()  # error: GRD201
    contact.delete()  # error: GRD202
    contact.not_a_field = 1
    Contact(email="b@example.com")  # error: GRD301
    Contact.objects.create(email="c@example.com")  # error: GRD302
    Contact.objects.filter(pk=pk).update(email="")  # error: GRD401
    Contact.objects.bulk_create([])  # error: GRD403


def guarded_model_in_strict_mode(account: Account, order: Order):
    account.name = "plain field of a guarded model"  # error: GRD101
    order.account.name = "x"  # error: GRD101
    order.note = "x"  # error: GRD101
    order.account.orders.update(note="")  # error: GRD401
    account.tags.create(label="vip")  # error: GRD302
    for tag in Tag.objects.all():
        tag.save()  # error: GRD201


def same_class_name_elsewhere(account: NotAModel):
    account.status = "x"
    account.save()


def mutation_and_forms(cls, form, serializer, storage):
    form.save()
    serializer.save()
    storage.save("name", None)
    cls.save()
