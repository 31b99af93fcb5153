"""The OpenAPI schema of /api/v1/, its offline docs page, and schemathesis against both.

schemathesis generates requests for every operation the schema has (valid and invalid
input) and checks each answer: never a 5xx, status, content type, headers and body as
the schema says, and every 4xx in the one error format of the contract.
"""

import base64
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import hypothesis
import pytest
import schemathesis
from django.core import signals
from django.core.management import call_command
from django.db import close_old_connections, transaction
from django.test import Client
from django.test.utils import override_settings
from hypothesis import HealthCheck, Phase, settings
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, CheckContext, load_all_checks
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import positive_data_acceptance
from werkzeug.test import Client as WerkzeugClient

from claims.models import Claim, ClaimStatus
from demo.data import seed_demo
from factcheck.wsgi import application
from newsrooms.models import Newsroom
from newsrooms.services import token_create
from publishing.changelog import change_events_sequence
from publishing.models import Publication

# The endpoints of the public contract (DESIGN.md), as the schema must list them.
CONTRACT_OPERATIONS = {
    ("get", "/api/v1/claims/"): "claims_list",
    ("get", "/api/v1/claims/{id}/"): "claims_retrieve",
    ("get", "/api/v1/claims/{id}/claimreview/"): "claims_claimreview",
    ("get", "/api/v1/changes/"): "changes_list",
    ("get", "/api/v1/claimants/"): "claimants_list",
    ("get", "/api/v1/claimants/{slug}/"): "claimants_retrieve",
    ("get", "/api/v1/ratings/"): "ratings_list",
    ("get", "/api/v1/topics/"): "topics_list",
}
# schemathesis talks to the WSGI app as this host.
WSGI_HOST = "localhost"

# How much schemathesis generates: in `make test` the stateful run takes about 40 s and
# the per-operation one 20 s of this module's two minutes on PostgreSQL on two cores
# (docs/api.md, "Tested against its schema").
# FUZZ_MULTIPLIER=10 (as `make fuzz` sets it) runs ten times the examples, FUZZ_RANDOM=1
# new draws each time instead of the same ones.
MULTIPLIER = int(os.environ.get("FUZZ_MULTIPLIER", "1"))
DERANDOMIZE = os.environ.get("FUZZ_RANDOM", "") != "1"
EXAMPLES_PER_OPERATION = 40 * MULTIPLIER
# Sequences of calls, each up to STATEFUL_STEPS long: 200 x 10 is about 2,000 calls.
STATEFUL_SEQUENCES = 200 * MULTIPLIER
STATEFUL_STEPS = 10


def _schema_document(client: Client) -> dict:
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200, response.content[:500]
    return json.loads(response.content)


# --- The schema ------------------------------------------------------------------------


def test_schema_generates_without_warnings_and_validates(tmp_path):
    """drf-spectacular's own validation (the OpenAPI 3 meta-schema); any warning of the
    generator (an unresolvable view, serializer or authenticator) fails it too."""
    out = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))

    assert out.read_text().startswith("openapi: 3.")


def test_schema_lists_every_contract_endpoint_with_a_stable_operation_id(client):
    schema = _schema_document(client)

    operations = {
        (method, path): operation["operationId"]
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    }
    for key, operation_id in CONTRACT_OPERATIONS.items():
        assert operations.get(key) == operation_id, key
    assert len(set(operations.values())) == len(operations), "operation ids must be unique"


def test_schema_states_the_bounds_of_query_parameters(client):
    schema = _schema_document(client)

    def query(path: str, name: str) -> dict:
        parameters = schema["paths"][path]["get"]["parameters"]
        return next(p for p in parameters if p["in"] == "query" and p["name"] == name)["schema"]

    # No maximum: more than the most a page holds is served as that most, not refused
    # (tests/test_hardening_public.py checks the pages), and the schema says so.
    for path in ("/api/v1/claims/", "/api/v1/claimants/", "/api/v1/changes/"):
        assert query(path, "page_size") == {"type": "integer", "minimum": 1}, path
    assert query("/api/v1/changes/", "after")["minimum"] == 0
    assert query("/api/v1/claims/", "updated_since") == {"type": "string", "format": "date-time"}


