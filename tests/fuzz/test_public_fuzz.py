"""Every public URL with generated hostile input: never a 5xx, and every API error in
the contract's error format.

Drives the API (each operation of the OpenAPI schema, with its own parameter names and
any other name), the public pages, the feeds, the subscribe form and the signed links of
the emails, anonymously, with a read token, a submit token and a staff session, with
generated query strings, headers and bodies (NULs, huge and nested JSON, numbers past
64 bits, dates past year 9999, invalid UTF-8, bidi controls). schemathesis, in
tests/test_openapi.py, checks the API against its schema besides.
"""

import json

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from claims.models import ClaimStatus
from newsrooms.models import Newsroom
from newsrooms.services import token_create
from tests.factories import ClaimFactory, TopicFactory, UserFactory
from tests.fuzz.client import RAW_ESCAPES, answer, query_string
from tests.fuzz.hostile import FIXED, NESTED_JSON, SHAPES, VALUE, fuzz_settings

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "read", "submit", "staff"]
HEADERS = {
    "HTTP_IF_NONE_MATCH": VALUE,
    "HTTP_IF_MODIFIED_SINCE": st.sampled_from(
        ["Sat, 01 Jan 0000 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT", "yesterday"]
    ),
    "HTTP_ACCEPT": st.sampled_from(
        ["application/ld+json", "text/html", "*/*;q=abc", "application/json; version=\x00"]
    ),
    "HTTP_ACCEPT_LANGUAGE": st.sampled_from(["uk", "zz-ZZ", "*;q=2", "\u202e"]),
    "HTTP_IDEMPOTENCY_KEY": VALUE,
    "HTTP_X_FORWARDED_FOR": st.sampled_from(["1.1.1.1", "::1", "junk", "1.1.1.1, 2.2.2.2"]),
}


@pytest.fixture
def public(db):
    """Fact-checks in every public state, a newsroom with read and submit tokens, and a
    client for each persona."""
    reviewer = UserFactory(username="olena", roles=["Reviewer"])
    topic = TopicFactory(slug="war", name="War")
    claims = [
        ClaimFactory(status=status, state__author=reviewer)
        for status in (ClaimStatus.PUBLISHED, ClaimStatus.WITHDRAWN, ClaimStatus.IN_REVIEW)
    ]
    claims[0].topics.add(topic)
    newsroom = Newsroom.objects.create(name="Kyiv Independent", slug="kyiv-independent")
    clients = {"anonymous": Client(), "staff": Client()}
    clients["staff"].force_login(UserFactory(username="root", roles=["Admin"]))
    for scope in ("read", "submit"):
        key = token_create(newsroom=newsroom, scopes=[scope], name=scope)[1]
        clients[scope] = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    ids = [str(claim.pk) for claim in claims]
    return {"clients": clients, "ids": ids, "slug": claims[0].claimant.slug}


def api_operations(client: Client) -> list[tuple[str, str, list[str], list[str]]]:
    """(method, path template, query parameter names, body property names) of each API
    operation, from the schema the API serves."""
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    schema = json.loads(response.content)
    operations = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            properties = []
            if body:
                ref = body["schema"].get("$ref", "").rsplit("/", 1)[-1]
                properties = list(
                    schema["components"]["schemas"].get(ref, {}).get("properties", {})
                )
            operations.append((method, path, names, properties))
    return operations


def assert_error_format(response) -> None:
    """An API answer of 400 and up is the contract's JSON error object."""
    if response.status_code < 400 or response.status_code == 405 and not response.content:
        return
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    error = json.loads(response.content)["error"]
    assert isinstance(error["code"], str) and isinstance(error["message"], str)
    assert isinstance(error["fields"], dict)


def _fill(template: str, value: str) -> str:
    from urllib.parse import quote

    for name in ("{id}", "{slug}"):
        template = template.replace(name, quote(value, safe=""))
    return template


@st.composite
def headers(draw) -> dict:
    chosen = draw(st.lists(st.sampled_from(sorted(HEADERS)), max_size=3, unique=True))
    # A header value cannot hold a newline (the test client refuses it, as any server does).
    return {name: draw(HEADERS[name]).replace("\n", " ").replace("\r", " ") for name in chosen}


@st.composite
def json_body(draw, properties: list[str]) -> bytes:
    """A body for a POST: JSON objects with hostile values for the operation's own
    properties, nested or huge documents, or bytes that are no JSON or no UTF-8."""
    kind = draw(st.integers(min_value=0, max_value=5))
    if kind == 0:
        return NESTED_JSON.encode()
    if kind == 1:
        return draw(st.sampled_from([b"\xff\xfe{}", b'{"a": "\xc0\xaf"}', b"{", b"", b"1e999"]))
    values = st.one_of(
        VALUE,
        st.integers(min_value=-(2**80), max_value=2**80),
        st.lists(VALUE, max_size=3),
        st.just(None),
        st.just({"nested": {"deeper": ["x"]}}),
    )
    names = st.sampled_from(properties) if properties else VALUE
    document = draw(st.dictionaries(names, values, max_size=6))
    return json.dumps(document).encode()


@given(data=st.data())
@fuzz_settings(examples=400)
def test_api_answers_hostile_requests_in_its_error_format(public, data):
    client = public["clients"][data.draw(st.sampled_from(PERSONAS))]
    method, template, names, properties = data.draw(st.sampled_from(api_operations(client)))
    path = _fill(template, data.draw(st.one_of(st.sampled_from(public["ids"]), VALUE)))
    query = data.draw(query_string(names, VALUE))
    extra = data.draw(headers())
    if method == "post":
        body = data.draw(json_body(properties))
        response = answer(
            client, "post", path, query=query, data=body,
            content_type=data.draw(st.sampled_from(["application/json", "text/plain", "application/json; charset=latin-1"])),
            **extra,
        )  # fmt: skip
    else:
        response = answer(client, method, path, query=query, **extra)
    assert_error_format(response)


