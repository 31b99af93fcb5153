"""`python manage.py seed_demo`: load the demo claims, claimants and users (idempotent)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.data import seed_demo


class Command(BaseCommand):
    help = "Load the demo claims, claimants and users. Safe to run again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load the demo even with DEBUG off. The demo users are staff with a published "
            "password: never on a server people can reach.",
        )

    def handle(self, *args: object, **options: object) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "DEBUG is off: refusing to create demo staff accounts with a published password. "
                "Use --force to load the demo anyway."
            )
        self.stdout.write(seed_demo().line())
