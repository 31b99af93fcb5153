"""The change log: every publish, correction and withdrawal, numbered in commit order.

An event is written in the transaction that publishes, with no number. After that
transaction commits, the sequencer numbers every committed event that has none, under
one lock, so numbers are gap-free and a reader polling `seq > N` sees each event once
and in order, however the publishing transactions interleaved. The sequencer runs on
commit of each publishing transaction and from beat (claims.sequence_changes), which
covers a process that died between its commit and its on-commit callback.
"""

import logging

from django.db import connection, transaction
from django.utils import timezone

from claims.models import Claim
from publishing.models import ChangeEvent, ChangeSequencer, ChangeType

logger = logging.getLogger(__name__)

# Events numbered per sequencer transaction; the rest wait for the next round.
SEQUENCE_BATCH = 1000
NEWEST_SQL = (
    f"SELECT seq, sequenced_at FROM {ChangeEvent._meta.db_table} "  # noqa: S608 - no input
    "WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1"
)


def change_event_record(*, claim: Claim, type: ChangeType, document: str | None) -> ChangeEvent:
    """Write the event inside the caller's transaction and number it after commit."""
    return change_events_record([ChangeEvent(claim=claim, type=type, document=document)])[0]


def change_events_record(changes: list[ChangeEvent]) -> list[ChangeEvent]:
    """Write several (unsaved) events in one INSERT (a batch of publications) and number
    them all with one sequencer run after commit."""
    now = timezone.now()
    for event in changes:
        event.at = now
    events = ChangeEvent.objects.bulk_create(changes)
    if events:
        _sequence_on_commit()
    return events


def _sequence_on_commit() -> None:
    """Register the sequencer once per transaction: one run numbers every event of it,
    and a batch publish of 1,000 claims would otherwise run it 1,000 times. A callback
    registered outside every savepoint now open survives whatever ours would."""
    connection = transaction.get_connection()
    open_savepoints = set(connection.savepoint_ids)
    for savepoints, func, _robust in connection.run_on_commit:
        if func is change_events_sequence_quietly and savepoints <= open_savepoints:
            return
    transaction.on_commit(change_events_sequence_quietly)


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
    # Every poll runs this. Written as SQL, it skips building and compiling the same
    # ORM query each time, which took longer than the indexed read (docs/BENCHMARKS.md).
    with connection.cursor() as cursor:
        cursor.execute(NEWEST_SQL)
        row = cursor.fetchone()
    if not row:
        return 0, None
    # SQLite returns text; PostgreSQL an aware datetime already.
    convert = getattr(connection.ops, "convert_datetimefield_value", None)
    return row[0], convert(row[1], None, connection) if convert else row[1]
