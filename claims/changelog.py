"""The change log: every publish, correction and withdrawal, numbered in commit order.

An event is written in the transaction that publishes, with no number. After that
transaction commits, the sequencer numbers every committed event that has none, under
one lock, so numbers are gap-free and a reader polling `seq > N` sees each event once
and in order, however the publishing transactions interleaved. The sequencer runs on
commit of each publishing transaction and from beat (claims.sequence_changes), which
covers a process that died between its commit and its on-commit callback.
"""

import logging

from django.db import transaction
from django.utils import timezone

from claims.models import ChangeEvent, ChangeSequencer, ChangeType, Claim

logger = logging.getLogger(__name__)

# Events numbered per sequencer transaction; the rest wait for the next round.
SEQUENCE_BATCH = 1000


def change_event_record(*, claim: Claim, type: ChangeType, document: str | None) -> ChangeEvent:
    """Write the event inside the caller's transaction and number it after commit."""
    return change_events_record([(claim, type, document)])[0]


def change_events_record(
    changes: list[tuple[Claim, ChangeType, str | None]],
) -> list[ChangeEvent]:
    """Write several events in one INSERT (a batch of publications) and number them all
    with one sequencer run after commit."""
    now = timezone.now()
    events = ChangeEvent.objects.bulk_create(
        ChangeEvent(claim=claim, type=type, document=document, at=now)
        for claim, type, document in changes
    )
    if events:
        transaction.on_commit(change_events_sequence_quietly)
    return events


def change_events_sequence() -> int:
    """Number the committed events that have no number yet. Returns how many."""
    ChangeSequencer.objects.get_or_create(pk=1)
    numbered = 0
    while True:
        with transaction.atomic():
            # The lock makes sequencers take turns; everything read after it is
            # committed, so an event still in an open transaction waits its turn.
            sequencer = ChangeSequencer.objects.select_for_update().get(pk=1)
            pending = list(
                ChangeEvent.objects.filter(seq__isnull=True)
                .order_by("id")
                .only("id")[:SEQUENCE_BATCH]
            )
            now = timezone.now()
            for offset, event in enumerate(pending, start=1):
                event.seq, event.sequenced_at = sequencer.last_seq + offset, now
            # One UPDATE for the batch (CASE on the id), not one per event.
            ChangeEvent.objects.bulk_update(pending, ["seq", "sequenced_at"])
            sequencer.last_seq += len(pending)
            sequencer.save(update_fields=["last_seq"])
        numbered += len(pending)
        if len(pending) < SEQUENCE_BATCH:
            return numbered


def change_events_sequence_quietly() -> None:
    """On-commit form: the publish has committed, so a failure here must not surface
    to the caller; beat numbers the event on its next run."""
    try:
        change_events_sequence()
    except Exception:  # noqa: BLE001 - any database error; beat retries
        logger.exception("Could not number change events now; beat will")


def last_sequenced() -> tuple[int, "timezone.datetime | None"]:
    """The newest numbered event's seq and time: what list and changes ETags follow."""
    row = (
        ChangeEvent.objects.filter(seq__isnull=False)
        .order_by("-seq")
        .values_list("seq", "sequenced_at")
        .first()
    )
    return row if row else (0, None)