def test_schema_describes_polling_errors_and_the_claimreview_media_type(client):
    schema = _schema_document(client)
    error = {"$ref": "#/components/schemas/Error"}

    for (method, path), _operation_id in CONTRACT_OPERATIONS.items():
        responses = schema["paths"][path][method]["responses"]
        for status in ("400", "401", "403", "429"):
            assert responses[status]["content"]["application/json"]["schema"] == error
        assert responses["429"]["headers"]["Retry-After"]["required"] is True
    for path in ("/api/v1/claims/", "/api/v1/claims/{id}/", "/api/v1/changes/"):
        responses = schema["paths"][path]["get"]["responses"]
        assert "content" not in responses["304"]
        assert responses["200"]["headers"]["ETag"]["required"] is True
        assert responses["304"]["headers"]["ETag"]["required"] is True
    claimreview = schema["paths"]["/api/v1/claims/{id}/claimreview/"]["get"]["responses"]
    assert list(claimreview["200"]["content"]) == ["application/ld+json"]
    assert schema["components"]["securitySchemes"]["newsroomToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["newsroomToken"]["description"],
    }


# The calls a newsroom chains, as the schema's links must name them (docs/api.md,
# "Links"): (source operation, its status) -> target operations.
CONTRACT_LINKS = {
    ("claims_list", "200"): {
        "claims_retrieve", "claims_claimreview", "claimants_retrieve", "claims_list"
    },
    ("claims_retrieve", "200"): {
        "claims_claimreview", "claimants_retrieve", "claims_list", "claims_retrieve"
    },
    ("claims_claimreview", "200"): {"claims_retrieve", "claims_claimreview"},
    ("changes_list", "200"): {"claims_retrieve", "claims_claimreview", "changes_list"},
    ("claimants_list", "200"): {"claimants_retrieve", "claims_list"},
    ("claimants_retrieve", "200"): {"claims_list"},
    ("ratings_list", "200"): {"claims_list"},
    ("topics_list", "200"): {"claims_list"},
    ("submissions_create", "202"): {"submissions_retrieve"},
    ("submissions_retrieve", "200"): {"claims_retrieve"},
}  # fmt: skip


