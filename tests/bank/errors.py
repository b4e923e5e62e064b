"""The bank's errors: one base class to catch them all, as in the seed article."""

from __future__ import annotations


class Error(Exception):
    """Base class of every error the bank raises."""


class InvalidAmount(Error):
    """The amount is not a positive number within the per-action maximum."""


class AccountNotActive(Error):
    """The account is frozen or closed: money cannot move in or out."""


class InsufficientFunds(Error):
    """A withdrawal would make the balance negative."""


class ExceedsLimit(Error):
    """A deposit would take the balance over the account's limit."""


class ExceedsTotalCap(Error):
    """A deposit would take the total of all balances over the bank's cap."""
