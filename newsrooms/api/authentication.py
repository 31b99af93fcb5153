"""PLACEHOLDER (being replaced): newsroom bearer tokens."""

from rest_framework.authentication import BaseAuthentication


class NewsroomTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        return None
