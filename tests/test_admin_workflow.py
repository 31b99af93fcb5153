"""The workflow buttons of the claim page and the editors' bulk actions."""

import re

import pytest
from django.urls import reverse

from claims.models import Claim, ClaimStatus, Evidence, VerdictStatus
from tests.admin_pages import action_url, change_url, messages_of
from tests.factories import ClaimFactory, VerdictFactory, rating


def buttons(client, claim: Claim) -> set[str]:
    response = client.get(change_url(claim))
    assert response.status_code == 200
    return set(re.findall(r'data-action="([a-z_]+)"', response.content.decode()))


def press(client, claim: Claim, action: str, **data):
    """A button's POST with the claim's current version (and the form page's input)."""
    claim.refresh_from_db()
    payload = {"_version": claim.version, **({"_confirm": "1"} if data else {}), **data}
    return client.post(action_url(claim, action), payload, follow=True)


def in_review_for(reviewer) -> Claim:
    return ClaimFactory(status=ClaimStatus.IN_REVIEW, assignee=reviewer)


# --- Which buttons ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("reviewer", {"take", "note"}),  # read-only for them: notes by button
        ("editor", {"take", "assign", "reject", "merge"}),
    ],
)
def test_buttons_of_a_queued_claim_depend_on_the_role(db, client, request, persona, expected):
    claim = ClaimFactory(status=ClaimStatus.QUEUED)
    client.force_login(request.getfixturevalue(persona))
    assert buttons(client, claim) == expected


def test_someone_without_a_role_cannot_open_or_press_anything(client, outsider):
    claim = ClaimFactory(status=ClaimStatus.QUEUED)
    client.force_login(outsider)
    assert client.get(change_url(claim)).status_code == 403
    assert client.post(action_url(claim, "take"), {"_version": 1}).status_code == 403
    assert _unchanged(claim) == (ClaimStatus.QUEUED, None, 1)


def test_only_the_assignee_sees_propose(client, reviewer, other_reviewer, editor):
    claim = in_review_for(reviewer)
    client.force_login(reviewer)
    assert buttons(client, claim) == {"propose", "evidence"}
    client.force_login(other_reviewer)
    assert buttons(client, claim) == {"note"}
    client.force_login(editor)
    assert buttons(client, claim) == {"assign", "merge", "evidence"}


def test_approve_is_hidden_from_the_verdicts_author(client, reviewer, editor):
    written_by_editor = ClaimFactory(status=ClaimStatus.IN_APPROVAL, assignee=editor)
    written_by_reviewer = ClaimFactory(status=ClaimStatus.IN_APPROVAL, assignee=reviewer)
    client.force_login(editor)
    assert buttons(client, written_by_editor) == {"send_back", "merge", "note"}
    assert buttons(client, written_by_reviewer) == {"approve", "send_back", "merge", "note"}
    client.force_login(reviewer)
    assert buttons(client, written_by_reviewer) == {"note"}


def test_published_claim_offers_correct_and_withdraw_to_editors_only(client, reviewer, editor):
    claim = ClaimFactory(status=ClaimStatus.PUBLISHED)
    client.force_login(editor)
    assert buttons(client, claim) == {"correct", "withdraw", "note"}
    client.force_login(reviewer)
    assert buttons(client, claim) == {"note"}


def test_closed_claims_offer_nothing_but_an_internal_note(client, editor):
    client.force_login(editor)
    for status in (ClaimStatus.REJECTED, ClaimStatus.WITHDRAWN):
        assert buttons(client, ClaimFactory(status=status)) == {"note"}


# --- Each button calls its service ---------------------------------------------------------


def test_take(client, reviewer):
    claim = ClaimFactory(status=ClaimStatus.QUEUED)
    client.force_login(reviewer)
    response = press(client, claim, "take")
    claim.refresh_from_db()
    assert (claim.status, claim.assignee) == (ClaimStatus.IN_REVIEW, reviewer)
    assert response.redirect_chain[-1][0] == change_url(claim)
    assert any("took the claim" in m for m in messages_of(response))


def test_assign_asks_for_the_assignee_then_assigns(client, editor, reviewer):
    claim = ClaimFactory(status=ClaimStatus.QUEUED)
    client.force_login(editor)
    page = client.post(action_url(claim, "assign"), {"_version": claim.version})
    assert page.status_code == 200 and b'name="assignee"' in page.content
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.QUEUED  # the form page changes nothing
    press(client, claim, "assign", assignee=reviewer.pk)
    claim.refresh_from_db()
    assert (claim.status, claim.assignee) == (ClaimStatus.IN_REVIEW, reviewer)


