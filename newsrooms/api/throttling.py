"""The API's rate limit: per token, or per client address for anonymous requests, on
the fixed-window counters in Redis of factcheck/ratelimit.py."""

from typing import TYPE_CHECKING

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

# client_ip: the API's rule for the client's address, which newsrooms' pages use too.
from factcheck.ratelimit import client_ip, rate_count
from newsrooms.models import NewsroomToken

if TYPE_CHECKING:
    from rest_framework.views import APIView

__all__ = ["NewsroomRateThrottle", "client_ip"]


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
        return rate_count(who, rate)

    def wait(self) -> float | None:
        """Seconds until the window ends: DRF puts it in Retry-After."""
        return getattr(self, "_retry_after", None)
