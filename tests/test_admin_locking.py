"""No lost edits: a claim form (and a workflow button) rendered before someone else's save
is refused, says what changed, and writes nothing."""

from claims import services
from claims.models import Claim, ClaimStatus, Evidence
from tests.admin_pages import action_url, change_url, form_data, messages_of
from tests.factories import ClaimFactory


def open_claim(client, user, claim: Claim) -> dict:
    client.force_login(user)
    response = client.get(change_url(claim))
    assert response.status_code == 200
    return form_data(response)


def save(client, user, data: dict):
    client.force_login(user)
    return client.post(change_url(Claim(pk=_pk(data))), data)


def _pk(data: dict) -> int:
    return int(data["_claim_pk"])


def opened(client, user, claim: Claim) -> dict:
    return {**open_claim(client, user, claim), "_claim_pk": str(claim.pk)}


def test_a_save_moves_the_version_and_the_history_records_it(client, editor):
    claim = ClaimFactory(status=ClaimStatus.QUEUED)
    data = opened(client, editor, claim)
    assert data["lock_version"] == "1"
    response = save(client, editor, {**data, "claim_reviewed": "Casualties above 90,000"})
    assert response.status_code == 302
    claim.refresh_from_db()
    assert (claim.claim_reviewed, claim.version) == ("Casualties above 90,000", 2)
    assert claim.history.latest().version == 2


def test_second_save_is_refused_naming_what_changed(client, editor, other_editor):
    claim = ClaimFactory(status=ClaimStatus.QUEUED)
    first = opened(client, editor, claim)
    second = opened(client, other_editor, claim)
    assert (
        save(client, editor, {**first, "claim_reviewed": "Shoigu's 90,000 figure"}).status_code
        == 302
    )

    response = save(client, other_editor, {**second, "text": "Overwritten text."})

    assert response.status_code == 200
    errors = " ".join(response.context["adminform"].form.non_field_errors())
    assert "NOT saved" in errors
    assert (
        "claim reviewed: Ukrainian casualties exceed 90,000 troops → Shoigu's 90,000 figure"
        in errors
    )
    assert "iryna" in errors  # who saved in between
    claim.refresh_from_db()
    assert claim.claim_reviewed == "Shoigu's 90,000 figure"  # the first edit is intact
    assert claim.text.startswith("Ukraine's casualties")  # the second wrote nothing
    assert claim.version == 2
    # The refused form keeps what the second editor typed, to copy after reloading.
    assert "Overwritten text." in response.content.decode()


def test_a_stale_inline_edit_is_refused_too(client, reviewer, editor):
    claim = ClaimFactory(status=ClaimStatus.IN_REVIEW, assignee=reviewer)
    evidence = services.evidence_add(
        actor=reviewer, claim=claim, url="https://example.org/a", title="Ministry briefing",
        kind="official_data", stance="context",
    )  # fmt: skip
    first = opened(client, editor, claim)
    second = opened(client, reviewer, claim)
    title_key = next(
        k for k, v in first.items() if k.endswith("-title") and v == "Ministry briefing"
    )
    quote_key = title_key.replace("-title", "-quote")
    assert (
        save(client, editor, {**first, title_key: "Defence ministry briefing"}).status_code == 302
    )

    response = save(client, reviewer, {**second, quote_key: "A stale quote."})

    assert response.status_code == 200
    errors = " ".join(response.context["adminform"].form.non_field_errors())
    assert "evidence “Defence ministry briefing” changed" in errors
    evidence.refresh_from_db()
    assert (evidence.title, evidence.quote) == ("Defence ministry briefing", "")


def test_a_form_opened_before_a_workflow_action_is_refused(client, editor, other_editor):
    claim = ClaimFactory(status=ClaimStatus.QUEUED)
    data = opened(client, editor, claim)
    services.claim_reject(actor=other_editor, claim=claim, reason="Opinion.")

    response = save(client, editor, {**data, "text": "Edited after the rejection."})

    # Rejected, the claim is read-only now: the refusal says who changed what since.
    errors = " ".join(messages_of(client.get(response.url)))
    assert "status: Queued → Rejected" in errors and "marko" in errors
    claim.refresh_from_db()
    assert claim.text.startswith("Ukraine's casualties")


def test_every_workflow_service_moves_the_version(reviewer, editor):
    claim = ClaimFactory(status=ClaimStatus.QUEUED)
    services.claim_take(actor=reviewer, claim=claim)
    claim.refresh_from_db()
    assert claim.version == 2
    assert [h.version for h in claim.history.order_by("history_date")][-1] == 2
    services.claim_assign(actor=editor, claim=claim, assignee=editor)
    claim.refresh_from_db()
    assert claim.version == 3


def test_a_workflow_button_rendered_before_a_change_is_refused(client, reviewer, editor):
    claim = ClaimFactory(status=ClaimStatus.QUEUED)
    client.force_login(reviewer)
    page = client.get(change_url(claim)).content.decode()
    assert 'name="_version" value="1"' in page
    services.claim_assign(actor=editor, claim=claim, assignee=editor)

    response = client.post(action_url(claim, "take"), {"_version": 1}, follow=True)

    texts = messages_of(response)
    assert any("this action was NOT done" in m and "assignee: — → iryna" in m for m in texts)
    claim.refresh_from_db()
    assert (claim.assignee, claim.version) == (editor, 2)


def test_a_race_past_the_form_check_is_caught_by_the_service(
    client, editor, other_editor, monkeypatch
):
    """Between the form's check and the save, another save lands: the service finds the
    locked row at another version, and the claim and its inlines roll back."""
    claim = ClaimFactory(status=ClaimStatus.QUEUED, appearances=[])
    data = opened(client, editor, claim)
    # Still editable for the editor after it: only the version check can refuse.
    services.claim_assign(actor=other_editor, claim=claim, assignee=other_editor)
    monkeypatch.setattr("claims.admin.locking.changes_since", lambda *args, **kwargs: None)
    data["appearances-TOTAL_FORMS"] = "1"
    data.update({"appearances-0-url": "https://example.org/x", "appearances-0-outlet": "X"})

    response = client.post(change_url(claim), {**data, "text": "Raced."}, follow=True)

    assert any("Nothing was saved" in m for m in messages_of(response))
    claim.refresh_from_db()
    assert claim.text.startswith("Ukraine's casualties") and claim.version == 2
    assert not claim.appearances.exists()
    assert Evidence.objects.count() == 0


def test_a_workflow_post_without_a_version_is_refused(client, reviewer):
    claim = ClaimFactory(status=ClaimStatus.QUEUED)
    client.force_login(reviewer)
    response = client.post(action_url(claim, "take"), {}, follow=True)
    assert any("Nothing was done" in m for m in messages_of(response))
    claim.refresh_from_db()
    assert (claim.status, claim.version) == (ClaimStatus.QUEUED, 1)
