"""What every endpoint of /api/v1/ shares: the one error format and its schema (the
JSON parser is factcheck/api_parsers.py).

Errors are `{"error": {"code": ..., "message": ..., "fields": {...}}}` with a 4xx
status, whatever raised them: DRF's own exceptions, validation errors, Http404, a
workflow refusal, an unknown URL under /api/, a body over the size limit or nested too
deep, and what Django refuses before a view runs (a Host not served, too many
parameters). A bug is a 500 in the same format (`handler500`).
"""

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import patch_vary_headers
from django.views import defaults
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from factcheck.errors import DomainError

# The status a workflow refusal maps to, by its code.
_WORKFLOW_STATUS = {
    "invalid": status.HTTP_400_BAD_REQUEST,
    "forbidden": status.HTTP_403_FORBIDDEN,
    "four_eyes": status.HTTP_403_FORBIDDEN,
    "illegal_transition": status.HTTP_409_CONFLICT,
}


def error_body(
    code: str,
    message: str,
    fields: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict:
    """The one error format; `extra` adds keys that an error code documents (a
    withdrawal's `reason` and `withdrawn_at`)."""
    return {"error": {"code": code, "message": message, "fields": fields or {}, **(extra or {})}}


class Gone(exceptions.APIException):
    """410: something that was public was taken down on purpose. `extra` is what the
    public may know of why, added to the error object as documented keys."""

    status_code = status.HTTP_410_GONE
    default_detail = "Gone."
    default_code = "gone"

    def __init__(self, detail: str, *, code: str, extra: dict[str, Any]) -> None:
        super().__init__(detail, code)
        self.extra = extra


def _flatten(detail: Any) -> dict[str, list[str]]:
    """DRF's nested error detail as {field: [messages]}; nested fields get dotted names."""
    out: dict[str, list[str]] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list) and value and not isinstance(value[0], str):
            for index, inner in enumerate(value):
                walk(f"{prefix}.{index}" if prefix else str(index), inner)
        else:
            messages = value if isinstance(value, list) else [value]
            out.setdefault(prefix or "non_field_errors", []).extend(str(m) for m in messages)

    walk("", detail)
    return out


def _refusal(exc: Exception) -> tuple[dict, int]:
    """What Django refuses (SuspiciousOperation, whose detail it logs under
    django.security, or BadRequest), as the error body and status: a body over
    DATA_UPLOAD_MAX_MEMORY_SIZE is a 413, the rest (too many parameters, a Host not
    served, ...) a 400."""
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        message = f"The request body is larger than {limit} bytes."
        return error_body("too_large", message), status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    return error_body("bad_request", "The request is malformed."), status.HTTP_400_BAD_REQUEST


def exception_handler(exc: Exception, context: dict) -> Response | None:
    # Not here: what Django refuses as suspicious (a body too large, too many fields)
    # goes on to Django, which logs it under django.security and answers with
    # handler400 (`bad_request` below).
    if isinstance(exc, DomainError):
        return Response(
            error_body(exc.code, exc.message, exc.fields),
            status=_WORKFLOW_STATUS.get(exc.code, status.HTTP_400_BAD_REQUEST),
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real bug: Django's 500 handling takes over
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        message = "The request is not valid."
        if list(fields) == ["non_field_errors"]:
            message = fields["non_field_errors"][0]
        response.data = error_body("invalid", message, fields)
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        response.data = error_body(
            code if isinstance(code, str) else "error",
            str(detail),
            extra=getattr(exc, "extra", None),
        )
    return response


def _json_error(body: dict, code: int) -> JsonResponse:
    response = JsonResponse(body, status=code)
    # Like every API answer (publishing.api.views.PublicAPIView): caches key on the token.
    patch_vary_headers(response, ["Authorization"])
    return response


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """An unknown URL under /api/ answers in the API's error format."""
    return _json_error(error_body("not_found", "Not found."), 404)


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400: what Django refuses outside a view (a Host not served) or a view did
    not catch. Under /api/ in the error format; elsewhere Django's own page."""
    if not _is_api(request):
        return defaults.bad_request(request, exception)
    return _json_error(*_refusal(exception))


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a bug. Under /api/ in the error format, without any detail of it."""
    if not _is_api(request):
        return defaults.server_error(request)
    return _json_error(error_body("server_error", "Something went wrong on our side."), 500)


ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "error": inline_serializer(
            name="ErrorDetail",
            fields={
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "fields": serializers.DictField(
                    child=serializers.ListField(child=serializers.CharField()),
                    help_text="The messages per input field; empty when no field is to blame.",
                ),
            },
        )
    },
)


# Marks a query parameter whose empty value means "not given" (`?page_size=` is the
# default size, `?updated_since=` no filter); PublicAutoSchema turns it into OpenAPI's
# allowEmptyValue, which drf-spectacular's OpenApiParameter cannot express.
ALLOW_EMPTY = {"x-allow-empty": True}


class PublicAutoSchema(AutoSchema):
    def _get_parameters(self) -> list[dict]:
        parameters = super()._get_parameters()
        for parameter in parameters:
            if parameter.pop("x-allow-empty", False):
                parameter["allowEmptyValue"] = True
        return parameters
