from django.urls import path, re_path

from claims.public import feeds, views

urlpatterns = [
    path("factchecks/", views.factcheck_index, name="factcheck-index"),
    # `str`, not `slug`: an old or mangled slug still reaches the view, which answers
    # with a permanent redirect to the canonical address.
    path("factchecks/<int:pk>-<str:slug>/", views.factcheck_detail, name="factcheck-detail"),
    re_path(r"^factchecks/(?P<pk>[0-9]+)-?/$", views.factcheck_detail, name="factcheck-bare"),
    path("feeds/factchecks.rss", feeds.FactCheckRssFeed(), name="factcheck-feed-rss"),
    path("feeds/factchecks.atom", feeds.FactCheckAtomFeed(), name="factcheck-feed-atom"),
]
