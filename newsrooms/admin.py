from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from rest_framework_api_key.models import APIKey

from newsrooms.models import Newsroom, NewsroomToken, Submission, TokenScope
from newsrooms.services import token_issue, token_revoke

# The library registers its own concrete APIKey; tokens here are NewsroomTokens only.
if admin.site.is_registered(APIKey):
    admin.site.unregister(APIKey)


class TokenInline(admin.TabularInline):
    """A newsroom's tokens at a glance; they are created and revoked on their own page,
    where a new token can be shown once."""

    model = NewsroomToken
    fields = ["prefix", "name", "scopes", "created", "expiry_date", "revoked", "last_used_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Newsroom | None = None) -> bool:
        return False


@admin.register(Newsroom)
class NewsroomAdmin(admin.ModelAdmin):
    list_display = ["name", "url", "contact_email", "active"]
    list_filter = ["active"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [TokenInline]


class TokenForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("scopes"), choices=TokenScope.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = NewsroomToken
        fields = ["newsroom", "name", "scopes", "expiry_date"]


@admin.register(NewsroomToken)
class NewsroomTokenAdmin(admin.ModelAdmin):
    form = TokenForm
    list_display = [
        "prefix",
        "name",
        "newsroom",
        "scopes_display",
        "created",
        "expiry_date",
        "revoked",
        "last_used_at",
    ]
    list_filter = ["revoked", "newsroom"]
    list_select_related = ["newsroom"]
    search_fields = ["prefix", "name", "newsroom__name"]
    autocomplete_fields = ["newsroom"]
    actions = ["revoke"]

    def get_readonly_fields(self, request: HttpRequest, obj: NewsroomToken | None = None):
        if obj is None:
            return []
        readonly = ["last_used_at", "prefix", "newsroom", "created", "revoked"]
        return readonly + (["name", "scopes", "expiry_date"] if obj.revoked else [])

    def get_fields(self, request: HttpRequest, obj: NewsroomToken | None = None):
        if obj is None:
            return ["newsroom", "name", "scopes", "expiry_date"]
        return [
            "last_used_at",
            "prefix",
            "newsroom",
            "name",
            "scopes",
            "expiry_date",
            "created",
            "revoked",
        ]

    @admin.display(description=_("scopes"))
    def scopes_display(self, token: NewsroomToken) -> str:
        return ", ".join(token.scopes)

    def save_model(self, request: HttpRequest, obj: NewsroomToken, form, change: bool) -> None:
        if change:
            obj.save()
            return
        key = token_issue(token=obj)
        messages.warning(
            request,
            _("The new token for %(newsroom)s is: %(key)s — copy it now, it is not shown again.")
            % {"newsroom": obj.newsroom, "key": key},
        )

    @admin.action(description=_("Revoke the selected tokens (cannot be undone)"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[NewsroomToken]) -> None:
        for token in queryset:
            token_revoke(token=token)
        self.message_user(
            request,
            ngettext("%d token revoked.", "%d tokens revoked.", len(queryset)) % len(queryset),
            messages.SUCCESS,
        )


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    """What newsrooms asked for through the API; the claim carries the work."""

    list_display = ["created_at", "newsroom", "claimant_name", "text", "claim"]
    list_filter = ["newsroom"]
    list_select_related = ["newsroom", "claim"]
    search_fields = ["text", "claimant_name", "url"]
    readonly_fields = [f.name for f in Submission._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Submission | None = None) -> bool:
        return False
