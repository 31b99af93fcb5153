"""Who consumes: newsrooms, their API tokens and the claims they submit."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey
from simple_history.models import HistoricalRecords

from factcheck.text import UserInputModel
from newsrooms.addresses import KEY_MAX_LENGTH, address_key


class Newsroom(UserInputModel, models.Model):
    one_line_fields = ("name",)
    web_url_fields = ("url",)

    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    url = models.URLField(_("website"), blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("newsroom")
        verbose_name_plural = _("newsrooms")

    def __str__(self) -> str:
        return self.name


class TokenScope(models.TextChoices):
    READ = "read", _("Read fact-checks")
    SUBMIT = "submit", _("Submit claims")


def validate_scopes(value: list) -> None:
    if not isinstance(value, list) or not value:
        raise ValidationError(_("Give at least one scope."))
    unknown = sorted({str(scope) for scope in value} - set(TokenScope.values))
    if unknown:
        raise ValidationError(
            _("Unknown scope(s): %(unknown)s. Allowed: %(allowed)s."),
            params={"unknown": ", ".join(unknown), "allowed": ", ".join(TokenScope.values)},
        )


class NewsroomToken(AbstractAPIKey):
    """A newsroom's API token. Only its 8-character prefix and a SHA-512 hash of the
    whole token are stored (the library's `AbstractAPIKey`); the token itself is shown
    once, when it is created. Revocation cannot be undone."""

    newsroom = models.ForeignKey(
        Newsroom, on_delete=models.CASCADE, related_name="tokens", verbose_name=_("newsroom")
    )
    scopes = models.JSONField(_("scopes"), default=list, validators=[validate_scopes])
    # Touched at most once per TOKEN_TOUCH_EVERY (newsrooms/services.py), never on
    # every request.
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    class Meta(AbstractAPIKey.Meta):
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class Submission(UserInputModel, models.Model):
    """A claim a newsroom asked us to check through the API, and the request it came in.
    The claim it created carries the workflow; the submission answers "what became of
    my request"."""

    one_line_fields = ("claimant_name",)
    text_fields = ("text", "note")
    web_url_fields = ("url",)

    newsroom = models.ForeignKey(
        Newsroom, on_delete=models.PROTECT, related_name="submissions", verbose_name=_("newsroom")
    )
    claim = models.ForeignKey(
        "claims.Claim",
        on_delete=models.PROTECT,
        related_name="submissions",
        verbose_name=_("claim"),
    )
    text = models.TextField(_("claim as submitted"))
    claimant_name = models.CharField(_("claimant"), max_length=200)
    url = models.URLField(_("URL"), max_length=500)
    claim_date = models.DateField(_("claim date"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=35, blank=True)
    note = models.TextField(_("note from the newsroom"), blank=True)
    # The client's Idempotency-Key ("" when none) and a hash of the validated body: a
    # retry with the same key gets the first answer, a different body a 422.
    idempotency_key = models.CharField(_("idempotency key"), max_length=255, blank=True)
    request_hash = models.CharField(_("request hash"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        constraints = [
            # Two concurrent POSTs with one key: the second INSERT fails, its
            # transaction (claim included) rolls back and it answers with the first.
            models.UniqueConstraint(
                fields=["newsroom", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="submission_idempotency_key_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.newsroom}: {self.text[:60]}"


# --- Email digests (docs/digests.md) ----------------------------------------------------


class DigestFrequency(models.TextChoices):
    IMMEDIATE = "immediate", _("Immediate")
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")


class SubscriptionState(models.TextChoices):
    PENDING = "pending", _("Awaiting confirmation")
    ACTIVE = "active", _("Active")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    BOUNCED = "bounced", _("Bounced")


class Subscription(models.Model):
    """Someone who asked for digests of new and changed verdicts. Nothing is sent but the
    confirmation email until the address is confirmed (double opt-in). Verdicts are owed
    from the change log position at confirmation (`start_seq`) on."""

    email = models.EmailField(_("email"))
    # Which sign-ups are one mailbox (newsrooms/addresses.py): at most one pending
    # subscription per key, and the daily cap of confirmation emails counts per key.
    # Mail goes to `email`, never to this.
    email_normalized = models.CharField(
        _("address key"), max_length=KEY_MAX_LENGTH, editable=False, default=""
    )
    newsroom = models.ForeignKey(
        Newsroom,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="subscriptions",
        verbose_name=_("newsroom"),
    )
    frequency = models.CharField(
        _("frequency"),
        max_length=10,
        choices=DigestFrequency.choices,
        default=DigestFrequency.DAILY,
    )
    # Filters: empty means "any". A verdict must match every non-empty filter.
    topics = models.ManyToManyField(
        "claims.Topic", blank=True, related_name="+", verbose_name=_("topics")
    )
    claimants = models.ManyToManyField(
        "claims.Claimant", blank=True, related_name="+", verbose_name=_("claimants")
    )
    ratings = models.ManyToManyField(
        "claims.Rating", blank=True, related_name="+", verbose_name=_("ratings")
    )
    language = models.CharField(_("language"), max_length=35, blank=True)
    notify_changes = models.BooleanField(
        _("tell me about corrections and withdrawals"),
        default=True,
        help_text=_("Of verdicts this subscriber already received."),
    )
    state = models.CharField(
        _("state"),
        max_length=12,
        choices=SubscriptionState.choices,
        default=SubscriptionState.PENDING,
    )
    # The newest sequenced change at confirmation: later changes are owed to this
    # subscriber, earlier ones never are.
    start_seq = models.PositiveBigIntegerField(_("from change"), null=True, blank=True)
    # Ledger entries up to this change have been handed over (in a sent digest, or one
    # with nothing to show): the unsent entries are those after it.
    sent_seq = models.PositiveBigIntegerField(_("sent up to change"), default=0)
    # When the next digest is due (UTC); null while pending or ended.
    next_digest_at = models.DateTimeField(_("next digest due"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    # The confirmation email: when the latest one was asked for (a sign-up, or a repeat
    # sign-up past the resend interval), how many were (its Message-ID tells them
    # apart), when its send was last handed to the broker, until when a sender holds it
    # (a lease, as on Notice), and when the SMTP server accepted it. A sign-up whose
    # task was lost (broker down) is handed over again by the digest run
    # (subscriptions.confirmations_requeue).
    confirmation_requested_at = models.DateTimeField(
        _("confirmation asked for at"), null=True, blank=True
    )
    confirmations_requested = models.PositiveIntegerField(_("confirmations asked for"), default=0)
    confirmation_queued_at = models.DateTimeField(
        _("confirmation queued at"), null=True, blank=True
    )
    confirmation_locked_until = models.DateTimeField(
        _("confirmation locked until"), null=True, blank=True
    )
    confirmation_sent_at = models.DateTimeField(_("confirmation sent at"), null=True, blank=True)
    # Why the address bounced (the SMTP server's permanent answer).
    bounce_reason = models.TextField(_("bounce reason"), blank=True)
    history = HistoricalRecords(m2m_fields=[topics, claimants, ratings])

    class Meta:
        ordering = ["-id"]
        verbose_name = _("digest subscription")
        verbose_name_plural = _("digest subscriptions")
        indexes = [
            models.Index(fields=["state", "next_digest_at"], name="subscription_due_idx"),
            models.Index(fields=["email"], name="subscription_email_idx"),
        ]
        constraints = [
            # One pending confirmation per mailbox. Two sign-ups at once: the second
            # INSERT waits for the first commit, fails, and the sign-up updates the
            # first one's row instead (subscriptions.subscription_create). Also serves
            # "the pending subscription of this key".
            models.UniqueConstraint(
                fields=["email_normalized"],
                condition=Q(state="pending") & ~Q(email_normalized=""),
                name="subscription_one_pending_per_address",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.get_frequency_display()})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Whoever writes the row (a service, a fixture, a script), the key matches the
        # address, so the database can hold the one-pending rule.
        self.email_normalized = address_key(self.email)
        super().save(*args, **kwargs)


class ConfirmationEmail(models.Model):
    """One confirmation email asked for (a sign-up or a resend). The daily cap counts
    these per address key over the last 24 hours; the digest run deletes older ones."""

    email_normalized = models.CharField(_("address key"), max_length=KEY_MAX_LENGTH)
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    requested_at = models.DateTimeField(_("asked for at"))

    class Meta:
        verbose_name = _("confirmation email")
        verbose_name_plural = _("confirmation emails")
        indexes = [
            # "How many confirmations went to this key since ...". The prune scans: the
            # table holds about one day of sign-ups.
            models.Index(fields=["email_normalized", "requested_at"], name="confirmation_cap_idx"),
        ]

    def __str__(self) -> str:
        return f"confirmation to {self.email_normalized} at {self.requested_at}"


class DigestCursor(models.Model):
    """A single row: how far the fan-out has read the change log. Its row lock serialises
    fan-out runs, so two beats or workers never both write the same ledger rows."""

    last_seq = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"digest fan-out at {self.last_seq}"


class DigestState(models.TextChoices):
    OPEN = "open", _("Being sent")
    SENT = "sent", _("Sent")
    EMPTY = "empty", _("Nothing to show (not sent)")
    FAILED = "failed", _("Failed")


class Digest(models.Model):
    """One email. It carries the subscription's ledger entries from `first_seq` to
    `last_seq`, fixed when it is opened, so a resend after a crash carries exactly the
    same entries under the same Message-ID. A range rather than a foreign key on each
    entry: opening 10,000 digests then writes 10,000 rows, not 2 million."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="digests")
    first_seq = models.PositiveBigIntegerField(_("from change"))
    last_seq = models.PositiveBigIntegerField(_("to change"))
    state = models.CharField(
        _("state"), max_length=8, choices=DigestState.choices, default=DigestState.OPEN
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # A lease on the send (no transaction stays open during SMTP); see Notice.
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("digest")
        verbose_name_plural = _("digests")
        constraints = [
            # At most one digest in flight per subscription: two runs at once cannot
            # both open one.
            models.UniqueConstraint(
                fields=["subscription"],
                condition=Q(state="open"),
                name="digest_one_open_per_subscription",
            ),
        ]

    def __str__(self) -> str:
        return f"digest {self.pk} to {self.subscription_id} ({self.state})"

    @property
    def entries(self) -> models.QuerySet["DigestEntry"]:
        return DigestEntry.objects.filter(
            subscription_id=self.subscription_id, seq__range=(self.first_seq, self.last_seq)
        )


class DigestEntry(models.Model):
    """The ledger: one row per (subscription, change event) the subscription is owed,
    written by the fan-out from the sequenced change log. Sent once the subscription's
    `sent_seq` has reached its `seq`; a digest carries a range of them.

    Lean on purpose (the fan-out writes subscribers x changes rows): one unique index
    that also serves "this subscription's entries after N", one for "did this
    subscriber get this claim", and no database constraint on the event and the claim,
    which are append-only (the ORM still cascades)."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="entries", db_index=False
    )
    event = models.ForeignKey(
        "publishing.ChangeEvent",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    # Denormalised from the event: "did this subscriber already get this claim?"
    claim = models.ForeignKey(
        "claims.Claim",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    # The event's sequence number (unique per event), copied for range scans.
    seq = models.PositiveBigIntegerField(_("change"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["seq"]
        verbose_name = _("digest ledger entry")
        verbose_name_plural = _("digest ledger entries")
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "seq"], name="digestentry_once_per_change"
            ),
        ]
        indexes = [
            models.Index(fields=["subscription", "claim"], name="digestentry_claim_idx"),
        ]

    def __str__(self) -> str:
        return f"change {self.seq} for subscription {self.subscription_id}"
