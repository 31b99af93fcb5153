"""Writes of digest subscriptions: sign up (double opt-in), confirm, unsubscribe, and the
confirmation email (docs/digests.md).

A sign-up writes a pending subscription and, once that commits, enqueues the
`newsrooms.send_confirmation` task; nothing but that email ever goes to a pending
address. Confirming and unsubscribing are idempotent: a second click changes nothing.

Nobody can use sign-ups to flood a stranger's inbox (docs/security.md, "Sign-ups and
confirmation emails"): a mailbox (addresses.address_key) has at most one pending
subscription, a repeat sign-up updates it and sends its confirmation again only after
FACTCHECK_CONFIRM_RESEND_AFTER seconds, and at most FACTCHECK_CONFIRM_DAILY_MAX
confirmations go to one mailbox in 24 hours. Callers answer the same whatever happened.
"""

import datetime
import logging
from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth.base_user import BaseUserManager
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from claims.models import Claimant, Rating, Topic, bcp47_validator
from factcheck import emails
from factcheck.errors import DomainError
from factcheck.outbox import Outbox, failure_text, task_lease_seconds
from factcheck.tasks import enqueue
from newsrooms import schedule, selectors, tokens
from newsrooms.addresses import address_key
from newsrooms.digests import subscription_start_seq
from newsrooms.models import (
    ConfirmationEmail,
    DigestFrequency,
    Newsroom,
    Subscription,
    SubscriptionState,
)

logger = logging.getLogger(__name__)

# The daily cap (FACTCHECK_CONFIRM_DAILY_MAX) counts the confirmations of this window.
CAP_WINDOW = datetime.timedelta(days=1)
# A sign-up whose confirmation has not been accepted by the SMTP server this long after
# it was last handed to the broker is handed over again (its task was lost: broker down
# at sign-up, a worker gone). Longer than the task's own retries take to give up.
CONFIRMATION_REQUEUE_AFTER = datetime.timedelta(minutes=30)
# Inserts a sign-up tries: a lost one means another sign-up of the mailbox committed
# its pending row, which the next round finds and updates (unless that row was
# confirmed in between, which does not happen twice in a row).
UPSERT_ATTEMPTS = 3
# What a repeat sign-up changes on the pending subscription. Not its address: the
# confirmation went there, and the link must confirm the address it was sent to.
SETTINGS_FIELDS = ["frequency", "language", "notify_changes"]
# What asking for one more confirmation email writes (_confirmation_ask).
CONFIRMATION_FIELDS = [
    "confirmation_requested_at",
    "confirmations_requested",
    "confirmation_queued_at",
    "confirmation_locked_until",
    "confirmation_sent_at",
]
# A pending subscription is owed the confirmation email of its latest round until the
# SMTP server accepts it, sent at least once (factcheck/outbox.py). No attempt counter:
# the task's retries and `confirmations_requeue` bound the attempts, the link's age
# ends them.
CONFIRMATIONS = Outbox(
    Subscription,
    owed={"state": SubscriptionState.PENDING, "confirmation_sent_at": None},
    lease_field="confirmation_locked_until",
    attempts_field=None,
    error_field=None,
)

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
    """The pending subscription of `email`'s mailbox with these settings; a confirmation
    email enqueued on commit when one may go (see the module docstring).

    A mailbox with a pending subscription keeps that one: it gets the new settings and
    filters, and the newsroom when one is given; its address stays. Filters are slugs;
    an unknown one, a bad address, frequency or language raises DomainError("invalid")
    naming the field, and nothing is written. Callers answer the same whatever happened,
    so nobody learns whether an address is subscribed.
    """
    filters, errors = _filters_by_slug(
        {"topics": topics, "claimants": claimants, "ratings": ratings}
    )
    wanted = Subscription(
        email=BaseUserManager.normalize_email(email.strip()),
        frequency=frequency,
        language=language,
        notify_changes=notify_changes,
        newsroom=newsroom,
    )
    checks = (
        # The one-pending constraint is not a refusal: the pending row is updated.
        lambda: wanted.full_clean(validate_constraints=False),
        lambda: _language_check(language),
    )
    for check in checks:
        try:
            check()
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:  # every field at fault at once, not one per attempt
        raise DomainError("invalid", _("The subscription is not valid."), errors)
    wanted.email_normalized = address_key(wanted.email)
    with transaction.atomic():
        return _pending_upsert(wanted, filters)


def _pending_upsert(wanted: Subscription, filters: dict[str, list[models.Model]]) -> Subscription:
    """The mailbox's pending subscription given the wanted settings, or `wanted` saved
    as it when there is none."""
    inserts = 0
    while True:
        pending = _pending_for(wanted.email_normalized)
        if pending is not None:
            _pending_update(pending, wanted, filters)
            return pending
        inserts += 1
        try:
            with transaction.atomic():  # a savepoint: a lost insert leaves the rest
                _pending_insert(wanted, filters)
            return wanted
        except IntegrityError:
            # Another sign-up of this mailbox inserted first (the unique index made
            # this INSERT wait for its commit): the next round updates its row.
            if inserts == UPSERT_ATTEMPTS:
                raise
            wanted.pk, wanted.confirmations_requested = None, 0


