"""The transparency pages (IFCN): the migrated text is public, every public page links
them, only editors and admins change them (through the admin, with history), and
ClaimReview names them on the fact-checking Organization."""

import json
from html.parser import HTMLParser
from importlib import import_module

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from claims.models import ClaimStatus
from factcheck.errors import DomainError
from publishing import services
from publishing.claimreview import claimreview_problems
from publishing.documents import public_path
from publishing.models import PolicyKind, PolicyPage, Publication
from tests.admin_forms import change_form_data
from tests.factories import ClaimFactory

pytestmark = pytest.mark.django_db

MIGRATION = import_module("publishing.migrations.0002_policy_pages")
PAGES = {
    PolicyKind.METHODOLOGY: "/about/methodology/",
    PolicyKind.CORRECTIONS_POLICY: "/about/corrections-policy/",
    PolicyKind.ABOUT: "/about/",
}
FOOTER_LINKS = [*PAGES.values(), "/corrections/"]


class Links(HTMLParser):
    def __init__(self, html: str):
        super().__init__()
        self.hrefs: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs.append(dict(attrs).get("href"))


def first_paragraph(text: str) -> str:
    return text.split("\n\n")[0]


@pytest.mark.parametrize(("kind", "title", "body"), MIGRATION.PAGES)
def test_each_page_shows_its_migrated_text(client, kind, title, body):
    response = client.get(PAGES[kind])

    assert response.status_code == 200
    html = response.content.decode()
    assert f"<h1>{escape(title)}</h1>" in html
    assert f"<p>{escape(first_paragraph(body))}</p>" in html
    assert PolicyPage.objects.get(kind=kind).body == body


def test_a_published_fact_check_links_every_transparency_page(client):
    claim = ClaimFactory(status=ClaimStatus.PUBLISHED)
    page = client.get(public_path(claim.pk, claim.publication.slug))

    hrefs = Links(page.content.decode()).hrefs
    for href in FOOTER_LINKS:
        assert href in hrefs
        assert client.get(href).status_code == 200, href


@pytest.mark.parametrize("url", ["/factchecks/", *FOOTER_LINKS])
def test_every_public_page_carries_the_footer_links(client, url):
    hrefs = Links(client.get(url).content.decode()).hrefs
    assert set(FOOTER_LINKS) <= set(hrefs)


# --- Editing ----------------------------------------------------------------------------


def change_url(page: PolicyPage) -> str:
    return reverse("admin:publishing_policypage_change", args=[page.pk])


def admin_form(user, page: PolicyPage) -> dict:
    """The change form as an editor's browser would submit it."""
    browser = Client()
    browser.force_login(user)
    return change_form_data(browser.get(change_url(page)).content.decode())


def test_editor_edits_a_page_in_the_admin_and_the_public_sees_it(client, editor):
    page = PolicyPage.objects.get(kind=PolicyKind.METHODOLOGY)
    data = admin_form(editor, page)
    data.update(title="How we work", body="We read the sources.\n\nThen we <b>ask</b> twice.")
    client.force_login(editor)

    response = client.post(change_url(page), data)

    assert response.status_code == 302, response.content.decode()[:2000]
    client.logout()
    html = client.get("/about/methodology/").content.decode()
    assert "<h1>How we work</h1>" in html
    # Plain text: paragraphs from blank lines, markup shown as typed.
    assert "<p>We read the sources.</p>" in html
    assert "<p>Then we &lt;b&gt;ask&lt;/b&gt; twice.</p>" in html
    latest, *earlier = page.history.order_by("-history_date", "-history_id")
    assert latest.history_user == editor
    assert latest.title == "How we work"
    # The migrated wording stays in the history.
    assert earlier[-1].body == MIGRATION.METHODOLOGY
    history = client_for(editor).get(reverse("admin:publishing_policypage_history", args=[page.pk]))
    assert history.status_code == 200 and editor.username in history.content.decode()


