"""Batch triage (claims.triage.batch): the same decisions as triaging one claim at a
time, in a fixed number of statements per batch on PostgreSQL.

The equivalence cases run on whichever database the suite runs on (SQLite by default,
PostgreSQL in CI); the statement counts and index use are PostgreSQL's.
"""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.triage_throughput import claim_texts
from claims import services
from claims.models import Claim, ClaimStatus, Verdict, VerdictStatus
from claims.triage import batch as triage_batch
from claims.triage.normalise import normalise_text
from claims.triage.similarity import Probe, find_near_duplicates, find_near_duplicates_many
from tests.claims.test_triage_pipeline import (
    GALLUP,
    LUKASHENKO,
    SHOIGU_DEMO,
    SHOIGU_DEMO_RESTATED,
    SHOIGU_OTHER_FIGURE,
    SHOIGU_REWORDED,
    SHOIGU_TROOPS,
    existing,
    history,
    lukashenko,
    on_postgresql,
    only_the_search_indexes,
    received,
)
from tests.factories import ClaimantFactory, ClaimFactory, VerdictFactory

S = ClaimStatus


class _Rollback(Exception):
    pass


def outcome(ids: list[int]) -> dict[int, tuple]:
    """What triage decided for each claim, and its audit trail (times left out: the two
    runs happen at different moments)."""
    claims = Claim.objects.filter(pk__in=ids).order_by("pk")
    return {
        claim.pk: (
            claim.status,
            claim.duplicate_of_id,
            claim.requests_count,
            claim.priority,
            claim.language,
            claim.normalized_text,
            claim.version,
            claim.due_at is not None,
            [reason for _, reason in history(claim)],
        )
        for claim in claims
    }


def one_by_one_then_undone(received_ids: list[int], all_ids: list[int]) -> dict[int, tuple]:
    """claim_triage of each received claim in id order, as before batches; rolled back."""
    try:
        with transaction.atomic():
            for claim_id in sorted(received_ids):
                services.claim_triage(claim_id=claim_id)
            result = outcome(all_ids)
            raise _Rollback
    except _Rollback:
        pass
    assert all(c.status == S.RECEIVED for c in Claim.objects.filter(pk__in=received_ids))
    return result


def a_desk_of_claims() -> tuple[list[int], list[int]]:
    """Claims already in (queued, published, in review) and received ones that repeat
    them, each other (several times), another claimant's words, or nothing."""
    putin = ClaimantFactory(slug="putin", name="Vladimir Putin", reach=10**6)
    belarus = lukashenko(reach=10**4)
    already = [
        existing(S.PUBLISHED, SHOIGU_DEMO),
        existing(S.QUEUED, GALLUP, claimant=putin),
        existing(S.PUBLISHED, "Putin: Russia's economy grew by 3.6% in 2023", claimant=putin),
        existing(S.IN_REVIEW, "Putin: inflation reached 7.4% in 2023, the lowest in years"),
    ]
    shoigu = already[0].claimant
    texts = [
        (shoigu, SHOIGU_TROOPS),
        (shoigu, SHOIGU_REWORDED),  # an earlier member of the batch
        (shoigu, "Shoigu: more than 90 000 Ukrainian troops lost"),  # the same, a third time
        (shoigu, SHOIGU_OTHER_FIGURE),  # another figure: queued
        (shoigu, SHOIGU_DEMO_RESTATED),  # the published fact-check: linked
        (putin, SHOIGU_TROOPS),  # someone else's words: queued
        (putin, GALLUP.replace("41%", "41 percent")),  # the queued claim: merged
        (putin, "Russia's economy grew 3.6 percent in 2023, Putin says"),  # linked
        (belarus, LUKASHENKO),
        (belarus, "Ukraine will still be ours; nobody needs this Ukraine, Lukashenko says"),
        (belarus, "Lukashenko: Belarus grew by 4% in 2023"),
        (shoigu, "Putin: inflation reached 7.4 percent in 2023, the lowest in years"),
    ]
    claimants = {c.pk: c for c in (putin, belarus, shoigu)}
    texts += [(claimants[pk], text) for pk, text in claim_texts(40, list(claimants), seed=3)]
    new = [received(text, claimant=claimant) for claimant, text in texts]
    new_ids = [claim.pk for claim in new]
    return new_ids, new_ids + [claim.pk for claim in already]


