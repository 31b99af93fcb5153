"""Submissions and subscriptions: what clients send and what they are answered."""

import re

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from claims.models import bcp47_validator
from factcheck.text import INVISIBLE_ONLY, VISIBLE, normalise
from factcheck.validators import validate_web_url
from newsrooms.models import DigestFrequency

_REFUSED = re.compile("[\x00\ud800-\udfff]")


class StrictCharField(serializers.CharField):
    """A string and only a string: DRF would turn 0 or true into "0" or "True", which
    the schema (type: string) says is not valid input. What people type is normalised
    as the models store it (factcheck/text.py; `multiline` keeps line breaks), before
    it is checked."""

    default_error_messages = {"invalid": _("Not a valid string."), "invisible": INVISIBLE_ONLY}

    def __init__(self, *, multiline: bool = False, **kwargs: object) -> None:
        self.multiline = multiline
        super().__init__(**kwargs)
        if not self.allow_blank and self.trim_whitespace:
            # Whitespace and invisible characters alone are normalised to "" and
            # refused: the schema says so too (its `pattern`, newsrooms/api/schema.py),
            # so that clients know before they send.
            self.validators.append(RegexValidator(VISIBLE, _("This field may not be blank.")))

    def run_validation(self, data: object = empty) -> object:
        # NUL and lone surrogates are refused as before, by DRF's validators (the 400
        # names them); everything else is normalised.
        if isinstance(data, str) and not _REFUSED.search(data):
            # The schema's maxLength counts what the client sent, not what is kept.
            if self.max_length is not None and len(data) > self.max_length:
                self.fail("max_length", max_length=self.max_length)
            normalised = normalise(data, multiline=self.multiline)
            if data and not normalised and not self.allow_blank:
                self.fail("invisible")
            data = normalised
        return super().run_validation(data)

    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


# An http(s) URL with a host of up to 4 labels of at most 50 characters and a
# letters-only top-level domain, so at most 228 characters: the subset of what Django's
# URLValidator accepts (host names up to the DNS limit of 253) that a regular
# expression in the schema can state exactly. The path holds only the characters
# RFC 3986 allows (anything else percent-encoded, as browsers copy addresses). Both are
# applied, so the schema and the server agree on every input.
_PCHAR = r"(?:[A-Za-z0-9._~!$&'()*+,;=:@-]|%[0-9A-Fa-f]{2})"
WEB_URL_PATTERN = (
    r"^https?://(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,48}[A-Za-z0-9])?\.){1,4}[A-Za-z]{2,24}"
    rf"(?::[0-9]{{1,5}})?(?:/(?:{_PCHAR}|/)*)?(?:\?(?:{_PCHAR}|[/?])*)?(?:#(?:{_PCHAR}|[/?])*)?$"
)


@extend_schema_field(
    {"type": "string", "format": "uri", "maxLength": 500, "pattern": WEB_URL_PATTERN}
)
class WebURLField(serializers.URLField):
    """A public web address (http or https), as the schema describes it, and as the
    admin checks it too (`validate_web_url`: RFC 3986)."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.validators.append(
            RegexValidator(
                WEB_URL_PATTERN,
                _("Enter a web address such as https://www.example.org/article."),
            )
        )
        self.validators.append(validate_web_url)


class SubmissionRequestSerializer(serializers.Serializer):
    claim = StrictCharField(
        multiline=True, max_length=2000, help_text=_("The statement to check, as it was made.")
    )
    claimant = StrictCharField(max_length=200, help_text=_("Who made it."))
    url = WebURLField(
        max_length=500,
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
        multiline=True,
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


# --- Digest subscriptions -------------------------------------------------------------

# An address as the schema states it exactly: a dot-atom local part of up to 64
# characters, a host of up to 3 labels of at most 50 characters and a letters-only
# top-level domain (so at most 242 characters, within the column's 254). A subset of
# what Django's EmailValidator accepts; both are applied, so the schema and the server
# agree on every input.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
EMAIL_PATTERN = (
    rf"^{_ATOM}{{1,31}}(?:\.{_ATOM}{{1,32}})?@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,48}[A-Za-z0-9])?\.){1,3}[A-Za-z]{2,24}$"
)
# At most this many slugs per filter: a filter longer than any scale is a mistake.
FILTER_MAX = 50


@extend_schema_field({"type": "string", "format": "email", "maxLength": 254,
                      "pattern": EMAIL_PATTERN})  # fmt: skip
class StrictEmailField(serializers.EmailField):
    """An email address, a string only, as the schema describes it."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.validators.append(
            RegexValidator(EMAIL_PATTERN, _("Enter an email address such as name@example.org."))
        )

    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictSlugField(serializers.SlugField):
    default_error_messages = {"not_a_string": _("Not a valid string.")}

    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """true or false only: DRF would also take "yes", 1 or "on", which the schema
    (type: boolean) says is not valid input."""

    def to_internal_value(self, data: object) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


def _slugs(max_length: int, what: str) -> serializers.ListField:
    return serializers.ListField(
        child=StrictSlugField(max_length=max_length),
        required=False,
        max_length=FILTER_MAX,
        help_text=what,
    )


class SubscriptionRequestSerializer(serializers.Serializer):
    email = StrictEmailField(max_length=254, help_text=_("Where the digests go."))
    frequency = serializers.ChoiceField(
        choices=DigestFrequency.choices,
        default=DigestFrequency.DAILY,
        help_text=_("immediate: within minutes of publication; daily or weekly (UTC)."),
    )
    topics = _slugs(100, _("Only fact-checks on one of these topics (slugs as in topics/)."))
    claimants = _slugs(200, _("Only fact-checks of these claimants (slugs as in claimants/)."))
    ratings = _slugs(50, _("Only fact-checks with one of these ratings (slugs as in ratings/)."))
    language = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=35,
        validators=[bcp47_validator],
        help_text=_("Only fact-checks in this language (BCP 47 tag); empty or left out: any."),
    )
    notify_changes = StrictBooleanField(
        required=False,
        default=True,
        help_text=_("Also tell me when a verdict I received is corrected or withdrawn."),
    )


class SubscriptionAcceptedSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["confirmation_sent"])
    detail = serializers.CharField()
