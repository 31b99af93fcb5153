"""The public site: fact-check pages and feeds, the policy pages and the corrections log."""

from django.urls import path

from publishing.public import corrections_feeds, factchecks, feeds, policy

urlpatterns = [
    path("factchecks/", factchecks.factcheck_index, name="factcheck-index"),
    # `str`, not `slug`: an old or mangled slug still reaches the view, which answers
    # with a permanent redirect to the canonical address.
    # <id:...>: an id past the largest primary key is no page (factcheck/converters.py).
    path("factchecks/<id:pk>-<str:slug>/", factchecks.factcheck_detail, name="factcheck-detail"),
    path("factchecks/<id:pk>/", factchecks.factcheck_detail, name="factcheck-bare"),
    path("factchecks/<id:pk>-/", factchecks.factcheck_detail),
    path("feeds/factchecks.rss", feeds.FactCheckRssFeed(), name="factcheck-feed-rss"),
    path("feeds/factchecks.atom", feeds.FactCheckAtomFeed(), name="factcheck-feed-atom"),
    path("about/", policy.about, name="policy-about"),
    path("about/methodology/", policy.methodology, name="policy-methodology"),
    path("about/corrections-policy/", policy.corrections_policy, name="policy-corrections"),
    path("corrections/", policy.corrections_log, name="corrections-log"),
    path(
        "feeds/corrections.rss",
        corrections_feeds.CorrectionsRssFeed(),
        name="corrections-feed-rss",
    ),
    path(
        "feeds/corrections.atom",
        corrections_feeds.CorrectionsAtomFeed(),
        name="corrections-feed-atom",
    ),
]
