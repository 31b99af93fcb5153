from django.urls import path

from claims.public import views

urlpatterns = [
    path("factchecks/", views.factcheck_index, name="factcheck-index"),
    path("factchecks/<int:pk>-<slug:slug>/", views.factcheck_detail, name="factcheck-detail"),
]
