"""The claim pages of the reviewers' workspace: the queues (change list) and the claim
page. Status, assignee and duplicate_of are read-only: only the workflow services
change them, through the buttons of `WorkflowButtonsMixin`.

Who edits what: a reviewer edits only the claims assigned to them (the others are
read-only for them, still viewable); editors and admins edit every claim."""

import re
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timesince import timesince
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from claims import policy, selectors, services
from claims.admin import locking
from claims.admin.locking import LOCK_FIELD, OptimisticLockMixin
from claims.admin.workflow import WorkflowButtonsMixin, allowed_for
from claims.models import (
    Appearance,
    Claim,
    ClaimNote,
    Evidence,
    Rating,
    Verdict,
    VerdictStatus,
)
from claims.roles import Role, roles_of
from claims.selectors import Queue
from claims.services import CLAIM_FIELDS
from factcheck.admin_site import GuardedAutocompleteMixin
from factcheck.errors import DomainError
from factcheck.history_admin import HistoryAdmin


def request_roles(request: HttpRequest) -> frozenset[Role]:
    """The user's roles, looked up once per request."""
    if not hasattr(request, "_factcheck_roles"):
        request._factcheck_roles = roles_of(request.user)
    return request._factcheck_roles


def may(request: HttpRequest, claim: Claim | None, action: str) -> bool:
    """Whether claims.policy allows `action` (policy.EDIT, EVIDENCE, DRAFT, NOTE) on the
    claim; on the add page (no claim yet) anyone on the desk enters a new claim."""
    if claim is None:
        return bool(request_roles(request) - {Role.SYSTEM})
    return action in allowed_for(request, claim)


class Refused(Exception):
    """A service refused the claim page's save: the admin's transaction rolls back."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Writers:
    """The services that write one inline's rows."""

    name: str  # the keyword the update and remove services take the row by
    fields: tuple[str, ...]
    add: Any
    update: Any
    remove: Any


CONTENT_WRITERS = {
    Appearance: Writers(
        "appearance",
        services.APPEARANCE_FIELDS,
        services.appearance_add,
        services.appearance_update,
        services.appearance_remove,
    ),
    Evidence: Writers(
        "evidence",
        services.EVIDENCE_FIELDS,
        services.evidence_add,
        services.evidence_update,
        services.evidence_remove,
    ),
}


def _evidence_posted(request: HttpRequest, claim: Claim) -> bool:
    """Whether the POST adds, deletes or changes a source of the claim (inputs that a
    read-only evidence inline does not render)."""
    rows = {str(e.pk): e for e in claim.evidence.all()}
    indexes = {m.group(1) for k in request.POST if (m := EVIDENCE_INPUT.match(k))}
    for i in indexes:
        values = {f: request.POST.get(f"evidence-{i}-{f}", "") for f in services.EVIDENCE_FIELDS}
        row = rows.get(request.POST.get(f"evidence-{i}-id", ""))
        if request.POST.get(f"evidence-{i}-DELETE"):
            return True
        if row is None and any(values.values()):
            return True
        if row is not None and any(str(getattr(row, f)) != v for f, v in values.items()):
            return True
    return False


def _conflict_message(claim: Claim, version: int | None) -> str:
    return locking.changes_since(Claim, claim.pk, version) or gettext(
        "This claim changed while you were saving it. Nothing was saved."
    )


def _read_only_message(request: HttpRequest, claim: Claim) -> str:
    try:
        posted = int(request.POST.get(LOCK_FIELD, ""))
    except ValueError:
        posted = None
    if posted is not None and posted != claim.version:
        # The page was opened before someone moved the claim on: say who and what.
        return _conflict_message(claim, posted)
    refusal = policy.content_refusal(claim, request.user, request_roles(request))
    if refusal is not None:
        return refusal.message + " " + gettext("Nothing was changed.")
    return gettext("You cannot change this claim. Nothing was changed.")


def queue_url(queue: str) -> str:
    return f"{reverse('admin:claims_claim_changelist')}?queue={queue}"


# --- Change list filters ---------------------------------------------------------------


