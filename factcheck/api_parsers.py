"""The API's JSON parser (REST_FRAMEWORK's DEFAULT_PARSER_CLASSES). A module of its
own: DRF imports it while it builds its views, so it cannot import them (factcheck.api
does)."""

from typing import Any

from django.conf import settings
from rest_framework import exceptions, parsers


def _depth(data: Any, most: int) -> int:
    """How deeply lists and objects nest in `data` (a scalar is 0), counted without
    recursion and only up to `most` + 1."""
    deepest, pending = 0, [(data, 1)]
    while pending and deepest <= most:
        value, depth = pending.pop()
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            deepest = max(deepest, depth)
            pending.extend((item, depth + 1) for item in value)
    return deepest


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing a document nested deeper than
    FACTCHECK_API_MAX_JSON_DEPTH with a 400 `parse_error`. The size is bounded before
    this runs (DATA_UPLOAD_MAX_MEMORY_SIZE: a 413)."""

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        most = settings.FACTCHECK_API_MAX_JSON_DEPTH
        too_deep = exceptions.ParseError(f"JSON nested deeper than {most} levels.")
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            # json.loads recurses once per level: 2,000 of them in 4 KB exhaust the stack.
            raise too_deep from None
        if _depth(data, most) > most:
            raise too_deep
        return data
