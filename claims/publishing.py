"""Publishing: render a fact-check once into its Publication row and log the change.

Called by the workflow services inside their transaction: `claim_approve` publishes or
corrects, `claim_withdraw` withdraws. Rendering reads the claim and its approved
verdicts once; the document and the ClaimReview are stored as JSON text, so the API
and the public pages never serialise a fact-check again (DESIGN.md, "Read model").
"""

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db.models import Max, Min, Prefetch
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _

from claims.changelog import change_event_record, change_events_record
from claims.claimreview import claimreview_build, claimreview_problems
from claims.models import (
    ChangeEvent,
    ChangeType,
    Claim,
    Publication,
    PublicationTopic,
    Rating,
    Verdict,
    VerdictStatus,
)
from claims.workflow import WorkflowError


def _absolute(path: str) -> str:
    return settings.SITE_URL + path


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def rating_scale_bounds() -> tuple[int, int]:
    """(worst, best) of the numbered ratings: what every rating is placed within."""
    bounds = Rating.objects.filter(value__isnull=False).aggregate(w=Min("value"), b=Max("value"))
    return bounds["w"] or 1, bounds["b"] or 1


def publication_slug(claim: Claim) -> str:
    return slugify(claim.claim_reviewed)[:80].strip("-") or "fact-check"


def public_path(claim_id: int, slug: str) -> str:
    return reverse("factcheck-detail", kwargs={"pk": claim_id, "slug": slug})


def _rating(rating: Rating, bounds: tuple[int, int]) -> dict[str, Any]:
    return {
        "slug": rating.slug,
        "label": rating.label,
        "value": rating.value,
        "best": bounds[1],
        "worst": bounds[0],
    }


def fact_check_document(
    claim: Claim, approved: list[Verdict], bounds: tuple[int, int]
) -> dict[str, Any]:
    """The public document (field names are the contract in DESIGN.md). `approved` is
    the claim's approved verdicts, oldest first; the last one is the fact-check."""
    current = approved[-1]
    slug = publication_slug(claim)
    claimant = claim.claimant
    corrections = [
        {
            "at": _iso(later.approved_at),
            "note": later.correction_note,
            "previous_rating": {"slug": earlier.rating.slug, "label": earlier.rating.label},
        }
        for earlier, later in zip(approved, approved[1:], strict=False)
    ]
    return {
        "id": claim.pk,
        "url": _absolute(reverse("api-claim-detail", kwargs={"pk": claim.pk})),
        "claim": claim.text,
        "claim_reviewed": claim.claim_reviewed,
        "claimant": {
            "name": claimant.name,
            "slug": claimant.slug,
            "description": claimant.description,
            "same_as": claimant.same_as or None,
        },
        "appearances": [
            {"url": a.url, "outlet": a.outlet, "date": _iso(a.date)}
            for a in claim.appearances.all()
        ],
        "claim_date": _iso(claim.claim_date),
        "rating": _rating(current.rating, bounds),
        "summary": current.summary,
        "explanation": current.explanation,
        "evidence": [
            {
                "url": e.url,
                "title": e.title,
                "publisher": e.publisher,
                "stance": e.stance,
                "quote": e.quote,
            }
            for e in claim.evidence.all()
        ],
        "topics": [{"slug": t.slug, "name": t.name} for t in claim.topics.all()],
        "language": claim.language,
        "published_at": _iso(approved[0].approved_at),
        "updated_at": _iso(current.approved_at),
        "version": len(approved),
        "corrections": corrections,
        "history": [
            {
                "version": number,
                "published_at": _iso(v.approved_at),
                "rating": {"slug": v.rating.slug, "label": v.rating.label},
                "summary": v.summary,
            }
            for number, v in enumerate(approved, start=1)
        ],
        "claimreview_url": _absolute(reverse("api-claim-claimreview", kwargs={"pk": claim.pk})),
        "public_url": _absolute(public_path(claim.pk, slug)),
    }


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _claims_for_render(claim_ids: Iterable[int]):
    approved = Verdict.objects.filter(status=VerdictStatus.APPROVED).select_related("rating")
    return (
        Claim.objects.filter(pk__in=list(claim_ids))
        .select_related("claimant")
        .prefetch_related(
            "appearances",
            "evidence",
            "topics",
            "claimant__aliases",
            Prefetch("verdicts", queryset=approved.order_by("version"), to_attr="approved"),
        )
    )