class QueueFilter(admin.SimpleListFilter):
    """The saved queues of the workspace."""

    title = _("queue")
    parameter_name = "queue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        queues = [
            Queue.MINE, Queue.UNASSIGNED, Queue.OVERDUE, Queue.PUBLISHED, Queue.PUBLISHED_THIS_WEEK
        ]  # fmt: skip
        if request_roles(request) & policy.EDITOR_ROLES:
            queues.insert(2, Queue.AWAITING_APPROVAL)
        return [(queue, Queue.LABELS[queue]) for queue in queues]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Claim]) -> QuerySet[Claim]:
        if self.value() not in Queue.LABELS:
            return queryset
        return queryset.filter(
            selectors.queue_condition(self.value(), user=request.user, now=timezone.now())
        )


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", _("Overdue")), ("no", _("Not overdue"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Claim]) -> QuerySet[Claim]:
        overdue = selectors.queue_condition(Queue.OVERDUE, user=request.user, now=timezone.now())
        if self.value() == "yes":
            return queryset.filter(overdue)
        if self.value() == "no":
            return queryset.exclude(overdue)
        return queryset


class PriorityFilter(admin.SimpleListFilter):
    """The priority bands of FACTCHECK_PRIORITY_BANDS (high, normal, low)."""

    title = _("priority")
    parameter_name = "priority_band"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        bands = sorted(settings.FACTCHECK_PRIORITY_BANDS.items(), key=lambda item: -item[1])
        return [(name, gettext(name.capitalize())) for name, _floor in bands]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Claim]) -> QuerySet[Claim]:
        bands = settings.FACTCHECK_PRIORITY_BANDS
        if self.value() not in bands:
            return queryset
        floor = bands[self.value()]
        higher = [f for f in bands.values() if f > floor]
        queryset = queryset.filter(priority__gte=floor)
        return queryset.filter(priority__lt=min(higher)) if higher else queryset


# --- Inlines ---------------------------------------------------------------------------


class ContentInline:
    """An inline of the claim's content: shown to everyone, editable only when
    claims.policy allows `action`; its rows are written by the services (ClaimAdmin).

    A claim holds at most ROWS_MAX rows of each kind: a page that posts more (a forged
    TOTAL_FORMS of thousands) is a form error, not thousands of forms to build."""

    ROWS_MAX = 100
    action = policy.EDIT
    max_num = ROWS_MAX

    def get_formset(self, request: HttpRequest, obj: Claim | None = None, **kwargs):
        # Django otherwise builds up to max_num + 1,000 forms from a forged count. Not
        # max_num itself: the admin sets that to 0 where no row may be added.
        kwargs.setdefault("absolute_max", self.ROWS_MAX)
        return super().get_formset(request, obj, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: Claim | None = None) -> bool:
        return may(request, obj, self.action) and super().has_change_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Claim | None = None) -> bool:
        return may(request, obj, self.action) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Claim | None = None) -> bool:
        return may(request, obj, self.action) and super().has_delete_permission(request, obj)


class AppearanceInline(ContentInline, admin.TabularInline):
    model = Appearance
    extra = 0


class EvidenceInline(ContentInline, admin.StackedInline):
    """Sources are attached while the claim is in review, by its assignee or an editor."""

    model = Evidence
    extra = 0
    fields = ["url", "title", "publisher", "stance", "kind", "quote", "added_by", "added_at"]
    readonly_fields = ["added_by", "added_at"]
    action = policy.EVIDENCE

    def has_add_permission(self, request: HttpRequest, obj: Claim | None = None) -> bool:
        return obj is not None and super().has_add_permission(request, obj)


class ClaimNoteInline(admin.TabularInline):
    """The internal discussion: a thread of notes, never published. Notes are added
    (through `services.claim_note_add`), never edited or deleted."""

    model = ClaimNote
    extra = 1
    fields = ["text", "author", "created_at"]
    readonly_fields = ["author", "created_at"]
    verbose_name = _("internal note")
    verbose_name_plural = _("internal notes (never published)")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ClaimNote]:
        return super().get_queryset(request).select_related("author")

    def has_view_permission(self, request: HttpRequest, obj: Claim | None = None) -> bool:
        return bool(request_roles(request))

    def has_add_permission(self, request: HttpRequest, obj: Claim | None = None) -> bool:
        # On a read-only claim page the box could not be saved: the page offers the
        # "Add internal note" button instead.
        return (
            obj is not None
            and may(request, obj, policy.NOTE)
            and bool(allowed_for(request, obj) & {policy.EDIT, policy.EVIDENCE, policy.DRAFT})
        )

    def has_change_permission(self, request: HttpRequest, obj: Claim | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Claim | None = None) -> bool:
        return False


