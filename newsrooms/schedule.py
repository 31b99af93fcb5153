"""When a subscription's next digest is due. All times are UTC (settings.TIME_ZONE).

A run that finds a digest due sends one digest with everything owed and then asks for
the next due time strictly after *now*, not after the missed one: after beat was down
for several periods the subscriber gets one digest covering them, not one per period.
"""

import datetime

from django.conf import settings

from newsrooms.models import DigestFrequency


def next_due(frequency: str, after: datetime.datetime) -> datetime.datetime:
    """The first digest time of `frequency` that is later than `after` (aware, UTC);
    for immediate subscriptions that is `after` itself: due at every run."""
    after = after.astimezone(datetime.UTC)
    if frequency == DigestFrequency.IMMEDIATE:
        return after
    slot = after.replace(hour=settings.FACTCHECK_DIGEST_HOUR, minute=0, second=0, microsecond=0)
    if frequency == DigestFrequency.DAILY:
        return slot if slot > after else slot + datetime.timedelta(days=1)
    if frequency == DigestFrequency.WEEKLY:
        slot += datetime.timedelta(days=(settings.FACTCHECK_DIGEST_WEEKDAY - slot.weekday()) % 7)
        return slot if slot > after else slot + datetime.timedelta(days=7)
    raise ValueError(f"unknown frequency {frequency!r}")
