"""The API's rate limit: per token, or per client address for anonymous requests, on
the fixed-window counters in Redis of factcheck/ratelimit.py."""

from typing import TYPE_CHECKING

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from factcheck.ratelimit import client_ip, rate_count
from newsrooms.models import NewsroomToken

if TYPE_CHECKING:
    from rest_framework.views import APIView


class NewsroomRateThrottle(BaseThrottle):
    def allow_request(self, request: Request, view: "APIView") -> bool:
        token = request.auth if isinstance(request.auth, NewsroomToken) else None
        if token is not None:
            who, rate = f"token:{token.prefix}", settings.FACTCHECK_TOKEN_RATE
        else:
            who, rate = f"ip:{client_ip(request)}", settings.FACTCHECK_ANON_RATE
        allowed, self._retry_after = rate_count(who, rate)
        return allowed

    def wait(self) -> float | None:
        """Seconds until the window ends: DRF puts it in Retry-After."""
        return getattr(self, "_retry_after", None)