@pytest.mark.django_db
def test_a_batch_decides_what_triage_one_by_one_decides():
    received_ids, all_ids = a_desk_of_claims()
    expected = one_by_one_then_undone(received_ids, all_ids)

    assert services.claims_triage_batch(first_id=received_ids[0], limit=100) == len(received_ids)

    assert outcome(all_ids) == expected
    # The desk has every kind of decision, so the comparison is not a trivial one.
    statuses = [row[0] for pk, row in expected.items() if pk in received_ids]
    merged_into = {row[1] for row in expected.values() if row[1]}
    assert statuses.count(S.QUEUED) >= 10
    assert statuses.count(S.DUPLICATE) >= 5
    assert merged_into & set(received_ids)  # into an earlier member of the batch
    assert merged_into - set(received_ids)  # into claims already in
    assert any(row[-1][-1] == "link" for row in expected.values())
    assert any(row[-1].count("merge") >= 2 for row in expected.values())


@pytest.mark.django_db
@pytest.mark.parametrize("limit", [1, 2, 7])
def test_batches_of_any_size_decide_alike(limit):
    received_ids, all_ids = a_desk_of_claims()
    expected = one_by_one_then_undone(received_ids, all_ids)

    for claim_id in received_ids:
        services.claims_triage_batch(first_id=claim_id, limit=limit)

    assert outcome(all_ids) == expected


@pytest.mark.django_db
def test_merging_a_member_redirects_earlier_duplicates_and_rejects_its_open_verdict():
    target = existing(S.QUEUED, SHOIGU_TROOPS)
    claim = received(SHOIGU_REWORDED, claimant=target.claimant)
    earlier = existing(S.DUPLICATE, "Shoigu: 90,000 lost", duplicate_of=claim)
    draft = VerdictFactory(claim=claim, status=VerdictStatus.DRAFT)

    assert services.claims_triage_batch(first_id=claim.pk) == 1

    claim.refresh_from_db()
    earlier.refresh_from_db()
    assert (claim.status, claim.duplicate_of) == (S.DUPLICATE, target)
    assert earlier.duplicate_of == target  # no chain through the merged claim
    assert Verdict.objects.get(pk=draft.pk).status == VerdictStatus.REJECTED
    assert history(earlier)[-1] == (None, "merge")


@pytest.mark.django_db
def test_a_closed_near_duplicate_is_passed_over_for_the_next_best():
    best = existing(S.REJECTED, SHOIGU_REWORDED)
    next_best = existing(
        S.QUEUED, "Shoigu says Ukraine lost more than 90,000 soldiers", claimant=best.claimant
    )
    claim = received(SHOIGU_TROOPS, claimant=best.claimant)

    assert services.claims_triage_batch(first_id=claim.pk) == 1

    claim.refresh_from_db()
    assert claim.duplicate_of == next_best


@on_postgresql
@pytest.mark.django_db
def test_a_batch_costs_the_same_statements_whatever_its_size():
    received_ids, _ = a_desk_of_claims()

    def statements(ids: list[int]) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert services.claims_triage_batch(first_id=ids[0], limit=len(ids)) == len(ids)
        return len(queries)

    small, large = statements(received_ids[:10]), statements(received_ids[10:50])
    # exists, savepoint, first, others, search, targets, verdicts, earlier duplicates,
    # UPDATE, audit INSERT, release.
    assert small == large <= 11


@on_postgresql
@pytest.mark.django_db
def test_the_batch_search_is_served_by_the_search_indexes():
    """As test_the_candidate_query_is_served_by_the_search_index, for the statement a
    batch sends: each probe's branch can use the trigram or the full-text index."""
    figures_claim = received(SHOIGU_REWORDED)
    words_claim = received(LUKASHENKO, claimant=lukashenko())
    only_the_search_indexes()
    probes = [
        Probe(c.pk, c.claimant_id, normalise_text(c.text)) for c in (figures_claim, words_claim)
    ]
    with CaptureQueriesContext(connection) as queries:
        find_near_duplicates_many(probes, exclude={figures_claim.pk, words_claim.pk})
    (statement,) = [q["sql"] for q in queries]

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + statement)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Bitmap Index Scan on claim_normalized_trgm_idx" in plan, plan
    assert "Bitmap Index Scan on claim_normalized_fts_idx" in plan, plan


