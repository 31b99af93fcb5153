from django import forms
from django.contrib import admin, messages
from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from rest_framework_api_key.models import APIKey

from factcheck.admin_site import GuardedAutocompleteMixin
from factcheck.history_admin import HistoryAdmin
from newsrooms.models import (
    Digest,
    DigestEntry,
    Newsroom,
    NewsroomToken,
    Submission,
    Subscription,
    TokenScope,
)
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
class NewsroomTokenAdmin(GuardedAutocompleteMixin, admin.ModelAdmin):
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


# --- Email digests ------------------------------------------------------------------------

# Subscriptions previewed per action: each preview is an SMTP round trip in the request.
PREVIEW_MAX = 10


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by the services only (sign-up, confirmation, the digest runs)."""

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


def entries_carried() -> Subquery:
    """How many ledger entries a digest carries (its range of changes), as a subquery."""
    carried = (
        DigestEntry.objects.filter(
            subscription_id=OuterRef("subscription_id"),
            seq__gte=OuterRef("first_seq"),
            seq__lte=OuterRef("last_seq"),
        )
        .order_by()
        .values("subscription_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(carried, output_field=IntegerField()), 0)


class DigestInline(admin.TabularInline):
    model = Digest
    fields = ["digest_link", "state", "created_at", "sent_at", "attempts", "entry_count", "error"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-id"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Digest]:
        return super().get_queryset(request).annotate(entry_count=entries_carried())

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description=_("digest"))
    def digest_link(self, digest: Digest) -> str:
        url = reverse("admin:newsrooms_digest_change", args=[digest.pk])
        return format_html('<a href="{}">{}</a>', url, digest.pk)

    @admin.display(description=_("verdicts"))
    def entry_count(self, digest: Digest) -> int:
        return digest.entry_count


@admin.register(Subscription)
class SubscriptionAdmin(HistoryAdmin, ReadOnlyAdmin):
    """Who gets digests; changes only through the subscriber's own links (and its
    history shows each). Editors may look, and send themselves a preview."""

    list_display = ["email", "newsroom", "frequency", "state", "created_at", "confirmed_at",
                    "next_digest_at", "unsent"]  # fmt: skip
    list_filter = ["state", "frequency", "newsroom"]
    list_select_related = ["newsroom"]
    search_fields = ["email"]
    date_hierarchy = "created_at"
    fields = ["email", "newsroom", "frequency", "topics", "claimants", "ratings", "language",
              "notify_changes", "state", "start_seq", "sent_seq", "next_digest_at", "created_at",
              "confirmations_requested", "confirmation_requested_at", "confirmation_sent_at",
              "confirmed_at", "ended_at", "bounce_reason", "unsent"]  # fmt: skip
    readonly_fields = fields
    inlines = [DigestInline]
    actions = ["send_preview"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Subscription]:
        unsent = Count("entries", filter=Q(entries__seq__gt=F("sent_seq")))
        return super().get_queryset(request).annotate(unsent_count=unsent)

    @admin.display(description=_("unsent verdicts"), ordering="unsent_count")
    def unsent(self, subscription: Subscription) -> int:
        return subscription.unsent_count

    @admin.action(description=_("Send a preview of the next digest to me"),
                  permissions=["view"])  # fmt: skip
    def send_preview(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
        from newsrooms.digests import digest_preview

        if not request.user.email:
            self.message_user(request, _("Your account has no email address."), messages.ERROR)
            return
        ids = list(queryset.values_list("pk", flat=True)[:PREVIEW_MAX])
        try:
            sent = sum(
                digest_preview(subscription_id=subscription_id, to=request.user.email)
                for subscription_id in ids
            )
        except OSError as exc:  # SMTP or network: say so rather than fail the page
            self.message_user(request, _("Could not send: %s") % exc, messages.ERROR)
            return
        if sent < len(ids):
            self.message_user(
                request,
                _("%(count)d of the subscriptions have no verdict to show yet.")
                % {"count": len(ids) - sent},
                messages.WARNING,
            )
        if sent:
            self.message_user(
                request,
                ngettext(
                    "%(count)d preview sent to %(email)s.",
                    "%(count)d previews sent to %(email)s.",
                    sent,
                )
                % {"count": sent, "email": request.user.email},
                messages.SUCCESS,
            )


@admin.register(Digest)
class DigestAdmin(ReadOnlyAdmin):
    list_display = ["pk", "subscription", "state", "created_at", "sent_at", "attempts",
                    "entry_count"]  # fmt: skip
    list_filter = ["state"]
    list_select_related = ["subscription"]
    search_fields = ["subscription__email"]
    date_hierarchy = "created_at"
    fields = ["subscription", "state", "first_seq", "last_seq", "created_at", "locked_until",
              "attempts", "error", "sent_at", "entry_count"]  # fmt: skip
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Digest]:
        return super().get_queryset(request).annotate(entry_count=entries_carried())

    @admin.display(description=_("verdicts"), ordering="entry_count")
    def entry_count(self, digest: Digest) -> int:
        return digest.entry_count


@admin.register(DigestEntry)
class DigestEntryAdmin(ReadOnlyAdmin):
    """The ledger: which change each subscription is owed. An entry is sent once its
    subscription's "sent up to change" has reached it; digests show their range."""

    list_display = ["seq", "subscription", "claim", "created_at"]
    list_select_related = ["subscription", "claim"]
    search_fields = ["subscription__email"]
    fields = ["subscription", "event", "claim", "seq", "created_at"]
    readonly_fields = fields
