from django.apps import AppConfig


class NewsroomsConfig(AppConfig):
    name = "newsrooms"

    def ready(self) -> None:
        from newsrooms.api import schema  # noqa: F401 - registers the token's security scheme