PAGES = [
    ("/factchecks/", ["topic", "claimant", "before"]),
    ("/feeds/factchecks.rss", ["topic", "claimant"]),
    ("/feeds/factchecks.atom", ["topic", "claimant"]),
    ("/corrections/", ["before"]),
    ("/feeds/corrections.rss", []),
    ("/feeds/corrections.atom", []),
    ("/about/", []),
    ("/about/methodology/", []),
    ("/about/corrections-policy/", []),
    ("/subscribe/", ["topics", "claimants", "ratings", "frequency", "language"]),
    ("/healthz", []),
]
SUBSCRIBE_FIELDS = ["email", "frequency", "topics", "claimants", "ratings", "language",
                    "notify_changes"]  # fmt: skip


@given(data=st.data())
@fuzz_settings(examples=300)
def test_pages_and_feeds_answer_hostile_queries(public, data):
    client = public["clients"][data.draw(st.sampled_from(["anonymous", "staff"]))]
    path, names = data.draw(st.sampled_from(PAGES))
    answer(client, "get", path, query=data.draw(query_string(names, VALUE)), **data.draw(headers()))


@given(data=st.data())
@fuzz_settings(examples=150)
def test_fact_check_pages_answer_junk_addresses(public, data):
    client = public["clients"]["anonymous"]
    from urllib.parse import quote

    pk = data.draw(st.one_of(st.sampled_from(public["ids"]), VALUE))
    slug = data.draw(st.one_of(st.just("x"), VALUE))
    path = data.draw(
        st.sampled_from(
            [f"/factchecks/{quote(pk, safe='')}-{quote(slug, safe='')}/",
             f"/factchecks/{quote(pk, safe='')}/"]
        )
    )  # fmt: skip
    answer(client, "get", path)


@given(data=st.data())
@fuzz_settings(examples=150)
def test_subscribe_form_and_signed_links_refuse_hostile_input(public, data):
    client = public["clients"]["anonymous"]
    which = data.draw(st.sampled_from(["subscribe", "confirm", "unsubscribe"]))
    if which == "subscribe":
        fields = data.draw(st.dictionaries(st.sampled_from(SUBSCRIBE_FIELDS), VALUE, min_size=1))
        if data.draw(st.booleans()):
            fields["email"] = data.draw(st.sampled_from(["a@example.org", "A@EXAMPLE.ORG "]))
        answer(client, "post", "/subscribe/", data=fields)
        return
    from urllib.parse import quote

    token = quote(data.draw(VALUE), safe="") + data.draw(st.sampled_from(["", *RAW_ESCAPES]))
    method = data.draw(st.sampled_from(["get", "post"]))
    answer(client, method, f"/subscriptions/{which}/{token or 'x'}/")


# --- The sweep: every parameter with every shape -----------------------------------------


def test_sweep_api_parameters_and_ids(public):
    from urllib.parse import quote

    client = public["clients"]["read"]
    failures = []
    for method, template, names, _ in api_operations(client):
        if method != "get":
            continue
        requests = [(_fill(template, shape), "") for shape in SHAPES if "{" in template]
        base = _fill(template, public["ids"][0] if "{id}" in template else public["slug"])
        requests += [
            (base, f"{quote(name, safe='')}={quote(shape, safe='')}")
            for name in names + ["cursor", "page_size", "updated_since"]
            for shape in SHAPES + FIXED[:12]
        ]
        for path, query in requests:
            try:
                assert_error_format(answer(client, "get", path, query=query))
            except AssertionError as exc:
                failures.append(str(exc).splitlines()[0][:300])
    assert not failures, f"{len(failures)} requests failed:\n" + "\n".join(failures)


def test_sweep_pages_and_feeds(public):
    from urllib.parse import quote

    client = public["clients"]["anonymous"]
    failures = []
    for path, names in PAGES:
        for name in names:
            for shape in SHAPES:
                try:
                    answer(client, "get", path, query=f"{name}={quote(shape, safe='')}")
                except AssertionError as exc:
                    failures.append(str(exc).splitlines()[0][:300])
    for shape in SHAPES:
        for path in (
            f"/factchecks/{quote(shape, safe='')}-x/",
            f"/factchecks/{quote(shape, safe='')}/",
        ):
            try:
                answer(client, "get", path)
            except AssertionError as exc:
                failures.append(str(exc).splitlines()[0][:300])
    assert not failures, f"{len(failures)} requests failed:\n" + "\n".join(failures)


def test_sweep_post_bodies(public):
    failures = []
    for persona in ("anonymous", "submit"):
        client = public["clients"][persona]
        for method, path, _, properties in api_operations(client):
            if method != "post":
                continue
            bodies = [NESTED_JSON.encode(), b"\xff\xfe", b"{", b"x" * (11 * 1024 * 1024)]
            bodies += [
                json.dumps({name: shape}).encode() for name in properties for shape in SHAPES
            ]
            for body in bodies:
                try:
                    assert_error_format(
                        answer(client, "post", path, data=body, content_type="application/json")
                    )
                except AssertionError as exc:
                    failures.append(str(exc).splitlines()[0][:300])
    assert not failures, f"{len(failures)} requests failed:\n" + "\n".join(failures)
