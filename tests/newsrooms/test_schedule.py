"""Digest times: daily and weekly slots in UTC, strictly after the given moment."""

import datetime

import pytest

from newsrooms.models import DigestFrequency
from newsrooms.schedule import next_due

UTC = datetime.UTC


def at(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    # November 2026: the 23rd is a Monday.
    return datetime.datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _slots(settings):
    settings.FACTCHECK_DIGEST_HOUR = 7
    settings.FACTCHECK_DIGEST_WEEKDAY = 0


@pytest.mark.parametrize(
    ("frequency", "after", "due"),
    [
        (DigestFrequency.IMMEDIATE, at(25, 13, 5), at(25, 13, 5)),
        (DigestFrequency.DAILY, at(25, 6, 59), at(25, 7)),
        (DigestFrequency.DAILY, at(25, 7), at(26, 7)),
        (DigestFrequency.DAILY, at(25, 23), at(26, 7)),
        (DigestFrequency.WEEKLY, at(23, 6), at(23, 7)),
        (DigestFrequency.WEEKLY, at(23, 7), at(30, 7)),
        (DigestFrequency.WEEKLY, at(25, 12), at(30, 7)),
    ],
)
def test_next_due_is_the_next_slot_after_the_moment(frequency, after, due):
    assert next_due(frequency, after) == due


def test_a_moment_in_another_zone_is_read_in_utc():
    kyiv = datetime.timezone(datetime.timedelta(hours=2))
    # 08:30 in Kyiv is 06:30 UTC: today's 07:00 UTC slot is still ahead.
    assert next_due(
        DigestFrequency.DAILY, datetime.datetime(2026, 11, 25, 8, 30, tzinfo=kyiv)
    ) == at(25, 7)


def test_after_an_outage_the_next_slot_follows_now_not_the_missed_slots():
    # Beat was down from Monday to Thursday: one digest now, the next one on Friday.
    assert next_due(DigestFrequency.DAILY, at(26, 9)) == at(27, 7)
