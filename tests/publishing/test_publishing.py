"""The read model: approving, correcting and withdrawing render the public document and
the ClaimReview once into a Publication row and log a change event."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims import services
from claims.models import ClaimStatus, VerdictStatus
from factcheck.errors import DomainError
from publishing.api.serializers import FactCheckSerializer
from publishing.documents import publications_render
from publishing.models import ChangeEvent, ChangeType, Publication
from tests.admin_pages import action_url, messages_of
from tests.factories import ClaimFactory, TopicFactory, rating

pytestmark = pytest.mark.django_db

# DESIGN.md, "Fact-check document fields", plus the version history the issue asks for.
DOCUMENT_FIELDS = {
    "id", "url", "claim", "claim_reviewed", "claimant", "appearances", "claim_date",
    "rating", "summary", "explanation", "evidence", "topics", "language", "published_at",
    "updated_at", "version", "corrections", "history", "claimreview_url", "public_url",
    # The hash chain of the published versions (issue: tamper-evident history).
    "content_hash", "previous_hash",
}  # fmt: skip


def document_of(claim) -> dict:
    return json.loads(Publication.objects.get(claim=claim).document)


def assert_valid_document(text: str) -> None:
    serializer = FactCheckSerializer(data=json.loads(text))
    assert serializer.is_valid(), serializer.errors


def events_of(claim) -> list[tuple[str, bool]]:
    return [
        (e.type, e.document is not None)
        for e in ChangeEvent.objects.filter(claim=claim).order_by("id")
    ]


def correct(claim, *, editor, approver, summary: str, rating_slug: str = "misleading"):
    """A full correction: an editor reopens, the assignee proposes, another editor approves."""
    services.claim_correct(actor=editor, claim=claim, note="The ministry revised the figure.")
    claim.refresh_from_db()
    services.claim_propose(
        actor=claim.assignee,
        claim=claim,
        rating=rating(rating_slug),
        summary=summary,
        explanation="The revised figure is still unverified.",
    )
    return services.claim_approve(actor=approver, claim=claim)


def test_approve_publishes_the_contract_document_once(editor):
    claim = ClaimFactory(status=ClaimStatus.IN_APPROVAL, claim_date="2023-06-20")
    claim.topics.add(TopicFactory(slug="war", name="War"))
    with CaptureQueriesContext(connection) as queries:
        services.claim_approve(actor=editor, claim=claim)
    inserts = [q["sql"] for q in queries if q["sql"].startswith('INSERT INTO "claims_publication"')]
    assert len(inserts) == 1

    publication = Publication.objects.get(claim=claim)
    document = json.loads(publication.document)
    assert set(document) == DOCUMENT_FIELDS
    assert document["id"] == claim.pk
    assert document["claim"] == claim.text
    assert document["claim_reviewed"] == claim.claim_reviewed
    assert document["claimant"] == {
        "name": "Sergei Shoigu",
        "slug": "sergei-shoigu",
        "description": "Russian Defence Minister",
        "same_as": "https://www.wikidata.org/wiki/Q313463",
    }
    assert document["appearances"] == [
        {"url": "https://tass.com/defense/1669335", "outlet": "TASS", "date": None}
    ]
    assert document["claim_date"] == "2023-06-20"
    assert document["rating"] == {
        "slug": "false",
        "label": "False",
        "value": 1,
        "best": 5,
        "worst": 1,
    }
    assert document["topics"] == [{"slug": "war", "name": "War"}]
    assert (document["version"], document["corrections"], document["language"]) == (1, [], "en")
    assert [v["version"] for v in document["history"]] == [1]
    assert document["public_url"].endswith(f"/factchecks/{claim.pk}-{publication.slug}/")
    assert document["claimreview_url"].endswith(f"/api/v1/claims/{claim.pk}/claimreview/")
    assert document["url"].endswith(f"/api/v1/claims/{claim.pk}/")
    assert (publication.rating, publication.claimant, publication.language) == (
        "false", "sergei-shoigu", "en",
    )  # fmt: skip
    assert list(publication.topics.values_list("topic", flat=True)) == ["war"]
    assert_valid_document(publication.document)
    assert events_of(claim) == [(ChangeType.PUBLISHED, True)]
    assert ChangeEvent.objects.get(claim=claim).document == publication.document


def test_document_never_names_reviewers_or_internal_notes(editor, reviewer):
    claim = ClaimFactory(status=ClaimStatus.IN_APPROVAL, assignee=reviewer)
    services.claim_note_add(actor=reviewer, claim=claim, text="Secret desk chatter")
    services.claim_approve(actor=editor, claim=claim)
    publication = Publication.objects.get(claim=claim)
    for text in (publication.document, publication.claimreview):
        for secret in ("olena", "iryna", "@example.org", "Secret desk chatter", "author_id"):
            assert secret not in text


def test_correction_keeps_the_row_and_logs_a_corrected_event(editor, other_editor):
    claim = ClaimFactory(status=ClaimStatus.PUBLISHED)
    before = Publication.objects.get(claim=claim)
    services.claim_correct(actor=editor, claim=claim, note="The ministry revised the figure.")
    # While the correction is in the works, the old version stays public.
    assert Publication.objects.get(claim=claim).document == before.document

    claim.refresh_from_db()
    services.claim_propose(
        actor=claim.assignee,
        claim=claim,
        rating=rating("misleading"),
        summary="The revised figure is unverified too.",
        explanation="Nobody can confirm the revised figure either.",
    )
    assert Publication.objects.get(claim=claim).document == before.document
    services.claim_approve(actor=other_editor, claim=claim)

    after = Publication.objects.get(claim=claim)
    assert after.pk == before.pk
    assert after.etag != before.etag
    document = json.loads(after.document)
    assert document["version"] == 2
    assert document["rating"]["slug"] == "misleading"
    assert document["summary"] == "The revised figure is unverified too."
    [correction] = document["corrections"]
    assert correction["note"] == "The ministry revised the figure."
    assert correction["previous_rating"] == {"slug": "false", "label": "False"}
    assert correction["at"] == document["updated_at"]
    assert [(v["version"], v["rating"]["slug"]) for v in document["history"]] == [
        (1, "false"), (2, "misleading"),
    ]  # fmt: skip
    assert document["published_at"] == json.loads(before.document)["published_at"]
    assert after.rating == "misleading"
    assert_valid_document(after.document)
    assert events_of(claim) == [(ChangeType.PUBLISHED, True), (ChangeType.CORRECTED, True)]


def test_withdraw_removes_the_publication_and_logs_a_withdrawal(editor):
    claim = ClaimFactory(status=ClaimStatus.PUBLISHED)
    services.claim_withdraw(actor=editor, claim=claim, reason="The source retracted.")
    assert not Publication.objects.filter(claim=claim).exists()
    withdrawal = ChangeEvent.objects.filter(claim=claim).latest("id")
    assert (withdrawal.type, withdrawal.document) == (ChangeType.WITHDRAWN, None)


def test_withdrawal_takes_the_document_out_of_earlier_events(editor):
    """Withdrawn content never appears again, the change log included: a client reading
    the log from the start sees that the claim was published and withdrawn, not what
    it said."""
    claim = ClaimFactory(status=ClaimStatus.PUBLISHED)
    services.claim_withdraw(actor=editor, claim=claim, reason="The source retracted.")
    assert events_of(claim) == [(ChangeType.PUBLISHED, False), (ChangeType.WITHDRAWN, False)]


def test_invalid_claimreview_refuses_the_approval_and_changes_nothing(editor):
    claim = ClaimFactory(status=ClaimStatus.IN_APPROVAL, appearances=[])
    with pytest.raises(DomainError) as refused:
        services.claim_approve(actor=editor, claim=claim)
    assert refused.value.code == "invalid"
    assert "itemReviewed.appearance" in refused.value.message
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.IN_APPROVAL
    assert claim.verdicts.get().status == VerdictStatus.PROPOSED
    assert not Publication.objects.exists()
    assert not ChangeEvent.objects.exists()


def test_editor_sees_why_the_admin_refused_to_publish(client, editor):
    claim = ClaimFactory(status=ClaimStatus.IN_APPROVAL, appearances=[])
    client.force_login(editor)
    claim.refresh_from_db()
    response = client.post(
        action_url(claim, "approve"), {"_version": claim.version, "_confirm": "1"}, follow=True
    )
    messages = messages_of(response)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert any(
        "cannot be published" in m and "itemReviewed.appearance is empty" in m for m in messages
    ), messages
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.IN_APPROVAL
    assert not Publication.objects.exists()


def test_every_stored_document_matches_the_openapi_description(editor, other_editor):
    ClaimFactory.create_batch(3, status=ClaimStatus.PUBLISHED)
    # A proposed verdict is frozen (even to update()): propose it Unverifiable instead.
    unverifiable = ClaimFactory(status=ClaimStatus.IN_REVIEW, evidence=[{}])
    services.claim_propose(
        actor=unverifiable.assignee, claim=unverifiable, rating=rating("unverifiable"),
        summary="Nobody can check it.", explanation="No source publishes the figure.",
    )  # fmt: skip
    services.claim_approve(actor=editor, claim=unverifiable)
    correct(
        ClaimFactory(status=ClaimStatus.PUBLISHED),
        editor=editor,
        approver=other_editor,
        summary="Corrected.",
    )
    documents = list(Publication.objects.values_list("document", flat=True))
    documents += list(ChangeEvent.objects.exclude(document=None).values_list("document", flat=True))
    assert len(documents) == 5 + 6
    for text in documents:
        assert_valid_document(text)
    assert (
        json.loads(Publication.objects.get(claim=unverifiable).document)["rating"]["value"] is None
    )


def test_batch_render_matches_one_by_one_publishing():
    claims = ClaimFactory.create_batch(3, status=ClaimStatus.PUBLISHED)
    rendered = publications_render([c.pk for c in claims])
    by_claim = {p.claim_id: p for p, *_rest in rendered}
    for claim in claims:
        stored = Publication.objects.get(claim=claim)
        assert by_claim[claim.pk].document == stored.document
        assert by_claim[claim.pk].pk == stored.pk
    assert {t for _p, _topics, t, _versions in rendered} == {ChangeType.CORRECTED}
