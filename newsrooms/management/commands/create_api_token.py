"""python manage.py create_api_token --newsroom NAME --scopes read,submit

Prints the new token on its last line, so a script can take it with `tail -n 1`.
"""

import datetime

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from newsrooms.models import TokenScope
from newsrooms.selectors import newsroom_for_name
from newsrooms.services import token_create


class Command(BaseCommand):
    help = "Create an API token for a newsroom and print it (it is shown only once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--newsroom", required=True, help="The newsroom's name or slug.")
        parser.add_argument(
            "--scopes", required=True, help="Comma-separated: read, submit or read,submit."
        )
        parser.add_argument("--name", default="", help="A label to recognise the token by.")
        parser.add_argument(
            "--expires-days", type=int, default=None, help="Expire after N days (default never)."
        )

    def handle(self, *args, **options) -> None:
        newsroom = newsroom_for_name(options["newsroom"])
        if newsroom is None:
            raise CommandError(f"No newsroom named {options['newsroom']!r} (name or slug).")
        scopes = [s.strip() for s in options["scopes"].split(",") if s.strip()]
        unknown = sorted(set(scopes) - set(TokenScope.values))
        if not scopes or unknown:
            raise CommandError(
                f"Bad scopes {options['scopes']!r}: use one or more of "
                f"{', '.join(TokenScope.values)}, comma-separated."
            )
        days = options["expires_days"]
        if days is not None and days < 1:
            raise CommandError("--expires-days must be at least 1.")
        expires_at = timezone.now() + datetime.timedelta(days=days) if days else None
        try:
            token, key = token_create(
                newsroom=newsroom, scopes=scopes, name=options["name"], expires_at=expires_at
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        expiry = token.expiry_date.isoformat() if token.expiry_date else "never"
        self.stdout.write(
            f"Token {token.prefix} for {newsroom.name}, scopes {','.join(token.scopes)}, "
            f"expires {expiry}."
        )
        self.stdout.write("Store it now: it is shown only once. Send it as a header:")
        self.stdout.write("  Authorization: Bearer <token>")
        self.stdout.write(key)