# --- The verdict draft -------------------------------------------------------------------

DRAFT_FIELDS = ["draft_rating", "draft_summary", "draft_explanation"]
# The inputs of an editable evidence row (a read-only inline renders none of them).
EVIDENCE_INPUT = re.compile(r"^evidence-(\d+)-(url|title|publisher|stance|kind|quote|DELETE)$")


def draft_form_class(base: type[forms.ModelForm], draft: Verdict | None) -> type:
    """`base` with the fields of the assignee's verdict draft, saved through
    `services.verdict_save_draft`."""

    def clean(self: forms.ModelForm) -> dict:
        data = base.clean(self)
        given = [name for name in DRAFT_FIELDS if data.get(name)]
        if given and len(given) < len(DRAFT_FIELDS):
            for name in set(DRAFT_FIELDS) - set(given):
                self.add_error(name, gettext("Fill in the rating, summary and explanation."))
        return data

    attrs = {
        "draft_rating": forms.ModelChoiceField(
            Rating.objects.all(),
            required=False,
            label=_("rating"),
            initial=draft.rating_id if draft else None,
        ),
        "draft_summary": forms.CharField(
            required=False,
            label=_("summary"),
            widget=forms.Textarea(attrs={"rows": 2}),
            initial=draft.summary if draft else "",
            help_text=_("One or two sentences."),
        ),
        "draft_explanation": forms.CharField(
            required=False,
            label=_("explanation"),
            widget=forms.Textarea(attrs={"rows": 8}),
            initial=draft.explanation if draft else "",
            help_text=_("The analysis and method."),
        ),
        "clean": clean,
    }
    return type(f"Draft{base.__name__}", (base,), attrs)


# --- The claim admin ---------------------------------------------------------------------


