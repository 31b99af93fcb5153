from django.urls import path

from claims.public import feeds, views

urlpatterns = [
    path("factchecks/", views.factcheck_index, name="factcheck-index"),
    # `str`, not `slug`: an old or mangled slug still reaches the view, which answers
    # with a permanent redirect to the canonical address.
    # <id:...>: an id past the largest primary key is no page (factcheck/converters.py).
    path("factchecks/<id:pk>-<str:slug>/", views.factcheck_detail, name="factcheck-detail"),
    path("factchecks/<id:pk>/", views.factcheck_detail, name="factcheck-bare"),
    path("factchecks/<id:pk>-/", views.factcheck_detail),
    path("feeds/factchecks.rss", feeds.FactCheckRssFeed(), name="factcheck-feed-rss"),
    path("feeds/factchecks.atom", feeds.FactCheckAtomFeed(), name="factcheck-feed-atom"),
]
