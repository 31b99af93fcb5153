"""How the newsroom token appears in the OpenAPI schema. Imported by the app's ready():
drf-spectacular finds extensions by subclassing."""

from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension

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
