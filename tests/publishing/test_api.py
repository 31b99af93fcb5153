"""The claims endpoints of /api/v1/: filters, cursor pagination, detail, ClaimReview,
claimants, ratings, topics, the query budget and conditional requests for polling."""

import base64
import json
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.http import http_date

from claims import services
from claims.models import ClaimStatus, EvidenceKind, EvidenceStance
from publishing import changelog
from publishing.models import ChangeEvent, ChangeType, Publication
from tests.factories import ClaimantFactory, ClaimFactory, TopicFactory, UserFactory, rating

pytestmark = pytest.mark.django_db
CLAIMS = "/api/v1/claims/"
CHANGES = "/api/v1/changes/"


@pytest.fixture
def desk():
    return UserFactory(username="desk-editor", roles=["Editor"])


def published(
    desk,
    *,
    text: str = "Ukraine's casualties in the counteroffensive exceed 90,000 troops.",
    rating_slug: str = "false",
    claimant=None,
    topics: tuple[str, ...] = (),
    language: str = "en",
):
    """Publish a claim through the workflow services (with the source approval needs)
    and number its change event. The verdict is proposed with its rating: a proposed
    verdict is frozen (migration 0010)."""
    extra = {"claimant": claimant} if claimant else {}
    claim = ClaimFactory(status=ClaimStatus.IN_REVIEW, text=text, language=language, **extra)
    claim.topics.add(*(TopicFactory(slug=t, name=t.title()) for t in topics))
    services.evidence_add(
        actor=claim.assignee,
        claim=claim,
        url="https://www.understandingwar.org/backgrounder/",
        title="Russian Offensive Campaign Assessment",
        kind=EvidenceKind.RESEARCH,
        stance=EvidenceStance.CONTEXT,
    )
    services.claim_propose(
        actor=claim.assignee,
        claim=claim,
        rating=rating(rating_slug),
        summary="The figure comes from one side and cannot be checked independently.",
        explanation="No independent source confirms the number.",
    )
    services.claim_approve(actor=desk, claim=claim)
    changelog.change_events_sequence()
    return claim


@pytest.fixture
def catalogue(desk):
    """Five published fact-checks across ratings, claimants, topics and languages, and
    one claim still in review."""
    lukashenko = ClaimantFactory(
        name="Alexander Lukashenko", slug="alexander-lukashenko", wikidata_id="Q7075"
    )
    claims = {
        "shoigu": published(desk, topics=("war",)),
        "tanks": published(
            desk,
            text="Belarus received no tanks from Russia this year.",
            rating_slug="misleading",
            claimant=lukashenko,
            topics=("war", "belarus"),
        ),
        "grain": published(
            desk,
            text="Grain exports through the Black Sea doubled.",
            rating_slug="true",
            claimant=lukashenko,
            topics=("economy",),
            language="ru",
        ),
        "aid": published(desk, text="Aid deliveries stopped in May.", rating_slug="mostly-true"),
        "shells": published(
            desk, text="One million shells were delivered.", rating_slug="unverifiable"
        ),
    }
    ClaimFactory(status=ClaimStatus.IN_REVIEW, text="Still being checked.")
    return claims


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [d["id"] for d in response.json()["results"]]


def newest_first(*claims) -> list[int]:
    return sorted((c.pk for c in claims), key=lambda pk: Publication.objects.get(claim_id=pk).pk)[
        ::-1
    ]


# --- The list and its filters ---------------------------------------------------------


