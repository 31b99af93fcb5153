"""PLACEHOLDER (being replaced): public pages."""

from django.http import HttpResponse


def factcheck_index(request):
    return HttpResponse("")


def factcheck_detail(request, pk, slug):
    return HttpResponse("")
