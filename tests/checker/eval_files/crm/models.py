from django.db import models


class Account:
    """Same class name as shop.models.Account, but not a model at all."""

    def __init__(self, status):
        self.status = status

    def save(self):
        return self.status


class Contact(models.Model):
    email = models.EmailField()
    account_name = models.CharField(max_length=50)
