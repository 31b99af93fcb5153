"""Admin pages of the reference data: claimants, ratings, topics, verdicts, evidence."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from claims.models import Claimant, ClaimantAlias, Evidence, Rating, Topic, Verdict


class ClaimantAliasInline(admin.TabularInline):
    model = ClaimantAlias
    extra = 0


@admin.register(Claimant)
class ClaimantAdmin(SimpleHistoryAdmin):
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


@admin.register(Verdict)
class VerdictAdmin(SimpleHistoryAdmin):
    list_display = ["claim", "version", "rating", "status", "author", "approved_by", "approved_at"]
    list_filter = ["status", "rating"]
    list_select_related = ["claim", "rating", "author", "approved_by"]
    readonly_fields = ["claim", "version", "status", "author", "approved_by", "approved_at"]


@admin.register(Evidence)
class EvidenceAdmin(SimpleHistoryAdmin):
    list_display = ["title", "publisher", "stance", "kind", "claim", "added_at"]
    list_filter = ["stance", "kind"]
    list_select_related = ["claim"]
    search_fields = ["title", "publisher", "url"]
    readonly_fields = ["claim", "added_by", "added_at"]
