"""Newsroom tokens: stored hashed, sent as a Bearer header, scoped, expiring, revocable."""

import datetime
import hashlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from newsrooms.models import NewsroomToken
from newsrooms.services import TOKEN_TOUCH_EVERY, token_create
from tests.newsrooms.conftest import bearer

CLAIMS = "/api/v1/claims/"
RATINGS = "/api/v1/ratings/"
SUBMISSIONS = "/api/v1/submissions/"


def assert_unauthorized(response, code: str | None = None) -> None:
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"].startswith("Bearer")
    error = response.json()["error"]
    assert set(error) == {"code", "message", "fields"}
    assert error["message"]
    if code:
        assert error["code"] == code


@pytest.fixture
def private_api(settings):
    settings.FACTCHECK_PUBLIC_API = False


def test_stored_row_holds_only_prefix_and_hash(newsroom):
    token, key = token_create(newsroom=newsroom, scopes=["read"], name="CMS")

    row = NewsroomToken.objects.filter(pk=token.pk).values().get()
    prefix, _, secret = key.partition(".")
    assert row["prefix"] == prefix
    assert row["hashed_key"] == "sha512$$" + hashlib.sha512(key.encode()).hexdigest()
    for value in row.values():
        assert secret not in str(value)
        assert key not in str(value)


def test_read_token_reads_when_api_is_private(client, make_token, private_api):
    key = make_token("read")

    assert_unauthorized(client.get(CLAIMS))
    response = client.get(CLAIMS, **bearer(key))

    assert response.status_code == 200
    assert "results" in response.json()


def test_public_api_serves_anonymous_reads(client, db, settings):
    settings.FACTCHECK_PUBLIC_API = True
    assert client.get(RATINGS).status_code == 200


def test_wrong_secret_with_right_prefix_is_refused(client, make_token):
    key = make_token("read")
    prefix, _, secret = key.partition(".")
    forged = f"{prefix}.{'A' * len(secret)}"

    assert_unauthorized(client.get(RATINGS, **bearer(forged)), "authentication_failed")


@pytest.mark.parametrize(
    "header",
    ["Bearer abcdefgh.0123456789abcdef0123456789abcdef", "Bearer nonsense", "Bearer", "Bearer a b"],
)
def test_unknown_or_malformed_token_is_refused(client, db, header):
    assert_unauthorized(client.get(RATINGS, HTTP_AUTHORIZATION=header))


def test_expired_token_is_refused(client, make_token):
    key = make_token("read", expires_at=timezone.now() + datetime.timedelta(hours=1))
    assert client.get(RATINGS, **bearer(key)).status_code == 200

    NewsroomToken.objects.update(expiry_date=timezone.now() - datetime.timedelta(seconds=1))

    assert_unauthorized(client.get(RATINGS, **bearer(key)))


def test_token_of_inactive_newsroom_is_refused(client, make_token, newsroom):
    key = make_token("read")
    newsroom.active = False
    newsroom.save()

    assert_unauthorized(client.get(RATINGS, **bearer(key)))


def test_token_revoked_in_admin_is_refused_afterwards(client, make_token, admin_user):
    key = make_token("read")
    token = NewsroomToken.objects.get()
    api = client.__class__()
    assert api.get(RATINGS, **bearer(key)).status_code == 200

    client.force_login(admin_user)
    response = client.post(
        reverse("admin:newsrooms_newsroomtoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert response.status_code == 302

    token.refresh_from_db()
    assert token.revoked
    assert_unauthorized(api.get(RATINGS, **bearer(key)))


@pytest.mark.parametrize("parameter", ["token", "access_token", "api_key", "key", "bearer", "q"])
def test_token_in_query_string_is_refused_even_when_valid(client, make_token, parameter):
    key = make_token("read")

    response = client.get(RATINGS, {parameter: key})

    assert_unauthorized(response, "token_in_query")
    # Refused even with a good header as well: the token has leaked into a URL.
    assert_unauthorized(client.get(RATINGS, {parameter: key}, **bearer(key)))


def test_submit_only_token_cannot_read_private_api(client, make_token, private_api):
    key = make_token("submit")

    response = client.get(CLAIMS, **bearer(key))

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_read_token_cannot_submit_and_anonymous_must_authenticate(client, make_token):
    key = make_token("read")
    body = {"claim": "x", "claimant": "y", "url": "https://example.org/"}

    assert (
        client.post(SUBMISSIONS, body, content_type="application/json", **bearer(key)).status_code
        == 403
    )
    assert_unauthorized(client.post(SUBMISSIONS, body, content_type="application/json"))


def test_authentication_costs_one_query(client, make_token):
    key = make_token("read")
    client.get(RATINGS, **bearer(key))  # the first use records last_used_at

    with CaptureQueriesContext(connection) as anonymous:
        assert client.get(RATINGS).status_code == 200
    with CaptureQueriesContext(connection) as authenticated:
        assert client.get(RATINGS, **bearer(key)).status_code == 200

    assert len(authenticated) == len(anonymous) + 1
    [lookup] = [q["sql"] for q in authenticated if "newsrooms_newsroomtoken" in q["sql"]]
    assert '"newsrooms_newsroom"' in lookup  # the newsroom comes in the same query


def test_last_used_is_written_at_most_once_per_interval(client, make_token):
    key = make_token("read")
    client.get(RATINGS, **bearer(key))
    first = NewsroomToken.objects.get().last_used_at
    assert first is not None

    client.get(RATINGS, **bearer(key))
    assert NewsroomToken.objects.get().last_used_at == first

    NewsroomToken.objects.update(last_used_at=first - TOKEN_TOUCH_EVERY)
    client.get(RATINGS, **bearer(key))
    assert NewsroomToken.objects.get().last_used_at > first


def test_admin_shows_a_new_token_once_and_it_works(client, admin_user, newsroom, settings):
    settings.FACTCHECK_PUBLIC_API = False
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:newsrooms_newsroomtoken_add"),
        {"newsroom": newsroom.pk, "name": "CMS", "scopes": ["read"], "expiry_date": ""},
        follow=True,
    )

    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    token = NewsroomToken.objects.get()
    [shown] = [m for m in messages if "not shown again" in m]
    key = next(word for word in shown.split() if word.startswith(token.prefix + "."))
    assert client.__class__().get(CLAIMS, **bearer(key)).status_code == 200
    # Never again: the change page shows the prefix only.
    page = client.get(reverse("admin:newsrooms_newsroomtoken_change", args=[token.pk]))
    assert key.partition(".")[2] not in page.content.decode()


def test_only_admins_manage_tokens(client, editor, admin_user, newsroom):
    client.force_login(editor)
    assert client.get(reverse("admin:newsrooms_newsroomtoken_changelist")).status_code == 403
    # Editors still manage newsrooms, without seeing their tokens.
    page = client.get(reverse("admin:newsrooms_newsroom_change", args=[newsroom.pk]))
    assert page.status_code == 200
    assert "API token" not in page.content.decode()

    client.force_login(admin_user)
    page = client.get(reverse("admin:newsrooms_newsroom_change", args=[newsroom.pk]))
    assert "API token" in page.content.decode()


def test_library_api_key_admin_is_not_shown(client, admin_user):
    client.force_login(admin_user)
    index = client.get(reverse("admin:index")).content.decode()
    assert "/admin/rest_framework_api_key/" not in index
