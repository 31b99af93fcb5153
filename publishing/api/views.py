"""claims/ endpoints of /api/v1/. They read only Publication and ChangeEvent rows (and
the small rating, topic and claimant tables): a page is one indexed query and string
joining, and a poll that matches its ETag is answered 304 before anything is read."""

import hashlib
import json
from functools import wraps
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Subquery
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.decorators import method_decorator
from django.utils.http import http_date, quote_etag, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import condition
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from claims.models import Claimant, Rating, Topic
from factcheck.api import ALLOW_EMPTY, ErrorSerializer, Gone, PublicAutoSchema
from factcheck.converters import MAX_BIGINT
from publishing.api import serializers as s
from publishing.api.filters import PublicationFilter
from publishing.api.pagination import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    IdCursorPagination,
    SlugCursorPagination,
    page_size_from,
    whole_number,
)
from publishing.changelog import last_sequenced
from publishing.models import ChangeEvent, Publication
from publishing.public.selectors import withdrawal_get

JSON = "application/json"
ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Bad input."),
    401: OpenApiResponse(ErrorSerializer, description="Bad or missing token."),
    403: OpenApiResponse(ErrorSerializer, description="The token lacks the scope."),
    429: OpenApiResponse(ErrorSerializer, description="Rate limited; see Retry-After."),
}
NOT_MODIFIED = OpenApiResponse(description="Not modified since the ETag sent.")
NOT_FOUND = OpenApiResponse(ErrorSerializer, description="Nothing published under this key.")
WITHDRAWN = OpenApiResponse(
    s.WithdrawnSerializer,
    description="Published, then withdrawn: code `withdrawn`, the public reason and when.",
)
HEADER = OpenApiParameter.HEADER
# What a poller sends and gets back (docs/api.md walks through it).
POLLING = [
    OpenApiParameter(
        "If-None-Match", str, HEADER, description="The ETag you have: 304 if nothing changed."
    ),
    OpenApiParameter(
        "ETag", str, HEADER, response=[200, 304], required=True, description="Strong validator."
    ),
    OpenApiParameter(
        "Last-Modified",
        str,
        HEADER,
        response=[200, 304],
        description="HTTP date of the newest change (absent while nothing is published).",
    ),
]
# Every answer says how shared caches may keep it; never across two tokens.
CACHING = [
    OpenApiParameter("Cache-Control", str, HEADER, response=[200, 304], required=True),
    OpenApiParameter("Vary", str, HEADER, response=True, required=True),
    OpenApiParameter(
        "Retry-After", int, HEADER, response=[429], required=True, description="Seconds to wait."
    ),
]


def _page_size(most: int, default: int) -> OpenApiParameter:
    # No `maximum`: more than `most` is served as `most`, not refused, and the schema
    # says what the server does (a client asking for 500 gets a page, of `most`).
    return OpenApiParameter(
        "page_size",
        {"type": "integer", "minimum": 1},
        description=f"Results per page (default {default}): 1 or more; more is served as {most}.",
        extensions=ALLOW_EMPTY,
    )


CURSOR = OpenApiParameter("cursor", str, description="Opaque: copy it from `next` or `previous`.")


class JSONOnlyNegotiation(BaseContentNegotiation):
    """Every endpoint here answers JSON (JSON-LD for ClaimReview, built by the view), so
    there is nothing to negotiate: DRF's Accept parsing cost more than a 304's query."""

    def select_parser(self, request: Request, parsers: list) -> Any:
        return parsers[0]

    def select_renderer(self, request: Request, renderers: list, format_suffix=None):
        return renderers[0], renderers[0].media_type


class PublicAPIView(APIView):
    """What the public endpoints share: refuse unusable query strings before any query,
    and let shared caches keep answers but never across two tokens."""

    content_negotiation_class = JSONOnlyNegotiation

    schema = PublicAutoSchema()

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        for key, value in request.query_params.lists():
            # PostgreSQL cannot store or compare NUL characters: a clear 400, not a 500.
            if "\x00" in key or any("\x00" in v for v in value):
                raise ValidationError(
                    {key.replace("\x00", ""): ["NUL characters are not allowed."]}
                )
        # Before If-None-Match is weighed: a 304 stands only for a 200, so bad input is a
        # 400 even when the validators match (RFC 9110 13.2.1). Only for a method the
        # view has: any other is a 405, whatever the query says.
        if request.method in ("GET", "HEAD"):
            self.check_query(request)

    def check_query(self, request: Request) -> None:
        """Refuse bad query parameters (ValidationError); views with any override it."""

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any):
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method in ("GET", "HEAD") and response.status_code in (200, 304):
            visibility = {"public": True} if settings.FACTCHECK_PUBLIC_API else {"private": True}
            patch_cache_control(response, max_age=settings.FACTCHECK_API_MAX_AGE, **visibility)
        patch_vary_headers(response, ["Authorization"])
        return response


