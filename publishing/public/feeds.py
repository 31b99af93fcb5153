"""RSS 2.0 and Atom 1.0 feeds of the latest fact-checks, optionally for one topic or
one claimant (`?topic=`, `?claimant=`). Same read model as the pages: one query.

Also the feed formats every feed of the project uses (the corrections log's too):
`TextRssFeed` and `TextAtomFeed` take plain text and write it so that readers show it
as typed (docs/security.md, "Feeds carry text").
"""

import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.translation import gettext as _

from publishing.public.selectors import FactCheck, FactCheckFilters, factchecks_latest

FEED_SIZE = 50

# What XML 1.0 cannot carry (its Char production): C0 controls but tab and newlines,
# lone surrogates, U+FFFE and U+FFFF. Django's writer refuses the whole feed for one of
# them (a 500), so they are left out.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(value: Any) -> Any:
    if isinstance(value, str):
        return _NOT_XML.sub("", value)
    if isinstance(value, list | tuple):
        return [_xml_text(item) for item in value]
    return value


def _plain_text(values: dict[str, Any], html: tuple[str, ...]) -> dict[str, Any]:
    """`values` with what XML cannot hold left out, and those named in `html` (which
    readers take as HTML) HTML-escaped: a reader shows `<b>` and `&amp;` as typed."""
    values = {key: _xml_text(value) for key, value in values.items()}
    for key in html:
        if values.get(key) is not None:
            values[key] = escape(values[key])
    return values


class _TextFeed:
    """A feed format whose values are plain text. `feed_html` and `item_html` name the
    elements readers take as HTML in this format."""

    feed_html: tuple[str, ...] = ()
    item_html: tuple[str, ...] = ()

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**_plain_text(kwargs, self.feed_html))

    def add_item(self, **kwargs: Any) -> None:
        super().add_item(**_plain_text(kwargs, self.item_html))


class TextRssFeed(_TextFeed, Rss201rev2Feed):
    """RSS 2.0: an item's description is HTML by the spec, and titles are read as HTML by
    many readers (the RSS Board's profile notes the "wide variance"), so both carry the
    text escaped: shown as typed where read as HTML, and never run."""

    feed_html = ("title",)
    item_html = ("title", "description")


class TextAtomFeed(_TextFeed, Atom1Feed):
    """Atom 1.0: titles are text constructs (`type="text"`, Django's default), the
    summary is `type="html"`, so only the summary is escaped."""

    item_html = ("description",)


class FactCheckRssFeed(Feed):
    feed_type = TextRssFeed

    def get_object(self, request: HttpRequest) -> FactCheckFilters:
        return FactCheckFilters.from_query(request.GET)

    def title(self, obj: FactCheckFilters) -> str:
        title = _("%(org)s: latest fact-checks") % {"org": settings.FACTCHECK_ORG_NAME}
        if obj.topic:
            title += " · " + _("topic %(slug)s") % {"slug": obj.topic}
        if obj.claimant:
            title += " · " + _("claimant %(slug)s") % {"slug": obj.claimant}
        return title

    def link(self, obj: FactCheckFilters) -> str:
        # The public site's address, as the items' links are (not the request's host).
        return settings.SITE_URL + reverse("factcheck-index") + obj.query()

    def description(self, obj: FactCheckFilters) -> str:
        return _("Fact-checks published by %(org)s, newest first.") % {
            "org": settings.FACTCHECK_ORG_NAME
        }

    def items(self, obj: FactCheckFilters) -> list[FactCheck]:
        return factchecks_latest(filters=obj, limit=FEED_SIZE)

    def item_title(self, item: FactCheck) -> str:
        return _("%(claim)s: %(rating)s") % {
            "claim": item.document["claim_reviewed"],
            "rating": item.document["rating"]["label"],
        }

    def item_description(self, item: FactCheck) -> str:
        return item.document["summary"]

    def item_link(self, item: FactCheck) -> str:
        return item.document["public_url"]

    def item_guid(self, item: FactCheck) -> str:
        # A tag URI (RFC 4151) on the fact-check's id and first publication date: it
        # stays the same when a correction changes the title, the slug or the URL.
        host = urlsplit(settings.SITE_URL).hostname or "localhost"
        first = item.publication.published_at.date().isoformat()
        return f"tag:{host},{first}:factcheck:{item.publication.claim_id}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: FactCheck) -> datetime:
        return item.publication.published_at

    def item_updateddate(self, item: FactCheck) -> datetime:
        return item.publication.updated_at

    def item_author_name(self, item: FactCheck) -> str:
        return settings.FACTCHECK_ORG_NAME

    def item_categories(self, item: FactCheck) -> list[str]:
        return [topic["name"] for topic in item.document["topics"]]


class FactCheckAtomFeed(FactCheckRssFeed):
    feed_type = TextAtomFeed

    def subtitle(self, obj: FactCheckFilters) -> str:
        return self.description(obj)
