"""Public pages: the fact-checks as people read them.

Thin views over `publishing.public.selectors`; every page reads the read model only (see
that module), so what a page shows is exactly what was published.
"""

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

from publishing.public.selectors import (
    FactCheck,
    FactCheckFilters,
    factcheck_get,
    factchecks_latest,
    withdrawal_get,
)

PAGE_SIZE = 20

# What Django's json_script escapes: inside a <script> element the HTML parser ends
# the element at "</script" whatever the JSON means, so "<", ">" and "&" are written
# as JSON escapes. The text still parses to exactly the stored ClaimReview.
_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def script_safe_json(text: str) -> SafeString:
    return mark_safe(text.translate(_SCRIPT_ESCAPES))  # noqa: S308 (escaped above)


def _page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200):
    context = {"org_name": settings.FACTCHECK_ORG_NAME, **context}
    return render(request, template, context, status=status)


def _before(request: HttpRequest) -> int | None:
    """The cursor of an "older" link; anything else starts at the newest."""
    value = request.GET.get("before", "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None


def _filter_names(filters: dict[str, str], entries: list[FactCheck]) -> dict[str, str]:
    """Names of the filtered topic and claimant, from the documents shown (the pages
    read nothing but publications); the slug when nothing matched."""
    names = dict(filters)
    if entries and "claimant" in filters:
        names["claimant"] = entries[0].document["claimant"]["name"]
    if entries and "topic" in filters:
        names["topic"] = next(
            (t["name"] for t in entries[0].document["topics"] if t["slug"] == filters["topic"]),
            filters["topic"],
        )
    return names


def factcheck_index(request: HttpRequest) -> HttpResponse:
    given = FactCheckFilters.from_query(request.GET)
    filters = given.as_dict()
    rows = factchecks_latest(filters=given, before=_before(request), limit=PAGE_SIZE + 1)
    entries = rows[:PAGE_SIZE]
    query = given.query()
    older = None
    if len(rows) > PAGE_SIZE:
        older = "?" + urlencode({**filters, "before": entries[-1].publication.pk})
    return _page(
        request,
        "public/index.html",
        {
            "entries": entries,
            "filters": _filter_names(filters, entries),
            "older_url": older,
            "newest_url": reverse("factcheck-index") + query if _before(request) else None,
            "feed_query": query,
        },
    )


def factcheck_detail(request: HttpRequest, pk: int, slug: str = "") -> HttpResponse:
    found = factcheck_get(pk)
    if found is None:
        return _gone_or_missing(request, pk)
    factcheck, claimreview = found
    if slug != factcheck.publication.slug:
        return HttpResponsePermanentRedirect(factcheck.path)
    language = factcheck.document["language"]
    # The page speaks the fact-check's language: <html lang> and, where we have a
    # translation for it, the labels around the content.
    with translation.override(language):
        return _page(
            request,
            "public/detail.html",
            {
                "factcheck": factcheck,
                "fc": factcheck.document,
                "page_language": language,
                "claimreview_json": script_safe_json(claimreview),
            },
        )


def _gone_or_missing(request: HttpRequest, pk: int) -> HttpResponse:
    withdrawal = withdrawal_get(pk)
    if withdrawal is None:
        raise Http404
    return _page(
        request,
        "public/withdrawn.html",
        {"reason": withdrawal.reason, "index_url": reverse("factcheck-index")},
        status=410,
    )
