"""Writes of digest subscriptions: sign up (double opt-in), confirm, unsubscribe, and the
confirmation email (docs/digests.md).

A sign-up writes a pending subscription and, once that commits, enqueues the
`newsrooms.send_confirmation` task; nothing but that one email ever goes to a pending
address. Confirming and unsubscribing are idempotent: a second click changes nothing.
"""

import datetime
import logging
from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth.base_user import BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from claims.models import Claimant, Rating, Topic, bcp47_validator
from claims.workflow import WorkflowError
from factcheck import emails
from newsrooms import schedule, selectors, tokens
from newsrooms.digests import subscription_start_seq
from newsrooms.models import DigestFrequency, Newsroom, Subscription, SubscriptionState

logger = logging.getLogger(__name__)

# A repeated identical sign-up of a still pending address within this time reuses the
# pending subscription and sends no second confirmation: a double-clicked form or a
# retried request must not flood an inbox (and nobody can use us to do it on purpose).
RESEND_WINDOW = datetime.timedelta(hours=1)
# A sign-up whose confirmation has not been accepted by the SMTP server this long after
# it was last handed to the broker is handed over again (its task was lost: broker down
# at sign-up, a worker gone). Longer than the task's own retries take to give up.
CONFIRMATION_REQUEUE_AFTER = datetime.timedelta(minutes=30)

# The filters a subscription may name, by field: the model whose slugs they are.
FILTER_MODELS: dict[str, type[models.Model]] = {
    "topics": Topic,
    "claimants": Claimant,
    "ratings": Rating,
}


def subscription_create(
    *,
    email: str,
    frequency: str = DigestFrequency.DAILY,
    topics: Sequence[str] = (),
    claimants: Sequence[str] = (),
    ratings: Sequence[str] = (),
    language: str = "",
    notify_changes: bool = True,
    newsroom: Newsroom | None = None,
) -> Subscription:
    """A pending subscription for `email`, its confirmation email enqueued on commit.

    Filters are slugs; an unknown one, a bad address, frequency or language raises
    WorkflowError("invalid") naming the field, and nothing is written. Callers answer
    the same whatever happened, so nobody learns whether an address is subscribed.
    """
    filters, errors = _filters_by_slug(
        {"topics": topics, "claimants": claimants, "ratings": ratings}
    )
    subscription = Subscription(
        email=BaseUserManager.normalize_email(email.strip()),
        frequency=frequency,
        language=language,
        notify_changes=notify_changes,
        newsroom=newsroom,
    )
    for check in (subscription.full_clean, lambda: _language_check(language)):
        try:
            check()
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:  # every field at fault at once, not one per attempt
        raise WorkflowError("invalid", _("The subscription is not valid."), errors)
    with transaction.atomic():
        twin = _pending_twin(subscription, filters)
        if twin is not None:
            return twin
        subscription.save(force_insert=True)
        for field, rows in filters.items():
            getattr(subscription, field).set(rows)
        subscription_id = subscription.pk
        transaction.on_commit(lambda: _enqueue_confirmation(subscription_id))
    return subscription


def _language_check(language: str) -> None:
    """The column takes any text; a filter must be a BCP 47 tag to ever match."""
    if language:
        try:
            bcp47_validator(language)
        except ValidationError as exc:
            raise ValidationError({"language": exc.messages}) from exc


def _filters_by_slug(
    wanted: dict[str, Sequence[str]],
) -> tuple[dict[str, list[models.Model]], dict[str, list[str]]]:
    """The rows the slugs name per filter, and the unknown slugs as field errors."""
    found: dict[str, list[models.Model]] = {}
    errors: dict[str, list[str]] = {}
    for field, slugs in wanted.items():
        slugs = sorted(set(slugs))
        rows = list(FILTER_MODELS[field].objects.filter(slug__in=slugs))
        unknown = sorted(set(slugs) - {row.slug for row in rows})
        if unknown:
            errors[field] = [_("Unknown: %(slugs)s.") % {"slugs": ", ".join(unknown)}]
        found[field] = rows
    return found, errors


def _pending_twin(
    subscription: Subscription, filters: dict[str, list[models.Model]]
) -> Subscription | None:
    """A pending subscription of the same address asked for within RESEND_WINDOW with
    exactly the same settings, if any."""
    candidates = Subscription.objects.filter(
        email__iexact=subscription.email,
        state=SubscriptionState.PENDING,
        created_at__gte=timezone.now() - RESEND_WINDOW,
        frequency=subscription.frequency,
        language=subscription.language,
        notify_changes=subscription.notify_changes,
        newsroom=subscription.newsroom,
    ).prefetch_related(*FILTER_MODELS)
    wanted = {field: {row.pk for row in rows} for field, rows in filters.items()}
    for candidate in candidates:
        have = {field: {row.pk for row in getattr(candidate, field).all()} for field in wanted}
        if have == wanted:
            return candidate
    return None


