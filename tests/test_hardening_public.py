"""What an attacker tried on the public surface (issue 13), replayed: hostile bodies and
query strings get a 4xx in the API's error format (never a 500, never Django's HTML),
pages and feeds answer junk with a page, and pages and feeds are rate limited.

Run on both databases: the NUL cases failed on PostgreSQL, the overflows on SQLite."""

import base64
import json
from urllib.parse import quote

import pytest
from django.test import Client

from claims.models import ClaimStatus
from publishing.changelog import change_events_sequence
from publishing.documents import public_path
from publishing.models import Publication
from tests.factories import ClaimFactory
from tests.newsrooms.conftest import bearer, fresh_ip, steady_rate_clock  # noqa: F401

pytestmark = pytest.mark.django_db

MAX_BIGINT = 2**63 - 1
SUBSCRIPTION = {"email": "reader@example.org", "frequency": "daily"}
SUBMISSION = {
    "claim": "The mayor said the new bridge cost twice as much as the old one.",
    "claimant": "Vitali Klitschko",
    "url": "https://example.org/news/bridge",
}


def assert_error(response, status: int, code: str) -> dict:
    """`response` is `status` in the one error format of factcheck.api, with `code`."""
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = json.loads(response.content)
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}, body
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


@pytest.fixture
def token(db) -> str:
    from newsrooms.models import Newsroom
    from newsrooms.services import token_create

    newsroom = Newsroom.objects.create(name="Kyiv Independent", slug="kyiv-independent")
    return token_create(newsroom=newsroom, scopes=["read", "submit"])[1]


@pytest.fixture
def factcheck(db):
    return ClaimFactory(status=ClaimStatus.PUBLISHED)


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# --- Bodies: depth and size -------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/v1/subscriptions/", "/api/v1/submissions/"])
def test_two_thousand_nested_arrays_are_a_400_not_a_500(client, token, url):
    """The issue's 4 KB body: json.loads recursed 2,000 levels and raised RecursionError.
    subscriptions/ needs no login; submissions/ is sent with a token."""
    headers = bearer(token) if "submissions" in url else {}

    response = client.post(url, nested(2000), content_type="application/json", **headers)

    error = assert_error(response, 400, "parse_error")
    assert "nested" in error["message"]


def test_the_depth_limit_is_a_setting(client, settings):
    body = json.dumps({**SUBSCRIPTION, "topics": []})  # an object holding a list: depth 2
    settings.FACTCHECK_API_MAX_JSON_DEPTH = 1

    refused = client.post("/api/v1/subscriptions/", body, content_type="application/json")

    assert_error(refused, 400, "parse_error")
    settings.FACTCHECK_API_MAX_JSON_DEPTH = 2
    accepted = client.post("/api/v1/subscriptions/", body, content_type="application/json")
    assert accepted.status_code == 202, accepted.content


@pytest.mark.parametrize("url", ["/api/v1/subscriptions/", "/api/v1/submissions/"])
def test_a_ten_megabyte_body_is_a_413_in_the_error_format(client, token, url):
    body = json.dumps({**SUBMISSION, "claim": "x" * 10_000_000})

    response = client.post(url, body, content_type="application/json", **bearer(token))

    assert_error(response, 413, "too_large")


def test_the_body_limit_is_a_setting(client, token, settings):
    body = json.dumps(SUBMISSION)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = len(body) - 1

    refused = client.post(
        "/api/v1/submissions/", body, content_type="application/json", **bearer(token)
    )

    assert_error(refused, 413, "too_large")
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = len(body)
    accepted = client.post(
        "/api/v1/submissions/", body, content_type="application/json", **bearer(token)
    )
    assert accepted.status_code == 202, accepted.content


# --- Errors Django raises before or around the API's views --------------------------------


def test_too_many_query_parameters_are_a_400_in_the_error_format(client):
    response = client.get("/api/v1/ratings/?" + "a=1&" * 1001)

    assert_error(response, 400, "bad_request")


def test_a_host_not_served_is_a_400_in_the_error_format(client):
    response = client.get("/api/v1/ratings/", HTTP_HOST="attacker.example")

    assert_error(response, 400, "bad_request")


def test_even_a_bug_answers_in_the_error_format(monkeypatch):
    from publishing.api import views

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(views.RatingListView, "get", broken)

    response = Client(raise_request_exception=False).get("/api/v1/ratings/")

    assert_error(response, 500, "server_error")
    assert "a bug" not in response.content.decode()  # no detail of the bug leaks


def test_pages_keep_django_s_error_pages(client):
    response = client.get("/factchecks/?" + "a=1&" * 1001)

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


# --- Input that gave 500s (issue 13, point 3) and its siblings ----------------------------


