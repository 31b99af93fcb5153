"""The public pages and feeds: what people and feed readers see of a fact-check, and
what they never see (drafts, claims under review, withdrawn content, reviewers, notes)."""

import json
import xml.etree.ElementTree as ET
from datetime import datetime
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser

import pytest
from django.utils.html import escape

from claims import services
from claims.models import ClaimStatus as S
from claims.models import EvidenceKind, EvidenceStance
from publishing.documents import public_path
from publishing.models import Publication
from publishing.public import factchecks as views
from publishing.public import feeds
from tests.factories import (
    ClaimantFactory,
    ClaimFactory,
    TopicFactory,
    UserFactory,
    rating,
    source_add,
)

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
DRAFT_TEXT = "DRAFT-ONLY: the ministry's own revision says 70,000."
NOTE_TEXT = "INTERNAL: call the source back before Friday."
EXPLANATION = (
    "No independent count exists.\nUkraine does not publish its losses.\n\n"
    "Analysts <b>disagree</b> on method & scope."
)


class Page(HTMLParser):
    """The parts of an HTML page the tests look at, read with the stdlib parser."""

    def __init__(self, html: str):
        super().__init__()
        self.scripts: list[tuple[dict, str]] = []
        self.links: list[tuple[str, str]] = []
        self.h1: list[str] = []
        self.html_lang = None
        self._open: list[list] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.html_lang = attrs.get("lang")
        if tag in {"script", "a", "h1"}:
            self._open.append([tag, attrs, ""])

    def handle_data(self, data):
        for element in self._open:
            element[2] += data

    def handle_endtag(self, tag):
        if not self._open or self._open[-1][0] != tag:
            return
        _tag, attrs, text = self._open.pop()
        if tag == "script":
            self.scripts.append((attrs, text))
        elif tag == "a":
            self.links.append((attrs.get("href"), " ".join(text.split())))
        else:
            self.h1.append(" ".join(text.split()))


def propose(actor, claim, slug: str, summary: str, explanation: str = EXPLANATION):
    return services.claim_propose(
        actor=actor, claim=claim, rating=rating(slug), summary=summary, explanation=explanation
    )


@pytest.fixture
def factcheck(reviewer, editor):
    """A fact-check published through the workflow with every field filled, then
    corrected once (v2): topics, evidence, an appearance with a date, a claim date."""
    claim = ClaimFactory(
        status=S.IN_REVIEW,
        state__author=reviewer,
        claim_date=datetime(2023, 9, 1).date(),
        appearances=[{"url": "https://tass.com/defense/1", "outlet": "TASS", "date": "2023-09-02"}],
    )
    claim.topics.add(
        TopicFactory(name="Russia-Ukraine war", slug="war"),
        TopicFactory(name="Casualties", slug="casualties"),
    )
    services.evidence_add(
        actor=reviewer, claim=claim, url="https://example.org/count", title="Independent count",
        kind=EvidenceKind.RESEARCH, stance=EvidenceStance.REFUTES, publisher="Mediazona",
        quote="We could confirm 30,000 names.",
    )  # fmt: skip
    services.claim_note_add(actor=reviewer, claim=claim, text=NOTE_TEXT)
    propose(reviewer, claim, "false", "The first summary: the number is not supported.")
    services.claim_approve(actor=editor, claim=claim)
    services.claim_correct(actor=editor, claim=claim, note="The ministry revised its figure.")
    propose(reviewer, claim, "misleading", "Only the Russian defence ministry gives this figure.")
    services.claim_approve(actor=editor, claim=claim)
    claim.refresh_from_db()
    return claim


def page_of(client, claim):
    publication = Publication.objects.get(claim=claim)
    response = client.get(public_path(claim.pk, publication.slug))
    assert response.status_code == 200
    return response, publication


