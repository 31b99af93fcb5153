"""Near-duplicate search for triage: which open or published claims a new claim repeats.

Two claims are near-duplicates when all of these hold (docs/queue.md, "Similarity"):

- the same claimant (the same words from someone else are another claim);
- compatible figures: neither mentions a number, or they share one and the numbers of
  one are all in the other ("90,000" matches "90 000 ... since 4 June"; "66,000" does
  not match "90,000", nor "10 million in 2022" "2 million in 2022");
- a score of at least DUPLICATE_THRESHOLD: the trigram similarity of the normalised
  texts (pg_trgm's `similarity()`), plus SHARED_FIGURE_BONUS when they share figures.

Both backends score the same candidates: the claimant's open and published claims that
can pass the figure rule (sharing a figure, `LIKE '%90000%'`; or, for a claim without
figures, having none and sharing the beginning of one of its longest words), the newest
CANDIDATE_LIMIT of them. PostgreSQL finds them through indexes (the GIN trigram index
serves the `LIKE`, a GIN full-text index the word prefixes, `'ukrain':* | ...`) and
computes `similarity()` in SQL (`TrigramSimilarity`); SQLite narrows them by the
claimant's foreign-key index and plain `LIKE`/`GLOB`, and computes the same similarity
in Python. `trigram_similarity` is pg_trgm's algorithm, so both backends reach the
same decisions (the suite runs the same cases on both).
"""

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField, F, Func, Q, QuerySet, Value

from claims.models import Claim, ClaimStatus
from claims.triage import figures, normalise_text

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

# What a new claim can be a duplicate of: open claims, and published fact-checks.
CANDIDATE_STATES = (
    ClaimStatus.RECEIVED,
    ClaimStatus.QUEUED,
    ClaimStatus.IN_REVIEW,
    ClaimStatus.IN_APPROVAL,
    ClaimStatus.PUBLISHED,
)


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


# --- The search ---------------------------------------------------------------------------

Row = tuple[int, str, str, float]  # pk, status, normalised text, similarity


def find_near_duplicates(
    *, claim_id: int, claimant_id: int, normalised: str, exclude: Collection[int] = ()
) -> list[Match]:
    """The claims `normalised` (the text of claim `claim_id`, normalised) repeats, best
    first, leaving out the claims in `exclude`. Received claims count only when older
    than this one: the first submission survives, and two triages never wait on each
    other's rows."""
    wanted = figures(normalised)
    base = (
        Claim.objects.filter(claimant_id=claimant_id, status__in=CANDIDATE_STATES)
        .exclude(pk=claim_id)
        .exclude(status=ClaimStatus.RECEIVED, pk__gt=claim_id)
    )
    if exclude:
        base = base.exclude(pk__in=list(exclude))
    if connection.vendor == "postgresql":
        rows = _postgresql_candidates(base, normalised, wanted)
    else:
        rows = _sqlite_candidates(base, normalised, wanted)
    rows += _unnormalised_candidates(base, normalised)
    return _scored(rows, wanted)


