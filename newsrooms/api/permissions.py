"""PLACEHOLDER (being replaced): who may read and submit."""

from rest_framework.permissions import BasePermission


class PublicReadOrToken(BasePermission):
    def has_permission(self, request, view) -> bool:
        return True
