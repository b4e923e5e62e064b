"""The call engine: ``@transition``, ``@operation`` and bulk transitions.

A decorated method runs as a call object (`django_guarded._engine.call`) that
prepares, locks, checks, runs, persists and undoes, one short method per step.
"""
