"""A claim's priority (0..100) and due time: five capped factors, and the band's hours.

Pure functions: nothing here touches the database. The formula and worked examples are in
docs/queue.md ("Priority formula").
"""

import datetime
import re
from collections.abc import Mapping

from django.conf import settings

from claims.triage.normalise import figures

# Points per factor; their caps add up to 100. See docs/queue.md for worked examples.
REQUEST_POINTS_PER_DOUBLING = 10  # 1 request: 0, 2-3: 10, 4-7: 20, 8 or more: 30
REQUEST_POINTS_MAX = 30
REACH_POINTS_PER_TENFOLD = 5  # reach 10: 5, 1,000: 15, 100,000: 25, 1,000,000: 30
REACH_POINTS_MAX = 30
FIGURE_POINTS_EACH = 5  # a checkable number, per distinct figure
FIGURE_POINTS_MAX = 15
SOURCE_POINTS_EACH = 5  # a named source the claim leans on ("according to", "poll")
SOURCE_POINTS_MAX = 10
RECENCY_POINTS_MAX = 15  # made today or yesterday
RECENCY_DAYS_PER_POINT = 2  # one point less for every two days of age: 0 after a month
RECENCY_POINTS_UNKNOWN = 7  # no claim date: counted as neither new nor old

# Words that cite a source, whole words or phrases, in the desk's languages.
# The claimant's own "says" is not a source: the cue names where a figure comes from.
SOURCE_CUES = re.compile(
    r"(?<!\w)(?:according to|citing|cited by|reported by|report|poll|survey|study|"
    r"statistics|data from|figures from|ministry|agency|institute|census|officials|"
    r"за даними|згідно з|повідомля\w*|опитуван\w*|міністерств\w*|"
    r"по данным|согласно|сообща\w*|опрос\w*|министерств\w*|"
    r"według|sondaż\w*|laut|umfrage|selon|sondage|según|encuesta)(?!\w)"
)


def request_points(requests_count: int) -> int:
    doublings = max(requests_count, 1).bit_length() - 1  # floor(log2(n)), exactly
    return min(REQUEST_POINTS_MAX, REQUEST_POINTS_PER_DOUBLING * doublings)


def reach_points(reach: int) -> int:
    tenfolds = len(str(reach)) - 1 if reach > 0 else 0  # floor(log10(reach)), exactly
    return min(REACH_POINTS_MAX, REACH_POINTS_PER_TENFOLD * tenfolds)


def figure_points(normalised: str) -> int:
    return min(FIGURE_POINTS_MAX, FIGURE_POINTS_EACH * len(figures(normalised)))


def source_points(normalised: str) -> int:
    cues = {match.group(0) for match in SOURCE_CUES.finditer(normalised)}
    return min(SOURCE_POINTS_MAX, SOURCE_POINTS_EACH * len(cues))


def recency_points(claim_date: datetime.date | None, today: datetime.date) -> int:
    if claim_date is None:
        return RECENCY_POINTS_UNKNOWN
    age = max((today - claim_date).days, 0)
    return max(0, RECENCY_POINTS_MAX - age // RECENCY_DAYS_PER_POINT)


def compute_priority(
    *,
    normalised: str,
    requests_count: int,
    reach: int,
    claim_date: datetime.date | None,
    today: datetime.date,
) -> int:
    """The claim's priority, 0..100: the sum of the five capped factors above."""
    total = (
        request_points(requests_count)
        + reach_points(reach)
        + figure_points(normalised)
        + source_points(normalised)
        + recency_points(claim_date, today)
    )
    return max(0, min(100, total))


def reprioritise(priority: int, old_requests: int, new_requests: int) -> int:
    """A claim's priority once more requests were merged into it: only the requests
    factor changes (recency is kept as it was at triage, so more demand never lowers
    a claim)."""
    delta = request_points(new_requests) - request_points(old_requests)
    return max(0, min(100, priority + delta))


# --- Due time -------------------------------------------------------------------------


def priority_band(priority: int, bands: Mapping[str, int] | None = None) -> str:
    """The highest band whose floor the priority reaches."""
    bands = settings.FACTCHECK_PRIORITY_BANDS if bands is None else bands
    reached = [(floor, name) for name, floor in bands.items() if priority >= floor]
    if not reached:
        return min(bands.items(), key=lambda item: item[1])[0]
    return max(reached)[1]


def due_at_for(
    priority: int,
    now: datetime.datetime,
    *,
    hours: Mapping[str, int] | None = None,
    bands: Mapping[str, int] | None = None,
) -> datetime.datetime:
    """When a claim triaged at `now` with `priority` is due (FACTCHECK_DUE_HOURS of its
    band, FACTCHECK_PRIORITY_BANDS)."""
    hours = settings.FACTCHECK_DUE_HOURS if hours is None else hours
    return now + datetime.timedelta(hours=hours[priority_band(priority, bands)])
