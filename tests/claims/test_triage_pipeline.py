"""The triage pipeline: normalising, language, priority, due time, near-duplicates.

The similarity cases run on whichever database the suite runs on (SQLite by default,
PostgreSQL in CI) with the same expectations, so both backends must decide alike; the
PostgreSQL-only tests check the extension, the index and that the Python similarity is
pg_trgm's.
"""

import datetime
import threading
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from claims import services
from claims.models import Claim, ClaimStatus
from claims.triage import similarity
from claims.triage.batch import LINK, MERGE, QUEUE, Decision, decide
from claims.triage.language import detect_language, language_for
from claims.triage.normalise import figures, normalise_text
from claims.triage.priority import (
    compute_priority,
    due_at_for,
    priority_band,
    reach_points,
    recency_points,
    reprioritise,
    request_points,
)
from claims.triage.similarity import (
    DUPLICATE_THRESHOLD,
    figures_compatible,
    find_near_duplicates,
    trigram_similarity,
)
from claims.workflow import WorkflowError
from tests.claims.test_workflow import db_state
from tests.conftest import wait_for
from tests.factories import ClaimantFactory, ClaimFactory

S = ClaimStatus
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's own search (DATABASE_URL)"
)

SHOIGU_TROOPS = "Shoigu: Ukraine lost more than 90,000 troops"
SHOIGU_REWORDED = "Ukraine's losses exceed 90 000 soldiers, Shoigu says"
SHOIGU_OTHER_FIGURE = "Shoigu: Ukraine lost more than 66,000 troops"
SHOIGU_DEMO = (
    'Since its counteroffensive began on 4 June, Ukraine has lost "more than 90,000 '
    'servicemen killed and wounded", about 600 tanks and almost 1,900 armoured vehicles.'
)
SHOIGU_DEMO_RESTATED = (
    "Russia's defence minister says Ukraine's troop casualties since the start of its "
    "counteroffensive exceed 90,000."
)
GALLUP = (
    "A Gallup poll released this week shows 41% of Americans saying the U.S. is doing "
    "too much to help Kyiv, against 24% three months earlier."
)
LUKASHENKO = '"Ukraine will still be ours. Nobody needs this Ukraine."'


def lukashenko(**extra):
    return ClaimantFactory(
        slug="alexander-lukashenko", name="Alexander Lukashenko", wikidata_id="Q45465", **extra
    )


def existing(status: S, text: str, *, normalised: bool = True, **extra) -> Claim:
    """A claim already in, in `status`, with its text normalised as triage leaves it."""
    if status == S.DUPLICATE:
        extra.setdefault("duplicate_of", ClaimFactory(text="An unrelated claim."))
    return ClaimFactory(
        status=status,
        text=text,
        normalized_text=normalise_text(text) if normalised else "",
        **extra,
    )


def received(text: str, **extra) -> Claim:
    return ClaimFactory(status=S.RECEIVED, text=text, **extra)


def history(claim: Claim) -> list[tuple[str | None, str]]:
    rows = claim.history.order_by("history_date", "history_id")
    return [
        (row.history_user.username if row.history_user else None, row.history_change_reason)
        for row in rows
    ]


