"""The workflow table and its guards: every transition, from every state, by every persona.

The expected table below is written out by hand on purpose. It is compared with
claims.workflow.TRANSITIONS, and the matrix runs the real services against it, so a
change to the module's table fails here until someone changes this one too.
"""

from collections.abc import Callable
from typing import Any, NamedTuple

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from claims import services
from claims.models import (
    Appearance,
    Claim,
    Claimant,
    ClaimStatus,
    Evidence,
    Verdict,
    VerdictStatus,
)
from claims.roles import Role, roles_of
from claims.workflow import TRANSITIONS, WorkflowError, allowed_transitions, check_transition
from tests.factories import ClaimFactory, UserFactory, rating

pytestmark = pytest.mark.django_db

S = ClaimStatus
ALL_STATES = tuple(S)
OPEN = {S.RECEIVED, S.QUEUED, S.IN_REVIEW, S.IN_APPROVAL}

# The personas of the matrix and the conftest fixture each one comes from ("system" is
# no user at all: a Celery task or a management command acting on its own).
PERSONA_FIXTURES = {
    "assignee": "reviewer",  # the reviewer the claim is assigned to and who wrote its verdict
    "other_reviewer": "other_reviewer",
    "editor": "editor",
    "admin": "admin_user",  # in the Admin group only
    "outsider": "outsider",
    "system": None,
}
PERSONAS = tuple(PERSONA_FIXTURES)


class Row(NamedTuple):
    sources: set[S]
    target: S
    roles: set[Role]
    personas: set[str]  # who of PERSONAS may apply it (roles plus the service's own guards)


EVERY_EDITOR = {"editor", "admin"}

EXPECTED = {
    "triage": Row({S.RECEIVED}, S.QUEUED, {Role.SYSTEM, Role.ADMIN}, {"system", "admin"}),
    "take": Row(
        {S.QUEUED},
        S.IN_REVIEW,
        {Role.REVIEWER, Role.EDITOR},
        {"assignee", "other_reviewer", "editor"},
    ),
    # The system assigns queued claims automatically (reviewers.assign_queued).
    "assign": Row(
        {S.QUEUED, S.IN_REVIEW},
        S.IN_REVIEW,
        {Role.EDITOR, Role.ADMIN, Role.SYSTEM},
        EVERY_EDITOR | {"system"},
    ),
    # The role admits editors too, but only the claim's assignee may propose.
    "propose": Row({S.IN_REVIEW}, S.IN_APPROVAL, {Role.REVIEWER, Role.EDITOR}, {"assignee"}),
    "approve": Row({S.IN_APPROVAL}, S.PUBLISHED, {Role.EDITOR, Role.ADMIN}, EVERY_EDITOR),
    "send_back": Row({S.IN_APPROVAL}, S.IN_REVIEW, {Role.EDITOR, Role.ADMIN}, EVERY_EDITOR),
    "correct": Row({S.PUBLISHED}, S.IN_REVIEW, {Role.EDITOR, Role.ADMIN}, EVERY_EDITOR),
    "withdraw": Row({S.PUBLISHED}, S.WITHDRAWN, {Role.EDITOR, Role.ADMIN}, EVERY_EDITOR),
    "reject": Row({S.RECEIVED, S.QUEUED}, S.REJECTED, {Role.EDITOR, Role.ADMIN}, EVERY_EDITOR),
    # The system merges near-duplicates at triage (claims.services.claim_triage).
    "merge": Row(
        OPEN, S.DUPLICATE, {Role.EDITOR, Role.ADMIN, Role.SYSTEM}, EVERY_EDITOR | {"system"}
    ),
}


def expected_outcome(name: str, status: S, persona: str) -> str:
    """allowed, illegal_transition, forbidden, or noop: triage is idempotent, so a
    claim already past received is left alone and the service returns False."""
    row = EXPECTED[name]
    if status not in row.sources:
        return "noop" if name == "triage" else "illegal_transition"
    return "allowed" if persona in row.personas else "forbidden"