def client_for(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


@pytest.mark.parametrize("persona", ["reviewer", "outsider"])
def test_reviewers_and_outsiders_cannot_change_a_page(request, persona, editor):
    user = request.getfixturevalue(persona)
    page = PolicyPage.objects.get(kind=PolicyKind.ABOUT)
    data = admin_form(editor, page)
    data.update(title="Defaced", body="Defaced.")
    browser = client_for(user)
    versions = page.history.count()

    response = browser.post(change_url(page), data)
    # simple-history's revert form saves too: it needs the right to edit as well.
    revert = browser.post(
        reverse(
            "admin:publishing_policypage_simple_history",
            args=[page.pk, page.history.earliest().history_id],
        ),
        data,
    )

    assert response.status_code == 403
    assert revert.status_code == 403
    page.refresh_from_db()
    assert page.title == MIGRATION.PAGES[2][1]
    assert page.history.count() == versions
    # A reviewer reads the pages in the admin; an outsider does not even see them.
    assert browser.get(change_url(page)).status_code == (200 if persona == "reviewer" else 403)


def test_editor_restores_an_earlier_wording_from_the_history(editor, other_editor):
    page = PolicyPage.objects.get(kind=PolicyKind.CORRECTIONS_POLICY)
    services.policy_page_update(actor=other_editor, page=page, title="Oops", body="Oops.")
    first = page.history.earliest()
    revert_url = reverse(
        "admin:publishing_policypage_simple_history", args=[page.pk, first.history_id]
    )
    browser = client_for(editor)
    data = change_form_data(browser.get(revert_url).content.decode())

    response = browser.post(revert_url, data)

    assert response.status_code == 302
    page.refresh_from_db()
    assert (page.title, page.body) == (first.title, MIGRATION.CORRECTIONS_POLICY)
    assert page.history.latest().history_user == editor


@pytest.mark.parametrize(
    "path", ["abc/history/", "%00/history/", "1/history/abc/", "999999/history/"]
)
def test_junk_history_addresses_are_not_found(editor, path):
    page = PolicyPage.objects.get(kind=PolicyKind.ABOUT)
    url = reverse("admin:publishing_policypage_changelist") + path.replace("1/", f"{page.pk}/")
    assert client_for(editor).get(url).status_code == 404


def test_the_admin_offers_no_add_or_delete(admin_user):
    browser = client_for(admin_user)
    page = PolicyPage.objects.get(kind=PolicyKind.ABOUT)
    assert browser.get(reverse("admin:publishing_policypage_add")).status_code == 403
    delete = reverse("admin:publishing_policypage_delete", args=[page.pk])
    assert browser.post(delete, {"post": "yes"}).status_code == 403
    assert PolicyPage.objects.count() == 3


def test_update_service_refuses_anyone_but_editors_and_admins(reviewer, outsider, admin_user):
    page = PolicyPage.objects.get(kind=PolicyKind.CORRECTIONS_POLICY)
    for actor in (reviewer, outsider, None):
        with pytest.raises(DomainError) as refused:
            services.policy_page_update(actor=actor, page=page, title="x", body="y")
        assert refused.value.code == "forbidden"
    page.refresh_from_db()
    assert page.body == MIGRATION.CORRECTIONS_POLICY

    updated = services.policy_page_update(
        actor=admin_user, page=page, title="  Corrections  ", body="We fix errors openly."
    )

    assert (updated.title, updated.body) == ("Corrections", "We fix errors openly.")
    assert page.history.latest().history_user == admin_user


def test_update_service_refuses_an_empty_page(editor):
    page = PolicyPage.objects.get(kind=PolicyKind.ABOUT)
    with pytest.raises(DomainError) as refused:
        services.policy_page_update(actor=editor, page=page, title="About", body="   ")
    assert refused.value.code == "invalid" and "body" in refused.value.fields
    page.refresh_from_db()
    assert page.body == MIGRATION.ABOUT


def test_a_missing_page_answers_not_found(client):
    PolicyPage.objects.filter(kind=PolicyKind.ABOUT).delete()
    assert client.get("/about/").status_code == 404
    assert client.get("/about/methodology/").status_code == 200


# --- ClaimReview ------------------------------------------------------------------------


def test_claimreview_of_a_new_fact_check_names_the_transparency_pages(client):
    claim = ClaimFactory(status=ClaimStatus.PUBLISHED)
    review = json.loads(Publication.objects.get(claim=claim).claimreview)
    author = review["author"]
    site = settings.SITE_URL

    assert author["@type"] == "Organization"
    assert author["publishingPrinciples"] == site + "/about/methodology/"
    assert author["verificationFactCheckingPolicy"] == site + "/about/methodology/"
    assert author["correctionsPolicy"] == site + "/about/corrections-policy/"
    assert author["ownershipFundingInfo"] == site + "/about/"
    assert claimreview_problems(review) == []
    for key in ("publishingPrinciples", "correctionsPolicy", "ownershipFundingInfo"):
        assert client.get(author[key].removeprefix(site)).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_pages_and_permissions_are_there_in_transactional_tests_too(editor, reviewer):
    """The flush after each transactional test removes migrated rows; conftest puts
    them back, so these tests see the pages and the grants as a fresh database does."""
    assert set(PolicyPage.objects.values_list("kind", flat=True)) == set(PolicyKind.values)
    assert editor.has_perm("publishing.change_policypage")
    assert reviewer.has_perm("publishing.view_policypage")
    assert not reviewer.has_perm("publishing.change_policypage")
    assert PolicyPage.history.filter(history_type="+").count() == len(PolicyKind)
