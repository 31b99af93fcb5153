"""The rate limit of the public pages and feeds (docs/security.md, "Limits on the
public surface"): FACTCHECK_PAGE_RATE requests per client address.

Counted by the API's throttle (newsrooms.api.throttling: a fixed window in Redis,
shared by every web replica) under keys of its own, with the API's rule for who the
client is, so the API and the pages have one implementation and one notion of an
address. Like the API, pages are served unlimited while Redis is unreachable.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from newsrooms.api.throttling import NewsroomRateThrottle, client_ip

# Not pages: the API limits itself (per token or address), the admin has its login
# throttling and staff behind it, and a load balancer's health probe must never be
# refused.
NOT_PAGES = ("/api/", "/admin/", "/healthz")
# RFC 8058's one-click unsubscribe: mail providers POST it from a few servers for all
# their users, and a refused one would leave a reader subscribed. The signed token in
# the URL is its authority, and a repeat changes nothing.
ONE_CLICK_UNSUBSCRIBE = "/subscriptions/unsubscribe/"


class PageRateLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path.startswith((*NOT_PAGES, settings.STATIC_URL)) or (
            request.method == "POST" and path.startswith(ONE_CLICK_UNSUBSCRIBE)
        ):
            return self.get_response(request)
        allowed, retry_after = NewsroomRateThrottle().count(
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
