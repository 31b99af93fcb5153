"""Public pages of email digests: sign up, confirm, unsubscribe. They work without
JavaScript and look like the fact-check pages (claims/templates/public/base.html).

GET never changes anything (mail scanners and link previews fetch every link in an
email); a POST does. The confirm and unsubscribe POSTs are exempt from CSRF: the
signed token in the URL is the authority, and a one-click unsubscribe (RFC 8058) comes
from a mail client with no cookie. Whoever could forge such a POST holds the token and
could send it themselves.
"""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from factcheck.errors import DomainError
from factcheck.ratelimit import client_ip, rate_count
from newsrooms import tokens
from newsrooms.forms import SubscribeForm
from newsrooms.models import Subscription, SubscriptionState
from newsrooms.selectors import subscription_for_token
from newsrooms.subscriptions import (
    subscription_confirm,
    subscription_create,
    subscription_unsubscribe,
)


def _page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200):
    context = {"org_name": settings.FACTCHECK_ORG_NAME, **context}
    response = render(request, f"subscriptions/{template}", context, status=status)
    # The pages show an address: keep them out of shared caches and search engines.
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def _token_page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200):
    response = _page(request, template, context, status)
    # The token in the URL must not leak in a Referer header. (Not on the sign-up page:
    # with no referrer the browser sends `Origin: null` and fails the CSRF check.)
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        # Sign-ups from one address count against the API's anonymous rate: the form
        # must not be a way round it to send confirmation emails in bulk.
        allowed, retry_after = rate_count(f"ip:{client_ip(request)}", settings.FACTCHECK_ANON_RATE)
        if not allowed:
            response = _page(request, "slow_down.html", {}, status=429)
            response["Retry-After"] = str(retry_after)
            return response
    form = SubscribeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            subscription_create(**form.service_arguments())
        except DomainError as exc:
            for field, messages in exc.fields.items():
                for message in messages:
                    form.add_error(field if field in form.fields else None, message)
        else:
            # The same page whether or not the address was subscribed already.
            return _page(request, "check_inbox.html", {"email": form.cleaned_data["email"]})
    status = 400 if form.is_bound else 200
    return _page(request, "subscribe.html", {"form": form}, status=status)


def _subscription(token: str, purpose: str) -> Subscription | None:
    try:
        return subscription_for_token(tokens.read_token(token, purpose))
    except tokens.BadToken:
        return None


def _bad_link(request: HttpRequest) -> HttpResponse:
    return _token_page(request, "bad_link.html", {}, status=400)


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def subscription_confirm_page(request: HttpRequest, token: str) -> HttpResponse:
    return _signed_link_page(request, token, tokens.CONFIRM, subscription_confirm, "confirm.html")


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def subscription_unsubscribe_page(request: HttpRequest, token: str) -> HttpResponse:
    return _signed_link_page(
        request, token, tokens.UNSUBSCRIBE, subscription_unsubscribe, "unsubscribe.html"
    )


def _signed_link_page(
    request: HttpRequest,
    token: str,
    purpose: str,
    act: Callable[..., Subscription | None],
    template: str,
) -> HttpResponse:
    """A link from an email: GET shows the page and changes nothing; POST does what the
    link is for (`act`); a tampered, expired or unknown token gets 400."""
    subscription = _subscription(token, purpose)
    if subscription is None:
        return _bad_link(request)
    if request.method == "POST":
        subscription = act(subscription_id=subscription.pk)
        if subscription is None:
            return _bad_link(request)
    context = {"subscription": subscription, "states": SubscriptionState}
    return _token_page(request, template, context)
