"""Thin Celery tasks over claims services: ids in, re-fetch, one service call."""

import time

from celery import shared_task
from django.conf import settings

from claims import services


@shared_task(name="claims.triage")
def triage(claim_id: int) -> bool:
    """Received -> queued. Safe to run twice: the service only moves a received claim.
    (The full pipeline of normalising, language and priority comes with the queue issue.)"""
    if settings.FACTCHECK_TRIAGE_DELAY:
        # Lets fault tests kill a worker while a triage is in flight.
        time.sleep(settings.FACTCHECK_TRIAGE_DELAY)
    return services.claim_triage(claim_id=claim_id)
