"""Reads of claims."""

import datetime
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from claims import hooks
from claims.models import Claim, ClaimStatus, Verdict, VerdictStatus
from claims.triage.normalise import normalise_text
from claims.triage.similarity import find_near_duplicates

RECONCILE_BATCH = 1000


def claims_awaiting_triage(*, older_than: datetime.timedelta) -> QuerySet[Claim]:
    """Received claims that no triage has moved on for `older_than`: their message was
    lost (Redis down or flushed) or is stuck. Oldest first, bounded per run."""
    cutoff = timezone.now() - older_than
    return (
        Claim.objects.filter(status=ClaimStatus.RECEIVED, status_changed_at__lt=cutoff)
        .order_by("status_changed_at")
        .values_list("pk", flat=True)[:RECONCILE_BATCH]
    )


def claims_per_status() -> dict[str, int]:
    from django.db.models import Count

    rows = Claim.objects.values("status").annotate(n=Count("pk")).order_by()
    counts = {status: 0 for status in ClaimStatus.values}
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def oldest_waiting_claim() -> Claim | None:
    """The claim waiting longest for a reviewer or for triage."""
    return (
        Claim.objects.filter(status__in=[ClaimStatus.RECEIVED, ClaimStatus.QUEUED])
        .order_by("status_changed_at")
        .first()
    )


# --- The reviewers' workspace (admin queues and dashboard) ----------------------------

# Work assigned to someone that still needs them or an editor.
MY_QUEUE_STATES = (ClaimStatus.IN_REVIEW, ClaimStatus.IN_APPROVAL)
# A claim is overdue when its due time passed while it was still being worked on.
OVERDUE_STATES = (ClaimStatus.QUEUED, ClaimStatus.IN_REVIEW, ClaimStatus.IN_APPROVAL)


class Queue:
    MINE = "mine"
    UNASSIGNED = "unassigned"
    AWAITING_APPROVAL = "awaiting_approval"
    OVERDUE = "overdue"
    PUBLISHED = "published"
    PUBLISHED_THIS_WEEK = "published_this_week"

    LABELS = {
        MINE: _("My queue"),
        UNASSIGNED: _("Unassigned"),
        AWAITING_APPROVAL: _("Awaiting approval"),
        OVERDUE: _("Overdue"),
        PUBLISHED: _("Published"),
        PUBLISHED_THIS_WEEK: _("Published this week"),
    }


def _awaiting_approval_of(user: AbstractBaseUser) -> Q:
    """In approval with a proposed verdict someone else wrote: what `user` may approve."""
    others = Verdict.objects.filter(claim=OuterRef("pk"), status=VerdictStatus.PROPOSED).exclude(
        author_id=user.pk
    )
    return Q(status=ClaimStatus.IN_APPROVAL) & Q(Exists(others))


def queue_condition(queue: str, *, user: AbstractBaseUser, now: datetime.datetime) -> Q:
    """The filter of one of the workspace queues (`Queue`)."""
    if queue == Queue.MINE:
        return Q(assignee_id=user.pk, status__in=MY_QUEUE_STATES)
    if queue == Queue.UNASSIGNED:
        return Q(assignee__isnull=True, status=ClaimStatus.QUEUED)
    if queue == Queue.AWAITING_APPROVAL:
        return _awaiting_approval_of(user)
    if queue == Queue.OVERDUE:
        return Q(due_at__lt=now, status__in=OVERDUE_STATES)
    if queue == Queue.PUBLISHED:
        return Q(status=ClaimStatus.PUBLISHED)
    if queue == Queue.PUBLISHED_THIS_WEEK:
        return Q(status=ClaimStatus.PUBLISHED, status_changed_at__gte=start_of_week(now))
    raise ValueError(f"unknown queue {queue!r}")


def claims_with_current_rating(queryset: QuerySet[Claim]) -> QuerySet[Claim]:
    """Annotate `current_rating_label`: the rating of the latest approved verdict, else
    that of the verdict in the works. Two subqueries, no query per row."""
    approved = (
        Verdict.objects.filter(claim=OuterRef("pk"), status=VerdictStatus.APPROVED)
        .order_by("-version")
        .values("rating__label")[:1]
    )
    in_works = Verdict.objects.filter(
        claim=OuterRef("pk"), status__in=[VerdictStatus.DRAFT, VerdictStatus.PROPOSED]
    ).values("rating__label")[:1]
    return queryset.annotate(current_rating_label=Coalesce(Subquery(approved), Subquery(in_works)))


def start_of_week(now: datetime.datetime) -> datetime.datetime:
    today = timezone.localdate(now)
    monday = today - datetime.timedelta(days=today.weekday())
    return timezone.make_aware(datetime.datetime.combine(monday, datetime.time.min))


def workspace_counts(*, user: AbstractBaseUser, now: datetime.datetime | None = None) -> dict:
    """The admin index's dashboard, in one query: the user's open claims, the overdue
    claims, the claims awaiting the user's approval, the claims published this week."""
    now = now or timezone.now()
    return Claim.objects.aggregate(
        mine=Count("pk", filter=queue_condition(Queue.MINE, user=user, now=now)),
        overdue=Count("pk", filter=queue_condition(Queue.OVERDUE, user=user, now=now)),
        awaiting_approval=Count("pk", filter=_awaiting_approval_of(user)),
        published_this_week=Count(
            "pk", filter=queue_condition(Queue.PUBLISHED_THIS_WEEK, user=user, now=now)
        ),
    )


