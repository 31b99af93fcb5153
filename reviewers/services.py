"""Writes of the review queue: automatic assignment, deadline notices and their emails.

Assignment goes through `claims.services.claim_assign` (as the system, actor None); each
email the queue owes is first a `Notice` row written in the transaction that makes it
due, then sent by the `reviewers.send_email` task once that transaction commits.
"""

import datetime
import logging
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from claims.models import Claim, ClaimStatus
from claims.services import claim_assign
from factcheck import emails
from factcheck.errors import DomainError
from factcheck.outbox import Outbox, failure_text, task_lease_seconds
from factcheck.tasks import enqueue, enqueue_on_commit
from reviewers import selectors
from reviewers.models import Notice, NoticeKind, NoticeState, QueueSettings, ReviewerProfile

User = AbstractBaseUser
logger = logging.getLogger(__name__)

# Queued claims looked at per assignment run; the next run (FACTCHECK_ASSIGN_EVERY)
# takes the rest.
ASSIGN_BATCH = 200
# Claims per kind of notice created per deadline sweep.
SWEEP_BATCH = 500
# Attempts to send one email (first try and retries, across redeliveries) before the
# notice is marked failed.
NOTICE_MAX_ATTEMPTS = 5
# A pending notice neither sent nor tried for this long lost its task (broker outage,
# worker crash) and is enqueued again by the deadline sweep. Longer than the send
# task's longest retry backoff, so it does not race a scheduled retry.
NOTICE_REQUEUE_AFTER = datetime.timedelta(minutes=15)
# Each email owed is a pending Notice, sent at least once (factcheck/outbox.py). A
# notice out of attempts is not leased again: the sweep marks it failed.
NOTICES = Outbox(
    Notice,
    owed={"state": NoticeState.PENDING},
    max_attempts=NOTICE_MAX_ATTEMPTS,
    lease_spent=False,
)


# --- Settings -------------------------------------------------------------------------


def queue_settings_update(*, actor: User, auto_assign: bool) -> QueueSettings:
    """Switch automatic assignment on or off at run time (the next run obeys)."""
    row = QueueSettings.load()
    row.auto_assign = auto_assign
    row.updated_by = actor
    row.full_clean()
    row.save(update_fields=["auto_assign", "updated_by", "updated_at"])
    return row


# --- Assignment -----------------------------------------------------------------------


def queue_assign() -> list[Claim]:
    """Assign queued claims, highest priority and oldest first, each to the least loaded
    matching reviewer with room. Returns the claims assigned.

    Safe to run in several processes at once: each claim is locked and re-checked as
    queued, so no claim is assigned twice; the reviewer's profile row is locked and their
    load recounted before each assignment, so capacity is never exceeded. Locks are
    taken claim first, then profile, one claim per transaction: no deadlock.
    """
    if not selectors.auto_assign_enabled():
        return []
    pool = selectors.profiles_with_room()
    assigned = []
    for claim_id in selectors.queued_claim_ids(limit=ASSIGN_BATCH):
        if not pool:
            break
        claim = _assign_one(claim_id, pool)
        if claim is not None:
            assigned.append(claim)
    return assigned


def ranked_candidates(
    claim: Claim, topic_ids: set[int], pool: Iterable[ReviewerProfile]
) -> list[ReviewerProfile]:
    """The profiles that match the claim, best first: least loaded, then a reviewer who
    shares one of the claim's topics before a generalist, then the most room left.

    Matching: the reviewer reads the claim's language; and the claim has no topics, or
    the reviewer has none (a generalist), or they share at least one topic."""

    def shares_topic(profile: ReviewerProfile) -> bool:
        return bool(topic_ids & profile.topic_ids())

    matching = [
        p
        for p in pool
        if p.reads(claim.language) and (not topic_ids or not p.topic_ids() or shares_topic(p))
    ]
    return sorted(
        matching,
        key=lambda p: (p.load, not shares_topic(p), p.load - p.capacity, p.user_id),
    )


