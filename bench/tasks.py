"""The baseline task the triage benchmark compares against. Loaded into a worker only
through FACTCHECK_EXTRA_TASK_MODULES=bench.tasks; never part of the service."""

from celery import shared_task


@shared_task(name="bench.noop")
def noop(claim_id: int) -> None:
    """Takes the same argument as claims.triage and does nothing: what a message costs
    the broker, the worker and the delivery counter (ops.deliveries) on its own."""
