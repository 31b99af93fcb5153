"""Every feed the project serves carries text as text: read with a real feed parser
(feedparser, its sanitiser off so that it reports what the feed says), markup a
reviewer or a submitter typed comes out as the characters typed, never as elements,
and a literal `<` or `&` round-trips. Characters XML cannot hold never break a feed."""

import re
from html.parser import HTMLParser
from urllib.parse import quote

import feedparser
import pytest

from claims import services
from claims.models import ClaimStatus
from publishing.changelog import change_events_sequence
from tests.factories import ClaimFactory

pytestmark = pytest.mark.django_db

# The summary of the attack: it closes a <script> element, opens one, breaks out
# of an attribute and adds an image whose error handler runs script.
HOSTILE = '</script><script>alert(1)</script>"><img src=x onerror=alert(1)>'
# Text that only looks like markup: a comparison, an ampersand, an entity and a tag
# written as they are meant, to be shown as typed.
LITERAL = 'Between 1<2 and 3>2 & "AT&T" &amp; <b>not bold</b>'
FEEDS = {
    "factchecks": ["/feeds/factchecks.rss", "/feeds/factchecks.atom"],
    "corrections": ["/feeds/corrections.rss", "/feeds/corrections.atom"],
}
EVERY_FEED = [url for urls in FEEDS.values() for url in urls]


class _Markup(HTMLParser):
    """What an HTML renderer would make of a string: its elements and its text."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text = ""
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append(tag)

    def handle_endtag(self, tag):
        self.tags.append("/" + tag)

    def handle_data(self, data):
        self.text += data


def shown(detail) -> str:
    """What a feed reader shows for one of feedparser's text constructs (its `type` says
    how to read the value), failing if the reader would render any element."""
    if detail.type == "text/plain":
        return detail.value
    assert detail.type in {"text/html", "application/xhtml+xml"}, detail.type
    markup = _Markup(detail.value)
    assert markup.tags == [], f"active content: {markup.tags} in {detail.value!r}"
    return markup.text


def parse(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, url
    parsed = feedparser.parse(response.content, sanitize_html=False)
    assert not parsed.bozo, (url, parsed.get("bozo_exception"))
    return parsed


@pytest.fixture
def factchecks():
    """Two published fact-checks whose claim and summary hold the hostile and the
    literal text."""
    return [
        ClaimFactory(status=ClaimStatus.PUBLISHED, claim_reviewed=text, state__summary=text)
        for text in (LITERAL, HOSTILE)
    ]


@pytest.fixture
def withdrawals(editor):
    """Two fact-checks withdrawn with the hostile and the literal text as the public
    reason, the claim worded the same."""
    claims = []
    for text in (LITERAL, HOSTILE):
        claim = ClaimFactory(status=ClaimStatus.PUBLISHED, claim_reviewed=text)
        services.claim_withdraw(actor=editor, claim=claim, reason=text)
        claims.append(claim)
    change_events_sequence()
    return claims


@pytest.mark.parametrize("url", FEEDS["factchecks"])
def test_fact_check_feeds_show_summaries_and_claims_as_typed(client, factchecks, url):
    entries = parse(client, url).entries

    assert [shown(entry.summary_detail) for entry in entries] == [HOSTILE, LITERAL]
    assert [shown(entry.title_detail) for entry in entries] == [
        f"{HOSTILE}: False",
        f"{LITERAL}: False",
    ]


@pytest.mark.parametrize("url", FEEDS["corrections"])
def test_corrections_feeds_show_reasons_and_claims_as_typed(client, withdrawals, url):
    entries = parse(client, url).entries

    assert [shown(entry.summary_detail) for entry in entries] == [HOSTILE, LITERAL]
    assert [shown(entry.title_detail) for entry in entries] == [
        f"Withdrawn: {HOSTILE}",
        f"Withdrawn: {LITERAL}",
    ]


@pytest.mark.parametrize("url", FEEDS["factchecks"])
def test_a_filter_in_the_feed_title_is_text(client, url):
    feed = parse(client, url + "?topic=" + "%3Cb%3Eno%3C/b%3E%26amp;").feed

    assert shown(feed.title_detail).endswith("topic <b>no</b>&amp;")


# Characters XML 1.0 cannot carry: Django's feed writer refused the whole feed for one
# of them with a 500.
UNSERIALISABLE = ["\x00", "\x0c", "\x1b"]
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


@pytest.mark.parametrize("url", EVERY_FEED)
def test_characters_xml_cannot_hold_are_left_out_not_a_500(client, editor, url):
    # A form feed pasted from a PDF, an escape from a terminal (PostgreSQL stores no NUL).
    dirty = "Page\x0cbreak, escape\x1b, end"
    claim = ClaimFactory(status=ClaimStatus.PUBLISHED, claim_reviewed=dirty, state__summary=dirty)
    services.claim_withdraw(actor=editor, claim=claim, reason=dirty)
    change_events_sequence()
    ClaimFactory(status=ClaimStatus.PUBLISHED, claim_reviewed=dirty, state__summary=dirty)

    (entry,) = parse(client, url).entries

    for detail in (entry.summary_detail, entry.title_detail):
        text = shown(detail)
        assert "break, escape, end" in text
        assert not CONTROL.search(text), repr(text)


@pytest.mark.parametrize("character", UNSERIALISABLE)
@pytest.mark.parametrize("parameter", ["topic", "claimant"])
@pytest.mark.parametrize("url", FEEDS["factchecks"])
def test_a_filter_no_slug_can_match_gives_an_empty_feed(
    client, factchecks, url, parameter, character
):
    """The issue's `/feeds/factchecks.rss?claimant=%00` and `.atom?topic=%00`, and their
    siblings: a 500 on PostgreSQL (NUL in SQL) and on SQLite (NUL in the XML title)."""
    query = f"?{parameter}=war{quote(character)}"

    assert parse(client, url + query).entries == []