def test_list_shows_published_fact_checks_newest_first(client, catalogue):
    response = client.get(CLAIMS)
    assert response["Content-Type"] == "application/json"
    assert ids(response) == newest_first(*catalogue.values())
    body = response.json()
    assert (body["next"], body["previous"]) == (None, None)
    first = body["results"][0]
    assert first == json.loads(Publication.objects.get(claim_id=first["id"]).document)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"rating": "misleading"}, ["tanks"]),
        ({"rating": "unverifiable"}, ["shells"]),
        ({"rating": "nonexistent"}, []),
        ({"claimant": "alexander-lukashenko"}, ["tanks", "grain"]),
        ({"claimant": "sergei-shoigu"}, ["shoigu", "aid", "shells"]),
        ({"topic": "war"}, ["shoigu", "tanks"]),
        ({"topic": "belarus"}, ["tanks"]),
        ({"language": "ru"}, ["grain"]),
        ({"q": "tanks"}, ["tanks"]),
        ({"q": "Lukashenko"}, ["tanks", "grain"]),
        ({"q": "grain exports"}, ["grain"]),
        ({"q": "nothing-like-this"}, []),
        ({"claimant": "alexander-lukashenko", "topic": "war"}, ["tanks"]),
        ({"claimant": "alexander-lukashenko", "language": "en"}, ["tanks"]),
        ({"topic": "war", "rating": "false", "language": "en"}, ["shoigu"]),
        ({"claimant": "sergei-shoigu", "q": "shells"}, ["shells"]),
        ({"topic": "economy", "rating": "false"}, []),
    ],
)
def test_list_filters(client, catalogue, params, expected):
    assert ids(client.get(CLAIMS, params)) == newest_first(*(catalogue[k] for k in expected))


def test_updated_since_includes_publications_and_corrections_from_then(
    client, catalogue, desk, editor
):
    since = timezone.now()
    late = published(desk, text="Published after the mark.")
    assert ids(client.get(CLAIMS, {"updated_since": since.isoformat()})) == [late.pk]

    # A correction of an old fact-check counts as an update.
    old = catalogue["shoigu"]
    services.claim_correct(actor=editor, claim=old, note="New figures.")
    old.refresh_from_db()
    services.claim_propose(
        actor=old.assignee, claim=old, rating=rating("false"), summary="S.", explanation="E."
    )
    services.claim_approve(actor=desk, claim=old)
    assert sorted(ids(client.get(CLAIMS, {"updated_since": since.isoformat()}))) == sorted(
        [late.pk, old.pk]
    )
    assert ids(client.get(CLAIMS, {"updated_since": timezone.now().isoformat()})) == []


@pytest.mark.parametrize(
    "params",
    [{"updated_since": "yesterday"}, {"updated_since": "2024-13-45T00:00:00Z"}, {"q": "a\x00b"}],
)
def test_bad_filter_values_are_400_in_the_error_format(client, catalogue, params):
    response = client.get(CLAIMS, params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) == set(params)


# --- Cursor pagination ----------------------------------------------------------------


@pytest.fixture
def many(desk):
    return [published(desk, text=f"Claim number {n}.") for n in range(11)]


def walk(client, url: str, direction: str) -> tuple[list[int], int]:
    seen: list[int] = []
    pages = 0
    while url:
        response = client.get(url)
        seen += ids(response)
        pages += 1
        url = response.json()[direction]
    return seen, pages


def test_cursor_walks_every_item_once_forward_and_backward(client, many):
    everything = newest_first(*many)
    forward, pages = walk(client, f"{CLAIMS}?page_size=3", "next")
    assert (forward, pages) == (everything, 4)

    last_page = client.get(f"{CLAIMS}?page_size=3")
    for _ in range(3):
        last_page = client.get(last_page.json()["next"])
    assert last_page.json()["next"] is None
    backward: list[int] = []
    url = last_page.json()["previous"]
    while url:
        response = client.get(url)
        backward = ids(response) + backward
        url = response.json()["previous"]
    assert backward + ids(last_page) == everything


def test_a_new_publication_does_not_shift_the_pages_being_walked(client, many, desk):
    first = client.get(f"{CLAIMS}?page_size=4").json()
    published(desk, text="Published while the client walked.")
    second = client.get(first["next"])
    assert ids(second) == newest_first(*many)[4:8]


def test_an_empty_cursor_is_the_first_page(client, many):
    assert ids(client.get(CLAIMS, {"cursor": "", "page_size": 2})) == newest_first(*many)[:2]


