"""Triage in batches: which received claims a triage takes, and what it decides for each.

A batch is what the `claims.triage` task runs (`claims.services.claims_triage_batch`),
and a batch of one is the single case (`claims.services.claim_triage`). A batch decides
for its members in id order what triaging them one after another would decide
(docs/queue.md, "Batches"): one search for the near-duplicates of all of them outside
the batch (`find_near_duplicates_many`), and a member compared with the earlier members
in memory, through the same candidate filter and with the scores the search would give
them (pg_trgm's similarity, `trigram_similarity`), so a later member can still be merged
into an earlier one, exactly as if each had been written before the next was compared.

This module reads and locks rows and decides in memory (`plan`); `claims.services`
validates and writes what was decided.
"""

import copy
import dataclasses
import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from claims.models import Claim, ClaimStatus
from claims.roles import Role
from claims.triage.language import detect_language, language_for
from claims.triage.normalise import figures, normalise_text
from claims.triage.priority import compute_priority, due_at_for, reprioritise
from claims.triage.similarity import (
    CandidateFilter,
    Match,
    Probe,
    find_near_duplicates_many,
    score_candidate,
    trigram_similarity,
    trigrams,
)
from claims.workflow import MERGE_TARGET_STATES, check_transition

# How many received claims one triage task takes in one transaction (docs/queue.md).
TRIAGE_BATCH = 50

QUEUE, MERGE, LINK = "queue", "merge", "link"


@dataclass(frozen=True)
class Decision:
    action: str  # QUEUE, MERGE (into an open claim) or LINK (to a published one)
    target_id: int | None = None


def decide(matches: Iterable[Match]) -> Decision:
    """What triage does with a claim, given its near-duplicates (already over the
    threshold). A published fact-check wins: the submitter gets the answer at once.
    Otherwise the best open claim absorbs it; ties go to the older claim."""
    ranked = sorted(
        matches, key=lambda m: (m.status != ClaimStatus.PUBLISHED, -m.score, m.claim_id)
    )
    if not ranked:
        return Decision(QUEUE)
    best = ranked[0]
    return Decision(LINK if best.status == ClaimStatus.PUBLISHED else MERGE, best.claim_id)


# --- The members ----------------------------------------------------------------------


def is_received(claim_id: int) -> bool:
    """Whether the claim is still waiting for triage: one plain read, no lock."""
    # Plain SQL: it runs for every message, most of them for claims an earlier batch
    # triaged, and the ORM took longer to build it than PostgreSQL to answer it.
    table = connection.ops.quote_name(Claim._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {table} WHERE id = %s AND status = %s",  # noqa: S608 - a model's table
            [claim_id, str(ClaimStatus.RECEIVED)],
        )
        return cursor.fetchone() is not None


def lock_members(first_id: int, limit: int) -> list[Claim]:
    """Claim `first_id`, locked (waiting if another transaction holds it), and up to
    `limit - 1` other received claims (`oldest_received`), in id order; [] when
    `first_id` is gone or already past received. Call inside a transaction."""
    locked = Claim.objects.select_for_update(of=("self",)).select_related("claimant")
    first = locked.filter(pk=first_id).first()
    if first is None or first.status != ClaimStatus.RECEIVED:
        return []
    others = list(oldest_received(first_id, limit - 1)) if limit > 1 else []
    return sorted([first, *others], key=lambda claim: claim.pk)


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


# --- The decisions --------------------------------------------------------------------


@dataclass
class Plan:
    """What a triage decided, in memory: the claims to write and their audit rows."""

    members: list[Claim]  # validated before anything is written
    changed: dict[int, Claim] = field(default_factory=dict)  # every claim to write, by id
    audit: list[Claim] = field(default_factory=list)  # snapshots for the audit rows, in order
    merged: dict[int, Claim] = field(default_factory=dict)  # member id -> claim merged into


def plan(members: list[Claim], *, roles: frozenset[Role], wait: bool) -> Plan:
    """Decide for `members` (locked, in id order): queue each, or merge it into the best
    near-duplicate still able to absorb it. Merge targets outside the batch are locked
    here: one at a time as they are tried, waiting (`wait`, a batch of one, which holds
    one row), or all at once with NOWAIT (a batch holding many rows must never wait: the
    database refuses instead, and the caller rolls the batch back). Raises WorkflowError
    when `roles` may not triage or merge."""
    return _Planner(members, roles, wait).run()


