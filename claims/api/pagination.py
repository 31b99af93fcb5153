"""Cursor pagination on the publication's primary key (unique and indexed), so a deep
page costs what the first one does: `WHERE id < cursor ORDER BY id DESC LIMIT n+1`."""

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


class IdCursorPagination(CursorPagination):
    ordering = "-id"
    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request) -> int:
        return page_size_from(request.query_params)

    def decode_cursor(self, request):
        # DRF answers a broken cursor with 404 and trusts the position it carries; a
        # client's typo is a 400 here, and a non-numeric position never reaches SQL.
        try:
            cursor = super().decode_cursor(request)
        except Exception:  # noqa: BLE001 - DRF raises NotFound; anything else is bad input too
            cursor = False
        if cursor is False or (
            cursor is not None
            and cursor.position is not None
            # isascii: str.isdigit() also accepts digits such as "²" that int() refuses.
            and not (str(cursor.position).isascii() and str(cursor.position).isdigit())
        ):
            raise ValidationError({"cursor": ["Invalid cursor."]})
        return cursor


class SlugCursorPagination(IdCursorPagination):
    ordering = "slug"

    def decode_cursor(self, request):
        try:
            return CursorPagination.decode_cursor(self, request)
        except Exception:  # noqa: BLE001
            raise ValidationError({"cursor": ["Invalid cursor."]}) from None