def _hash(*parts: Any) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:32]


# --- Validators for polling ----------------------------------------------------------
# Every change to what the list and the log show is a numbered change event, so the
# newest number (one indexed query) stands for all of it: no publication is read to
# answer a matching If-None-Match.


def _log_state(request: Request) -> tuple[int, Any]:
    if not hasattr(request, "_factcheck_log_state"):
        request._factcheck_log_state = last_sequenced()
    return request._factcheck_log_state


def _log_etag(request: Request, *args: Any, **kwargs: Any) -> str:
    seq, _when = _log_state(request)
    return _hash(request.path, seq, request.META.get("QUERY_STRING", ""))


def _log_last_modified(request: Request, *args: Any, **kwargs: Any):
    return _log_state(request)[1]


def _detail_row(request: Request, pk: int) -> tuple[str, Any] | None:
    """The validators of one fact-check: (etag, updated_at), without the document, so
    a matching poll is answered from the small columns alone."""
    if not hasattr(request, "_factcheck_row"):
        request._factcheck_row = (
            Publication.objects.filter(claim_id=pk).values_list("etag", "updated_at").first()
        )
    return request._factcheck_row


def _stored(request: Request, pk: int, field: str) -> str:
    """The stored document or ClaimReview of a published fact-check; otherwise a 410
    for a withdrawn one, a 404 for anything else."""
    if _detail_row(request, pk) is None:
        raise _unpublished(pk)
    text = Publication.objects.filter(claim_id=pk).values_list(field, flat=True).first()
    if text is None:  # withdrawn between the two queries
        raise _unpublished(pk)
    return text


def _unpublished(pk: int) -> Exception:
    """Why there is no publication: read only once there is none, so the published
    path runs no query more."""
    withdrawal = withdrawal_get(pk)
    if withdrawal is None:
        return Http404()
    return Gone(
        _("This fact-check has been withdrawn."),
        code="withdrawn",
        extra={"reason": withdrawal.reason or None, "withdrawn_at": withdrawal.at.isoformat()},
    )


def _detail_etag(request: Request, pk: int, suffix: str = "") -> str | None:
    row = _detail_row(request, pk)
    return row[0] + suffix if row else None


def _detail_last_modified(request: Request, pk: int):
    row = _detail_row(request, pk)
    return row[1] if row else None


poll_conditions = method_decorator(
    condition(etag_func=_log_etag, last_modified_func=_log_last_modified), name="get"
)

CONDITIONAL = (
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_MATCH",
    "HTTP_IF_UNMODIFIED_SINCE",
)


def _page_conditions(view):
    """`condition` for the list, one statement fewer when the request is not
    conditional: then nothing can be answered 304 or 412, so the log state is read by
    the page query itself (`_log_columns`) and the validators are set from it after."""
    conditional = condition(etag_func=_log_etag, last_modified_func=_log_last_modified)(view)

    @wraps(view)
    def inner(request, *args: Any, **kwargs: Any) -> HttpResponse:
        if any(header in request.META for header in CONDITIONAL):
            return conditional(request, *args, **kwargs)
        response = view(request, *args, **kwargs)
        if request.method in ("GET", "HEAD") and response.status_code == 200:
            response.headers["ETag"] = quote_etag(_log_etag(request))
            if when := _log_last_modified(request):
                response.headers["Last-Modified"] = http_date(int(when.timestamp()))
        return response

    return inner


def _log_columns() -> dict[str, Subquery]:
    newest = ChangeEvent.objects.filter(seq__isnull=False).order_by("-seq")
    return {
        "log_seq": Subquery(newest.values("seq")[:1]),
        "log_at": Subquery(newest.values("sequenced_at")[:1]),
    }


def _json(body: str, status: int = 200, content_type: str = JSON) -> HttpResponse:
    return HttpResponse(body.encode(), status=status, content_type=content_type)


# --- Fact-checks ---------------------------------------------------------------------


