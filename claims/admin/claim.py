"""The claim pages of the reviewers' workspace: the queues (change list) and the claim
page. Status, assignee and duplicate_of are read-only: only the workflow services
change them, through the buttons of `WorkflowButtonsMixin`."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from claims import services
from claims.admin.locking import OptimisticLockMixin
from claims.admin.workflow import WorkflowButtonsMixin
from claims.models import Appearance, Claim, Evidence, Verdict


class AppearanceInline(admin.TabularInline):
    model = Appearance
    extra = 0


class EvidenceInline(admin.StackedInline):
    model = Evidence
    extra = 0
    fields = ["url", "title", "publisher", "stance", "kind", "quote", "added_by", "added_at"]
    readonly_fields = ["added_by", "added_at"]


class VerdictInline(admin.StackedInline):
    model = Verdict
    extra = 0
    can_delete = False
    fields = ["version", "status", "rating", "summary", "explanation", "author", "approved_by",
              "approved_at", "correction_note", "review_note"]  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Claim)
class ClaimAdmin(WorkflowButtonsMixin, OptimisticLockMixin, SimpleHistoryAdmin):
    list_display = ["claim_reviewed", "claimant", "status", "assignee", "priority", "created_at"]
    list_filter = ["status", "language", "topics", "origin"]
    list_select_related = ["claimant", "assignee"]
    search_fields = ["text", "claim_reviewed", "claimant__name", "claimant__aliases__name"]
    autocomplete_fields = ["claimant"]
    readonly_fields = ["status", "assignee", "duplicate_of", "status_note", "priority", "origin",
                       "requests_count", "due_at",
                       "created_by", "created_at", "updated_at", "status_changed_at"]  # fmt: skip
    filter_horizontal = ["topics"]
    inlines = [AppearanceInline, EvidenceInline, VerdictInline]

    def save_model(self, request, obj: Claim, form, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
        else:
            # A new claim enters the workflow like any other: received, then triaged.
            services.claim_register(actor=request.user, claim=obj)
