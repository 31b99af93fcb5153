"""Admin pages of the reference data: claimants, ratings, topics, verdicts, evidence."""

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from claims.models import Claimant, ClaimantAlias, Evidence, Rating, Topic, Verdict
from factcheck.history_admin import HistoryAdmin


class ClaimantAliasInline(admin.TabularInline):
    model = ClaimantAlias
    extra = 0


@admin.register(Claimant)
class ClaimantAdmin(HistoryAdmin):
    list_display = ["name", "description", "wikidata_id"]
    search_fields = ["name", "aliases__name", "wikidata_id"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ClaimantAliasInline]


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ["label", "slug", "value", "position"]
    list_editable = ["position"]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class RecordAdmin(HistoryAdmin):
    """A read-only list of rows written on the claim page, through the services (the
    verdict form, the evidence inline). There is no add or change page here that could
    bypass the workflow's rules; a crafted POST is refused with a message."""

    refusal = _("These rows are written on the claim page.")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:  # fmt: skip
        if request.method == "POST":
            self.message_user(
                request, f"{self.refusal} {_('Nothing was changed.')}", messages.ERROR
            )
            target = request.get_full_path() if object_id else reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"
            )  # fmt: skip
            return HttpResponseRedirect(target)
        return super().changeform_view(request, object_id, form_url, extra_context)


@admin.register(Verdict)
class VerdictAdmin(RecordAdmin):
    list_display = ["claim", "version", "rating", "status", "author", "approved_by", "approved_at"]
    list_filter = ["status", "rating"]
    list_select_related = ["claim", "rating", "author", "approved_by"]
    refusal = _(
        "Verdicts are written on the claim page (Propose verdict, the draft), and an "
        "approved verdict changes only through Correct."
    )


@admin.register(Evidence)
class EvidenceAdmin(RecordAdmin):
    list_display = ["title", "publisher", "stance", "kind", "claim", "added_at"]
    list_filter = ["stance", "kind"]
    list_select_related = ["claim"]
    search_fields = ["title", "publisher", "url"]
    refusal = _("Sources are added and edited on the claim page while it is in review.")
