"""Every email the service sends: reviewer notifications (reviewers/services.py),
subscription confirmations and digests (newsrooms/). One module, one set of templates.

Each email has three templates under factcheck/templates/emails/: NAME-subject.txt,
NAME-body.txt and NAME-body.html, the HTML extending emails/base.html (inline styles, no
remote assets, so it reads the same in every mail client). Sending goes through Django's
email backend (SMTP in production, with settings.EMAIL_TIMEOUT), at least once through
the outbox (factcheck/outbox.py), which tells a temporary SMTP failure (retry) from a
permanent one (give up) with `is_temporary`.
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
    """The multipart (text + HTML) message of the email NAME, not sent yet."""
    ctx = {"site_name": settings.FACTCHECK_ORG_NAME, "site_url": settings.SITE_URL, **ctx}
    subject = render_to_string(f"emails/{name}-subject.txt", ctx)
    text = render_to_string(f"emails/{name}-body.txt", ctx)
    html = render_to_string(f"emails/{name}-body.html", ctx)
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
