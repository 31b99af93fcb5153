"""Triage of many received claims in one transaction: what the `claims.triage` task runs.

A batch decides what `claims.services.claim_triage` would decide for each of its claims
one after another in id order (docs/queue.md, "Batches"), with a fixed number of
statements per batch instead of about ten per claim: one read of all near-duplicates
outside the batch (`find_near_duplicates_many`), one lock of the merge targets, one
`UPDATE` of every changed claim and one `INSERT` of their audit rows. A member is
compared with the earlier members in Python, with the scores the search would give them
(pg_trgm's similarity, `claims.similarity.trigram_similarity`), so a later member can
still be merged into an earlier one, exactly as if each had been written before the
next was compared.
"""

import copy
import dataclasses
import logging
import time
from collections import OrderedDict

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, OperationalError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from claims import services
from claims.models import Claim, ClaimStatus, Verdict, VerdictStatus
from claims.roles import roles_of
from claims.similarity import (
    Match,
    Probe,
    batch_candidate_passes,
    find_near_duplicates_many,
    score_candidate,
    stems,
    trigram_similarity,
    trigrams,
)
from claims.triage import (
    LINK,
    MERGE,
    compute_priority,
    decide,
    detect_language,
    due_at_for,
    figures,
    language_for,
    normalise_text,
)
from claims.workflow import WorkflowError, check_transition

logger = logging.getLogger(__name__)

# How many received claims one triage task takes in one transaction (docs/queue.md).
TRIAGE_BATCH = 50