def _resolve(document: dict, node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        node = document["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    if isinstance(node, dict) and "allOf" in node and len(node["allOf"]) == 1:
        return _resolve(document, node["allOf"][0])
    return node


def _pointer_resolves(document: dict, schema: Any, pointer: str) -> bool:
    """Whether a JSON pointer into a response body names what its schema declares."""
    node = _resolve(document, schema)
    for token in pointer.strip("/").split("/"):
        if token.isdigit() and node.get("type") == "array":
            node = _resolve(document, node["items"])
        elif token in node.get("properties", {}):
            node = _resolve(document, node["properties"][token])
        else:
            return False
    return True


def test_schema_links_chain_the_calls_a_newsroom_makes(client):
    """OpenAPI links (factcheck/schema_links.py) from each answer to the calls it leads
    to: schemathesis' stateful run follows them, and a client generator can too. Each
    names a real operation and its real parameters, and takes values from where the
    answer or the request has them."""
    document = _schema_document(client)
    operations = {
        operation["operationId"]: (path, operation)
        for path, item in document["paths"].items()
        for operation in item.values()
    }

    found = {}
    for operation_id, (_path, operation) in operations.items():
        for status, response in operation["responses"].items():
            for name, link in response.get("links", {}).items():
                found.setdefault((operation_id, status), set()).add(link["operationId"])
                target_path, target = operations[link["operationId"]]
                target_parameters = {(p["in"], p["name"]) for p in target.get("parameters", [])}
                source_parameters = {(p["in"], p["name"]) for p in operation.get("parameters", [])}
                assert link["description"], name
                for key, expression in link["parameters"].items():
                    location, _dot, parameter = key.rpartition(".")
                    assert (location or "path", parameter) in target_parameters, (name, key)
                    source, _hash, pointer = expression.partition("#")
                    if source == "$response.body":
                        body = next(iter(response["content"].values()))["schema"]
                        assert _pointer_resolves(document, body, pointer), (name, expression)
                    elif source.startswith("$request."):
                        where, parameter = source.removeprefix("$request.").split(".", 1)
                        assert (where, parameter) in source_parameters, (name, expression)
                    else:
                        assert source.startswith("$response.header."), (name, expression)
                        assert source.removeprefix("$response.header.") in response["headers"]

    assert found == CONTRACT_LINKS


def test_schema_documents_the_location_of_a_new_submission(client):
    """The 202 of submissions/ carries the status URL in `Location` as well as in the
    body: the schema says so, so schemathesis checks the header on every 202."""
    document = _schema_document(client)

    accepted = document["paths"]["/api/v1/submissions/"]["post"]["responses"]["202"]
    location = accepted["headers"]["Location"]
    assert location["required"] is True
    assert location["schema"] == {"type": "string", "format": "uri"}


# --- The docs page works with no internet ---------------------------------------------


class _Assets(HTMLParser):
    """Every script, stylesheet and icon a page loads."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script" and found.get("src"):
            self.urls.append(found["src"])
        elif tag == "link" and found.get("href"):
            self.urls.append(found["href"])


def test_docs_page_loads_every_asset_from_this_server(settings):
    # Tests collect no static files: serve the sidecar's assets straight from the app,
    # as `make run` does on a laptop. A new Client loads the middleware with this.
    settings.WHITENOISE_USE_FINDERS = True
    client = Client()

    page = client.get("/api/v1/docs/")

    assert page.status_code == 200
    html = page.content.decode()
    assets = _Assets()
    assets.feed(html)
    assert len(assets.urls) >= 3, assets.urls  # Swagger UI's bundle, preset and CSS
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "an asset from elsewhere"
    for url in assets.urls:
        assert url.startswith("/"), url
        response = client.get(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert len(body) > 100, url
    assert "/api/v1/schema/" in html  # where Swagger UI fetches the schema from


# --- schemathesis -----------------------------------------------------------------------


@pytest.fixture
def api_auth_headers(published_demo) -> dict[str, str]:
    """Headers every schemathesis request carries (and the walk of published documents
    below): a newsroom token with both scopes, so submissions get past authentication
    and reads are exercised as an integrator makes them."""
    newsroom = Newsroom.objects.create(name="Schemathesis", slug="schemathesis")
    key = token_create(newsroom=newsroom, scopes=["read", "submit"])[1]
    return {"Authorization": f"Bearer {key}"}


@contextmanager
def _test_connection_kept_open() -> Iterator[None]:
    """A WSGI request ends by closing the database connection (request_finished); that
    would close the test's transaction under it. Django's own test client unhooks the
    same handler for the same reason. Nestable: only what it unhooked is hooked again."""
    hooks = (signals.request_started, signals.request_finished)
    unhooked = [hook for hook in hooks if hook.disconnect(close_old_connections)]
    try:
        yield
    finally:
        for hook in unhooked:
            hook.connect(close_old_connections)


@pytest.fixture(scope="module")
def published_demo(django_db_setup, django_db_blocker):
    """The demo, published through the real services once for the module, so generated
    ids and slugs can hit real fact-checks. It lives in a transaction rolled back at the
    end of the module; each test's own transaction nests inside it."""
    with _test_connection_kept_open(), django_db_blocker.unblock(), transaction.atomic():
        seed_demo()
        change_events_sequence()  # the on-commit sequencer never runs inside a test
        assert Publication.objects.exists()
        yield
        transaction.set_rollback(True)


def _load_schema(config: SchemathesisConfig | None = None) -> schemathesis.BaseSchema:
    """The schema as the WSGI app serves it (generated from the code, no database)."""
    with override_settings(ALLOWED_HOSTS=[WSGI_HOST]), _test_connection_kept_open():
        loaded = schemathesis.openapi.from_wsgi("/api/v1/schema/", application, config=config)
    # Valid and invalid input both: the API must accept the one and refuse the other.
    # Reproducible runs (unless FUZZ_RANDOM=1): the same inputs every time, so a failure
    # can be replayed. No NUL characters in valid strings: the API refuses them on
    # purpose (PostgreSQL cannot store or compare them), which
    # test_error_answers_use_the_one_error_format covers.
    loaded.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        deterministic=DERANDOMIZE,
        allow_x00=False,
    )
    return loaded


ERROR_FIELDS = {"code", "message", "fields"}
# Keys an error code adds to the error object, as the schema documents them.
ERROR_EXTRAS = {"withdrawn": {"reason", "withdrawn_at"}}


def error_format_problem(body: Any) -> str | None:
    """What keeps `body` from being the one error format of the contract, or None:
    `{"error": {"code": str, "message": str, "fields": {name: [message]}}}` and nothing
    else but the keys its code documents (the schema alone would allow extra keys)."""
    if not isinstance(body, dict) or set(body) != {"error"}:
        return "the top level is not just `error`"
    error = body["error"]
    if not isinstance(error, dict):
        return "`error` is not an object"
    code = error.get("code")
    extras = ERROR_EXTRAS.get(code, set()) if isinstance(code, str) else set()
    if set(error) != ERROR_FIELDS | extras:
        return "`error` is not {code, message, fields} and the keys its code documents"
    if not (isinstance(error["code"], str) and error["code"]):
        return "`code` is not a non-empty string"
    if not (isinstance(error["message"], str) and error["message"]):
        return "`message` is not a non-empty string"
    fields = error["fields"]
    if not isinstance(fields, dict) or not all(
        isinstance(messages, list) and all(isinstance(m, str) for m in messages)
        for messages in fields.values()
    ):
        return "`fields` is not {name: [message]}"
    return None


def error_format(ctx: CheckContext, response: Any, case: schemathesis.Case) -> bool | None:
    """schemathesis check: every 4xx answer is in the one error format."""
    if not 400 <= response.status_code < 500:
        return None
    try:
        body = response.json()
    except ValueError:
        body = response.text[:200]
        problem = f"not JSON but {response.headers.get('content-type')}"
    else:
        problem = error_format_problem(body)
    if problem:
        raise AssertionError(
            f"Error outside the API's error format: {response.request.method} "
            f"{response.request.url} -> {response.status_code}: {problem}: {str(body)[:300]}"
        )
    return None


def _refused_fields(response: Any) -> set[str]:
    if response.status_code != 400:
        return set()
    return set(response.json()["error"]["fields"])


# Slugs a subscription filters on must name an existing topic, claimant or rating: the
# schema states their shape, not which exist.
SUBSCRIPTION_FILTERS = {"topics", "claimants", "ratings"}


def accepted_input(ctx: CheckContext, response: Any, case: schemathesis.Case) -> bool | None:
    """schemathesis' positive-data check (ST202: what the schema allows is not refused),
    less the refusals docs/api.md documents as the contract's and no schema can state,
    as they depend on what exists, not on the request's shape ("Tested against its
    schema"): a `cursor` not given by `next`/`previous` is a 400 blaming `cursor` alone;
    a subscription filter naming no topic, claimant or rating a 400 blaming only the
    filters; an Idempotency-Key used before with another body the 422
    `idempotency_mismatch`; a fact-check that was published, then withdrawn, the 410
    `withdrawn`. Anything else goes to schemathesis' check as it is."""
    path, status = case.operation.path, response.status_code
    if status == 422 and path == "/api/v1/submissions/":
        assert response.json()["error"]["code"] == "idempotency_mismatch"
        return None
    if status == 410 and path in ("/api/v1/claims/{id}/", "/api/v1/claims/{id}/claimreview/"):
        assert response.json()["error"]["code"] == "withdrawn"
        return None
    refused = _refused_fields(response)
    if refused == {"cursor"}:
        return None
    if path == "/api/v1/subscriptions/" and refused and refused <= SUBSCRIPTION_FILTERS:
        return None
    return positive_data_acceptance(ctx, response, case)


# Every check schemathesis has, in both runs below: the positive-data one through
# accepted_input, and the error format besides. Without a recorder (the per-operation
# run) the stateful checks (use_after_free, ensure_resource_availability,
# object_level_authorization) have nothing to compare and pass; the stateful run feeds
# them. max_response_time is not a check until a limit is set; none is.
load_all_checks()
EVERY_CHECK = [
    accepted_input if check is positive_data_acceptance else check
    for check in CHECKS.get_all()
    if not isinstance(check, type)  # a check class is a plugin's; none is registered here
] + [error_format]

schema = _load_schema()


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=DERANDOMIZE,
    # Function-scoped fixtures (the test's transaction, settings, headers) run once per
    # operation, not per example: on purpose, every example reads the same published
    # demo, as newsrooms do. A slow example is the database, not the generator.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_conforms_to_its_schema(case, published_demo, api_auth_headers, settings):
    settings.ALLOWED_HOSTS = [WSGI_HOST]
    case.call_and_validate(headers=api_auth_headers, checks=EVERY_CHECK)


# --- schemathesis, stateful: calls chained by the schema's links ----------------------


@pytest.fixture
def newsroom_identities(api_auth_headers, tmp_path) -> Path:
    """Who the stateful run calls as, as a Web Fuzzing Commons auth document: the newsroom
    of `api_auth_headers`, and a second one. They are peers: object_level_authorization
    replays what one reads of its own (its submissions) as the other, which must get
    nothing (docs/api.md: other newsrooms get 404)."""
    other = Newsroom.objects.create(name="Schemathesis peer", slug="schemathesis-peer")
    other_key = token_create(newsroom=other, scopes=["read", "submit"])[1]
    document = {
        "auth": [
            {"name": name, "fixedHeaders": [{"name": "Authorization", "value": value}]}
            for name, value in (
                ("newsroom", api_auth_headers["Authorization"]),
                ("peer", f"Bearer {other_key}"),
            )
        ]
    }
    path = tmp_path / "identities.json"
    path.write_text(json.dumps(document))
    return path


@pytest.mark.django_db
def test_api_holds_its_contract_across_linked_calls(published_demo, newsroom_identities, settings):
    """schemathesis' state machine: sequences of calls, each taking its parameters from
    an earlier answer along the schema's links (a page to its first fact-check, that to
    its ClaimReview and claimant, an ETag back as If-None-Match, a 202 to the
    submission's status), with every check on every answer."""
    settings.ALLOWED_HOSTS = [WSGI_HOST]
    peers = SchemathesisConfig.from_dict(
        {"auth": {"wfc": {"path": str(newsroom_identities), "peers": ["newsroom", "peer"]}}}
    )

    class Workflow(_load_schema(config=peers).as_state_machine()):
        def validate_response(self, response, case, additional_checks=None, **kwargs) -> None:
            case.validate_response(
                response, checks=EVERY_CHECK, transport_kwargs=kwargs, recorder=self.recorder
            )

    Workflow.run(
        settings=hypothesis.settings(
            max_examples=STATEFUL_SEQUENCES,
            stateful_step_count=STATEFUL_STEPS,
            deadline=None,
            derandomize=DERANDOMIZE,
            # schemathesis' own choice: replaying a shrunk sequence against a database
            # the first run has written to is not the same sequence.
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
    )


# --- Every published document, not only what hypothesis happens to hit -------------


def _local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


@pytest.mark.django_db
def test_every_published_thing_answers_as_the_schema_says(
    published_demo, api_auth_headers, settings
):
    """Random slugs seldom name a real claimant: walk everything the demo published
    (every list page, document, ClaimReview, change and claimant) against the schema."""
    settings.ALLOWED_HOSTS = [WSGI_HOST]
    wsgi = WerkzeugClient(application)

    def fetch(template: str, url: str) -> Any:
        response = wsgi.get(url, headers=api_auth_headers)
        assert response.status_code == 200, (url, response.get_data()[:300])
        schema[template]["GET"].validate_response(response)
        return response.json

    def walk(template: str, url: str | None) -> list[dict]:
        results = []
        while url:
            page = fetch(template, url)
            results += page["results"]
            url = _local(page["next"]) if page["next"] else None
        return results

    documents = walk("/api/v1/claims/", "/api/v1/claims/?page_size=2")
    published = set(Publication.objects.values_list("claim_id", flat=True))
    assert [d["id"] for d in documents] == sorted(published, reverse=True)
    for document in documents:
        assert fetch("/api/v1/claims/{id}/", _local(document["url"])) == document
        claimreview = fetch("/api/v1/claims/{id}/claimreview/", _local(document["claimreview_url"]))
        assert claimreview["@type"] == "ClaimReview"
    changes = fetch("/api/v1/changes/", "/api/v1/changes/?after=0&page_size=1000")["results"]
    assert [c["seq"] for c in changes] == list(range(1, len(changes) + 1))
    assert {c["claim_id"] for c in changes} >= published
    claimants = walk("/api/v1/claimants/", "/api/v1/claimants/?page_size=2")
    assert {c["slug"] for c in claimants} == {d["claimant"]["slug"] for d in documents}
    for claimant in claimants:
        assert fetch("/api/v1/claimants/{slug}/", f"/api/v1/claimants/{claimant['slug']}/") == (
            claimant
        )
    assert fetch("/api/v1/ratings/", "/api/v1/ratings/")["results"]
    assert fetch("/api/v1/topics/", "/api/v1/topics/")["results"]


@pytest.mark.django_db
def test_a_withdrawn_fact_check_answers_410_as_the_schema_says(
    published_demo, api_auth_headers, settings
):
    settings.ALLOWED_HOSTS = [WSGI_HOST]
    wsgi = WerkzeugClient(application)
    withdrawn = list(Claim.objects.filter(status=ClaimStatus.WITHDRAWN))
    assert withdrawn, "the demo has a withdrawn fact-check"

    for claim in withdrawn:
        for template in ("/api/v1/claims/{id}/", "/api/v1/claims/{id}/claimreview/"):
            response = wsgi.get(template.format(id=claim.pk), headers=api_auth_headers)
            assert response.status_code == 410
            schema[template]["GET"].validate_response(response)
            assert error_format_problem(response.json) is None
            assert response.json["error"]["reason"] == claim.status_note


def test_schema_documents_the_hash_chain_and_the_withdrawn_410(client):
    document = _schema_document(client)
    components = document["components"]["schemas"]

    for path in ("/api/v1/claims/{id}/", "/api/v1/claims/{id}/claimreview/"):
        gone = document["paths"][path]["get"]["responses"]["410"]
        assert gone["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Withdrawn"
        }
    detail = components["WithdrawnDetail"]
    assert set(detail["required"]) == ERROR_FIELDS | ERROR_EXTRAS["withdrawn"]
    for name in ("FactCheck", "Version", "Change"):
        assert {"content_hash", "previous_hash"} <= set(components[name]["required"]), name
        assert components[name]["properties"]["previous_hash"]["nullable"] is True
    assert components["Change"]["properties"]["reason"]["nullable"] is True


# --- Error responses, by hand ---------------------------------------------------------


def _cursor(querystring: str) -> str:
    """A cursor as DRF encodes one, around a position a client made up."""
    return quote(base64.b64encode(querystring.encode()).decode())


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("get", "/api/v1/claims/?page_size=0", 400),
        ("get", "/api/v1/claims/?page_size=many", 400),
        ("get", "/api/v1/claims/?cursor=not-a-cursor", 400),
        ("get", f"/api/v1/claims/?cursor={_cursor('p=%C2%B2')}", 400),  # position "²"
        ("get", "/api/v1/claims/?updated_since=yesterday", 400),
        ("get", "/api/v1/claims/?q=%00", 400),
        ("get", "/api/v1/changes/?after=-1", 400),
        ("get", "/api/v1/changes/?after=%C2%B2", 400),  # "²": a digit int() refuses
        ("get", "/api/v1/changes/?after=99999999999999999999", 400),
        ("get", "/api/v1/claims/999999/", 404),
        ("get", "/api/v1/claims/999999/claimreview/", 404),
        ("get", "/api/v1/claimants/nobody/", 404),
        ("get", "/api/v1/no-such-endpoint/", 404),
    ],
)
def test_error_answers_use_the_one_error_format(client, method, url, status):
    response = getattr(client, method)(url)

    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert error_format_problem(body) is None, body
    if status == 400:
        assert body["error"]["code"] == "invalid"
        assert body["error"]["fields"], "a 400 names the input to blame"


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/v1/changes/?after=abc", "/api/v1/claims/?page_size=0"])
def test_bad_input_is_refused_even_when_the_etag_matches(published_demo, client, url):
    """Found by schemathesis: `If-None-Match: *` got 304 for a request that is a 400.
    A 304 stands only for a 200 (RFC 9110 13.2.1), so input is checked first."""
    valid = url.split("?")[0]
    assert client.get(valid, HTTP_IF_NONE_MATCH="*").status_code == 304

    response = client.get(url, HTTP_IF_NONE_MATCH="*")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", "/api/v1/claims/?cursor=not-a-cursor"),
        ("delete", "/api/v1/ratings/"),
        ("trace", "/api/v1/changes/?after=abc"),
    ],
)
def test_a_method_an_endpoint_lacks_is_refused_in_the_error_format(client, method, url):
    """Without a token the permission check answers first (401, once newsroom tokens
    are in); with one, or while reads and writes are open, it is a 405 naming the
    methods there are. Never a 400 about a query the endpoint will not run."""
    response = client.generic(method.upper(), url)

    assert response.status_code in (401, 405)
    body = response.json()
    assert error_format_problem(body) is None, body
    assert body["error"]["fields"] == {}
    if response.status_code == 405:
        assert body["error"]["code"] == "method_not_allowed"
        assert "GET" in response["Allow"]
