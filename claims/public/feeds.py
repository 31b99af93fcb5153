"""RSS 2.0 and Atom 1.0 feeds of the latest fact-checks, optionally for one topic or
one claimant (`?topic=`, `?claimant=`). Same read model as the pages: one query."""

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from claims.public.selectors import FactCheck, factchecks_latest

FEED_SIZE = 50


@dataclass(frozen=True)
class FeedFilters:
    topic: str = ""
    claimant: str = ""

    def query(self) -> str:
        params = {k: v for k, v in (("topic", self.topic), ("claimant", self.claimant)) if v}
        return "?" + urlencode(params) if params else ""


class FactCheckRssFeed(Feed):
    def get_object(self, request: HttpRequest) -> FeedFilters:
        return FeedFilters(
            topic=request.GET.get("topic", "").strip()[:200],
            claimant=request.GET.get("claimant", "").strip()[:200],
        )

    def title(self, obj: FeedFilters) -> str:
        title = _("%(org)s: latest fact-checks") % {"org": settings.FACTCHECK_ORG_NAME}
        if obj.topic:
            title += " · " + _("topic %(slug)s") % {"slug": obj.topic}
        if obj.claimant:
            title += " · " + _("claimant %(slug)s") % {"slug": obj.claimant}
        return title

    def link(self, obj: FeedFilters) -> str:
        # The public site's address, as the items' links are (not the request's host).
        return settings.SITE_URL + reverse("factcheck-index") + obj.query()

    def description(self, obj: FeedFilters) -> str:
        return _("Fact-checks published by %(org)s, newest first.") % {
            "org": settings.FACTCHECK_ORG_NAME
        }

    def items(self, obj: FeedFilters) -> list[FactCheck]:
        return factchecks_latest(topic=obj.topic, claimant=obj.claimant, limit=FEED_SIZE)

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
    feed_type = Atom1Feed

    def subtitle(self, obj: FeedFilters) -> str:
        return self.description(obj)
