"""The one Redis client of the project (the broker's Redis, REDIS_URL): the rate-limit
counters, the delivery counts of tasks, the queue lengths and the health check.

Every call gives up after a short timeout (REDIS_TIMEOUT), so a dead Redis fails a
health check or skips a rate limit at once instead of hanging a request or a task.
Each process keeps one client per URL: its connection pool is reused, and holds no
state (a connection that broke, say because Redis restarted, is dropped and opened
again; a forked worker opens its own).
"""

import functools

import redis
from django.conf import settings


def redis_client(url: str | None = None, *, timeout: float | None = None) -> redis.Redis:
    """The client of the Redis at `url` (REDIS_URL) whose calls give up after `timeout`
    seconds (REDIS_TIMEOUT). With both given, Django's settings are not read: the
    embedded Redis asks before there are any."""
    return _client(
        url if url is not None else settings.REDIS_URL,
        timeout if timeout is not None else settings.REDIS_TIMEOUT,
    )


@functools.cache
def _client(url: str, timeout: float) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
