"""Documents: a fact-check rendered once, as the public reads it.

Rendering reads the claim and its approved verdicts once and builds the document, its
hash chain entry and its ClaimReview; `publishing.services` stores them as JSON text in
the claim's Publication row, so the API and the public pages never serialise a
fact-check again (DESIGN.md, "Read model"). Nothing here writes.
"""

import hashlib
import json
from collections.abc import Iterable
from typing import Any

import rfc8785
from django.conf import settings
from django.db.models import Max, Min, Prefetch
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from claims.models import Claim, Rating, Verdict, VerdictStatus
from factcheck.errors import DomainError
from publishing.claimreview import claimreview_build, claimreview_problems
from publishing.models import (
    ChangeType,
    Publication,
    PublishedVersion,
)


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


def version_body(
    claim: Claim, verdict: Verdict, previous: dict[str, Any] | None, bounds: tuple[int, int]
) -> dict[str, Any]:
    """The public document of one version, without `history` and `content_hash` (the
    part its hash covers). Field names are the contract in DESIGN.md. What earlier
    versions said (the first publication date, the corrections and their ratings
    before) is read from `previous`, the document of the version before as it was
    published, never from today's rows."""
    slug = publication_slug(claim)
    claimant = claim.claimant
    corrections = []
    if previous is not None:
        corrections = [
            *previous["corrections"],
            {
                "at": _iso(verdict.approved_at),
                "note": verdict.correction_note,
                "previous_rating": {
                    "slug": previous["rating"]["slug"],
                    "label": previous["rating"]["label"],
                },
            },
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
        "rating": _rating(verdict.rating, bounds),
        "summary": verdict.summary,
        "explanation": verdict.explanation,
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
        "published_at": previous["published_at"] if previous else _iso(verdict.approved_at),
        "updated_at": _iso(verdict.approved_at),
        "version": previous["version"] + 1 if previous else 1,
        "previous_hash": previous_hash_of(previous),
        "corrections": corrections,
        "claimreview_url": _absolute(reverse("api-claim-claimreview", kwargs={"pk": claim.pk})),
        "public_url": _absolute(public_path(claim.pk, slug)),
    }


# Fields of the public document that its content hash does not cover: the list of
# versions (which carries the hashes) and the hash itself.
UNHASHED_FIELDS = ("history", "content_hash")


def canonical(body: dict[str, Any]) -> bytes:
    """RFC 8785 canonical JSON: the bytes a version's SHA-256 is taken of. A newsroom
    gets the same bytes from the document it downloaded (docs/api.md)."""
    return rfc8785.dumps({k: v for k, v in body.items() if k not in UNHASHED_FIELDS})


def content_hash(body: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(body)).hexdigest()


def previous_hash_of(previous: dict[str, Any] | None) -> str | None:
    return content_hash(previous) if previous is not None else None


def version_new(
    claim: Claim, verdict: Verdict, previous: PublishedVersion | None, bounds: tuple[int, int]
) -> PublishedVersion:
    """The next link of the claim's chain for an approved verdict (unsaved)."""
    before = json.loads(previous.document) if previous is not None else None
    body = version_body(claim, verdict, before, bounds)
    return PublishedVersion(
        claim=claim,
        verdict=verdict,
        number=body["version"],
        document=canonical(body).decode(),
        content_hash=content_hash(body),
        previous_hash=previous.content_hash if previous is not None else "",
        published_at=verdict.approved_at,
    )


def history_entry(version: PublishedVersion) -> dict[str, Any]:
    body = json.loads(version.document)
    return {
        "version": version.number,
        "published_at": body["updated_at"],
        "rating": {"slug": body["rating"]["slug"], "label": body["rating"]["label"]},
        "summary": body["summary"],
        "content_hash": version.content_hash,
        "previous_hash": version.previous_hash or None,
    }


def fact_check_document(versions: list[PublishedVersion]) -> dict[str, Any]:
    """The public document: the newest version's, with its hash and every version."""
    return {
        **json.loads(versions[-1].document),
        "content_hash": versions[-1].content_hash,
        "history": [history_entry(v) for v in versions],
    }


def versions_complete(claim: Claim, bounds: tuple[int, int]) -> list[PublishedVersion]:
    """The claim's published versions, oldest first, with a new (unsaved) link for each
    approved verdict that has none yet: the one just approved, or every version of a
    claim published before versions were kept (rendered from today's rows then)."""
    versions = list(claim.stored_versions)
    done = {v.verdict_id for v in versions}
    for verdict in claim.approved:
        if verdict.pk not in done:
            versions.append(version_new(claim, verdict, versions[-1] if versions else None, bounds))
    return versions


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
            Prefetch(
                "published_versions",
                queryset=PublishedVersion.objects.order_by("number"),
                to_attr="stored_versions",
            ),
        )
    )


def _publication_row(
    claim: Claim, bounds: tuple[int, int]
) -> tuple[Publication, list[str], list[PublishedVersion]]:
    """Render one claim; refuse (DomainError) when its ClaimReview breaks the rules."""
    versions = versions_complete(claim, bounds)
    document = fact_check_document(versions)
    claimreview = claimreview_build(document, claimant_kind=claim.claimant.kind)
    problems = claimreview_problems(claimreview)
    if problems:
        raise DomainError(
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
        etag=document_etag(text),
        rating=document["rating"]["slug"],
        claimant=claim.claimant.slug,
        language=claim.language,
        search_text=" ".join(
            [claim.claim_reviewed, claim.text, document["summary"], claim.claimant.name, aliases]
        ),
        published_at=versions[0].published_at,
        updated_at=versions[-1].published_at,
    )
    new_versions = [v for v in versions if v.pk is None]
    return publication, [t["slug"] for t in document["topics"]], new_versions


def document_etag(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


Rendered = tuple[Publication, list[str], str, list[PublishedVersion]]


def publications_render(claim_ids: Iterable[int]) -> list[Rendered]:
    """Render the publications of published claims (any number, a few queries for all).
    Returns (unsaved publication, topic slugs, change type, new versions) per claim; a
    claim that is public already keeps its row (and so its place in the list) and logs
    a correction."""
    claim_ids = list(claim_ids)
    bounds = rating_scale_bounds()
    existing = dict(
        Publication.objects.filter(claim_id__in=claim_ids).values_list("claim_id", "pk")
    )
    out = []
    for claim in _claims_for_render(claim_ids):
        publication, topics, versions = _publication_row(claim, bounds)
        publication.pk = existing.get(claim.pk)
        change = ChangeType.CORRECTED if publication.pk else ChangeType.PUBLISHED
        out.append((publication, topics, change, versions))
    return out


def publication_preview(claim: Claim) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """What approving the claim's proposed verdict would publish, rendered as the
    approval would (nothing is saved), and the document published now (None for a
    first publication). The approval page shows both and their differences."""
    rendered = _claims_for_render([claim.pk]).get()
    proposed = rendered.verdicts.filter(status=VerdictStatus.PROPOSED).first()
    if proposed is None:
        raise DomainError("invalid", _("This claim has no proposed verdict."))
    proposed.approved_at = timezone.now()
    bounds = rating_scale_bounds()
    versions = list(rendered.stored_versions)
    versions.append(version_new(rendered, proposed, versions[-1] if versions else None, bounds))
    current = fact_check_document(versions[:-1]) if len(versions) > 1 else None
    return fact_check_document(versions), current