def _pending_for(key: str) -> Subscription | None:
    """The mailbox's pending subscription, locked until commit: repeat sign-ups of one
    mailbox take turns, so each counts the confirmations of the others."""
    return (
        Subscription.objects.select_for_update()
        .filter(email_normalized=key, state=SubscriptionState.PENDING)
        .first()
    )


def _pending_insert(subscription: Subscription, filters: dict[str, list[models.Model]]) -> None:
    now = timezone.now()
    asked = _confirmation_ask(subscription, now)
    subscription.save(force_insert=True)
    for field, rows in filters.items():
        getattr(subscription, field).set(rows)
    if asked:
        _confirmation_record(subscription, now)


def _pending_update(
    pending: Subscription, wanted: Subscription, filters: dict[str, list[models.Model]]
) -> None:
    """The repeat sign-up's settings on the (locked) pending subscription, and its
    confirmation sent again if the resend interval has passed and the cap allows."""
    now = timezone.now()
    changed = [name for name in SETTINGS_FIELDS if getattr(pending, name) != getattr(wanted, name)]
    # An anonymous repeat does not take a newsroom's sign-up away from it.
    if wanted.newsroom_id is not None and wanted.newsroom_id != pending.newsroom_id:
        changed.append("newsroom")
    for name in changed:
        setattr(pending, name, getattr(wanted, name))
    last = pending.confirmation_requested_at
    resend_after = datetime.timedelta(seconds=settings.FACTCHECK_CONFIRM_RESEND_AFTER)
    asked = (last is None or now - last >= resend_after) and _confirmation_ask(pending, now)
    if asked:
        changed += CONFIRMATION_FIELDS
    if changed:  # an identical repeat (a double click) writes no history
        pending.save(update_fields=changed)
    for field, rows in filters.items():
        getattr(pending, field).set(rows)
    if asked:
        _confirmation_record(pending, now)


def _confirmation_ask(subscription: Subscription, now: datetime.datetime) -> bool:
    """Whether one more confirmation email may go to the subscription's mailbox (the
    daily cap); if so, the subscription is set up for it (saved by the caller)."""
    recent = ConfirmationEmail.objects.filter(
        email_normalized=subscription.email_normalized, requested_at__gt=now - CAP_WINDOW
    ).count()
    if recent >= settings.FACTCHECK_CONFIRM_DAILY_MAX:
        return False
    subscription.confirmation_requested_at = now
    subscription.confirmations_requested += 1
    subscription.confirmation_queued_at = None
    # This round's email is not sent yet, nor being sent: a sender of the last round
    # keeps to its own (it sends and marks only that round).
    subscription.confirmation_locked_until = None
    subscription.confirmation_sent_at = None
    return True


def _confirmation_record(subscription: Subscription, now: datetime.datetime) -> None:
    """Count the email against the cap, and enqueue it once the sign-up commits."""
    ConfirmationEmail.objects.create(
        subscription=subscription,
        email_normalized=subscription.email_normalized,
        requested_at=now,
    )
    subscription_id = subscription.pk
    transaction.on_commit(lambda: _confirmation_hand_over(subscription_id))


def confirmation_emails_prune(*, now: datetime.datetime | None = None) -> int:
    """Forget the confirmations the daily cap no longer counts. Returns how many."""
    now = now or timezone.now()
    deleted, _ = ConfirmationEmail.objects.filter(requested_at__lte=now - CAP_WINDOW).delete()
    return deleted


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


def _confirmation_hand_over(subscription_id: int) -> None:
    """Enqueue the confirmation's send, noting when. A broker outage must not fail the
    sign-up that already committed: it is logged, and the digest run hands the
    confirmation over again later (`confirmations_requeue`)."""
    from newsrooms.tasks import send_confirmation

    Subscription.objects.filter(pk=subscription_id).update(confirmation_queued_at=timezone.now())
    what = f"the confirmation of {subscription_id} (the digest run hands it over again)"
    enqueue(send_confirmation, subscription_id, what=what)