# Every field a batch can change on a claim: members (triaged or merged) and the claims
# they are merged into. One UPDATE writes them all for every row the batch changed.
_WRITTEN_FIELDS = (
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
# Validated as claim_triage validates them; foreign keys are left to the database
# (the merge target is locked here, the others unchanged), and so are the check
# constraints: an IntegrityError rolls the batch back like any refusal.
_NOT_VALIDATED = ("claimant", "assignee", "created_by", "duplicate_of")


# The ids of the claims this process triaged in committed batches, oldest first: the
# messages of a batch's other members follow it in the queue and are answered from here
# without a query. A claim never returns to received, so a remembered id never goes
# stale (only restoring the database to an earlier point while workers run could reuse
# an id: restart the workers after a restore). At most REMEMBERED ids, about 1 MB.
REMEMBERED = 10_000
_triaged: OrderedDict[int, None] = OrderedDict()


def _remember(claim_ids: list[int]) -> None:
    for claim_id in claim_ids:
        _triaged[claim_id] = None
    while len(_triaged) > REMEMBERED:
        _triaged.popitem(last=False)


class _BatchAbort(Exception):
    """The batch cannot go on without waiting or without a refusal: roll it back."""


def claims_triage_batch(*, first_id: int, limit: int = TRIAGE_BATCH) -> int:
    """Triage claim `first_id` and up to `limit - 1` other received claims, oldest first,
    in one transaction. Returns how many were triaged: 0 when `first_id` is gone or
    already past received (a cheap no-op for a later message).

    Other members are locked with SKIP LOCKED: a claim another worker holds is left to
    it. The batch never waits for a lock while it holds many: a merge target locked
    elsewhere (NOWAIT), or any refusal (database, validation), rolls the whole batch back,
    and `first_id` alone is triaged by `claim_triage` (which may wait: it holds one row);
    the other members go back to received and their own messages triage them."""
    # Most messages find their claim triaged by an earlier batch: this process's memory
    # of its own batches answers, or else one plain read, no transaction, no lock. A
    # claim that is received here is checked again under lock.
    if first_id in _triaged or not _still_received(first_id):
        return 0
    try:
        with transaction.atomic():
            return _triage_batch(first_id, limit)
    except (_BatchAbort, DatabaseError, WorkflowError):
        logger.info("Triage batch of claim %s rolled back; triaging it alone", first_id)
        return int(services.claim_triage(claim_id=first_id))


def _still_received(claim_id: int) -> bool:
    # Plain SQL: this runs for every message, and the ORM spent more time compiling
    # the query than PostgreSQL answering it (about 0.5 ms of 0.6, cProfile).
    table = _quote(Claim._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {table} WHERE id = %s AND status = %s",  # noqa: S608 - a model's table
            [claim_id, str(ClaimStatus.RECEIVED)],
        )
        return cursor.fetchone() is not None


def _triage_batch(first_id: int, limit: int) -> int:
    locked = Claim.objects.select_for_update(of=("self",)).select_related("claimant")
    first = locked.filter(pk=first_id).first()
    if first is None or first.status != ClaimStatus.RECEIVED:
        return 0
    others = list(oldest_received(first_id, limit - 1)) if limit > 1 else []
    batch = sorted([first, *others], key=lambda claim: claim.pk)
    if settings.FACTCHECK_TRIAGE_DELAY:
        # Test-only: holds the row locks and the open transaction (see claim_triage).
        time.sleep(settings.FACTCHECK_TRIAGE_DELAY)
    _Batch(batch).triage()
    triaged = [claim.pk for claim in batch]
    transaction.on_commit(lambda: _remember(triaged))
    return len(batch)


def oldest_received(first_id: int, count: int) -> QuerySet[Claim]:
    """The other members of a batch: the oldest `count` received claims but `first_id`,
    locked, skipping those another transaction holds (read in id order from the partial
    index claim_received_idx)."""
    return (
        Claim.objects.select_for_update(of=("self",), skip_locked=True)
        .select_related("claimant")
        .filter(status=ClaimStatus.RECEIVED)
        .exclude(pk=first_id)
        .order_by("pk")[:count]
    )


class _Batch:
    """The members of one batch, what was decided for each, and the writes it makes."""

    def __init__(self, members: list[Claim]) -> None:
        self.members = members  # locked, in id order
        self.roles = roles_of(None)
        self.default_language = Claim._meta.get_field("language").get_default()
        self.normalised = {claim.pk: normalise_text(claim.text) for claim in members}
        self.queued: dict[int, Claim] = {}  # members triaged to queued so far, by id
        self.merged: dict[int, Claim] = {}  # member id -> the claim it was merged into
        self.changed: dict[int, Claim] = {}  # every claim to UPDATE, by id
        self.audit: list[Claim] = []  # snapshots for the audit rows, in order

    def triage(self) -> None:
        found = find_near_duplicates_many(
            [Probe(c.pk, c.claimant_id, self.normalised[c.pk]) for c in self.members],
            exclude={claim.pk for claim in self.members},
        )
        targets = _lock_targets({m.claim_id for matches in found.values() for m in matches})
        for claim in self.members:
            transition = check_transition("triage", claim.status, self.roles)
            matches = _still_targets(found[claim.pk], targets) + self._batch_matches(claim)
            if matches:
                target_id = decide(matches).target_id
                self._merge(claim, targets.get(target_id) or self.queued[target_id])
            else:
                self._queue(claim, transition.target)
        self._merge_effects()
        self._write()

    # --- Decisions, in memory ------------------------------------------------------------

    def _batch_matches(self, claim: Claim) -> list[Match]:
        """The earlier members queued by this batch that `claim` repeats, scored as the
        search scores a claim already in the database."""
        normalised = self.normalised[claim.pk]
        wanted = figures(normalised)
        prefixes = [] if wanted else stems(normalised)
        grams = trigrams(normalised)
        matches = []
        for earlier in self.queued.values():
            text = earlier.normalized_text
            if earlier.claimant_id != claim.claimant_id or not text:
                continue
            if not batch_candidate_passes(wanted, prefixes, text):
                continue
            match = score_candidate(
                claim_id=earlier.pk,
                status=earlier.status,
                similarity=trigram_similarity(grams, text),
                figures_a=wanted,
                text_b=text,
            )
            if match:
                matches.append(match)
        return matches

    def _queue(self, claim: Claim, status: str) -> None:
        now = timezone.now()
        normalised = self.normalised[claim.pk]
        claim.priority = compute_priority(
            normalised=normalised,
            requests_count=claim.requests_count,
            reach=claim.claimant.reach,
            claim_date=claim.claim_date,
            today=timezone.localdate(now),
        )
        claim.normalized_text = normalised
        detected = detect_language(claim.text)
        claim.language = language_for(claim.language, detected, self.default_language)
        claim.due_at = due_at_for(claim.priority, now)
        claim.status = status
        claim.status_changed_at = now
        self._validate(claim)
        self._changed(claim, "triage", now)
        self.queued[claim.pk] = claim

    def _merge(self, claim: Claim, into: Claim) -> None:
        """What claim_merge and the requests count do, in memory."""
        now = timezone.now()
        transition = check_transition("merge", claim.status, self.roles)
        claim.duplicate_of = into
        claim.status = transition.target
        claim.status_changed_at = now
        self._validate(claim)
        self._changed(claim, "merge", now)
        self.merged[claim.pk] = into
        services.requests_counted(into, claim.requests_count)
        self._changed(into, LINK if into.status == ClaimStatus.PUBLISHED else MERGE, now)

    @staticmethod
    def _validate(claim: Claim) -> None:
        try:
            claim.full_clean(
                exclude=list(_NOT_VALIDATED), validate_unique=False, validate_constraints=False
            )
        except ValidationError:
            raise _BatchAbort from None  # claim_triage reports it as it always has

    def _changed(self, claim: Claim, reason: str, now) -> None:
        """One more change of `claim`: its version moves, as `_save` moves it, and its
        audit row is a snapshot of this moment."""
        claim.version += 1
        claim.updated_at = now
        self.changed[claim.pk] = claim
        snapshot = copy.copy(claim)
        snapshot._change_reason = reason
        snapshot._history_date = timezone.now()
        self.audit.append(snapshot)

    # --- Writes --------------------------------------------------------------------------

    def _merge_effects(self) -> None:
        """claim_merge's effects for the merged members: open verdicts rejected, claims
        merged into them earlier pointed at the survivor (rare for a received claim)."""
        if not self.merged:
            return
        ids = list(self.merged)
        for verdict in Verdict.objects.select_for_update().filter(claim_id__in=ids).open():
            verdict.status = VerdictStatus.REJECTED
            services._save(verdict, None, "merge", update_fields=["status", "updated_at"])
        for earlier in Claim.objects.select_for_update().filter(duplicate_of_id__in=ids):
            earlier.duplicate_of = self.merged[earlier.duplicate_of_id]
            services._save(earlier, None, "merge", update_fields=["duplicate_of", "updated_at"])

    def _write(self) -> None:
        _update_rows(list(self.changed.values()))
        Claim.history.bulk_history_create(self.audit, update=True, default_user=None)


def _update_rows(claims: list[Claim]) -> None:
    """Write _WRITTEN_FIELDS of `claims` with one statement. On PostgreSQL an
    `UPDATE ... FROM unnest(...)`, one array per column: Django's bulk_update writes a
    CASE per column and row, which cost more to build and to run than the rest of the
    batch together (cProfile, docs/BENCHMARKS.md). SQLite keeps bulk_update."""
    if connection.vendor != "postgresql":
        Claim.objects.bulk_update(claims, _WRITTEN_FIELDS)
        return
    fields = [Claim._meta.pk, *(Claim._meta.get_field(name) for name in _WRITTEN_FIELDS)]
    columns = [field.column for field in fields]
    arrays = ", ".join(
        f"%s::{field.rel_db_type(connection)}[]"
        if field.is_relation
        else f"%s::{field.db_type(connection)}[]"
        for field in fields
    )
    assignments = ", ".join(f"{name} = v.{name}" for name in map(_quote, columns[1:]))
    table = _quote(Claim._meta.db_table)
    params = [
        [field.get_db_prep_save(getattr(claim, field.attname), connection) for claim in claims]
        for field in fields
    ]
    # Names come from the model's metadata; every value is a bound parameter.
    sql = (
        f"UPDATE {table} AS c SET {assignments} "  # noqa: S608
        f"FROM unnest({arrays}) AS v({', '.join(map(_quote, columns))}) "
        f"WHERE c.{_quote(columns[0])} = v.{_quote(columns[0])}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _lock_targets(ids: set[int]) -> dict[int, Claim]:
    """The near-duplicates outside the batch, locked without waiting (a batch holding
    many rows must never wait: it rolls back instead, see claims_triage_batch)."""
    if not ids:
        return {}
    try:
        rows = Claim.objects.select_for_update(nowait=True).filter(pk__in=ids).order_by("pk")
        return {claim.pk: claim for claim in rows}
    except OperationalError:
        raise _BatchAbort from None


def _still_targets(matches: list[Match], targets: dict[int, Claim]) -> list[Match]:
    """The matches that can still absorb a claim, with the status read under lock (a
    concurrent action may have closed one since the search)."""
    return [
        dataclasses.replace(match, status=targets[match.claim_id].status)
        for match in matches
        if match.claim_id in targets
        and targets[match.claim_id].status in services.MERGE_TARGET_STATES
    ]
