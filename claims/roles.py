"""Roles in the workflow are Django groups; superusers hold every role. Every app asks
here who may act (claims owns them: the workflow table is written in roles)."""

from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


class Role(StrEnum):
    REVIEWER = "Reviewer"
    EDITOR = "Editor"
    ADMIN = "Admin"
    # Celery tasks and management commands acting on their own (no user).
    SYSTEM = "system"


def roles_of(user: AbstractBaseUser | AnonymousUser | None) -> frozenset[Role]:
    if user is None:
        return frozenset({Role.SYSTEM})
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return frozenset({Role.REVIEWER, Role.EDITOR, Role.ADMIN})
    names = set(user.groups.values_list("name", flat=True))
    return frozenset(role for role in Role if role.value in names)