def _assign_one(claim_id: int, pool: list[ReviewerProfile]) -> Claim | None:
    with transaction.atomic():
        # Waits (briefly) for another run that holds the claim rather than skipping it,
        # so that the queue's order holds with several runs at once.
        claim = Claim.objects.select_for_update().filter(pk=claim_id).first()
        if claim is None or claim.status != ClaimStatus.QUEUED:
            return None  # taken, assigned or moved on meanwhile
        topic_ids = set(claim.topics.values_list("pk", flat=True))
        for profile in ranked_candidates(claim, topic_ids, pool):
            # The lock serialises runs assigning to this reviewer; the recount then sees
            # every assignment committed before it.
            locked = ReviewerProfile.objects.select_for_update().filter(pk=profile.pk).first()
            profile.load = selectors.reviewer_load(profile.user_id)
            if locked is None or not locked.active or profile.load >= locked.capacity:
                pool.remove(profile)
                continue
            try:
                claim = claim_assign(actor=None, claim=claim, assignee=profile.user)
            except DomainError as exc:  # e.g. the user lost the Reviewer role meanwhile
                logger.warning("Not assigning claim %s to %s: %s", claim_id, profile, exc)
                pool.remove(profile)
                continue
            profile.load += 1
            if profile.load >= locked.capacity:
                pool.remove(profile)
            return claim
    return None


def assignment_notify(*, claim: Claim, assignee: User) -> Notice:
    """Owe the assignee the assignment email; call it in the assignment's transaction."""
    return notice_create(claim=claim, kind=NoticeKind.ASSIGNMENT, recipient=assignee)


# --- Deadlines ------------------------------------------------------------------------


def deadlines_sweep(*, now: datetime.datetime | None = None) -> int:
    """Owe a reminder to the assignee of each claim due within
    FACTCHECK_REMINDER_HOURS_BEFORE hours and an escalation to the editors for each
    overdue claim, each once per claim and due time; enqueue lost sends again.
    Returns the number of notices created. Safe to run concurrently."""
    now = now or timezone.now()
    created = 0
    for row in selectors.claims_to_remind(now=now, limit=SWEEP_BATCH):
        created += _deadline_notice(
            row["pk"], NoticeKind.REMINDER, row["due_at"], recipient_id=row["assignee_id"]
        )
    for row in selectors.claims_to_escalate(now=now, limit=SWEEP_BATCH):
        created += _deadline_notice(row["pk"], NoticeKind.OVERDUE, row["due_at"])
    notices_requeue(now=now)
    return created


def _deadline_notice(
    claim_id: int, kind: str, due_at: datetime.datetime, recipient_id: int | None = None
) -> int:
    """Claim the notice by inserting it: the unique constraint lets one sweep win."""
    try:
        with transaction.atomic():
            notice_create(claim_id=claim_id, kind=kind, due_at=due_at, recipient_id=recipient_id)
    except IntegrityError:
        return 0  # another sweep got there first
    return 1


# --- Notices and their emails ---------------------------------------------------------


def notice_create(**fields: object) -> Notice:
    """Record an email that is owed; its send task is enqueued when the transaction
    commits (and never if it rolls back)."""
    notice = Notice.objects.create(**fields)
    _send_on_commit(notice.pk)
    return notice


def _send_on_commit(notice_id: int) -> None:
    from reviewers.tasks import send_email

    enqueue_on_commit(send_email, notice_id, what=_send_of(notice_id))


def _send_of(notice_id: int) -> str:
    """The send, as a broker outage logs it: the notice stays pending in the database
    and the deadline sweep enqueues it again later."""
    return f"notice {notice_id} (the sweep retries it)"


def notices_requeue(*, now: datetime.datetime) -> int:
    """Enqueue pending notices whose send was lost; give up on those out of attempts."""
    from reviewers.tasks import send_email

    stale = selectors.stale_notices(cutoff=now - NOTICE_REQUEUE_AFTER)
    stale.filter(attempts__gte=NOTICE_MAX_ATTEMPTS).update(
        state=NoticeState.FAILED, locked_until=None, error=_("Gave up: out of attempts.")
    )
    notice_ids = list(stale.filter(attempts__lt=NOTICE_MAX_ATTEMPTS).values_list("pk", flat=True))
    for notice_id in notice_ids:
        enqueue(send_email, notice_id, what=_send_of(notice_id))
    return len(notice_ids)


