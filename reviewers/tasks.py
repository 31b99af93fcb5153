"""Thin Celery tasks over the review queue's services: ids in, one service call."""

from celery import shared_task

from factcheck.outbox import SEND_TASK_RETRY
from reviewers import services


@shared_task(name="reviewers.assign_queued")
def assign_queued() -> int:
    """Beat: assign queued claims (does nothing while auto-assignment is switched off)."""
    return len(services.queue_assign())


@shared_task(name="reviewers.sweep_deadlines")
def sweep_deadlines() -> int:
    """Beat: owe reminders and escalations, enqueue lost emails again."""
    return services.deadlines_sweep()


# The notice's attempt counter (services.NOTICE_MAX_ATTEMPTS) bounds the attempts across
# redeliveries too; max_retries is only the task's own backstop.
@shared_task(
    name="reviewers.send_email", max_retries=services.NOTICE_MAX_ATTEMPTS, **SEND_TASK_RETRY
)
def send_email(notice_id: int) -> bool:
    """Send one notice's email; a notice already sent (or being sent) is left alone."""
    return services.notice_send(notice_id=notice_id)
