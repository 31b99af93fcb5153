"""Who consumes: newsrooms (API tokens, submissions and subscriptions come later)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


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
