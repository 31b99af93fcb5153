"""Triage through real Celery worker processes and a real Redis broker."""

import pytest

from claims import services
from claims.models import Claim, ClaimStatus
from claims.tasks import triage
from tests.conftest import wait_for
from tests.factories import ClaimantFactory

pytestmark = pytest.mark.worker


def _status(claim_id: int) -> str:
    return Claim.objects.values_list("status", flat=True).get(pk=claim_id)


def test_created_claim_is_triaged_by_a_real_worker(celery_workers, reviewer):
    celery_workers.start(queues="intake")
    claim = services.claim_create(
        actor=reviewer,
        text="Russia fired an estimated 10 million rounds in Ukraine last year.",
        claim_reviewed="Russia fired about 10 million artillery rounds in a year",
        claimant=ClaimantFactory(),
    )

    wait_for(lambda: _status(claim.pk) == ClaimStatus.QUEUED, timeout=60)

    triage_rows = claim.history.filter(history_change_reason="triage")
    assert triage_rows.count() == 1
    assert triage_rows.get().history_user is None  # the system acted, not a person


def test_a_triage_delivered_twice_moves_the_claim_once(celery_workers):
    claim = services.claim_create(
        actor=None,
        text="Russia may produce 2 million shells per year.",
        claim_reviewed="Russia may produce 2 million shells a year",
        claimant=ClaimantFactory(),
    )
    triage.delay(claim.pk)  # a second message for the same claim, as a redelivery would be
    celery_workers.start(queues="intake", concurrency=2)

    wait_for(lambda: _status(claim.pk) == ClaimStatus.QUEUED, timeout=60)
    # Both messages are consumed before we count.
    wait_for(lambda: celery_workers.logs().count("succeeded") >= 2, timeout=60)
    assert claim.history.filter(history_change_reason="triage").count() == 1


def test_a_new_claim_puts_exactly_one_message_on_the_intake_queue(clean_broker, transactional_db):
    services.claim_create(
        actor=None,
        text="The administration has about $5 billion left to send to Ukraine.",
        claim_reviewed="About $5 billion of Ukraine aid authority is left",
        claimant=ClaimantFactory(),
    )
    lengths = {q: clean_broker.llen(q) for q in ("intake", "default", "email", "webhooks", "fetch")}
    assert lengths == {"intake": 1, "default": 0, "email": 0, "webhooks": 0, "fetch": 0}