def test_fact_check_page_shows_every_published_field(client, factcheck):
    response, publication = page_of(client, factcheck)
    html = response.content.decode()
    doc = json.loads(publication.document)
    page = Page(html)

    assert page.h1 == [factcheck.claim_reviewed]
    assert page.html_lang == "en"
    for text in [
        factcheck.text, "Sergei Shoigu", "Russian Defence Minister", "Misleading",
        "Only the Russian defence ministry gives this figure.", "Independent count",
        "Mediazona", "Refutes", "We could confirm 30,000 names.", "TASS",
        "Russia-Ukraine war", "Casualties", "The ministry revised its figure.",
        "The first summary: the number is not supported.", "False", "Version 1", "Version 2",
    ]:  # fmt: skip
        assert escape(text) in html, text
    # "n of best" for a numbered rating.
    value, best = doc["rating"]["value"], doc["rating"]["best"]
    assert f"({value} of {best})" in html
    # The explanation: paragraphs, line breaks kept, its text escaped, never markup.
    assert "<p>No independent count exists.<br>Ukraine does not publish its losses.</p>" in html
    assert "<p>Analysts &lt;b&gt;disagree&lt;/b&gt; on method &amp; scope.</p>" in html
    assert (
        "https://www.wikidata.org/wiki/Q313463", "Sergei Shoigu on Wikidata"
    ) in page.links  # fmt: skip
    assert ("https://example.org/count", "Independent count") in page.links
    assert ("https://tass.com/defense/1", "TASS") in page.links
    assert ("/factchecks/?topic=war", "Russia-Ukraine war") in page.links
    assert (
        "/factchecks/?claimant=sergei-shoigu",
        "More fact-checks of Sergei Shoigu",
    ) in page.links
    # Dates, machine-readable: first published, updated (the correction), claim, appearance.
    for stamp in [doc["published_at"], doc["updated_at"]]:
        assert f'datetime="{datetime.fromisoformat(stamp).isoformat()}"' in html
    assert 'datetime="2023-09-01"' in html and 'datetime="2023-09-02"' in html
    assert doc["published_at"] != doc["updated_at"]


def ld_json(html: str) -> tuple[dict, str]:
    scripts = Page(html).scripts
    assert len(scripts) == 1, "one script element: the ClaimReview, nothing executable"
    attrs, text = scripts[0]
    assert attrs == {"type": "application/ld+json"}
    return json.loads(text), text


def test_embedded_claimreview_is_the_stored_one_and_the_apis(client, factcheck):
    response, publication = page_of(client, factcheck)

    embedded, _text = ld_json(response.content.decode())

    assert embedded == json.loads(publication.claimreview)
    api = client.get(f"/api/v1/claims/{factcheck.pk}/claimreview/")
    assert api.status_code == 200
    assert embedded == json.loads(api.content)
    assert embedded["url"].endswith(public_path(factcheck.pk, publication.slug))


def test_claim_containing_a_script_end_tag_cannot_break_out_of_the_json_ld(client):
    hostile = "Shoigu </script><script>alert('x')</script> & <!-- said"
    claim = ClaimFactory(status=S.PUBLISHED, claim_reviewed=hostile, text=hostile)

    response, publication = page_of(client, claim)
    html = response.content.decode()

    embedded, raw = ld_json(html)
    assert embedded["claimReviewed"] == hostile  # the same data, once parsed
    assert embedded == json.loads(publication.claimreview)
    assert "<" not in raw and ">" not in raw and "&" not in raw
    assert "<script>alert" not in html


@pytest.fixture
def every_status(reviewer, editor):
    """One claim in each workflow status, and a published one with a correction in
    progress whose draft says something that must stay private."""
    claims = {}
    for status in S.values:  # published comes before duplicate, which points at it
        claims[status] = ClaimFactory(
            status=status,
            claim_reviewed=f"Claim in status {status}",
            state__author=reviewer,
            duplicate_of=claims[S.PUBLISHED] if status == S.DUPLICATE else None,
        )
    corrected = ClaimFactory(
        status=S.PUBLISHED, claim_reviewed="Claim being corrected", state__author=reviewer
    )
    services.claim_correct(actor=editor, claim=corrected, note="Checking a new figure.")
    services.verdict_save_draft(
        actor=reviewer, claim=corrected, rating=rating("true"), summary=DRAFT_TEXT,
        explanation=DRAFT_TEXT,
    )  # fmt: skip
    return claims, corrected


