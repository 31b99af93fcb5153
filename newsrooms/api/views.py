"""submissions/ and subscriptions/ of /api/v1/: a newsroom asks for a claim to be checked,
then follows it; anyone subscribes an address to email digests."""

import string
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from factcheck.api import ErrorSerializer
from newsrooms.api.permissions import AnyoneOrToken, HasSubmitScope
from newsrooms.api.serializers import (
    SubmissionRequestSerializer,
    SubmissionSerializer,
    SubscriptionAcceptedSerializer,
    SubscriptionRequestSerializer,
)
from newsrooms.models import NewsroomToken, Submission
from newsrooms.selectors import submission_for_newsroom, submission_status
from newsrooms.services import IdempotencyMismatch, submission_create
from newsrooms.subscriptions import subscription_create

IDEMPOTENCY_KEY_MAX = 255
_KEY_CHARACTERS = frozenset(string.printable) - frozenset("\t\n\r\x0b\x0c")

ERRORS = {
    401: OpenApiResponse(ErrorSerializer, description="Bad or missing token."),
    403: OpenApiResponse(ErrorSerializer, description="The token lacks the submit scope."),
    429: OpenApiResponse(ErrorSerializer, description="Rate limited; see Retry-After."),
}


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_mismatch"


def _idempotency_key(request: Request) -> str:
    key = request.headers.get("Idempotency-Key", "")
    if len(key) > IDEMPOTENCY_KEY_MAX or not set(key) <= _KEY_CHARACTERS:
        raise exceptions.ValidationError(
            {
                "Idempotency-Key": [
                    _("At most %(max)d printable ASCII characters.") % {"max": IDEMPOTENCY_KEY_MAX}
                ]
            }
        )
    return key.strip()


def _answer(request: Request, submission: Submission, *, first: bool) -> dict[str, Any]:
    """The submission as the newsroom sees it. `first`: the answer to the POST that
    created it (a received claim), the same on every retry with its Idempotency-Key."""
    state = None if first else submission_status(submission)
    path = reverse("api-submission-detail", kwargs={"pk": submission.pk})
    return {
        "id": submission.pk,
        "status": "received" if first else state.status,
        "status_url": request.build_absolute_uri(path),
        "created_at": submission.created_at,
        "fact_check": None if first else state.fact_check,
        "reason": None if first else state.reason,
        "duplicate_status": None if first else state.duplicate_status,
    }


class SubmissionCreateView(APIView):
    permission_classes = [HasSubmitScope]

    @extend_schema(
        operation_id="submissions_create",
        summary="Ask for a claim to be checked",
        description=(
            "Needs a token with the `submit` scope. Answers 202 with the submission's "
            "status URL (also in `Location`). With an `Idempotency-Key` header, a "
            "retried POST with the same body gets the first answer and creates nothing; "
            "the same key with another body gets 422."
        ),
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                # What _idempotency_key accepts, so clients (and schemathesis) know it.
                {"type": "string", "maxLength": IDEMPOTENCY_KEY_MAX, "pattern": "^[ -~]*$"},
                OpenApiParameter.HEADER,
                description="Any unique string up to 255 printable ASCII characters.",
            ),
            # Set by post() below: the schema says so, so clients and schemathesis
            # can rely on it.
            OpenApiParameter(
                "Location",
                OpenApiTypes.URI,
                OpenApiParameter.HEADER,
                response=[202],
                required=True,
                description="The submission's status URL, as `status_url`.",
            ),
        ],
        request=SubmissionRequestSerializer,
        responses={
            202: SubmissionSerializer,
            400: OpenApiResponse(ErrorSerializer, description="Bad input; nothing written."),
            415: OpenApiResponse(ErrorSerializer, description="The body is not JSON."),
            422: OpenApiResponse(
                ErrorSerializer, description="Idempotency-Key reused with another body."
            ),
            **ERRORS,
        },
    )
    def post(self, request: Request) -> Response:
        key = _idempotency_key(request)
        serializer = SubmissionRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            result = submission_create(
                newsroom=request.auth.newsroom,
                text=data["claim"],
                claimant=data["claimant"],
                url=data["url"],
                claim_date=data.get("claim_date"),
                language=data.get("language", ""),
                note=data.get("note", ""),
                idempotency_key=key,
            )
        except IdempotencyMismatch as exc:
            raise IdempotencyKeyReused(str(exc)) from None
        body = _answer(request, result.submission, first=True)
        return Response(
            SubmissionSerializer(body).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": body["status_url"]},
        )


class SubmissionDetailView(APIView):
    permission_classes = [HasSubmitScope]

    @extend_schema(
        operation_id="submissions_retrieve",
        summary="What became of a submission",
        description=(
            "Only the newsroom that submitted it sees it. `published` comes with the "
            "fact-check; `duplicate` with the status and fact-check of the claim it "
            "was merged into; `rejected` and `withdrawn` with the public reason."
        ),
        responses={
            200: SubmissionSerializer,
            404: OpenApiResponse(ErrorSerializer, description="No such submission."),
            **ERRORS,
        },
    )
    def get(self, request: Request, pk: int) -> Response:
        submission = submission_for_newsroom(newsroom=request.auth.newsroom, submission_id=pk)
        if submission is None:
            raise exceptions.NotFound()
        return Response(SubmissionSerializer(_answer(request, submission, first=False)).data)


# --- subscriptions/ -------------------------------------------------------------------


class SubscriptionCreateView(APIView):
    permission_classes = [AnyoneOrToken]

    @extend_schema(
        operation_id="subscriptions_create",
        summary="Subscribe an address to email digests of verdicts",
        description=(
            "No token needed; with a newsroom token (any scope) the subscription belongs "
            "to that newsroom. The address gets one email with a confirmation link; "
            "nothing else is sent until it is confirmed. An address has at most one "
            "unconfirmed subscription: signing it up again changes that one's settings, "
            "and sends the link again only after `FACTCHECK_CONFIRM_RESEND_AFTER` "
            "seconds, at most `FACTCHECK_CONFIRM_DAILY_MAX` times a day. The answer is "
            "the same 202 whatever the address's state, so nobody learns whether it is "
            "subscribed. Filters are slugs as in `topics/`, `claimants/` and `ratings/`; "
            "an empty list means any."
        ),
        request=SubscriptionRequestSerializer,
        responses={
            202: SubscriptionAcceptedSerializer,
            400: OpenApiResponse(
                ErrorSerializer, description="Bad input or an unknown slug; nothing written."
            ),
            401: OpenApiResponse(ErrorSerializer, description="A bad token was sent."),
            415: OpenApiResponse(ErrorSerializer, description="The body is not JSON."),
            429: ERRORS[429],
        },
    )
    def post(self, request: Request) -> Response:
        serializer = SubscriptionRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token = request.auth if isinstance(request.auth, NewsroomToken) else None
        subscription_create(**serializer.validated_data, newsroom=token and token.newsroom)
        body = {
            "status": "confirmation_sent",
            "detail": _(
                "If the address can receive email, a message with a confirmation link is "
                "on its way. Nothing is sent until the link is used."
            ),
        }
        return Response(SubscriptionAcceptedSerializer(body).data, status=status.HTTP_202_ACCEPTED)
