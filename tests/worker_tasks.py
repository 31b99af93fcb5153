"""Tasks only the connection tests load into their worker processes
(FACTCHECK_EXTRA_TASK_MODULES=tests.worker_tasks)."""

from celery import shared_task
from django.db import connection


@shared_task(name="tests.backend_pid")
def backend_pid(record_path: str, terminate: bool = False) -> None:
    """Appends the PostgreSQL backend serving this task; with `terminate`, then has the
    server end that connection, as a database restart or a failover would."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    with open(record_path, "a") as record:
        record.write(f"{pid}\n")
    if terminate:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
