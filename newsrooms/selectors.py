"""Reads for newsrooms: token lookup, what became of a submission, subscriptions."""

import json
import re
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from claims.models import Claim, Claimant, ClaimStatus, Rating, Topic
from newsrooms.models import Newsroom, NewsroomToken, Submission, Subscription

# The library's token: an 8-character prefix, a dot, a 32-character secret.
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9]{8}\.[A-Za-z0-9]{32}$")

# How a claim's workflow state reads to the newsroom that asked for it.
PUBLIC_STATUS = {
    ClaimStatus.RECEIVED: "received",
    ClaimStatus.QUEUED: "queued",
    ClaimStatus.IN_REVIEW: "in_review",
    ClaimStatus.IN_APPROVAL: "in_review",
    ClaimStatus.PUBLISHED: "published",
    ClaimStatus.DUPLICATE: "duplicate",
    ClaimStatus.REJECTED: "rejected",
    ClaimStatus.WITHDRAWN: "withdrawn",
}
# A duplicate chain is short (merges point at open or published claims); the cap
# only guards against a cycle.
MAX_DUPLICATE_HOPS = 10


def looks_like_token(value: str) -> bool:
    return bool(TOKEN_PATTERN.match(value))


def token_for_key(key: str) -> NewsroomToken | None:
    """The usable token for `key`, or None (unknown, wrong secret, expired, revoked,
    newsroom inactive). One query: the prefix lookup with its newsroom; the secret is
    compared with the stored hash in constant time."""
    if not looks_like_token(key):
        return None
    prefix = key.partition(".")[0]
    token = (
        NewsroomToken.objects.get_usable_keys()
        .select_related("newsroom")
        .filter(prefix=prefix)
        .first()
    )
    if token is None or not token.is_valid(key) or token.has_expired:
        return None
    if not token.newsroom.active:
        return None
    return token


def newsroom_for_name(name: str) -> Newsroom | None:
    """A newsroom by its name or slug (case-insensitive for the name)."""
    return (
        Newsroom.objects.filter(slug=name).first()
        or Newsroom.objects.filter(name__iexact=name).first()
    )


def submission_for_newsroom(*, newsroom: Newsroom, submission_id: int) -> Submission | None:
    """Another newsroom's submission is as good as missing."""
    if not 0 < submission_id < 2**63:  # a bigint; larger ids in a URL are just missing
        return None
    return (
        Submission.objects.select_related("claim")
        .filter(newsroom=newsroom, pk=submission_id)
        .first()
    )


@dataclass(frozen=True)
class SubmissionStatus:
    status: str
    # The published fact-check that answers the submission, if any.
    fact_check: dict[str, Any] | None = None
    # The public reason of a rejection or withdrawal.
    reason: str | None = None
    # For a duplicate: the state of the claim it was merged into.
    duplicate_status: str | None = None


def _fact_check(claim: Claim) -> dict[str, Any] | None:
    publication = getattr(claim, "publication", None) if claim.pk else None
    if publication is None:
        return None
    document = json.loads(publication.document)
    return {"id": claim.pk, "url": document["url"], "public_url": document["public_url"]}


def submission_status(submission: Submission) -> SubmissionStatus:
    """What the newsroom may know: the state, the answering fact-check, the public
    reason. Never who reviews it or the desk's internal notes."""
    claim = submission.claim
    if claim.status == ClaimStatus.DUPLICATE:
        survivor = claim
        for _hop in range(MAX_DUPLICATE_HOPS):
            if survivor.duplicate_of_id is None:
                break
            survivor = Claim.objects.select_related("publication").get(pk=survivor.duplicate_of_id)
        inner = _claim_status(survivor)
        return SubmissionStatus(
            status="duplicate",
            fact_check=inner.fact_check,
            reason=inner.reason,
            duplicate_status=inner.status,
        )
    return _claim_status(claim)


def _claim_status(claim: Claim) -> SubmissionStatus:
    status = PUBLIC_STATUS.get(claim.status, "received")
    if status == "published":
        return SubmissionStatus(status=status, fact_check=_fact_check(claim))
    if status in ("rejected", "withdrawn"):
        return SubmissionStatus(status=status, reason=claim.status_note or None)
    return SubmissionStatus(status=status)


# --- Digest subscriptions -----------------------------------------------------------------


def subscription_filter_names(subscription: Subscription) -> dict[str, list[str]]:
    """The names of a subscription's filters, for its emails (an empty list: any)."""
    return {
        "topics": sorted(t.name for t in subscription.topics.all()),
        "claimants": sorted(c.name for c in subscription.claimants.all()),
        "ratings": [r.label for r in subscription.ratings.order_by("position", "pk")],
    }


def subscription_form_choices() -> dict[str, QuerySet]:
    """What the sign-up page offers to filter on: every topic and rating, and the
    claimants with a published fact-check (the others would show what is being checked)."""
    return {
        "topics": Topic.objects.order_by("name"),
        "ratings": Rating.objects.order_by("position", "pk"),
        "claimants": Claimant.objects.filter(claims__publication__isnull=False)
        .distinct()
        .order_by("name"),
    }


def subscription_for_token(subscription_id: int) -> Subscription | None:
    if not 0 < subscription_id < 2**63:
        return None
    return Subscription.objects.select_related("newsroom").filter(pk=subscription_id).first()