def _enqueue_confirmation(subscription_id: int) -> None:
    """A broker outage must not fail the sign-up that already committed: it is logged,
    and the digest run hands the confirmation over again later
    (`confirmations_requeue`)."""
    from newsrooms.tasks import send_confirmation

    Subscription.objects.filter(pk=subscription_id).update(confirmation_queued_at=timezone.now())
    try:
        send_confirmation.delay(subscription_id)
    except Exception as exc:  # noqa: BLE001 - any broker error; the sign-up is saved
        logger.warning("Could not enqueue the confirmation of %s (%s)", subscription_id, exc)


def confirmations_requeue(*, now: datetime.datetime | None = None) -> int:
    """Hand the confirmation of pending sign-ups over again when it was never accepted
    by the SMTP server and its last hand-over is CONFIRMATION_REQUEUE_AFTER old (or
    never happened). Only while the link would still work. Returns how many."""
    now = now or timezone.now()
    lost = Subscription.objects.filter(
        state=SubscriptionState.PENDING,
        confirmation_sent_at__isnull=True,
        created_at__gte=now - datetime.timedelta(seconds=settings.FACTCHECK_CONFIRM_MAX_AGE),
    ).filter(
        models.Q(confirmation_queued_at__isnull=True)
        | models.Q(confirmation_queued_at__lt=now - CONFIRMATION_REQUEUE_AFTER)
    )
    ids = list(lost.values_list("pk", flat=True)[:1000])
    for subscription_id in ids:
        _enqueue_confirmation(subscription_id)
    return len(ids)


def subscription_confirm(
    *, subscription_id: int, now: datetime.datetime | None = None
) -> Subscription | None:
    """Activate a pending subscription: verdicts sequenced after the newest change now
    in the log are owed to it. An active or ended subscription is left as it is
    (a second click, or a confirmation link used after unsubscribing). None when the
    subscription does not exist (any more)."""
    now = now or timezone.now()
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().filter(pk=subscription_id).first()
        if subscription is None or subscription.state != SubscriptionState.PENDING:
            return subscription
        subscription.state = SubscriptionState.ACTIVE
        subscription.confirmed_at = now
        # Under the fan-out cursor's lock until commit: no change numbered after this
        # value can be fanned out before the subscription is active.
        subscription.start_seq = subscription_start_seq()
        subscription.next_digest_at = schedule.next_due(subscription.frequency, now)
        subscription.save(update_fields=["state", "confirmed_at", "start_seq", "next_digest_at"])
    return subscription


def subscription_unsubscribe(
    *, subscription_id: int, now: datetime.datetime | None = None
) -> Subscription | None:
    """End a pending or active subscription; nothing is sent to it any more. Ended
    subscriptions (unsubscribed or bounced) stay as they are. None when it does not
    exist."""
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().filter(pk=subscription_id).first()
        if subscription is None or subscription.state not in _LIVE:
            return subscription
        _end(subscription, SubscriptionState.UNSUBSCRIBED, now=now)
    return subscription


_LIVE = (SubscriptionState.PENDING, SubscriptionState.ACTIVE)


def _end(
    subscription: Subscription, state: str, *, now: datetime.datetime | None, reason: str = ""
) -> None:
    subscription.state = state
    subscription.ended_at = now or timezone.now()
    subscription.next_digest_at = None
    subscription.bounce_reason = reason
    subscription.save(update_fields=["state", "ended_at", "next_digest_at", "bounce_reason"])


def confirmation_send(subscription_id: int) -> bool:
    """Send the confirmation email of a pending subscription. Returns True when sent.

    Sent only while the subscription is pending, always with the same Message-ID, so
    a redelivered task is recognisable. A temporary SMTP failure raises
    TemporaryEmailError (the task retries); a permanent one marks the address bounced.
    """
    subscription = Subscription.objects.filter(pk=subscription_id).first()
    if subscription is None or subscription.state != SubscriptionState.PENDING:
        return False
    if subscription.confirmation_sent_at is not None:
        return False  # a redelivered or requeued task: the email went already
    ctx = {
        "subscription": subscription,
        "confirm_url": tokens.confirm_url(subscription.pk),
        "filters": selectors.subscription_filter_names(subscription),
    }
    headers = {"Message-ID": emails.message_id(f"confirm-{subscription.pk}")}
    try:
        emails.send("confirm", [subscription.email], ctx, headers)
    except OSError as exc:  # smtplib.SMTPException is an OSError, so are network errors
        if emails.is_temporary(exc):
            raise emails.TemporaryEmailError(str(exc)) from exc
        logger.warning("Confirmation of %s refused for good: %r", subscription_id, exc)
        _bounce(subscription_id, f"{type(exc).__name__}: {exc}")
        return False
    Subscription.objects.filter(pk=subscription_id).update(confirmation_sent_at=timezone.now())
    return True


def _bounce(subscription_id: int, reason: str) -> None:
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().filter(pk=subscription_id).first()
        if subscription is not None and subscription.state in _LIVE:
            _end(subscription, SubscriptionState.BOUNCED, now=None, reason=reason)
