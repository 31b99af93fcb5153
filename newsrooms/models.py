"""Who consumes: newsrooms, their API tokens and the claims they submit."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey


class Newsroom(models.Model):
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


class Submission(models.Model):
    """A claim a newsroom asked us to check through the API, and the request it came in.
    The claim it created carries the workflow; the submission answers "what became of
    my request"."""

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
