"""Fault tests of the claim queue: real Redis servers, real worker processes, kill -9.

Nothing lost, nothing doubled: after each fault every claim is triaged exactly once
(one "triage" row in its audit history).
"""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from claims import services, tasks
from claims.models import Claim, ClaimStatus
from factcheck import embedded_redis
from ops.models import ParkedTask
from tests.conftest import database_url_for_workers, wait_for
from tests.factories import ClaimantFactory

pytestmark = pytest.mark.worker
BASE_DIR = Path(__file__).resolve().parent.parent
ROUNDS = int(os.environ.get("FAULT_ROUNDS", "10"))


def _create_claim(n: int = 0) -> Claim:
    return services.claim_create(
        actor=None,
        text=f"Russia fired an estimated 10 million rounds in Ukraine last year (report {n}).",
        claim_reviewed=f"Russia fired about 10 million rounds in a year ({n})",
        claimant=ClaimantFactory(),
    )


def _triage_counts(claim_ids: list[int]) -> dict[int, int]:
    from claims.models import Claim as C

    rows = C.history.filter(id__in=claim_ids, history_change_reason="triage")
    counts = dict.fromkeys(claim_ids, 0)
    for row in rows.values_list("id", flat=True):
        counts[row] += 1
    return counts


def _all_triaged(claim_ids: list[int]) -> bool:
    return not Claim.objects.filter(pk__in=claim_ids, status=ClaimStatus.RECEIVED).exists()


def test_worker_killed_mid_triage_loses_and_doubles_nothing(celery_workers):
    """kill -9 of the worker (main process and pool) while it triages, ten times; the
    restarted worker gets the unacknowledged message back after the visibility timeout."""
    # One message may be in flight in several of the killed workers; keep it below the
    # dead-letter limit, which has its own test below.
    fault_env = {
        "FACTCHECK_MAX_DELIVERIES": "50",
        # Each triage holds its row lock for a second (tests/slow_triage.py).
        "FACTCHECK_EXTRA_TASK_MODULES": "tests.slow_triage",
        "CELERY_VISIBILITY_TIMEOUT": "2",
        "CELERY_UNACKED_RESTORE_INTERVAL": "1",
    }
    claim_ids = []
    for round_ in range(ROUNDS):
        claim = _create_claim(round_)
        claim_ids.append(claim.pk)
        worker = celery_workers.start(queues="intake", **fault_env)
        wait_for(lambda w=worker: "received" in celery_workers.log_of(w), timeout=30)
        # Mostly inside the triage's open transaction, sometimes after its commit.
        time.sleep(random.uniform(0.2, 1.4))
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    celery_workers.start(
        queues="intake",
        FACTCHECK_MAX_DELIVERIES="50",
        CELERY_VISIBILITY_TIMEOUT="2",
        CELERY_UNACKED_RESTORE_INTERVAL="1",
    )

    wait_for(lambda: _all_triaged(claim_ids), timeout=120)
    time.sleep(3)  # any duplicate delivery would land by now
    assert _triage_counts(claim_ids) == dict.fromkeys(claim_ids, 1)


@pytest.fixture
def own_redis(tmp_path_factory):
    """A Redis server of the test's own, which it can stop and start again."""
    var_dir = tmp_path_factory.mktemp("redis")
    server = embedded_redis.start(var_dir)
    yield var_dir, embedded_redis.url(var_dir)
    embedded_redis.stop(server)


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        args, env=env, cwd=BASE_DIR, stdout=log.open("a"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip


def _create_claim_in_subprocess(env: dict[str, str]) -> dict:
    """Save a claim through the service in a process of its own (whose broker is the
    test's Redis), timing the whole call including the failed enqueue."""
    script = (
        "import json, time; from claims import services; from claims.models import Claimant; "
        "c = Claimant.objects.create(name='Test', slug='test-redis-down'); t = time.monotonic(); "
        "claim = services.claim_create(actor=None, text='About $5 billion is left for Ukraine.', "
        "claim_reviewed='About $5 billion left for Ukraine', claimant=c); "
        "print(json.dumps({'id': claim.pk, 'seconds': time.monotonic() - t}))"
    )
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script], env=env, cwd=BASE_DIR,
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_claim_saved_while_redis_is_down_is_triaged_once_redis_is_back(
    own_redis, celery_workers, tmp_path
):
    var_dir, redis_url = own_redis
    env = dict(
        os.environ,
        DATABASE_URL=database_url_for_workers(),
        REDIS_URL=redis_url,
        FACTCHECK_RECONCILE_AFTER="1",
        FACTCHECK_RECONCILE_EVERY="1",
    )
    celery_workers.start(
        queues="intake,default", REDIS_URL=redis_url, FACTCHECK_RECONCILE_AFTER="1"
    )
    beat = _spawn(
        [str(Path(sys.executable).parent / "celery"), "-A", "factcheck", "beat",
         "--schedule", str(tmp_path / "beat-schedule"), "--loglevel", "INFO"],
        env, tmp_path / "beat.log",
    )  # fmt: skip
    try:
        redis.Redis.from_url(redis_url).shutdown(nosave=True)
        wait_for(lambda: not embedded_redis.is_up(redis_url), timeout=10)

        created = _create_claim_in_subprocess(env)

        assert created["seconds"] < 2.0
        claim = Claim.objects.get(pk=created["id"])
        assert claim.status == ClaimStatus.RECEIVED  # saved, waiting

        server = embedded_redis.start(var_dir)  # Redis is back; nobody acts
        try:
            wait_for(lambda: _all_triaged([claim.pk]), timeout=120)
            time.sleep(3)
            assert _triage_counts([claim.pk]) == {claim.pk: 1}
        finally:
            embedded_redis.stop(server)
    finally:
        os.killpg(beat.pid, signal.SIGTERM)
        beat.wait(20)


def test_claims_lost_in_a_redis_flush_are_all_triaged_once_after_reconcile(
    celery_workers, clean_broker, settings
):
    claim_ids = [_create_claim(n).pk for n in range(100)]
    assert clean_broker.llen("intake") == 100
    clean_broker.flushdb()  # every message is gone; the claims are still received

    settings.FACTCHECK_RECONCILE_AFTER = 0
    assert tasks.reconcile() == 100
    celery_workers.start(queues="intake", concurrency=2)

    wait_for(lambda: _all_triaged(claim_ids), timeout=120)
    time.sleep(2)
    assert _triage_counts(claim_ids) == dict.fromkeys(claim_ids, 1)


def test_a_task_that_kills_its_worker_is_parked_after_three_deliveries(celery_workers, tmp_path):
    from tests.poison_tasks import poison

    marker = tmp_path / "attempts"
    celery_workers.start(queues="default", FACTCHECK_EXTRA_TASK_MODULES="tests.poison_tasks")
    result = poison.apply_async(args=[str(marker)], queue="default")

    parked = wait_for(lambda: ParkedTask.objects.filter(task_id=result.id).first(), timeout=90)

    assert parked.name == "tests.poison"
    assert parked.deliveries == 3
    assert parked.args == [str(marker)]
    time.sleep(3)  # never looping: no further attempt after parking
    assert marker.read_text().count("attempt") == 3
