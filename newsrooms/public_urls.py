from django.urls import path

from newsrooms import public_views

urlpatterns = [
    path("subscribe/", public_views.subscribe, name="subscribe"),
    path(
        "subscriptions/confirm/<str:token>/",
        public_views.subscription_confirm_page,
        name="subscription-confirm",
    ),
    path(
        "subscriptions/unsubscribe/<str:token>/",
        public_views.subscription_unsubscribe_page,
        name="subscription-unsubscribe",
    ),
]
