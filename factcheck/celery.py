"""The Celery app: configured from Django settings (the CELERY_* block)."""

import os

from celery import Celery, signals
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")

# Every task counts its deliveries and parks itself if it keeps killing workers.
app = Celery("factcheck", task_cls="ops.deliveries:CountedTask")
app.config_from_object("django.conf:settings", namespace="CELERY")


app.autodiscover_tasks()


@signals.task_prerun.connect
@signals.task_postrun.connect
def _close_old_connections(sender=None, **kwargs) -> None:
    """Django's connection policy, per task as per request: close a connection that
    broke or outlived CONN_MAX_AGE, keep a healthy one. Celery's Django fixup would close
    every connection before and after every task (a new PostgreSQL connection, a few
    milliseconds, for each claim's triage: docs/BENCHMARKS.md); CELERY_DB_REUSE_MAX in
    settings turns that down to once per that many tasks, and this keeps the rest.
    An eager task runs inside its caller's transaction: its connection is left alone."""
    if sender is None or getattr(sender.request, "is_eager", False):
        return
    close_old_connections()
