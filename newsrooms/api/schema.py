"""How the newsroom token appears in the OpenAPI schema. Imported by the app's ready():
drf-spectacular finds extensions by subclassing."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class NewsroomTokenScheme(OpenApiAuthenticationExtension):
    """Names the scheme in the OpenAPI schema (drf-spectacular finds it by subclassing)."""

    target_class = "newsrooms.api.authentication.NewsroomTokenAuthentication"
    name = "newsroomToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A newsroom API token: Authorization: Bearer <token>.",
        }
