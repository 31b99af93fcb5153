"""Thin Celery tasks over claims services: ids in, re-fetch, one service call."""

import datetime
import logging

from celery import shared_task
from django.conf import settings

from claims import selectors, services

logger = logging.getLogger(__name__)


@shared_task(name="claims.triage")
def triage(claim_id: int) -> bool:
    """Received -> queued (or linked/merged), with up to TRIAGE_BATCH - 1 other received
    claims in the same transaction. Safe to run twice: the service only moves received
    claims; a message whose claim an earlier batch triaged returns False at once."""
    return services.claims_triage_batch(first_id=claim_id) > 0


@shared_task(name="claims.reconcile")
def reconcile() -> int:
    """Re-enqueue claims stuck in received: the database is the source of truth, so a
    message lost with Redis (down, flushed) is sent again. Duplicates are harmless
    because triage is idempotent."""
    older_than = datetime.timedelta(seconds=settings.FACTCHECK_RECONCILE_AFTER)
    claim_ids = list(selectors.claims_awaiting_triage(older_than=older_than))
    for claim_id in claim_ids:
        triage.delay(claim_id)
    if claim_ids:
        logger.info("Reconciler re-enqueued %s received claims", len(claim_ids))
    return len(claim_ids)
