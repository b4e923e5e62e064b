"""The guarded models themselves: fields, ``GuardedModel``, managers, concurrency.

Nothing here imports the audit trail or the call engine: where a save must hand
work to them (the record written with an ``UPDATE``, a row created or deleted
inside a call), it asks the running call, through `django_guarded._core.permission`.
"""
