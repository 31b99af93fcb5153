"""Issue 12 replayed in Chromium: the ways a new reviewer found to falsify a published
fact-check (the Verdict page, the claim page, someone else's draft, Verdicts › Add) are
refused with a message and leave the public page, the API and the ClaimReview
byte-for-byte as they were; the one way to change it, Correct, keeps the record true."""

import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from claims import services
from claims.models import Claim, ClaimStatus, Evidence, Verdict, VerdictStatus
from publishing.documents import public_path
from publishing.models import Publication
from tests.browser.test_journey import claim_page, press, success
from tests.factories import ClaimFactory, UserFactory, rating

pytestmark = pytest.mark.django_db(transaction=True)

ORIGINAL = {
    "rating": "unverifiable",
    "label": "Unverifiable",
    "summary": "The figure comes only from the Russian defence ministry.",
    "explanation": "No independent source confirms the number.",
}
TAMPERED = "Tampered: Ukraine lost nobody at all."
CORRECTED_SUMMARY = "The ministry's figure mixes killed, wounded and missing."
DRAFT_SUMMARY = "Deliveries match a year's production, no more."
CORRECTION_NOTE = "The ministry's figure counts wounded and missing soldiers too."


@pytest.fixture
def desk():
    """The demo desk with one fact-check published through the services (olena wrote
    it, iryna approved it) and one claim in the queue."""
    people = {
        "olena": UserFactory(username="olena", first_name="Olena", roles=["Reviewer"]),
        "dmytro": UserFactory(username="dmytro", first_name="Dmytro", roles=["Reviewer"]),
        "iryna": UserFactory(username="iryna", first_name="Iryna", roles=["Editor"]),
        "marko": UserFactory(username="marko", first_name="Marko", roles=["Editor"]),
    }
    olena = people["olena"]
    claim = ClaimFactory(priority=80)
    services.claim_take(actor=olena, claim=claim)
    for url, title, stance in [
        ("https://example.org/mod-briefing", "Defence ministry briefing", "context"),
        ("https://example.org/independent-count", "Independent count", "refutes"),
    ]:
        services.evidence_add(
            actor=olena, claim=claim, url=url, title=title, kind="research", stance=stance
        )
    services.claim_propose(
        actor=olena, claim=claim, rating=rating(ORIGINAL["rating"]),
        summary=ORIGINAL["summary"], explanation=ORIGINAL["explanation"],
    )  # fmt: skip
    services.claim_approve(actor=people["iryna"], claim=claim)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PUBLISHED

    in_review = ClaimFactory(
        text="The West has sent Ukraine more shells than it produces in a year.",
        claim_reviewed="Western shell deliveries exceed a year's production",
    )
    return {**people, "claim": claim, "in_review": in_review}


# --- What the public sees ------------------------------------------------------------------


def public_url(site: str, claim: Claim) -> str:
    return site + public_path(claim.pk, Publication.objects.get(claim=claim).slug)


def public_record(reader, site: str, claim: Claim) -> dict[str, bytes]:
    """The fact-check as the public gets it: its page, the API document, the ClaimReview."""
    urls = {
        "page": public_url(site, claim),
        "document": site + reverse("api-claim-detail", kwargs={"pk": claim.pk}),
        "claimreview": site + reverse("api-claim-claimreview", kwargs={"pk": claim.pk}),
    }
    record = {}
    for name, url in urls.items():
        response = reader.request.get(url)
        assert response.status == 200, (url, response.status)
        record[name] = response.body()
    return record


# --- What a tamperer sends -----------------------------------------------------------------


def crafted_post(page, url: str, fields: dict[str, str], form: str | None = None) -> None:
    """A POST nobody's page offered: the inputs of `form` on the open page (if given) as
    the browser would send them, with `fields` put in, and the session's CSRF token."""
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    with page.expect_navigation():
        page.evaluate(
            """([url, selector, fields, token]) => {
                const source = selector && document.querySelector(selector);
                const entries = (source ? [...new FormData(source)] : [])
                    .filter(([name]) => !(name in fields) && name !== 'csrfmiddlewaretoken');
                entries.push(['csrfmiddlewaretoken', token], ...Object.entries(fields));
                const form = Object.assign(document.createElement('form'), {method: 'post', action: url});
                for (const [name, value] of entries) {
                    form.appendChild(Object.assign(document.createElement('input'), {type: 'hidden', name, value}));
                }
                document.body.appendChild(form);
                form.submit();
            }""",
            [url, form, fields, token],
        )


