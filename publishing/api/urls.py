from django.urls import path

from publishing.api import views

# <id:...>: an id past the largest primary key is a 404 (factcheck/converters.py).
urlpatterns = [
    path("claims/", views.ClaimListView.as_view(), name="api-claim-list"),
    path("claims/<id:pk>/", views.ClaimDetailView.as_view(), name="api-claim-detail"),
    path(
        "claims/<id:pk>/claimreview/",
        views.ClaimReviewView.as_view(),
        name="api-claim-claimreview",
    ),
    path("changes/", views.ChangeListView.as_view(), name="api-changes"),
    path("claimants/", views.ClaimantListView.as_view(), name="api-claimant-list"),
    path("claimants/<slug:slug>/", views.ClaimantDetailView.as_view(), name="api-claimant-detail"),
    path("ratings/", views.RatingListView.as_view(), name="api-rating-list"),
    path("topics/", views.TopicListView.as_view(), name="api-topic-list"),
]
