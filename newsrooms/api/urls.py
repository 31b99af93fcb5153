from django.urls import path

from newsrooms.api import views

urlpatterns = [
    path("submissions/", views.SubmissionCreateView.as_view(), name="api-submission-list"),
    path(
        "submissions/<int:pk>/",
        views.SubmissionDetailView.as_view(),
        name="api-submission-detail",
    ),
    path("subscriptions/", views.SubscriptionCreateView.as_view(), name="api-subscription-list"),
]
