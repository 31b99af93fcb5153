"""Who may do what to a claim, beyond the workflow table: the one place that says it.

The services call `require(...)` before they write; the admin (and anything else that
offers actions) calls `allowed_actions(claim, user)` to know which buttons, forms and
inlines to show. Nothing else holds a copy of these rules.

What a published fact-check says is frozen: the claim's fields, appearances and
evidence change only while the claim is open for research (received, queued, in
review), and a published claim returns there only through Correct. A proposed verdict
is frozen until it is sent back; an approved one forever (the database enforces both
for verdicts, migration claims/0010).
"""

from django.conf import settings
from django.utils.translation import gettext as _

from claims.models import Claim, ClaimStatus, Verdict, VerdictStatus
from claims.roles import Role, roles_of
from claims.workflow import TRANSITIONS, WorkflowError, allowed_transitions, check_transition

EDITOR_ROLES = frozenset({Role.EDITOR, Role.ADMIN})
# Claim fields and appearances can be edited while nobody has proposed a verdict on
# them yet: before triage, in the queue and in review (a correction reopens review).
CONTENT_STATES = frozenset({ClaimStatus.RECEIVED, ClaimStatus.QUEUED, ClaimStatus.IN_REVIEW})
# Sources are the research: attached while the claim is in review.
EVIDENCE_STATES = frozenset({ClaimStatus.IN_REVIEW})

# Actions that are not transitions.
EDIT = "edit"  # the claim's fields and appearances
EVIDENCE = "evidence"  # add, change, remove sources
DRAFT = "draft"  # write the verdict draft
NOTE = "note"  # add an internal note


def _frozen_message(claim: Claim) -> str:
    if claim.status == ClaimStatus.PUBLISHED:
        return _(
            "This fact-check is published: what it says changes only through Correct, "
            "which opens a new version for an editor to approve."
        )
    if claim.status == ClaimStatus.IN_APPROVAL:
        return _(
            "This claim is awaiting approval: its content is frozen until an editor "
            "approves it or sends it back."
        )
    return _("This claim is %(status)s: its content can no longer be changed.") % {
        "status": ClaimStatus(claim.status).label.lower()
    }


def _is_editor(roles: frozenset[Role]) -> bool:
    return bool(roles & EDITOR_ROLES)


def is_editor(user) -> bool:
    """Editors and admins: who gets the editors' bulk actions and queues."""
    return _is_editor(roles_of(user))


def _owns(claim: Claim, user) -> bool:
    """The claim's assignee, or before triage the person who entered it."""
    if user is None:
        return False
    if claim.assignee_id is not None:
        return claim.assignee_id == user.pk
    return claim.status == ClaimStatus.RECEIVED and claim.created_by_id == user.pk


def content_refusal(claim: Claim, user, roles: frozenset[Role]) -> WorkflowError | None:
    """Why `user` may not change the claim's fields or appearances (None: they may)."""
    if claim.status not in CONTENT_STATES:
        return WorkflowError("frozen", _frozen_message(claim))
    if not (_is_editor(roles) or (Role.REVIEWER in roles and _owns(claim, user))):
        return WorkflowError(
            "forbidden", _("Only the claim's assignee or an editor can change this claim.")
        )
    return None


def evidence_refusal(claim: Claim, user, roles: frozenset[Role]) -> WorkflowError | None:
    if claim.status not in EVIDENCE_STATES:
        if claim.status in CONTENT_STATES:
            return WorkflowError(
                "illegal_transition", _("Sources are attached while a claim is in review.")
            )
        return WorkflowError("frozen", _frozen_message(claim))
    if not (_is_editor(roles) or claim.assignee_id == getattr(user, "pk", None)):
        return WorkflowError(
            "forbidden", _("Only the claim's assignee or an editor can change its sources.")
        )
    return None


