"""The claims services: creating claims, whole journeys through the workflow, bad input."""

from collections.abc import Callable
from typing import Any

import pytest

from claims import services
from claims.models import (
    Claim,
    ClaimStatus,
    Evidence,
    EvidenceKind,
    EvidenceStance,
    Verdict,
    VerdictStatus,
)
from claims.workflow import WorkflowError
from tests.claims.test_workflow import db_state
from tests.factories import ClaimantFactory, ClaimFactory, rating

S = ClaimStatus

pytestmark = pytest.mark.django_db


def create_claim(actor: Any, **overrides: Any) -> Claim:
    data = {
        "text": "Ukraine's casualties in the counteroffensive exceed 90,000 troops.",
        "claim_reviewed": "Ukrainian casualties exceed 90,000 troops",
        "claimant": ClaimantFactory(),
        "language": "en",
        # ClaimReview needs to say where the claim appeared before it can be published.
        "appearances": [{"url": "https://tass.com/defense/1669335", "outlet": "TASS"}],
    }
    return services.claim_create(actor=actor, **(data | overrides))


def propose(actor: Any, claim: Claim, slug: str = "unverifiable", **overrides: Any) -> Verdict:
    data = {
        "rating": rating(slug),
        "summary": "Only the Russian defence ministry gives this figure.",
        "explanation": "No independent count exists; Ukraine does not publish its losses.",
    }
    return services.claim_propose(actor=actor, claim=claim, **(data | overrides))


def reasons(claim: Claim) -> list[tuple[str | None, str | None]]:
    """The claim's audit trail, oldest first: (username or None for the system, reason)."""
    rows = claim.history.order_by("history_date", "history_id")
    return [
        (row.history_user.username if row.history_user else None, row.history_change_reason)
        for row in rows
    ]


# --- Creating a claim -----------------------------------------------------------------


def test_claim_create_saves_a_received_claim_with_its_appearances(reviewer):
    claim = create_claim(
        reviewer,
        text="  Ukraine lost 90,000 troops.  ",
        appearances=[{"url": "https://tass.com/politics/1", "outlet": "TASS"}],
    )

    claim.refresh_from_db()
    assert claim.status == S.RECEIVED
    assert claim.text == "Ukraine lost 90,000 troops."
    assert claim.created_by == reviewer
    assert list(claim.appearances.values_list("outlet", flat=True)) == ["TASS"]
    assert reasons(claim) == [("olena", "create")]


def test_claim_create_enqueues_triage_only_on_commit(
    reviewer, monkeypatch, django_capture_on_commit_callbacks
):
    enqueued: list[int] = []
    monkeypatch.setattr("claims.tasks.triage.delay", enqueued.append)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        claim = create_claim(reviewer)
        assert enqueued == []  # still inside the transaction: a worker would not see the row

    assert len(callbacks) == 1
    assert enqueued == []
    callbacks[0]()
    assert enqueued == [claim.pk]