# One call per transition, with valid input: only the state and the actor decide.
ACTIONS: dict[str, Callable[..., Any]] = {
    "triage": lambda actor, claim, ctx: services.claim_triage(claim_id=claim.pk, actor=actor),
    "take": lambda actor, claim, ctx: services.claim_take(actor=actor, claim=claim),
    "assign": lambda actor, claim, ctx: services.claim_assign(
        actor=actor, claim=claim, assignee=ctx["newcomer"]
    ),
    "propose": lambda actor, claim, ctx: services.claim_propose(
        actor=actor,
        claim=claim,
        rating=rating("mostly-false"),
        summary="Only the Russian defence ministry gives this figure.",
        explanation="No independent count exists; Ukraine does not publish its losses.",
    ),
    "approve": lambda actor, claim, ctx: services.claim_approve(actor=actor, claim=claim),
    "send_back": lambda actor, claim, ctx: services.claim_send_back(
        actor=actor, claim=claim, note="Link the ministry's own statement."
    ),
    "correct": lambda actor, claim, ctx: services.claim_correct(
        actor=actor, claim=claim, note="The ministry revised its figure."
    ),
    "withdraw": lambda actor, claim, ctx: services.claim_withdraw(
        actor=actor, claim=claim, reason="The quote was misattributed."
    ),
    "reject": lambda actor, claim, ctx: services.claim_reject(
        actor=actor, claim=claim, reason="An opinion, not a checkable claim."
    ),
    "merge": lambda actor, claim, ctx: services.claim_merge(
        actor=actor, claim=claim, into=ctx["survivor"]
    ),
}


def db_state() -> dict[str, Any]:
    """Every row a workflow service may write, to show that a refusal wrote nothing."""
    return {
        "claims": list(Claim.objects.order_by("pk").values()),
        "verdicts": list(Verdict.objects.order_by("pk").values()),
        "evidence": list(Evidence.objects.order_by("pk").values()),
        "appearances": list(Appearance.objects.order_by("pk").values()),
        "history": {
            model.__name__: model.history.count()
            for model in (Claim, Verdict, Evidence, Appearance, Claimant)
        },
    }


def claim_in(status: S, author: AbstractBaseUser) -> Claim:
    """A claim in `status` whose assignee and verdict author (where it has them) is `author`."""
    extra = {"duplicate_of": ClaimFactory()} if status == S.DUPLICATE else {}
    return ClaimFactory(status=status, state__author=author, **extra)


def test_workflow_table_is_the_expected_one():
    actual = {name: (set(t.sources), t.target, set(t.roles)) for name, t in TRANSITIONS.items()}
    expected = {name: (row.sources, row.target, row.roles) for name, row in EXPECTED.items()}
    assert actual == expected


def test_matrix_personas_hold_the_roles_the_table_assumes(request, db):
    held = {
        persona: roles_of(request.getfixturevalue(fixture) if fixture else None)
        for persona, fixture in PERSONA_FIXTURES.items()
    }
    assert held == {
        "assignee": {Role.REVIEWER},
        "other_reviewer": {Role.REVIEWER},
        "editor": {Role.EDITOR},
        "admin": {Role.ADMIN},
        "outsider": set(),
        "system": {Role.SYSTEM},
    }


MATRIX = [
    pytest.param(name, status, persona, id=f"{name}-{status.value}-{persona}")
    for name in EXPECTED
    for status in ALL_STATES
    for persona in PERSONAS
]


@pytest.mark.parametrize(("name", "status", "persona"), MATRIX)
def test_transition_by_persona_from_state(request, reviewer, name, status, persona):
    actor = request.getfixturevalue(PERSONA_FIXTURES[persona]) if persona != "system" else None
    claim = claim_in(status, author=reviewer)
    newcomer = UserFactory(username="newcomer", roles=["Reviewer"]) if name == "assign" else None
    ctx = {"newcomer": newcomer, "survivor": ClaimFactory() if name == "merge" else None}
    outcome = expected_outcome(name, status, persona)
    before = db_state()
    history_before = claim.history.count()

    if outcome == "allowed":
        ACTIONS[name](actor, claim, ctx)
        claim.refresh_from_db()
        assert claim.status == EXPECTED[name].target
        assert claim.history.count() == history_before + 1
        latest = claim.history.first()
        assert latest.status == EXPECTED[name].target
        assert latest.history_user == actor
        assert latest.history_change_reason == name
    elif outcome == "noop":
        assert ACTIONS[name](actor, claim, ctx) is False
        assert db_state() == before
    else:
        with pytest.raises(WorkflowError) as refused:
            ACTIONS[name](actor, claim, ctx)
        assert refused.value.code == outcome
        assert refused.value.message
        assert db_state() == before


# --- Four eyes ------------------------------------------------------------------------


@pytest.fixture
def superuser(db):
    return UserFactory(username="chief", is_superuser=True)


@pytest.mark.parametrize("author_fixture", ["editor", "admin_user", "superuser"])
def test_author_cannot_approve_own_verdict_even_as_editor_or_admin(request, author_fixture):
    author = request.getfixturevalue(author_fixture)
    claim = claim_in(S.IN_APPROVAL, author=author)
    before = db_state()

    with pytest.raises(WorkflowError) as refused:
        services.claim_approve(actor=author, claim=claim)

    assert refused.value.code == "four_eyes"
    assert "yourself" in refused.value.message
    assert db_state() == before


