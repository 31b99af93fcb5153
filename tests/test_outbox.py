"""The outbox (factcheck/outbox.py) on the real database, PostgreSQL and SQLite: its raw
UPDATE ... RETURNING lease, and its one branch for temporary SMTP failures. The three
senders built on it (reviewer notices, digests, confirmations) are tested in their apps.
"""

import datetime

import pytest
from django.core.mail import EmailMessage
from django.utils import timezone

from factcheck.emails import TemporaryEmailError
from factcheck.outbox import Outbox
from reviewers.models import Notice, NoticeKind, NoticeState
from tests.factories import ClaimFactory
from tests.reviewers.conftest import run_concurrently

MAX_ATTEMPTS = 3
OUTBOX = Outbox(
    Notice, owed={"state": NoticeState.PENDING}, max_attempts=MAX_ATTEMPTS, lease_spent=False
)


def owed(count: int = 1, **fields) -> list[int]:
    """Assignment notices owed to a reviewer of a claim each."""
    notices = [
        Notice.objects.create(claim=ClaimFactory(), kind=NoticeKind.ASSIGNMENT, **fields)
        for _ in range(count)
    ]
    return [notice.pk for notice in notices]


def later(seconds: float) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(seconds=seconds)


def message() -> EmailMessage:
    return EmailMessage("Assigned", "A claim is yours.", to=["iryna@example.org"])


@pytest.mark.django_db
def test_a_lease_takes_only_owed_rows_whose_lease_is_free_and_counts_the_attempt():
    free, sent, held, ran_out = owed(4)
    Notice.objects.filter(pk=sent).update(state=NoticeState.SENT, sent_at=timezone.now())
    Notice.objects.filter(pk=held).update(locked_until=later(60))
    Notice.objects.filter(pk=ran_out).update(locked_until=later(-1))

    leased = OUTBOX.lease([free, sent, held, ran_out], seconds=60)

    assert sorted(leased) == [free, ran_out]
    for notice in Notice.objects.filter(pk__in=leased):
        assert notice.attempts == 1 and notice.locked_until > later(50)
    assert OUTBOX.lease([free, sent, held, ran_out], seconds=60) == []


@pytest.mark.django_db
def test_rows_out_of_attempts_are_leased_only_when_the_outbox_says_so():
    [spent] = owed(attempts=MAX_ATTEMPTS)

    assert OUTBOX.lease([spent], seconds=60) == []
    assert Outbox(Notice, owed={"state": NoticeState.PENDING}).lease([spent], seconds=60) == [spent]


@pytest.mark.django_db
def test_match_narrows_a_lease_to_rows_with_those_values():
    [notice] = owed()

    assert OUTBOX.lease([notice], seconds=60, match={"error": "another round"}) == []
    assert OUTBOX.lease([notice], seconds=60, match={"error": ""}) == [notice]


@pytest.mark.django_db(transaction=True)
def test_senders_racing_for_one_batch_each_lease_their_own_rows():
    batch = owed(40)

    results = run_concurrently(lambda: OUTBOX.lease(batch, seconds=60), threads=4)

    leased = [pk for result in results for pk in result]
    assert sorted(leased) == sorted(batch)  # every row once, none twice
    assert set(Notice.objects.values_list("attempts", flat=True)) == {1}


@pytest.mark.django_db
def test_sent_rows_are_marked_at_once(smtp_server):
    [notice] = owed()
    OUTBOX.lease([notice], seconds=60)

    failure = OUTBOX.send(
        notice,
        message(),
        attempts=1,
        mark_sent=lambda: OUTBOX.finish(notice, state=NoticeState.SENT, sent_at=timezone.now()),
    )

    assert failure is None
    assert len(smtp_server.messages) == 1
    row = Notice.objects.get(pk=notice)
    assert (row.state, row.locked_until) == (NoticeState.SENT, None)


@pytest.mark.django_db
def test_a_temporary_failure_with_attempts_left_ends_the_lease_and_raises(smtp_server):
    [notice] = owed()
    OUTBOX.lease([notice], seconds=60)
    smtp_server.replies.append("451 4.3.0 Try again later")

    with pytest.raises(TemporaryEmailError):
        OUTBOX.send(notice, message(), attempts=1, mark_sent=pytest.fail)

    row = Notice.objects.get(pk=notice)
    assert row.state == NoticeState.PENDING and row.locked_until <= timezone.now()
    assert "451" in row.error
    assert OUTBOX.lease([notice], seconds=60) == [notice]  # the retry takes it at once


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("reply", "attempts"), [("451 4.3.0 Try again later", MAX_ATTEMPTS), ("550 5.1.1 No", 1)]
)
def test_a_failure_for_good_is_returned_to_the_caller(smtp_server, reply, attempts):
    [notice] = owed()
    OUTBOX.lease([notice], seconds=60)
    smtp_server.replies.append(reply)

    failure = OUTBOX.send(notice, message(), attempts=attempts, mark_sent=pytest.fail)

    assert reply[:3] in str(failure)
    assert smtp_server.messages == []
    assert Notice.objects.get(pk=notice).locked_until > later(50)  # the caller decides
