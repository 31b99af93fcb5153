"""Who checks: reviewer profiles."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReviewerProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviewer_profile"
    )
    topics = models.ManyToManyField(
        "claims.Topic", blank=True, related_name="reviewers", verbose_name=_("expertise")
    )
    # BCP 47 tags of the languages the reviewer can check claims in.
    languages = models.JSONField(_("languages"), default=list, blank=True)
    capacity = models.PositiveSmallIntegerField(
        _("capacity"), default=5, help_text=_("Most open claims assigned at once.")
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("reviewer profile")
        verbose_name_plural = _("reviewer profiles")

    def __str__(self) -> str:
        return self.user.get_username()