def test_deep_page_past_ninety_percent(client, many):
    everything = newest_first(*many)
    deep = Publication.objects.get(claim_id=everything[9]).pk
    cursor = base64.b64encode(urlencode({"p": deep + 1}).encode()).decode()
    assert ids(client.get(CLAIMS, {"cursor": cursor, "page_size": 5})) == everything[9:]


@pytest.mark.parametrize(("asked", "served"), [("1", 1), ("7", 7), ("100", 11), ("101", 11)])
def test_page_size_bounds(client, many, asked, served):
    assert len(ids(client.get(CLAIMS, {"page_size": asked}))) == served


def test_page_size_over_100_is_capped_at_100(client):
    ClaimFactory.create_batch(102, status=ClaimStatus.PUBLISHED)
    response = client.get(CLAIMS, {"page_size": 500})
    assert len(ids(response)) == 100
    assert parse_qs(urlsplit(response.json()["next"]).query)["page_size"] == ["500"]
    assert len(ids(client.get(response.json()["next"]))) == 2


@pytest.mark.parametrize("size", ["0", "-1", "ten", "1.5"])
def test_bad_page_size_is_400(client, many, size):
    response = client.get(CLAIMS, {"page_size": size})
    assert response.status_code == 400
    assert "page_size" in response.json()["error"]["fields"]


def _cursor(query: str) -> str:
    return base64.b64encode(query.encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "%%%",
        _cursor("p=abc"),
        _cursor("p=1;DROP TABLE x"),
        _cursor("p=99999999999999999999999999999"),
        _cursor("o=-5&p=3"),
        _cursor("r=2&p=3"),
        _cursor("p=-3"),
    ],
)
def test_invalid_or_tampered_cursor_is_400(client, many, cursor):
    response = client.get(CLAIMS, {"cursor": cursor})
    assert response.status_code == 400, response.content
    assert "cursor" in response.json()["error"]["fields"]


# --- Detail, ClaimReview --------------------------------------------------------------


def test_detail_is_the_stored_document(client, catalogue):
    claim = catalogue["tanks"]
    response = client.get(f"{CLAIMS}{claim.pk}/")
    assert response.status_code == 200
    assert response.json() == json.loads(Publication.objects.get(claim=claim).document)
    assert response.json()["claimant"]["same_as"] == "https://www.wikidata.org/wiki/Q7075"


def test_claimreview_is_json_ld(client, catalogue):
    claim = catalogue["tanks"]
    response = client.get(f"{CLAIMS}{claim.pk}/claimreview/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/ld+json"
    review = response.json()
    assert (review["@type"], review["claimReviewed"]) == ("ClaimReview", claim.claim_reviewed)
    assert review["reviewRating"]["alternateName"] == "Misleading"


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/claims/999999/",
        "/api/v1/claims/999999/claimreview/",
        "/api/v1/claimants/nobody/",
        "/api/v1/claims/abc/",
        "/api/v1/nothing-here/",
        "/api/v1/claimants/a%0Ab/",
        "/api/v1/claims/99999999999999999999999/",
    ],
)
def test_unknown_things_are_404_in_the_error_format(client, catalogue, url):
    response = client.get(url)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_claim_in_review_has_no_detail(client, catalogue):
    in_review = ClaimFactory(status=ClaimStatus.IN_REVIEW)
    assert client.get(f"{CLAIMS}{in_review.pk}/").status_code == 404
    assert client.get(f"{CLAIMS}{in_review.pk}/claimreview/").status_code == 404


# --- Withdrawn fact-checks ------------------------------------------------------------


def withdrawn(desk, reason: str = "The report it relied on was retracted."):
    claim = published(desk, text="A claim later withdrawn.")
    services.claim_withdraw(actor=desk, claim=claim, reason=reason)
    changelog.change_events_sequence()
    return claim


