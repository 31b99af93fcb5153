"""Rate limits in Redis (factcheck.redis), shared by every web replica: the counter the
API's throttle (newsrooms.api.throttling: per token, or per client address) and the
sign-up form count with, and the limit of the public pages and feeds
(docs/security.md, "Limits on the public surface"): FACTCHECK_PAGE_RATE requests per
client address, under keys of its own.

A fixed window per (who, window number): INCR creates or bumps its counter atomically
in Redis, so concurrent requests on several web replicas count exactly (DRF's own
throttles read, modify and write a list); the counter expires after its window. While
Redis is unreachable, requests are served unlimited. One rule for who the client is
(`client_ip`), for the API, the pages and the login throttle.
"""

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from factcheck.redis import redis_client

logger = logging.getLogger(__name__)

# Every counter's key starts so, apart from the other keys in the broker's Redis.
KEY_PREFIX = "factcheck:throttle:"
PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# Not pages: the API limits itself (per token or address), the admin has its login
# throttling and staff behind it, and a load balancer's health probe must never be
# refused.
NOT_PAGES = ("/api/", "/admin/", "/healthz")
# RFC 8058's one-click unsubscribe: mail providers POST it from a few servers for all
# their users, and a refused one would leave a reader subscribed. The signed token in
# the URL is its authority, and a repeat changes nothing.
ONE_CLICK_UNSUBSCRIBE = "/subscriptions/unsubscribe/"


def parse_rate(rate: str) -> tuple[int, int]:
    """ "120/min" -> (120, 60). The period is read by its first letter, as DRF does."""
    try:
        count, period = rate.split("/")
        return int(count), PERIODS[period.strip()[0].lower()]
    except (ValueError, KeyError, IndexError):
        raise ImproperlyConfigured(
            f"Bad rate {rate!r}: write it like 120/min (periods s, min, h, day)."
        ) from None


def client_ip(request: HttpRequest) -> str:
    """The client's address. X-Forwarded-For counts only with FACTCHECK_TRUSTED_PROXIES
    > 0, and then only the entry the nearest trusted proxy appended: anything further
    left was written by the client and may be forged. Same rule as DRF's NUM_PROXIES,
    read per request."""
    remote = request.META.get("REMOTE_ADDR") or ""
    proxies = settings.FACTCHECK_TRUSTED_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if proxies > 0 and forwarded:
        addresses = [a.strip() for a in forwarded.split(",") if a.strip()]
        if addresses:
            return addresses[-min(proxies, len(addresses))]
    return remote


def rate_count(who: str, rate: str) -> tuple[bool, int]:
    """Count one request of `who` against `rate`: (allowed, seconds until the window
    ends)."""
    limit, period = parse_rate(rate)
    now = time.time()
    window = int(now // period)
    retry_after = max(1, int((window + 1) * period - now + 0.999))
    try:
        count = _hit(f"{KEY_PREFIX}{who}:{period}:{window}", period)
    except Exception as exc:  # noqa: BLE001 - any Redis error: serve rather than fail
        logger.warning("Rate limit not applied, Redis unavailable: %s", exc)
        return True, retry_after
    return count <= limit, retry_after


def _hit(key: str, period: int) -> int:
    """Count one request in the window's counter and return the count. One round trip
    for every request but a window's first: INCR creates the counter at 1, and only then
    is its expiry set. (A process dying between the two leaves one counter without
    expiry; its key names a past window, so it never counts again.)"""
    client = redis_client()
    count = int(client.incr(key))
    if count == 1:
        client.expire(key, period + 1)
    return count


class PageRateLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path.startswith((*NOT_PAGES, settings.STATIC_URL)) or (
            request.method == "POST" and path.startswith(ONE_CLICK_UNSUBSCRIBE)
        ):
            return self.get_response(request)
        allowed, retry_after = rate_count(
            f"page:{client_ip(request)}", settings.FACTCHECK_PAGE_RATE
        )
        if allowed:
            return self.get_response(request)
        response = render(
            request,
            "public/too_many_requests.html",
            {"org_name": settings.FACTCHECK_ORG_NAME, "retry_after": retry_after},
            status=429,
        )
        response["Retry-After"] = str(retry_after)
        # A refusal is about this client now: no cache may serve it to anyone else.
        response["Cache-Control"] = "private, no-store"
        return response
