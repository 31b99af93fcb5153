"""Writes to claims. Every status change goes through `_apply` and the workflow table.

Each service runs in one transaction, locks the claim row, checks the actor's role and
the claim's state, validates before it writes, and records the actor and the action in
the audit history. A refusal raises `WorkflowError` and changes nothing.

User text is normalised before it is validated (factcheck/text.py): the models'
`full_clean()`, which `_validate` runs, does it for the fields each model declares, and
`_require_text` for the reasons and notes it checks.
"""

import datetime
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from claims import hooks
from claims.models import (
    Appearance,
    Claim,
    Claimant,
    ClaimOrigin,
    ClaimStatus,
    Evidence,
    Rating,
    Topic,
    Verdict,
    VerdictStatus,
)
from claims.policy import (
    approve_refusal,
    content_refusal,
    draft_refusal,
    evidence_refusal,
    propose_refusal,
    require,
)
from claims.roles import Role, roles_of
from claims.similarity import Match, find_near_duplicates
from claims.triage import (
    LINK,
    MERGE,
    compute_priority,
    decide,
    detect_language,
    due_at_for,
    language_for,
    normalise_text,
    reprioritise,
)
from claims.workflow import WorkflowError, check_transition
from factcheck.tasks import enqueue_on_commit
from factcheck.text import clean_text

User = AbstractBaseUser
logger = logging.getLogger(__name__)

# A claim can be merged into one still open or already published, never into a claim
# that is itself closed (rejected, withdrawn) or a duplicate.
MERGE_TARGET_STATES = frozenset(
    {
        ClaimStatus.RECEIVED,
        ClaimStatus.QUEUED,
        ClaimStatus.IN_REVIEW,
        ClaimStatus.IN_APPROVAL,
        ClaimStatus.PUBLISHED,
    }
)


def _validate(obj: models.Model, exclude: Iterable[str] = ()) -> None:
    try:
        obj.full_clean(exclude=list(exclude))
    except ValidationError as exc:
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        first = next(iter(fields.values()))[0]
        raise WorkflowError("invalid", str(first), fields) from None


def _require_text(field: str, value: str) -> str:
    # Normalised first: a reason made only of invisible characters is no reason.
    value = clean_text(value or "")
    if not value:
        raise WorkflowError(
            "invalid",
            _("%(field)s is required.") % {"field": field},
            {field: [_("This field is required.")]},
        )
    return value


def _save(
    obj: models.Model, actor: User | None, reason: str, update_fields: list[str] | None = None
) -> None:
    # simple-history reads these to record who did what.
    obj._history_user = actor
    obj._change_reason = reason
    if isinstance(obj, Claim) and not obj._state.adding:
        # Every change of a claim moves its version (the row is locked by the caller),
        # so an admin form or a workflow button rendered before it is refused.
        obj.version += 1
        if update_fields is not None:
            update_fields = [*update_fields, "version"]
    obj.save(update_fields=update_fields)


def _locked_claim(claim_id: int, version: int | None = None) -> Claim:
    """The claim row, locked for the transaction. With `version` (the version a page
    showed), refuse with `stale` when the claim changed since: nothing is overwritten."""
    try:
        claim = Claim.objects.select_for_update().get(pk=claim_id)
    except Claim.DoesNotExist:
        raise WorkflowError(
            "invalid", _("Claim %(id)s does not exist.") % {"id": claim_id}
        ) from None
    if version is not None and claim.version != version:
        raise WorkflowError(
            "stale", _("This claim changed since the page was opened. Nothing was done.")
        )
    return claim


# Foreign keys a transition leaves unchanged are not validated again: each would cost an
# existence query, and the locked row's values are kept valid by the database (PROTECT,
# SET_NULL). `duplicate_of` is always validated: the claim's check constraints read it.
_STABLE_FOREIGN_KEYS = ("claimant", "assignee", "created_by")
# The claim's user text (normalised by full_clean, factcheck/text.py).
_USER_TEXT = (*Claim.one_line_fields, *Claim.text_fields)


