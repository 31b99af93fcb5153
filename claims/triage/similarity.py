"""Near-duplicate search for triage: which open or published claims a new claim repeats.

Two claims are near-duplicates when all of these hold (docs/queue.md, "Similarity"):

- the same claimant (the same words from someone else are another claim);
- compatible figures: neither mentions a number, or they share one and the numbers of
  one are all in the other ("90,000" matches "90 000 ... since 4 June"; "66,000" does
  not match "90,000", nor "10 million in 2022" "2 million in 2022");
- a score of at least DUPLICATE_THRESHOLD: the trigram similarity of the normalised
  texts (pg_trgm's `similarity()`), plus SHARED_FIGURE_BONUS when they share figures.

Both backends score the same candidates: the claimant's open and published claims
(`compared_with`) that pass the candidate filter (`CandidateFilter`: sharing a figure,
`LIKE '%90000%'`; or, for a claim without figures, having none and sharing the beginning
of one of its longest words), the newest CANDIDATE_LIMIT of them. The filter is written
once, as one ORM condition that each database compiles its own way: PostgreSQL finds the
candidates through indexes (the GIN trigram index serves the `LIKE`, a GIN full-text
index the word prefixes, `'ukrain':* | ...`) and computes `similarity()` in SQL
(`TrigramSimilarity`); SQLite narrows them by the claimant's foreign-key index and plain
`LIKE`/`GLOB`, and computes the same similarity in Python. `trigram_similarity` is
pg_trgm's algorithm, so both backends reach the same decisions (the suite runs the same
cases on both).
"""

import operator
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import reduce

