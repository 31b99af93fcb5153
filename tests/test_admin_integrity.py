"""Crafted admin requests against claims in every state, as every persona: nothing the
workflow forbids gets through the admin, and whatever it allows goes through a service.

Each request is what a hostile or confused user could post by hand (not only what the
buttons offer): rewrite a verdict on the Verdict page, add one there, change a claim's
fields, change or delete its evidence, write another reviewer's draft, edit evidence on
the Evidence page. A refusal must say why and leave every row, the history, the
Publication and the change log as they were."""

from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib import messages as django_messages
from django.test import Client
from django.urls import reverse

from claims.models import Appearance, Claim, ClaimStatus, Evidence, Verdict, VerdictStatus
from publishing.models import ChangeEvent, Publication, PublishedVersion
from tests.factories import ClaimFactory, TopicFactory, VerdictFactory, rating

pytestmark = pytest.mark.django_db
S = ClaimStatus
PERSONAS = ["reviewer", "other_reviewer", "editor", "admin_user", "outsider"]
EDITORS = {"editor", "admin_user"}
CONTENT_STATES = {S.RECEIVED, S.QUEUED, S.IN_REVIEW}


def TOPIC():  # noqa: N802 - a constant made on first use, inside the test's database
    return TopicFactory(slug="tampered", name="Tampered")


def snapshot() -> dict[str, Any]:
    """Every row the requests could touch, history included."""
    return {
        model.__name__: sorted(map(repr, model.objects.values()))
        for model in (
            Claim,
            Verdict,
            Evidence,
            Appearance,
            Publication,
            PublishedVersion,
            ChangeEvent,
        )  # fmt: skip
    } | {
        f"history of {model.__name__}": model.history.count()
        for model in (Claim, Verdict, Evidence, Appearance)
    }


def claim_in(state: str, reviewer) -> Claim:
    """A claim in `state` with a source; in review it is olena's with her draft."""
    made = S.QUEUED if state == S.DUPLICATE else state  # a duplicate needs its survivor
    claim = ClaimFactory(status=made, evidence=[{}], state__author=reviewer)
    if state in {S.IN_REVIEW, S.IN_APPROVAL, S.PUBLISHED, S.WITHDRAWN}:
        Claim.objects.filter(pk=claim.pk).update(assignee=reviewer)
    if state == S.IN_REVIEW:
        VerdictFactory(claim=claim, author=reviewer, status=VerdictStatus.DRAFT)
    if state == S.DUPLICATE:
        survivor = ClaimFactory(status=S.QUEUED)
        Claim.objects.filter(pk=claim.pk).update(status=state, duplicate_of=survivor)
    claim.refresh_from_db()
    return claim


def claim_form(claim: Claim, **changes: Any) -> dict[str, Any]:
    """The claim page's POST, written by hand: every field and inline at its value."""
    data: dict[str, Any] = {
        "text": claim.text,
        "claim_reviewed": claim.claim_reviewed,
        "claimant": claim.claimant_id,
        "language": claim.language,
        "claim_date": "",
        "lock_version": claim.version,
        "_save": "Save",
    }
    appearances = list(claim.appearances.all())
    data |= _management("appearances", len(appearances))
    for i, a in enumerate(appearances):
        data |= {f"appearances-{i}-{k}": v for k, v in
                 {"id": a.pk, "claim": claim.pk, "url": a.url, "outlet": a.outlet}.items()}  # fmt: skip
    evidence = list(claim.evidence.all())
    data |= _management("evidence", len(evidence))
    for i, e in enumerate(evidence):
        fields = {"id": e.pk, "claim": claim.pk, "url": e.url, "title": e.title,
                  "publisher": e.publisher, "stance": e.stance, "kind": e.kind, "quote": ""}  # fmt: skip
        data |= {f"evidence-{i}-{k}": v for k, v in fields.items()}
    data |= _management("notes", 0)
    return data | changes


def _management(prefix: str, count: int) -> dict[str, Any]:
    return {
        f"{prefix}-TOTAL_FORMS": count,
        f"{prefix}-INITIAL_FORMS": count,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }


@dataclass(frozen=True)
class Probe:
    name: str
    url: Any  # (claim) -> str
    data: Any  # (claim, user) -> dict
    allowed: Any  # (state, persona) -> bool
    # The audit record an allowed request must leave: (model, change reason).
    record: tuple[type, str] | None = None


def _verdict_of(claim: Claim) -> Verdict:
    return claim.verdicts.order_by("-version").first()


def _claim_url(claim: Claim) -> str:
    return reverse("admin:claims_claim_change", args=[claim.pk])


