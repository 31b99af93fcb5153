from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ops import services
from ops.models import Heartbeat, ParkedTask
from ops.selectors import queue_snapshot


@admin.register(ParkedTask)
class ParkedTaskAdmin(admin.ModelAdmin):
    list_display = ["name", "args", "queue", "deliveries", "parked_at"]
    list_filter = ["name", "queue"]
    readonly_fields = ["task_id", "name", "args", "kwargs", "queue", "deliveries", "parked_at"]
    actions = ["run_again"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Run the selected tasks again"), permissions=["change"])
    def run_again(self, request, queryset) -> None:
        for parked in queryset:
            services.parked_task_retry(parked=parked)
        count = len(queryset)
        self.message_user(
            request,
            ngettext("%d task sent again.", "%d tasks sent again.", count) % count,
            messages.SUCCESS,
        )


@admin.register(Heartbeat)
class QueueStatusAdmin(admin.ModelAdmin):
    """The queue status page: the heartbeat list with the queue snapshot above it."""

    change_list_template = "admin/ops/queue_status.html"
    list_display = ["name", "at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "snapshot": queue_snapshot()}
        return super().changelist_view(request, extra_context)
