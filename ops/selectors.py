"""What the queue looks like right now: for `queue_status`, the admin page and /healthz."""

import datetime
from dataclasses import dataclass, field

import redis
from django.conf import settings
from django.utils import timezone

from claims import selectors as claim_selectors
from factcheck.redis import redis_client
from ops.models import Heartbeat, ParkedTask


@dataclass
class QueueSnapshot:
    claims_per_status: dict[str, int]
    oldest_waiting: dict | None
    tasks_per_queue: dict[str, int | None]  # None: the broker did not answer
    parked_tasks: int
    last_heartbeat: datetime.datetime | None
    heartbeat_stale: bool
    heartbeats: list[dict] = field(default_factory=list)


def tasks_per_queue() -> dict[str, int | None]:
    names = list(settings.CELERY_QUEUE_NAMES)
    try:
        pipe = redis_client().pipeline()
        for name in names:
            pipe.llen(name)  # kombu's Redis transport keeps a queue as a list of its name
        return dict(zip(names, pipe.execute(), strict=True))
    except (redis.RedisError, OSError):
        return dict.fromkeys(names)


def last_heartbeat() -> tuple[datetime.datetime | None, bool]:
    """The newest worker heartbeat and whether it is stale (or missing)."""
    latest = Heartbeat.objects.order_by("-at").values_list("at", flat=True).first()
    stale_after = datetime.timedelta(seconds=settings.FACTCHECK_HEARTBEAT_STALE)
    return latest, latest is None or timezone.now() - latest > stale_after


def queue_snapshot() -> QueueSnapshot:
    oldest = claim_selectors.oldest_waiting_claim()
    latest, stale = last_heartbeat()
    return QueueSnapshot(
        claims_per_status=claim_selectors.claims_per_status(),
        oldest_waiting=None
        if oldest is None
        else {
            "id": oldest.pk,
            "claim": oldest.claim_reviewed,
            "status": oldest.status,
            "since": oldest.status_changed_at,
        },
        tasks_per_queue=tasks_per_queue(),
        parked_tasks=ParkedTask.objects.count(),
        last_heartbeat=latest,
        heartbeat_stale=stale,
        heartbeats=list(Heartbeat.objects.values("name", "at")),
    )