def confirmations_requeue(*, now: datetime.datetime | None = None) -> int:
    """Hand the confirmation of pending sign-ups over again when it was never accepted
    by the SMTP server and its last hand-over (or, if none happened, the request) is
    CONFIRMATION_REQUEUE_AFTER old. Only while the link would still work. Returns how
    many."""
    now = now or timezone.now()
    stale = now - CONFIRMATION_REQUEUE_AFTER
    lost = Subscription.objects.filter(
        state=SubscriptionState.PENDING,
        confirmation_sent_at__isnull=True,
        # Null when the daily cap let no email go: there is nothing to hand over.
        confirmation_requested_at__gte=now
        - datetime.timedelta(seconds=settings.FACTCHECK_CONFIRM_MAX_AGE),
    ).filter(
        models.Q(confirmation_queued_at__lt=stale)
        | models.Q(confirmation_queued_at__isnull=True, confirmation_requested_at__lt=stale)
    )
    ids = list(lost.values_list("pk", flat=True)[:1000])
    for subscription_id in ids:
        _confirmation_hand_over(subscription_id)
    return len(ids)


def subscription_confirm(
    *, subscription_id: int, now: datetime.datetime | None = None
) -> Subscription | None:
    """Activate a pending subscription: verdicts sequenced after the newest change now
    in the log are owed to it. An active or ended subscription is left as it is
    (a second click, or a confirmation link used after unsubscribing). None when the
    subscription does not exist (any more).

    A mailbox that already has an active subscription with the very same settings
    keeps that one: the pending one ends, so the reader never gets each digest twice."""
    now = now or timezone.now()
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().filter(pk=subscription_id).first()
        if subscription is None or subscription.state != SubscriptionState.PENDING:
            return subscription
        twin = _active_twin(subscription)
        if twin is not None:
            _end(subscription, SubscriptionState.UNSUBSCRIBED, now=now)
            return twin
        subscription.state = SubscriptionState.ACTIVE
        subscription.confirmed_at = now
        # Under the fan-out cursor's lock until commit: no change numbered after this
        # value can be fanned out before the subscription is active.
        subscription.start_seq = subscription_start_seq()
        subscription.next_digest_at = schedule.next_due(subscription.frequency, now)
        subscription.save(update_fields=["state", "confirmed_at", "start_seq", "next_digest_at"])
    return subscription


def _settings(subscription: Subscription) -> tuple:
    """What a subscription sends, and to whom: two with the same are one too many."""
    return (
        subscription.email_normalized,
        subscription.newsroom_id,
        subscription.frequency,
        subscription.language,
        subscription.notify_changes,
        *(
            frozenset(getattr(subscription, name).values_list("pk", flat=True))
            for name in ("topics", "claimants", "ratings")
        ),
    )


def _active_twin(subscription: Subscription) -> Subscription | None:
    """The active subscription of the same mailbox with the same settings, if any."""
    wanted = _settings(subscription)
    candidates = Subscription.objects.filter(
        email_normalized=subscription.email_normalized, state=SubscriptionState.ACTIVE
    ).exclude(pk=subscription.pk)
    return next((c for c in candidates if _settings(c) == wanted), None)


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

    Sent at least once through the outbox (factcheck/outbox.py), and only while the
    subscription is pending: the email of the latest round is leased, sent, and marked
    sent right after the SMTP server's accept, so a redelivered or duplicate task finds
    it sent or leased and returns. One Message-ID per email asked for, so a resend is
    not taken for a duplicate. A temporary SMTP failure raises TemporaryEmailError (the
    task retries); a permanent one marks the address bounced.
    """
    subscription = Subscription.objects.filter(pk=subscription_id).first()
    if subscription is None or subscription.state != SubscriptionState.PENDING:
        return False
    if subscription.confirmation_sent_at is not None:
        return False  # a redelivered or requeued task: the email went already
    # This round only: when a resend is asked for meanwhile, that email is still owed.
    this_round = {"confirmations_requested": subscription.confirmations_requested}
    if not CONFIRMATIONS.lease([subscription_id], seconds=task_lease_seconds(), match=this_round):
        return False  # being sent by another task, or sent or asked for again meanwhile
    failure = CONFIRMATIONS.send(
        subscription_id,
        _confirmation_message(subscription),
        match=this_round,
        mark_sent=lambda: CONFIRMATIONS.finish(
            subscription_id, match=this_round, confirmation_sent_at=timezone.now()
        ),
    )
    if failure is not None:
        logger.warning("Confirmation of %s refused for good: %r", subscription_id, failure)
        _bounce(subscription_id, failure_text(failure))
        return False
    return True


def _confirmation_message(subscription: Subscription) -> EmailMultiAlternatives:
    ctx = {
        "subscription": subscription,
        "confirm_url": tokens.confirm_url(subscription.pk),
        "filters": selectors.subscription_filter_names(subscription),
    }
    sent_round = subscription.confirmations_requested
    key = f"confirm-{subscription.pk}" + (f"-{sent_round}" if sent_round > 1 else "")
    headers = {"Message-ID": emails.message_id(key)}
    return emails.make_message("confirm", [subscription.email], ctx, headers)


def _bounce(subscription_id: int, reason: str) -> None:
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().filter(pk=subscription_id).first()
        if subscription is not None and subscription.state in _LIVE:
            _end(subscription, SubscriptionState.BOUNCED, now=None, reason=reason)