def only_the_search_indexes() -> None:
    """For this transaction: the claims table without its other indexes, and only bitmap
    scans allowed, so a plan shows whether a query can use the search indexes."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'claims_claim' AND indexname "
            "NOT IN ('claims_claim_pkey', 'claim_normalized_trgm_idx', 'claim_normalized_fts_idx')"
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")  # no walking the primary key


# --- Normalising --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("Ukraine lost 90 000 troops", "ukraine lost 90000 troops"),
        ("Ukraine lost 90,000 troops", "ukraine lost 90000 troops"),
        ("Ukraine lost 90000 troops", "ukraine lost 90000 troops"),
        ("Ukraine lost 90\u00a0000 troops", "ukraine lost 90000 troops"),
        ("Russia fired 10 million rounds", "russia fired 10000000 rounds"),
        ("it spent $43.9 billion", "it spent 43900000000"),
        ("$43.9 billion", "43900000000"),
        ("41 percent", "41%"),
        ("41%", "41%"),
        ("41 per cent", "41%"),
        ("41 %", "41%"),
        ("US$5 bn left", "5000000000 left"),
        ("1,234,567 and 1,234.5", "1234567 and 1234.5"),
        ("600, 700 and 800", "600, 700 and 800"),
        ("Україна втратила 90 тис. військових", "україна втратила 90000 військових"),
        ("1,5 млрд гривень", "1500000000 гривень"),
        ("41 відсоток", "41%"),
        ("  Many\n\tspaces   here ", "many spaces here"),
        ("\u201cQuoted\u201d \u2014 and \u2018single\u2019", "\"quoted\" - and 'single'"),
        ("Ukraine\u2019s \u00abwar\u00bb \u2013 now", 'ukraine\'s "war" - now'),
        ("Die Ukraine hat 90.000 Soldaten verloren", "die ukraine hat 90.000 soldaten verloren"),
    ],
)
def test_normalise_text(text, normalised):
    assert normalise_text(text) == normalised


def test_figures_are_the_numbers_of_the_normalised_text():
    text = normalise_text(SHOIGU_DEMO)
    assert figures(text) == {"4", "90000", "600", "1900"}
    # Every run of digits, as the database's LIKE and "no digit" filters see them.
    assert figures(normalise_text("F-16 jets in 2023, the G7 and the 3rd army")) == {
        "16",
        "2023",
        "7",
        "3",
    }


@pytest.mark.parametrize(
    ("first", "second", "compatible"),
    [
        (set(), set(), True),
        ({"90000"}, {"90000"}, True),
        ({"90000"}, {"4", "90000", "600"}, True),
        ({"66000"}, {"90000"}, False),
        ({"10000000", "2022"}, {"2000000", "2022"}, False),
        ({"90000"}, set(), False),
    ],
)
def test_figures_compatible(first, second, compatible):
    assert figures_compatible(frozenset(first), frozenset(second)) is compatible
    assert figures_compatible(frozenset(second), frozenset(first)) is compatible


# --- Language -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language"),
    [
        (SHOIGU_TROOPS, "en"),
        ("Україна втратила понад 90 тисяч військових", "uk"),
        ("Украина потеряла более 90 тысяч солдат", "ru"),
        ("Беларусь не будзе ўдзельнічаць у вайне", "be"),
        ("Ukraina straciła ponad 90 tysięcy żołnierzy", "pl"),
        ("Die Ukraine hat mehr als 90.000 Soldaten verloren", "de"),
        ("L'Ukraine a perdu plus de 90 000 soldats selon Moscou", "fr"),
        ("Ucrania ha perdido más de 90.000 soldados, según Moscú", "es"),
        ("OK", None),
        ("90,000!", None),
        ("", None),
    ],
)
def test_detect_language_answers_a_bcp47_tag_or_none(text, language):
    assert detect_language(text) == language


def test_detector_is_built_once_per_process():
    from claims.triage.language import _detector

    assert _detector() is _detector()


@pytest.mark.parametrize(
    ("declared", "detected", "kept"),
    [
        ("en", "uk", "uk"),  # the default: the submitter did not say
        ("en", None, "en"),  # not confident: nothing to go on
        ("ru", "uk", "ru"),  # the submitter said: their word stands
        ("pt-BR", "es", "pt-BR"),
    ],
)
def test_language_for_overrides_only_the_default(declared, detected, kept):
    assert language_for(declared, detected, "en") == kept


# --- Priority and due time ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("requests", "points"),
    [(0, 0), (1, 0), (2, 10), (3, 10), (4, 20), (7, 20), (8, 30), (1000, 30)],
)
def test_request_points_per_doubling(requests, points):
    assert request_points(requests) == points


@pytest.mark.parametrize(
    ("reach", "points"),
    [(0, 0), (9, 0), (10, 5), (999, 10), (1000, 15), (100_000, 25), (10**6, 30), (10**9, 30)],
)
def test_reach_points_per_tenfold(reach, points):
    assert reach_points(reach) == points


@pytest.mark.parametrize(
    ("age_days", "points"),
    [(-3, 15), (0, 15), (1, 15), (2, 14), (10, 10), (29, 1), (30, 0), (400, 0)],
)
def test_recency_points_lose_one_every_two_days(age_days, points):
    today = datetime.date(2023, 11, 14)
    assert recency_points(today - datetime.timedelta(days=age_days), today) == points
    assert recency_points(None, today) == 7


# The worked examples of docs/queue.md, "Priority formula".
@pytest.mark.parametrize(
    ("text", "requests", "reach", "claim_date", "today", "priority", "band"),
    [
        pytest.param(
            SHOIGU_DEMO, 1, 5_000_000, "2023-10-30", "2023-10-31", 60, "high", id="shoigu"
        ),
        pytest.param(GALLUP, 5, 0, "2023-11-04", "2023-11-14", 45, "normal", id="gallup"),
        pytest.param(LUKASHENKO, 1, 50_000, None, "2023-11-14", 27, "low", id="lukashenko"),
        pytest.param(
            "According to the defence ministry, Russia fired 10 million shells in 2022 and "
            "2 million in 2023.",
            12,
            2_000_000,
            "2023-11-14",
            "2023-11-14",
            100,
            "high",
            id="every-factor-capped",
        ),
    ],
)
def test_priority_worked_examples(text, requests, reach, claim_date, today, priority, band):
    computed = compute_priority(
        normalised=normalise_text(text),
        requests_count=requests,
        reach=reach,
        claim_date=datetime.date.fromisoformat(claim_date) if claim_date else None,
        today=datetime.date.fromisoformat(today),
    )
    assert computed == priority
    assert priority_band(computed) == band


def test_more_requests_raise_the_priority_by_the_request_points_only():
    assert reprioritise(27, 1, 2) == 37
    assert reprioritise(27, 2, 3) == 27  # still one doubling
    assert reprioritise(95, 1, 16) == 100  # never above 100


@pytest.mark.parametrize(
    ("priority", "hours"), [(0, 120), (29, 120), (30, 48), (59, 48), (60, 12), (100, 12)]
)
def test_due_at_comes_from_the_highest_band_the_priority_reaches(settings, priority, hours):
    settings.FACTCHECK_DUE_HOURS = {"high": 12, "normal": 48, "low": 120}
    settings.FACTCHECK_PRIORITY_BANDS = {"high": 60, "normal": 30, "low": 0}
    now = timezone.now()
    assert due_at_for(priority, now) == now + datetime.timedelta(hours=hours)


def test_due_at_follows_the_settings(settings):
    settings.FACTCHECK_DUE_HOURS = {"urgent": 2, "later": 200}
    settings.FACTCHECK_PRIORITY_BANDS = {"urgent": 90, "later": 0}
    now = timezone.now()
    assert due_at_for(95, now) == now + datetime.timedelta(hours=2)
    assert due_at_for(89, now) == now + datetime.timedelta(hours=200)


# --- The decision -------------------------------------------------------------------------


def match(claim_id: int, status: S, score: float) -> similarity.Match:
    return similarity.Match(claim_id, status, score, False, score)


def test_decide_queues_a_claim_without_near_duplicates():
    assert decide([]) == Decision(QUEUE)


def test_decide_prefers_a_published_fact_check_over_a_closer_open_claim():
    assert decide([match(1, S.QUEUED, 0.9), match(2, S.PUBLISHED, 0.6)]) == Decision(LINK, 2)


def test_decide_merges_into_the_closest_open_claim_and_ties_go_to_the_older():
    assert decide([match(3, S.QUEUED, 0.6), match(4, S.IN_REVIEW, 0.8)]) == Decision(MERGE, 4)
    assert decide([match(5, S.QUEUED, 0.7), match(4, S.RECEIVED, 0.7)]) == Decision(MERGE, 4)


# --- Similarity, on the suite's database ----------------------------------------------------

# (id, text already in, its claimant, new text, new claimant, near-duplicate?)
SIMILARITY_CASES = [
    ("reworded-same-claimant", SHOIGU_TROOPS, "shoigu", SHOIGU_REWORDED, "shoigu", True),
    ("other-figure", SHOIGU_OTHER_FIGURE, "shoigu", SHOIGU_TROOPS, "shoigu", False),
    ("other-claimant", SHOIGU_TROOPS, "shoigu", SHOIGU_REWORDED, "lukashenko", False),
    (
        "figures-are-a-subset",
        SHOIGU_DEMO,
        "shoigu",
        "Since the counteroffensive began on 4 June, Ukraine has lost more than 90,000 "
        "servicemen, Shoigu says",
        "shoigu",
        True,
    ),
    (
        "same-year-other-amount",
        "Russia fired 10 million shells in 2022",
        "shoigu",
        "Russia fired 2 million shells in 2022",
        "shoigu",
        False,
    ),
    (
        "figure-against-none",
        "Ukraine lost more than 90,000 troops",
        "shoigu",
        "Ukraine lost more troops than Russia",
        "shoigu",
        False,
    ),
    (
        "same-quote-without-figures",
        LUKASHENKO,
        "lukashenko",
        "Ukraine will still be ours, nobody needs this Ukraine",
        "lukashenko",
        True,
    ),
    (
        "other-quote-without-figures",
        LUKASHENKO,
        "lukashenko",
        '"Now, none of the EU, U.S. leaders, our partners are putting pressure on us"',
        "lukashenko",
        False,
    ),
    (
        "cyrillic-reworded",
        "Шойгу: Україна втратила понад 90 тисяч військових",
        "shoigu",
        "Україна втратила понад 90 000 військових, каже Шойгу",
        "shoigu",
        True,
    ),
    # A loose paraphrase stays below the threshold: the demo's editor merges it by hand.
    ("loose-paraphrase", SHOIGU_DEMO, "shoigu", SHOIGU_DEMO_RESTATED, "shoigu", False),
]
CLAIMANTS = {"shoigu": ClaimantFactory, "lukashenko": lukashenko}


@pytest.mark.django_db
@pytest.mark.parametrize("normalised", [True, False], ids=["normalised", "not-normalised-yet"])
@pytest.mark.parametrize(
    ("old_text", "old_claimant", "new_text", "new_claimant", "duplicate"),
    [pytest.param(*case[1:], id=case[0]) for case in SIMILARITY_CASES],
)
def test_near_duplicates_on_this_database(
    old_text, old_claimant, new_text, new_claimant, duplicate, normalised
):
    old = existing(S.QUEUED, old_text, claimant=CLAIMANTS[old_claimant](), normalised=normalised)
    new = received(new_text, claimant=CLAIMANTS[new_claimant]())

    found = find_near_duplicates(
        claim_id=new.pk, claimant_id=new.claimant_id, normalised=normalise_text(new_text)
    )

    assert [m.claim_id for m in found] == ([old.pk] if duplicate else [])
    for m in found:
        assert m.score >= DUPLICATE_THRESHOLD


@pytest.mark.django_db
def test_the_reworded_shoigu_claim_scores_the_same_on_both_backends():
    old = existing(S.PUBLISHED, SHOIGU_TROOPS)
    new = received(SHOIGU_REWORDED)

    (found,) = find_near_duplicates(
        claim_id=new.pk, claimant_id=new.claimant_id, normalised=normalise_text(SHOIGU_REWORDED)
    )

    assert (found.claim_id, found.status) == (old.pk, S.PUBLISHED)
    assert (found.similarity, found.shares_figures, found.score) == (0.3538, True, 0.5538)


@pytest.mark.django_db
@pytest.mark.parametrize("status", [S.REJECTED, S.WITHDRAWN, S.DUPLICATE])
def test_closed_claims_are_never_near_duplicates(status):
    existing(status, SHOIGU_TROOPS)
    new = received(SHOIGU_TROOPS)

    assert (
        find_near_duplicates(
            claim_id=new.pk, claimant_id=new.claimant_id, normalised=normalise_text(SHOIGU_TROOPS)
        )
        == []
    )


@pytest.mark.django_db
@pytest.mark.parametrize("normalised", [True, False])
def test_only_an_older_received_claim_is_a_candidate(normalised):
    first = existing(S.RECEIVED, SHOIGU_TROOPS, normalised=normalised)
    second = existing(S.RECEIVED, SHOIGU_REWORDED, normalised=normalised)

    def near(claim: Claim) -> list[int]:
        found = find_near_duplicates(
            claim_id=claim.pk, claimant_id=claim.claimant_id, normalised=normalise_text(claim.text)
        )
        return [m.claim_id for m in found]

    assert near(second) == [first.pk]
    assert near(first) == []


@pytest.mark.django_db
def test_candidates_are_bounded_whatever_the_table_holds(django_assert_max_num_queries):
    for n in range(similarity.CANDIDATE_LIMIT + 10):
        existing(S.QUEUED, f"Shoigu: Ukraine lost more than 90,000 troops and {n} jets")
    target = existing(S.QUEUED, SHOIGU_TROOPS)  # the newest, so inside every bound
    new = received(SHOIGU_REWORDED)

    with django_assert_max_num_queries(6):
        found = find_near_duplicates(
            claim_id=new.pk, claimant_id=new.claimant_id, normalised=normalise_text(new.text)
        )

    assert found[0].claim_id == target.pk


# --- claim_triage ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_claim_without_near_duplicates_is_queued_with_priority_due_time_and_language():
    claimant = ClaimantFactory()
    claimant.reach = 5_000_000
    claimant.save()
    text = "Україна втратила понад 90 тисяч військових"
    claim = received(text, claimant=claimant, claim_date=timezone.localdate())
    before = timezone.now()

    assert services.claim_triage(claim_id=claim.pk) is True

    claim.refresh_from_db()
    assert claim.status == S.QUEUED
    assert claim.text == text  # never changed
    assert claim.normalized_text == "україна втратила понад 90000 військових"
    assert claim.language == "uk"
    # Reach 30, one figure 5, made today 15.
    assert claim.priority == 50
    assert before + datetime.timedelta(hours=48) <= claim.due_at
    assert claim.due_at <= timezone.now() + datetime.timedelta(hours=48)
    assert history(claim)[-1] == (None, "triage")


@pytest.mark.django_db
def test_a_declared_language_is_kept():
    claim = received(SHOIGU_TROOPS, language="ru")

    services.claim_triage(claim_id=claim.pk)

    claim.refresh_from_db()
    assert (claim.status, claim.language) == (S.QUEUED, "ru")


@pytest.mark.django_db
def test_a_near_duplicate_of_a_published_claim_is_linked_to_it():
    published = existing(S.PUBLISHED, SHOIGU_TROOPS)
    claim = received(SHOIGU_REWORDED)
    claim.requests_count = 2
    claim.save()

    assert services.claim_triage(claim_id=claim.pk) is True

    claim.refresh_from_db()
    published.refresh_from_db()
    assert (claim.status, claim.duplicate_of) == (S.DUPLICATE, published)
    assert claim.due_at is None
    assert published.status == S.PUBLISHED
    assert published.requests_count == 3
    assert history(claim)[-1] == (None, "merge")
    assert history(published)[-1] == (None, "link")


@pytest.mark.django_db
@pytest.mark.parametrize("status", [S.QUEUED, S.IN_REVIEW, S.IN_APPROVAL])
def test_a_near_duplicate_of_an_open_claim_is_merged_into_it(status):
    now = timezone.now()
    survivor = existing(
        status, SHOIGU_TROOPS, priority=25, due_at=now + datetime.timedelta(hours=100)
    )
    claim = received(SHOIGU_REWORDED)

    assert services.claim_triage(claim_id=claim.pk) is True

    claim.refresh_from_db()
    survivor.refresh_from_db()
    assert (claim.status, claim.duplicate_of) == (S.DUPLICATE, survivor)
    assert survivor.status == status
    assert survivor.requests_count == 2
    assert survivor.priority == 35  # one doubling of requests: +10, band normal
    assert survivor.due_at <= timezone.now() + datetime.timedelta(hours=48)  # moved earlier
    assert history(claim)[-1] == (None, "merge")
    assert history(survivor)[-1] == (None, "merge")


@pytest.mark.django_db
def test_a_merge_never_moves_the_due_time_later():
    soon = timezone.now() + datetime.timedelta(hours=1)
    survivor = existing(S.QUEUED, SHOIGU_TROOPS, priority=10, due_at=soon)

    services.claim_triage(claim_id=received(SHOIGU_REWORDED).pk)

    survivor.refresh_from_db()
    assert survivor.due_at == soon


@pytest.mark.django_db
def test_a_published_fact_check_wins_over_an_open_claim():
    existing(S.QUEUED, SHOIGU_TROOPS)
    published = existing(S.PUBLISHED, "Shoigu: Ukraine lost more than 90,000 soldiers")
    claim = received(SHOIGU_REWORDED)

    services.claim_triage(claim_id=claim.pk)

    claim.refresh_from_db()
    assert claim.duplicate_of == published


@pytest.mark.django_db
def test_a_claim_merged_into_an_older_received_claim_counts_when_that_one_is_triaged():
    first = received(SHOIGU_TROOPS)
    second = received(SHOIGU_REWORDED)

    assert services.claim_triage(claim_id=second.pk) is True
    assert services.claim_triage(claim_id=first.pk) is True

    first.refresh_from_db()
    second.refresh_from_db()
    assert (second.status, second.duplicate_of) == (S.DUPLICATE, first)
    assert (first.status, first.requests_count) == (S.QUEUED, 2)
    assert history(first)[-2:] == [(None, "merge"), (None, "triage")]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("old_text", "new_text"),
    [(SHOIGU_OTHER_FIGURE, SHOIGU_TROOPS), (SHOIGU_DEMO, SHOIGU_DEMO_RESTATED)],
    ids=["other-figure", "loose-paraphrase"],
)
def test_a_claim_only_like_another_is_queued(old_text, new_text):
    old = existing(S.PUBLISHED, old_text)
    claim = received(new_text)

    services.claim_triage(claim_id=claim.pk)

    claim.refresh_from_db()
    old.refresh_from_db()
    assert (claim.status, claim.duplicate_of) == (S.QUEUED, None)
    assert old.requests_count == 1


@pytest.mark.django_db
def test_the_same_words_from_another_claimant_are_queued():
    existing(S.PUBLISHED, SHOIGU_TROOPS)
    claim = received(SHOIGU_TROOPS, claimant=lukashenko())

    services.claim_triage(claim_id=claim.pk)

    claim.refresh_from_db()
    assert claim.status == S.QUEUED


@pytest.mark.django_db
def test_triage_is_idempotent_after_a_merge():
    existing(S.PUBLISHED, SHOIGU_TROOPS)
    claim = received(SHOIGU_REWORDED)
    assert services.claim_triage(claim_id=claim.pk) is True
    before = db_state()

    assert services.claim_triage(claim_id=claim.pk) is False

    assert db_state() == before


@pytest.mark.django_db
def test_an_editor_cannot_triage_and_nothing_is_merged(editor):
    published = existing(S.PUBLISHED, SHOIGU_TROOPS)
    claim = received(SHOIGU_REWORDED)
    before = db_state()

    with pytest.raises(WorkflowError) as refused:
        services.claim_triage(claim_id=claim.pk, actor=editor)

    assert refused.value.code == "forbidden"
    assert db_state() == before
    published.refresh_from_db()
    assert published.requests_count == 1


@pytest.mark.django_db
def test_an_admin_triaging_is_recorded_as_the_actor(admin_user):
    published = existing(S.PUBLISHED, SHOIGU_TROOPS)
    claim = received(SHOIGU_REWORDED)

    services.claim_triage(claim_id=claim.pk, actor=admin_user)

    assert history(claim)[-1] == ("root", "merge")
    assert history(published)[-1] == ("root", "link")


@pytest.mark.django_db
def test_earlier_duplicates_of_a_merged_claim_follow_it(editor):
    published = existing(S.PUBLISHED, SHOIGU_TROOPS)
    claim = received(SHOIGU_REWORDED)
    earlier = existing(S.QUEUED, "Shoigu says Kyiv lost over 90,000 men.")
    services.claim_merge(actor=editor, claim=earlier, into=claim)

    services.claim_triage(claim_id=claim.pk)

    earlier.refresh_from_db()
    assert earlier.duplicate_of == published  # no chain through the merged claim


# --- The migration ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_migration_normalises_claims_saved_before_triage_wrote_normalised_text():
    from importlib import import_module

    migration = import_module("claims.migrations.0004_trigram_search")
    old = existing(S.PUBLISHED, SHOIGU_TROOPS, normalised=False)
    done = existing(S.QUEUED, SHOIGU_REWORDED)

    migration.normalise_existing_claims(django_apps, SimpleNamespace(connection=connection))

    old.refresh_from_db()
    done.refresh_from_db()
    assert old.normalized_text == "shoigu: ukraine lost more than 90000 troops"
    assert done.normalized_text == normalise_text(SHOIGU_REWORDED)


# --- PostgreSQL -------------------------------------------------------------------------------


@on_postgresql
@pytest.mark.django_db
def test_pg_trgm_and_the_search_indexes_exist():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        assert cursor.fetchone() == (1,)
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN "
            "('claim_normalized_trgm_idx', 'claim_normalized_fts_idx')"
        )
        definitions = dict(cursor.fetchall())
    assert "gin (normalized_text gin_trgm_ops)" in definitions["claim_normalized_trgm_idx"]
    assert "to_tsvector('simple'" in definitions["claim_normalized_fts_idx"]


@on_postgresql
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("first", "second"),
    [pytest.param(case[1], case[3], id=case[0]) for case in SIMILARITY_CASES]
    + [pytest.param("Ї ґ є і ў: ÄÖÜ ß é ñ", "ї Ґ Є І Ў: äöü ss e n", id="letters")],
)
def test_python_similarity_is_pg_trgms(first, second):
    a, b = normalise_text(first), normalise_text(second)
    with connection.cursor() as cursor:
        cursor.execute("SELECT similarity(%s, %s)", [a, b])
        (pg,) = cursor.fetchone()
    assert trigram_similarity(a, b) == pytest.approx(pg, abs=1e-6)


@on_postgresql
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "index"),
    [(SHOIGU_REWORDED, "claim_normalized_trgm_idx"), (LUKASHENKO, "claim_normalized_fts_idx")],
    ids=["figures-by-trigrams", "words-by-full-text"],
)
def test_the_candidate_query_is_served_by_the_search_index(text, index):
    """The query's shape matches the indexes (the full-text one is an expression index).
    With the table's other indexes gone (for this transaction only) and only bitmap
    scans allowed, the planner must use them; on real tables it picks them over the claimant's
    foreign-key index when a claimant has many claims."""
    new = received(text)
    only_the_search_indexes()
    with CaptureQueriesContext(connection) as queries:
        find_near_duplicates(
            claim_id=new.pk, claimant_id=new.claimant_id, normalised=normalise_text(text)
        )
    (candidates,) = [q["sql"] for q in queries if "SIMILARITY(" in q["sql"]]

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + candidates)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert f"Bitmap Index Scan on {index}" in plan, plan


@on_postgresql
def test_concurrent_triage_of_two_near_duplicates_merges_the_newer_into_the_older(transactional_db):
    first = received(SHOIGU_TROOPS)
    second = received(SHOIGU_REWORDED)
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def triage(claim_id: int) -> None:
        try:
            start.wait()
            services.claim_triage(claim_id=claim_id)
        except BaseException as exc:  # noqa: BLE001 - reported to the test below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=triage, args=(c.pk,)) for c in (second, first)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.requests_count) == (S.QUEUED, 2)
    assert (second.status, second.duplicate_of) == (S.DUPLICATE, first)


# --- A real worker ----------------------------------------------------------------------------


@pytest.mark.worker
def test_a_worker_links_a_resubmitted_claim_to_the_published_fact_check(celery_workers):
    published = existing(S.PUBLISHED, SHOIGU_TROOPS)
    claim = services.claim_create(
        actor=None,
        text=SHOIGU_REWORDED,
        claim_reviewed="Shoigu: Ukraine's losses exceed 90,000 soldiers",
        claimant=published.claimant,
    )
    celery_workers.start(queues="intake")

    wait_for(lambda: Claim.objects.get(pk=claim.pk).status == S.DUPLICATE, timeout=60)
    claim.refresh_from_db()
    published.refresh_from_db()
    assert claim.duplicate_of == published
    assert published.requests_count == 2
    assert history(published)[-1] == (None, "link")


# --- Batches (claims_triage_batch, what the task runs) ------------------------------------


@pytest.mark.django_db
def test_a_batch_triages_its_claim_and_the_oldest_received_ones_with_one_audit_row_each():
    other = lukashenko()
    older = received(SHOIGU_DEMO, claimant=other)
    claim = received(SHOIGU_TROOPS)
    newer = received(SHOIGU_OTHER_FIGURE)
    left_out = received("Lukashenko: Belarus grew by 4% in 2023", claimant=other)

    assert services.claims_triage_batch(first_id=claim.pk, limit=3) == 3

    statuses = dict(Claim.objects.values_list("pk", "status"))
    assert statuses[older.pk] == statuses[claim.pk] == statuses[newer.pk] == S.QUEUED
    assert statuses[left_out.pk] == S.RECEIVED
    for member in (older, claim, newer):
        assert history(member)[1:] == [(None, "triage")]  # after the factory's row
        member.refresh_from_db()
        assert member.version == 2
        assert member.history.latest().version == 2
        assert member.history.latest().status == S.QUEUED


@pytest.mark.django_db
def test_a_later_member_of_a_batch_is_merged_into_an_earlier_one():
    first = received(SHOIGU_TROOPS)
    second = received(SHOIGU_REWORDED)

    assert services.claims_triage_batch(first_id=second.pk) == 2

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.requests_count) == (S.QUEUED, 2)
    assert (second.status, second.duplicate_of) == (S.DUPLICATE, first)
    assert history(first)[1:] == [(None, "triage"), (None, "merge")]
    assert history(second)[1:] == [(None, "merge")]


@pytest.mark.django_db
def test_a_message_for_a_claim_an_earlier_batch_triaged_is_a_cheap_no_op(
    django_assert_max_num_queries,
):
    first = received(SHOIGU_TROOPS)
    second = received(SHOIGU_OTHER_FIGURE)
    assert services.claims_triage_batch(first_id=first.pk) == 2
    before = db_state()

    # One plain SELECT each: no transaction, no lock.
    with django_assert_max_num_queries(1):
        assert services.claims_triage_batch(first_id=second.pk) == 0
    with django_assert_max_num_queries(1):
        assert services.claims_triage_batch(first_id=10**9) == 0

    assert db_state() == before


@pytest.mark.django_db
def test_a_claim_a_batch_cannot_validate_is_refused_as_before():
    claim = received(SHOIGU_TROOPS)
    Claim.objects.filter(pk=claim.pk).update(claim_reviewed="")  # invalid: required

    with pytest.raises(services.WorkflowError):
        services.claims_triage_batch(first_id=claim.pk)

    claim.refresh_from_db()
    assert claim.status == S.RECEIVED
    assert len(history(claim)) == 1  # the factory's row only


@pytest.mark.django_db
@pytest.mark.parametrize("text", [SHOIGU_REWORDED, SHOIGU_OTHER_FIGURE], ids=["merge", "queue"])
def test_an_invalid_member_never_blocks_the_claim_of_the_message(text):
    existing(S.QUEUED, SHOIGU_TROOPS)
    bad = received(text)
    Claim.objects.filter(pk=bad.pk).update(claim_reviewed="")  # invalid: required
    claim = received("Lukashenko: Belarus grew by 4% in 2023", claimant=lukashenko())

    assert services.claims_triage_batch(first_id=claim.pk) == 1

    claim.refresh_from_db()
    bad.refresh_from_db()
    assert claim.status == S.QUEUED
    assert history(claim)[1:] == [(None, "triage")]
    assert bad.status == S.RECEIVED
    assert len(history(bad)) == 1  # the factory's row only


@on_postgresql
def test_a_batch_never_waits_for_a_target_locked_elsewhere(transactional_db):
    """A merge target another transaction holds rolls the batch back; its own claim is
    triaged alone (waiting then), the other members stay received for their messages."""
    target = existing(S.QUEUED, SHOIGU_TROOPS)
    claim = received(SHOIGU_REWORDED)
    bystander = received("Lukashenko: Belarus grew by 4% in 2023", claimant=lukashenko())
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                Claim.objects.select_for_update().get(pk=target.pk)
                locked.set()
                release.wait(30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    assert locked.wait(30)
    threading.Timer(0.5, release.set).start()

    assert services.claims_triage_batch(first_id=claim.pk) == 1
    holder.join(30)

    claim.refresh_from_db()
    target.refresh_from_db()
    bystander.refresh_from_db()
    assert (claim.status, claim.duplicate_of) == (S.DUPLICATE, target)
    assert target.requests_count == 2
    assert bystander.status == S.RECEIVED
    assert len(history(bystander)) == 1  # the factory's row only