def _apply(
    *,
    name: str,
    actor: User | None,
    claim_id: int,
    guard: Callable[[Claim, frozenset[Role]], None] | None = None,
    effect: Callable[[Claim], None] | None = None,
    locked: Claim | None = None,
    version: int | None = None,
    **changes: Any,
) -> Claim:
    """Run one transition: lock, check the table and the guard, apply, save, audit.
    `locked` is the claim row when the caller already holds its lock in this
    transaction (triage): it is not read and locked a second time. `version` is the
    claim version the actor saw (see `_locked_claim`)."""
    with transaction.atomic():
        claim = locked if locked is not None else _locked_claim(claim_id, version)
        roles = roles_of(actor)
        transition = check_transition(name, claim.status, roles)
        if guard:
            guard(claim, roles)
        for field, value in changes.items():
            setattr(claim, field, value)
        claim.status = transition.target
        claim.status_changed_at = timezone.now()
        # Text the transition leaves unchanged is validated, then kept as the row has it:
        # an approval publishes the row, not a copy normalised in memory only.
        unchanged = {f: getattr(claim, f) for f in _USER_TEXT if f not in changes}
        _validate(claim, exclude=[fk for fk in _STABLE_FOREIGN_KEYS if fk not in changes])
        for field, value in unchanged.items():
            setattr(claim, field, value)
        if effect:
            effect(claim)
        fields = ["status", "status_changed_at", "updated_at", *changes]
        _save(claim, actor, name, update_fields=fields)
        return claim


def _open_verdict(claim: Claim) -> Verdict | None:
    return claim.verdicts.select_for_update().open().first()


def _next_version(claim: Claim) -> int:
    last = claim.verdicts.aggregate(v=models.Max("version"))["v"]
    return (last or 0) + 1


def _new_version(claim: Claim) -> Verdict:
    """The next version. A correction that was sent back hands its public note on to
    the next attempt, so the note reaches the version that gets approved."""
    last = claim.verdicts.order_by("-version").first()
    note = last.correction_note if last and last.status == VerdictStatus.REJECTED else ""
    return Verdict(claim=claim, version=(last.version + 1 if last else 1), correction_note=note)


# --- Creating claims ------------------------------------------------------------------


def claim_create(
    *,
    actor: User | None,
    text: str,
    claim_reviewed: str,
    claimant: Claimant,
    language: str = "en",
    topics: Iterable[Topic] = (),
    claim_date: datetime.date | None = None,
    origin: str = ClaimOrigin.ADMIN,
    appearances: Iterable[dict[str, Any]] = (),
) -> Claim:
    """Save a new claim as received and queue its triage once the transaction commits."""
    claim = Claim(
        text=text.strip(),
        claim_reviewed=claim_reviewed.strip(),
        claimant=claimant,
        language=language,
        claim_date=claim_date,
        origin=origin,
    )
    with transaction.atomic():
        claim_register(actor=actor, claim=claim)
        claim.topics.set(list(topics))
        for data in appearances:
            appearance = Appearance(claim=claim, **data)
            _validate(appearance)
            _save(appearance, actor, "create")
    return claim


def claim_register(
    *, actor: User | None, claim: Claim, topics: Iterable[Topic] | None = None
) -> Claim:
    """Save an unsaved claim (built by a service or an admin form) as received and send
    its triage when the transaction commits. `actor` None is the system (API, import)."""
    from claims.tasks import triage

    if actor is not None and not roles_of(actor):
        raise WorkflowError("forbidden", _("Only reviewers, editors and admins can add claims."))
    claim.status = ClaimStatus.RECEIVED
    claim.created_by = actor
    claim.assignee = None
    claim.duplicate_of = None
    with transaction.atomic():
        _validate(claim)
        _save(claim, actor, "create")
        if topics is not None:
            claim.topics.set(list(topics))
        claim_id = claim.pk
        # On commit, never inside the transaction: the worker must find the row. A
        # broker outage leaves the claim received until the reconciler sends it again.
        enqueue_on_commit(triage, claim_id, what=f"triage of claim {claim_id} (it stays received)")
    return claim


# --- Transitions ----------------------------------------------------------------------


