"""Every kind of page works under the Content-Security-Policy (docs/security.md,
"Content-Security-Policy") in Debian's Chromium: the page does what it is for (the
admin's widgets, the docs UI's operations, the public forms), and the browser reports
no violation, neither in the console nor as a `securitypolicyviolation` event."""

import pytest
from django.urls import reverse

from claims.models import Claim, ClaimStatus
from demo.data import seed_demo
from publishing.documents import public_path
from publishing.models import Publication
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

# Workflow actions whose button opens a form page (claims/admin/workflow.py).
FORM_ACTIONS = {
    "assign", "propose", "approve", "send_back", "correct", "withdraw", "reject", "merge",
    "evidence", "note",
}  # fmt: skip

# Runs before any script of the page, outside its CSP (Playwright's init scripts are not
# subject to it), and records every violation the page meets.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`
    + ` at ${e.sourceFile || e.documentURI}:${e.lineNumber}`);
});
"""


class Watched:
    """A page whose CSP violations are collected, from the console and from events."""

    def __init__(self, page):
        self.page = page
        self.console: list[str] = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._on_console)

    def _on_console(self, message) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.console.append(message.text)

    def violations(self) -> list[str]:
        events = self.page.evaluate("window.__cspViolations || []")
        return self.console + events

    def visit(self, url: str) -> None:
        response = self.page.goto(url)
        assert response is not None and response.ok, (url, response and response.status)
        assert "script-src" in (response.header_value("content-security-policy") or "")
        self.assert_clean(url)

    def assert_clean(self, where: str) -> None:
        self.page.wait_for_load_state("networkidle")
        assert self.violations() == [], where


@pytest.fixture
def demo():
    seed_demo()
    return UserFactory(username="csp-editor", first_name="Ada", roles=["Editor"])


def test_admin_pages_work_under_the_policy(site, browser, login, demo):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    anonymous = Watched(context.new_page())
    anonymous.visit(f"{site}/admin/login/")
    context.close()

    page = login(demo)
    admin = Watched(page)
    admin.visit(f"{site}/admin/")
    assert page.locator("#workspace-dashboard").count() == 1

    # A changelist with filters, one of them picked from the sidebar.
    admin.visit(site + reverse("admin:claims_claim_changelist"))
    # The status badges are styled from the workspace's stylesheet, not inline styles.
    badge = page.locator(".status-badge.status-published").first
    assert badge.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(209, 231, 221)"
    with page.expect_navigation():
        page.click("#changelist-filter a:text-is('In review')")
    assert "status__exact=in_review" in page.url
    admin.assert_clean("filtered changelist")
    admin.visit(site + reverse("admin:claims_claim_changelist") + "?q=Shoigu&o=2")

    # A claim change page: the claimant autocomplete (select2) answers a search, and the
    # topics' two-box widget is built by its script.
    claim = Claim.objects.filter(status=ClaimStatus.IN_REVIEW).first()
    admin.visit(site + reverse("admin:claims_claim_change", args=[claim.pk]))
    assert page.locator("#id_topics_from").count() == 1  # SelectFilter2 ran
    buttons = page.locator("#workflow-buttons")
    assert buttons.evaluate("e => getComputedStyle(e).borderTopStyle") == "solid"
    page.click("#select2-id_claimant-container")
    page.fill(".select2-search__field", "Lu")
    page.wait_for_selector(".select2-results__option:has-text('Lukashenko')")
    page.keyboard.press("Escape")
    admin.assert_clean("claim page with its autocomplete")
    # Its history page: django-simple-history's one style attribute, allowed by its hash.
    admin.visit(site + reverse("admin:claims_claim_history", args=[claim.pk]))
    paginator = page.locator("p.paginator")
    assert paginator.evaluate("e => getComputedStyle(e).borderTopStyle") == "none"

    # The workflow action pages that ask for input, on a claim awaiting approval (the
    # approval page with its preview) and on a published one (correct, withdraw).
    seen = set()
    for status in (ClaimStatus.IN_APPROVAL, ClaimStatus.PUBLISHED):
        claim = Claim.objects.filter(status=status).first()
        admin.visit(site + reverse("admin:claims_claim_change", args=[claim.pk]))
        offered = [
            button.get_attribute("data-action")
            for button in page.locator("#workflow-buttons button").all()
        ]
        for action in [a for a in offered if a in FORM_ACTIONS]:
            with page.expect_navigation():
                page.click(f"#workflow-buttons button[data-action={action}]")
            assert page.locator("body.workflow-action #content-main form").count() == 1
            if action == "approve":
                assert page.locator("#approval-preview .preview-summary").inner_text().strip()
                body = page.locator("#approval-preview .preview-body")
                assert body.evaluate("e => getComputedStyle(e).paddingLeft") == "12px"
            admin.assert_clean(f"workflow page {action}")
            seen.add(action)
            page.go_back()
            page.reload()
    assert {"approve", "send_back", "note", "correct", "withdraw"} <= seen, seen
    # An editors' bulk action page from the changelist.
    admin.visit(site + reverse("admin:claims_claim_changelist") + "?status__exact=queued")
    page.check("#result_list tbody input.action-select >> nth=0")
    page.select_option("select[name=action]", "reject_selected")
    with page.expect_navigation():
        page.click("button[name=index]")
    assert page.locator("body.bulk-action").count() == 1
    admin.assert_clean("bulk action page")


def test_api_docs_work_under_the_policy(site, reader, demo):
    page = reader()
    docs = Watched(page)
    docs.visit(f"{site}/api/v1/docs/")
    page.wait_for_selector(".opblock-summary-path")
    # Try an operation: the UI's own request to the API (connect-src) goes through.
    page.click(".opblock-get .opblock-summary-path[data-path='/api/v1/ratings/']")
    page.click("button.try-out__btn")
    page.click("button.execute")
    page.wait_for_selector(".live-responses-table .response-col_status:text-is('200')")
    docs.assert_clean("API docs after trying an operation")


def test_public_pages_work_under_the_policy(site, reader, demo, smtp_server, eager_tasks):
    publication = Publication.objects.first()
    page = reader()
    public = Watched(page)
    public.visit(f"{site}/factchecks/")
    public.visit(site + public_path(publication.claim_id, publication.slug))
    assert page.locator("script[type='application/ld+json']").count() == 1
    public.visit(f"{site}/subscribe/")
    page.get_by_label("Your email address").fill("csp-reader@example.org")
    page.get_by_label("Weekly").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Subscribe").click()
    assert page.inner_text("h1") == "Check your inbox"
    public.assert_clean("after subscribing")
