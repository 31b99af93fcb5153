"""Newsroom bearer tokens: `Authorization: Bearer <token>`, never in a query string."""

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from newsrooms.models import NewsroomToken
from newsrooms.selectors import looks_like_token, token_for_key
from newsrooms.services import token_touch

# Query parameters that look like someone put a credential in the URL, where it ends up
# in proxy logs, browser history and Referer headers.
CREDENTIAL_PARAMETERS = frozenset({"token", "access_token", "api_key", "apikey", "key", "bearer"})


class TokenInQueryString(exceptions.AuthenticationFailed):
    default_code = "token_in_query"


class NewsroomTokenAuthentication(BaseAuthentication):
    """Authenticates a newsroom; `request.user` stays None (no Django user behind an
    API request) and `request.auth` is the NewsroomToken."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[None, NewsroomToken] | None:
        self._refuse_query_credentials(request)
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("Give the token as: Authorization: Bearer <token>.")
            )
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        token = token_for_key(key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token: unknown, expired or revoked."))
        token_touch(token=token)
        return None, token

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) with this challenge when a token is missing.
        return f'{self.keyword} realm="api"'

    def _refuse_query_credentials(self, request: Request) -> None:
        for name, values in request.query_params.lists():
            if name.lower() in CREDENTIAL_PARAMETERS or any(map(looks_like_token, values)):
                raise TokenInQueryString(
                    _(
                        "Tokens are not accepted in the query string. "
                        "Send them in the header Authorization: Bearer <token>."
                    )
                )