def claim_triage(*, claim_id: int, actor: User | None = None) -> bool:
    """Triage a received claim (docs/queue.md): normalise its text, detect its language,
    compute its priority and due time, and compare it with the claims already in. A
    near-duplicate of a published claim is linked to it, one of an open claim merged into
    it (the requests are counted there); anything else is queued.

    Returns False (and changes nothing) when the claim is gone or already past received,
    so a redelivered task is harmless. Everything is written in one transaction."""
    with transaction.atomic():
        claim = (
            Claim.objects.select_for_update(of=("self",))
            .select_related("claimant")
            .filter(pk=claim_id)
            .first()
        )
        if claim is None or claim.status != ClaimStatus.RECEIVED:
            return False
        check_transition("triage", claim.status, roles_of(actor))
        if settings.FACTCHECK_TRIAGE_DELAY:
            # Test-only: holds the row lock and the open transaction, so that fault
            # tests can kill a worker in the middle of a triage.
            time.sleep(settings.FACTCHECK_TRIAGE_DELAY)
        normalised = normalise_text(claim.text)
        matches = find_near_duplicates(
            claim_id=claim.pk, claimant_id=claim.claimant_id, normalised=normalised
        )
        if _triage_into_duplicate(claim, matches, actor):
            return True
        now = timezone.now()
        priority = compute_priority(
            normalised=normalised,
            requests_count=claim.requests_count,
            reach=claim.claimant.reach,
            claim_date=claim.claim_date,
            today=timezone.localdate(now),
        )
        default_language = Claim._meta.get_field("language").get_default()
        _apply(
            name="triage",
            actor=actor,
            claim_id=claim.pk,
            locked=claim,
            normalized_text=normalised,
            language=language_for(claim.language, detect_language(claim.text), default_language),
            priority=priority,
            due_at=due_at_for(priority, now),
        )
        return True


def _triage_into_duplicate(claim: Claim, matches: list[Match], actor: User | None) -> bool:
    """Merge `claim` into the best of its near-duplicates that is still a valid target
    once locked (a concurrent action may have closed it). False when none is."""
    remaining = list(matches)
    while remaining:
        target_id = decide(remaining).target_id
        remaining = [match for match in remaining if match.claim_id != target_id]
        target = Claim.objects.select_for_update().filter(pk=target_id).first()
        if target is None or target.status not in MERGE_TARGET_STATES:
            continue
        claim_merge(actor=actor, claim=claim, into=target)
        _count_requests(target, claim.requests_count, actor)
        return True
    return False


def _count_requests(target: Claim, added: int, actor: User | None) -> None:
    fields = requests_counted(target, added)
    reason = LINK if target.status == ClaimStatus.PUBLISHED else MERGE
    _save(target, actor, reason, update_fields=fields)


def requests_counted(target: Claim, added: int) -> list[str]:
    """The requests of a merged claim count on the claim that absorbed it: an open claim
    gains priority (and an earlier due time if its band rises), a published one records
    the demand ("link": the submitter is answered with its fact-check). Changes `target`
    in memory and returns the fields to save."""
    old = target.requests_count
    target.requests_count = old + added
    fields = ["requests_count", "updated_at"]
    if target.status != ClaimStatus.PUBLISHED:
        target.priority = reprioritise(target.priority, old, target.requests_count)
        fields.append("priority")
        if target.due_at is not None:
            target.due_at = min(target.due_at, due_at_for(target.priority, timezone.now()))
            fields.append("due_at")
    return fields


def claim_take(*, actor: User, claim: Claim, version: int | None = None) -> Claim:
    return _apply(name="take", actor=actor, claim_id=claim.pk, version=version, assignee=actor)


def claim_assign(*, actor: User, claim: Claim, assignee: User, version: int | None = None) -> Claim:
    def guard(_claim: Claim, _roles: frozenset[Role]) -> None:
        if not roles_of(assignee) & {Role.REVIEWER, Role.EDITOR}:
            raise WorkflowError(
                "invalid",
                _("%(user)s is not a reviewer.") % {"user": assignee.get_username()},
                {"assignee": [_("Choose a reviewer or an editor.")]},
            )

    with transaction.atomic():
        claim = _apply(
            name="assign",
            actor=actor,
            claim_id=claim.pk,
            guard=guard,
            version=version,
            assignee=assignee,
        )
        if actor is None or actor.pk != assignee.pk:
            # The email is owed in the same transaction: sent once, after commit.
            hooks.assigned(claim=claim, assignee=assignee)
    return claim


