"""The review queue's emails: one function per email over one `make_message` helper.

Each email has three templates under reviewers/templates/reviewers/emails/: NAME-subject.txt,
NAME-body.txt and NAME-body.html. Sending goes through Django's email backend (SMTP in
production, with settings.EMAIL_TIMEOUT); errors propagate, so that the caller can tell a
temporary SMTP failure (retry) from a permanent one (give up) with `is_temporary`.
"""

import smtplib
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


class TemporaryEmailError(Exception):
    """The SMTP server or the network failed in a way that may pass: try again later."""


def make_message(
    name: str, to: Sequence[str], ctx: dict[str, Any], headers: dict[str, str] | None = None
) -> EmailMultiAlternatives:
    ctx = {"site_name": settings.FACTCHECK_ORG_NAME, "site_url": settings.SITE_URL, **ctx}
    subject = render_to_string(f"reviewers/emails/{name}-subject.txt", ctx)
    text = render_to_string(f"reviewers/emails/{name}-body.txt", ctx)
    html = render_to_string(f"reviewers/emails/{name}-body.html", ctx)
    # Automated mail (RFC 3834): no out-of-office replies to the queue.
    headers = {"Auto-Submitted": "auto-generated", **(headers or {})}
    message = EmailMultiAlternatives(" ".join(subject.split()), text, to=list(to), headers=headers)
    message.attach_alternative(html, "text/html")
    return message


def message_id(key: str) -> str:
    """A Message-ID that is the same each time one email is sent, so that the rare
    duplicate of an at-least-once send can be recognised by the receiving side."""
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<factcheck.{key}@{domain}>"


def assignment(to: str, ctx: dict[str, Any], headers: dict[str, str] | None = None) -> None:
    make_message("assignment", [to], ctx, headers).send()


def reminder(to: str, ctx: dict[str, Any], headers: dict[str, str] | None = None) -> None:
    make_message("reminder", [to], ctx, headers).send()


def escalation(
    to: Sequence[str], ctx: dict[str, Any], headers: dict[str, str] | None = None
) -> None:
    make_message("escalation", to, ctx, headers).send()


def is_temporary(exc: BaseException) -> bool:
    """Whether a failed send may succeed later: 4xx answers, dropped connections and
    network errors are temporary; 5xx answers (and anything else) are permanent."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        # Raised only when every recipient was refused; retry if any refusal was 4xx.
        return any(400 <= code < 500 for code, _msg in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True
    if isinstance(exc, smtplib.SMTPException):
        return False  # e.g. SMTPNotSupportedError: a configuration problem
    # smtplib.SMTPException is an OSError; what is left is the network (refused, timeout).
    return isinstance(exc, OSError)
