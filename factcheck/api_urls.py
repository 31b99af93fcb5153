"""/api/v1/: the public contract (DESIGN.md, docs/api.md)."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from factcheck.api import not_found

urlpatterns = [
    path("", include("publishing.api.urls")),
    path("", include("newsrooms.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Our template of the page: its inline script carries the CSP nonce (docs/security.md).
    path(
        "docs/",
        SpectacularSwaggerView.as_view(url_name="api-schema", template_name="api/docs.html"),
        name="api-docs",
    ),
    # Anything else under /api/v1/ answers 404 in the API's error format, not HTML.
    # [\s\S], not ".": a path with a newline in it is unknown here too, not an HTML 404.
    re_path(r"^[\s\S]*$", not_found),
]
