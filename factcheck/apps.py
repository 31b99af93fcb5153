"""The project's own app configs: the admin with its input guard, and the ORM lookups
every app relies on."""

from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class FactcheckConfig(AppConfig):
    name = "factcheck"
    verbose_name = "Fact-check service"

    def ready(self) -> None:
        from factcheck import lookups

        lookups.register()


class FactcheckAdminConfig(AdminConfig):
    """django.contrib.admin with the site that checks ids and values before any view
    (factcheck/admin_site.py)."""

    default_site = "factcheck.admin_site.AdminSite"