def claim_possible_duplicates(claim: Claim) -> list[Claim]:
    """Claims this one may repeat (triage's near-duplicate search: the same claimant and
    figures, similar text), and the claims already merged into it or it into, best
    match first."""
    normalised = claim.normalized_text or normalise_text(claim.text)
    matches = find_near_duplicates(
        claim_id=claim.pk, claimant_id=claim.claimant_id, normalised=normalised
    )
    ids = [match.claim_id for match in matches]
    if claim.duplicate_of_id:
        ids.insert(0, claim.duplicate_of_id)
    merged = Claim.objects.filter(duplicate_of_id=claim.pk).values_list("pk", flat=True)
    ids += [pk for pk in merged if pk not in ids]
    found = Claim.objects.select_related("claimant").in_bulk(ids)
    return [found[pk] for pk in dict.fromkeys(ids) if pk in found]


@dataclass(frozen=True)
class HistoryRow:
    date: datetime.datetime
    user: AbstractBaseUser | None
    reason: str
    kind: str  # simple-history's "+", "~", "-"
    changed: list[str]  # verbose names of the fields that changed


def claim_recent_history(claim: Claim, *, limit: int = 5) -> list[HistoryRow]:
    """The last `limit` audit rows of a claim, newest first, with what each changed."""
    records = list(
        claim.history.select_related("history_user").order_by("-history_date", "-history_id")[
            : limit + 1
        ]
    )
    rows = []
    for record, previous in zip(records[:limit], [*records[1:], None], strict=False):
        changed = []
        if previous is not None:
            delta = record.diff_against(previous)
            changed = [
                str(Claim._meta.get_field(name).verbose_name) for name in delta.changed_fields
            ]
        rows.append(
            HistoryRow(
                date=record.history_date,
                user=record.history_user,
                reason=record.history_change_reason or "",
                kind=record.history_type,
                changed=changed,
            )
        )
    return rows


# --- What an approval publishes -----------------------------------------------------


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str


def _by_key(items: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {item[key]: item for item in items}


def _listed_changes(label: str, before: list[dict], after: list[dict], key: str) -> list[Change]:
    """Added, removed and edited items of a list of the document (sources,
    appearances), matched by `key` (their URL)."""
    old, new = _by_key(before, key), _by_key(after, key)
    changes = []
    for url in new.keys() - old.keys():
        changes.append(Change(f"{label}: " + str(_("added")), "", url))
    for url in old.keys() - new.keys():
        changes.append(Change(f"{label}: " + str(_("removed")), url, ""))
    for url in new.keys() & old.keys():
        if old[url] != new[url]:
            edited = [f for f in new[url] if new[url][f] != old[url].get(f)]
            changes.append(
                Change(
                    f"{label}: " + str(_("edited")) + f" ({', '.join(edited)})",
                    "; ".join(str(old[url].get(f)) for f in edited),
                    "; ".join(str(new[url][f]) for f in edited),
                )
            )
    return sorted(changes, key=lambda c: (c.label, c.before, c.after))


def document_changes(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """What a new version changes in a published fact-check, field by field."""
    scalar = [
        (_("rating"), lambda d: d["rating"]["label"]),
        (_("summary"), lambda d: d["summary"]),
        (_("explanation"), lambda d: d["explanation"]),
        (_("claim as made"), lambda d: d["claim"]),
        (_("claim reviewed"), lambda d: d["claim_reviewed"]),
        (_("claimant"), lambda d: d["claimant"]["name"]),
        (_("claim date"), lambda d: d["claim_date"] or ""),
        (_("language"), lambda d: d["language"]),
        (_("topics"), lambda d: ", ".join(t["name"] for t in d["topics"])),
    ]
    changes = [
        Change(str(label), get(before), get(after))
        for label, get in scalar
        if get(before) != get(after)
    ]
    changes += _listed_changes(str(_("source")), before["evidence"], after["evidence"], "url")
    changes += _listed_changes(
        str(_("appearance")), before["appearances"], after["appearances"], "url"
    )
    return changes


def claim_approval_preview(claim: Claim, user: AbstractBaseUser) -> dict[str, Any]:
    """The approval page's context: the fact-check as it will be published, what
    changed since the published version, and why approval would be refused, if it
    would (the service decides again when the editor confirms)."""
    from claims.policy import approve_refusal, proposed_verdict
    from claims.roles import roles_of
    from claims.workflow import WorkflowError

    refusal = approve_refusal(claim, user, roles_of(user), proposed_verdict(claim))
    try:
        preview, current = hooks.publisher().preview(claim)
    except WorkflowError as problem:
        return {"preview": None, "preview_problem": problem.message}
    return {
        "preview_problem": refusal.message if refusal else None,
        "preview": preview,
        "published": current,
        "preview_changes": document_changes(current, preview) if current else None,
    }
