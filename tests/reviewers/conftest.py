"""Fixtures of the review queue tests: reviewer profiles, concurrent calls."""

import threading
from collections.abc import Callable, Iterable
from typing import Any

from django.db import connection

from claims.models import Topic
from reviewers.models import ReviewerProfile

# Lives in tests/conftest.py now; re-exported for the modules that import it from here.
from tests.conftest import eager_tasks  # noqa: F401


def make_profile(
    user: Any,
    *,
    languages: Iterable[str] = ("en",),
    topics: Iterable[Topic] = (),
    capacity: int = 5,
    active: bool = True,
) -> ReviewerProfile:
    profile = ReviewerProfile.objects.create(
        user=user, languages=list(languages), capacity=capacity, active=active
    )
    profile.topics.set(list(topics))
    return profile


def run_concurrently(fn: Callable[[], Any], threads: int = 2) -> list[Any]:
    """Call fn in several threads released at the same moment, each on its own database
    connection; re-raises the first error."""
    barrier = threading.Barrier(threads)
    results: list[Any] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(fn())
        except BaseException as exc:  # noqa: BLE001 - handed to the test below
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=target) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    if errors:
        raise errors[0]
    return results