@pytest.mark.django_db
@pytest.mark.parametrize("excluding", [True, False], ids=["the-batch", "nothing"])
def test_the_batch_search_finds_what_the_single_search_finds(excluding):
    received_ids, _ = a_desk_of_claims()
    # Older received claims outside the probes are found not normalised yet.
    claims = list(Claim.objects.filter(pk__in=received_ids[5:25]).order_by("pk"))
    probes = [Probe(c.pk, c.claimant_id, normalise_text(c.text)) for c in claims]
    batch = {c.pk for c in claims} if excluding else set()

    found = find_near_duplicates_many(probes, exclude=batch)

    for probe in probes:
        single = find_near_duplicates(
            claim_id=probe.claim_id,
            claimant_id=probe.claimant_id,
            normalised=probe.normalised,
            exclude=batch,
        )
        assert found[probe.claim_id] == single
    assert any(found.values())


@pytest.mark.django_db
def test_a_rolled_back_batch_leaves_its_claims_to_triage_again():
    claim = received(SHOIGU_TROOPS)
    try:
        with transaction.atomic():
            assert services.claims_triage_batch(first_id=claim.pk) == 1
            raise _Rollback
    except _Rollback:
        pass

    assert services.claims_triage_batch(first_id=claim.pk) == 1


def test_nothing_a_worker_did_outlives_a_database_restore(transactional_db):
    """The database is the only memory: a claim a committed batch triaged, received
    again after a restore to an earlier point, is triaged by its next message in the
    same process."""
    first = received(SHOIGU_TROOPS)
    second = received(SHOIGU_OTHER_FIGURE)
    assert services.claims_triage_batch(first_id=first.pk) == 2  # committed
    Claim.objects.filter(pk=second.pk).update(  # what a restore brings back
        status=S.RECEIVED, normalized_text="", priority=0, due_at=None
    )

    assert services.claims_triage_batch(first_id=second.pk) == 1
    assert Claim.objects.get(pk=second.pk).status == S.QUEUED


@pytest.mark.django_db
def test_the_bulk_claim_update_writes_what_save_would_write():
    """Triage's one UPDATE is raw SQL on PostgreSQL and bulk_update on SQLite: both write
    the given fields of every claim, values and NULLs alike, and nothing else."""
    survivor = existing(S.QUEUED, SHOIGU_TROOPS)
    claims = [received(SHOIGU_REWORDED), received(LUKASHENKO, claimant=lukashenko())]
    bystander = received(GALLUP)
    now = timezone.now()
    merged, queued = claims
    merged.status, merged.duplicate_of, merged.version = S.DUPLICATE, survivor, 7
    merged.due_at, merged.requests_count, merged.updated_at = None, 3, now
    queued.status, queued.normalized_text, queued.language = S.QUEUED, "ü “x” 90000", "uk"
    queued.priority, queued.due_at, queued.status_changed_at = 55, now, now
    merged.text = queued.text = "not written"  # not among the fields

    services._claims_bulk_update(claims=claims, fields=services._TRIAGE_FIELDS)

    merged_row, queued_row, bystander_row = (
        Claim.objects.get(pk=c.pk) for c in (merged, queued, bystander)
    )
    assert (merged_row.status, merged_row.duplicate_of_id) == (S.DUPLICATE, survivor.pk)
    assert (merged_row.version, merged_row.requests_count) == (7, 3)
    assert (merged_row.due_at, merged_row.updated_at) == (None, now)
    assert (queued_row.status, queued_row.normalized_text) == (S.QUEUED, "ü “x” 90000")
    assert (queued_row.language, queued_row.priority) == ("uk", 55)
    assert queued_row.due_at == queued_row.status_changed_at == now
    assert queued_row.duplicate_of_id is None
    assert (merged_row.text, queued_row.text) == (SHOIGU_REWORDED, LUKASHENKO)
    assert bystander_row.status == S.RECEIVED


@on_postgresql
@pytest.mark.django_db
def test_the_oldest_received_claims_are_read_from_the_partial_index():
    """A batch's other members come from claim_received_idx in id order, not from every
    received claim sorted: with thousands waiting, that was 7-14 ms per batch."""
    claimant = received(SHOIGU_TROOPS).claimant
    triaged = [ClaimFactory.build(claimant=claimant, status=S.QUEUED) for _ in range(3000)]
    waiting = [ClaimFactory.build(claimant=claimant, status=S.RECEIVED) for _ in range(1500)]
    Claim.objects.bulk_create(triaged + waiting)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE claims_claim")

    plan = triage_batch.oldest_received(waiting[0].pk, 49).explain()

    assert "claim_received_idx" in plan, plan
    assert "Sort" not in plan, plan