def test_claim_create_succeeds_while_the_broker_is_down(
    reviewer, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(claim_id: int) -> None:
        raise ConnectionError("Redis is unreachable")

    monkeypatch.setattr("claims.tasks.triage.delay", broker_down)

    with django_capture_on_commit_callbacks(execute=True):
        claim = create_claim(reviewer)

    # Saved as received: the reconciler enqueues it once the broker is back.
    assert Claim.objects.get(pk=claim.pk).status == S.RECEIVED


def test_invalid_claim_enqueues_nothing(reviewer, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        pytest.raises(WorkflowError),
    ):
        create_claim(reviewer, language="English")

    assert callbacks == []


# --- Bad input ------------------------------------------------------------------------

# (description, starting status, call(actor, claim, ctx), field reported)
BAD_INPUT: list[tuple[str, S, Callable[..., Any], str]] = [
    (
        "propose_empty_summary",
        S.IN_REVIEW,
        lambda c, claim, ctx: propose(c["reviewer"], claim, summary="   "),
        "summary",
    ),
    (
        "propose_empty_explanation",
        S.IN_REVIEW,
        lambda c, claim, ctx: propose(c["reviewer"], claim, explanation=""),
        "explanation",
    ),
    (
        "propose_without_rating",
        S.IN_REVIEW,
        lambda c, claim, ctx: services.claim_propose(
            actor=c["reviewer"], claim=claim, rating=None, summary="S.", explanation="E."
        ),
        "rating",
    ),
    (
        "reject_empty_reason",
        S.QUEUED,
        lambda c, claim, ctx: services.claim_reject(actor=c["editor"], claim=claim, reason=""),
        "reason",
    ),
    (
        "withdraw_empty_reason",
        S.PUBLISHED,
        lambda c, claim, ctx: services.claim_withdraw(actor=c["editor"], claim=claim, reason=" \n"),
        "reason",
    ),
    (
        "send_back_empty_note",
        S.IN_APPROVAL,
        lambda c, claim, ctx: services.claim_send_back(actor=c["editor"], claim=claim, note=""),
        "note",
    ),
    (
        "correct_empty_note",
        S.PUBLISHED,
        lambda c, claim, ctx: services.claim_correct(actor=c["editor"], claim=claim, note=" "),
        "note",
    ),
    (
        "merge_into_itself",
        S.QUEUED,
        lambda c, claim, ctx: services.claim_merge(actor=c["editor"], claim=claim, into=claim),
        "duplicate_of",
    ),
    (
        "merge_into_a_duplicate",
        S.IN_REVIEW,
        lambda c, claim, ctx: services.claim_merge(
            actor=c["editor"], claim=claim, into=ctx["duplicate"]
        ),
        "duplicate_of",
    ),
    (
        "assign_to_outsider",
        S.QUEUED,
        lambda c, claim, ctx: services.claim_assign(
            actor=c["editor"], claim=claim, assignee=c["outsider"]
        ),
        "assignee",
    ),
    (
        "evidence_with_bad_url",
        S.IN_REVIEW,
        lambda c, claim, ctx: services.evidence_add(
            actor=c["reviewer"],
            claim=claim,
            url="not a url",
            title="Ministry statement",
            kind=EvidenceKind.PRIMARY_SOURCE,
            stance=EvidenceStance.CONTEXT,
        ),
        "url",
    ),
    (
        "create_with_long_claim_reviewed",
        S.QUEUED,
        lambda c, claim, ctx: create_claim(c["reviewer"], claim_reviewed="x" * 76),
        "claim_reviewed",
    ),
    (
        "create_with_bad_language_tag",
        S.QUEUED,
        lambda c, claim, ctx: create_claim(c["reviewer"], language="en_GB!"),
        "language",
    ),
    (
        "create_with_bad_appearance_url",
        S.QUEUED,
        lambda c, claim, ctx: create_claim(c["reviewer"], appearances=[{"url": "tass"}]),
        "url",
    ),
]


@pytest.mark.parametrize(
    ("status", "call", "field"),
    [pytest.param(status, call, field, id=name) for name, status, call, field in BAD_INPUT],
)
def test_bad_input_is_invalid_with_fields_and_changes_nothing(
    reviewer, editor, outsider, status, call, field
):
    claim = ClaimFactory(status=status, state__author=reviewer)
    ctx = {"duplicate": ClaimFactory(status=S.DUPLICATE, duplicate_of=ClaimFactory())}
    before = db_state()

    with pytest.raises(WorkflowError) as refused:
        call({"reviewer": reviewer, "editor": editor, "outsider": outsider}, claim, ctx)

    assert refused.value.code == "invalid"
    assert field in refused.value.fields
    assert refused.value.message
    assert db_state() == before


def test_approve_without_a_proposed_verdict_is_invalid(editor):
    claim = ClaimFactory(status=S.IN_APPROVAL)
    claim.verdicts.all().delete()
    before = db_state()

    with pytest.raises(WorkflowError) as refused:
        services.claim_approve(actor=editor, claim=claim)

    assert refused.value.code == "invalid"
    assert db_state() == before


def test_transition_on_a_missing_claim_is_invalid(editor):
    claim = ClaimFactory()
    Claim.objects.filter(pk=claim.pk).delete()

    with pytest.raises(WorkflowError) as refused:
        services.claim_reject(actor=editor, claim=claim, reason="Not check-worthy.")

    assert refused.value.code == "invalid"


# --- Journeys -------------------------------------------------------------------------


def test_claim_goes_from_received_to_published_after_a_send_back(reviewer, editor):
    # ClaimReview needs where the claim appeared before it can be published.
    claim = create_claim(reviewer, appearances=[{"url": "https://tass.com/defense/1669335"}])
    assert services.claim_triage(claim_id=claim.pk) is True
    services.claim_take(actor=reviewer, claim=claim)
    evidence = services.evidence_add(
        actor=reviewer,
        claim=claim,
        url="https://mil.gov.ua/en/news/casualties",
        title="Ukraine does not publish its losses",
        kind=EvidenceKind.OFFICIAL_DATA,
        stance=EvidenceStance.CONTEXT,
    )
    first = propose(reviewer, claim, slug="false")
    services.claim_send_back(actor=editor, claim=claim, note="False is too strong: unverifiable.")
    second = propose(reviewer, claim, slug="unverifiable")
    approved = services.claim_approve(actor=editor, claim=claim)

    claim.refresh_from_db()
    assert claim.status == S.PUBLISHED
    assert claim.assignee == reviewer
    assert evidence.added_by == reviewer
    first.refresh_from_db()
    assert (first.version, first.status) == (1, VerdictStatus.REJECTED)
    assert first.review_note == "False is too strong: unverifiable."
    assert approved.pk == second.pk
    assert approved.version == 2
    assert (approved.status, approved.author, approved.approved_by) == (
        VerdictStatus.APPROVED,
        reviewer,
        editor,
    )
    assert approved.rating.slug == "unverifiable"
    assert approved.approved_at is not None
    assert reasons(claim) == [
        ("olena", "create"),
        (None, "triage"),
        ("olena", "take"),
        ("olena", "propose"),
        ("iryna", "send_back"),
        ("olena", "propose"),
        ("iryna", "approve"),
    ]
    assert list(
        approved.history.order_by("history_date").values_list("history_change_reason", flat=True)
    ) == ["proposed", "approve"]
    assert Evidence.history.get().history_change_reason == "add_evidence"


def test_correction_keeps_the_old_verdict_and_publishes_a_new_version(reviewer, editor):
    claim = ClaimFactory(status=S.PUBLISHED, state__author=reviewer)
    original = claim.verdicts.get()

    draft = services.claim_correct(actor=editor, claim=claim, note="The ministry revised it.")

    claim.refresh_from_db()
    assert claim.status == S.IN_REVIEW
    assert claim.assignee == reviewer  # the correction goes back to the reviewer
    assert (draft.version, draft.status) == (2, VerdictStatus.DRAFT)
    assert list(claim.verdicts.approved()) == [original]  # still the public one

    propose(reviewer, claim, slug="misleading")
    corrected = services.claim_approve(actor=editor, claim=claim)

    assert corrected.pk == draft.pk
    approved = list(claim.verdicts.approved().order_by("version"))
    assert [v.version for v in approved] == [1, 2]
    old, new = approved
    assert (old.rating.slug, old.correction_note) == (original.rating.slug, "")
    assert old.updated_at == original.updated_at  # an approved version is never edited
    assert (new.rating.slug, new.correction_note) == ("misleading", "The ministry revised it.")
    assert [r for _, r in reasons(claim)][-3:] == ["correct", "propose", "approve"]


def test_correction_note_survives_a_send_back(reviewer, editor):
    claim = ClaimFactory(status=S.PUBLISHED, state__author=reviewer)
    services.claim_correct(actor=editor, claim=claim, note="The ministry revised it.")
    propose(reviewer, claim)
    services.claim_send_back(actor=editor, claim=claim, note="Say which revision.")
    propose(reviewer, claim)

    corrected = services.claim_approve(actor=editor, claim=claim)

    assert corrected.version == 3
    assert corrected.correction_note == "The ministry revised it."


def test_first_verdict_after_a_send_back_carries_no_correction_note(reviewer, editor):
    claim = ClaimFactory(status=S.IN_APPROVAL, state__author=reviewer)
    services.claim_send_back(actor=editor, claim=claim, note="More sources.")

    verdict = propose(reviewer, claim)

    assert (verdict.version, verdict.correction_note) == (2, "")


def test_withdraw_records_the_public_reason(reviewer, editor):
    claim = ClaimFactory(status=S.PUBLISHED, state__author=reviewer)

    services.claim_withdraw(actor=editor, claim=claim, reason="  The quote was misattributed. ")

    claim.refresh_from_db()
    assert claim.status == S.WITHDRAWN
    assert claim.status_note == "The quote was misattributed."
    assert claim.verdicts.approved().count() == 1  # the record of what was said stays
    assert reasons(claim)[-1] == ("iryna", "withdraw")


def test_reject_records_the_reason(editor):
    claim = ClaimFactory(status=S.RECEIVED)

    services.claim_reject(actor=editor, claim=claim, reason="An opinion, not a claim of fact.")

    claim.refresh_from_db()
    assert (claim.status, claim.status_note) == (S.REJECTED, "An opinion, not a claim of fact.")
    assert reasons(claim)[-1] == ("iryna", "reject")


def test_merge_points_at_the_surviving_claim_and_abandons_the_open_verdict(reviewer, editor):
    survivor = ClaimFactory(status=S.PUBLISHED)
    claim = ClaimFactory(status=S.IN_APPROVAL, state__author=reviewer)
    proposed = claim.verdicts.get()

    services.claim_merge(actor=editor, claim=claim, into=survivor)

    claim.refresh_from_db()
    assert (claim.status, claim.duplicate_of) == (S.DUPLICATE, survivor)
    assert list(survivor.duplicates.all()) == [claim]
    proposed.refresh_from_db()
    assert proposed.status == VerdictStatus.REJECTED
    latest = proposed.history.first()
    assert (latest.history_user, latest.history_change_reason) == (editor, "merge")
    assert reasons(claim)[-1] == ("iryna", "merge")


def test_claim_triage_is_idempotent():
    claim = ClaimFactory(status=S.RECEIVED)

    assert services.claim_triage(claim_id=claim.pk) is True
    history = claim.history.count()
    assert services.claim_triage(claim_id=claim.pk) is False

    claim.refresh_from_db()
    assert claim.status == S.QUEUED
    assert claim.history.count() == history


def test_claim_triage_of_a_deleted_claim_is_a_no_op():
    claim = ClaimFactory(status=S.RECEIVED)
    Claim.objects.filter(pk=claim.pk).delete()

    assert services.claim_triage(claim_id=claim.pk) is False


def test_assign_hands_the_claim_to_another_reviewer(reviewer, other_reviewer, editor):
    claim = ClaimFactory(status=S.IN_REVIEW, state__author=reviewer)

    services.claim_assign(actor=editor, claim=claim, assignee=other_reviewer)

    claim.refresh_from_db()
    assert (claim.status, claim.assignee) == (S.IN_REVIEW, other_reviewer)
    with pytest.raises(WorkflowError) as refused:
        propose(reviewer, claim)
    assert refused.value.code == "forbidden"
    assert propose(other_reviewer, claim).author == other_reviewer


def test_draft_is_saved_and_then_proposed_as_the_same_version(reviewer):
    claim = ClaimFactory(status=S.IN_REVIEW, state__author=reviewer)

    draft = services.verdict_save_draft(
        actor=reviewer, claim=claim, rating=rating("false"), summary="Draft.", explanation="WIP."
    )
    proposed = propose(reviewer, claim)

    assert proposed.pk == draft.pk
    assert (proposed.version, proposed.status) == (1, VerdictStatus.PROPOSED)
    assert claim.verdicts.count() == 1


def test_only_the_assignee_saves_a_draft(reviewer, other_reviewer):
    claim = ClaimFactory(status=S.IN_REVIEW, state__author=reviewer)
    before = db_state()

    with pytest.raises(WorkflowError) as refused:
        services.verdict_save_draft(
            actor=other_reviewer, claim=claim, rating=rating(), summary="S.", explanation="E."
        )

    assert refused.value.code == "forbidden"
    assert db_state() == before


@pytest.mark.parametrize(
    ("status", "persona", "code"),
    [
        (S.IN_REVIEW, "other_reviewer", "forbidden"),
        (S.IN_REVIEW, "outsider", "forbidden"),
        # Past review the claim's content is frozen (claims.policy).
        (S.IN_APPROVAL, "reviewer", "frozen"),
        (S.PUBLISHED, "editor", "frozen"),
    ],
)
def test_evidence_is_added_only_in_review_by_assignee_or_editor(request, status, persona, code):
    claim = ClaimFactory(status=status, state__author=request.getfixturevalue("reviewer"))
    actor = request.getfixturevalue(persona)
    before = db_state()

    with pytest.raises(WorkflowError) as refused:
        services.evidence_add(
            actor=actor,
            claim=claim,
            url="https://example.org/report",
            title="Report",
            kind=EvidenceKind.MEDIA_REPORT,
            stance=EvidenceStance.SUPPORTS,
        )

    assert refused.value.code == code
    assert db_state() == before


def test_editor_adds_evidence_to_a_claim_assigned_to_someone_else(reviewer, editor):
    claim = ClaimFactory(status=S.IN_REVIEW, state__author=reviewer)

    evidence = services.evidence_add(
        actor=editor,
        claim=claim,
        url="https://example.org/report",
        title=" Report ",
        kind=EvidenceKind.MEDIA_REPORT,
        stance=EvidenceStance.SUPPORTS,
    )

    assert (evidence.title, evidence.added_by) == ("Report", editor)
    assert evidence.history.get().history_user == editor


def test_inactive_user_holds_no_role(reviewer):
    claim = ClaimFactory(status=S.QUEUED)
    reviewer.is_active = False
    reviewer.save(update_fields=["is_active"])

    with pytest.raises(WorkflowError) as refused:
        services.claim_take(actor=reviewer, claim=claim)

    assert refused.value.code == "forbidden"


def test_status_changed_at_moves_with_the_status(editor):
    claim = ClaimFactory(status=S.QUEUED)
    before = claim.status_changed_at

    services.claim_reject(actor=editor, claim=claim, reason="Not check-worthy.")

    claim.refresh_from_db()
    assert claim.status_changed_at > before


@pytest.mark.parametrize("target_status", [S.REJECTED, S.WITHDRAWN])
def test_merge_into_a_closed_claim_is_invalid_and_changes_nothing(editor, target_status):
    claim = ClaimFactory(status=S.QUEUED)
    closed = ClaimFactory(status=target_status)
    before = db_state()

    with pytest.raises(WorkflowError) as refused:
        services.claim_merge(actor=editor, claim=claim, into=closed)

    assert refused.value.code == "invalid"
    assert "duplicate_of" in refused.value.fields
    assert db_state() == before


def test_merging_a_survivor_repoints_its_earlier_duplicates(editor):
    first = ClaimFactory(status=S.QUEUED)
    survivor = ClaimFactory(status=S.QUEUED)
    final = ClaimFactory(status=S.PUBLISHED)
    services.claim_merge(actor=editor, claim=first, into=survivor)

    services.claim_merge(actor=editor, claim=survivor, into=final)

    first.refresh_from_db()
    assert first.duplicate_of == final  # no chain first -> survivor -> final
    assert first.history.latest().history_user == editor


def test_outsider_cannot_create_a_claim(outsider):
    claimant = ClaimantFactory()
    before = db_state()
    with pytest.raises(WorkflowError) as refused:
        create_claim(outsider, claimant=claimant)
    assert refused.value.code == "forbidden"
    assert db_state() == before