@method_decorator(_page_conditions, name="get")
class ClaimListView(PublicAPIView):
    """Published fact-checks, newest first publication first."""

    pagination = IdCursorPagination

    def check_query(self, request: Request) -> None:
        # Validation only: a poll answered 304 builds no query at all.
        self.filterset = _filterset(request)
        self.paginator = self.pagination()
        page_size_from(request.query_params)
        self.paginator.decode_cursor(request)

    @extend_schema(
        operation_id="claims_list",
        summary="List published fact-checks",
        description="Newest first publication first; cursor-paginated. Poll with If-None-Match.",
        parameters=[
            OpenApiParameter("rating", str, description="A rating slug, e.g. false."),
            OpenApiParameter("claimant", str, description="A claimant slug."),
            OpenApiParameter("topic", str, description="A topic slug."),
            OpenApiParameter("language", str, description="A BCP 47 tag, e.g. en."),
            OpenApiParameter("q", str, description="Full-text search."),
            OpenApiParameter(
                "updated_since",
                OpenApiTypes.DATETIME,
                description="ISO 8601 date-time; empty means no filter.",
                extensions=ALLOW_EMPTY,
            ),
            CURSOR,
            _page_size(MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE),
            *POLLING,
            *CACHING,
        ],
        responses={200: s.FactCheckPageSerializer, 304: NOT_MODIFIED, **ERRORS},
    )
    def get(self, request: Request) -> HttpResponse:
        paginator = self.paginator
        page = paginator.paginate_queryset(_rows(self.filterset), request, view=self)
        next_link = json.dumps(paginator.get_next_link())
        previous_link = json.dumps(paginator.get_previous_link())
        if page and not hasattr(request, "_factcheck_log_state"):
            request._factcheck_log_state = (page[0]["log_seq"] or 0, page[0]["log_at"])
        results = ",".join(p["document"] for p in page)
        body = f'{{"next":{next_link},"previous":{previous_link},"results":[{results}]}}'

        return _json(body)


# Query parameters that page rather than filter.
PAGING = frozenset({"cursor", "page_size"})


def _filterset(request: Request) -> PublicationFilter | None:
    """The validated filters, or None when the query only pages: then the FilterSet is
    not built at all, as its form costs more than the page query (docs/BENCHMARKS.md).
    Bad filter values raise ValidationError (a 400)."""
    if PAGING.issuperset(request.query_params.keys()):
        return None
    filterset = PublicationFilter(request.query_params, queryset=Publication.objects.all())
    if not filterset.is_valid():
        raise ValidationError(filterset.errors)
    return filterset


def _rows(filterset: PublicationFilter | None):
    """The publications asked for, as {id, document} dicts: the cursor reads the id
    from a dict as from a model, and a page of 50 skips building 50 models. Each row
    carries the newest change number too (one statement for the page and its ETag:
    `_page_conditions`)."""
    rows = Publication.objects.values("id", "document", **_log_columns())
    return rows if filterset is None else filterset.filter_queryset(rows)


