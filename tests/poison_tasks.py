"""Tasks only the fault tests load into their worker processes
(FACTCHECK_EXTRA_TASK_MODULES=tests.poison_tasks)."""

import os
import signal

from celery import shared_task


@shared_task(name="tests.poison")
def poison(marker_path: str) -> None:
    """Records the attempt, then kills the process running it, as a segfault would."""
    with open(marker_path, "a") as marker:
        marker.write("attempt\n")
    os.kill(os.getpid(), signal.SIGKILL)