def test_editor_who_proposed_needs_another_editor_to_approve(editor, other_editor):
    claim = ClaimFactory(status=S.QUEUED)
    services.claim_take(actor=editor, claim=claim)
    services.evidence_add(
        actor=editor, claim=claim, url="https://example.org/briefing", title="Briefing",
        kind="primary_source", stance="context",
    )  # fmt: skip
    services.claim_propose(
        actor=editor,
        claim=claim,
        rating=rating("false"),
        summary="The figure is the ministry's own.",
        explanation="Nobody else counted.",
    )
    with pytest.raises(WorkflowError) as refused:
        services.claim_approve(actor=editor, claim=claim)
    assert refused.value.code == "four_eyes"

    verdict = services.claim_approve(actor=other_editor, claim=claim)

    assert (verdict.author, verdict.approved_by) == (editor, other_editor)
    claim.refresh_from_db()
    assert claim.status == S.PUBLISHED


def test_database_refuses_update_that_makes_author_the_approver():
    claim = ClaimFactory(status=S.PUBLISHED)
    verdict = claim.verdicts.get()
    approver = verdict.approved_by

    with pytest.raises(IntegrityError), transaction.atomic():
        Verdict.objects.filter(pk=verdict.pk).update(approved_by=F("author"))

    verdict.refresh_from_db()
    assert verdict.approved_by == approver


def test_database_refuses_saving_verdict_approved_by_its_author():
    claim = ClaimFactory(status=S.IN_APPROVAL)
    verdict = claim.verdicts.get()
    verdict.status = VerdictStatus.APPROVED
    verdict.approved_by = verdict.author
    verdict.approved_at = timezone.now()

    with pytest.raises(IntegrityError), transaction.atomic():
        verdict.save()

    assert Verdict.objects.get(pk=verdict.pk).status == VerdictStatus.PROPOSED


def test_database_refuses_approved_verdict_without_approver():
    claim = ClaimFactory(status=S.IN_APPROVAL)

    with pytest.raises(IntegrityError), transaction.atomic():
        Verdict.objects.filter(claim=claim).update(status=VerdictStatus.APPROVED)


# --- The error and the table's helpers ------------------------------------------------


def test_unknown_transition_is_an_illegal_transition():
    with pytest.raises(WorkflowError) as refused:
        check_transition("fly", S.QUEUED, frozenset({Role.ADMIN}))

    assert refused.value.code == "illegal_transition"
    assert refused.value.message == "Unknown workflow action 'fly'."
    assert str(refused.value) == refused.value.message


def test_transition_from_wrong_state_says_what_and_from_where():
    with pytest.raises(WorkflowError) as refused:
        check_transition("send_back", S.RECEIVED, frozenset({Role.EDITOR}))

    assert refused.value.code == "illegal_transition"
    assert refused.value.message == "Cannot send back a claim that is received."


def test_transition_without_the_role_says_who_may():
    with pytest.raises(WorkflowError) as refused:
        check_transition("approve", S.IN_APPROVAL, frozenset({Role.REVIEWER}))

    assert refused.value.code == "forbidden"
    assert refused.value.message == "Only Admin, Editor may approve and publish a claim."


def test_state_is_checked_before_role():
    """A claim's state is no secret to the reviewers' workspace; the clearer reason wins."""
    with pytest.raises(WorkflowError) as refused:
        check_transition("approve", S.RECEIVED, frozenset())
    assert refused.value.code == "illegal_transition"


def test_check_transition_returns_the_transition_when_allowed():
    transition = check_transition("withdraw", S.PUBLISHED, frozenset({Role.EDITOR}))

    assert transition is TRANSITIONS["withdraw"]
    assert transition.target == S.WITHDRAWN


@pytest.mark.parametrize(
    ("status", "roles", "offered"),
    [
        (S.RECEIVED, {Role.SYSTEM}, ["triage", "merge"]),
        (S.RECEIVED, {Role.EDITOR}, ["reject", "merge"]),
        (S.QUEUED, {Role.REVIEWER}, ["take"]),
        (S.QUEUED, {Role.EDITOR}, ["take", "assign", "reject", "merge"]),
        (S.IN_APPROVAL, {Role.ADMIN}, ["approve", "send_back", "merge"]),
        (S.PUBLISHED, {Role.EDITOR}, ["correct", "withdraw"]),
        (S.PUBLISHED, {Role.REVIEWER}, []),
        (S.WITHDRAWN, {Role.REVIEWER, Role.EDITOR, Role.ADMIN}, []),
        (S.DUPLICATE, {Role.EDITOR, Role.ADMIN}, []),
    ],
)
def test_allowed_transitions_offers_only_what_the_roles_may_do(status, roles, offered):
    assert [t.name for t in allowed_transitions(status, frozenset(roles))] == offered