def verdict_save_draft(
    *,
    actor: User,
    claim: Claim,
    rating: Rating,
    summary: str,
    explanation: str,
    version: int | None = None,
) -> Verdict:
    """Create or update the draft verdict of a claim under review. The draft belongs
    to its author and the claim's assignee (claims.policy); whoever saves it becomes
    its author, as the one who last wrote its words."""
    with transaction.atomic():
        locked = _locked_claim(claim.pk, version)
        draft = _open_verdict(locked)
        if draft is not None and draft.status != VerdictStatus.DRAFT:
            raise WorkflowError(
                "frozen", _("A proposed verdict cannot be changed: send it back first.")
            )
        require(draft_refusal(locked, actor, roles_of(actor), draft))
        return _upsert_open_verdict(
            locked, actor, rating, summary, explanation, VerdictStatus.DRAFT
        )


def _upsert_open_verdict(
    claim: Claim, actor: User, rating: Rating, summary: str, explanation: str, status: str
) -> Verdict:
    verdict = _open_verdict(claim) or _new_version(claim)
    verdict.rating = rating
    verdict.summary = (summary or "").strip()
    verdict.explanation = (explanation or "").strip()
    verdict.author = actor
    verdict.status = status
    _validate(verdict)
    _save(verdict, actor, status)
    return verdict


def claim_propose(
    *,
    actor: User,
    claim: Claim,
    rating: Rating,
    summary: str,
    explanation: str,
    version: int | None = None,
) -> Verdict:
    """The assignee proposes a verdict; an editor other than them must approve it."""
    _require_text("summary", summary)
    _require_text("explanation", explanation)

    def guard(locked: Claim, roles: frozenset[Role]) -> None:
        require(propose_refusal(locked, actor, roles))

    with transaction.atomic():
        locked = _apply(
            name="propose", actor=actor, claim_id=claim.pk, guard=guard, version=version
        )
        return _upsert_open_verdict(
            locked, actor, rating, summary, explanation, VerdictStatus.PROPOSED
        )


def _proposed_verdict(claim: Claim) -> Verdict:
    verdict = claim.verdicts.select_for_update().filter(status=VerdictStatus.PROPOSED).first()
    if verdict is None:
        raise WorkflowError("invalid", _("This claim has no proposed verdict."))
    return verdict


def claim_approve(*, actor: User, claim: Claim, version: int | None = None) -> Verdict:
    """Approve the proposed verdict and publish it. Four eyes: never its own author;
    and only with a summary and its sources (claims.policy.approve_refusal)."""
    approved: list[Verdict] = []

    def guard(locked: Claim, roles: frozenset[Role]) -> None:
        proposed = locked.verdicts.select_for_update().filter(status=VerdictStatus.PROPOSED)
        require(approve_refusal(locked, actor, roles, proposed.first()))

    def effect(locked: Claim) -> None:
        verdict = _proposed_verdict(locked)
        verdict.status = VerdictStatus.APPROVED
        verdict.approved_by = actor
        verdict.approved_at = timezone.now()
        _save(verdict, actor, "approve")
        approved.append(verdict)
        # Rendered and logged in this transaction: an invalid ClaimReview refuses the
        # approval, and the change event commits with the verdict or not at all.
        hooks.publisher().publish(locked)

    _apply(
        name="approve", actor=actor, claim_id=claim.pk, guard=guard, effect=effect, version=version
    )
    return approved[0]


def claim_send_back(*, actor: User, claim: Claim, note: str, version: int | None = None) -> Claim:
    note = _require_text("note", note)

    def effect(locked: Claim) -> None:
        verdict = _proposed_verdict(locked)
        verdict.status = VerdictStatus.REJECTED
        verdict.review_note = note
        _save(verdict, actor, "send_back")

    return _apply(name="send_back", actor=actor, claim_id=claim.pk, effect=effect, version=version)


