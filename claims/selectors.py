"""Reads of claims."""

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from claims.models import Claim, ClaimStatus

RECONCILE_BATCH = 1000


def claims_awaiting_triage(*, older_than: datetime.timedelta) -> QuerySet[Claim]:
    """Received claims that no triage has moved on for `older_than`: their message was
    lost (Redis down or flushed) or is stuck. Oldest first, bounded per run."""
    cutoff = timezone.now() - older_than
    return (
        Claim.objects.filter(status=ClaimStatus.RECEIVED, status_changed_at__lt=cutoff)
        .order_by("status_changed_at")
        .values_list("pk", flat=True)[:RECONCILE_BATCH]
    )


def claims_per_status() -> dict[str, int]:
    from django.db.models import Count

    rows = Claim.objects.values("status").annotate(n=Count("pk")).order_by()
    counts = {status: 0 for status in ClaimStatus.values}
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def oldest_waiting_claim() -> Claim | None:
    """The claim waiting longest for a reviewer or for triage."""
    return (
        Claim.objects.filter(status__in=[ClaimStatus.RECEIVED, ClaimStatus.QUEUED])
        .order_by("status_changed_at")
        .first()
    )
