"""Who may read and who may submit."""

from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

if TYPE_CHECKING:
    from rest_framework.views import APIView

from newsrooms.models import NewsroomToken, TokenScope


def _token(request: Request) -> NewsroomToken | None:
    return request.auth if isinstance(request.auth, NewsroomToken) else None


class PublicReadOrToken(BasePermission):
    """Reads are open to everyone while FACTCHECK_PUBLIC_API is on (read per request,
    so it can be switched without a code change); otherwise they need a `read` token.
    Writes need a token; views that accept writes name their own permission.
    Without a token DRF answers 401, with a token lacking the scope 403."""

    message = _("This token does not have the 'read' scope.")

    def has_permission(self, request: Request, view: "APIView") -> bool:
        token = _token(request)
        if request.method in SAFE_METHODS:
            return settings.FACTCHECK_PUBLIC_API or bool(token and token.has_scope(TokenScope.READ))
        return token is not None


class HasSubmitScope(BasePermission):
    message = _("This token does not have the 'submit' scope.")

    def has_permission(self, request: Request, view: "APIView") -> bool:
        token = _token(request)
        return bool(token and token.has_scope(TokenScope.SUBMIT))


class AnyoneOrToken(BasePermission):
    """Open to everyone, with or without a token (of any scope): subscribing to digests
    is something a reader does too. A token that is sent must still be valid (the
    authentication answers 401 otherwise) and attaches its newsroom."""

    def has_permission(self, request: Request, view: "APIView") -> bool:
        return True