def claim_correct(*, actor: User, claim: Claim, note: str, version: int | None = None) -> Verdict:
    """Reopen a published fact-check. The published verdict stays public until the
    correction (a new version carrying the public note) is approved."""
    note = _require_text("note", note)
    drafts: list[Verdict] = []

    def effect(locked: Claim) -> None:
        current = locked.verdicts.approved().order_by("-version").first()
        draft = Verdict(
            claim=locked,
            version=_next_version(locked),
            rating=current.rating,
            summary=current.summary,
            explanation=current.explanation,
            author=actor,
            correction_note=note,
        )
        _validate(draft)
        _save(draft, actor, "correct")
        drafts.append(draft)

    # The assignee keeps the claim; an editor may reassign it afterwards.
    _apply(name="correct", actor=actor, claim_id=claim.pk, effect=effect, version=version)
    return drafts[0]


def claim_withdraw(*, actor: User, claim: Claim, reason: str, version: int | None = None) -> Claim:
    reason = _require_text("reason", reason)
    return _apply(
        name="withdraw",
        actor=actor,
        claim_id=claim.pk,
        version=version,
        status_note=reason,
        effect=lambda claim: hooks.publisher().withdraw(claim),
    )


def claim_reject(*, actor: User, claim: Claim, reason: str, version: int | None = None) -> Claim:
    reason = _require_text("reason", reason)
    return _apply(
        name="reject", actor=actor, claim_id=claim.pk, version=version, status_note=reason
    )


def claim_merge(*, actor: User, claim: Claim, into: Claim, version: int | None = None) -> Claim:
    """Mark `claim` a duplicate of `into`, an open or published claim."""

    def guard(locked: Claim, roles: frozenset[Role]) -> None:
        # Locked too, so two merges in opposite directions cannot both pass.
        target = (
            Claim.objects.select_for_update()
            .filter(pk=into.pk)
            .values_list("status", flat=True)
            .first()
        )
        if into.pk == locked.pk or target not in MERGE_TARGET_STATES:
            raise WorkflowError(
                "invalid",
                _("A claim can only be merged into another open or published claim."),
                {"duplicate_of": [_("Choose another claim.")]},
            )

    def effect(locked: Claim) -> None:
        # Any verdict in the works is abandoned with the duplicate, in the audit trail too.
        for verdict in locked.verdicts.select_for_update().open():
            verdict.status = VerdictStatus.REJECTED
            _save(verdict, actor, "merge", update_fields=["status", "updated_at"])
        # Claims merged into this one earlier now point at the survivor: no chains.
        for earlier in Claim.objects.select_for_update().filter(duplicate_of=locked):
            earlier.duplicate_of = into
            _save(earlier, actor, "merge", update_fields=["duplicate_of", "updated_at"])

    return _apply(
        name="merge",
        actor=actor,
        claim_id=claim.pk,
        guard=guard,
        effect=effect,
        version=version,
        duplicate_of=into,
    )


# --- Content: the claim's fields, appearances and evidence -------------------------
# Each service locks the claim, checks the version the actor saw, asks claims.policy
# whether the actor may change this claim in its state, validates, then writes, in one
# transaction. A published claim's content changes only after Correct (policy).

CLAIM_FIELDS = ("text", "claim_reviewed", "claimant", "language", "claim_date")


def claim_update(
    *,
    actor: User,
    claim: Claim,
    version: int | None,
    fields: dict[str, Any],
    topics: Iterable[Topic] | None = None,
) -> Claim:
    """Change a claim's own fields (CLAIM_FIELDS) and topics. Every save moves the
    claim's version, so a page rendered before it is refused (`stale`)."""
    unknown = set(fields) - set(CLAIM_FIELDS)
    if unknown:
        raise WorkflowError("invalid", _("These fields cannot be changed here: %(f)s") % {
            "f": ", ".join(sorted(unknown))
        })  # fmt: skip
    with transaction.atomic():
        locked = _locked_claim(claim.pk, version)
        require(content_refusal(locked, actor, roles_of(actor)))
        for name, value in fields.items():
            setattr(locked, name, value.strip() if isinstance(value, str) else value)
        _validate(locked, exclude=[fk for fk in _STABLE_FOREIGN_KEYS if fk not in fields])
        _save(locked, actor, "edit", update_fields=[*fields, "updated_at"])
        if topics is not None:
            locked.topics.set(list(topics))
        return locked


