"""POST submissions/: a newsroom asks for a claim to be checked, then follows it."""

import json
import threading

import pytest
from django.db import connection

from claims import services
from claims.models import Claim, Claimant, ClaimantAlias, ClaimOrigin, ClaimStatus
from newsrooms.models import Submission
from tests.factories import ClaimFactory, rating, source_add
from tests.newsrooms.conftest import bearer

SUBMISSIONS = "/api/v1/submissions/"
BODY = {
    "claim": "The mayor said the new bridge cost twice as much as the old one.",
    "claimant": "Vitali Klitschko",
    "url": "https://example.org/news/bridge",
    "claim_date": "2026-11-20",
    "language": "en",
    "note": "Our readers keep asking about this.",
}

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: concurrent writers (SQLite serialises every transaction)",
)


@pytest.fixture
def submit_key(make_token):
    return make_token("read", "submit")


def post(client, key: str, body=BODY, idempotency_key: str | None = None, **extra):
    headers = bearer(key)
    if idempotency_key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = idempotency_key
    payload = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(
        SUBMISSIONS,
        payload,
        content_type=extra.pop("content_type", "application/json"),
        **headers,
        **extra,
    )


def snapshot() -> tuple[int, int, int]:
    return Submission.objects.count(), Claim.objects.count(), Claimant.objects.count()


def test_submission_is_accepted_with_a_status_url(client, submit_key, newsroom):
    response = post(client, submit_key)

    assert response.status_code == 202
    body = response.json()
    assert set(body) == {
        "id",
        "status",
        "status_url",
        "created_at",
        "fact_check",
        "reason",
        "duplicate_status",
    }
    assert body["status"] == "received"
    assert body["fact_check"] is None
    assert body["status_url"] == f"http://testserver/api/v1/submissions/{body['id']}/"
    assert response["Location"] == body["status_url"]

    submission = Submission.objects.get(pk=body["id"])
    claim = submission.claim
    assert submission.newsroom == newsroom
    assert (claim.status, claim.origin, claim.text) == (
        ClaimStatus.RECEIVED,
        ClaimOrigin.API,
        BODY["claim"],
    )
    assert len(claim.claim_reviewed) <= 75
    assert claim.claimant.name == "Vitali Klitschko"
    [appearance] = claim.appearances.all()
    assert (appearance.url, appearance.outlet, str(appearance.date)) == (
        BODY["url"],
        "example.org",
        "2026-11-20",
    )
    status = client.get(body["status_url"], **bearer(submit_key))
    assert status.status_code == 200
    assert status.json() == body


def test_long_claim_gets_a_short_claim_reviewed_to_edit(client, submit_key):
    text = "Officials said " + "the budget grew by a large amount every single year " * 10

    response = post(client, submit_key, {**BODY, "claim": text})

    claim = Submission.objects.get(pk=response.json()["id"]).claim
    assert len(claim.claim_reviewed) <= 75
    assert claim.claim_reviewed.endswith("…")
    assert text.startswith(claim.claim_reviewed[:-1])


def test_known_claimant_is_found_by_alias_and_case(client, submit_key):
    mayor = Claimant.objects.create(name="Vitalii Klychko", slug="vitalii-klychko")
    ClaimantAlias.objects.create(claimant=mayor, name="Vitali Klitschko")

    post(client, submit_key, {**BODY, "claimant": "vitali KLITSCHKO"})
    post(client, submit_key, {**BODY, "claimant": "Vitalii-Klychko"})

    assert set(Claim.objects.values_list("claimant", flat=True)) == {mayor.pk}


