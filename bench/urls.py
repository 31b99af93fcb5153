"""The production URLs plus `bench/bare/`: the smallest Django JSON answer, served by the
same gunicorn, middleware and settings as the API, as the benchmark's baseline."""

from django.http import HttpRequest, JsonResponse
from django.urls import include, path


def bare(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


urlpatterns = [
    path("bench/bare/", bare, name="bench-bare"),
    path("", include("factcheck.urls")),
]
