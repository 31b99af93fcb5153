from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from factcheck.history_admin import HistoryAdmin
from publishing import services
from publishing.models import PolicyKind, PolicyPage


@admin.register(PolicyPage)
class PolicyPageAdmin(HistoryAdmin):
    # An earlier wording may be restored; the restore is saved by policy_page_update.
    history_revert = True
    list_display = ["kind", "title", "updated_at", "public_page"]
    readonly_fields = ["public_page", "updated_at"]

    @admin.display(description=_("public page"))
    def public_page(self, obj: PolicyPage) -> str:
        url = obj.get_absolute_url()
        return format_html('<a href="{}">{}</a>', url, url)

    def get_fields(self, request: HttpRequest, obj: PolicyPage | None = None) -> list[str]:
        # The kind is chosen once, when a missing page is put back; then it is fixed.
        if obj is None:
            return ["kind", "title", "body"]
        return ["kind", "title", "body", "public_page", "updated_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: PolicyPage | None = None) -> list:
        return [*self.readonly_fields, "kind"] if obj is not None else []

    # --- Permissions: the model permissions, and the role the services check ---

    def has_add_permission(self, request: HttpRequest) -> bool:
        # The migration writes one page per kind; only a missing one may be added.
        return (
            super().has_add_permission(request)
            and services.policy_page_may_edit(request.user)
            and PolicyPage.objects.count() < len(PolicyKind)
        )

    def has_change_permission(self, request: HttpRequest, obj: PolicyPage | None = None) -> bool:
        return super().has_change_permission(request, obj) and services.policy_page_may_edit(
            request.user
        )

    def has_delete_permission(self, request: HttpRequest, obj: PolicyPage | None = None) -> bool:
        return False

    # --- Saving goes through the services ---

    def save_model(self, request: HttpRequest, obj: PolicyPage, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            saved = services.policy_page_update(
                actor=request.user, page=obj, title=data["title"], body=data["body"]
            )
        else:
            saved = services.policy_page_create(
                actor=request.user, kind=data["kind"], title=data["title"], body=data["body"]
            )
        # The admin's log entry and redirect read the object it passed in.
        obj.pk, obj.updated_at = saved.pk, saved.updated_at