from django.db import connection
from django.db.models import (
    BigIntegerField,
    BooleanField,
    F,
    Field,
    Func,
    Q,
    QuerySet,
    TextField,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.sql import Query

from claims.models import Claim, ClaimStatus
from claims.triage.normalise import figures, normalise_text
from claims.workflow import MERGE_TARGET_STATES

# The score a candidate needs to be treated as the same claim. Errs on the side of
# queueing: a missed duplicate costs a reviewer's time, a false one sends a newsroom
# someone else's fact-check.
DUPLICATE_THRESHOLD = 0.5
# Added to the text similarity when both claims give the same figures.
SHARED_FIGURE_BONUS = 0.2
# The lowest text similarity that can still reach the threshold: PostgreSQL returns no
# candidate below it (a hair lower, so float4 rounding never drops a borderline one).
TRIGRAM_RECALL = DUPLICATE_THRESHOLD - SHARED_FIGURE_BONUS - 0.001
# The newest this many claims that pass the filters are scored, on both backends.
CANDIDATE_LIMIT = 100
# A claim without figures is compared with claims sharing the first STEM_LENGTH letters
# of one of its STEM_WORDS longest words (of at least STEM_MIN_WORD letters).
STEM_WORDS = 4
STEM_LENGTH = 6
STEM_MIN_WORD = 4
# Candidates not normalised yet (a claim still waiting for its own triage).
UNNORMALISED_LIMIT = 20
# Similarity is compared at this precision on both backends (PostgreSQL's is a float4).
PRECISION = 4

# What a new claim can be a duplicate of: what a claim can be merged into (open claims,
# and published fact-checks), in the states' own order.
CANDIDATE_STATES = tuple(state for state in ClaimStatus if state in MERGE_TARGET_STATES)


@dataclass(frozen=True)
class Match:
    claim_id: int
    status: str
    similarity: float  # of the normalised texts, 0..1
    shares_figures: bool
    score: float


# --- pg_trgm's similarity, in Python ---------------------------------------------------


def _words(text: str) -> list[str]:
    """Runs of letters and digits: what pg_trgm takes as words."""
    words, current = [], []
    for char in text:
        if char.isalnum():
            current.append(char)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return words


def trigrams(text: str) -> frozenset[str]:
    """pg_trgm's trigrams: each lower-cased word padded with two spaces before and one
    after, cut into every run of three characters."""
    grams: set[str] = set()
    for word in _words(text.lower()):
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return frozenset(grams)


def trigram_similarity(a: str | frozenset[str], b: str | frozenset[str]) -> float:
    """pg_trgm's `similarity(a, b)`: shared trigrams over all trigrams of either. Takes
    texts or their trigrams."""
    first = trigrams(a) if isinstance(a, str) else a
    second = trigrams(b) if isinstance(b, str) else b
    if not first or not second:
        return 0.0
    shared = len(first & second)
    return shared / (len(first) + len(second) - shared)


# --- The rule ---------------------------------------------------------------------------


def figures_compatible(first: frozenset[str], second: frozenset[str]) -> bool:
    if not first and not second:
        return True
    return bool(first & second) and (first <= second or second <= first)


def score_candidate(
    *, claim_id: int, status: str, similarity: float, figures_a: frozenset[str], text_b: str
) -> Match | None:
    """The candidate as a Match if it is a near-duplicate, else None."""
    figures_b = figures(text_b)
    if not figures_compatible(figures_a, figures_b):
        return None
    shares = bool(figures_a)
    similarity = round(similarity, PRECISION)
    score = round(similarity + (SHARED_FIGURE_BONUS if shares else 0.0), PRECISION)
    if score < DUPLICATE_THRESHOLD:
        return None
    return Match(claim_id, status, similarity, shares, score)


# --- Which claims are scored ----------------------------------------------------------


def compared_with(claim_id: int | RawSQL, claimant_id: int | RawSQL) -> Q:
    """The claims a claim is compared with, whatever their text: the claimant's open and
    published claims but itself, received ones only when older (the first submission
    survives, and two triages never wait on each other's rows). The ids may be SQL
    expressions: the batch statement compiles this once for all its claims."""
    return (
        Q(claimant_id=claimant_id, status__in=CANDIDATE_STATES)
        & ~Q(pk=claim_id)
        & ~Q(status=ClaimStatus.RECEIVED, pk__gt=claim_id)
    )


def _outside(exclude: Collection[int]) -> Q:
    return ~Q(pk__in=sorted(exclude)) if exclude else Q()


@dataclass(frozen=True)
class CandidateFilter:
    """What a claim's normalised text asks of a candidate's before it is scored: the one
    filter of both databases' searches and of a batch's own members.

    A text with figures: candidates containing one of them (the score checks the rest of
    the figure rule). A text without: candidates without any digit that share one of its
    stems, at a word's beginning on PostgreSQL (the full-text prefix query its index
    serves), anywhere on SQLite (`LIKE`, a superset)."""

    figures: tuple[str, ...]
    stems: tuple[str, ...]

    @classmethod
    def of(cls, normalised: str) -> "CandidateFilter":
        wanted = tuple(sorted(figures(normalised)))
        return cls(wanted, () if wanted else tuple(stems(normalised)))

    def terms(self) -> tuple[str, ...]:
        """The values the condition compares texts with, in order: the figures; or the
        stems (on PostgreSQL as one prefix query, "nobody:* | ukrain:*")."""
        if self.figures or not self.stems:
            return self.figures
        if connection.vendor == "postgresql":
            return (" | ".join(f"{stem}:*" for stem in self.stems),)
        return self.stems

    def condition(self, terms: Sequence[str | RawSQL] | None = None) -> Q:
        """The filter on `normalized_text`, as the database in use runs it. `terms`, SQL
        expressions in place of `terms()`, let the batch statement compile one condition
        for all its claims of the same shape."""
        terms = self.terms() if terms is None else terms
        if self.figures:
            # LIKE '%90000%': served by the trigram index claim_normalized_trgm_idx.
            return _any(Q(normalized_text__contains=term) for term in terms)
        if connection.vendor == "postgresql":
            from django.contrib.postgres.search import SearchQuery, SearchVector, SearchVectorExact

            condition = ~Q(normalized_text__regex=r"[0-9]")
            for words in terms:
                # Full text, served by claim_normalized_fts_idx (its expression is the one
                # SearchVector writes): any of the stems as a word's prefix.
                condition &= Q(
                    SearchVectorExact(
                        SearchVector("normalized_text", config="simple"),
                        SearchQuery(words, search_type="raw", config="simple"),
                    )
                )
            return condition
        # SQLite's own GLOB rather than Django's REGEXP, which calls Python for every row.
        condition = ~Q(_Glob(Value("*[0-9]*"), F("normalized_text")))
        if terms:
            condition &= _any(Q(normalized_text__contains=stem) for stem in terms)
        return condition

    def admits(self, normalised: str) -> bool:
        """The same filter for a text in memory: a batch's earlier members, which are not
        written yet when a later one is compared with them."""
        if self.figures:
            return any(figure in normalised for figure in self.figures)
        if any(char in "0123456789" for char in normalised):
            return False
        if not self.stems:
            return True
        if connection.vendor == "postgresql":  # to_tsquery's 'stem:*': a word's beginning
            return any(word.startswith(self.stems) for word in _words(normalised))
        return any(stem in normalised for stem in self.stems)  # SQLite's LIKE '%stem%'


def _any(conditions: Iterable[Q]) -> Q:
    return reduce(operator.or_, conditions)


class _Glob(Func):
    """SQLite's glob(pattern, text)."""

    function = "glob"
    output_field = BooleanField()


def stems(normalised: str) -> list[str]:
    """The beginnings of the text's longest words: a near-duplicate without figures
    shares at least one of them (inflected forms too: "військових", "військові")."""
    longest = sorted(
        {word for word in _words(normalised) if len(word) >= STEM_MIN_WORD},
        key=lambda word: (-len(word), word),
    )
    return sorted({word[:STEM_LENGTH] for word in longest[:STEM_WORDS]})


# --- The search ---------------------------------------------------------------------------

Row = tuple[int, str, str, float]  # pk, status, normalised text, similarity


def find_near_duplicates(
    *, claim_id: int, claimant_id: int, normalised: str, exclude: Collection[int] = ()
) -> list[Match]:
    """The claims `normalised` (the text of claim `claim_id`, normalised) repeats, best
    first, leaving out the claims in `exclude`."""
    base = Claim.objects.filter(compared_with(claim_id, claimant_id) & _outside(exclude))
    rows = _candidates(base, normalised) + _unnormalised_candidates(base, normalised)
    return _scored(rows, figures(normalised))


def _candidates(base: QuerySet, normalised: str) -> list[Row]:
    """The newest CANDIDATE_LIMIT normalised claims that pass the filter, with their
    similarity: in SQL on PostgreSQL (only those that can still reach the threshold come
    back), in Python on SQLite."""
    condition = CandidateFilter.of(normalised).condition()
    newest = base.exclude(normalized_text="").filter(condition).order_by("-pk")
    if connection.vendor != "postgresql":
        rows = newest.values_list("pk", "status", "normalized_text")[:CANDIDATE_LIMIT]
        return _with_similarity(rows, normalised)
    from django.contrib.postgres.search import TrigramSimilarity

    rows = (
        Claim.objects.filter(pk__in=newest.values("pk")[:CANDIDATE_LIMIT])
        .annotate(similarity=TrigramSimilarity("normalized_text", normalised))
        .filter(similarity__gte=TRIGRAM_RECALL)
        .order_by()
        .values_list("pk", "status", "normalized_text", "similarity")
    )
    return list(rows)


def _unnormalised_candidates(base: QuerySet, normalised: str) -> list[Row]:
    """Claims with no normalised text yet, normalised here: on both backends alike."""
    rows = (
        base.filter(normalized_text="")
        .order_by("-pk")
        .values_list("pk", "status", "text")[:UNNORMALISED_LIMIT]
    )
    return _with_similarity(
        ((pk, status, normalise_text(text)) for pk, status, text in rows), normalised
    )


def _with_similarity(rows: Iterable[tuple[int, str, str]], normalised: str) -> list[Row]:
    grams = trigrams(normalised)
    return [(pk, status, text, trigram_similarity(grams, text)) for pk, status, text in rows]


def _scored(rows: Iterable[Row], wanted: frozenset[str]) -> list[Match]:
    matches = (
        score_candidate(
            claim_id=pk, status=status, similarity=similarity, figures_a=wanted, text_b=text
        )
        for pk, status, text, similarity in rows
    )
    return sorted((m for m in matches if m), key=lambda m: (-m.score, m.claim_id))


# --- The search for a batch -------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    """One claim of a triage batch, as `find_near_duplicates_many` looks it up."""

    claim_id: int
    claimant_id: int
    normalised: str


def find_near_duplicates_many(
    probes: Sequence[Probe], *, exclude: Collection[int]
) -> dict[int, list[Match]]:
    """`find_near_duplicates` for each probe (by claim id), among the claims outside
    `exclude` (the batch itself: its members are compared with each other in memory,
    through `CandidateFilter.admits`). One statement for the whole batch on PostgreSQL;
    one search per probe on SQLite, which has no round trips to save."""
    if connection.vendor != "postgresql":
        return {
            probe.claim_id: find_near_duplicates(
                claim_id=probe.claim_id,
                claimant_id=probe.claimant_id,
                normalised=probe.normalised,
                exclude=exclude,
            )
            for probe in probes
        }
    rows: dict[int, list[Row]] = {probe.claim_id: [] for probe in probes}
    by_id = {probe.claim_id: probe for probe in probes}
    for probe_id, pk, status, text, similarity in _postgresql_candidates_many(probes, exclude):
        if similarity is None:  # not normalised yet: normalised and scored here
            text = normalise_text(text)
            similarity = trigram_similarity(by_id[probe_id].normalised, text)
        rows[probe_id].append((pk, status, text, similarity))
    return {
        probe_id: _scored(found, figures(by_id[probe_id].normalised))
        for probe_id, found in rows.items()
    }


# One statement for a whole batch, joined by UNION ALL: for each probe, the query of
# `_candidates`, and one branch for every probe's claims not normalised yet. The
# conditions are the ORM's, compiled to SQL once per batch (and once per shape of
# candidate filter) in terms of a row `p` of the probe's values, which PostgreSQL folds
# into each branch as constants, so each branch can use the trigram or the full-text
# index. The statement around them is SQL, and the conditions are compiled once rather
# than per probe, because building the ORM query of each probe cost as much as the round
# trips the batch saves (docs/BENCHMARKS.md); test_triage_batch checks that it finds
# what `find_near_duplicates` finds and that its plan uses the indexes.
_PROBE_SQL = """(
    SELECT * FROM (
        SELECT p.probe, {table}.id, {table}.status, {table}.normalized_text,
               similarity({table}.normalized_text, %s)::float8 AS score
        FROM {table}, (SELECT %s::bigint AS probe, %s::bigint AS claimant{terms}) AS p
        WHERE {compared} AND {search}
        ORDER BY {table}.id DESC LIMIT %s
    ) newest WHERE score >= %s
)"""
# The claims not normalised yet need no search index (the partial index
# claim_unnormalised_idx on the claimant serves them): one LATERAL branch for all probes,
# so PostgreSQL plans it once instead of once per probe.
_UNNORMALISED_SQL = """(
    SELECT p.probe, x.id, x.status, x.text, NULL::float8
    FROM unnest(%s::bigint[], %s::bigint[]) AS p(probe, claimant)
    CROSS JOIN LATERAL (
        SELECT {table}.id, {table}.status, {table}.text FROM {table}
        WHERE {compared} AND {table}.normalized_text = ''
        ORDER BY {table}.id DESC LIMIT %s
    ) x
)"""


def _postgresql_candidates_many(
    probes: Sequence[Probe], exclude: Collection[int]
) -> list[tuple[int, int, str, str, float | None]]:
    table = connection.ops.quote_name(Claim._meta.db_table)
    compared = compared_with(_column("p.probe"), _column("p.claimant")) & _outside(exclude)
    compared_sql = _literal_sql(compared)
    searches: dict[tuple[bool, int], str] = {}  # by shape: figures or not, how many terms
    branches: list[str] = []
    params: list[object] = []
    for probe in probes:
        candidate_filter = CandidateFilter.of(probe.normalised)
        terms = candidate_filter.terms()
        shape = (bool(candidate_filter.figures), len(terms))
        if shape not in searches:
            columns = [_column(f"p.term_{n}", TextField()) for n in range(len(terms))]
            condition = ~Q(normalized_text="") & candidate_filter.condition(columns)
            searches[shape] = _literal_sql(condition)
        row = "".join(f", %s::text AS term_{n}" for n in range(len(terms)))
        branches.append(
            _PROBE_SQL.format(table=table, terms=row, compared=compared_sql, search=searches[shape])
        )
        params += [probe.normalised, probe.claim_id, probe.claimant_id, *terms]
        params += [CANDIDATE_LIMIT, TRIGRAM_RECALL]
    branches.append(_UNNORMALISED_SQL.format(table=table, compared=compared_sql))
    params += [[p.claim_id for p in probes], [p.claimant_id for p in probes], UNNORMALISED_LIMIT]
    with connection.cursor() as cursor:
        cursor.execute("\nUNION ALL\n".join(branches), params)
        return cursor.fetchall()


def _column(name: str, output_field: Field | None = None) -> RawSQL:
    """A column of the statement's own (the probe's row `p`), for an ORM condition."""
    field = output_field or BigIntegerField()
    return RawSQL(name, (), output_field=field)  # noqa: S611 - a name from code


def _sql(condition: Q) -> tuple[str, list[object]]:
    """`condition` on the claims table as SQL and its parameters, compiled by the ORM."""
    query = Query(Claim)
    compiler = query.get_compiler(connection=connection)
    sql, params = compiler.compile(query.build_where(condition))
    return sql, list(params)


def _literal_sql(condition: Q) -> str:
    """`condition` as SQL with its values written in (by psycopg), for a statement that
    repeats it in every branch: its `%` doubled, as the statement's own parameters
    follow."""
    sql, params = _sql(condition)
    return connection.ops.compose_sql(sql, params).replace("%", "%%")
