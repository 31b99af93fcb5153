from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from reviewers import services
from reviewers.forms import ReviewerProfileForm
from reviewers.models import Notice, QueueSettings, ReviewerProfile


@admin.register(ReviewerProfile)
class ReviewerProfileAdmin(admin.ModelAdmin):
    form = ReviewerProfileForm
    list_display = ["user", "languages", "capacity", "active"]
    list_filter = ["active", "topics"]
    list_select_related = ["user"]
    filter_horizontal = ["topics"]


@admin.register(QueueSettings)
class QueueSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "auto_assign", "assigning_now", "updated_at", "updated_by"]
    fields = ["auto_assign", "assigning_now", "updated_at", "updated_by"]
    readonly_fields = ["assigning_now", "updated_at", "updated_by"]

    @admin.display(boolean=True, description=_("assigning now"))
    def assigning_now(self, obj: QueueSettings) -> bool:
        """What the next run does: FACTCHECK_AUTO_ASSIGN=false overrides the tick box."""
        return settings.FACTCHECK_AUTO_ASSIGN and obj.auto_assign

    def has_add_permission(self, request: HttpRequest) -> bool:
        # The migration writes the one row; only if it was deleted may it be added.
        return super().has_add_permission(request) and not QueueSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: QueueSettings | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: QueueSettings, form, change: bool) -> None:
        services.queue_settings_update(actor=request.user, auto_assign=obj.auto_assign)


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ["claim", "kind", "recipient_display", "due_at", "state", "attempts",
                    "created_at", "sent_at"]  # fmt: skip
    list_filter = ["kind", "state"]
    list_select_related = ["claim", "recipient"]
    search_fields = ["claim__claim_reviewed", "recipient__username", "recipient__email"]
    date_hierarchy = "created_at"
    readonly_fields = ["claim", "kind", "recipient", "due_at", "state", "attempts",
                       "locked_until", "error", "created_at", "sent_at"]  # fmt: skip
    actions = ["send_again"]

    @admin.display(description=_("recipient"), ordering="recipient__username")
    def recipient_display(self, obj: Notice) -> str:
        return obj.recipient.get_username() if obj.recipient else _("the editors")

    @admin.action(description=_("Send the selected failed or skipped notices again"),
                  permissions=["change"])  # fmt: skip
    def send_again(self, request: HttpRequest, queryset: QuerySet[Notice]) -> None:
        count = services.notices_resend(notice_ids=queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            ngettext("%d notice will be sent again.", "%d notices will be sent again.", count)
            % count,
            messages.SUCCESS,
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
