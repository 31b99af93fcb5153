"""The public pages in Debian's Chromium: accessible (axe-core, shipped inside the
pinned axe-playwright-python package, so nothing is fetched at test time), readable on a
phone, complete without JavaScript. Saves docs/screenshots/factcheck.png."""

import json

import pytest
from axe_playwright_python.sync_playwright import Axe

from demo.data import seed_demo
from publishing.documents import public_path
from publishing.models import Publication
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 360, "height": 740}


@pytest.fixture
def demo_factcheck():
    """The richest demo fact-check: the most sources, corrections counted first."""
    seed_demo()
    publications = list(Publication.objects.all())
    assert len(publications) >= 9

    def richness(publication: Publication) -> tuple[int, int]:
        doc = json.loads(publication.document)
        return len(doc["corrections"]), len(doc["evidence"])

    return max(publications, key=richness)


def axe_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)" for v in results.response["violations"]
    ]


def assert_basics(page, lang: str) -> None:
    """What axe covers in part, asserted in the DOM as well."""
    assert page.get_attribute("html", "lang") == lang
    assert page.title().strip()
    assert page.locator("h1").count() == 1
    for landmark in ("header", "main#main", "footer", "nav"):
        assert page.locator(landmark).count() >= 1, landmark
    assert page.get_attribute("a.skip-link", "href") == "#main"
    links = page.locator("a").all()
    assert links and all(link.inner_text().strip() for link in links if link.is_visible())
    assert page.locator("img:not([alt])").count() == 0
    levels = [int(tag[1]) for tag in page.eval_on_selector_all(
        "h1, h2, h3, h4, h5, h6", "els => els.map(e => e.tagName)"
    )]  # fmt: skip
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), levels


def test_demo_fact_check_page_is_accessible_and_complete(site, reader, demo_factcheck):
    doc = json.loads(demo_factcheck.document)
    url = site + public_path(demo_factcheck.claim_id, demo_factcheck.slug)
    requests: list[str] = []
    page = reader()
    page.on("request", lambda request: requests.append(request.url))

    page.goto(url)

    assert_basics(page, doc["language"])
    assert page.inner_text("h1") == doc["claim_reviewed"]
    assert doc["rating"]["label"] in page.inner_text(".verdict")
    assert page.locator(".sources li").count() == len(doc["evidence"])
    embedded = json.loads(page.inner_text("script[type='application/ld+json']"))
    assert embedded == json.loads(demo_factcheck.claimreview)
    assert axe_violations(page) == []
    # No remote assets: every request went to this site.
    assert requests and all(r.startswith(site) for r in requests), requests
    screenshot(page, "factcheck.png", full_page=True)


def test_index_is_accessible_and_links_its_feeds(site, reader, demo_factcheck):
    page = reader()
    page.goto(site + "/factchecks/")

    assert_basics(page, "en")
    assert page.locator(".factcheck-entry").count() == Publication.objects.count()
    feeds = page.eval_on_selector_all(
        "link[rel=alternate]", "els => els.map(e => [e.type, e.getAttribute('href')])"
    )
    assert feeds == [
        ["application/rss+xml", "/feeds/factchecks.rss"],
        ["application/atom+xml", "/feeds/factchecks.atom"],
    ]
    assert axe_violations(page) == []


def test_pages_read_on_a_phone_without_javascript(site, reader, demo_factcheck):
    page = reader(viewport=PHONE, javascript=False)
    for path in ["/factchecks/", public_path(demo_factcheck.claim_id, demo_factcheck.slug)]:
        page.goto(site + path)
        # Nothing wider than the screen: no sideways scrolling to read a line.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
        assert page.locator("h1").is_visible()
    screenshot(page, "factcheck-phone.png")