def refusal(page) -> str:
    """The refusal shown, and that nothing claims success beside it."""
    assert page.locator(".messagelist .success").count() == 0
    return page.inner_text(".messagelist .error")


def typed_inputs(page, form: str) -> list[str]:
    """The names of the inputs a person could type or pick in (hidden ones left out)."""
    return page.eval_on_selector_all(
        f"{form} input:not([type=hidden]):not([type=submit]), {form} select, {form} textarea",
        "els => els.map(e => e.name)",
    )


def content_inputs(page) -> list[str]:
    """Every input of a read-only claim page: none (notes go through their button)."""
    return typed_inputs(page, "#claim_form")


def admin_url(name: str, *args) -> str:
    return reverse(f"admin:claims_{name}", args=args)


def verdict_fields(verdict: Verdict, **changes: str) -> dict[str, str]:
    fields = {
        "claim": str(verdict.claim_id), "version": str(verdict.version),
        "rating": str(verdict.rating_id), "summary": verdict.summary,
        "explanation": verdict.explanation, "status": verdict.status,
        "author": str(verdict.author_id), "correction_note": "", "review_note": "",
    }  # fmt: skip
    return {**fields, **changes}


# --- The journey ---------------------------------------------------------------------------


def test_tampering_of_issue_12_is_refused_and_correct_keeps_the_record_true(
    site, login, reader, desk
):
    claim, in_review = desk["claim"], desk["in_review"]
    approved = claim.verdicts.get(status=VerdictStatus.APPROVED)
    visitor = reader()
    before = public_record(visitor, site, claim)
    published = json.loads(before["document"])
    assert published["rating"]["label"] == ORIGINAL["label"] and published["version"] == 1
    visitor.goto(public_url(site, claim))
    embedded = visitor.inner_text("script[type='application/ld+json']")
    assert json.loads(embedded) == json.loads(before["claimreview"])
    false_pk = str(rating("false").pk)

    def unchanged(step: str) -> None:
        assert public_record(visitor, site, claim) == before, step
        approved.refresh_from_db()
        assert (approved.status, approved.rating.slug, approved.summary) == (
            VerdictStatus.APPROVED, ORIGINAL["rating"], ORIGINAL["summary"],
        ), step  # fmt: skip

    olena = login(desk["olena"])

    # 1. The approved verdict's page: nothing to edit, and a crafted save is refused.
    verdict_url = site + admin_url("verdict_change", approved.pk)
    olena.goto(verdict_url)
    assert typed_inputs(olena, "#verdict_form") == []
    assert olena.locator("input[name=_save], input[name=_continue]").count() == 0
    assert ORIGINAL["summary"] in olena.inner_text("#content-main")
    tamper = verdict_fields(approved, rating=false_pk, summary=TAMPERED, _save="Save")
    crafted_post(olena, verdict_url, tamper, form="#verdict_form")
    assert "approved verdict changes only through Correct" in refusal(olena)
    assert "Nothing was changed" in refusal(olena)
    unchanged("1. verdict page")

    # 3. The published claim's page is read-only, its sources too, for everyone.
    olena.goto(claim_page(site, claim))
    assert content_inputs(olena) == []
    assert olena.locator("input[name=_save], input[name=_continue]").count() == 0
    assert olena.locator("[name=claim_reviewed], [name^='evidence-'][name$='-title']").count() == 0
    assert olena.locator("[name^='evidence-'][name$='-DELETE']").count() == 0
    evidence = list(claim.evidence.order_by("pk"))
    rewrite = {
        "lock_version": str(claim.version), "claim_reviewed": TAMPERED,
        "text": claim.text, "claimant": str(claim.claimant_id), "language": claim.language,
        "evidence-TOTAL_FORMS": str(len(evidence)), "evidence-INITIAL_FORMS": str(len(evidence)),
        "evidence-MIN_NUM_FORMS": "0", "evidence-MAX_NUM_FORMS": "1000", "_continue": "Save",
    }  # fmt: skip
    for i, row in enumerate(evidence):
        rewrite |= {
            f"evidence-{i}-id": str(row.pk), f"evidence-{i}-claim": str(claim.pk),
            f"evidence-{i}-url": row.url, f"evidence-{i}-title": TAMPERED,
            f"evidence-{i}-publisher": row.publisher, f"evidence-{i}-stance": "supports",
            f"evidence-{i}-kind": row.kind, f"evidence-{i}-quote": "",
        }  # fmt: skip
    crafted_post(olena, claim_page(site, claim), rewrite, form="#claim_form")
    assert "This fact-check is published" in refusal(olena)
    removal = {"lock_version": str(claim.version), f"evidence-{len(evidence) - 1}-DELETE": "on"}
    crafted_post(olena, claim_page(site, claim), removal, form="#claim_form")
    assert "This fact-check is published" in refusal(olena)
    # The Evidence pages: read-only, and a crafted save is refused there too.
    evidence_url = site + admin_url("evidence_change", evidence[0].pk)
    olena.goto(evidence_url)
    assert typed_inputs(olena, "#evidence_form") == []
    crafted_post(olena, evidence_url, {"title": TAMPERED, "_save": "Save"}, form="#evidence_form")
    assert "Sources are added and edited on the claim page" in refusal(olena)
    claim.refresh_from_db()
    assert claim.claim_reviewed != TAMPERED
    assert [(e.pk, e.title, e.stance) for e in claim.evidence.order_by("pk")] == [
        (e.pk, e.title, e.stance) for e in evidence
    ]
    unchanged("3. claim page")

    # 4. Dmytro takes a claim and drafts its verdict; olena sees the draft read-only.
    dmytro = login(desk["dmytro"])
    dmytro.goto(claim_page(site, in_review))
    press(dmytro, "take")
    dmytro.select_option("#id_draft_rating", label="Mostly true")
    dmytro.fill("#id_draft_summary", DRAFT_SUMMARY)
    dmytro.fill("#id_draft_explanation", "Dmytro's analysis.")
    with dmytro.expect_navigation():
        dmytro.click("input[name=_continue]")
    assert success(dmytro)
    in_review.refresh_from_db()
    draft = in_review.verdicts.get(status=VerdictStatus.DRAFT)
    olena.goto(claim_page(site, in_review))
    assert content_inputs(olena) == [] and olena.locator("[name^=draft_]").count() == 0
    assert DRAFT_SUMMARY in olena.inner_text(".field-verdict_in_works")
    overwrite = {
        "lock_version": str(in_review.version), "draft_rating": false_pk,
        "draft_summary": TAMPERED, "draft_explanation": TAMPERED, "_continue": "Save",
    }  # fmt: skip
    crafted_post(olena, claim_page(site, in_review), overwrite, form="#claim_form")
    assert "Only the claim's assignee" in refusal(olena)
    assert "Nothing was changed" in refusal(olena)
    draft_url = site + admin_url("verdict_change", draft.pk)
    olena.goto(draft_url)
    assert typed_inputs(olena, "#verdict_form") == []
    crafted_post(olena, draft_url, verdict_fields(draft, rating=false_pk, summary=TAMPERED))
    assert "Verdicts are written on the claim page" in refusal(olena)
    draft.refresh_from_db()
    assert (draft.rating.slug, draft.summary, draft.author) == (
        "mostly-true", DRAFT_SUMMARY, desk["dmytro"],
    )  # fmt: skip
    unchanged("4. someone else's draft")

    # 5. Verdicts › Add: not offered to reviewers; typed in, a 403 (not a 500); posted, refused.
    olena.goto(site + reverse("admin:index"))
    assert olena.locator("tr.model-verdict .addlink, tr.model-evidence .addlink").count() == 0
    olena.goto(site + admin_url("verdict_changelist"))
    assert olena.locator(".object-tools .addlink").count() == 0
    assert olena.goto(site + admin_url("verdict_add")).status == 403
    olena.goto(site + admin_url("verdict_changelist"))
    verdicts = Verdict.objects.count()
    new = verdict_fields(approved, version="9", rating=false_pk, summary=TAMPERED, _save="Save")
    crafted_post(olena, site + admin_url("verdict_add"), new)
    assert olena.url == site + admin_url("verdict_changelist")
    assert "Verdicts are written on the claim page" in refusal(olena)
    assert Verdict.objects.count() == verdicts
    evidence_count = Evidence.objects.count()
    add_source = {"claim": str(claim.pk), "url": "https://example.org/x", "title": TAMPERED,
                  "kind": "research", "stance": "supports", "_save": "Save"}  # fmt: skip
    crafted_post(olena, site + admin_url("evidence_add"), add_source)
    assert "Sources are added and edited on the claim page" in refusal(olena)
    assert Evidence.objects.count() == evidence_count
    unchanged("5. Verdicts › Add")

    # 2. The one way to change a published fact-check: an editor presses Correct.
    iryna = login(desk["iryna"])
    iryna.goto(claim_page(site, claim))
    assert content_inputs(iryna) == []
    assert iryna.locator("input[name=_save], input[name=_continue]").count() == 0
    buttons = iryna.locator("#workflow-buttons button")
    assert [b.inner_text() for b in buttons.all()] == ["Correct", "Withdraw", "Add internal note"]
    press(iryna, "correct")
    iryna.fill("#id_note", CORRECTION_NOTE)
    with iryna.expect_navigation():
        iryna.click("input[name=_submit]")
    assert "reopened for a correction" in success(iryna)
    unchanged("2. a correction in the works is not public")

    # The draft starts from the verdict as it was published, not from any tampering.
    olena.goto(claim_page(site, claim))
    press(olena, "propose")
    assert olena.locator("#id_rating option:checked").inner_text() == ORIGINAL["label"]
    assert olena.input_value("#id_summary") == ORIGINAL["summary"]
    assert olena.input_value("#id_explanation") == ORIGINAL["explanation"]
    olena.select_option("#id_rating", label="Misleading")
    olena.fill("#id_summary", CORRECTED_SUMMARY)
    with olena.expect_navigation():
        olena.click("input[name=_submit]")
    assert "proposed" in success(olena)

    # A second editor sees the preview and what changes against the published version.
    marko = login(desk["marko"])
    marko.goto(claim_page(site, claim))
    press(marko, "approve")
    assert marko.inner_text("#approval-preview .preview-rating") == "Misleading"
    assert marko.inner_text("#approval-preview .preview-summary") == CORRECTED_SUMMARY
    changes = [
        [cell.inner_text().strip() for cell in row.locator("th, td").all()]
        for row in marko.locator("#approval-changes .approval-change").all()
    ]
    assert changes == [
        ["Rating", ORIGINAL["label"], "Misleading"],
        ["Summary", ORIGINAL["summary"], CORRECTED_SUMMARY],
    ]
    with marko.expect_navigation():
        marko.click("input[name=_submit]")
    assert "published" in success(marko)

    # The public page: the new rating; version 1 as it was; the rating it replaced.
    visitor.goto(public_url(site, claim))
    assert visitor.inner_text(".verdict .rating") == "Misleading"
    assert visitor.inner_text(".summary") == CORRECTED_SUMMARY
    earlier = visitor.locator("ol.history li")
    assert earlier.count() == 1
    assert "Version 1" in earlier.inner_text() and "Version 2" not in earlier.inner_text()
    assert ORIGINAL["label"] in earlier.inner_text()
    assert ORIGINAL["summary"] in earlier.inner_text()
    correction = visitor.inner_text(".corrections")
    assert CORRECTION_NOTE in correction
    assert f"(rating before: {ORIGINAL['label']})" in correction
    assert TAMPERED not in visitor.content()

    # The API: the same story, and the chain links version 2 to version 1 unchanged.
    after = public_record(visitor, site, claim)
    document = json.loads(after["document"])
    assert document["rating"]["slug"] == "misleading" and document["version"] == 2
    assert document["corrections"][0]["previous_rating"] == {
        "slug": ORIGINAL["rating"], "label": ORIGINAL["label"],
    }  # fmt: skip
    first, second = document["history"]
    assert (first["version"], first["rating"], first["summary"]) == (
        1, {"slug": ORIGINAL["rating"], "label": ORIGINAL["label"]}, ORIGINAL["summary"],
    )  # fmt: skip
    assert first["content_hash"] == published["content_hash"]
    assert second["previous_hash"] == first["content_hash"] == document["previous_hash"]
    assert second["content_hash"] == document["content_hash"]
    assert TAMPERED.encode() not in b"".join(after.values())
    claimreview = json.loads(after["claimreview"])
    assert claimreview["reviewRating"]["alternateName"] == "Misleading"
    embedded = visitor.inner_text("script[type='application/ld+json']")
    assert json.loads(embedded) == claimreview

    out = io.StringIO()
    call_command("verify_publications", stdout=out)  # raises CommandError on any break
    assert "The public record holds" in out.getvalue()