def _publication_row(claim: Claim, bounds: tuple[int, int]) -> tuple[Publication, list[str]]:
    """Render one claim; refuse (WorkflowError) when its ClaimReview breaks the rules."""
    document = fact_check_document(claim, claim.approved, bounds)
    claimreview = claimreview_build(document, claimant_kind=claim.claimant.kind)
    problems = claimreview_problems(claimreview)
    if problems:
        raise WorkflowError(
            "invalid",
            _("This fact-check cannot be published: its ClaimReview is not valid: %(p)s")
            % {"p": "; ".join(problems)},
            {"claimreview": problems},
        )
    text = dumps(document)
    aliases = " ".join(a.name for a in claim.claimant.aliases.all())
    publication = Publication(
        claim=claim,
        slug=publication_slug(claim),
        version=document["version"],
        document=text,
        claimreview=dumps(claimreview),
        etag=hashlib.sha256(text.encode()).hexdigest()[:32],
        rating=document["rating"]["slug"],
        claimant=claim.claimant.slug,
        language=claim.language,
        search_text=" ".join(
            [claim.claim_reviewed, claim.text, document["summary"], claim.claimant.name, aliases]
        ),
        published_at=claim.approved[0].approved_at,
        updated_at=claim.approved[-1].approved_at,
    )
    return publication, [t["slug"] for t in document["topics"]]


def publications_render(claim_ids: Iterable[int]) -> list[tuple[Publication, list[str], str]]:
    """Render the publications of published claims (any number, a few queries for all).
    Returns (unsaved publication, topic slugs, change type) per claim; a claim that is
    public already keeps its row (and so its place in the list) and logs a correction."""
    claim_ids = list(claim_ids)
    bounds = rating_scale_bounds()
    existing = dict(
        Publication.objects.filter(claim_id__in=claim_ids).values_list("claim_id", "pk")
    )
    out = []
    for claim in _claims_for_render(claim_ids):
        publication, topics = _publication_row(claim, bounds)
        publication.pk = existing.get(claim.pk)
        change = ChangeType.CORRECTED if publication.pk else ChangeType.PUBLISHED
        out.append((publication, topics, change))
    return out


def publications_store(rendered: list[tuple[Publication, list[str], str]]) -> None:
    """Save rendered publications and their change events (caller's transaction)."""
    updated = [p for p, _topics, _type in rendered if p.pk is not None]
    for publication in updated:
        publication.save(force_update=True)
    PublicationTopic.objects.filter(publication__in=updated).delete()
    # bulk_create sets primary keys on PostgreSQL and SQLite alike (RETURNING).
    Publication.objects.bulk_create([p for p, _topics, _type in rendered if p.pk is None])
    PublicationTopic.objects.bulk_create(
        PublicationTopic(publication=p, topic=slug)
        for p, topics, _type in rendered
        for slug in topics
    )
    change_events_record([(p.claim, change, p.document) for p, _topics, change in rendered])


def publication_publish(claim: Claim) -> Publication:
    """Publish or correct: render the claim's latest approved verdict and log it."""
    rendered = publications_render([claim.pk])
    publications_store(rendered)
    return rendered[0][0]


def publication_withdraw(claim: Claim) -> None:
    """Take the fact-check off every public surface; the log keeps the withdrawal.

    Earlier events of the claim lose their document too: withdrawn content must not
    stay readable through `changes/?after=0`. Their type and number stay, so the log
    keeps its shape and a poller that already read them gets the withdrawal next."""
    Publication.objects.filter(claim=claim).delete()
    ChangeEvent.objects.filter(claim=claim).exclude(document=None).update(document=None)
    change_event_record(claim=claim, type=ChangeType.WITHDRAWN, document=None)
