"""The public corrections log (/corrections/) and its feeds: every correction and
withdrawal made through the workflow, newest first, with its public note, escaped."""

import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from django.utils import timezone
from django.utils.html import escape

from claims import services
from claims.models import ClaimStatus, EvidenceKind, EvidenceStance
from publishing.changelog import change_events_sequence
from publishing.documents import public_path
from publishing.models import ChangeEvent, ChangeType
from publishing.public.policy import PAGE_SIZE
from publishing.selectors import corrections_latest
from tests.factories import ClaimFactory, rating

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
CORRECTION_NOTE = "The ministry revised its figure to 70,000 on 3 July."
WITHDRAWAL_REASON = "The only source retracted its report."
HOSTILE = "<script>alert(1)</script> & more"


class Entries(HTMLParser):
    """The log's entries: (link, claim) pairs and the text of each note."""

    def __init__(self, html: str):
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self.notes: list[str] = []
        self._in: str | None = None
        self._href = ""
        self._text = ""
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "ol" and "corrections-log" in attrs.get("class", ""):
            self._in = "log"
        elif self._in == "log" and tag == "a":
            self._in, self._href, self._text = "a", attrs["href"], ""
        elif self._in == "log" and tag == "blockquote":
            self._in, self._text = "note", ""

    def handle_data(self, data):
        if self._in in {"a", "note"}:
            self._text += data

    def handle_endtag(self, tag):
        if self._in == "a" and tag == "a":
            self.links.append((self._href, self._text.strip()))
            self._in = "log"
        elif self._in == "note" and tag == "blockquote":
            self.notes.append(self._text.strip())
            self._in = "log"
        elif self._in == "log" and tag == "ol":
            self._in = None


def sequence() -> None:
    """Number the new events, as the sequencer does when the publishing transaction
    commits (a test's transaction never commits)."""
    change_events_sequence()


@pytest.fixture
def corrected(reviewer, editor, other_editor):
    """A fact-check corrected through the workflow: correct, the assignee proposes the
    new version, another editor approves it."""
    claim = ClaimFactory(
        status=ClaimStatus.PUBLISHED,
        claim_reviewed="Ukrainian casualties exceed 90,000 troops",
        state__author=reviewer,
    )
    services.claim_correct(actor=editor, claim=claim, note=CORRECTION_NOTE)
    services.evidence_add(
        actor=reviewer, claim=claim, url="https://example.org/revision",
        title="The ministry's revision", kind=EvidenceKind.OFFICIAL_DATA,
        stance=EvidenceStance.REFUTES,
    )  # fmt: skip
    services.claim_propose(
        actor=reviewer,
        claim=claim,
        rating=rating("misleading"),
        summary="Only the ministry gives this figure, and it revised it.",
        explanation="The ministry's own revision gives a lower number.",
    )
    services.claim_approve(actor=other_editor, claim=claim)
    sequence()
    claim.refresh_from_db()
    return claim


@pytest.fixture
def withdrawn(editor):
    claim = ClaimFactory(status=ClaimStatus.PUBLISHED, claim_reviewed="Lukashenko said the talks")
    services.claim_withdraw(actor=editor, claim=claim, reason=WITHDRAWAL_REASON)
    sequence()
    return claim


def test_log_lists_a_correction_and_a_withdrawal_newest_first(client, corrected, withdrawn):
    response = client.get("/corrections/")

    assert response.status_code == 200
    entries = Entries(response.content.decode())
    corrected_path = public_path(corrected.pk, corrected.publication.slug)
    assert entries.links == [
        (f"/factchecks/{withdrawn.pk}/", withdrawn.claim_reviewed),
        (corrected_path, corrected.claim_reviewed),
    ]
    assert entries.notes == [WITHDRAWAL_REASON, CORRECTION_NOTE]
    html = response.content.decode()
    assert "Withdrawn" in html and "Corrected" in html
    # The links lead where the log says: the corrected page, and the withdrawal's 410.
    assert client.get(corrected_path).status_code == 200
    gone = client.get(f"/factchecks/{withdrawn.pk}/")
    assert gone.status_code == 410 and WITHDRAWAL_REASON in gone.content.decode()


def test_a_log_page_costs_two_queries_however_many_entries(
    corrected, withdrawn, django_assert_num_queries
):
    # The events with their claims, then the slugs of those still published.
    with django_assert_num_queries(2):
        entries = corrections_latest(limit=PAGE_SIZE)
        assert [entry.claim_reviewed for entry in entries] == [
            withdrawn.claim_reviewed,
            corrected.claim_reviewed,
        ]


def test_a_withdrawal_logged_without_its_reason_shows_the_claims(client, withdrawn):
    """Events logged before they carried a reason (claims/0010): the withdrawn claim
    keeps the public reason as its status note."""
    ChangeEvent.objects.filter(claim=withdrawn, type=ChangeType.WITHDRAWN).update(reason="")

    assert Entries(client.get("/corrections/").content.decode()).notes == [WITHDRAWAL_REASON]


