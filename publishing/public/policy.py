"""Public pages of the publishing app: the policy pages and the corrections log.

Thin views over `publishing.selectors`; they extend the fact-check pages' layout
(`public/base.html`), whose footer links every page here.
"""

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from publishing import selectors
from publishing.models import PolicyKind

PAGE_SIZE = 20
# Longer than any sequence number a PositiveBigIntegerField holds: not a cursor.
MAX_CURSOR_DIGITS = 18


def _page(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    return render(request, template, {"org_name": settings.FACTCHECK_ORG_NAME, **context})


def _before(request: HttpRequest) -> int | None:
    """The cursor of an "older" link; anything else starts at the newest. ASCII digits
    only: str.isdigit() accepts "²", which int() refuses."""
    value = request.GET.get("before", "")
    if value.isascii() and value.isdigit() and len(value) <= MAX_CURSOR_DIGITS:
        return int(value)
    return None


def _policy_page(request: HttpRequest, kind: PolicyKind) -> HttpResponse:
    page = selectors.policy_page_get(kind)
    if page is None:
        raise Http404
    return _page(request, "publishing/policy_page.html", {"page": page})


def about(request: HttpRequest) -> HttpResponse:
    return _policy_page(request, PolicyKind.ABOUT)


def methodology(request: HttpRequest) -> HttpResponse:
    return _policy_page(request, PolicyKind.METHODOLOGY)


def corrections_policy(request: HttpRequest) -> HttpResponse:
    return _policy_page(request, PolicyKind.CORRECTIONS_POLICY)


def corrections_log(request: HttpRequest) -> HttpResponse:
    before = _before(request)
    rows = selectors.corrections_latest(before=before, limit=PAGE_SIZE + 1)
    entries = rows[:PAGE_SIZE]
    older = None
    if len(rows) > PAGE_SIZE:
        older = "?" + urlencode({"before": entries[-1].seq})
    return _page(
        request,
        "publishing/corrections.html",
        {
            "entries": entries,
            "older_url": older,
            "newest_url": reverse("corrections-log") if before is not None else None,
        },
    )
