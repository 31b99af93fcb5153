"""Reads for the review queue: who may be assigned what, what is due, which emails are owed."""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet

from claims.models import Claim, ClaimStatus
from claims.roles import Role
from reviewers.models import Notice, NoticeKind, NoticeState, QueueSettings, ReviewerProfile

# A reviewer's load: their claims that still need work from them or an editor.
LOAD_STATES = (ClaimStatus.IN_REVIEW, ClaimStatus.IN_APPROVAL)
# A claim is escalated when its due time passes while it is still open after triage.
ESCALATION_STATES = (ClaimStatus.QUEUED, ClaimStatus.IN_REVIEW, ClaimStatus.IN_APPROVAL)
# claim_assign accepts only these as assignees.
ASSIGNABLE_ROLES = (Role.REVIEWER.value, Role.EDITOR.value)


def auto_assign_enabled() -> bool:
    """The deployment's switch (FACTCHECK_AUTO_ASSIGN) and the admin's run-time one."""
    return settings.FACTCHECK_AUTO_ASSIGN and QueueSettings.load().auto_assign


def reviewer_load(user_id: int) -> int:
    return Claim.objects.filter(assignee_id=user_id, status__in=LOAD_STATES).count()


def profiles_with_room() -> list[ReviewerProfile]:
    """Active profiles of active users who may be assigned claims, below their capacity,
    each annotated with its `load`, topics prefetched."""
    memberships = get_user_model().groups.through.objects
    has_role = Exists(
        memberships.filter(user_id=OuterRef("user_id"), group__name__in=ASSIGNABLE_ROLES)
    )
    in_load = Q(user__assigned_claims__status__in=LOAD_STATES)
    return list(
        ReviewerProfile.objects.filter(active=True, user__is_active=True)
        .filter(Q(user__is_superuser=True) | has_role)
        .annotate(load=Count("user__assigned_claims", filter=in_load))
        .filter(load__lt=F("capacity"))
        .select_related("user")
        .prefetch_related("topics")
        .order_by("pk")
    )


def queued_claim_ids(limit: int) -> list[int]:
    """The queue in assignment order: highest priority first, then the oldest
    (served by the index claim_queue_idx)."""
    queue = Claim.objects.filter(status=ClaimStatus.QUEUED).order_by(
        "-priority", "created_at", "pk"
    )
    return list(queue.values_list("pk", flat=True)[:limit])


def _without_notice(claims: QuerySet[Claim], kind: str) -> QuerySet[Claim]:
    """Claims that have no `kind` notice for their current due time yet."""
    notice = Notice.objects.filter(claim=OuterRef("pk"), kind=kind, due_at=OuterRef("due_at"))
    return claims.filter(~Exists(notice))


def claims_to_remind(*, now: datetime.datetime, limit: int) -> list[dict]:
    """Claims in review, due within the reminder window, not reminded for this due time.
    A claim already overdue when first seen gets the escalation, not a reminder."""
    window_end = now + datetime.timedelta(hours=settings.FACTCHECK_REMINDER_HOURS_BEFORE)
    claims = Claim.objects.filter(
        status=ClaimStatus.IN_REVIEW,
        assignee__isnull=False,
        due_at__gt=now,
        due_at__lte=window_end,
    )
    rows = _without_notice(claims, NoticeKind.REMINDER).order_by("due_at", "pk")
    return list(rows.values("pk", "due_at", "assignee_id")[:limit])


def claims_to_escalate(*, now: datetime.datetime, limit: int) -> list[dict]:
    """Open claims past their due time, not escalated for this due time."""
    claims = Claim.objects.filter(status__in=ESCALATION_STATES, due_at__lte=now)
    rows = _without_notice(claims, NoticeKind.OVERDUE).order_by("due_at", "pk")
    return list(rows.values("pk", "due_at")[:limit])


def stale_notices(*, cutoff: datetime.datetime) -> QuerySet[Notice]:
    """Pending notices whose send task seems lost: created, or last tried, before
    `cutoff` and not held by a send in progress."""
    return Notice.objects.filter(state=NoticeState.PENDING).filter(
        Q(locked_until__isnull=True, created_at__lt=cutoff) | Q(locked_until__lt=cutoff)
    )


def editor_emails() -> list[str]:
    """Where escalations go: active users in the Editor group who have an address."""
    users = get_user_model().objects.filter(groups__name=Role.EDITOR.value, is_active=True)
    return list(
        users.exclude(email="").order_by("email").values_list("email", flat=True).distinct()
    )