def _scored(rows: Iterable[Row], wanted: frozenset[str]) -> list[Match]:
    matches = (
        score_candidate(
            claim_id=pk, status=status, similarity=similarity, figures_a=wanted, text_b=text
        )
        for pk, status, text, similarity in rows
    )
    return sorted((m for m in matches if m), key=lambda m: (-m.score, m.claim_id))


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
    `exclude` (the batch itself: its members are compared with each other in Python, see
    claims.triage_batch). One statement for the whole batch on PostgreSQL; one search per
    probe on SQLite, which has no round trips to save."""
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


def batch_candidate_passes(wanted: frozenset[str], prefixes: list[str], text: str) -> bool:
    """Whether a claim of the same batch with normalised `text` would be among the
    candidates the search returns for a text with figures `wanted` and stems `prefixes`
    (the filters of the backend's search, without the CANDIDATE_LIMIT window). Figures
    are checked again by the score."""
    if wanted:
        return any(figure in text for figure in wanted)
    if any(char in "0123456789" for char in text):
        return False
    if not prefixes:
        return True
    if connection.vendor == "postgresql":  # to_tsquery's 'stem:*': a word's beginning
        return any(word.startswith(tuple(prefixes)) for word in _words(text))
    return any(stem in text for stem in prefixes)  # SQLite's LIKE '%stem%'


def stems(normalised: str) -> list[str]:
    """The beginnings of the text's longest words: a near-duplicate without figures
    shares at least one of them (inflected forms too: "військових", "військові")."""
    longest = sorted(
        {word for word in _words(normalised) if len(word) >= STEM_MIN_WORD},
        key=lambda word: (-len(word), word),
    )
    return sorted({word[:STEM_LENGTH] for word in longest[:STEM_WORDS]})


def _shares_a_figure(wanted: frozenset[str]) -> Q:
    shares = Q()
    for figure in sorted(wanted):
        shares |= Q(normalized_text__contains=figure)
    return shares


def _postgresql_candidates(base: QuerySet, normalised: str, wanted: frozenset[str]) -> list[Row]:
    from django.contrib.postgres.search import SearchQuery, SearchVector, TrigramSimilarity

    query = base.exclude(normalized_text="")
    if wanted:
        # LIKE '%90000%': served by the trigram index claim_normalized_trgm_idx.
        query = query.filter(_shares_a_figure(wanted))
    else:
        # Full text, served by claim_normalized_fts_idx: any of the stems as a prefix.
        query = query.filter(~Q(normalized_text__regex=r"[0-9]"))
        if prefixes := stems(normalised):
            words = SearchQuery(
                " | ".join(f"{stem}:*" for stem in prefixes), search_type="raw", config="simple"
            )
            query = query.alias(document=SearchVector("normalized_text", config="simple")).filter(
                document=words
            )
    newest = query.order_by("-pk").values("pk")[:CANDIDATE_LIMIT]
    rows = (
        Claim.objects.filter(pk__in=newest)
        .annotate(similarity=TrigramSimilarity("normalized_text", normalised))
        .filter(similarity__gte=TRIGRAM_RECALL)
        .order_by()
        .values_list("pk", "status", "normalized_text", "similarity")
    )
    return list(rows)


def _sqlite_candidates(base: QuerySet, normalised: str, wanted: frozenset[str]) -> list[Row]:
    query = base.exclude(normalized_text="")
    if wanted:
        query = query.filter(_shares_a_figure(wanted))
    else:
        # SQLite's own GLOB rather than Django's REGEXP, which calls Python for every row.
        query = query.filter(~Q(_Glob(Value("*[0-9]*"), F("normalized_text"))))
        if prefixes := stems(normalised):
            contains_one = Q()
            for stem in prefixes:
                contains_one |= Q(normalized_text__contains=stem)
            query = query.filter(contains_one)
    rows = query.order_by("-pk").values_list("pk", "status", "normalized_text")
    return _with_similarity(rows[:CANDIDATE_LIMIT], normalised)


class _Glob(Func):
    """SQLite's glob(pattern, text)."""

    function = "glob"
    output_field = BooleanField()


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


# One statement for a whole batch, joined by UNION ALL: for each probe, the candidate
# query of `find_near_duplicates` with the probe's own values (the same filters, so the
# same index scans: the trigram index for LIKE, the full-text one for the stems), and one
# branch for every probe's claims not normalised yet. Written as SQL because compiling
# an ORM queryset per probe cost as much as the round trips the batch saves;
# test_triage_batch checks the plan uses the indexes.
_PROBE_SQL = """(
    SELECT * FROM (
        SELECT %s, x.id, x.status, x.normalized_text,
               similarity(x.normalized_text, %s)::float8 AS score
        FROM {table} x
        WHERE {common} AND x.normalized_text <> '' AND {search}
        ORDER BY x.id DESC LIMIT %s
    ) newest WHERE score >= %s
)"""
# The claims not normalised yet need no search index (the partial index
# claim_unnormalised_idx on the claimant serves them): one LATERAL branch for all probes,
# so PostgreSQL plans it once instead of once per probe.
_UNNORMALISED_SQL = """(
    SELECT p.probe, x.id, x.status, x.text, NULL::float8
    FROM unnest(%s::bigint[], %s::bigint[]) AS p(probe, claimant)
    CROSS JOIN LATERAL (
        SELECT x.id, x.status, x.text FROM {table} x
        WHERE x.claimant_id = p.claimant AND x.normalized_text = ''
          AND x.status IN ({states}) AND {outside}
          AND x.id <> p.probe AND NOT (x.status = '{received}' AND x.id > p.probe)
        ORDER BY x.id DESC LIMIT %s
    ) x
)"""
# The claimant's candidates, outside the batch, received ones only when older. The
# states and the batch's ids are written into the statement once (`{states}`, `{outside}`):
# bound again for each probe's branch, psycopg spent more time
# adapting the same arrays than PostgreSQL spent running the statement.
_COMMON_SQL = (
    "x.claimant_id = %s AND x.status IN ({states}) AND {outside}"
    " AND x.id <> %s AND NOT (x.status = '{received}' AND x.id > %s)"
)
_WORDS_SQL = (
    "NOT x.normalized_text ~ '[0-9]' AND to_tsvector('simple'::regconfig,"
    " COALESCE(x.normalized_text, '')) @@ to_tsquery('simple'::regconfig, %s)"
)


def _postgresql_candidates_many(
    probes: Sequence[Probe], exclude: Collection[int]
) -> list[tuple[int, int, str, str, float | None]]:
    table = connection.ops.quote_name(Claim._meta.db_table)
    literals = {
        # Literals from code only: the states are ClaimStatus's values, the ids integers.
        "states": ", ".join(f"'{state.value}'" for state in CANDIDATE_STATES),
        "outside": f"x.id NOT IN ({', '.join(str(int(pk)) for pk in sorted(exclude))})"
        if exclude
        else "TRUE",
        "received": ClaimStatus.RECEIVED.value,
    }
    common_sql = _COMMON_SQL.format(**literals)
    branches: list[str] = []
    params: list[object] = []
    for probe in probes:
        common = [probe.claimant_id, probe.claim_id, probe.claim_id]
        wanted = sorted(figures(probe.normalised))
        if wanted:
            search = "(" + " OR ".join(["x.normalized_text LIKE %s"] * len(wanted)) + ")"
            search_params: list[object] = [f"%{figure}%" for figure in wanted]
        elif prefixes := stems(probe.normalised):
            search, search_params = _WORDS_SQL, [" | ".join(f"{s}:*" for s in prefixes)]
        else:
            search, search_params = "NOT x.normalized_text ~ '[0-9]'", []
        branches.append(_PROBE_SQL.format(table=table, common=common_sql, search=search))
        params += [probe.claim_id, probe.normalised, *common, *search_params]
        params += [CANDIDATE_LIMIT, TRIGRAM_RECALL]
    branches.append(_UNNORMALISED_SQL.format(table=table, **literals))
    params += [[p.claim_id for p in probes], [p.claimant_id for p in probes], UNNORMALISED_LIMIT]
    with connection.cursor() as cursor:
        cursor.execute("\nUNION ALL\n".join(branches), params)
        return cursor.fetchall()
