"""Operator actions on the queue."""

from celery import current_app
from django.db import transaction

from ops.models import ParkedTask


def parked_task_retry(*, parked: ParkedTask) -> str:
    """Send a parked task again (as a new message with a fresh delivery count) and
    remove it from the dead letters. Returns the new task id."""
    with transaction.atomic():
        row = ParkedTask.objects.select_for_update().get(pk=parked.pk)
        result_ids: list[str] = []
        transaction.on_commit(
            lambda: result_ids.append(
                current_app.send_task(
                    row.name, args=row.args, kwargs=row.kwargs, queue=row.queue or None
                ).id
            )
        )
        row.delete()
    return result_ids[0] if result_ids else ""
