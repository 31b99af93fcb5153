"""Deadlines: a reminder to the assignee before the due time, an escalation to the
editors after it, each exactly once per claim and due time, through a real SMTP server."""

import datetime

import pytest
from django.utils import timezone

from claims import services as claim_services
from claims.models import Claim, ClaimStatus
from reviewers import services
from reviewers.models import Notice, NoticeKind, NoticeState
from reviewers.tasks import sweep_deadlines
from tests.factories import ClaimFactory, UserFactory, rating
from tests.reviewers.conftest import run_concurrently

S = ClaimStatus
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]


def hours(n: float) -> datetime.timedelta:
    return datetime.timedelta(hours=n)


def due_in(delta: datetime.timedelta, **kwargs) -> Claim:
    return ClaimFactory(due_at=timezone.now() + delta, **kwargs)


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    """One sweep, with the emails it enqueues sent as its transactions commit."""

    def run(**kwargs) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return services.deadlines_sweep(**kwargs)

    return run


@pytest.fixture
def editors(editor, other_editor):
    """Two editors who get escalations, and three users who do not."""
    UserFactory(username="retired-editor", roles=["Editor"], is_active=False)
    UserFactory(username="no-mail-editor", roles=["Editor"], email="")
    return [editor, other_editor]


# --- Reminders ------------------------------------------------------------------------


def test_assignee_is_reminded_once_within_the_reminder_window(
    settings, smtp_server, sweep, reviewer
):
    settings.FACTCHECK_REMINDER_HOURS_BEFORE = 6
    claim = due_in(hours(5), status=S.IN_REVIEW, assignee=reviewer)

    assert sweep() == 1
    assert sweep() == 0

    [message] = smtp_server.messages
    assert message["To"] == reviewer.email
    assert message["Subject"] == f"Due soon: {claim.claim_reviewed}"
    notice = Notice.objects.get()
    assert (notice.kind, notice.recipient, notice.due_at) == (
        NoticeKind.REMINDER,
        reviewer,
        claim.due_at,
    )
    assert notice.state == NoticeState.SENT and notice.sent_at is not None


def test_no_reminder_before_the_window_opens(settings, smtp_server, sweep, reviewer):
    settings.FACTCHECK_REMINDER_HOURS_BEFORE = 6
    due_in(hours(7), status=S.IN_REVIEW, assignee=reviewer)

    assert sweep() == 0
    assert smtp_server.messages == []


def test_no_reminder_for_claims_not_in_review(smtp_server, sweep, reviewer):
    due_in(hours(1), status=S.QUEUED)
    due_in(hours(1), status=S.IN_APPROVAL, assignee=reviewer)
    due_in(hours(1), status=S.PUBLISHED, assignee=reviewer)
    ClaimFactory(status=S.IN_REVIEW, assignee=reviewer, due_at=None)

    assert sweep() == 0
    assert smtp_server.messages == []


def test_a_claim_first_seen_overdue_is_escalated_not_reminded(smtp_server, sweep, editors):
    due_in(-hours(1), status=S.IN_REVIEW)

    assert sweep() == 1
    assert Notice.objects.get().kind == NoticeKind.OVERDUE


def test_a_new_due_time_is_a_new_threshold(settings, smtp_server, sweep, reviewer):
    settings.FACTCHECK_REMINDER_HOURS_BEFORE = 6
    claim = due_in(hours(2), status=S.IN_REVIEW, assignee=reviewer)
    sweep()
    # An editor gives the reviewer another day; the reminder comes again before it.
    later = claim.due_at + hours(24)
    Claim.objects.filter(pk=claim.pk).update(due_at=later)

    assert sweep() == 0
    assert sweep(now=later - hours(3)) == 1
    assert sweep(now=later - hours(2)) == 0
    assert sorted(Notice.objects.values_list("due_at", flat=True)) == [claim.due_at, later]
    assert len(smtp_server.messages) == 2


def test_reminder_of_a_claim_that_moved_on_before_the_send_is_skipped(
    smtp_server, reviewer, editor, django_capture_on_commit_callbacks
):
    claim = due_in(hours(1), status=S.IN_REVIEW, assignee=reviewer)
    services.deadlines_sweep()  # the notice is owed; its send has not run yet
    claim_services.claim_propose(
        actor=reviewer,
        claim=claim,
        rating=rating("false"),
        summary="The ministry's figure is its own.",
        explanation="Nobody else counted.",
    )

    assert services.notice_send(notice_id=Notice.objects.get().pk) is False

    notice = Notice.objects.get()
    assert notice.state == NoticeState.SKIPPED
    assert "no longer in review" in notice.error
    assert smtp_server.messages == []


# --- Escalations ----------------------------------------------------------------------


