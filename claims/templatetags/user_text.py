"""Showing what people typed next to our own words (docs/security.md).

New text is stored without direction controls (factcheck/text.py), but a published
version is never rewritten, and right-to-left names and claims sit inside left-to-right
sentences anyway: user text is isolated where it is shown, so that its direction cannot
reorder the words around it. In HTML, inline text goes in <bdi> (`|bdi`, for values
handed to blocktranslate; `<bdi>{{ value }}</bdi>` otherwise) and a block of user text
gets dir="auto". Where no element can be used (<title>, attributes), `|one_line` shows
the value normalised."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from factcheck.text import clean_line

register = template.Library()


@register.filter
def bdi(value: object) -> SafeString:
    """`value`, escaped, in a <bdi> element."""
    return format_html("<bdi>{}</bdi>", value)


@register.filter
def one_line(value: object) -> str:
    """`value` as it would be stored today: no controls, one line. Escaped as usual."""
    return clean_line(str(value)) if value is not None else ""
