from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublishingConfig(AppConfig):
    name = "publishing"
    verbose_name = _("Publishing")

    def ready(self) -> None:
        # The workflow publishes through this hook, in its own transaction (claims.hooks).
        from claims import hooks
        from publishing.services import WorkflowPublisher

        hooks.publisher_register(WorkflowPublisher())