def _cursor(querystring: str) -> str:
    """A cursor as DRF encodes one (base64 of a query string), around made-up fields."""
    return quote(base64.b64encode(querystring.encode()).decode())


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/claimants/?cursor=cD0lMDBhYmM=",  # the issue's: position "\x00abc"
        f"/api/v1/claimants/?cursor={_cursor('p=a%20b')}",  # no slug has a space
        f"/api/v1/claimants/?cursor={_cursor('p=%D9%A3')}",  # nor an Arabic digit
        f"/api/v1/claims/?cursor={_cursor('o=%D9%A3&p=5')}",  # an offset of "٣"
        f"/api/v1/claimants/?cursor={_cursor('o=%C2%B2')}",  # an offset of "²"
        "/api/v1/claims/?updated_since=%D9%A2%D9%A0%D9%A2%D9%A3-01-01T00:00:00Z",  # ٢٠٢٣
        "/api/v1/changes/?after=%00",
        "/api/v1/claims/?rating=%00",
    ],
)
def test_junk_in_query_parameters_is_a_400(client, factcheck, url):
    error = assert_error(client.get(url), 400, "invalid")

    assert error["fields"]


@pytest.mark.parametrize(
    "query",
    ["claimant=%00", "topic=%00", "topic=war%00", "claimant=%01", "topic=%3Cb%3E"],
)
@pytest.mark.parametrize("url", ["/factchecks/", "/feeds/factchecks.rss", "/feeds/factchecks.atom"])
def test_a_filter_no_slug_can_match_shows_nothing(client, factcheck, url, query):
    """The issue's `/factchecks/?claimant=%00`, `?topic=%00`, `/feeds/factchecks.rss?
    claimant=%00` and `.atom?topic=%00` (PostgreSQL cannot compare a NUL; SQLite's feed
    could not write it), and their siblings: an empty page or feed, as for any slug
    nobody published under."""
    response = client.get(f"{url}?{query}")

    assert response.status_code == 200
    assert factcheck.claim_reviewed not in response.content.decode()


@pytest.mark.parametrize(
    "url", ["/corrections/", "/feeds/corrections.rss", "/feeds/corrections.atom", "/about/"]
)
@pytest.mark.parametrize("query", ["before=%00", "%00=%00", "before=%D9%A3", "topic=%00"])
def test_the_corrections_log_and_policy_pages_ignore_junk(client, url, query):
    assert client.get(f"{url}?{query}").status_code == 200


def test_updated_since_after_the_last_representable_instant_matches_nothing(client, factcheck):
    """9999-12-31T23:59:59-14:00 is a valid RFC 3339 date-time, in the year 10000 in UTC:
    SQLite's adapter overflowed converting it. Nothing was updated since then."""
    response = client.get("/api/v1/claims/?updated_since=9999-12-31T23:59:59-14:00")

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_updated_since_before_the_first_representable_instant_matches_everything(client, factcheck):
    """0001-01-01T00:00:00+14:00 is in the year 0 in UTC: everything was updated since."""
    response = client.get("/api/v1/claims/?updated_since=0001-01-01T00:00:00%2B14:00")

    assert response.status_code == 200
    assert [doc["id"] for doc in response.json()["results"]] == [factcheck.pk]


@pytest.mark.parametrize(
    "path",
    [
        "/factchecks/99999999999999999999-x/",  # the issue's: OverflowError on SQLite
        "/factchecks/99999999999999999999/",
        "/factchecks/99999999999999999999-/",
        f"/factchecks/{MAX_BIGINT + 1}-x/",
    ],
)
def test_an_id_no_row_can_have_is_a_404_page(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/claims/99999999999999999999/",
        f"/api/v1/claims/{MAX_BIGINT + 1}/",
        f"/api/v1/claims/{MAX_BIGINT + 1}/claimreview/",
    ],
)
def test_an_id_no_row_can_have_is_a_404_in_the_error_format(client, path):
    assert_error(client.get(path), 404, "not_found")


def test_the_largest_id_a_row_can_have_is_looked_up(client):
    assert client.get(f"/factchecks/{MAX_BIGINT}-x/").status_code == 404
    assert_error(client.get(f"/api/v1/claims/{MAX_BIGINT}/"), 404, "not_found")


def test_a_fact_check_page_is_still_found_by_its_id(client, factcheck):
    publication = Publication.objects.get(claim=factcheck)

    assert client.get(public_path(factcheck.pk, publication.slug)).status_code == 200
    assert client.get(f"/factchecks/{factcheck.pk}/").status_code == 301
    assert client.get(f"/factchecks/{factcheck.pk}-/").status_code == 301
    assert client.get(f"/api/v1/claims/{factcheck.pk}/").status_code == 200


# --- Numbers are ASCII digits (issue 13, point 9) -----------------------------------------


