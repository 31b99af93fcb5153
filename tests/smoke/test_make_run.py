"""`make run` in a clean copy of the project, as a new user would run it (`make smoke`).

No DATABASE_URL or REDIS_URL: SQLite and the embedded Redis. The first run creates the
venv and installs; the second reuses everything. Ctrl-C (SIGINT to the terminal's
process group) and SIGTERM to `make` must both leave no process behind.
"""

import html
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

pytestmark = pytest.mark.smoke

PROJECT = Path(__file__).resolve().parents[2]
SETUP_TIMEOUT = 600  # generous: a cold pip cache downloads every requirement


def _copy_project(dest: Path) -> None:
    """Tracked and new files only: no .venv, no var/, nothing ignored."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=PROJECT, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        source = PROJECT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError:
        return 0, ""


def _post(url: str, body: bytes, content_type: str) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _wait_healthy(base: str, make: subprocess.Popen, log: Path) -> float:
    started = time.monotonic()
    while time.monotonic() - started < SETUP_TIMEOUT:
        if _get(f"{base}/healthz")[0] == 200:
            return time.monotonic() - started
        if make.poll() is not None:
            pytest.fail(f"make run exited early:\n{log.read_text()[-4000:]}")
        time.sleep(1)
    pytest.fail(f"/healthz never answered 200:\n{log.read_text()[-4000:]}")


def _env(port: int) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            (
                "DATABASE_URL",
                "REDIS_URL",
                "DJANGO_",
                "FACTCHECK_",
                "SECRET_KEY",
                "DEBUG",
                "VIRTUAL_ENV",
            )
        )
    }
    env["PORT"] = str(port)
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if ".venv" not in p
    )
    return env


def _start(copy: Path, port: int, log: Path) -> subprocess.Popen:
    # Its own process group, like a terminal's foreground job, so SIGINT can go to all of it.
    return subprocess.Popen(
        ["make", "run"], cwd=copy, env=_env(port), stdout=log.open("a"),
        stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def _family(make: subprocess.Popen) -> list[psutil.Process]:
    root = psutil.Process(make.pid)
    return [root, *root.children(recursive=True)]


def _stop_and_check_nothing_left(
    make: subprocess.Popen, sig: int, to_group: bool, copy: Path
) -> None:
    family = _family(make)
    names = {p.name() for p in family}
    assert {"redis-server"} <= names or any("redis-server" in " ".join(p.cmdline()) for p in family)
    if to_group:
        os.killpg(make.pid, sig)  # what Ctrl-C in a terminal does
    else:
        make.send_signal(sig)
    make.wait(timeout=60)
    gone, alive = psutil.wait_procs(family, timeout=30)
    assert alive == [], f"left running: {[(p.pid, p.cmdline()) for p in alive]}"
    strays = [
        p
        for p in psutil.process_iter(["cmdline", "cwd"])
        if str(copy) in " ".join(p.info["cmdline"] or []) or str(copy) == (p.info["cwd"] or "")
    ]
    assert strays == [], f"strays: {[(p.pid, p.info['cmdline']) for p in strays]}"


def _triage_claim_through_worker(copy: Path) -> None:
    env = {**_env(0), "DEBUG": "true"}
    python = str(copy / ".venv" / "bin" / "python")
    create = (
        "from claims import services; from claims.models import Claimant; "
        "c = services.claim_create(actor=None, text='Smoke test claim: 2 million shells a year.', "
        "claim_reviewed='Smoke test claim', claimant=Claimant.objects.first()); print(c.pk)"
    )
    out = subprocess.run([python, "manage.py", "shell", "-c", create], cwd=copy, env=env,
                         capture_output=True, text=True, check=True, timeout=60)  # fmt: skip
    claim_id = int(out.stdout.strip().splitlines()[-1])
    check = f"from claims.models import Claim; print(Claim.objects.get(pk={claim_id}).status)"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        out = subprocess.run([python, "manage.py", "shell", "-c", check], cwd=copy, env=env,
                             capture_output=True, text=True, check=True, timeout=60)  # fmt: skip
        # Triaged: queued, or already auto-assigned to a demo reviewer.
        if out.stdout.strip().splitlines()[-1] in {"queued", "in_review"}:
            return
        time.sleep(1)
    pytest.fail("the worker never triaged the claim")


def _check_published_demo(base: str) -> None:
    """The demo's published fact-checks reach the API, the public pages and the feeds."""
    status, body = _get(f"{base}/api/v1/claims/?page_size=100")
    assert status == 200
    documents = json.loads(body)["results"]
    assert len(documents) == 9, "the demo publishes 9 fact-checks"
    status, body = _get(documents[0]["public_url"].replace("http://127.0.0.1:8000", base))
    assert status == 200 and documents[0]["claim_reviewed"] in html.unescape(body)
    status, body = _get(f"{base}/feeds/factchecks.rss")
    assert status == 200 and "<rss" in body
    status, body = _get(f"{base}/api/v1/docs/")
    assert status == 200


