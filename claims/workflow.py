"""The review workflow: the one table of who may move a claim from which state to which.

The services in claims/services.py look every transition up here; nothing else decides
whether a status change is allowed.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from claims.models import ClaimStatus as S
from claims.roles import Role
from factcheck.errors import DomainError

OPEN_STATES = frozenset({S.RECEIVED, S.QUEUED, S.IN_REVIEW, S.IN_APPROVAL})
# A claim can be merged into one still open or already published, never into a claim
# that is itself closed (rejected, withdrawn) or a duplicate; triage looks for
# near-duplicates among these states only.
MERGE_TARGET_STATES = OPEN_STATES | {S.PUBLISHED}


class WorkflowError(DomainError):
    """What every refused workflow action raises (the project's domain error). `code`
    is one of: illegal_transition, forbidden, four_eyes, invalid, conflict."""


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset[S]
    target: S
    roles: frozenset[Role]


def _t(name: str, label: str, sources: set[S], target: S, roles: set[Role]) -> Transition:
    return Transition(name, label, frozenset(sources), target, frozenset(roles))


EDITORS = {Role.EDITOR, Role.ADMIN}

TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        _t("triage", gettext_lazy("Triage"), {S.RECEIVED}, S.QUEUED, {Role.SYSTEM, Role.ADMIN}),
        _t("take", gettext_lazy("Take"), {S.QUEUED}, S.IN_REVIEW, {Role.REVIEWER, Role.EDITOR}),
        _t(
            "assign",
            gettext_lazy("Assign"),
            {S.QUEUED, S.IN_REVIEW},
            S.IN_REVIEW,
            {*EDITORS, Role.SYSTEM},
        ),
        _t(
            "propose",
            gettext_lazy("Propose verdict"),
            {S.IN_REVIEW},
            S.IN_APPROVAL,
            {Role.REVIEWER, Role.EDITOR},
        ),
        _t("approve", gettext_lazy("Approve and publish"), {S.IN_APPROVAL}, S.PUBLISHED, EDITORS),
        _t("send_back", gettext_lazy("Send back"), {S.IN_APPROVAL}, S.IN_REVIEW, EDITORS),
        _t("correct", gettext_lazy("Correct"), {S.PUBLISHED}, S.IN_REVIEW, EDITORS),
        _t("withdraw", gettext_lazy("Withdraw"), {S.PUBLISHED}, S.WITHDRAWN, EDITORS),
        _t("reject", gettext_lazy("Reject"), {S.RECEIVED, S.QUEUED}, S.REJECTED, EDITORS),
        # The system too: triage merges near-duplicates it finds (claims.services).
        _t(
            "merge",
            gettext_lazy("Mark as duplicate"),
            set(OPEN_STATES),
            S.DUPLICATE,
            {*EDITORS, Role.SYSTEM},
        ),
    ]
}


def check_transition(name: str, status: str, roles: frozenset[Role]) -> Transition:
    """Return the transition if `roles` may apply it to a claim in `status`, else raise."""
    try:
        transition = TRANSITIONS[name]
    except KeyError:
        raise WorkflowError(
            "illegal_transition", _("Unknown workflow action %(name)r.") % {"name": name}
        ) from None
    if status not in transition.sources:
        raise WorkflowError(
            "illegal_transition",
            _("Cannot %(action)s a claim that is %(status)s.")
            % {"action": transition.label.lower(), "status": S(status).label.lower()},
        )
    if not roles & transition.roles:
        allowed = ", ".join(sorted(r.value for r in transition.roles if r != Role.SYSTEM))
        raise WorkflowError(
            "forbidden",
            _("Only %(roles)s may %(action)s a claim.")
            % {"roles": allowed, "action": transition.label.lower()},
        )
    return transition


def allowed_transitions(status: str, roles: frozenset[Role]) -> list[Transition]:
    """The actions to offer a user (the admin's buttons use this)."""
    return [t for t in TRANSITIONS.values() if status in t.sources and roles & t.roles]