def draft_refusal(
    claim: Claim, user, roles: frozenset[Role], draft: Verdict | None
) -> WorkflowError | None:
    """A draft belongs to its author and to the claim's assignee; nobody else writes it."""
    if claim.status != ClaimStatus.IN_REVIEW:
        return WorkflowError("illegal_transition", _("Only a claim in review has a draft verdict."))
    pk = getattr(user, "pk", None)
    if pk is None or not roles & {Role.REVIEWER, Role.EDITOR}:
        return WorkflowError("forbidden", _("Only reviewers and editors write verdicts."))
    if claim.assignee_id == pk or (draft is not None and draft.author_id == pk):
        return None
    return WorkflowError(
        "forbidden", _("Only the claim's assignee or the draft's author can change this draft.")
    )


def propose_refusal(claim: Claim, user, roles: frozenset[Role]) -> WorkflowError | None:
    if claim.assignee_id != getattr(user, "pk", None):
        return WorkflowError("forbidden", _("Only the claim's assignee can do this."))
    return None


def approve_refusal(
    claim: Claim, user, roles: frozenset[Role], proposed: Verdict | None
) -> WorkflowError | None:
    """Four eyes, and what IFCN's principles ask of a published fact-check: its
    sources shown (at least FACTCHECK_MIN_SOURCES) and a summary."""
    if proposed is None:
        return WorkflowError("invalid", _("This claim has no proposed verdict."))
    # Whoever last wrote the verdict's words is its author (the services set it).
    if proposed.author_id == getattr(user, "pk", None):
        return WorkflowError("four_eyes", _("You cannot approve a verdict you wrote yourself."))
    if not proposed.summary.strip():
        return WorkflowError(
            "invalid", _("A fact-check needs a summary."), {"summary": [_("Required.")]}
        )
    needed = settings.FACTCHECK_MIN_SOURCES
    if claim.evidence.count() < needed:
        return WorkflowError(
            "invalid",
            _("A fact-check shows its sources: attach at least %(n)d before approving it.")
            % {"n": needed},
            {"evidence": [_("Too few sources.")]},
        )
    return None


def proposed_verdict(claim: Claim) -> Verdict | None:
    return claim.verdicts.filter(status=VerdictStatus.PROPOSED).first()


def open_draft(claim: Claim) -> Verdict | None:
    return claim.verdicts.filter(status=VerdictStatus.DRAFT).first()


def allowed_actions(claim: Claim, user) -> frozenset[str]:
    """Every action `user` may take on `claim` now: workflow transitions (by name, as
    in claims/workflow.py) whose own rules pass too, and EDIT, EVIDENCE, DRAFT, NOTE."""
    roles = roles_of(user)
    allowed = set()
    for transition in allowed_transitions(claim.status, roles):
        refusal = None
        if transition.name == "propose":
            refusal = propose_refusal(claim, user, roles)
        elif transition.name == "approve":
            proposed = proposed_verdict(claim)
            # Offered when only the sources are missing: the page then says why.
            refusal = approve_refusal(claim, user, roles, proposed)
            if refusal is not None and refusal.code == "invalid" and proposed is not None:
                refusal = None
        if refusal is None:
            allowed.add(transition.name)
    if content_refusal(claim, user, roles) is None:
        allowed.add(EDIT)
    if evidence_refusal(claim, user, roles) is None:
        allowed.add(EVIDENCE)
    if (
        claim.status == ClaimStatus.IN_REVIEW
        and draft_refusal(claim, user, roles, open_draft(claim)) is None
    ):
        allowed.add(DRAFT)
    if roles - {Role.SYSTEM}:
        allowed.add(NOTE)
    return frozenset(allowed)


def action_refusal(name: str, claim: Claim, user) -> WorkflowError | None:
    """Why `user` may not take action `name` on `claim` now (None: they may), with the
    message the service would give."""
    if name in allowed_actions(claim, user):
        return None
    roles = roles_of(user)
    if name in TRANSITIONS:
        try:
            check_transition(name, claim.status, roles)
        except WorkflowError as refusal:
            return refusal
        if name == "propose":
            return propose_refusal(claim, user, roles)
        if name == "approve":
            return approve_refusal(claim, user, roles, proposed_verdict(claim))
    if name == EVIDENCE:
        return evidence_refusal(claim, user, roles)
    return WorkflowError("forbidden", _("This action is not open to you on this claim."))


def require(refusal: WorkflowError | None) -> None:
    """Raise the refusal, if there is one (the services' form of the checks above)."""
    if refusal is not None:
        raise refusal
