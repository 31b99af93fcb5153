"""Workflow buttons on the claim page: one admin view per action, each calling its service.

A button is offered only when the workflow table (`allowed_transitions`) and the
service's own rule (the assignee proposes, nobody approves their own verdict) allow it.
The services stay the authority: a crafted POST that gets past the buttons is refused by
the service, shown as an error message, and changes nothing. Every button carries the
claim version it was rendered at; if the claim changed since, it is refused too.

Actions that need input (a note, a reason, an assignee, a verdict...) post to a small
form page first; the form page posts again with `_confirm` to run the service.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from claims import policy, selectors, services
from claims.admin.locking import changes_since
from claims.models import Claim, EvidenceKind, EvidenceStance, Rating
from claims.roles import Role
from factcheck.errors import DomainError

VERSION_FIELD = "_version"


# --- Forms of the actions that need input ------------------------------------------------


def _people_who_review() -> QuerySet:
    groups = [Role.REVIEWER.value, Role.EDITOR.value]
    return (
        get_user_model()
        .objects.filter(Q(groups__name__in=groups) | Q(is_superuser=True), is_active=True)
        .distinct()
        .order_by("username")
    )


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(queryset=None, label=gettext_lazy("Assign to"))

    def __init__(self, *args: Any, claim: Claim | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = _people_who_review()


class ProposeForm(forms.Form):
    rating = forms.ModelChoiceField(queryset=Rating.objects.all(), label=gettext_lazy("Rating"))
    summary = forms.CharField(
        label=gettext_lazy("Summary"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("One or two sentences."),
    )
    explanation = forms.CharField(
        label=gettext_lazy("Explanation"),
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=gettext_lazy("The analysis and method."),
    )

    def __init__(self, *args: Any, claim: Claim | None = None, **kwargs: Any) -> None:
        # Prefilled from the verdict in the works (a draft, a correction), or else the
        # last version (one sent back): the reviewer continues where they stopped.
        verdict = claim.verdicts.open().first() or claim.verdicts.order_by("-version").first()
        if verdict is not None:
            kwargs.setdefault(
                "initial",
                {
                    "rating": verdict.rating_id,
                    "summary": verdict.summary,
                    "explanation": verdict.explanation,
                },
            )
        super().__init__(*args, **kwargs)


class NoteForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Note"), widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, claim: Claim | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


class SendBackForm(NoteForm):
    note = forms.CharField(
        label=gettext_lazy("Note to the reviewer"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("Internal: what to fix before the verdict can be approved."),
    )


class CorrectForm(NoteForm):
    note = forms.CharField(
        label=gettext_lazy("Correction note"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("Public: published with the corrected verdict."),
    )


class WithdrawForm(NoteForm):
    note = forms.CharField(
        label=gettext_lazy("Public reason"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("Public: shown where the fact-check was."),
    )


class RejectForm(NoteForm):
    note = forms.CharField(
        label=gettext_lazy("Reason"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("Why the claim is not worth checking."),
    )


class MergeForm(forms.Form):
    duplicate_of = forms.ModelChoiceField(
        queryset=None,
        label=gettext_lazy("Duplicate of"),
        help_text=gettext_lazy("The claim that stays."),
    )

    def __init__(self, *args: Any, claim: Claim | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["duplicate_of"].queryset = (
            Claim.objects.filter(status__in=services.MERGE_TARGET_STATES)
            .exclude(pk=claim.pk)
            .select_related("claimant")
            .order_by("-created_at")
        )
        self.fields["duplicate_of"].label_from_instance = lambda c: f"#{c.pk} {c} ({c.claimant})"


class ApproveForm(forms.Form):
    """Nothing to type: the page shows what will be published and asks to confirm."""

    def __init__(self, *args: Any, claim: Claim | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


class InternalNoteForm(NoteForm):
    note = forms.CharField(
        label=gettext_lazy("Internal note"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("Never published: for the desk only."),
    )


class EvidenceForm(forms.Form):
    url = forms.URLField(label=gettext_lazy("URL"), max_length=500, assume_scheme="https")
    title = forms.CharField(label=gettext_lazy("Title"), max_length=300)
    publisher = forms.CharField(label=gettext_lazy("Publisher"), max_length=200, required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=EvidenceKind.choices)
    stance = forms.ChoiceField(label=gettext_lazy("Stance"), choices=EvidenceStance.choices)
    quote = forms.CharField(
        label=gettext_lazy("Quote"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args: Any, claim: Claim | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


# --- The actions ---------------------------------------------------------------------


Run = Callable[[HttpRequest, Claim, dict[str, Any]], str]


@dataclass(frozen=True)
class Action:
    name: str  # a transition of claims/workflow.py or an action of claims/policy.py
    label: str
    run: Run  # calls exactly one service, returns the success message
    form: type[forms.Form] | None = None
    style: str = ""  # "danger" for the actions that close a claim
    # Extra context of the action's form page (the approval's preview).
    page_context: Callable[[Claim, Any], dict[str, Any]] | None = None


def _take(request: HttpRequest, claim: Claim, data: dict) -> str:
    services.claim_take(actor=request.user, claim=claim, version=data["version"])
    return _("You took the claim: it is yours to check.")


def _assign(request: HttpRequest, claim: Claim, data: dict) -> str:
    services.claim_assign(
        actor=request.user, claim=claim, assignee=data["assignee"], version=data.get("version")
    )
    return _("The claim is assigned to %(user)s.") % {"user": data["assignee"]}


def _propose(request: HttpRequest, claim: Claim, data: dict) -> str:
    if data.get("draft"):
        services.verdict_save_draft(actor=request.user, claim=claim, **_verdict(data))
        return _("The draft verdict is saved.")
    services.claim_propose(actor=request.user, claim=claim, **_verdict(data))
    return _("The verdict is proposed: an editor will review it.")


def _verdict(data: dict) -> dict:
    return {k: data[k] for k in ("rating", "summary", "explanation", "version")}


def _approve(request: HttpRequest, claim: Claim, data: dict) -> str:
    services.claim_approve(actor=request.user, claim=claim, version=data["version"])
    return _("The verdict is approved and the fact-check published.")


def _send_back(request: HttpRequest, claim: Claim, data: dict) -> str:
    services.claim_send_back(
        actor=request.user, claim=claim, note=data["note"], version=data["version"]
    )
    return _("The verdict is sent back to the reviewer.")


def _correct(request: HttpRequest, claim: Claim, data: dict) -> str:
    services.claim_correct(
        actor=request.user, claim=claim, note=data["note"], version=data["version"]
    )
    return _(
        "The claim is reopened for a correction; the published verdict stays public "
        "until the correction is approved."
    )


def _withdraw(request: HttpRequest, claim: Claim, data: dict) -> str:
    services.claim_withdraw(
        actor=request.user, claim=claim, reason=data["note"], version=data["version"]
    )
    return _("The fact-check is withdrawn.")


def _reject(request: HttpRequest, claim: Claim, data: dict) -> str:
    services.claim_reject(
        actor=request.user, claim=claim, reason=data["note"], version=data.get("version")
    )
    return _("The claim is rejected.")


def _merge(request: HttpRequest, claim: Claim, data: dict) -> str:
    services.claim_merge(
        actor=request.user, claim=claim, into=data["duplicate_of"], version=data["version"]
    )
    return _("The claim is marked as a duplicate of #%(id)s.") % {"id": data["duplicate_of"].pk}


def _add_evidence(request: HttpRequest, claim: Claim, data: dict) -> str:
    services.evidence_add(actor=request.user, claim=claim, **data)
    return _("Evidence “%(title)s” is added.") % {"title": data["title"]}


def _add_note(request: HttpRequest, claim: Claim, data: dict) -> str:
    services.claim_note_add(actor=request.user, claim=claim, text=data["note"])
    return _("The internal note is added.")


# In the order of the workflow; the names of the transitions in claims/workflow.py.
ACTIONS: dict[str, Action] = {
    a.name: a
    for a in [
        Action("take", gettext_lazy("Take"), _take),
        Action("assign", gettext_lazy("Assign to…"), _assign, AssignForm),
        Action("propose", gettext_lazy("Propose verdict"), _propose, ProposeForm),
        Action(
            "approve",
            gettext_lazy("Approve and publish"),
            _approve,
            ApproveForm,
            page_context=selectors.claim_approval_preview,
        ),
        Action("send_back", gettext_lazy("Send back"), _send_back, SendBackForm),
        Action("correct", gettext_lazy("Correct"), _correct, CorrectForm),
        Action("withdraw", gettext_lazy("Withdraw"), _withdraw, WithdrawForm, style="danger"),
        Action("reject", gettext_lazy("Reject"), _reject, RejectForm, style="danger"),
        Action("merge", gettext_lazy("Mark as duplicate of…"), _merge, MergeForm, style="danger"),
        # Not transitions: attaching a source while the claim is in review, and a note.
        Action(policy.EVIDENCE, gettext_lazy("Add evidence"), _add_evidence, EvidenceForm),
        Action(policy.NOTE, gettext_lazy("Add internal note"), _add_note, InternalNoteForm),
    ]
}


def allowed_for(request: HttpRequest, claim: Claim) -> frozenset[str]:
    """claims.policy.allowed_actions, asked once per request and claim state: the claim
    page, its buttons and its inlines all read it."""
    cache = request.__dict__.setdefault("_factcheck_allowed", {})
    key = (claim.pk, claim.version, claim.status)
    if key not in cache:
        cache[key] = policy.allowed_actions(claim, request.user)
    return cache[key]


class WorkflowButtonsMixin:
    """Workflow buttons and editors' bulk actions for the claim ModelAdmin."""

    actions = ["assign_selected", "reject_selected"]
    workflow_template = "admin/claims/claim/workflow_action.html"
    bulk_template = "admin/claims/claim/bulk_action.html"

    # --- Which buttons -----------------------------------------------------------------

    def workflow_buttons(self, request: HttpRequest, claim: Claim) -> list[Action]:
        allowed = allowed_for(request, claim)
        if allowed & {policy.EDIT, policy.EVIDENCE, policy.DRAFT}:
            # An editable page has the notes inline; a read-only one needs the button.
            allowed -= {policy.NOTE}
        return [action for name, action in ACTIONS.items() if name in allowed]

    def render_change_form(
        self, request: HttpRequest, context: dict, add: bool = False, change: bool = False,
        form_url: str = "", obj: Claim | None = None,
    ) -> HttpResponse:  # fmt: skip
        if obj is not None and obj.pk:
            context["workflow_buttons"] = [
                {
                    "action": action,
                    "url": self._workflow_url(obj, action.name),
                }
                for action in self.workflow_buttons(request, obj)
            ]
            context["workflow_version"] = obj.version
        return super().render_change_form(request, context, add, change, form_url, obj)

    # --- The views -----------------------------------------------------------------------

    def get_urls(self) -> list:
        info = self.opts.app_label, self.opts.model_name
        view = self.admin_site.admin_view(require_POST(self.workflow_view))
        return [
            path(
                "<path:object_id>/workflow/<slug:action>/",
                view,
                name="{}_{}_workflow".format(*info),
            ),
            *super().get_urls(),
        ]

    def _workflow_url(self, claim: Claim, action: str) -> str:
        name = f"admin:{self.opts.app_label}_{self.opts.model_name}_workflow"
        return reverse(name, kwargs={"object_id": claim.pk, "action": action})

    def workflow_view(self, request: HttpRequest, object_id: str, action: str) -> HttpResponse:
        spec = ACTIONS.get(action)
        if spec is None:
            raise Http404(_("Unknown workflow action."))
        claim = get_object_or_404(Claim, pk=unquote(object_id))
        if not self.has_view_or_change_permission(request, claim):
            raise PermissionDenied
        change_url = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[claim.pk]
        )
        version = _posted_version(request)
        form = None
        if spec.form is not None:
            if "_confirm" not in request.POST:
                refusal = policy.action_refusal(spec.name, claim, request.user)
                if refusal is not None:
                    # Not even the form for an action the user cannot take (a crafted
                    # POST, or a page left open): the service would refuse it anyway.
                    self.message_user(request, refusal.message, messages.ERROR)
                    return HttpResponseRedirect(change_url)
                # From the claim page's button: show the form, carrying the version.
                return self._action_page(request, claim, spec, spec.form(claim=claim), version)
            form = spec.form(request.POST, claim=claim)
            if not form.is_valid():
                return self._action_page(request, claim, spec, form, version)
        data = dict(form.cleaned_data) if form else {}
        if spec is ACTIONS["propose"] and "_draft" in request.POST:
            data["draft"] = True
        if spec.name != policy.NOTE:
            if version is None:
                self.message_user(request, _stale_message(claim, version), messages.ERROR)
                return HttpResponseRedirect(change_url)
            # The service refuses (`stale`) if the claim moved since the page was shown.
            data["version"] = version
        try:
            done = spec.run(request, claim, data)
        except DomainError as refusal:
            if refusal.code == "stale":
                self.message_user(request, _stale_message(claim, version), messages.ERROR)
                return HttpResponseRedirect(change_url)
            self.message_user(request, refusal.message, messages.ERROR)
            if form is not None and refusal.code == "invalid":
                for field, errors in refusal.fields.items():
                    form.add_error(field if field in form.fields else None, errors)
                return self._action_page(request, claim, spec, form, version)
            return HttpResponseRedirect(change_url)
        self.message_user(request, done, messages.SUCCESS)
        return HttpResponseRedirect(change_url)

    def _action_page(
        self,
        request: HttpRequest,
        claim: Claim,
        spec: Action,
        form: forms.Form,
        version: int | None,
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{spec.label}: {claim}",
            "original": claim,
            "action": spec,
            "form": form,
            "version": version,
            "version_field": VERSION_FIELD,
            "is_propose": spec is ACTIONS["propose"],
            **(spec.page_context(claim, request.user) if spec.page_context else {}),
        }
        return TemplateResponse(request, self.workflow_template, context)

    # --- Bulk actions (editors) --------------------------------------------------------

    def has_workflow_editor_permission(self, request: HttpRequest) -> bool:
        return policy.is_editor(request.user)

    @admin.action(
        description=gettext_lazy("Assign selected claims to…"), permissions=["workflow_editor"]
    )
    def assign_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self._bulk(request, queryset, "assign_selected", ACTIONS["assign"], AssignForm)

    @admin.action(
        description=gettext_lazy("Reject selected claims…"), permissions=["workflow_editor"]
    )
    def reject_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self._bulk(request, queryset, "reject_selected", ACTIONS["reject"], RejectForm)

    def _bulk(
        self, request: HttpRequest, queryset: QuerySet, name: str, spec: Action, form_class: type
    ) -> HttpResponse | None:
        """An intermediate page asks for the input once; then the service runs per claim.
        Each claim succeeds or is refused on its own (a refusal changes only nothing)."""
        if "_confirm" in request.POST:
            form = form_class(request.POST, claim=None)
            if form.is_valid():
                done, refused = 0, []
                for claim in queryset:
                    try:
                        spec.run(request, claim, form.cleaned_data)
                        done += 1
                    except DomainError as refusal:
                        refused.append(f"#{claim.pk} {claim}: {refusal.message}")
                if done:
                    self.message_user(
                        request,
                        _("%(action)s: %(count)d claim(s) done.")
                        % {"action": spec.label, "count": done},
                        messages.SUCCESS,
                    )
                for line in refused:
                    self.message_user(request, line, messages.ERROR)
                return None
        else:
            form = form_class(claim=None)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": spec.label,
            "claims": queryset,
            "form": form,
            "action_name": name,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, self.bulk_template, context)


def _posted_version(request: HttpRequest) -> int | None:
    try:
        return int(request.POST.get(VERSION_FIELD, ""))
    except ValueError:
        return None


def _stale_message(claim: Claim, version: int | None) -> str:
    if version is None:
        return _("The page did not say which version of the claim it showed. Nothing was done.")
    outcome = _("so this action was NOT done.")
    return changes_since(Claim, claim.pk, version, outcome=outcome) or _(
        "This claim changed since the page was opened. Nothing was done."
    )