@admin.register(Claim)
class ClaimAdmin(GuardedAutocompleteMixin, WorkflowButtonsMixin, OptimisticLockMixin, HistoryAdmin):
    list_display = ["short_claim", "claimant", "status_badge", "assignee", "due_at", "age",
                    "current_rating"]  # fmt: skip
    list_display_links = ["short_claim"]
    list_filter = [QueueFilter, "status", "topics", "claimant", "language", PriorityFilter,
                   "assignee", OverdueFilter]  # fmt: skip
    list_select_related = ["claimant", "assignee"]
    list_per_page = 50
    search_fields = ["text", "claim_reviewed", "claimant__name", "claimant__aliases__name"]
    autocomplete_fields = ["claimant"]
    readonly_fields = ["status", "assignee", "duplicate_of", "status_note", "priority", "origin",
                       "requests_count", "due_at",
                       "created_by", "created_at", "updated_at", "status_changed_at",
                       "verdict_in_works", "verdict_versions", "possible_duplicates",
                       "recent_history"]  # fmt: skip
    filter_horizontal = ["topics"]

    class Media:
        css = {"all": ["claims/admin.css"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Claim]:
        return selectors.claims_with_current_rating(super().get_queryset(request))

    def get_ordering(self, request: HttpRequest) -> list:
        # Most urgent first: priority, then the earliest due; claims without a due time last.
        return ["-priority", F("due_at").asc(nulls_last=True), "created_at"]

    def get_inlines(self, request: HttpRequest, obj: Claim | None) -> list:
        if obj is None:
            return [AppearanceInline]
        return [AppearanceInline, EvidenceInline, ClaimNoteInline]

    def get_fieldsets(self, request: HttpRequest, obj: Claim | None = None) -> list:
        claim = [(None, {"fields": ["text", "claim_reviewed", "claimant", "language", "topics",
                                    "claim_date"]})]  # fmt: skip
        if obj is None:
            return claim
        verdict = ["verdict_in_works", *(DRAFT_FIELDS if self._drafts(request, obj) else []),
                   "verdict_versions"]  # fmt: skip
        return [
            *claim,
            (_("Workflow"), {"fields": ["status", "assignee", "priority", "due_at", "origin",
                                        "requests_count", "duplicate_of", "status_note"]}),
            (_("Verdict"), {"fields": verdict}),
            (_("Possible duplicates"), {"fields": ["possible_duplicates"]}),
            (_("History"), {"fields": ["recent_history", "created_by", "created_at",
                                       "updated_at", "status_changed_at"]}),
        ]  # fmt: skip

    def _drafts(self, request: HttpRequest, obj: Claim | None) -> bool:
        """The assignee (or the draft's author) writes the draft of a claim in review."""
        return obj is not None and may(request, obj, policy.DRAFT)

    def get_form(self, request: HttpRequest, obj: Claim | None = None, **kwargs: Any) -> type:
        if self._drafts(request, obj):
            draft = obj.verdicts.filter(status=VerdictStatus.DRAFT).first()
            kwargs["form"] = draft_form_class(kwargs.get("form", self.form), draft)
        return super().get_form(request, obj, **kwargs)

    # --- Permissions ---

    def has_change_permission(self, request: HttpRequest, obj: Claim | None = None) -> bool:
        """The claim page is editable while its content or draft is open to the user;
        otherwise it is read-only, with the workflow buttons (notes included)."""
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or bool(
            allowed_for(request, obj) & {policy.EDIT, policy.EVIDENCE, policy.DRAFT}
        )

    def has_delete_permission(self, request: HttpRequest, obj: Claim | None = None) -> bool:
        # The record is kept: a claim is rejected, merged or withdrawn, never deleted.
        return False

    # --- Saving: every row through its service, in the admin's one transaction ---

    def save_model(self, request: HttpRequest, obj: Claim, form: Any, change: bool) -> None:
        if not change:
            # A new claim enters the workflow like any other: received, then triaged.
            services.claim_register(
                actor=request.user, claim=obj, topics=form.cleaned_data.get("topics") or ()
            )
        # An edit is written in save_related, where the inlines are known too.

    def save_related(self, request: HttpRequest, form: Any, formsets: list, change: bool) -> None:
        claim = form.instance
        version = form.cleaned_data.get(LOCK_FIELD)
        try:
            if change and self._content_changed(form, formsets):
                fields = {n: form.cleaned_data[n] for n in CLAIM_FIELDS if n in form.changed_data}
                topics = form.cleaned_data["topics"] if "topics" in form.changed_data else None
                version = services.claim_update(
                    actor=request.user, claim=claim, version=version, fields=fields, topics=topics
                ).version
            for formset in formsets:
                self._save_inline(request, claim, formset, version if change else None)
            if change and any(name in form.changed_data for name in DRAFT_FIELDS):
                self._save_draft(request, claim, form, version)
        except DomainError as refusal:
            # Raised inside the admin's transaction: nothing of the page is kept.
            raise Refused(
                _conflict_message(claim, version) if refusal.code == "stale" else refusal.message
            ) from refusal

    def _posted_refusal(self, request: HttpRequest, claim: Claim) -> str | None:
        """Why a POST of the claim page is refused before any form is read: the page is
        read-only for the user, or the POST carries fields the page did not offer them
        (Django would drop those silently; the user is told instead)."""
        allowed = allowed_for(request, claim)
        if not self.has_change_permission(request, claim):
            return _read_only_message(request, claim)
        roles = request_roles(request)
        posted = [key for key, value in request.POST.items() if value]
        nothing = gettext("Nothing was changed.")
        if policy.EVIDENCE not in allowed and _evidence_posted(request, claim):
            refusal = policy.evidence_refusal(claim, request.user, roles)
            return f"{refusal.message} {nothing}" if refusal else None
        if policy.DRAFT not in allowed and any(k in DRAFT_FIELDS for k in posted):
            draft = policy.open_draft(claim)
            refusal = policy.draft_refusal(claim, request.user, roles, draft)
            return f"{refusal.message} {nothing}" if refusal else None
        return None

    def _content_changed(self, form: Any, formsets: list) -> bool:
        return bool(set(form.changed_data) & {*CLAIM_FIELDS, "topics"}) or any(
            formset.has_changed() for formset in formsets if formset.model is not ClaimNote
        )

    def _save_draft(self, request: HttpRequest, claim: Claim, form: Any, version: int) -> None:
        data = form.cleaned_data
        if not data.get("draft_rating"):
            return
        services.verdict_save_draft(
            actor=request.user,
            claim=claim,
            rating=data["draft_rating"],
            summary=data["draft_summary"],
            explanation=data["draft_explanation"],
            version=version,
        )

    def _save_inline(self, request: HttpRequest, claim: Claim, formset: Any, version) -> None:
        if formset.model is ClaimNote:
            self._save_notes(request, claim, formset)
            return
        writers = CONTENT_WRITERS[formset.model]
        # commit=False: the rows are written by the services below, never by the formset;
        # it still sorts them into new, changed and deleted for the admin's change message.
        instances = formset.save(commit=False)
        kw = {"actor": request.user, "version": version}
        for row in formset.deleted_objects:
            writers.remove(**kw, **{writers.name: row})
        for row in instances:
            data = {f: getattr(row, f) for f in writers.fields}
            if row.pk is None:
                formset.new_objects[formset.new_objects.index(row)] = writers.add(
                    **kw, claim=claim, **data
                )
            else:
                writers.update(**kw, **{writers.name: row}, **data)

    def _save_notes(self, request: HttpRequest, claim: Claim, formset: Any) -> None:
        # The admin's change message reads what the formset saved: set it as save() would.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for note_form in formset.extra_forms:
            text = note_form.cleaned_data.get("text") if note_form.has_changed() else ""
            if text:
                note = services.claim_note_add(actor=request.user, claim=claim, text=text)
                formset.new_objects.append(note)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        if request.method == "POST" and object_id is not None:
            claim = self.get_object(request, unquote(object_id))
            if claim is not None and self.has_view_permission(request, claim):
                refusal = self._posted_refusal(request, claim)
                if refusal:
                    # Posted what the page did not offer (a stale page, or crafted).
                    self.message_user(request, refusal, messages.ERROR)
                    return HttpResponseRedirect(request.get_full_path())
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except Refused as refusal:
            self.message_user(request, refusal.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    # --- Change list columns ---

    @admin.display(description=_("claim"), ordering="claim_reviewed")
    def short_claim(self, obj: Claim) -> str:
        return obj.claim_reviewed

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj: Claim) -> SafeString:
        # Coloured by claims/static/claims/admin.css (no inline style under the CSP).
        return format_html(
            '<span class="status-badge status-{}">{}</span>', obj.status, obj.get_status_display()
        )

    @admin.display(description=_("age"), ordering="created_at")
    def age(self, obj: Claim) -> str:
        return timesince(obj.created_at, depth=1)

    @admin.display(description=_("rating"))
    def current_rating(self, obj: Claim) -> str:
        return getattr(obj, "current_rating_label", None) or "-"

    # --- Claim page read-only parts ---

    @admin.display(description=_("verdict in the works"))
    def verdict_in_works(self, obj: Claim) -> SafeString:
        verdict = obj.verdicts.open().select_related("rating", "author").first()
        return render_to_string(
            "admin/claims/claim/verdict_in_works.html", {"verdict": verdict, "claim": obj}
        )

    @admin.display(description=_("earlier versions"))
    def verdict_versions(self, obj: Claim) -> SafeString:
        verdicts = (
            obj.verdicts.exclude(status__in=[VerdictStatus.DRAFT, VerdictStatus.PROPOSED])
            .select_related("rating", "author", "approved_by")
            .order_by("-version")
        )
        return render_to_string(
            "admin/claims/claim/verdict_versions.html", {"verdicts": list(verdicts)}
        )

    @admin.display(description=_("possible duplicates"))
    def possible_duplicates(self, obj: Claim) -> SafeString:
        claims = selectors.claim_possible_duplicates(obj)
        return render_to_string(
            "admin/claims/claim/possible_duplicates.html",
            {"claims": claims, "current": obj},
        )

    @admin.display(description=_("recent changes"))
    def recent_history(self, obj: Claim) -> SafeString:
        return render_to_string(
            "admin/claims/claim/recent_history.html",
            {
                "rows": selectors.claim_recent_history(obj),
                "history_url": reverse("admin:claims_claim_history", args=[obj.pk]),
            },
        )