def surfaces(client) -> dict[str, str]:
    return {
        url: client.get(url).content.decode()
        for url in [
            "/factchecks/",
            "/factchecks/?claimant=sergei-shoigu",
            "/feeds/factchecks.rss",
            "/feeds/factchecks.atom",
        ]
    }


def test_only_published_fact_checks_appear_on_every_page_and_feed(client, every_status):
    claims, corrected = every_status
    pages = surfaces(client)

    for status, claim in claims.items():
        for url, body in pages.items():
            shown = claim.claim_reviewed in body
            assert shown == (status == S.PUBLISHED), (status, url)
    for url, body in pages.items():
        # The published version of the claim under correction stays; its draft never.
        assert "Claim being corrected" in body, url
        assert "DRAFT-ONLY" not in body, url

    detail = {status: client.get(f"/factchecks/{claim.pk}-x/") for status, claim in claims.items()}
    for status, response in detail.items():
        expected = {S.PUBLISHED: 301, S.WITHDRAWN: 410}.get(status, 404)
        assert response.status_code == expected, status
    corrected_page = client.get(f"/factchecks/{corrected.pk}-x/", follow=True)
    assert corrected_page.status_code == 200
    assert DRAFT_TEXT[:20] not in corrected_page.content.decode()


def test_reviewers_and_internal_notes_never_appear(client, factcheck, reviewer, editor, settings):
    services.claim_correct(actor=editor, claim=factcheck, note="Another look.")
    services.verdict_save_draft(
        actor=reviewer, claim=factcheck, rating=rating("true"), summary=DRAFT_TEXT,
        explanation=DRAFT_TEXT,
    )  # fmt: skip
    withdrawn = ClaimFactory(status=S.PUBLISHED, claim_reviewed="To be withdrawn")
    services.claim_withdraw(actor=editor, claim=withdrawn, reason="The source retracted.")
    pages = surfaces(client)
    pages["detail"] = client.get(f"/factchecks/{factcheck.pk}-x/", follow=True).content.decode()
    pages["withdrawn"] = client.get(f"/factchecks/{withdrawn.pk}-x/").content.decode()
    pages["topic"] = client.get("/factchecks/?topic=war").content.decode()

    secrets = [
        reviewer.username, reviewer.email, editor.username, editor.email,
        "claim-author", "claim-approver", NOTE_TEXT, "INTERNAL", "DRAFT-ONLY",
    ]  # fmt: skip
    for name, body in pages.items():
        assert factcheck.claim_reviewed in body or name == "withdrawn", name
        for secret in secrets:
            assert secret not in body, (name, secret)


def test_withdrawn_fact_check_is_gone_with_its_public_reason_only(client, editor):
    claim = ClaimFactory(status=S.PUBLISHED, claim_reviewed="A claim later withdrawn")
    summary = claim.verdicts.get().summary
    services.claim_withdraw(actor=editor, claim=claim, reason="The source <retracted> it.")

    response = client.get(f"/factchecks/{claim.pk}-a-claim-later-withdrawn/")

    assert response.status_code == 410
    html = response.content.decode()
    assert "has been withdrawn" in html
    assert escape("The source <retracted> it.") in html
    for old in [claim.claim_reviewed, claim.text, summary, "application/ld+json"]:
        assert old not in html


def test_unknown_and_unpublished_claims_are_not_found(client):
    draft = ClaimFactory(status=S.IN_APPROVAL)
    assert client.get(f"/factchecks/{draft.pk}-{draft.pk}/").status_code == 404
    assert client.get(f"/factchecks/{draft.pk}/").status_code == 404
    assert client.get("/factchecks/999999-nothing/").status_code == 404


