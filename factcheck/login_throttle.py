"""Login throttling (django-axes; docs/security.md, "Login throttling"): the address a
login attempt is counted against, and the page a locked-out login gets."""

import ipaddress
import math

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from factcheck.ratelimit import client_ip


def client_address(request: HttpRequest) -> str | None:
    """The API's client address (X-Forwarded-For only through trusted proxies). Falls
    back to the socket's address when a proxy passed on something that is no address:
    the address column would refuse it, and failures must still count somewhere."""
    for candidate in (client_ip(request), request.META.get("REMOTE_ADDR", "")):
        try:
            return str(ipaddress.ip_address(candidate.strip()))
        except ValueError:
            continue
    return None


class StorableAxesHandler(AxesDatabaseHandler):
    """axes' database handler, with the request headers it stores made storable:
    PostgreSQL refuses NUL in text, and a header with one (which no real HTTP server
    passes on, but a test client or a fuzzer does) would make a failed login a 500.
    NUL becomes "0x00", as axes itself writes it in the form data it keeps."""

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs) -> None:
        _storable(request)
        super().user_login_failed(sender, credentials, request, **kwargs)

    def user_logged_in(self, sender, request, user, **kwargs) -> None:
        _storable(request)
        super().user_logged_in(sender, request, user, **kwargs)

    def user_logged_out(self, sender, request, user, **kwargs) -> None:
        _storable(request)
        super().user_logged_out(sender, request, user, **kwargs)


def _storable(request: HttpRequest | None) -> None:
    for name in ("axes_user_agent", "axes_http_accept", "axes_path_info"):
        value = getattr(request, name, None)
        if isinstance(value, str) and "\0" in value:
            setattr(request, name, value.replace("\0", "0x00"))


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """The admin's own page saying why the login was refused and what to do, as 429
    with Retry-After (each attempt during a lockout starts the cool-off again)."""
    cool_off = settings.FACTCHECK_LOGIN_COOLOFF
    context = {
        **admin.site.each_context(request),
        "title": _("Too many failed logins"),
        "failure_limit": settings.FACTCHECK_LOGIN_FAILURE_LIMIT,
        "minutes": math.ceil(cool_off / 60),
    }
    response = render(request, "admin/login_locked_out.html", context, status=429)
    response["Retry-After"] = str(cool_off)
    return response