@pytest.mark.parametrize("suffix", ["", "claimreview/"])
def test_withdrawn_fact_check_is_gone_with_its_public_reason_and_time(client, desk, suffix):
    claim = withdrawn(desk)
    withdrawal = ChangeEvent.objects.get(claim=claim, type=ChangeType.WITHDRAWN)

    response = client.get(f"{CLAIMS}{claim.pk}/{suffix}")

    assert response.status_code == 410
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "error": {
            "code": "withdrawn",
            "message": "This fact-check has been withdrawn.",
            "fields": {},
            "reason": "The report it relied on was retracted.",
            "withdrawn_at": withdrawal.at.isoformat(),
        }
    }
    assert claim.text not in response.content.decode()
    assert "ETag" not in response


def test_withdrawal_answers_410_to_a_poller_holding_the_old_etag(client, desk):
    claim = published(desk, text="Polled, then withdrawn.")
    detail = f"{CLAIMS}{claim.pk}/"
    etag = client.get(detail)["ETag"]
    assert client.get(detail, HTTP_IF_NONE_MATCH=etag).status_code == 304

    services.claim_withdraw(actor=desk, claim=claim, reason="Retracted.")

    response = client.get(detail, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 410
    assert response.json()["error"]["reason"] == "Retracted."


def test_withdrawal_with_no_recorded_reason_answers_null(client):
    claim = ClaimFactory(status=ClaimStatus.WITHDRAWN)  # withdrawn with an empty note
    error = client.get(f"{CLAIMS}{claim.pk}/").json()["error"]
    assert (error["code"], error["reason"]) == ("withdrawn", None)


@pytest.mark.parametrize(
    "status", [ClaimStatus.QUEUED, ClaimStatus.IN_APPROVAL, ClaimStatus.REJECTED]
)
def test_claims_never_published_stay_404(client, status):
    claim = ClaimFactory(status=status)
    for suffix in ("", "claimreview/"):
        response = client.get(f"{CLAIMS}{claim.pk}/{suffix}")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


# --- Claimants, ratings, topics -------------------------------------------------------


def test_claimants_with_their_track_record(client, catalogue):
    ClaimantFactory(name="Nobody Published", slug="nobody-published")
    ClaimFactory(
        status=ClaimStatus.IN_REVIEW,
        claimant=ClaimantFactory(name="Under Review", slug="under-review"),
    )
    body = client.get("/api/v1/claimants/").json()
    assert [c["slug"] for c in body["results"]] == ["alexander-lukashenko", "sergei-shoigu"]
    lukashenko, shoigu = body["results"]
    assert lukashenko["track_record"] == {"misleading": 1, "true": 1}
    assert lukashenko["fact_checks"] == 2
    assert shoigu["track_record"] == {"false": 1, "mostly-true": 1, "unverifiable": 1}
    assert shoigu["kind"] == "person"
    assert lukashenko["claims_url"] == (
        "http://testserver/api/v1/claims/?claimant=alexander-lukashenko"
    )
    detail = client.get("/api/v1/claimants/sergei-shoigu/").json()
    assert detail == shoigu
    assert client.get("/api/v1/claimants/nobody-published/").status_code == 404


def test_claimants_paginate(client, desk):
    for n in range(3):
        published(desk, claimant=ClaimantFactory(name=f"Person {n}", slug=f"person-{n}"))
    slugs, pages = [], 0
    url = "/api/v1/claimants/?page_size=2"
    while url:
        body = client.get(url).json()
        slugs += [c["slug"] for c in body["results"]]
        url, pages = body["next"], pages + 1
    assert (slugs, pages) == (["person-0", "person-1", "person-2"], 2)


def test_ratings_and_topics(client, catalogue):
    ratings = client.get("/api/v1/ratings/").json()["results"]
    assert [(r["slug"], r["value"]) for r in ratings][:2] == [("false", 1), ("mostly-false", 2)]
    assert ("unverifiable", None) in [(r["slug"], r["value"]) for r in ratings]
    assert set(ratings[0]) == {"slug", "label", "value", "description"}
    topics = client.get("/api/v1/topics/").json()["results"]
    assert {"slug": "war", "name": "War"} in topics


# --- The query budget -----------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"page_size": 1},
        {"page_size": 50},
        {"page_size": 100},
        {"page_size": 50, "topic": "war", "rating": "false", "claimant": "sergei-shoigu"},
        {"q": "casualties", "language": "en", "updated_since": "2000-01-01T00:00:00Z"},
    ],
)
def test_list_runs_at_most_three_queries(client, desk, django_assert_max_num_queries, params):
    ClaimFactory.create_batch(60, status=ClaimStatus.PUBLISHED)
    for _ in range(2):
        published(desk, topics=("war",))
    with django_assert_max_num_queries(3):
        response = client.get(CLAIMS, params)
    assert response.status_code == 200
    assert len(response.json()["results"]) >= 1
    with django_assert_max_num_queries(3):
        assert client.get(response.json()["next"] or CLAIMS).status_code == 200


