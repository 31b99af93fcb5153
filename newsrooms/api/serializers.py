"""Submissions: what a newsroom sends and what it is answered."""

from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from claims.models import bcp47_validator


class StrictCharField(serializers.CharField):
    """A string and only a string: DRF would turn 0 or true into "0" or "True", which
    the schema (type: string) says is not valid input."""

    default_error_messages = {"invalid": _("Not a valid string.")}

    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class SubmissionRequestSerializer(serializers.Serializer):
    claim = StrictCharField(max_length=2000, help_text=_("The statement to check, as it was made."))
    claimant = StrictCharField(max_length=200, help_text=_("Who made it."))
    url = serializers.URLField(
        max_length=500,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text=_("Where it appeared (http or https)."),
    )
    claim_date = serializers.DateField(
        required=False, allow_null=True, help_text=_("When it was made.")
    )
    language = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=35,
        validators=[bcp47_validator],
        help_text=_("BCP 47 tag such as en or pt-BR; detected when left out."),
    )
    note = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text=_("Anything the fact-checkers should know."),
    )


class FactCheckLinkSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField(help_text=_("The fact-check in this API."))
    public_url = serializers.URLField(help_text=_("The fact-check's public page."))


class SubmissionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(
        choices=[
            "received",
            "queued",
            "in_review",
            "published",
            "duplicate",
            "rejected",
            "withdrawn",
        ]
    )
    status_url = serializers.URLField()
    created_at = serializers.DateTimeField()
    fact_check = FactCheckLinkSerializer(
        allow_null=True,
        help_text=_(
            "The published fact-check that answers the submission (for a duplicate: "
            "the one of the claim it was merged into), else null."
        ),
    )
    reason = serializers.CharField(
        allow_null=True, help_text=_("The public reason of a rejection or withdrawal.")
    )
    duplicate_status = serializers.CharField(
        allow_null=True,
        help_text=_("For a duplicate: the status of the claim it was merged into."),
    )