@method_decorator(
    condition(etag_func=_detail_etag, last_modified_func=_detail_last_modified), name="get"
)
class ClaimDetailView(PublicAPIView):
    @extend_schema(
        operation_id="claims_retrieve",
        summary="One published fact-check",
        description=(
            "With its evidence, corrections and every published version, each with its "
            "hash. A withdrawn fact-check answers 410 with the public reason."
        ),
        parameters=[*POLLING, *CACHING],
        responses={
            200: s.FactCheckSerializer,
            304: NOT_MODIFIED,
            404: NOT_FOUND,
            410: WITHDRAWN,
            **ERRORS,
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        return _json(_stored(request, pk, "document"))


def _claimreview_etag(request: Request, pk: int) -> str | None:
    return _detail_etag(request, pk, suffix="-cr")


@method_decorator(
    condition(etag_func=_claimreview_etag, last_modified_func=_detail_last_modified), name="get"
)
class ClaimReviewView(PublicAPIView):
    @extend_schema(
        operation_id="claims_claimreview",
        summary="The fact-check's ClaimReview",
        description="schema.org ClaimReview as JSON-LD, as embedded in the public page.",
        parameters=[*POLLING, *CACHING],
        responses={
            (200, "application/ld+json"): OpenApiResponse(
                OpenApiTypes.OBJECT, description="schema.org ClaimReview (JSON-LD)."
            ),
            304: NOT_MODIFIED,
            404: NOT_FOUND,
            410: WITHDRAWN,
            **ERRORS,
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        return _json(_stored(request, pk, "claimreview"), content_type="application/ld+json")


# --- The change log ------------------------------------------------------------------

MAX_CHANGES = 1000
# What an entry of the log carries, in the order it is written.
CHANGE_COLUMNS = (
    "seq", "type", "claim_id", "at", "content_hash", "previous_hash", "reason", "document"
)  # fmt: skip


@poll_conditions
class ChangeListView(PublicAPIView):
    """Every publish, correction and withdrawal after `after`, in sequence order."""

    def check_query(self, request: Request) -> None:
        self.after = whole_number(request.query_params.get("after", "0"), "after")
        self.size = page_size_from(request.query_params, default=100, most=MAX_CHANGES)

    @extend_schema(
        operation_id="changes_list",
        summary="The change log",
        description=(
            "Every publish, correction and withdrawal after `after`, in sequence order. "
            "Follow `next` to see each change once, in order."
        ),
        parameters=[
            OpenApiParameter(
                "after",
                {"type": "integer", "format": "int64", "minimum": 0, "maximum": MAX_BIGINT},
                description="The last seq you have; 0 at first.",
            ),
            _page_size(MAX_CHANGES, 100),
            *POLLING,
            *CACHING,
        ],
        responses={200: s.ChangePageSerializer, 304: NOT_MODIFIED, **ERRORS},
    )
    def get(self, request: Request) -> HttpResponse:
        after, size = self.after, self.size
        events = list(
            ChangeEvent.objects.filter(seq__gt=after)
            .order_by("seq")
            .values_list(*CHANGE_COLUMNS)[:size]
        )
        last_seq, _when = _log_state(request)
        next_after = events[-1][0] if events else after
        next_url = request.build_absolute_uri(
            request.path + "?" + urlencode({"after": next_after, "page_size": size})
        )
        items = ",".join(
            f'{{"seq":{seq},"type":{json.dumps(kind)},"claim_id":{claim_id},'
            f'"at":{json.dumps(at.isoformat())},"content_hash":{_text_or_null(content)},'
            f'"previous_hash":{_text_or_null(previous)},"reason":{_text_or_null(reason)},'
            f'"document":{doc or "null"}}}'
            for seq, kind, claim_id, at, content, previous, reason, doc in events
        )
        newest = max(last_seq, next_after)
        body = f'{{"results":[{items}],"last_seq":{newest},"next":{json.dumps(next_url)}}}'

        return _json(body)


def _text_or_null(text: str) -> str:
    """A JSON string, or null for the empty string the columns hold for "none"."""
    return json.dumps(text, ensure_ascii=False) if text else "null"


# --- Claimants, ratings, topics ------------------------------------------------------


def _claimant_rows(claimants: list[Claimant], request: Request) -> list[dict]:
    counts: dict[str, dict[str, int]] = {c.slug: {} for c in claimants}
    rows = (
        Publication.objects.filter(claimant__in=counts)
        .values_list("claimant", "rating")
        .annotate(n=Count("id"))
    )
    for claimant, rating, n in rows:
        counts[claimant][rating] = n
    list_url = request.build_absolute_uri(reverse("api-claim-list"))
    return [
        {
            "name": c.name,
            "slug": c.slug,
            "description": c.description,
            "kind": c.kind,
            "same_as": c.same_as or None,
            "fact_checks": sum(counts[c.slug].values()),
            "track_record": counts[c.slug],
            "claims_url": f"{list_url}?{urlencode({'claimant': c.slug})}",
        }
        for c in claimants
    ]


def _public_claimants():
    # Only claimants with a published fact-check: listing the others would reveal
    # what is being checked before anything is published.
    published = Publication.objects.filter(claimant=OuterRef("slug"))
    return Claimant.objects.filter(Exists(published))


class ClaimantListView(PublicAPIView):
    @extend_schema(
        operation_id="claimants_list",
        summary="Claimants with their track record",
        description="Only claimants with a published fact-check, by slug.",
        parameters=[CURSOR, _page_size(MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE), *CACHING],
        responses={200: s.ClaimantPageSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        paginator = SlugCursorPagination()
        page = paginator.paginate_queryset(_public_claimants(), request, view=self)
        return Response(
            {
                "next": paginator.get_next_link(),
                "previous": paginator.get_previous_link(),
                "results": _claimant_rows(page, request),
            }
        )


class ClaimantDetailView(PublicAPIView):
    @extend_schema(
        operation_id="claimants_retrieve",
        summary="One claimant with its track record",
        description="Published fact-checks of the claimant, counted per rating slug.",
        parameters=[*CACHING],
        responses={200: s.ClaimantSerializer, 404: NOT_FOUND, **ERRORS},
    )
    def get(self, request: Request, slug: str) -> Response:
        claimant = get_object_or_404(_public_claimants(), slug=slug)
        return Response(_claimant_rows([claimant], request)[0])


class RatingListView(PublicAPIView):
    @extend_schema(
        operation_id="ratings_list",
        summary="The rating scale",
        description="Every rating in the scale's order; Unverifiable has no value.",
        parameters=[*CACHING],
        responses={200: s.RatingListSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        ratings = s.RatingSerializer(Rating.objects.all(), many=True).data
        return Response({"results": ratings})


class TopicListView(PublicAPIView):
    @extend_schema(
        operation_id="topics_list",
        summary="The topics",
        description="The topics fact-checks are filed under, by slug.",
        parameters=[*CACHING],
        responses={200: s.TopicListSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        return Response({"results": s.TopicSerializer(Topic.objects.all(), many=True).data})