def test_detail_runs_at_most_two_queries(client, catalogue, django_assert_max_num_queries):
    claim = catalogue["shoigu"]
    with django_assert_max_num_queries(2):
        assert client.get(f"{CLAIMS}{claim.pk}/").status_code == 200
    with django_assert_max_num_queries(2):
        assert client.get(f"{CLAIMS}{claim.pk}/claimreview/").status_code == 200


def test_withdrawn_detail_runs_at_most_two_queries(client, desk, django_assert_max_num_queries):
    claim = withdrawn(desk)
    for url in (f"{CLAIMS}{claim.pk}/", f"{CLAIMS}{claim.pk}/claimreview/"):
        with django_assert_max_num_queries(2):
            assert client.get(url).status_code == 410


# --- The change log's hash chain -------------------------------------------------------


NOTE = "The period was five months."


def chain_link(entry: dict) -> tuple:
    return entry["type"], entry["content_hash"], entry["previous_hash"], entry["reason"]


def test_change_log_entries_carry_the_hash_chain_and_the_public_notes(client, desk, editor):
    claim = published(desk, text="Published, corrected, withdrawn.")
    services.claim_correct(actor=editor, claim=claim, note=NOTE)
    claim.refresh_from_db()
    services.claim_propose(
        actor=claim.assignee, claim=claim, rating=rating("true"), summary="S.", explanation="E."
    )
    services.claim_approve(actor=desk, claim=claim)
    changelog.change_events_sequence()
    first, second = claim.published_versions.order_by("number")

    published_v1 = ("published", first.content_hash, None, None)
    corrected_v2 = ("corrected", second.content_hash, first.content_hash, NOTE)

    entries = client.get(CHANGES, {"after": 0}).json()["results"]
    assert [chain_link(e) for e in entries] == [published_v1, corrected_v2]
    for entry in entries:
        assert entry["document"]["content_hash"] == entry["content_hash"]
        assert entry["document"]["previous_hash"] == entry["previous_hash"]
    history = client.get(f"{CLAIMS}{claim.pk}/").json()["history"]
    assert [(v["content_hash"], v["previous_hash"]) for v in history] == [
        (first.content_hash, None),
        (second.content_hash, first.content_hash),
    ]

    services.claim_withdraw(actor=desk, claim=claim, reason="Retracted.")
    changelog.change_events_sequence()

    entries = client.get(CHANGES, {"after": 0}).json()["results"]
    withdrawal = ("withdrawn", None, second.content_hash, "Retracted.")
    assert [chain_link(e) for e in entries] == [published_v1, corrected_v2, withdrawal]
    assert [e["document"] for e in entries] == [None, None, None]
    assert list(entries[2]) == [
        "seq", "type", "claim_id", "at", "content_hash", "previous_hash", "reason", "document"
    ]  # fmt: skip


def test_change_log_notes_are_json_strings_whatever_they_hold(client, desk):
    reason = 'Quoted "wrongly"\nline two \\ <script> – Шойгу'
    claim = withdrawn(desk, reason=reason)
    entry = client.get(CHANGES, {"after": 0}).json()["results"][-1]
    assert (entry["claim_id"], entry["reason"]) == (claim.pk, reason)


