"""A claim's journey in a real browser: a reviewer takes it from the queue, adds
evidence and proposes a verdict; they cannot approve it themselves; an editor approves
and publishes it. And two people editing the same claim: the second save is refused."""

import re

import pytest
from django.urls import reverse

from claims.models import Claim, ClaimStatus, VerdictStatus
from publishing.documents import public_path
from tests.browser.conftest import screenshot
from tests.factories import ClaimantFactory, ClaimFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def desk():
    """A reviewer, an editor and a queue of claims from the demo article's topics."""
    lukashenko = ClaimantFactory(
        name="Alexander Lukashenko", slug="alexander-lukashenko",
        description="President of Belarus", wikidata_id="",
    )  # fmt: skip
    claim = ClaimFactory(priority=80)  # Shoigu: Ukrainian casualties exceed 90,000
    ClaimFactory(
        text="Ukraine will still be ours.",
        claim_reviewed="Belarus's leader says Ukraine will be 'ours'",
        claimant=lukashenko, priority=40,
    )  # fmt: skip
    ClaimFactory(
        text="The West has sent Ukraine more shells than it produces in a year.",
        claim_reviewed="Western shell deliveries exceed a year's production",
        priority=60,
    )  # fmt: skip
    return {
        "reviewer": UserFactory(username="olena", first_name="Olena", roles=["Reviewer"]),
        "editor": UserFactory(username="iryna", first_name="Iryna", roles=["Editor"]),
        "claim": claim,
    }


def claim_page(site: str, claim: Claim) -> str:
    return site + reverse("admin:claims_claim_change", args=[claim.pk])


def press(page, action: str) -> None:
    with page.expect_navigation():
        page.click(f"#workflow-buttons button[data-action={action}]")


def success(page) -> str:
    return page.inner_text(".messagelist .success")


def add_evidence(page, url: str, title: str, kind: str, stance: str) -> None:
    press(page, "evidence")
    page.fill("#id_url", url)
    page.fill("#id_title", title)
    page.select_option("#id_kind", kind)
    page.select_option("#id_stance", stance)
    with page.expect_navigation():
        page.click("input[name=_submit]")
    assert title in success(page)


def crafted_post(page, url: str) -> None:
    """What a user could send without the button: a POST with a valid CSRF token."""
    version = page.get_attribute("#workflow-buttons", "data-version")
    with page.expect_navigation():
        page.evaluate(
            """([url, version]) => {
                const form = Object.assign(document.createElement('form'), {method: 'post', action: url});
                const token = document.querySelector('[name=csrfmiddlewaretoken]').value;
                for (const [name, value] of [['csrfmiddlewaretoken', token], ['_version', version]]) {
                    form.appendChild(Object.assign(document.createElement('input'), {type: 'hidden', name, value}));
                }
                document.body.appendChild(form);
                form.submit();
            }""",
            [url, version],
        )


def test_reviewer_proposes_and_another_editor_publishes(site, login, desk):
    claim = desk["claim"]
    reviewer = login(desk["reviewer"])

    # The queue: the claim change list, most urgent first.
    reviewer.goto(site + reverse("admin:claims_claim_changelist"))
    screenshot(reviewer, "queue.png")
    with reviewer.expect_navigation():
        reviewer.click(f"text={claim.claim_reviewed}")

    press(reviewer, "take")
    assert "You took the claim" in success(reviewer)
    add_evidence(reviewer, "https://example.org/mod-briefing", "Defence ministry briefing",
                 "official_data", "context")  # fmt: skip
    add_evidence(reviewer, "https://example.org/independent-count", "Independent count",
                 "research", "refutes")  # fmt: skip

    press(reviewer, "propose")
    reviewer.select_option("#id_rating", label="Unverifiable")
    reviewer.fill("#id_summary", "The figure comes only from the Russian defence ministry.")
    reviewer.fill("#id_explanation", "No independent source confirms the number.")
    with reviewer.expect_navigation():
        reviewer.click("input[name=_submit]")
    assert "proposed" in success(reviewer)

    # The author cannot approve: no button, and a crafted POST is refused.
    buttons = reviewer.locator("#workflow-buttons button")
    assert "approve" not in [b.get_attribute("data-action") for b in buttons.all()]
    approve_url = reverse(
        "admin:claims_claim_workflow", kwargs={"object_id": claim.pk, "action": "approve"}
    )
    crafted_post(reviewer, site + approve_url)
    assert re.search(r"Only .*Editor may approve", reviewer.inner_text(".messagelist .error"))
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.IN_APPROVAL

    # Another person, an editor, approves and publishes.
    editor = login(desk["editor"])
    editor.goto(claim_page(site, claim))
    editor.wait_for_selector("#workflow-buttons button[data-action=approve]")
    screenshot(editor, "claim.png")
    press(editor, "approve")
    # The approval page previews the public page and asks to confirm.
    assert "only from the Russian defence ministry" in editor.inner_text(
        "#approval-preview .preview-summary"
    )
    assert editor.inner_text("#approval-preview .preview-rating") == "Unverifiable"
    with editor.expect_navigation():
        editor.click("input[name=_submit]")
    assert "published" in success(editor)

    claim.refresh_from_db()
    verdict = claim.verdicts.get()
    assert claim.status == ClaimStatus.PUBLISHED
    assert (verdict.status, verdict.author, verdict.approved_by) == (
        VerdictStatus.APPROVED, desk["reviewer"], desk["editor"],
    )  # fmt: skip
    assert verdict.rating.slug == "unverifiable"
    assert claim.evidence.count() == 2
    assert "approve" not in editor.inner_text("#workflow-buttons")

    # The public page: what a reader sees once it is published, without logging in.
    public = editor.context.browser.new_context(locale="en-GB").new_page()
    public.goto(f"{site}/factchecks/")
    with public.expect_navigation():
        public.click(f"text={claim.claim_reviewed}")
    assert public.url == site + public_path(claim.pk, claim.publication.slug)
    assert public.inner_text("h1") == claim.claim_reviewed
    assert public.inner_text(".verdict") == "Rating: Unverifiable"  # no number off-scale
    assert "Independent count" in public.inner_text(".sources")
    assert "olena" not in public.content() and "iryna" not in public.content()
    public.context.close()


def test_second_of_two_concurrent_edits_is_refused_and_shows_what_changed(site, login, desk):
    claim = desk["claim"]
    first = login(desk["editor"])
    second = login(UserFactory(username="marko", first_name="Marko", roles=["Editor"]))
    for page in (first, second):
        page.goto(claim_page(site, claim))

    first.fill("#id_claim_reviewed", "Shoigu: Ukraine lost over 90,000 troops")
    with first.expect_navigation():
        first.click("input[name=_continue]")
    assert first.locator(".messagelist .success").count() == 1

    second.fill("#id_text", "A rewrite of the claim based on a stale page.")
    with second.expect_navigation():
        second.click("input[name=_continue]")
    refusal = second.inner_text(".errorlist.nonfield")
    assert "NOT saved" in refusal
    assert "Shoigu: Ukraine lost over 90,000 troops" in refusal and "iryna" in refusal
    second.locator(".errornote").scroll_into_view_if_needed()
    screenshot(second, "conflict.png")

    claim.refresh_from_db()
    assert claim.claim_reviewed == "Shoigu: Ukraine lost over 90,000 troops"
    assert claim.text == "Ukraine's casualties in the counteroffensive exceed 90,000 troops."
    assert claim.version == 2
