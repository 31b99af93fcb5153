from django.contrib import admin

from reviewers.models import ReviewerProfile


@admin.register(ReviewerProfile)
class ReviewerProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "capacity", "active"]
    list_filter = ["active", "topics"]
    list_select_related = ["user"]
    filter_horizontal = ["topics"]