def _content_claim(claim: Claim, actor: User, version: int | None, check: Callable) -> Claim:
    locked = _locked_claim(claim.pk, version)
    require(check(locked, actor, roles_of(actor)))
    return locked


def appearance_add(
    *, actor: User, claim: Claim, version: int | None = None, **data: Any
) -> Appearance:
    """Record where the claim was made or repeated (url, outlet, date, quote)."""
    with transaction.atomic():
        locked = _content_claim(claim, actor, version, content_refusal)
        appearance = Appearance(claim=locked, **_only(data, APPEARANCE_FIELDS))
        _validate(appearance)
        _save(appearance, actor, "add_appearance")
        return appearance


def appearance_update(
    *, actor: User, appearance: Appearance, version: int | None = None, **data: Any
) -> Appearance:
    return _row_update(actor, appearance, version, content_refusal, APPEARANCE_FIELDS, data)


def appearance_remove(*, actor: User, appearance: Appearance, version: int | None = None) -> None:
    _row_remove(actor, appearance, version, content_refusal, "remove_appearance")


def _row_update(
    actor: User, row: Any, version: int | None, check: Callable, names: Iterable[str], data: dict
) -> Any:
    """Change a content row (an appearance, a source) of a claim the actor may change."""
    with transaction.atomic():
        _content_claim(row.claim, actor, version, check)
        locked = type(row).objects.select_for_update().get(pk=row.pk)
        for name, value in _only(data, names).items():
            setattr(locked, name, value)
        _validate(locked, exclude=["added_by"] if isinstance(locked, Evidence) else [])
        _save(locked, actor, f"change_{type(row)._meta.model_name}")
        return locked


def _row_remove(actor: User, row: Any, version: int | None, check: Callable, reason: str) -> None:
    with transaction.atomic():
        _content_claim(row.claim, actor, version, check)
        row._history_user = actor
        row._change_reason = reason
        row.delete()


APPEARANCE_FIELDS = ("url", "outlet", "date", "quote")
EVIDENCE_FIELDS = ("url", "title", "publisher", "quote", "kind", "stance")


def _only(data: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    names = set(names)
    unknown = set(data) - names
    if unknown:
        raise WorkflowError(
            "invalid", _("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))}
        )
    return {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}


def evidence_add(
    *,
    actor: User,
    claim: Claim,
    url: str,
    title: str,
    kind: str,
    stance: str,
    publisher: str = "",
    quote: str = "",
    version: int | None = None,
) -> Evidence:
    """The assignee (or an editor) attaches a source to a claim under review."""
    with transaction.atomic():
        locked = _content_claim(claim, actor, version, evidence_refusal)
        evidence = Evidence(
            claim=locked,
            added_by=actor,
            **_only(
                {"url": url, "title": title, "publisher": publisher, "quote": quote,
                 "kind": kind, "stance": stance},
                EVIDENCE_FIELDS,
            ),
        )  # fmt: skip
        _validate(evidence, exclude=["added_by"])
        _save(evidence, actor, "add_evidence")
        return evidence


def evidence_update(
    *, actor: User, evidence: Evidence, version: int | None = None, **data: Any
) -> Evidence:
    """Change a source of a claim under review (the assignee or an editor)."""
    return _row_update(actor, evidence, version, evidence_refusal, EVIDENCE_FIELDS, data)


def evidence_remove(*, actor: User, evidence: Evidence, version: int | None = None) -> None:
    _row_remove(actor, evidence, version, evidence_refusal, "remove_evidence")


# --- Internal notes -------------------------------------------------------------------

from claims.models import ClaimNote  # noqa: E402 - kept with the one service that writes it


def claim_note_add(*, actor: User, claim: Claim, text: str) -> ClaimNote:
    """Add an internal note to a claim's thread. Anyone on the desk (a reviewer, an
    editor, an admin) may write one; notes are never published."""
    if not roles_of(actor):
        raise WorkflowError("forbidden", _("Only reviewers, editors and admins can add notes."))
    note = ClaimNote(claim=claim, author=actor, text=_require_text("text", text))
    with transaction.atomic():
        _validate(note)
        note.save()
    return note