def test_propose_form_is_prefilled_from_the_draft(client, reviewer):
    claim = in_review_for(reviewer)
    VerdictFactory(claim=claim, author=reviewer, summary="Draft summary.")
    client.force_login(reviewer)
    page = client.post(action_url(claim, "propose"), {"_version": claim.version})
    assert "Draft summary." in page.content.decode()


def test_propose(client, reviewer):
    claim = in_review_for(reviewer)
    client.force_login(reviewer)
    press(
        client, claim, "propose", rating=rating("false").pk, summary="No.", explanation="Because."
    )
    claim.refresh_from_db()
    verdict = claim.verdicts.get()
    assert claim.status == ClaimStatus.IN_APPROVAL
    assert (verdict.status, verdict.author, verdict.summary) == (
        VerdictStatus.PROPOSED, reviewer, "No.",
    )  # fmt: skip


def test_save_draft_on_the_propose_page_keeps_the_claim_in_review(client, reviewer):
    claim = in_review_for(reviewer)
    client.force_login(reviewer)
    press(client, claim, "propose", rating=rating("false").pk, summary="S.", explanation="E.",
          _draft="1")  # fmt: skip
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.IN_REVIEW
    assert claim.verdicts.get().status == VerdictStatus.DRAFT


def test_approve_publishes(client, editor):
    claim = ClaimFactory(status=ClaimStatus.IN_APPROVAL)
    client.force_login(editor)
    response = press(client, claim, "approve", _confirm="1")
    claim.refresh_from_db()
    verdict = claim.verdicts.get()
    assert claim.status == ClaimStatus.PUBLISHED
    assert (verdict.status, verdict.approved_by) == (VerdictStatus.APPROVED, editor)
    assert any("published" in m for m in messages_of(response))


def test_send_back_with_a_note(client, editor):
    claim = ClaimFactory(status=ClaimStatus.IN_APPROVAL)
    client.force_login(editor)
    press(client, claim, "send_back", note="Find the primary source.")
    claim.refresh_from_db()
    verdict = claim.verdicts.get()
    assert claim.status == ClaimStatus.IN_REVIEW
    assert (verdict.status, verdict.review_note) == (
        VerdictStatus.REJECTED, "Find the primary source.",
    )  # fmt: skip


def test_correct_opens_a_new_version(client, editor):
    claim = ClaimFactory(status=ClaimStatus.PUBLISHED)
    client.force_login(editor)
    press(client, claim, "correct", note="The ministry revised the figure.")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.IN_REVIEW
    assert claim.verdicts.get(version=2).correction_note == "The ministry revised the figure."


def test_withdraw_with_a_public_reason(client, editor):
    claim = ClaimFactory(status=ClaimStatus.PUBLISHED)
    client.force_login(editor)
    press(client, claim, "withdraw", note="The source was forged.")
    claim.refresh_from_db()
    assert (claim.status, claim.status_note) == (ClaimStatus.WITHDRAWN, "The source was forged.")


def test_reject_with_a_reason(client, editor):
    claim = ClaimFactory(status=ClaimStatus.QUEUED)
    client.force_login(editor)
    press(client, claim, "reject", note="An opinion, not a checkable fact.")
    claim.refresh_from_db()
    assert (claim.status, claim.status_note) == (
        ClaimStatus.REJECTED, "An opinion, not a checkable fact.",
    )  # fmt: skip


def test_mark_as_duplicate(client, editor):
    survivor = ClaimFactory(status=ClaimStatus.PUBLISHED)
    claim = ClaimFactory(status=ClaimStatus.QUEUED)
    client.force_login(editor)
    press(client, claim, "merge", duplicate_of=survivor.pk)
    claim.refresh_from_db()
    assert (claim.status, claim.duplicate_of) == (ClaimStatus.DUPLICATE, survivor)


def test_add_evidence(client, reviewer):
    claim = in_review_for(reviewer)
    client.force_login(reviewer)
    press(client, claim, "evidence", url="https://example.org/report", title="Report",
          kind="official_data", stance="refutes")  # fmt: skip
    evidence = Evidence.objects.get(claim=claim)
    assert (evidence.title, evidence.added_by) == ("Report", reviewer)


# --- Refusals -------------------------------------------------------------------------


def _unchanged(claim: Claim) -> tuple:
    claim.refresh_from_db()
    return claim.status, claim.assignee_id, claim.version


