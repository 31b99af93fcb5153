"""/healthz against the real database and broker, and with each of them down."""

import json
import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def test_healthz_is_200_when_database_broker_and_workers_answer(client, db):
    from django.utils import timezone

    from ops.models import Heartbeat

    beat = Heartbeat.objects.create(name="celery@host", at=timezone.now())
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "ok", "worker": "ok"},
        "last_heartbeat": beat.at.isoformat(),
    }


def test_healthz_reports_a_stale_worker_heartbeat(client, db, settings):
    import datetime

    from django.utils import timezone

    from ops.models import Heartbeat

    old = timezone.now() - datetime.timedelta(seconds=settings.FACTCHECK_HEARTBEAT_STALE + 60)
    Heartbeat.objects.create(name="celery@host", at=old)

    relaxed = client.get("/healthz")
    assert relaxed.status_code == 200  # web itself is fine: keep it in the load balancer
    assert relaxed.json()["status"] == "degraded"
    assert relaxed.json()["checks"]["worker"] == "stale"

    strict = client.get("/healthz?strict=1")
    assert strict.status_code == 503
    assert strict.json()["down"] == ["worker"]


def test_healthz_is_503_naming_the_broker_when_redis_is_down(client, db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["down"] == ["broker"]
    assert response["Cache-Control"].startswith("max-age=0")


def test_healthz_is_503_naming_the_database_when_it_is_down(settings):
    """A real process whose database cannot be reached (nothing listens on port 1)."""
    script = (
        "from django.test import Client; c = Client(); r = c.get('/healthz'); "
        "import json; print(json.dumps({'code': r.status_code, 'body': r.json()}))"
    )
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="tests.settings",
        DATABASE_URL="postgres://nobody@127.0.0.1:1/none",
        ALLOWED_HOSTS="testserver",
        REDIS_URL=settings.REDIS_URL,  # the broker is up: only the database is down
    )
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["code"] == 503
    assert result["body"]["down"] == ["database"]


# --- Who gets the detail ------------------------------------------------------------------
# The Django test client's REMOTE_ADDR is 127.0.0.1: the tests above are an operator on
# the host (or the image's HEALTHCHECK inside the container). The public is anyone else.

PUBLIC = {"REMOTE_ADDR": "203.0.113.7"}


def test_the_public_gets_only_ok_and_no_detail(client, db):
    from django.utils import timezone

    from ops.models import Heartbeat

    Heartbeat.objects.create(name="celery@host", at=timezone.now())

    response = client.get("/healthz", **PUBLIC)

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"].startswith("max-age=0")


def test_the_public_learns_that_something_is_down_but_not_what(client, db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"

    response = client.get("/healthz", **PUBLIC)

    assert response.status_code == 503
    assert response.json() == {"status": "down"}


def test_the_public_cannot_ask_strictly_about_workers(client, db, settings):
    """A strict 503 would tell the public the workers are down."""
    import datetime

    from django.utils import timezone

    from ops.models import Heartbeat

    old = timezone.now() - datetime.timedelta(seconds=settings.FACTCHECK_HEARTBEAT_STALE + 60)
    Heartbeat.objects.create(name="celery@host", at=old)

    response = client.get("/healthz?strict=1", **PUBLIC)

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert client.get("/healthz?strict=1").status_code == 503  # the operator, on the host


def test_a_request_forwarded_by_a_proxy_on_the_host_is_public(client, db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"

    response = client.get("/healthz", HTTP_X_FORWARDED_FOR="203.0.113.7")

    assert response.status_code == 503
    assert response.json() == {"status": "down"}


def test_the_health_token_gives_the_detail_from_anywhere(client, db, settings):
    settings.FACTCHECK_HEALTH_TOKEN = "monitoring-" + "x" * 32
    settings.REDIS_URL = "redis://127.0.0.1:1/0"

    response = client.get("/healthz", HTTP_X_HEALTH_TOKEN=settings.FACTCHECK_HEALTH_TOKEN,
                          HTTP_X_FORWARDED_FOR="203.0.113.7", **PUBLIC)  # fmt: skip
    wrong = client.get("/healthz", HTTP_X_HEALTH_TOKEN="monitoring-" + "y" * 32, **PUBLIC)

    assert response.status_code == 503
    assert response.json()["down"] == ["broker"]
    assert wrong.status_code == 503
    assert wrong.json() == {"status": "down"}


def test_no_health_token_is_set_by_default_and_an_empty_one_opens_nothing(client, db, settings):
    assert settings.FACTCHECK_HEALTH_TOKEN == ""

    response = client.get("/healthz", HTTP_X_HEALTH_TOKEN="", **PUBLIC)

    assert response.json() == {"status": "ok"}


def test_loopback_detail_can_be_turned_off(client, db, settings):
    settings.FACTCHECK_HEALTH_LOOPBACK = False

    assert client.get("/healthz").json() == {"status": "ok"}
