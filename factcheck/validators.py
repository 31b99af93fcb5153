"""Web addresses people give us (sources, appearances, submissions, newsroom sites).

Django's URLValidator alone lets through addresses that are not URIs: its path part is
"anything but whitespace", so `"`, `<`, `>`, `\\`, `{`, `|` or non-ASCII letters pass,
and a published document then carries a `format: uri` field that is no URI. Every
address is checked by both: Django's validator (http or https, a real host name, at
most 2,048 characters) and RFC 3986 (through the `rfc3986` package), which refuses any
character that would have to be percent-encoded. The API's fields apply the same
validator (plus the pattern its schema states), so the admin and the API share it.
"""

import rfc3986
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _
from rfc3986 import exceptions as rfc3986_exceptions
from rfc3986 import validators as rfc3986_validators

_URI = (
    rfc3986_validators.Validator()
    .require_presence_of("scheme", "host")
    .allow_schemes("http", "https")
    .check_validity_of("scheme", "userinfo", "host", "port", "path", "query", "fragment")
)


@deconstructible
class WebURLValidator(URLValidator):
    """An http or https address that is a URI as RFC 3986 writes it."""

    message = _(
        "Enter a web address (http or https) as a browser's address bar shows it; "
        "characters such as spaces, quotes, < > \\ { } | ^ ` and letters outside A-Z "
        "must be percent-encoded."
    )

    def __init__(self, **kwargs: object) -> None:
        super().__init__(schemes=["http", "https"], **kwargs)

    def __call__(self, value: object) -> None:
        super().__call__(value)
        reference = rfc3986.uri_reference(value)
        # uri_reference() percent-encodes what it must: any change means the value
        # held a character a URI cannot (a quote, a space, a non-ASCII letter...).
        if reference.unsplit() != value:
            raise ValidationError(self.message, code=self.code, params={"value": value})
        try:
            _URI.validate(reference)
        except rfc3986_exceptions.ValidationError:
            raise ValidationError(self.message, code=self.code, params={"value": value}) from None


validate_web_url = WebURLValidator()