def test_author_cannot_approve_own_verdict_by_a_crafted_post(client, editor):
    claim = ClaimFactory(status=ClaimStatus.IN_APPROVAL, assignee=editor)
    before = _unchanged(claim)
    client.force_login(editor)
    response = press(client, claim, "approve", _confirm="1")
    assert "You cannot approve a verdict you wrote yourself." in messages_of(response)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert _unchanged(claim) == before
    assert claim.verdicts.get().status == VerdictStatus.PROPOSED


def test_reviewer_cannot_approve_by_a_crafted_post(client, reviewer):
    claim = ClaimFactory(status=ClaimStatus.IN_APPROVAL)
    before = _unchanged(claim)
    client.force_login(reviewer)
    response = press(client, claim, "approve", _confirm="1")
    assert any("may approve and publish" in m for m in messages_of(response))
    assert _unchanged(claim) == before


def test_propose_by_someone_else_than_the_assignee_is_refused(client, reviewer, other_reviewer):
    claim = in_review_for(reviewer)
    before = _unchanged(claim)
    client.force_login(other_reviewer)
    response = press(client, claim, "propose", rating=rating().pk, summary="S", explanation="E")
    assert "Only the claim's assignee can do this." in messages_of(response)
    assert _unchanged(claim) == before
    assert not claim.verdicts.exists()


def test_reject_without_a_reason_shows_the_form_again(client, editor):
    claim = ClaimFactory(status=ClaimStatus.QUEUED)
    client.force_login(editor)
    response = client.post(
        action_url(claim, "reject"), {"_version": 1, "_confirm": "1", "note": ""}
    )
    assert response.status_code == 200 and b"This field is required." in response.content
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.QUEUED


def test_workflow_views_are_post_only_and_known(client, editor):
    claim = ClaimFactory(status=ClaimStatus.QUEUED)
    client.force_login(editor)
    assert client.get(action_url(claim, "take")).status_code == 405
    assert client.post(action_url(claim, "publish_now"), {"_version": 1}).status_code == 404
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.QUEUED


def test_csrf_is_required(editor):
    from django.test import Client

    claim = ClaimFactory(status=ClaimStatus.QUEUED)
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    assert client.post(action_url(claim, "take"), {"_version": 1}).status_code == 403
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.QUEUED


# --- Bulk actions -------------------------------------------------------------------------


def bulk(client, action: str, claims: list[Claim], **data):
    payload = {"action": action, "_selected_action": [c.pk for c in claims], **data}
    return client.post(reverse("admin:claims_claim_changelist"), payload, follow=True)


def test_bulk_assign_asks_once_and_assigns_each_claim(client, editor, reviewer):
    claims = [ClaimFactory(status=ClaimStatus.QUEUED) for _ in range(2)]
    published = ClaimFactory(status=ClaimStatus.PUBLISHED)
    client.force_login(editor)
    page = bulk(client, "assign_selected", [*claims, published])
    assert b'name="assignee"' in page.content
    response = bulk(client, "assign_selected", [*claims, published], _confirm="1",
                    assignee=reviewer.pk)  # fmt: skip
    for claim in claims:
        claim.refresh_from_db()
        assert (claim.status, claim.assignee) == (ClaimStatus.IN_REVIEW, reviewer)
    published.refresh_from_db()
    assert published.status == ClaimStatus.PUBLISHED
    texts = messages_of(response)
    assert any("2 claim(s) done" in m for m in texts)
    assert any(f"#{published.pk}" in m and "Cannot assign" in m for m in texts)


def test_bulk_reject(client, editor):
    claims = [ClaimFactory(status=ClaimStatus.QUEUED) for _ in range(2)]
    client.force_login(editor)
    bulk(client, "reject_selected", claims, _confirm="1", note="Not check-worthy.")
    assert set(
        Claim.objects.filter(pk__in=[c.pk for c in claims]).values_list("status", flat=True)
    ) == {ClaimStatus.REJECTED}


def test_reviewers_have_no_bulk_actions(client, reviewer, editor):
    ClaimFactory(status=ClaimStatus.QUEUED)  # an empty list shows no action menu at all
    client.force_login(reviewer)
    page = client.get(reverse("admin:claims_claim_changelist"))
    assert b"assign_selected" not in page.content
    client.force_login(editor)
    page = client.get(reverse("admin:claims_claim_changelist"))
    assert b"assign_selected" in page.content and b"reject_selected" in page.content