def _subscribe_through_the_worker(base: str, copy: Path, log: Path) -> None:
    """A sign-up's confirmation email is printed by the worker (the console backend of
    DEBUG), and its link confirms the subscription."""
    address = "smoke-reader@example.org"
    status, _body = _post(f"{base}/api/v1/subscriptions/",
                          json.dumps({"email": address}).encode(), "application/json")  # fmt: skip
    assert status == 202
    link = re.compile(re.escape(base) + r"/subscriptions/confirm/[^/\s]+/")
    deadline = time.monotonic() + 60
    while not (found := link.search(log.read_text())) and time.monotonic() < deadline:
        time.sleep(1)
    assert found, "the worker never printed the confirmation email"
    status, _body = _post(found.group(0), b"", "application/x-www-form-urlencoded")
    assert status == 200
    check = f"from newsrooms.models import Subscription; print(Subscription.objects.get(email='{address}').state)"
    out = subprocess.run([str(copy / ".venv" / "bin" / "python"), "manage.py", "shell", "-c", check],
                         cwd=copy, env={**_env(0), "DEBUG": "true"}, capture_output=True, text=True,
                         check=True, timeout=60)  # fmt: skip
    assert out.stdout.strip().splitlines()[-1] == "active"


def _verify_the_record_beside_make_run(copy: Path, port: int) -> None:
    """README's `make verify`, pasted into a second terminal: the demo's record holds."""
    out = subprocess.run(["make", "verify"], cwd=copy, env=_env(port), capture_output=True,
                         text=True, timeout=300)  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    assert "The public record holds" in out.stdout


def _admin_login(base: str, username: str, password: str) -> tuple[int, str]:
    """A login through the admin's form, with its CSRF cookie and token, as a browser."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    with opener.open(f"{base}/admin/login/", timeout=10) as response:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.read().decode())
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token.group(1), "username": username,
                                   "password": password, "next": "/admin/"}).encode()  # fmt: skip
    try:
        with opener.open(f"{base}/admin/login/?next=/admin/", data=form, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _lift_a_login_lockout_as_documented(base: str, copy: Path) -> None:
    """README's and docs/security.md's command, pasted into a second terminal, lifts the
    lockout that wrong passwords put on a demo login."""
    for _ in range(5):  # FACTCHECK_LOGIN_FAILURE_LIMIT's default
        _admin_login(base, "olena", "not-the-password")
    status, body = _admin_login(base, "olena", "factcheck-demo")
    assert status == 429 and "Too many failed logins" in body
    out = subprocess.run("DEBUG=true .venv/bin/python manage.py axes_reset_username olena",
                         shell=True, cwd=copy, env=_env(0), capture_output=True, text=True,
                         timeout=120)  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    status, body = _admin_login(base, "olena", "factcheck-demo")
    assert status == 200 and 'id="user-tools"' in body


def test_make_run_in_a_clean_copy_serves_the_demo_and_stops_cleanly(tmp_path):
    copy = tmp_path / "factcheck"
    _copy_project(copy)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "make-run.log"

    make = _start(copy, port, log)
    try:
        first = _wait_healthy(base, make, log)
        status, body = _get(f"{base}/admin/login/")
        assert status == 200 and 'name="username"' in body
        output = log.read_text()
        assert "olena" in output and "factcheck-demo" in output, "demo logins are printed"
        _check_published_demo(base)
        _triage_claim_through_worker(copy)
        _subscribe_through_the_worker(base, copy, log)
        _verify_the_record_beside_make_run(copy, port)
        _lift_a_login_lockout_as_documented(base, copy)
        _stop_and_check_nothing_left(make, signal.SIGINT, to_group=True, copy=copy)
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGKILL)

    # Second run: reuses the venv, the database and the demo; stopped with SIGTERM.
    stamps = sorted((copy / ".venv").glob(".installed-*"))
    stamp_mtime = stamps[0].stat().st_mtime
    make = _start(copy, port, log)
    try:
        second = _wait_healthy(base, make, log)
        assert sorted((copy / ".venv").glob(".installed-*")) == stamps
        assert stamps[0].stat().st_mtime == stamp_mtime, "second run reinstalled"
        _stop_and_check_nothing_left(make, signal.SIGTERM, to_group=False, copy=copy)
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGKILL)
    print(
        f"\nmake run: first start {first:.0f}s (with install), second start {second:.0f}s",
        file=sys.stderr,
    )
