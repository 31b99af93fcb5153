"""Reads for the public pages and feeds.

They read only the read model (`Publication` rows, rendered when a fact-check is
published or corrected), one indexed query per page, so a page never sees a draft, a
claim under review or anything a reviewer wrote that was not published. The one
exception is a withdrawn fact-check: what the public may know of it (the reason and
when) is read from its withdrawal in the change log.
"""

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from django.core.validators import slug_re
from django.http import QueryDict

from claims.models import EvidenceStance
from publishing.documents import public_path
from publishing.models import ChangeEvent, ChangeType, Publication

# What a page needs of a row; `search_text` and `claimreview` are left in the database
# except where they are shown.
LIST_FIELDS = ("id", "claim_id", "slug", "document", "published_at", "updated_at")


@dataclass(frozen=True)
class FactCheck:
    """A publication as the templates read it: its document, with dates as dates."""

    publication: Publication
    document: dict[str, Any]

    @property
    def path(self) -> str:
        return public_path(self.publication.claim_id, self.publication.slug)


def _datetime(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def document_for_display(text: str) -> dict[str, Any]:
    """Parse a stored document and turn its ISO dates into date objects, so templates
    format them in the reader's language (the JSON keeps the contract's strings)."""
    doc = json.loads(text)
    doc["published_at"] = _datetime(doc["published_at"])
    doc["updated_at"] = _datetime(doc["updated_at"])
    doc["claim_date"] = _date(doc.get("claim_date"))
    for appearance in doc["appearances"]:
        appearance["date"] = _date(appearance.get("date"))
    for source in doc["evidence"]:
        stance = source["stance"]
        source["stance_label"] = (
            EvidenceStance(stance).label if stance in EvidenceStance.values else stance
        )
    for correction in doc["corrections"]:
        correction["at"] = _datetime(correction["at"])
    for version in doc["history"]:
        version["published_at"] = _datetime(version["published_at"])
    return doc


FILTER_KEYS = ("topic", "claimant")


@dataclass(frozen=True)
class FactCheckFilters:
    """The filters of the public index and feeds (`?topic=`, `?claimant=`): slugs, as
    given, trimmed and cut at 200 characters."""

    topic: str = ""
    claimant: str = ""

    @classmethod
    def from_query(cls, query: QueryDict) -> "FactCheckFilters":
        return cls(**{key: query.get(key, "").strip()[:200] for key in FILTER_KEYS})

    def as_dict(self) -> dict[str, str]:
        """The filters given, as a query string names them."""
        return {key: value for key in FILTER_KEYS if (value := getattr(self, key))}

    def query(self) -> str:
        """The filters given as a query string ("?topic=war"), or ""."""
        given = self.as_dict()
        return "?" + urlencode(given) if given else ""

    def can_match(self) -> bool:
        """False when a value is no slug (SlugField's characters only): nothing is
        published under it, so it never goes to the database, which may not even
        compare it (PostgreSQL refuses a NUL with an error)."""
        return all(slug_re.match(value) for value in self.as_dict().values())


def factchecks_latest(
    *, filters: FactCheckFilters = FactCheckFilters(), before: int | None = None, limit: int
) -> list[FactCheck]:
    """The latest publications, newest first publication first (`-id`, the primary key:
    a unique, indexed keyset, so any page costs the same). `before` is the id of the
    last row of the previous page. Unknown slugs simply match nothing."""
    if not filters.can_match():
        return []
    rows = Publication.objects.only(*LIST_FIELDS).order_by("-id")
    if filters.topic:
        rows = rows.filter(topics__topic=filters.topic)
    if filters.claimant:
        rows = rows.filter(claimant=filters.claimant)
    if before is not None:
        rows = rows.filter(id__lt=before)
    return [FactCheck(p, document_for_display(p.document)) for p in rows[:limit]]


def factcheck_get(claim_id: int) -> tuple[FactCheck, str] | None:
    """The published fact-check of a claim and its ClaimReview text, or None."""
    publication = (
        Publication.objects.only(*LIST_FIELDS, "claimreview").filter(claim_id=claim_id).first()
    )
    if publication is None:
        return None
    return FactCheck(publication, document_for_display(publication.document)), (
        publication.claimreview
    )


@dataclass(frozen=True)
class Withdrawal:
    """What the public may know of a withdrawn fact-check (the API's 410, the page's)."""

    reason: str
    at: datetime


def withdrawal_get(claim_id: int) -> Withdrawal | None:
    """The withdrawal of a fact-check, from its change event (the public record), or
    None when the claim was never published and withdrawn. One query."""
    row = (
        ChangeEvent.objects.filter(claim_id=claim_id, type=ChangeType.WITHDRAWN)
        .order_by("-id")
        .values_list("reason", "at", "claim__status_note")
        .first()
    )
    if row is None:
        return None
    reason, at, status_note = row
    # Events logged before they carried a reason (migration 0010) have none: the
    # claim's status note, which the withdrawal wrote, is the same text.
    return Withdrawal(reason=reason or status_note, at=at)
