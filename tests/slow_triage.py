"""Loaded into the worker processes a fault test starts
(FACTCHECK_EXTRA_TASK_MODULES=tests.slow_triage): every triage task holds its claim's
row lock and its open transaction for HOLD seconds, so that the test can kill the worker
in the middle of a triage. Production code knows nothing of it: a Celery signal receiver
wraps the task's database statements (Django's execute_wrapper) and sleeps after the
first one inside the triage's transaction that reads claims (on PostgreSQL the lock of
the message's claim, `SELECT ... FOR UPDATE`; SQLite, which has no row locks, holds its
transaction)."""

import contextlib
import time

from celery import signals
from django.db import connection

HOLD = 1.0  # seconds

_wrapped = contextlib.ExitStack()


class _HoldFirstLock:
    """An execute wrapper that sleeps once, after the first statement on claims inside a
    transaction (the plain read before it, outside one, is not held)."""

    def __init__(self) -> None:
        self.held = False

    def __call__(self, execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not self.held and context["connection"].in_atomic_block and "claims_claim" in sql:
            self.held = True
            time.sleep(HOLD)
        return result


@signals.task_prerun.connect
def _hold_triage(sender=None, **kwargs) -> None:
    if sender is not None and sender.name == "claims.triage":
        _wrapped.enter_context(connection.execute_wrapper(_HoldFirstLock()))


@signals.task_postrun.connect
def _release(sender=None, **kwargs) -> None:
    _wrapped.close()
