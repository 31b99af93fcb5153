"""Every admin page of our models opens, and the admin cannot bypass the workflow."""

import pytest
from django.contrib import admin
from django.urls import reverse

from claims.models import Claim, ClaimStatus
from tests.factories import ClaimFactory, UserFactory

OUR_APPS = {"claims", "reviewers", "newsrooms"}


@pytest.fixture
def superuser(db):
    user = UserFactory(username="super")
    user.is_superuser = True
    user.save()
    return user


def test_every_admin_changelist_and_add_page_opens(client, superuser):
    ClaimFactory(status=ClaimStatus.PUBLISHED)
    client.force_login(superuser)
    for model in admin.site._registry:
        if model._meta.app_label not in OUR_APPS:
            continue
        opts = model._meta
        for view in ("changelist", "add"):
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}")
            response = client.get(url)
            assert response.status_code in (200, 403), f"{url}: {response.status_code}"


def test_claim_change_page_shows_status_read_only(client, superuser):
    claim = ClaimFactory(status=ClaimStatus.IN_APPROVAL)
    client.force_login(superuser)
    response = client.get(reverse("admin:claims_claim_change", args=[claim.pk]))
    assert response.status_code == 200
    assert b'name="status"' not in response.content  # only the workflow changes a status
    assert b"In approval" in response.content


def test_claim_added_in_the_admin_is_received_and_queued_for_triage(
    client, reviewer, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr("claims.tasks.triage.delay", lambda claim_id: sent.append(claim_id))
    claimant = ClaimFactory().claimant
    client.force_login(reviewer)
    form = {
        "text": "Ukraine will still be ours.",
        "claim_reviewed": "Belarus's leader says Ukraine will be 'ours'",
        "claimant": claimant.pk,
        "language": "en",
        **{f"{p}-TOTAL_FORMS": "0" for p in ("appearances", "evidence", "verdicts")},
        **{f"{p}-INITIAL_FORMS": "0" for p in ("appearances", "evidence", "verdicts")},
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:claims_claim_add"), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    claim = Claim.objects.get(text="Ukraine will still be ours.")
    assert claim.status == ClaimStatus.RECEIVED
    assert claim.created_by == reviewer
    assert sent == [claim.pk]
    assert claim.history.get().history_user == reviewer


# --- The claim page ----------------------------------------------------------------------


def _change_url(claim: Claim) -> str:
    return reverse("admin:claims_claim_change", args=[claim.pk])


def _post_page(client, claim: Claim, **extra: str):
    from tests.admin_forms import change_form_data

    data = change_form_data(client.get(_change_url(claim)).content.decode())
    return client.post(_change_url(claim), {**data, **extra})


def test_note_added_on_the_claim_page_joins_the_thread(client, reviewer, editor):
    from claims.models import ClaimNote

    claim = ClaimFactory(status=ClaimStatus.IN_REVIEW, assignee=reviewer)
    client.force_login(reviewer)
    response = _post_page(client, claim, **{"notes-0-text": "Ask the ministry for the source."})
    assert response.status_code == 302
    note = ClaimNote.objects.get(claim=claim)
    assert (note.author, note.text) == (reviewer, "Ask the ministry for the source.")
    client.force_login(editor)
    content = client.get(_change_url(claim)).content.decode()
    assert "Ask the ministry for the source." in content
    assert "internal notes (never published)" in content.lower()


def test_assignee_saves_the_draft_verdict_from_the_claim_page(client, reviewer):
    from tests.factories import rating

    claim = ClaimFactory(status=ClaimStatus.IN_REVIEW, assignee=reviewer)
    client.force_login(reviewer)
    response = _post_page(
        client,
        claim,
        draft_rating=str(rating("misleading").pk),
        draft_summary="The figure is the ministry's own.",
        draft_explanation="No independent count exists.",
    )
    assert response.status_code == 302
    draft = claim.verdicts.get()
    assert (draft.status, draft.rating.slug, draft.author) == ("draft", "misleading", reviewer)
    content = client.get(_change_url(claim)).content.decode()
    assert "The figure is the ministry&#x27;s own." in content or "ministry's own" in content


def test_incomplete_draft_is_refused_with_a_message(client, reviewer):
    from tests.factories import rating

    claim = ClaimFactory(status=ClaimStatus.IN_REVIEW, assignee=reviewer)
    client.force_login(reviewer)
    response = _post_page(client, claim, draft_rating=str(rating().pk))
    assert response.status_code == 200
    assert "Fill in the rating, summary and explanation." in response.content.decode()
    assert not claim.verdicts.exists()


def test_draft_fields_are_offered_to_the_assignee_only(client, reviewer, editor):
    claim = ClaimFactory(status=ClaimStatus.IN_REVIEW, assignee=reviewer)
    client.force_login(editor)
    assert b'name="draft_summary"' not in client.get(_change_url(claim)).content
    client.force_login(reviewer)
    assert b'name="draft_summary"' in client.get(_change_url(claim)).content


def test_earlier_approved_versions_are_shown_read_only(client, editor):
    claim = ClaimFactory(status=ClaimStatus.PUBLISHED)
    verdict = claim.verdicts.get()
    client.force_login(editor)
    content = client.get(_change_url(claim)).content.decode()
    assert 'class="verdict-versions"' in content
    assert verdict.summary in content
    assert "claim-approver" in content
    assert 'name="verdicts-0-summary"' not in content


def test_possible_duplicates_link_to_the_similar_claims(client, editor):
    first = ClaimFactory(status=ClaimStatus.QUEUED)
    second = ClaimFactory(
        status=ClaimStatus.QUEUED,
        text="Ukraine lost more than 90,000 troops in the counteroffensive.",
        claim_reviewed="Ukraine lost over 90,000 troops",
    )
    client.force_login(editor)
    content = client.get(_change_url(second)).content.decode()
    assert f'href="{_change_url(first)}"' in content


def test_recent_history_shows_who_when_and_why(client, reviewer, editor):
    from claims import services

    claim = ClaimFactory(status=ClaimStatus.QUEUED)
    services.claim_take(actor=reviewer, claim=claim)
    client.force_login(editor)
    content = client.get(_change_url(claim)).content.decode()
    history = content[content.index('class="recent-history"') :]
    assert "olena" in history and "take" in history and "status" in history
    assert reverse("admin:claims_claim_history", args=[claim.pk]) in content


def test_evidence_cannot_be_added_to_a_claim_not_in_review(client, editor):
    claim = ClaimFactory(status=ClaimStatus.QUEUED)
    client.force_login(editor)
    response = client.get(_change_url(claim))
    evidence = next(
        inline
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.model._meta.model_name == "evidence"
    )
    assert not evidence.has_add_permission


def test_evidence_added_on_the_claim_page_goes_through_the_service(client, reviewer):
    claim = ClaimFactory(status=ClaimStatus.IN_REVIEW, assignee=reviewer)
    client.force_login(reviewer)
    response = _post_page(
        client,
        claim,
        **{
            "evidence-TOTAL_FORMS": "1",
            "evidence-0-url": "https://example.org/un-report",
            "evidence-0-title": "UN casualty report",
            "evidence-0-stance": "refutes",
            "evidence-0-kind": "official_data",
        },
    )
    assert response.status_code == 302
    evidence = claim.evidence.get()
    assert evidence.added_by == reviewer
    assert evidence.history.get().history_change_reason == "add_evidence"