# --- Conditional requests for polling --------------------------------------------------


@pytest.mark.parametrize("url", [CLAIMS, "detail", "/api/v1/changes/?after=0"])
def test_polled_answers_carry_strong_validators_and_cache_headers(client, catalogue, url):
    if url == "detail":
        url = f"{CLAIMS}{catalogue['shoigu'].pk}/"
    response = client.get(url)
    etag = response["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert response["Last-Modified"]
    assert "Authorization" in response["Vary"]
    cache_control = response["Cache-Control"]
    assert "max-age=" in cache_control and "public" in cache_control


@pytest.mark.parametrize("url", [CLAIMS, f"{CLAIMS}?rating=false", "/api/v1/changes/?after=2"])
def test_matching_etag_gets_304_without_reading_publications(client, catalogue, url):
    etag = client.get(url)["ETag"]
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert len(queries) == 1
    assert "claims_publication" not in queries[0]["sql"]
    assert "claims_changeevent" in queries[0]["sql"]


def test_matching_detail_etag_gets_304_without_reading_the_document(client, catalogue):
    url = f"{CLAIMS}{catalogue['shoigu'].pk}/"
    etag = client.get(url)["ETag"]
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert (response.status_code, response.content) == (304, b"")
    assert len(queries) == 1
    assert '"document"' not in queries[0]["sql"]


def test_etags_differ_between_lists_with_different_filters(client, catalogue):
    assert client.get(CLAIMS)["ETag"] != client.get(CLAIMS, {"rating": "false"})["ETag"]


def test_publish_correct_and_withdraw_each_change_the_list_etag(client, catalogue, desk, editor):
    etags = [client.get(CLAIMS)["ETag"]]
    claim = published(desk, text="A new one.")
    etags.append(client.get(CLAIMS)["ETag"])

    detail = f"{CLAIMS}{claim.pk}/"
    detail_before = client.get(detail)["ETag"]
    services.claim_correct(actor=editor, claim=claim, note="Fixed a figure.")
    claim.refresh_from_db()
    services.claim_propose(
        actor=claim.assignee, claim=claim, rating=rating("true"), summary="S.", explanation="E."
    )
    services.claim_approve(actor=desk, claim=claim)
    changelog.change_events_sequence()
    etags.append(client.get(CLAIMS)["ETag"])
    assert client.get(detail)["ETag"] != detail_before
    assert client.get(detail, HTTP_IF_NONE_MATCH=detail_before).status_code == 200

    services.claim_withdraw(actor=desk, claim=claim, reason="Retracted.")
    changelog.change_events_sequence()
    etags.append(client.get(CLAIMS)["ETag"])
    assert len(set(etags)) == 4
    # The old ETag no longer matches: the poller gets the new list.
    assert client.get(CLAIMS, HTTP_IF_NONE_MATCH=etags[0]).status_code == 200


def test_if_modified_since(client, catalogue):
    response = client.get(CLAIMS)
    last_modified = response["Last-Modified"]
    assert client.get(CLAIMS, HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 304
    long_ago = http_date(0)
    assert client.get(CLAIMS, HTTP_IF_MODIFIED_SINCE=long_ago).status_code == 200
    detail = f"{CLAIMS}{catalogue['shoigu'].pk}/"
    modified = client.get(detail)["Last-Modified"]
    assert client.get(detail, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304


def test_empty_log_still_answers_with_validators(client, db):
    response = client.get(CLAIMS)
    assert response.status_code == 200
    assert response.json() == {"next": None, "previous": None, "results": []}
    assert response["ETag"]


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="The GIN index of migration 0008 is PostgreSQL's"
)
def test_full_text_search_can_use_the_gin_index(catalogue):
    from publishing.api.filters import full_text

    with connection.cursor() as cursor:
        # A handful of rows always favours a sequential scan; forbid it to see whether
        # the index matches the query's expression at all.
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = full_text(Publication.objects.all(), "tanks").explain()
    assert "publication_search_fts_idx" in plan, plan