def test_overdue_claim_is_escalated_once_to_the_active_editors(smtp_server, sweep, editors):
    claim = due_in(-hours(2), status=S.IN_REVIEW)

    assert sweep() == 1
    assert sweep() == 0

    [message] = smtp_server.messages
    assert smtp_server.recipients == [sorted(e.email for e in editors)]
    assert message["Subject"] == f"Overdue: {claim.claim_reviewed}"
    assert "claim-author" in message.get_body(("plain",)).get_content()  # the assignee
    notice = Notice.objects.get()
    assert (notice.kind, notice.recipient, notice.state) == (
        NoticeKind.OVERDUE,
        None,
        NoticeState.SENT,
    )


@pytest.mark.parametrize("status", [S.QUEUED, S.IN_REVIEW, S.IN_APPROVAL])
def test_every_open_state_is_escalated(smtp_server, sweep, editors, status):
    due_in(-hours(1), status=status)

    assert sweep() == 1
    assert len(smtp_server.messages) == 1


@pytest.mark.parametrize("status", [S.RECEIVED, S.PUBLISHED, S.REJECTED, S.WITHDRAWN])
def test_closed_claims_are_not_escalated(smtp_server, sweep, editors, status):
    due_in(-hours(1), status=status)

    assert sweep() == 0


def test_escalation_with_no_editor_to_write_to_is_skipped(smtp_server, sweep):
    due_in(-hours(1), status=S.QUEUED)

    assert sweep() == 1

    assert Notice.objects.get().state == NoticeState.SKIPPED
    assert smtp_server.messages == []


def test_reminder_then_escalation_for_the_same_due_time(settings, smtp_server, sweep, editors):
    settings.FACTCHECK_REMINDER_HOURS_BEFORE = 6
    reviewer = UserFactory(username="olena", roles=["Reviewer"])
    claim = due_in(hours(3), status=S.IN_REVIEW, assignee=reviewer)

    sweep()
    sweep(now=claim.due_at + hours(1))
    sweep(now=claim.due_at + hours(2))

    assert smtp_server.subjects() == [
        f"Due soon: {claim.claim_reviewed}",
        f"Overdue: {claim.claim_reviewed}",
    ]


# --- Lost sends -----------------------------------------------------------------------


def test_sweep_enqueues_a_notice_whose_send_was_lost(smtp_server, sweep, reviewer):
    claim = ClaimFactory(status=S.IN_REVIEW, assignee=reviewer)
    # Owed, but its task never ran (say Redis was flushed): only the row remains.
    notice = Notice.objects.create(claim=claim, kind=NoticeKind.ASSIGNMENT, recipient=reviewer)

    sweep()  # too soon: its task may still be on the way
    assert smtp_server.messages == []
    sweep(now=timezone.now() + services.NOTICE_REQUEUE_AFTER + hours(0.1))

    notice.refresh_from_db()
    assert notice.state == NoticeState.SENT
    assert len(smtp_server.messages) == 1


def test_a_notice_out_of_attempts_is_given_up_by_the_sweep(smtp_server, sweep, reviewer):
    claim = ClaimFactory(status=S.IN_REVIEW, assignee=reviewer)
    notice = Notice.objects.create(
        claim=claim,
        kind=NoticeKind.ASSIGNMENT,
        recipient=reviewer,
        attempts=services.NOTICE_MAX_ATTEMPTS,
        locked_until=timezone.now(),  # its last worker died mid-send
    )

    sweep(now=timezone.now() + services.NOTICE_REQUEUE_AFTER + hours(1))

    notice.refresh_from_db()
    assert notice.state == NoticeState.FAILED
    assert smtp_server.messages == []


def test_beat_task_sweeps(smtp_server, editors, django_capture_on_commit_callbacks):
    due_in(-hours(1), status=S.QUEUED)

    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_deadlines.apply().get() == 1

    assert len(smtp_server.messages) == 1


# --- Concurrency ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_send_each_reminder_and_escalation_exactly_once(
    settings, smtp_server, editor
):
    """Four sweeps at once (two beats, or a slow sweep overlapping the next): on
    PostgreSQL the inserts race on the unique constraint; exactly one wins each."""
    settings.FACTCHECK_REMINDER_HOURS_BEFORE = 6
    reviewer = UserFactory(username="olena", roles=["Reviewer"])
    reminded = [due_in(hours(1 + i), status=S.IN_REVIEW, assignee=reviewer) for i in range(4)]
    escalated = [due_in(-hours(1 + i), status=S.IN_REVIEW) for i in range(4)]

    results = run_concurrently(services.deadlines_sweep, threads=4)

    assert sum(results) == 8
    assert Notice.objects.filter(kind=NoticeKind.REMINDER).count() == 4
    assert Notice.objects.filter(kind=NoticeKind.OVERDUE).count() == 4
    messages = smtp_server.wait_for(8)
    assert sorted(str(m["Subject"]) for m in messages) == sorted(
        [f"Due soon: {c.claim_reviewed}" for c in reminded]
        + [f"Overdue: {c.claim_reviewed}" for c in escalated]
    )
    assert set(Notice.objects.values_list("state", flat=True)) == {NoticeState.SENT}
    # The sweeps that lost the races sent nothing more, and the next sweep sends nothing.
    assert run_concurrently(services.deadlines_sweep, threads=2) == [0, 0]
    assert len(smtp_server.messages) == 8