def requests_counted(target: Claim, added: int) -> None:
    """The requests of a merged claim count on the claim that absorbed it: an open claim
    gains priority (and an earlier due time if its band rises), a published one records
    the demand ("link": the submitter is answered with its fact-check)."""
    old = target.requests_count
    target.requests_count = old + added
    if target.status != ClaimStatus.PUBLISHED:
        target.priority = reprioritise(target.priority, old, target.requests_count)
        if target.due_at is not None:
            target.due_at = min(target.due_at, due_at_for(target.priority, timezone.now()))


class _Planner:
    def __init__(self, members: list[Claim], roles: frozenset[Role], wait: bool) -> None:
        self.roles = roles
        self.wait = wait
        self.default_language = Claim._meta.get_field("language").get_default()
        self.normalised = {claim.pk: normalise_text(claim.text) for claim in members}
        self.queued: dict[int, Claim] = {}  # members queued so far, by id
        self.targets: dict[int, Claim | None] = {}  # locked rows outside the batch, by id
        self.plan = Plan(members)

    def run(self) -> Plan:
        members = self.plan.members
        found = find_near_duplicates_many(
            [Probe(c.pk, c.claimant_id, self.normalised[c.pk]) for c in members],
            exclude={claim.pk for claim in members},
        )
        if not self.wait:
            self.targets = _lock_now({m.claim_id for matches in found.values() for m in matches})
        for claim in members:
            transition = check_transition("triage", claim.status, self.roles)
            target = self._merge_target(found[claim.pk] + self._batch_matches(claim))
            if target is None:
                self._queue(claim, transition.target)
            else:
                self._merge(claim, target)
        return self.plan

    def _batch_matches(self, claim: Claim) -> list[Match]:
        """The earlier members queued by this batch that `claim` repeats, filtered and
        scored as the search filters and scores a claim already in the database."""
        normalised = self.normalised[claim.pk]
        candidate_filter = CandidateFilter.of(normalised)
        wanted = figures(normalised)
        grams = trigrams(normalised)
        matches = []
        for earlier in self.queued.values():
            text = earlier.normalized_text
            if earlier.claimant_id != claim.claimant_id or not text:
                continue
            if not candidate_filter.admits(text):
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

    def _merge_target(self, matches: list[Match]) -> Claim | None:
        """The best of `matches` that can still absorb a claim once locked: a concurrent
        action may have closed one since the search; then the next best is tried."""
        remaining = [self._as_locked(match) for match in matches]
        while remaining:
            target_id = decide(remaining).target_id
            target = self.queued.get(target_id) or self._locked(target_id)
            if target is not None and target.status in MERGE_TARGET_STATES:
                return target
            remaining = [match for match in remaining if match.claim_id != target_id]
        return None

    def _as_locked(self, match: Match) -> Match:
        """The match with the status read under lock, when its row is locked already."""
        target = self.targets.get(match.claim_id)
        return match if target is None else dataclasses.replace(match, status=target.status)

    def _locked(self, claim_id: int) -> Claim | None:
        if claim_id not in self.targets:  # waiting for one row at a time (self.wait)
            self.targets[claim_id] = Claim.objects.select_for_update().filter(pk=claim_id).first()
        return self.targets[claim_id]

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
        self._changed(claim, "triage", now)
        self.queued[claim.pk] = claim

    def _merge(self, claim: Claim, into: Claim) -> None:
        """The workflow's merge transition, and the requests counted on the target."""
        now = timezone.now()
        transition = check_transition("merge", claim.status, self.roles)
        claim.duplicate_of = into
        claim.status = transition.target
        claim.status_changed_at = now
        self._changed(claim, "merge", now)
        self.plan.merged[claim.pk] = into
        requests_counted(into, claim.requests_count)
        self._changed(into, LINK if into.status == ClaimStatus.PUBLISHED else MERGE, now)

    def _changed(self, claim: Claim, reason: str, now: datetime.datetime) -> None:
        """One more change of `claim`: its version moves, as every save moves it, and
        its audit row is a snapshot of this moment."""
        claim.version += 1
        claim.updated_at = now
        self.plan.changed[claim.pk] = claim
        snapshot = copy.copy(claim)
        snapshot._change_reason = reason
        snapshot._history_date = timezone.now()
        self.plan.audit.append(snapshot)


def _lock_now(ids: set[int]) -> dict[int, Claim | None]:
    """The near-duplicates outside the batch, locked with NOWAIT in one statement (the
    database refuses when another transaction holds one); None for those gone."""
    if not ids:
        return {}
    rows = Claim.objects.select_for_update(nowait=True).filter(pk__in=ids).order_by("pk")
    return dict.fromkeys(ids) | {claim.pk: claim for claim in rows}