def notices_resend(*, notice_ids: Iterable[int]) -> int:
    """Send failed or skipped notices again (an admin action, e.g. after an SMTP
    configuration was fixed)."""
    ids = list(notice_ids)
    with transaction.atomic():
        again = list(
            Notice.objects.filter(pk__in=ids)
            .exclude(state__in=[NoticeState.PENDING, NoticeState.SENT])
            .values_list("pk", flat=True)
        )
        Notice.objects.filter(pk__in=again).update(
            state=NoticeState.PENDING, attempts=0, locked_until=None, error=""
        )
        for notice_id in again:
            _send_on_commit(notice_id)
    return len(again)


def notice_send(*, notice_id: int) -> bool:
    """Send a pending notice's email. Returns True when it was sent now.

    Sent at least once through the outbox (factcheck/outbox.py): the notice is leased
    by a conditional UPDATE (no transaction stays open during SMTP) and marked sent
    right after the SMTP server accepted the message; a redelivered or duplicate task
    finds it sent or leased and returns. A temporary SMTP failure raises
    `TemporaryEmailError` (the task retries it); a permanent one, or a temporary one at
    the last attempt, marks the notice failed.
    """
    if not NOTICES.lease([notice_id], seconds=task_lease_seconds()):
        return False
    notice = Notice.objects.select_related("claim__claimant", "claim__assignee", "recipient").get(
        pk=notice_id
    )
    message = _message(notice)
    if message is None:
        _notice_finish(notice, NoticeState.SKIPPED, error=notice.error)
        return False
    failure = NOTICES.send(
        notice.pk,
        message,
        attempts=notice.attempts,
        mark_sent=lambda: _notice_finish(notice, NoticeState.SENT),
    )
    if failure is not None:
        logger.warning("Notice %s failed for good: %r", notice_id, failure)
        _notice_finish(notice, NoticeState.FAILED, error=failure_text(failure))
        return False
    return True


def _notice_finish(notice: Notice, state: str, *, error: str = "") -> None:
    sent_at = timezone.now() if state == NoticeState.SENT else None
    NOTICES.finish(notice.pk, state=state, error=error, sent_at=sent_at)


def _message(notice: Notice) -> EmailMultiAlternatives | None:
    """The notice's email if it still holds; None (with `notice.error` saying why) when
    there is nobody to write to or the claim has moved on."""
    notice.error = _why_not(notice)
    if notice.error:
        return None
    claim = notice.claim
    ctx = {
        "claim": claim,
        "claim_url": settings.SITE_URL + reverse("admin:claims_claim_change", args=[claim.pk]),
        "due_at": claim.due_at,
        "now": timezone.now(),
        "recipient": notice.recipient,
        "assignee": claim.assignee,
    }
    headers = {"Message-ID": emails.message_id(f"notice-{notice.pk}")}
    if notice.kind == NoticeKind.ASSIGNMENT:
        return emails.make_message("assignment", [notice.recipient.email], ctx, headers)
    if notice.kind == NoticeKind.REMINDER:
        return emails.make_message("reminder", [notice.recipient.email], ctx, headers)
    return emails.make_message("escalation", selectors.editor_emails(), ctx, headers)


def _why_not(notice: Notice) -> str:
    """Why the notice should not be sent any more, or "" when it should."""
    claim = notice.claim
    if notice.kind == NoticeKind.OVERDUE:
        if claim.status not in selectors.ESCALATION_STATES or claim.due_at != notice.due_at:
            return _("The claim is no longer overdue for this due time.")
        if not selectors.editor_emails():
            return _("No active editor has an email address.")
        return ""
    if notice.recipient is None or not notice.recipient.email:
        return _("The recipient has no email address.")
    if claim.assignee_id != notice.recipient_id:
        return _("The claim has been reassigned.")
    if notice.kind == NoticeKind.REMINDER and (
        claim.status != ClaimStatus.IN_REVIEW or claim.due_at != notice.due_at
    ):
        return _("The claim is no longer in review for this due time.")
    return ""
