"""PLACEHOLDER (being replaced): rate limits in Redis."""

from rest_framework.throttling import BaseThrottle


class NewsroomRateThrottle(BaseThrottle):
    def allow_request(self, request, view) -> bool:
        return True
