"""Verify the public record: every published version's hash chain, and every stored
document against the rows it was rendered from (`python manage.py verify_publications`).

The triggers of migration claims/0010 stop the ORM and plain SQL from rewriting an
approved verdict or a published version; this check finds what got past them anyway
(a trigger dropped, a restore from an edited dump, a row edited by hand) and names it.
"""

import json
from collections.abc import Iterator
from typing import Any

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from claims.models import Claim, ClaimStatus, Verdict, VerdictStatus
from publishing.claimreview import claimreview_build
from publishing.documents import (
    content_hash,
    document_etag,
    fact_check_document,
    rating_scale_bounds,
    version_body,
)
from publishing.models import ChangeEvent, ChangeType, Publication, PublishedVersion

# What the claim itself says, compared between its rows today and the version published
# last: none of it may change while the claim is published (claims.policy).
CLAIM_CONTENT = ("claim", "claim_reviewed", "claim_date", "language", "appearances",
                 "evidence", "topics")  # fmt: skip
# Checked for every claim in batches of this many.
BATCH = 500


def _claims() -> Iterator[Claim]:
    approved = Verdict.objects.filter(status=VerdictStatus.APPROVED).select_related("rating")
    claims = (
        Claim.objects.filter(verdicts__status=VerdictStatus.APPROVED)
        .distinct()
        .order_by("pk")
        .select_related("claimant", "publication")
        .prefetch_related(
            "appearances",
            "evidence",
            "topics",
            Prefetch("verdicts", queryset=approved.order_by("version"), to_attr="approved"),
            Prefetch(
                "published_versions",
                queryset=PublishedVersion.objects.order_by("number"),
                to_attr="stored_versions",
            ),
            Prefetch("change_events", queryset=ChangeEvent.objects.order_by("id"), to_attr="log"),
        )
    )
    yield from claims.iterator(chunk_size=BATCH)


def _chain_problems(claim: Claim) -> Iterator[str]:
    versions, approved = claim.stored_versions, claim.approved
    if [v.verdict_id for v in versions] != [v.pk for v in approved]:
        yield _("the published versions do not match its approved verdicts")
    previous = None
    for version in versions:
        body = json.loads(version.document)
        if content_hash(body) != version.content_hash:
            yield _("version %(n)s: its document does not match its hash") % {"n": version.number}
        expected_previous = previous.content_hash if previous else ""
        if version.previous_hash != expected_previous or (body.get("previous_hash") or "") != (
            expected_previous
        ):
            yield _("version %(n)s: the chain is broken (previous hash)") % {"n": version.number}
        if body.get("version") != version.number:
            yield _("version %(n)s: its document says version %(v)s") % {
                "n": version.number,
                "v": body.get("version"),
            }
        previous = version


def _verdict_problems(claim: Claim) -> Iterator[str]:
    """Each version's words against the verdict row it was published from."""
    for version, verdict in zip(claim.stored_versions, claim.approved, strict=False):
        body = json.loads(version.document)
        published = {
            "rating": body["rating"]["slug"],
            "summary": body["summary"],
            "explanation": body["explanation"],
            "approved_at": body["updated_at"],
        }
        rows = {
            "rating": verdict.rating.slug,
            "summary": verdict.summary,
            "explanation": verdict.explanation,
            "approved_at": verdict.approved_at.isoformat(),
        }
        if version.number > 1 and body["corrections"]:
            published["correction_note"] = body["corrections"][-1]["note"]
            rows["correction_note"] = verdict.correction_note
        for field in sorted(name for name in published if published[name] != rows[name]):
            yield _("version %(n)s: the verdict's %(field)s differs from what was published") % {
                "n": version.number,
                "field": field,
            }


def _publication_problems(claim: Claim, bounds: tuple[int, int]) -> Iterator[str]:
    publication: Publication | None = getattr(claim, "publication", None)
    if claim.status != ClaimStatus.PUBLISHED:
        if publication is not None:
            yield _("it is %(status)s but still has a public document") % {"status": claim.status}
        return
    if publication is None or not claim.stored_versions:
        yield _("it is published but has no public document")
        return
    document = json.loads(publication.document)
    if document != fact_check_document(claim.stored_versions):
        yield _("its public document differs from its published versions")
    if publication.etag != document_etag(publication.document):
        yield _("its public document does not match its ETag")
    if _reviewed(json.loads(publication.claimreview)) != _reviewed(
        claimreview_build(document, claimant_kind=claim.claimant.kind)
    ):
        yield _("its ClaimReview differs from its public document")
    last = claim.stored_versions[-1]
    before = json.loads(claim.stored_versions[-2].document) if last.number > 1 else None
    today = version_body(claim, claim.approved[-1], before, bounds)
    published = json.loads(last.document)
    for field in CLAIM_CONTENT:
        if today[field] != published[field]:
            yield _("its %(field)s changed since version %(n)s was published") % {
                "field": field,
                "n": last.number,
            }


def _reviewed(claimreview: dict[str, Any]) -> dict[str, Any]:
    """What a ClaimReview says of the fact-check. Its `author` (our organisation's name
    and links) comes from the configuration of the process that rendered it, which a
    second process may not share (another PORT or SITE_URL)."""
    return {k: v for k, v in claimreview.items() if k != "author"}


def _log_problems(claim: Claim) -> Iterator[str]:
    hashes = {v.number: v.content_hash for v in claim.stored_versions}
    for event in claim.log:
        if event.type == ChangeType.WITHDRAWN or event.document is None:
            continue
        number = json.loads(event.document).get("version")
        if hashes.get(number) != event.content_hash or json.loads(event.document).get(
            "content_hash"
        ) != (event.content_hash):
            yield _("change event %(seq)s does not match version %(n)s") % {
                "seq": event.seq or f"id {event.pk}",
                "n": number,
            }


def publications_verify() -> tuple[int, int, list[str]]:
    """(claims checked, versions checked, problems): each problem names its claim."""
    bounds = rating_scale_bounds()
    checked = versions = 0
    problems: list[str] = []
    for claim in _claims():
        if not claim.stored_versions and claim.status != ClaimStatus.PUBLISHED:
            # Withdrawn before versions were kept (migration 0010): nothing to check.
            continue
        checked += 1
        versions += len(claim.stored_versions)
        found: list[Any] = [
            *_chain_problems(claim),
            *_verdict_problems(claim),
            *_publication_problems(claim, bounds),
            *_log_problems(claim),
        ]
        problems += [
            _("Claim %(id)s: %(problem)s.") % {"id": claim.pk, "problem": p} for p in found
        ]
    return checked, versions, problems
