"""Who checks: reviewer profiles, the queue's run-time switches and the emails it owes."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


def primary_language(tag: str) -> str:
    """The primary subtag of a BCP 47 tag, lower-cased: "pt-BR" -> "pt"."""
    return tag.split("-", 1)[0].strip().lower()


# A BCP 47 tag as people write them: a primary language subtag, then any subtags.
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")
MAX_LANGUAGES = 30


def validate_language_tags(value: object) -> None:
    """A reviewer's languages: a short list of BCP 47 tags (`["en", "uk", "pt-BR"]`)."""
    if not isinstance(value, list) or len(value) > MAX_LANGUAGES:
        raise ValidationError(
            _("Give at most %(count)d language tags."), params={"count": MAX_LANGUAGES}
        )
    for tag in value:
        if not (isinstance(tag, str) and len(tag) <= 35 and _LANGUAGE_TAG.fullmatch(tag)):
            raise ValidationError(
                _("%(tag)s is not a language tag such as en, uk or pt-BR."),
                params={"tag": str(tag)[:40]},
            )


class ReviewerProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviewer_profile"
    )
    topics = models.ManyToManyField(
        "claims.Topic", blank=True, related_name="reviewers", verbose_name=_("expertise")
    )
    # BCP 47 tags of the languages the reviewer can check claims in.
    languages = models.JSONField(
        _("languages"), default=list, blank=True, validators=[validate_language_tags]
    )
    capacity = models.PositiveSmallIntegerField(
        _("capacity"), default=5, help_text=_("Most open claims assigned at once.")
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("reviewer profile")
        verbose_name_plural = _("reviewer profiles")

    def __str__(self) -> str:
        return self.user.get_username()

    def reads(self, language: str) -> bool:
        """Whether the reviewer reads a claim in `language`. Tags match on their primary
        subtag ("pt" reads "pt-BR"); a profile without languages reads none."""
        return primary_language(language) in {primary_language(tag) for tag in self.languages}

    def topic_ids(self) -> set[int]:
        # Uses the prefetched topics when the selector fetched them.
        return {topic.pk for topic in self.topics.all()}


class QueueSettings(models.Model):
    """The review queue's run-time switches: a single row (id 1), edited in the admin, so
    assignment can be paused without a restart. FACTCHECK_AUTO_ASSIGN=false overrides it."""

    auto_assign = models.BooleanField(
        _("assign queued claims automatically"),
        default=True,
        help_text=_(
            "Untick to pause automatic assignment at once; editors can still assign "
            "claims and reviewers can still take them."
        ),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        verbose_name = _("queue settings")
        verbose_name_plural = _("queue settings")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="queue_settings_singleton"),
        ]

    def __str__(self) -> str:
        return str(_("Queue settings"))

    @classmethod
    def load(cls) -> "QueueSettings":
        settings_row, _created = cls.objects.get_or_create(pk=1)
        return settings_row


class NoticeKind(models.TextChoices):
    ASSIGNMENT = "assignment", _("Assignment")
    REMINDER = "reminder", _("Deadline reminder")
    OVERDUE = "overdue", _("Overdue escalation")


class NoticeState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    # Nobody to send it to, or no longer true when its turn came (claim moved on).
    SKIPPED = "skipped", _("Skipped")


DEADLINE_KINDS = (NoticeKind.REMINDER, NoticeKind.OVERDUE)


class Notice(models.Model):
    """One email the review queue owes someone. The row is written in the transaction
    that makes the email due, before anything is sent: for a deadline its unique
    constraint is what makes the email go out once per claim and due time; its state is
    what keeps a redelivered send task from sending again."""

    claim = models.ForeignKey(
        "claims.Claim", on_delete=models.CASCADE, related_name="notices", verbose_name=_("claim")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NoticeKind.choices)
    # The reviewer written to; None for an overdue escalation, which goes to the editors.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recipient"),
    )
    # The due time a reminder or escalation is about; a new due time is a new threshold.
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=NoticeState.choices, default=NoticeState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # A send in progress holds the notice until then (a lease, so no transaction stays
    # open during SMTP); after a failed attempt it is the time of that attempt.
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        indexes = [
            # The deadline sweep re-enqueues pending notices whose send was lost.
            models.Index(fields=["state", "created_at"], name="notice_state_created_idx"),
        ]
        constraints = [
            # Each reminder and escalation once per claim and due time, whoever sweeps.
            # Also serves the sweep's "no notice yet" subquery.
            models.UniqueConstraint(
                fields=["claim", "kind", "due_at"],
                condition=Q(kind__in=DEADLINE_KINDS),
                name="notice_once_per_deadline",
            ),
            models.CheckConstraint(
                condition=Q(kind=NoticeKind.ASSIGNMENT) | Q(due_at__isnull=False),
                name="notice_deadline_has_due_at",
            ),
            models.CheckConstraint(
                condition=~Q(state=NoticeState.SENT) | Q(sent_at__isnull=False),
                name="notice_sent_has_sent_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.claim_id}"