@pytest.mark.parametrize("suffix", ["wrong-slug/", "/", "-/", "%D0%BF%D1%80%D0%B8/"])
def test_wrong_or_missing_slug_redirects_permanently_to_the_canonical_page(client, suffix):
    claim = ClaimFactory(status=S.PUBLISHED)
    canonical = public_path(claim.pk, claim.publication.slug)
    separator = "" if suffix.startswith(("/", "-")) else "-"

    response = client.get(f"/factchecks/{claim.pk}{separator}{suffix}")

    assert response.status_code == 301
    assert response["Location"] == canonical


def test_index_filters_by_topic_and_claimant(client):
    war = TopicFactory(name="War", slug="war")
    prices = TopicFactory(name="Prices", slug="prices")
    lukashenko = ClaimantFactory(name="Alexander Lukashenko", slug="alexander-lukashenko")
    on_war = ClaimFactory(claim_reviewed="About the war")
    on_war.topics.add(war)
    on_prices = ClaimFactory(claim_reviewed="About prices", claimant=lukashenko)
    on_prices.topics.add(prices)
    for claim in (on_war, on_prices):
        publish(claim)

    def titles(query: str) -> list[str]:
        body = client.get("/factchecks/" + query).content.decode()
        return [t for t in ("About the war", "About prices") if t in body]

    assert titles("") == ["About the war", "About prices"]
    assert titles("?topic=war") == ["About the war"]
    assert titles("?topic=prices") == ["About prices"]
    assert titles("?claimant=alexander-lukashenko") == ["About prices"]
    assert titles("?claimant=sergei-shoigu&topic=war") == ["About the war"]
    assert titles("?claimant=sergei-shoigu&topic=prices") == []
    unknown = client.get("/factchecks/?topic=no-such-topic")
    assert unknown.status_code == 200 and "No fact-checks here yet." in unknown.content.decode()
    # The filtered page names what it filters and offers its own feeds.
    body = client.get("/factchecks/?topic=war").content.decode()
    # The topic's name is isolated from the sentence around it (docs/security.md).
    assert "<h1>Fact-checks on <bdi>War</bdi></h1>" in body
    assert (
        'type="application/rss+xml" title="RSS feed" href="/feeds/factchecks.rss?topic=war"' in body
    )


def publish(claim):
    """Publish a queued factory claim through the workflow (its topics set first)."""
    author = UserFactory(username="page-author", roles=["Reviewer"])
    approver = UserFactory(username="page-editor", roles=["Editor"])
    services.claim_assign(actor=approver, claim=claim, assignee=author)
    source_add(claim, author)
    propose(author, claim, "false", f"Summary of {claim.claim_reviewed}.")
    services.claim_approve(actor=approver, claim=claim)


