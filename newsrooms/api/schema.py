"""How the newsroom token appears in the OpenAPI schema. Imported by the app's ready():
drf-spectacular finds extensions by subclassing."""

from typing import Any

from django.conf import settings
from django.core.validators import RegexValidator
from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerFieldExtension,
)

from factcheck.text import VISIBLE
from newsrooms.api.permissions import AnyoneOrToken, PublicReadOrToken


class NewsroomTokenScheme(OpenApiAuthenticationExtension):
    """Names the scheme in the OpenAPI schema (drf-spectacular finds it by subclassing)."""

    target_class = "newsrooms.api.authentication.NewsroomTokenAuthentication"
    name = "newsroomToken"

    def get_security_requirement(self, auto_schema: Any) -> list[dict[str, list]]:
        # Reads under PublicReadOrToken work without a token too, while the API is public.
        perms = {type(p) for p in auto_schema.view.get_permissions()}
        public = settings.FACTCHECK_PUBLIC_API and PublicReadOrToken in perms
        if (public and auto_schema.method in ("GET", "HEAD")) or AnyoneOrToken in perms:
            return [{self.name: []}, {}]
        return [{self.name: []}]

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A newsroom API token (`create_api_token`); never in the query string.",
        }


# The `pattern` of a required text field in the schema: no NUL (DRF refuses it, and so
# does the server) and a character that shows (factcheck.text.VISIBLE).
REQUIRED_TEXT_PATTERN = f"^[^\\u0000]*{VISIBLE}[^\\u0000]*$"


class RequiredTextPattern(OpenApiSerializerFieldExtension):
    """A required text field's `pattern` as the server applies it: its VISIBLE validator
    and DRF's refusal of NUL characters together."""

    target_class = "newsrooms.api.serializers.StrictCharField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if any(
            isinstance(v, RegexValidator) and v.regex.pattern == VISIBLE
            for v in self.target.validators
        ):
            schema["pattern"] = REQUIRED_TEXT_PATTERN
        return schema