PROBES = [
    Probe(
        "rewrite the verdict on the Verdict page",
        lambda c: reverse("admin:claims_verdict_change", args=[_verdict_of(c).pk]),
        lambda c, u: {
            "rating": rating("true").pk,
            "summary": "Tampered.",
            "explanation": "Tampered.",
            "correction_note": "",
        },  # fmt: skip
        lambda state, persona: False,
    ),
    Probe(
        "add a verdict on the Verdict page",
        lambda c: reverse("admin:claims_verdict_add"),
        lambda c, u: {
            "claim": c.pk,
            "version": 9,
            "rating": rating("true").pk,
            "summary": "Tampered.",
            "explanation": "Tampered.",
            "status": "approved",
            "author": u.pk,
        },  # fmt: skip
        lambda state, persona: False,
    ),
    Probe(
        "change the claim's fields",
        _claim_url,
        lambda c, u: claim_form(c, claim_reviewed="Tampered claim"),
        lambda state, persona: (
            state in CONTENT_STATES
            and (persona in EDITORS or (persona == "reviewer" and state == S.IN_REVIEW))
        ),
        (Claim, "edit"),
    ),
    Probe(
        "change a source",
        _claim_url,
        lambda c, u: claim_form(c, **{"evidence-0-title": "Tampered source"}),
        lambda state, persona: state == S.IN_REVIEW and persona in {"reviewer", *EDITORS},
        (Evidence, "change_evidence"),
    ),
    Probe(
        "delete a source",
        _claim_url,
        lambda c, u: claim_form(c, **{"evidence-0-DELETE": "on"}),
        lambda state, persona: state == S.IN_REVIEW and persona in {"reviewer", *EDITORS},
        (Evidence, "remove_evidence"),
    ),
    Probe(
        "write olena's draft",
        _claim_url,
        lambda c, u: claim_form(
            c,
            draft_rating=rating("true").pk,
            draft_summary="Tampered.",
            draft_explanation="Tampered.",
        ),  # fmt: skip
        lambda state, persona: state == S.IN_REVIEW and persona == "reviewer",
        (Verdict, "draft"),
    ),
    Probe(
        "restore the verdict from its history page",
        lambda c: reverse(
            "admin:claims_verdict_simple_history",
            args=[_verdict_of(c).pk, _verdict_of(c).history.earliest().history_id],
        ),
        lambda c, u: {
            "rating": rating("true").pk,
            "summary": "Tampered.",
            "explanation": "Tampered.",
            "correction_note": "",
        },  # fmt: skip
        lambda state, persona: False,
    ),
    Probe(
        "restore the claim from its history page",
        lambda c: reverse(
            "admin:claims_claim_simple_history", args=[c.pk, c.history.earliest().history_id]
        ),
        lambda c, u: claim_form(c, claim_reviewed="Tampered claim", topics=[TOPIC().pk]),
        lambda state, persona: False,
    ),
    Probe(
        "change a source on the Evidence page",
        lambda c: reverse("admin:claims_evidence_change", args=[c.evidence.first().pk]),
        lambda c, u: {
            "url": "https://example.org/x",
            "title": "Tampered source",
            "stance": "supports",
            "kind": "other",
        },  # fmt: skip
        lambda state, persona: False,
    ),
]


def _errors(response) -> list[str]:
    return [
        str(m)
        for m in django_messages.get_messages(response.wsgi_request)
        if m.level == django_messages.ERROR
    ]


@pytest.mark.parametrize("state", list(S))
@pytest.mark.parametrize("probe", PROBES, ids=lambda p: p.name.replace(" ", "-"))
def test_crafted_admin_requests_are_refused_or_go_through_a_service(request, state, probe):
    reviewer = request.getfixturevalue("reviewer")
    for persona in PERSONAS:
        user = request.getfixturevalue(persona)
        claim = claim_in(state, reviewer)
        if "verdict" in probe.name.split()[:3] and _verdict_of(claim) is None:
            continue  # no verdict in this state to rewrite
        client = Client()
        client.force_login(user)
        before = snapshot()

        response = client.post(probe.url(claim), probe.data(claim, user), follow=True)

        where = f"{persona} / {probe.name} / {state}"
        assert response.status_code in (200, 403), where
        if probe.allowed(state, persona):
            assert response.status_code == 200 and not _errors(response), where
            assert snapshot() != before, f"{where}: allowed but nothing changed"
            model, reason = probe.record
            latest = model.history.order_by("-history_id").first()
            assert (latest.history_user, latest.history_change_reason) == (user, reason), where
        else:
            assert snapshot() == before, f"{where}: forbidden but something changed"
            if response.status_code == 200:
                assert _errors(response), f"{where}: refused without a message"