def test_index_is_newest_first_and_pages_with_an_older_link(client, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    claims = [ClaimFactory(status=S.PUBLISHED, claim_reviewed=f"Fact-check {n}") for n in range(5)]
    seen = []
    url = "/factchecks/"
    while url:
        page = Page(client.get(url).content.decode())
        seen += [text for _href, text in page.links if text.startswith("Fact-check ")]
        older = [href for href, text in page.links if text == "Older fact-checks"]
        url = "/factchecks/" + older[0] if older else None
    assert seen == [c.claim_reviewed for c in reversed(claims)]
    assert client.get("/factchecks/?before=junk").status_code == 200
    assert client.get("/factchecks/?before=²").status_code == 200  # a digit int() refuses


def rss_items(client, query: str = "") -> list[ET.Element]:
    response = client.get("/feeds/factchecks.rss" + query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    root = ET.fromstring(response.content)
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    for required in ("title", "link", "description"):
        assert channel.findtext(required), required
    return channel.findall("item")


def atom_entries(client, query: str = "") -> list[ET.Element]:
    response = client.get("/feeds/factchecks.atom" + query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert root.findtext(ATOM + required), required
    return root.findall(f"{ATOM}entry")


def test_feeds_carry_each_fact_check_with_stable_ids(client, factcheck, reviewer, editor):
    publication = Publication.objects.get(claim=factcheck)
    doc = json.loads(publication.document)

    (item,) = rss_items(client)
    assert item.findtext("title") == f"{factcheck.claim_reviewed}: Misleading"
    assert item.findtext("link") == doc["public_url"]
    assert item.findtext("description") == doc["summary"]
    assert parsedate_to_datetime(item.findtext("pubDate")) == publication.published_at.replace(
        microsecond=0
    )
    assert {c.text for c in item.findall("category")} == {"Russia-Ukraine war", "Casualties"}
    (entry,) = atom_entries(client)
    assert entry.findtext(f"{ATOM}title") == item.findtext("title")
    assert entry.find(f"{ATOM}link").get("href") == doc["public_url"]
    assert entry.findtext(f"{ATOM}summary") == doc["summary"]
    assert datetime.fromisoformat(entry.findtext(f"{ATOM}published")) == publication.published_at
    assert datetime.fromisoformat(entry.findtext(f"{ATOM}updated")) == publication.updated_at
    assert entry.findtext(f"{ATOM}id") == item.findtext("guid")
    assert item.find("guid").get("isPermaLink") == "false"

    # A correction that rewords the claim changes the title; the id stays.
    before = item.findtext("guid")
    factcheck.claim_reviewed = "A new wording of the claim"
    factcheck.save(update_fields=["claim_reviewed"])
    services.claim_correct(actor=editor, claim=factcheck, note="Clearer wording.")
    propose(reviewer, factcheck, "misleading", "Same verdict, clearer claim.")
    services.claim_approve(actor=editor, claim=factcheck)
    (item,) = rss_items(client)
    assert item.findtext("title") == "A new wording of the claim: Misleading"
    assert item.findtext("guid") == before


def test_feeds_filter_and_unknown_filters_give_an_empty_valid_feed(client, monkeypatch):
    monkeypatch.setattr(feeds, "FEED_SIZE", 3)
    war = TopicFactory(name="War", slug="war")
    claims = [ClaimFactory(claim_reviewed=f"Feed claim {n}") for n in range(5)]
    claims[0].topics.add(war)
    for claim in claims:
        publish(claim)

    def titles(items, tag="title") -> list[str]:
        return [i.findtext(tag).split(":")[0] for i in items]

    latest = ["Feed claim 4", "Feed claim 3", "Feed claim 2"]
    assert titles(rss_items(client)) == latest
    assert titles(atom_entries(client), f"{ATOM}title") == latest
    assert titles(rss_items(client, "?topic=war")) == ["Feed claim 0"]
    assert titles(atom_entries(client, "?topic=war"), f"{ATOM}title") == ["Feed claim 0"]
    assert len(rss_items(client, "?claimant=sergei-shoigu")) == 3
    assert rss_items(client, "?topic=nope") == []
    assert atom_entries(client, "?claimant=nobody&topic=<x>") == []


def test_query_counts_do_not_grow_with_the_number_of_fact_checks(
    client, django_assert_max_num_queries, editor
):
    withdrawn = ClaimFactory(status=S.WITHDRAWN)
    for total in (2, 12):
        while Publication.objects.count() < total:
            ClaimFactory(status=S.PUBLISHED)
        claim = Publication.objects.first().claim
        for url in [
            "/factchecks/",
            "/factchecks/?topic=war&claimant=sergei-shoigu",
            public_path(claim.pk, claim.publication.slug),
            "/feeds/factchecks.rss",
            "/feeds/factchecks.atom",
        ]:
            with django_assert_max_num_queries(1):
                assert client.get(url).status_code == 200
        with django_assert_max_num_queries(2):
            assert client.get(f"/factchecks/{withdrawn.pk}-x/").status_code == 410


def test_page_is_in_the_fact_checks_language(client):
    claim = ClaimFactory(status=S.PUBLISHED, language="uk", claim_reviewed="Шойгу про втрати")

    response, _publication = page_of(client, claim)

    page = Page(response.content.decode())
    assert page.html_lang == "uk"
    assert page.h1 == ["Шойгу про втрати"]
    index = Page(client.get("/factchecks/").content.decode())
    assert index.html_lang == "en"
    assert 'lang="uk"' in client.get("/factchecks/").content.decode()  # the entry itself
