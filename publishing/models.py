"""What publishing owns itself: the transparency pages IFCN's Code of Principles asks a
fact-checker to keep public (methodology, corrections policy, who we are and our
funding). Fact-checks, their read model and the change log still live in claims/."""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from factcheck.text import UserInputModel


class PolicyKind(models.TextChoices):
    METHODOLOGY = "methodology", _("Methodology")
    CORRECTIONS_POLICY = "corrections_policy", _("Corrections policy")
    ABOUT = "about", _("Who we are and our funding")


# Where each page is public (publishing/urls.py).
PUBLIC_URL_NAMES = {
    PolicyKind.METHODOLOGY: "policy-methodology",
    PolicyKind.CORRECTIONS_POLICY: "policy-corrections",
    PolicyKind.ABOUT: "policy-about",
}


class PolicyPage(UserInputModel, models.Model):
    """One public policy page per kind. A data migration writes the three; editors
    change their text in the admin, and the history keeps every earlier wording."""

    one_line_fields = ("title",)
    text_fields = ("body",)

    kind = models.CharField(_("kind"), max_length=20, choices=PolicyKind.choices)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(
        _("text"),
        help_text=_(
            "Plain text. A blank line starts a new paragraph; HTML is shown as typed, "
            "never interpreted."
        ),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["kind"]
        verbose_name = _("policy page")
        verbose_name_plural = _("policy pages")
        constraints = [models.UniqueConstraint(fields=["kind"], name="policy_page_kind_unique")]

    def __str__(self) -> str:
        return self.get_kind_display()

    def get_absolute_url(self) -> str:
        return reverse(PUBLIC_URL_NAMES[PolicyKind(self.kind)])