def test_first_publications_and_unsequenced_events_are_not_in_the_log(client, corrected):
    ChangeEvent.objects.create(
        claim=corrected, type=ChangeType.CORRECTED, reason="Not numbered yet.", at=timezone.now()
    )
    html = client.get("/corrections/").content.decode()
    assert Entries(html).notes == [CORRECTION_NOTE]
    assert ChangeEvent.objects.filter(claim=corrected, type=ChangeType.PUBLISHED).exists()


def test_a_correction_of_a_later_withdrawn_fact_check_links_the_withdrawal(
    client, corrected, editor
):
    services.claim_withdraw(actor=editor, claim=corrected, reason=WITHDRAWAL_REASON)
    sequence()

    entries = Entries(client.get("/corrections/").content.decode())

    assert [href for href, _claim in entries.links] == [f"/factchecks/{corrected.pk}/"] * 2


def feed_items(client, url: str) -> list[dict[str, str]]:
    response = client.get(url)
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    if root.tag == "rss":
        return [
            {field: item.findtext(field) for field in ("title", "link", "description", "guid")}
            for item in root.iter("item")
        ]
    return [
        {
            "title": entry.findtext(f"{ATOM}title"),
            "link": entry.find(f"{ATOM}link").get("href"),
            "description": entry.findtext(f"{ATOM}summary"),
            "guid": entry.findtext(f"{ATOM}id"),
        }
        for entry in root.iter(f"{ATOM}entry")
    ]


@pytest.mark.parametrize("url", ["/feeds/corrections.rss", "/feeds/corrections.atom"])
def test_feeds_carry_the_notes_newest_first(client, settings, corrected, withdrawn, url):
    items = feed_items(client, url)

    assert [item["description"] for item in items] == [WITHDRAWAL_REASON, CORRECTION_NOTE]
    assert items[0]["title"] == f"Withdrawn: {withdrawn.claim_reviewed}"
    assert items[1]["title"] == f"Corrected: {corrected.claim_reviewed}"
    assert items[0]["link"] == f"{settings.SITE_URL}/factchecks/{withdrawn.pk}/"
    assert items[1]["link"] == settings.SITE_URL + public_path(
        corrected.pk, corrected.publication.slug
    )
    seqs = ChangeEvent.objects.filter(
        type__in=[ChangeType.WITHDRAWN, ChangeType.CORRECTED]
    ).order_by("-seq")
    today = timezone.now().date().isoformat()
    assert [item["guid"] for item in items] == [
        f"tag:127.0.0.1,{today}:change:{event.seq}" for event in seqs
    ]


def test_markup_in_a_note_is_escaped_on_the_page_and_in_the_feeds(client, editor):
    claim = ClaimFactory(status=ClaimStatus.PUBLISHED)
    services.claim_withdraw(actor=editor, claim=claim, reason=HOSTILE)
    sequence()

    html = client.get("/corrections/").content.decode()
    assert escape(HOSTILE) in html
    assert "<script>alert" not in html
    for url in ("/feeds/corrections.rss", "/feeds/corrections.atom"):
        raw = client.get(url).content.decode()
        assert "<script>" not in raw, url
        # A reader that renders the description as HTML shows the note as typed.
        assert feed_items(client, url)[0]["description"] == escape(HOSTILE), url


def test_log_pages_by_sequence_number(client):
    claim = ClaimFactory(status=ClaimStatus.PUBLISHED)
    now = timezone.now()
    ChangeEvent.objects.bulk_create(
        ChangeEvent(claim=claim, type=ChangeType.CORRECTED, reason=f"Note {n:02}.", at=now)
        for n in range(PAGE_SIZE + 5)
    )
    sequence()

    first = client.get("/corrections/").content.decode()
    notes = Entries(first).notes
    assert notes == [f"Note {n:02}." for n in range(PAGE_SIZE + 4, 4, -1)]
    last_seq = ChangeEvent.objects.get(reason="Note 05.").seq
    assert f'href="?before={last_seq}" rel="next"' in first

    second = client.get(f"/corrections/?before={last_seq}").content.decode()
    assert Entries(second).notes == [f"Note {n:02}." for n in range(4, -1, -1)]
    assert 'rel="next"' not in second
    assert 'href="/corrections/">Newest corrections' in second


@pytest.mark.parametrize(
    "query",
    [
        "?before=%00", "?before=", "?before=-1", "?before=abc", "?before=1e5", "?before=%C2%B2",
        "?before=" + "9" * 19, "?before=" + "9" * 400, "?before=12&before=x", "?%00=%00",
    ],
)  # fmt: skip
@pytest.mark.parametrize(
    "url", ["/corrections/", "/feeds/corrections.rss", "/feeds/corrections.atom", "/about/"]
)
def test_junk_query_strings_get_a_page_not_an_error(client, withdrawn, url, query):
    response = client.get(url + query)
    assert response.status_code == 200
    if url == "/corrections/":
        # Anything but a cursor starts at the newest entry.
        assert WITHDRAWAL_REASON in response.content.decode()
