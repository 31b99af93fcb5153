from django.conf import settings
from django.contrib import admin
from django.urls import include, path, register_converter
from django.views.generic import RedirectView

from factcheck.converters import IdConverter
from factcheck.health import healthz

# Before the apps' URLs are included: they use <id:...> (factcheck/converters.py).
register_converter(IdConverter, "id")

admin.site.site_header = settings.FACTCHECK_ORG_NAME
admin.site.site_title = settings.FACTCHECK_ORG_NAME

urlpatterns = [
    path("", RedirectView.as_view(url="/factchecks/", permanent=False)),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("factcheck.api_urls")),
    path("", include("publishing.urls")),
    path("", include("newsrooms.public_urls")),
]

# Errors Django answers itself: under /api/ in the API's error format (factcheck/api.py).
handler400 = "factcheck.api.bad_request"
handler500 = "factcheck.api.server_error"
