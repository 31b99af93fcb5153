"""Thin Celery tasks of publishing."""

from celery import shared_task

from publishing import changelog


# The name it had in claims/: a deployment's beat schedule and any message already
# queued keep working across the upgrade.
@shared_task(name="claims.sequence_changes")
def sequence_changes() -> int:
    """Number committed change events that have none. Each publish does this on commit;
    beat runs it too, for a process that died between its commit and that callback.
    Safe to run twice or at once: sequencers take turns under one row lock."""
    return changelog.change_events_sequence()
