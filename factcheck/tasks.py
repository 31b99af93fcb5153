"""Handing work to the broker, for every app (not Celery tasks of its own).

Work that a task must do is first a row in the database (a received claim, a pending
notice, a sign-up owed its confirmation), written in the transaction that makes it due.
The task is sent once that transaction commits, so a worker never looks for a row that
is not there yet, and never for one that was rolled back. A broker outage at that
moment must not fail the request that already committed: the send is logged and given
up, and the app's sweep (the reconciler, the deadline sweep, the digest run) finds the
row waiting and sends its task again (docs/queue.md, *Failure guarantees*).
"""

import logging
from functools import partial
from typing import Any

from celery import Task
from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue(task: Task, *args: Any, what: str) -> bool:
    """Send `task` with `args` now; False (and a warning naming `what`, e.g. "triage of
    claim 7 (it stays received)") when the broker cannot be reached."""
    try:
        task.delay(*args)
    except Exception as exc:  # noqa: BLE001 - any broker error; the work is safe in the DB
        logger.warning("Could not enqueue %s: %s", what, exc)
        return False
    return True


def enqueue_on_commit(task: Task, *args: Any, what: str) -> None:
    """`enqueue` once the current transaction commits (at once outside of one), and
    never if it rolls back."""
    transaction.on_commit(partial(enqueue, task, *args, what=what))
