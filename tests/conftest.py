"""Shared fixtures: named personas and claims in every workflow state."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.factories import ClaimFactory, UserFactory
from tests.mail import smtp_sink


def _is_transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return "transactional_db" in request.fixturenames or bool(
        marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0]))
    )


@pytest.fixture(autouse=True)
def _migrated_reference_data(request):
    """Transactional tests empty every table after they run, taking the rows the data
    migrations wrote (roles, rating scale) with them: put those back first."""
    if not _is_transactional(request):
        return
    request.getfixturevalue("transactional_db")
    from importlib import import_module

    from django.apps import apps

    import_module("claims.migrations.0002_default_rating_scale").load_scale(apps, None)
    import_module("reviewers.migrations.0002_roles").create_roles(apps, None)
    queue = import_module("reviewers.migrations.0003_queue_notices")
    queue.grant_permissions(apps, None)
    queue.create_queue_settings(apps, None)
    import_module("ops.migrations.0002_permissions").grant(apps, None)
    import_module("newsrooms.migrations.0005_digest_permissions").grant(apps, None)
    pages = import_module("publishing.migrations.0002_policy_pages")
    pages.create_pages(apps, None)
    pages.grant_permissions(apps, None)


@pytest.fixture
def reviewer(db):
    return UserFactory(username="olena", roles=["Reviewer"])


@pytest.fixture
def other_reviewer(db):
    return UserFactory(username="dmytro", roles=["Reviewer"])


@pytest.fixture
def editor(db):
    return UserFactory(username="iryna", roles=["Editor"])


@pytest.fixture
def other_editor(db):
    return UserFactory(username="marko", roles=["Editor"])


@pytest.fixture
def admin_user(db):
    return UserFactory(username="root", roles=["Admin"])


@pytest.fixture
def outsider(db):
    """Logged in, staff even, but holds no role."""
    return UserFactory(username="visitor", roles=[])


@pytest.fixture
def claim(db):
    return ClaimFactory()


# --- Celery ------------------------------------------------------------------------------


@pytest.fixture
def eager_tasks():
    """Tasks enqueued with .delay() run at once in this process (no broker, no worker)."""
    from factcheck.celery import app

    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = saved


# --- Real Celery workers ----------------------------------------------------------------


def database_url_for_workers() -> str:
    """The test database as a DATABASE_URL, so worker processes write where tests read."""
    from django.db import connection

    cfg = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{cfg['NAME']}"
    auth = cfg["USER"] + (f":{cfg['PASSWORD']}" if cfg["PASSWORD"] else "")
    return f"postgres://{auth}@{cfg['HOST'] or 'localhost'}:{cfg['PORT'] or 5432}/{cfg['NAME']}"


@pytest.fixture
def clean_broker(settings):
    """An empty broker database: no message left by an earlier test reaches a worker."""
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


class WorkerProcesses:
    """Start and stop real `celery worker` processes against the test database."""

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.processes: list[subprocess.Popen] = []

    def start(self, queues: str = "intake,default", concurrency: int = 1, **env_extra: str):
        env = dict(os.environ, DATABASE_URL=database_url_for_workers(), **env_extra)
        log = open(self.tmp_path / f"worker-{len(self.processes)}.log", "w")  # noqa: SIM115
        command = [
            str(Path(sys.executable).parent / "celery"), "-A", "factcheck", "worker",
            "--loglevel", "INFO", "--queues", queues, "--concurrency", str(concurrency),
            "--without-gossip", "--without-mingle", "--hostname", f"test{len(self.processes)}@%h",
        ]  # fmt: skip
        process = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def log_of(self, process: subprocess.Popen) -> str:
        return (self.tmp_path / f"worker-{self.processes.index(process)}.log").read_text()

    def logs(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.tmp_path.glob("worker-*.log")))


@pytest.fixture
def celery_workers(transactional_db, clean_broker, tmp_path):
    workers = WorkerProcesses(tmp_path)
    yield workers
    workers.stop_all()


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.1):
    """Poll until predicate() is truthy; returns its value or fails with the timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout}s")


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server (aiosmtpd) on 127.0.0.1; Django's SMTP backend points at it."""
    with smtp_sink(settings) as sink:
        yield sink