def test_status_follows_the_claim_through_the_workflow(client, submit_key, reviewer, editor):
    body = post(client, submit_key).json()
    claim = Claim.objects.get(submissions__pk=body["id"])

    def status() -> dict:
        response = client.get(body["status_url"], **bearer(submit_key))
        assert response.status_code == 200
        return response.json()

    assert status()["status"] == "received"
    services.claim_triage(claim_id=claim.pk)
    assert status()["status"] == "queued"
    services.claim_take(actor=reviewer, claim=claim)
    assert status()["status"] == "in_review"
    services.claim_note_add(actor=reviewer, claim=claim, text="Ask the city hall press desk.")
    source_add(claim, reviewer)
    services.claim_propose(
        actor=reviewer,
        claim=claim,
        rating=rating("false"),
        summary="The old bridge cost more.",
        explanation="City budgets for both years.",
    )
    assert status()["status"] == "in_review"  # awaiting approval is still review to them
    services.claim_approve(actor=editor, claim=claim)

    published = status()
    assert published["status"] == "published"
    assert published["fact_check"]["id"] == claim.pk
    assert published["fact_check"]["url"].endswith(f"/api/v1/claims/{claim.pk}/")
    assert f"/factchecks/{claim.pk}-" in published["fact_check"]["public_url"]
    text = json.dumps(published)
    for secret in [reviewer.username, editor.username, "city hall press desk"]:
        assert secret not in text

    services.claim_withdraw(actor=editor, claim=claim, reason="The quote was misattributed.")
    withdrawn = status()
    assert (withdrawn["status"], withdrawn["reason"], withdrawn["fact_check"]) == (
        "withdrawn",
        "The quote was misattributed.",
        None,
    )


def test_rejected_submission_reports_the_public_reason(client, submit_key, editor):
    body = post(client, submit_key).json()
    claim = Claim.objects.get(submissions__pk=body["id"])

    services.claim_reject(actor=editor, claim=claim, reason="Not a factual claim.")

    answer = client.get(body["status_url"], **bearer(submit_key)).json()
    assert (answer["status"], answer["reason"]) == ("rejected", "Not a factual claim.")


def test_duplicate_is_answered_with_the_existing_fact_check(client, submit_key, editor):
    existing = ClaimFactory(status=ClaimStatus.PUBLISHED)
    body = post(client, submit_key).json()
    claim = Claim.objects.get(submissions__pk=body["id"])

    services.claim_merge(actor=editor, claim=claim, into=existing)

    answer = client.get(body["status_url"], **bearer(submit_key)).json()
    assert answer["status"] == "duplicate"
    assert answer["duplicate_status"] == "published"
    assert answer["fact_check"]["id"] == existing.pk


def test_another_newsrooms_submission_is_not_found(client, submit_key, make_token, other_newsroom):
    body = post(client, submit_key).json()
    other_key = make_token("submit", newsroom=other_newsroom)

    response = client.get(body["status_url"], **bearer(other_key))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    for missing in [body["id"] + 1000, 2**63, 10**30]:
        response = client.get(f"{SUBMISSIONS}{missing}/", **bearer(submit_key))
        assert response.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({k: v for k, v in BODY.items() if k != "claim"}, "claim"),
        ({k: v for k, v in BODY.items() if k != "claimant"}, "claimant"),
        ({k: v for k, v in BODY.items() if k != "url"}, "url"),
        ({**BODY, "claim": "   "}, "claim"),
        ({**BODY, "claim": "x" * 2001}, "claim"),
        ({**BODY, "claimant": "y" * 201}, "claimant"),
        ({**BODY, "note": "z" * 2001}, "note"),
        # The limit counts what was sent, invisible characters included (the schema's
        # maxLength), not what is kept: schemathesis found this one.
        ({**BODY, "note": "\u0015" + "*" * 2000}, "note"),
        ({**BODY, "claimant": "\u200b" + "y" * 200}, "claimant"),
        ({**BODY, "claim": "nul \x00 inside"}, "claim"),
        ({**BODY, "claimant": "nul \x00"}, "claimant"),
        ({**BODY, "url": "ftp://example.org/file"}, "url"),
        ({**BODY, "url": "javascript:alert(1)"}, "url"),
        ({**BODY, "url": "https://example.org/" + "a" * 600}, "url"),
        ({**BODY, "language": "not a tag"}, "language"),
        ({**BODY, "claim_date": "yesterday"}, "claim_date"),
        ({**BODY, "claim": ["a", "list"]}, "claim"),
        ({**BODY, "claim": {"an": "object"}}, "claim"),
        ({**BODY, "claim_date": 20261120}, "claim_date"),
        ({**BODY, "note": 0}, "note"),
        ({**BODY, "claimant": True}, "claimant"),
        ({**BODY, "language": 12}, "language"),
        ({**BODY, "url": 42}, "url"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(client, submit_key, body, field):
    before = snapshot()

    response = post(client, submit_key, body)

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["fields"]
    assert snapshot() == before


@pytest.mark.parametrize(
    ("payload", "content_type", "status"),
    [
        ("{not json", "application/json", 400),
        ("[1, 2, 3]", "application/json", 400),
        ("null", "application/json", 400),
        ('"a string"', "application/json", 400),
        ("claim=x&claimant=y", "application/x-www-form-urlencoded", 415),
    ],
)
def test_non_object_bodies_are_refused(client, submit_key, payload, content_type, status):
    before = snapshot()

    response = post(client, submit_key, payload, content_type=content_type)

    assert response.status_code == status, response.content
    assert set(response.json()["error"]) == {"code", "message", "fields"}
    assert snapshot() == before


def test_bad_idempotency_key_is_refused(client, submit_key):
    response = post(client, submit_key, idempotency_key="k" * 256)

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]["fields"]
    assert snapshot()[0] == 0