@pytest.mark.parametrize("url", ["/api/v1/claims/", "/api/v1/claimants/", "/api/v1/changes/"])
@pytest.mark.parametrize(
    "value", ["%D9%A3", "%C2%B2", "%EF%BC%93", "3_0", "%2B3", "%203", "-1", "0", "00", "1e2"]
)
def test_page_size_is_ascii_digits_or_a_400(client, factcheck, url, value):
    """٣ (Arabic-Indic three), ², a fullwidth 3, 3_0, +3 and " 3" all pass int()."""
    error = assert_error(client.get(f"{url}?page_size={value}"), 400, "invalid")

    assert list(error["fields"]) == ["page_size"]


@pytest.mark.parametrize(
    ("url", "most"),
    [("/api/v1/claims/", 100), ("/api/v1/claimants/", 100), ("/api/v1/changes/", 1000)],
)
@pytest.mark.parametrize("value", ["1001", "99999999999999999999999", "0001001"])
def test_a_page_size_over_the_most_is_served_as_the_most(client, url, most, value):
    ClaimFactory.create_batch(3, status=ClaimStatus.PUBLISHED)
    change_events_sequence()

    response = client.get(f"{url}?page_size={value}")

    assert response.status_code == 200
    assert 1 <= len(response.json()["results"]) <= most


def test_page_size_in_range_is_served(client):
    ClaimFactory.create_batch(3, status=ClaimStatus.PUBLISHED)

    assert len(client.get("/api/v1/claims/?page_size=2").json()["results"]) == 2
    assert len(client.get("/api/v1/claims/?page_size=002").json()["results"]) == 2


def test_the_schema_states_what_the_server_does_with_page_size_and_ids(client):
    schema = json.loads(
        client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").content
    )

    def parameter(path: str, where: str, name: str) -> dict:
        parameters = schema["paths"][path]["get"]["parameters"]
        return next(p for p in parameters if p["in"] == where and p["name"] == name)

    for path, most in (("/api/v1/claims/", 100), ("/api/v1/changes/", 1000)):
        page_size = parameter(path, "query", "page_size")
        assert page_size["schema"] == {"type": "integer", "minimum": 1}  # more is capped
        assert f"more is served as {most}" in page_size["description"]
    for path in ("/api/v1/claims/{id}/", "/api/v1/claims/{id}/claimreview/"):
        assert parameter(path, "path", "id")["schema"] == {
            "type": "integer",
            "format": "int64",
            "minimum": 1,
            "maximum": MAX_BIGINT,
        }


# --- Pages and feeds are rate limited (issue 13, point 9) ---------------------------------


@pytest.mark.usefixtures("steady_rate_clock")
@pytest.mark.parametrize(
    "url",
    [
        "/factchecks/",
        "page",
        "/feeds/factchecks.rss",
        "/feeds/factchecks.atom",
        "/corrections/",
        "/feeds/corrections.rss",
        "/about/",
        "/subscribe/",
    ],
)
def test_pages_and_feeds_are_limited_per_address(client, settings, factcheck, url):
    if url == "page":
        url = public_path(factcheck.pk, Publication.objects.get(claim=factcheck).slug)
    settings.FACTCHECK_PAGE_RATE = "2/h"
    ip, other_ip = fresh_ip(), fresh_ip()

    assert [client.get(url, REMOTE_ADDR=ip).status_code for _ in range(2)] == [200, 200]
    slow = client.get(url, REMOTE_ADDR=ip)

    assert slow.status_code == 429
    assert 1 <= int(slow["Retry-After"]) <= 3600
    assert slow["Content-Type"].startswith("text/html")
    html = slow.content.decode()
    assert "<h1>Too many requests</h1>" in html
    assert "Please wait" in html
    assert client.get(url, REMOTE_ADDR=other_ip).status_code == 200


@pytest.mark.usefixtures("steady_rate_clock")
def test_the_api_and_the_admin_are_not_counted_as_pages(client, settings):
    settings.FACTCHECK_PAGE_RATE = "1/h"
    ip = fresh_ip()

    for _ in range(3):
        assert client.get("/api/v1/ratings/", REMOTE_ADDR=ip).status_code == 200
        assert client.get("/admin/login/", REMOTE_ADDR=ip).status_code == 200
    assert client.get("/factchecks/", REMOTE_ADDR=ip).status_code == 200
    assert client.get("/factchecks/", REMOTE_ADDR=ip).status_code == 429


@pytest.mark.usefixtures("steady_rate_clock")
def test_one_click_unsubscribes_are_never_refused(client, settings):
    """RFC 8058: a mail provider POSTs every one-click unsubscribe of its users from a
    few servers; the signed token is the authority, and a repeat changes nothing."""
    settings.FACTCHECK_PAGE_RATE = "1/h"
    ip, url = fresh_ip(), "/subscriptions/unsubscribe/not-a-token/"

    assert {client.post(url, REMOTE_ADDR=ip).status_code for _ in range(3)} == {400}
    assert client.get(url, REMOTE_ADDR=ip).status_code == 400
    assert client.get(url, REMOTE_ADDR=ip).status_code == 429
