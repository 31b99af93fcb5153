"""Signed links in subscription emails: confirm an address, unsubscribe from digests.

A token is the subscription id signed with SECRET_KEY (django.core.signing) under a salt
per purpose, so a confirmation token can never unsubscribe and the reverse. Nothing is
stored: a token cannot be guessed or altered, and it works without a login or cookie,
which is what a one-click unsubscribe from a mail client needs (RFC 8058).
"""

from django.conf import settings
from django.core import signing

CONFIRM = "confirm"
UNSUBSCRIBE = "unsubscribe"
_SALT = "newsrooms.subscription."


class BadToken(Exception):
    """Tampered, truncated, for another purpose, or (a confirmation) too old."""


def make_token(subscription_id: int, purpose: str) -> str:
    if purpose == CONFIRM:
        # Timestamped, so that it can expire.
        return signing.dumps(subscription_id, salt=_SALT + purpose, compress=False)
    # No timestamp: every copy of one digest (a resend after a crash) carries the same
    # unsubscribe link, byte for byte.
    return signing.Signer(salt=_SALT + purpose).sign_object(subscription_id)


def read_token(token: str, purpose: str) -> int:
    """The subscription id the token was made for, or BadToken."""
    try:
        if purpose == CONFIRM:
            value = signing.loads(
                token, salt=_SALT + purpose, max_age=settings.FACTCHECK_CONFIRM_MAX_AGE
            )
        else:
            # Unsubscribe links keep working for as long as the digests may be read.
            value = signing.Signer(salt=_SALT + purpose).unsign_object(token)
    except (signing.BadSignature, ValueError) as exc:  # SignatureExpired is a BadSignature
        raise BadToken(str(exc)) from exc
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadToken("not a subscription")
    return value


def confirm_url(subscription_id: int) -> str:
    return f"{settings.SITE_URL}/subscriptions/confirm/{make_token(subscription_id, CONFIRM)}/"


def unsubscribe_url(subscription_id: int) -> str:
    token = make_token(subscription_id, UNSUBSCRIBE)
    return f"{settings.SITE_URL}/subscriptions/unsubscribe/{token}/"