def test_retried_post_returns_the_first_answer_and_creates_nothing(client, submit_key):
    first = post(client, submit_key, idempotency_key="req-42")
    # Same body, keys in another order: the same request.
    retry = post(client, submit_key, dict(reversed(BODY.items())), idempotency_key="req-42")

    assert (retry.status_code, retry.json()) == (first.status_code, first.json())
    assert retry["Location"] == first["Location"]
    assert Submission.objects.count() == 1
    assert Claim.objects.count() == 1

    # Even once the claim moved on, the retry still gets the first answer.
    services.claim_triage(claim_id=Claim.objects.get().pk)
    assert post(client, submit_key, idempotency_key="req-42").json() == first.json()


def test_same_key_with_another_body_is_a_mismatch(client, submit_key):
    post(client, submit_key, idempotency_key="req-43")
    before = snapshot()

    response = post(
        client, submit_key, {**BODY, "claim": "Something else."}, idempotency_key="req-43"
    )

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_mismatch"
    assert snapshot() == before


def test_keys_belong_to_their_newsroom_and_no_key_means_a_new_submission(
    client, submit_key, make_token, other_newsroom
):
    other_key = make_token("submit", newsroom=other_newsroom)

    post(client, submit_key, idempotency_key="shared")
    post(client, other_key, idempotency_key="shared")
    post(client, submit_key)
    post(client, submit_key)

    assert Submission.objects.count() == 4


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_with_one_key_create_one_submission(make_token):
    from django.db import connections
    from django.test import Client

    key = make_token("submit")
    start = threading.Barrier(8)
    answers: list[tuple[int, dict]] = []

    def submit() -> None:
        try:
            start.wait()
            response = post(Client(), key, idempotency_key="burst-1")
            answers.append((response.status_code, response.json()))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(answers) == 8
    assert {status for status, _ in answers} == {202}
    assert len({json.dumps(body, sort_keys=True) for _, body in answers}) == 1
    assert Submission.objects.count() == 1
    assert Claim.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_submission_is_accepted_while_redis_is_down(make_token, tmp_path):
    """Broker and rate-limit counters both unreachable: the claim is saved as received
    (the reconciler queues its triage later) and the newsroom gets its 202."""
    import os
    import subprocess
    import sys

    from django.conf import settings as django_settings

    from tests.conftest import database_url_for_workers

    key = make_token("submit")
    script = (
        "import json; from django.test.utils import setup_test_environment; "
        "setup_test_environment(); from django.test import Client; "
        f"r = Client().post('{SUBMISSIONS}', {json.dumps(json.dumps(BODY))}, "
        f"content_type='application/json', HTTP_AUTHORIZATION='Bearer {key}'); "
        "print(json.dumps({'status': r.status_code, 'body': r.json()}))"
    )
    env = dict(
        os.environ,
        DATABASE_URL=database_url_for_workers(),
        # Nothing listens on port 1.
        REDIS_URL="redis://127.0.0.1:1/0",
        DJANGO_SETTINGS_MODULE="tests.settings",
    )
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        env=env,
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout.strip().splitlines()[-1])

    assert answer["status"] == 202
    claim = Submission.objects.get(pk=answer["body"]["id"]).claim
    assert claim.status == ClaimStatus.RECEIVED
    assert "Rate limit not applied" in out.stderr
    assert "Could not enqueue triage" in out.stderr
