from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from factcheck.health import healthz

admin.site.site_header = settings.FACTCHECK_ORG_NAME
admin.site.site_title = settings.FACTCHECK_ORG_NAME

urlpatterns = [
    path("", RedirectView.as_view(url="/factchecks/", permanent=False)),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("factcheck.api_urls")),
    path("", include("publishing.urls")),
    path("", include("claims.public.urls")),
    path("", include("newsrooms.public_urls")),
]
