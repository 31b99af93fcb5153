"""Reads of the publishing app: the policy pages and the corrections log.

The corrections log reads sequenced change events only (DESIGN.md, "The change log"):
an event that has no number yet is not in the log, as it is not in `changes/` or the
feeds, so every reader sees the same history in the same order.
"""

from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse

from claims.models import Claim, ClaimStatus
from publishing.documents import public_path
from publishing.models import ChangeEvent, ChangeType, PolicyKind, PolicyPage, Publication

CORRECTION_TYPES = (ChangeType.CORRECTED, ChangeType.WITHDRAWN)


def policy_page_get(kind: PolicyKind) -> PolicyPage | None:
    return PolicyPage.objects.filter(kind=kind).first()


@dataclass(frozen=True)
class CorrectionEntry:
    """One correction or withdrawal as the log, its page and its feeds show it."""

    seq: int
    kind: ChangeType
    at: datetime
    claim_id: int
    claim_reviewed: str
    note: str
    # The fact-check's public page while it is published; the withdrawn address (which
    # answers 410 with the reason) once it is not.
    path: str

    @property
    def kind_label(self) -> str:
        return self.kind.label


def _note(event: ChangeEvent) -> str:
    """The event's public note. Withdrawals logged before events carried a reason have
    it only on the claim, whose status note a withdrawn claim keeps for good."""
    if event.reason or event.type != ChangeType.WITHDRAWN:
        return event.reason
    claim: Claim = event.claim
    return claim.status_note if claim.status == ClaimStatus.WITHDRAWN else ""


def corrections_latest(*, before: int | None = None, limit: int) -> list[CorrectionEntry]:
    """Corrections and withdrawals, newest first (`-seq`: unique and indexed, so a page
    is a keyset read). `before` is the `seq` of the last entry of the previous page."""
    events = (
        ChangeEvent.objects.filter(seq__isnull=False, type__in=CORRECTION_TYPES)
        .select_related("claim")
        # Never the document: the log shows the note, and the document is the big column.
        .only(
            "seq",
            "type",
            "at",
            "reason",
            "claim_id",
            "claim__claim_reviewed",
            "claim__status",
            "claim__status_note",
        )  # fmt: skip
        .order_by("-seq")
    )
    if before is not None:
        events = events.filter(seq__lt=before)
    events = list(events[:limit])
    slugs = dict(
        Publication.objects.filter(claim_id__in={e.claim_id for e in events}).values_list(
            "claim_id", "slug"
        )
    )
    return [
        CorrectionEntry(
            seq=event.seq,
            kind=ChangeType(event.type),
            at=event.at,
            claim_id=event.claim_id,
            claim_reviewed=event.claim.claim_reviewed,
            note=_note(event),
            path=(
                public_path(event.claim_id, slugs[event.claim_id])
                if event.claim_id in slugs
                else reverse("factcheck-bare", kwargs={"pk": event.claim_id})
            ),
        )
        for event in events
    ]
