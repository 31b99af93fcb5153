"""Rate limits kept in Redis (factcheck.redis, on REDIS_URL): per token, or per client IP
address for anonymous requests.

A fixed window per (who, window number): INCR creates or bumps its counter atomically
in Redis, so concurrent requests on several web replicas count exactly (DRF's own
throttles read, modify and write a list); the counter expires after its window.
"""

import logging
import time
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from rest_framework.request import Request

if TYPE_CHECKING:
    from rest_framework.views import APIView
from rest_framework.throttling import BaseThrottle

from factcheck.redis import redis_client
from newsrooms.models import NewsroomToken

logger = logging.getLogger(__name__)

# Every counter's key starts so, apart from the other keys in the broker's Redis.
KEY_PREFIX = "factcheck:throttle:"
PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "120/min" -> (120, 60). The period is read by its first letter, as DRF does."""
    try:
        count, period = rate.split("/")
        return int(count), PERIODS[period.strip()[0].lower()]
    except (ValueError, KeyError, IndexError):
        raise ImproperlyConfigured(
            f"Bad rate {rate!r}: write it like 120/min (periods s, min, h, day)."
        ) from None


def client_ip(request: Request) -> str:
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


class NewsroomRateThrottle(BaseThrottle):
    def allow_request(self, request: Request, view: "APIView") -> bool:
        token = request.auth if isinstance(request.auth, NewsroomToken) else None
        if token is not None:
            who, rate = f"token:{token.prefix}", settings.FACTCHECK_TOKEN_RATE
        else:
            who, rate = f"ip:{client_ip(request)}", settings.FACTCHECK_ANON_RATE
        allowed, self._retry_after = self.count(who, rate)
        return allowed

    def count(self, who: str, rate: str) -> tuple[bool, int]:
        """Count one request of `who` against `rate`: (allowed, seconds until the
        window ends)."""
        limit, period = parse_rate(rate)
        now = time.time()
        window = int(now // period)
        retry_after = max(1, int((window + 1) * period - now + 0.999))
        try:
            count = self._hit(f"{KEY_PREFIX}{who}:{period}:{window}", period)
        except Exception as exc:  # noqa: BLE001 - any Redis error: serve rather than fail
            logger.warning("Rate limit not applied, Redis unavailable: %s", exc)
            return True, retry_after
        return count <= limit, retry_after

    def _hit(self, key: str, period: int) -> int:
        """Count one request in the window's counter and return the count. One round
        trip for every request but a window's first: INCR creates the counter at 1, and
        only then is its expiry set. (A process dying between the two leaves one counter
        without expiry; its key names a past window, so it never counts again.)"""
        client = redis_client()
        count = int(client.incr(key))
        if count == 1:
            client.expire(key, period + 1)
        return count

    def wait(self) -> float | None:
        """Seconds until the window ends: DRF puts it in Retry-After."""
        return getattr(self, "_retry_after", None)
