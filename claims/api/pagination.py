"""Cursor pagination on the publication's primary key (unique and indexed), so a deep
page costs what the first one does: `WHERE id < cursor ORDER BY id DESC LIMIT n+1`."""

import base64
import binascii
from urllib.parse import parse_qs

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def page_size_from(params, *, default: int = DEFAULT_PAGE_SIZE, most: int = MAX_PAGE_SIZE) -> int:
    """`page_size` 1..most; more is capped at most, anything else is a 400."""
    raw = params.get("page_size")
    if raw is None or raw == "":
        return default
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if size < 1:
        raise ValidationError({"page_size": [f"Must be a whole number from 1 to {most}."]})
    return min(size, most)


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
        and (fields.get("o", "0").isdigit() and len(fields.get("o", "0")) <= 4)
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
        return position.isascii() and position.isdigit() and len(position) <= 18

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
        return 0 < len(position) <= 200
