from django.urls import path

from publishing import feeds, views

urlpatterns = [
    path("about/", views.about, name="policy-about"),
    path("about/methodology/", views.methodology, name="policy-methodology"),
    path("about/corrections-policy/", views.corrections_policy, name="policy-corrections"),
    path("corrections/", views.corrections_log, name="corrections-log"),
    path("feeds/corrections.rss", feeds.CorrectionsRssFeed(), name="corrections-feed-rss"),
    path("feeds/corrections.atom", feeds.CorrectionsAtomFeed(), name="corrections-feed-atom"),
]
