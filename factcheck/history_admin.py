"""The admin's history pages for every app: django-simple-history's, made safe.

simple-history's history views look a junk id up as a number (a 500), and its
"revert" form saves a POST from anyone who may view the history, with the ModelAdmin's
own `save_model` and a direct `save_m2m()`, past the services. History here is a
record: its pages are read-only unless a ModelAdmin opts in with `history_revert` (and
then the revert needs the right to change the row and goes through its `save_model`).
"""

from typing import Any

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext as _
from simple_history.admin import SimpleHistoryAdmin


def _id_or_404(value: str) -> str:
    value = unquote(value)
    if not (value.isascii() and value.isdigit() and len(value) <= 18):
        raise Http404
    return value


class HistoryAdmin(SimpleHistoryAdmin):
    # Whether an earlier version may be restored from its history page.
    history_revert = False

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: Any = None
    ) -> HttpResponse:
        return super().history_view(request, _id_or_404(object_id), extra_context)

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: Any = None
    ) -> HttpResponse:
        object_id, version_id = _id_or_404(object_id), _id_or_404(version_id)
        if request.method == "POST":
            if not self.history_revert:
                self.message_user(
                    request,
                    _("History is a record: an earlier version cannot be restored. "
                      "Nothing was changed."),
                    messages.ERROR,
                )  # fmt: skip
                return HttpResponseRedirect(request.get_full_path())
            if not self.has_change_permission(request):
                raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def revert_disabled(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self.history_revert or super().revert_disabled(request, obj)
