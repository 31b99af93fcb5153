"""Cursor pagination on the publication's primary key (unique and indexed), so a deep
page costs what the first one does: `WHERE id < cursor ORDER BY id DESC LIMIT n+1`."""

import base64
import binascii
from urllib.parse import parse_qs

from django.core.validators import slug_re
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination

from factcheck.converters import MAX_BIGINT

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def digits(raw: str) -> str | None:
    """`raw` as the ASCII digits of a whole number, without leading zeros ("" for 0),
    or None for anything else. Every number a query string or a cursor carries is
    read through this: int() also takes "٣", "３", "+3", " 3" and "3_0"."""
    if not (raw.isascii() and raw.isdigit()):
        return None
    return raw.lstrip("0")


def whole_number(raw: str, name: str, *, most: int = MAX_BIGINT) -> int:
    """`raw` as a whole number from 0 to `most`, or a 400 naming the parameter."""
    number = digits(raw)
    if number is None or len(number) > len(str(most)) or int(number or "0") > most:
        raise ValidationError({name: ["Must be a whole number, 0 or more."]})
    return int(number or "0")


def page_size_from(params, *, default: int = DEFAULT_PAGE_SIZE, most: int = MAX_PAGE_SIZE) -> int:
    """`page_size`: 1 or more, served as `most` when it is more (the schema says so);
    anything else is a 400."""
    raw = params.get("page_size")
    if raw is None or raw == "":
        return default
    number = digits(raw)
    if not number:  # not digits, or zero
        message = f"Must be a whole number, 1 or more; more than {most} is served as {most}."
        raise ValidationError({"page_size": [message]})
    # A number too long to be worth converting is more than `most`.
    return most if len(number) > len(str(most)) else min(int(number), most)


def _cursor_tokens(encoded: str) -> dict[str, str]:
    """The fields of a cursor DRF encoded (base64 of `o=..&r=..&p=..`), or a 400.

    DRF decodes leniently (it drops characters that are not base64 and reads `r=2` as
    reverse), so a mangled cursor silently becomes another page; a client's broken
    cursor is refused here instead."""
    try:
        text = base64.b64decode(encoded.encode("ascii"), validate=True).decode("ascii")
        tokens = parse_qs(text, keep_blank_values=True, strict_parsing=True)
    except (ValueError, UnicodeError, binascii.Error):
        tokens = {}
    fields = {key: values[0] for key, values in tokens.items() if len(values) == 1}
    valid = (
        fields
        and len(fields) == len(tokens)
        and set(fields) <= {"o", "r", "p"}
        and digits(fields.get("o", "0")) is not None
        and len(fields.get("o", "0")) <= 4
        and fields.get("r", "0") in {"0", "1"}
    )
    if not valid:
        raise ValidationError({"cursor": ["Invalid cursor."]})
    return fields


class IdCursorPagination(CursorPagination):
    ordering = "-id"
    page_size = DEFAULT_PAGE_SIZE

    def get_page_size(self, request) -> int:
        # Instead of DRF's page_size_query_param/max_page_size: 0 or text is a 400
        # here, where DRF would quietly serve the default size.
        return page_size_from(request.query_params)

    def position_is_valid(self, position: str) -> bool:
        # A primary key: digits that fit a bigint, so no position ever reaches SQL as
        # anything else.
        return digits(position) is not None and len(position) <= 18

    def decode_cursor(self, request):
        encoded = request.query_params.get(self.cursor_query_param)
        if not encoded:  # absent or empty (`?cursor=`): the first page
            return None
        position = _cursor_tokens(encoded).get("p")
        if position is not None and not self.position_is_valid(position):
            raise ValidationError({"cursor": ["Invalid cursor."]})
        return super().decode_cursor(request)


class SlugCursorPagination(IdCursorPagination):
    ordering = "slug"

    def position_is_valid(self, position: str) -> bool:
        # A slug, as SlugField holds it: nothing else (a NUL, which PostgreSQL cannot
        # compare, a space, markup) is a position in the list.
        return len(position) <= 200 and slug_re.match(position) is not None
