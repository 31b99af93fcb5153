"""The reviewers' workspace in the Django admin."""

from claims.admin import catalogue, claim  # noqa: F401 - registers the ModelAdmins
