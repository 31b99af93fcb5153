"""python manage.py create_api_token --newsroom NAME --scopes read,submit"""

import datetime
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from newsrooms.models import NewsroomToken
from tests.newsrooms.conftest import bearer


def create_token(*args: str) -> list[str]:
    out = io.StringIO()
    call_command("create_api_token", *args, stdout=out)
    return out.getvalue().splitlines()


def test_prints_a_working_token_on_its_last_line(client, newsroom, settings):
    settings.FACTCHECK_PUBLIC_API = False

    lines = create_token("--newsroom", "Kyiv Independent", "--scopes", "read,submit")

    key = lines[-1]
    assert len(lines) > 1  # explanations come first
    token = NewsroomToken.objects.get()
    assert (token.newsroom, token.scopes, token.expiry_date) == (newsroom, ["read", "submit"], None)
    assert client.get("/api/v1/claims/", **bearer(key)).status_code == 200
    response = client.post(
        "/api/v1/submissions/",
        json.dumps(
            {
                "claim": "Bread costs 3 times more.",
                "claimant": "A minister",
                "url": "https://a.example/",
            }
        ),
        content_type="application/json",
        **bearer(key),
    )
    assert response.status_code == 202


def test_newsroom_by_slug_with_label_and_expiry(client, newsroom):
    key = create_token(
        "--newsroom",
        "kyiv-independent",
        "--scopes",
        "read",
        "--name",
        "CMS",
        "--expires-days",
        "30",
    )[-1]

    token = NewsroomToken.objects.get()
    assert token.name == "CMS"
    expected = timezone.now() + datetime.timedelta(days=30)
    assert abs(token.expiry_date - expected) < datetime.timedelta(minutes=1)
    assert client.get("/api/v1/ratings/", **bearer(key)).status_code == 200
    submit = client.post("/api/v1/submissions/", {}, content_type="application/json", **bearer(key))
    assert submit.status_code == 403


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--newsroom", "Nobody", "--scopes", "read"], "No newsroom named 'Nobody'"),
        (["--newsroom", "kyiv-independent", "--scopes", "read,write"], "Bad scopes"),
        (["--newsroom", "kyiv-independent", "--scopes", ","], "Bad scopes"),
        (
            ["--newsroom", "kyiv-independent", "--scopes", "read", "--expires-days", "0"],
            "at least 1",
        ),
    ],
)
def test_bad_arguments_fail_clearly_and_create_nothing(newsroom, args, message):
    with pytest.raises(CommandError, match=message):
        create_token(*args)

    assert not NewsroomToken.objects.exists()
