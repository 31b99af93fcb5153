"""Writes to claims. Every status change goes through the workflow table: one claim at
a time through `_apply`, triage's batches (a batch of one is `claim_triage`) through
`claims_triage_batch`, which decides in claims/triage/ and writes here.

Each service runs in one transaction, locks the claim row, checks the actor's role and
the claim's state, validates before it writes, and records the actor and the action in
the audit history. A refusal raises `WorkflowError` (a `factcheck.errors.DomainError`)
and changes nothing.

User text is normalised before it is validated (factcheck/text.py): the models'
`full_clean()`, which `_validate` runs, does it for the fields each model declares, and
`_require_text` for the reasons and notes it checks.
"""

import datetime
import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, models, transaction
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
from claims.triage import batch as triage_batch
from claims.triage.batch import TRIAGE_BATCH
from claims.workflow import MERGE_TARGET_STATES, WorkflowError, check_transition
from factcheck.tasks import enqueue_on_commit
from factcheck.text import clean_text

User = AbstractBaseUser
logger = logging.getLogger(__name__)


def _validate(obj: models.Model, exclude: Iterable[str] = (), *, constraints: bool = True) -> None:
    """`obj.full_clean()` as a refusal. Without `constraints`, Django's uniqueness and
    constraint queries are skipped: the database still enforces them."""
    try:
        obj.full_clean(
            exclude=list(exclude), validate_unique=constraints, validate_constraints=constraints
        )
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
    version: int | None = None,
    **changes: Any,
) -> Claim:
    """Run one transition: lock, check the table and the guard, apply, save, audit.
    `version` is the claim version the actor saw (see `_locked_claim`)."""
    with transaction.atomic():
        claim = _locked_claim(claim_id, version)
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

    A batch of one (`claims_triage_batch`), which waits for the rows it needs. Returns
    False (and changes nothing) when the claim is gone or already past received, so a
    redelivered task is harmless. Everything is written in one transaction."""
    with transaction.atomic():
        members = triage_batch.lock_members(claim_id, limit=1)
        if not members:
            return False
        _triage(members, actor, wait=True)
        return True


def claims_triage_batch(*, first_id: int, limit: int = TRIAGE_BATCH) -> int:
    """Triage claim `first_id` and up to `limit - 1` other received claims, oldest first,
    in one transaction, as the system. Returns how many were triaged: 0 when `first_id`
    is gone or already past received (a cheap no-op for a later message).

    Other members are locked with SKIP LOCKED: a claim another worker holds is left to
    it. The batch never waits for a lock while it holds many: a merge target locked
    elsewhere (NOWAIT), or any refusal (database, validation), rolls the whole batch back,
    and `first_id` alone is triaged by `claim_triage` (which may wait: it holds one row);
    the other members go back to received and their own messages triage them."""
    # Most messages find their claim triaged by an earlier batch: one plain read, no
    # transaction, no lock. A claim that is received here is checked again under lock.
    if not triage_batch.is_received(first_id):
        return 0
    try:
        with transaction.atomic():
            members = triage_batch.lock_members(first_id, limit)
            if members:
                _triage(members, None, wait=False)
            return len(members)
    except (DatabaseError, WorkflowError):
        logger.info("Triage batch of claim %s rolled back; triaging it alone", first_id)
        return int(claim_triage(claim_id=first_id))


# Every field triage can change on a claim: members (queued or merged) and the claims
# they are merged into. One statement writes them all for every claim a triage changed.
_TRIAGE_FIELDS = (
    "status",
    "status_changed_at",
    "normalized_text",
    "language",
    "priority",
    "due_at",
    "duplicate_of",
    "requests_count",
    "version",
    "updated_at",
)
# Foreign keys are left to the database (a merge target is locked, the others are
# unchanged), and so are the check constraints, which triage meets by construction: a
# refusal there rolls the triage back like any other.
_TRIAGE_NOT_VALIDATED = ("claimant", "assignee", "created_by", "duplicate_of")


def _triage(members: list[Claim], actor: User | None, *, wait: bool) -> None:
    """Decide for `members` (claims.triage.batch), then write what was decided."""
    _triage_save(triage_batch.plan(members, roles=roles_of(actor), wait=wait), actor)


def _triage_save(plan: triage_batch.Plan, actor: User | None) -> None:
    """Validate every member of a triage, then write every change it decided, with one
    audit row per change."""
    for claim in plan.members:
        # The user text is validated, then kept as the row has it (see _apply).
        kept = {name: getattr(claim, name) for name in _USER_TEXT}
        _validate(claim, exclude=_TRIAGE_NOT_VALIDATED, constraints=False)
        for name, value in kept.items():
            setattr(claim, name, value)
    _merge_effects(plan.merged, actor)
    _claims_bulk_update(claims=list(plan.changed.values()), fields=_TRIAGE_FIELDS)
    for snapshot in plan.audit:
        snapshot._history_user = actor
    Claim.history.bulk_history_create(plan.audit, update=True)


def _claims_bulk_update(*, claims: list[Claim], fields: Iterable[str]) -> None:
    """Write `fields` of `claims` (locked by the caller) with one statement, no audit
    rows (the caller writes them). On PostgreSQL an `UPDATE ... FROM unnest(...)`."""
    if connection.vendor != "postgresql":
        Claim.objects.bulk_update(claims, list(fields))
        return
    # Raw SQL: bulk_update's CASE per column and row cost more than the rest of a triage
    # batch together (docs/BENCHMARKS.md); test_triage_batch pins both databases alike.
    model_fields = [Claim._meta.pk, *(Claim._meta.get_field(name) for name in fields)]
    quote = connection.ops.quote_name
    columns = [quote(field.column) for field in model_fields]
    arrays = ", ".join(
        f"%s::{field.rel_db_type(connection) if field.is_relation else field.db_type(connection)}[]"
        for field in model_fields
    )
    params = [
        [field.get_db_prep_save(getattr(claim, field.attname), connection) for claim in claims]
        for field in model_fields
    ]
    # Names come from the model's metadata; every value is a bound parameter.
    sql = (
        f"UPDATE {quote(Claim._meta.db_table)} AS c "  # noqa: S608
        f"SET {', '.join(f'{name} = v.{name}' for name in columns[1:])} "
        f"FROM unnest({arrays}) AS v({', '.join(columns)}) WHERE c.{columns[0]} = v.{columns[0]}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _merge_effects(merged: dict[int, Claim], actor: User | None) -> None:
    """What merging claims (by id, into the claim each now duplicates) does besides the
    claims themselves, for claim_merge and triage alike."""
    if not merged:
        return
    ids = list(merged)
    # Any verdict in the works is abandoned with the duplicate, in the audit trail too.
    for verdict in Verdict.objects.select_for_update().filter(claim_id__in=ids).open():
        verdict.status = VerdictStatus.REJECTED
        _save(verdict, actor, "merge", update_fields=["status", "updated_at"])
    # Claims merged into one of them earlier now point at the survivor: no chains.
    for earlier in Claim.objects.select_for_update().filter(duplicate_of_id__in=ids):
        earlier.duplicate_of = merged[earlier.duplicate_of_id]
        _save(earlier, actor, "merge", update_fields=["duplicate_of", "updated_at"])


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
        _merge_effects({locked.pk: into}, actor)

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
