"""A worker keeps its database connection from one task to the next, and drops one that
broke (factcheck/celery.py, CELERY_DB_REUSE_MAX): real worker processes, PostgreSQL."""

import pytest
from django.db import connection

from tests.conftest import wait_for

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite has no server connection to keep (CONN_MAX_AGE 0 there)",
    ),
]


def _pids(path) -> list[int]:
    return [int(line) for line in path.read_text().split()] if path.exists() else []


def _run(task, record, count: int, **kwargs) -> list[int]:
    already = len(_pids(record))
    for _ in range(count):
        task.apply_async(args=[str(record)], kwargs=kwargs, queue="default")
    wait_for(lambda: len(_pids(record)) >= already + count, timeout=60)
    return _pids(record)[already:]


def test_a_worker_reuses_its_connection_and_replaces_one_that_broke(celery_workers, tmp_path):
    from tests.worker_tasks import backend_pid

    record = tmp_path / "pids"
    celery_workers.start(
        queues="default", concurrency=1, FACTCHECK_EXTRA_TASK_MODULES="tests.worker_tasks"
    )

    first = _run(backend_pid, record, 5)
    assert len(set(first)) == 1, first  # one connection for five tasks

    _run(backend_pid, record, 1, terminate=True)  # the server ends it mid-task
    after = _run(backend_pid, record, 3)
    assert len(set(after)) == 1, after
    assert after[0] != first[0]  # a new connection, and the tasks after the break ran
