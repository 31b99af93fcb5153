"""RSS 2.0 and Atom 1.0 feeds of the corrections log: every correction and withdrawal,
newest first, read from the sequenced change events as the page is."""

from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.translation import gettext as _

from publishing.models import ChangeType
from publishing.public.feeds import TextAtomFeed, TextRssFeed
from publishing.selectors import CorrectionEntry, corrections_latest

FEED_SIZE = 50


class CorrectionsRssFeed(Feed):
    # Plain text in, escaped where readers take it as HTML (publishing.public.feeds).
    feed_type = TextRssFeed

    def title(self) -> str:
        return _("%(org)s: corrections and withdrawals") % {"org": settings.FACTCHECK_ORG_NAME}

    def link(self) -> str:
        # The public site's address, as the items' links are (not the request's host).
        return settings.SITE_URL + reverse("corrections-log")

    def description(self) -> str:
        return _("Every fact-check %(org)s corrected or withdrew, newest first.") % {
            "org": settings.FACTCHECK_ORG_NAME
        }

    def items(self) -> list[CorrectionEntry]:
        return corrections_latest(limit=FEED_SIZE)

    def item_title(self, item: CorrectionEntry) -> str:
        if item.kind == ChangeType.WITHDRAWN:
            return _("Withdrawn: %(claim)s") % {"claim": item.claim_reviewed}
        return _("Corrected: %(claim)s") % {"claim": item.claim_reviewed}

    def item_description(self, item: CorrectionEntry) -> str:
        return item.note

    def item_link(self, item: CorrectionEntry) -> str:
        return settings.SITE_URL + item.path

    def item_guid(self, item: CorrectionEntry) -> str:
        # A tag URI (RFC 4151) per event: the sequence number never changes or repeats,
        # whatever later happens to the claim's title, slug or address.
        host = urlsplit(settings.SITE_URL).hostname or "localhost"
        return f"tag:{host},{item.at.date().isoformat()}:change:{item.seq}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: CorrectionEntry) -> datetime:
        return item.at

    def item_author_name(self, item: CorrectionEntry) -> str:
        return settings.FACTCHECK_ORG_NAME


class CorrectionsAtomFeed(CorrectionsRssFeed):
    feed_type = TextAtomFeed

    def subtitle(self) -> str:
        return self.description()
