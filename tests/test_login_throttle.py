"""Admin logins are throttled (docs/security.md, "Login throttling"): after
AXES_FAILURE_LIMIT failed logins an account, and an address, is locked for the cool-off
time; even the right password is then refused with a clear page, until the cool-off
passes or an operator lifts the lock with the documented command.

Every login here goes through the admin's real login form over the test client, with
its CSRF token, as a browser sends it."""

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from tests.conftest import database_url_for_workers
from tests.factories import UserFactory

PASSWORD = "pw-for-tests"  # tests.factories.UserFactory's
ATTACKER = "203.0.113.66"
OFFICE = "198.51.100.7"
LOCKED_HEADING = "Too many failed logins"


def admin_login(username: str, password: str, ip: str = ATTACKER, **headers: str):
    """One login through /admin/login/ from `ip` in a fresh browser-like client: GET the
    form, then POST it with its CSRF token. Returns (client, response)."""
    client = Client(enforce_csrf_checks=True, REMOTE_ADDR=ip, **headers)
    form = client.get("/admin/login/?next=/admin/")
    assert form.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.content.decode())
    response = client.post(
        "/admin/login/?next=/admin/",
        {
            "csrfmiddlewaretoken": token.group(1),
            "username": username,
            "password": password,
            "next": "/admin/",
        },
    )
    return client, response


def logged_in(client: Client) -> bool:
    return client.get("/admin/").status_code == 200


def assert_locked_out(client: Client, response) -> None:
    assert response.status_code == 429, response.content.decode()[:500]
    body = response.content.decode()
    assert LOCKED_HEADING in body
    assert settings.FACTCHECK_ORG_NAME in body  # the admin's own page, not a bare message
    assert int(response["Retry-After"]) == settings.FACTCHECK_LOGIN_COOLOFF
    assert "script-src" in response["Content-Security-Policy"]
    assert not logged_in(client)


def fail(times: int, username: str = "olena", ip: str = ATTACKER) -> None:
    for _ in range(times):
        admin_login(username, "not-the-password", ip)


@pytest.fixture
def limit() -> int:
    return settings.AXES_FAILURE_LIMIT


def test_forty_wrong_passwords_then_the_right_one_is_refused(reviewer):
    fail(40)
    client, response = admin_login("olena", PASSWORD)
    assert_locked_out(client, response)


def test_the_failure_that_reaches_the_limit_already_shows_the_lockout_page(reviewer, limit):
    fail(limit - 1)
    client, response = admin_login("olena", "not-the-password")
    assert_locked_out(client, response)


def test_below_the_limit_the_right_password_still_logs_in(reviewer, limit):
    fail(limit - 1)
    client, response = admin_login("olena", PASSWORD)
    assert response.status_code == 302
    assert logged_in(client)


def test_failures_from_one_address_lock_every_account_from_it(reviewer, editor, limit):
    for attempt in range(limit):
        admin_login(f"guess{attempt}", "not-the-password", ATTACKER)
    client, response = admin_login("olena", PASSWORD, ATTACKER)
    assert_locked_out(client, response)
    # The same account from another address is not locked: only the address is.
    client, response = admin_login("olena", PASSWORD, OFFICE)
    assert response.status_code == 302 and logged_in(client)


def test_failures_against_one_account_from_many_addresses_lock_it(reviewer, editor, limit):
    for attempt in range(limit):
        admin_login("olena", "not-the-password", f"192.0.2.{attempt + 1}")
    client, response = admin_login("olena", PASSWORD, OFFICE)
    assert_locked_out(client, response)
    # Another account from that address is not locked: only the account is.
    client, response = admin_login("iryna", PASSWORD, OFFICE)
    assert response.status_code == 302 and logged_in(client)


def test_the_lock_lifts_by_itself_after_the_cool_off(reviewer, limit):
    fail(limit)
    assert_locked_out(*admin_login("olena", PASSWORD))
    cool_off = timedelta(seconds=settings.FACTCHECK_LOGIN_COOLOFF)
    AccessAttempt.objects.update(attempt_time=timezone.now() - cool_off - timedelta(seconds=1))
    client, response = admin_login("olena", PASSWORD)
    assert response.status_code == 302 and logged_in(client)


def test_a_hidden_forwarded_address_does_not_escape_the_address_lock(reviewer, limit):
    """No trusted proxy (FACTCHECK_TRUSTED_PROXIES=0): X-Forwarded-For is the client's
    own word, so rotating it changes nothing."""
    for attempt in range(limit):
        admin_login(f"guess{attempt}", "x", ATTACKER, HTTP_X_FORWARDED_FOR=f"10.0.0.{attempt}")
    assert_locked_out(*admin_login("olena", PASSWORD, ATTACKER, HTTP_X_FORWARDED_FOR="10.9.9.9"))


def test_behind_a_trusted_proxy_each_client_address_counts_apart(reviewer, limit, settings):
    settings.FACTCHECK_TRUSTED_PROXIES = 1
    proxy = "10.0.0.2"
    for attempt in range(limit):
        admin_login(f"guess{attempt}", "x", proxy, HTTP_X_FORWARDED_FOR=ATTACKER)
    assert_locked_out(*admin_login("olena", PASSWORD, proxy, HTTP_X_FORWARDED_FOR=ATTACKER))
    client, response = admin_login("olena", PASSWORD, proxy, HTTP_X_FORWARDED_FOR=OFFICE)
    assert response.status_code == 302 and logged_in(client)


def test_junk_in_the_headers_of_a_failed_login_is_no_server_error(reviewer):
    client, response = admin_login("olena", "x", HTTP_USER_AGENT="bad\x00agent\u202e")
    assert response.status_code == 200  # the form again, with its error
    assert AccessAttempt.objects.filter(username="olena").exists()


def test_reset_username_command_lifts_the_account_lock(reviewer, limit):
    for attempt in range(limit):
        admin_login("olena", "not-the-password", f"192.0.2.{attempt + 1}")
    assert_locked_out(*admin_login("olena", PASSWORD, OFFICE))
    call_command("axes_reset_username", "olena")
    client, response = admin_login("olena", PASSWORD, OFFICE)
    assert response.status_code == 302 and logged_in(client)


def test_reset_ip_command_lifts_the_address_lock(reviewer, limit):
    for attempt in range(limit):
        admin_login(f"guess{attempt}", "not-the-password", ATTACKER)
    assert_locked_out(*admin_login("olena", PASSWORD, ATTACKER))
    call_command("axes_reset_ip", ATTACKER)
    client, response = admin_login("olena", PASSWORD, ATTACKER)
    assert response.status_code == 302 and logged_in(client)


@pytest.mark.django_db(transaction=True)
def test_the_documented_command_lifts_the_lock_as_pasted(limit):
    """docs/security.md's command, run as a second process on the same database (as
    beside `make run`, whose database the smoke test uses)."""
    UserFactory(username="olena", roles=["Reviewer"])
    fail(limit)
    assert_locked_out(*admin_login("olena", PASSWORD))
    env = dict(os.environ, DEBUG="true", DATABASE_URL=database_url_for_workers())
    env.pop("DJANGO_SETTINGS_MODULE", None)  # manage.py's own default, as in a terminal
    python = Path(sys.executable).parent / "python"
    done = subprocess.run(
        [str(python), "manage.py", "axes_reset_username", "olena"],
        cwd=Path(__file__).resolve().parents[1], env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert not AccessAttempt.objects.filter(username="olena").exists()
    client, response = admin_login("olena", PASSWORD)
    assert response.status_code == 302 and logged_in(client)
