"""The triage pipeline's pure parts: normalising, language, priority, due time, decision.

Nothing here touches the database; `claims.services.claim_triage` reads the claim, asks
`claims.similarity` for near-duplicates and applies what these functions decide. The
rules and the worked examples are in docs/queue.md.
"""

import datetime
import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.conf import settings

from claims.models import ClaimStatus

if TYPE_CHECKING:
    from lingua import LanguageDetector

    from claims.similarity import Match

# --- Normalising ----------------------------------------------------------------------

# Typographic quotes, primes and dashes as their plain ASCII forms. Applied before NFKC,
# which would turn a double prime into two single ones.
_PUNCTUATION = str.maketrans(
    {
        **dict.fromkeys("‘’‚‛′‹›`´", "'"),
        **dict.fromkeys("“”„‟″«»", '"'),
        **dict.fromkeys("‐‑‒–—―−", "-"),
    }
)
# A currency sign written against a number: "$43.9 billion" compares as "43900000000".
_CURRENCY = re.compile(r"(?:us\$|[$€£₴₽¥])\s?(?=\d)")
# Thousands separated by one kind of separator throughout: "90,000", "90 000",
# "1'234'567". A group of 1-3 digits, then groups of exactly three.
_THOUSANDS = re.compile(r"(?<![\d.,])(\d{1,3})([, '])(\d{3})((?:\2\d{3})*)(?!\d)")
# Scale words after a number (English, Ukrainian, Russian, Polish, German, French,
# Spanish). "billion" is the short-scale 10^9, as news copy uses it.
_SCALES: dict[str, int] = {
    "thousand": 10**3,
    "тисяч": 10**3,
    "тисячі": 10**3,
    "тисяча": 10**3,
    "тис": 10**3,
    "тысяч": 10**3,
    "тысячи": 10**3,
    "тысяча": 10**3,
    "тыс": 10**3,
    "tysięcy": 10**3,
    "tysiące": 10**3,
    "tys": 10**3,
    "tausend": 10**3,
    "mille": 10**3,
    "million": 10**6,
    "millions": 10**6,
    "mln": 10**6,
    "mn": 10**6,
    "мільйон": 10**6,
    "мільйони": 10**6,
    "мільйонів": 10**6,
    "мільйона": 10**6,
    "миллион": 10**6,
    "миллиона": 10**6,
    "миллионов": 10**6,
    "млн": 10**6,
    "milion": 10**6,
    "miliony": 10**6,
    "milionów": 10**6,
    "millionen": 10**6,
    "mio": 10**6,
    "millón": 10**6,
    "millones": 10**6,
    "billion": 10**9,
    "billions": 10**9,
    "bn": 10**9,
    "мільярд": 10**9,
    "мільярди": 10**9,
    "мільярдів": 10**9,
    "мільярда": 10**9,
    "миллиард": 10**9,
    "миллиарда": 10**9,
    "миллиардов": 10**9,
    "млрд": 10**9,
    "miliard": 10**9,
    "miliardy": 10**9,
    "miliardów": 10**9,
    "mld": 10**9,
    "milliarde": 10**9,
    "milliarden": 10**9,
    "mrd": 10**9,
    "milliard": 10**9,
    "milliards": 10**9,
    "mil millones": 10**9,
    "trillion": 10**12,
    "trillions": 10**12,
    "trn": 10**12,
}
_NUMBER = r"\d+(?:[.,]\d+)?"
_SCALED = re.compile(
    rf"({_NUMBER})\s?("
    + "|".join(re.escape(word) for word in sorted(_SCALES, key=len, reverse=True))
    + r")\.?(?!\w)"
)
_PERCENT = re.compile(
    rf"({_NUMBER})\s?(?:%|percent(?!\w)|per cent(?!\w)|pct(?!\w)|prozent(?!\w)"
    r"|pour cent(?!\w)|por ciento(?!\w)|procent\w*|відс[оo]т\w*|процент\w*)"
)
# Every run of ASCII digits is a figure ("F-16" too): the same test as the SQL's
# LIKE and "no digit" filters in claims.similarity, so both agree on what has figures.
_FIGURE = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_SPACES = re.compile(r"\s+")


def normalise_text(text: str) -> str:
    """The claim's text as similarity search compares it: Unicode NFKC, plain quotes and
    dashes, one space between words, lower case, and numbers written one way ("90,000",
    "90 000" -> "90000"; "10 million" -> "10000000"; "$43.9 billion" -> "43900000000";
    "41 percent" -> "41%"). The claim's own `text` is never changed."""
    text = unicodedata.normalize("NFKC", (text or "").translate(_PUNCTUATION))
    text = _SPACES.sub(" ", text).strip().lower()
    text = _CURRENCY.sub("", text)
    text = _THOUSANDS.sub(_joined, text)
    text = _SCALED.sub(lambda m: _scaled(m.group(1), _SCALES[m.group(2)]), text)
    return _PERCENT.sub(lambda m: _decimal(m.group(1)) + "%", text)


def _joined(match: re.Match[str]) -> str:
    head, separator, group, rest = match.groups()
    return head + group + rest.replace(separator, "")


def _decimal(number: str) -> str:
    """A decimal comma becomes a point ("43,9" -> "43.9"); thousands were joined before."""
    return number.replace(",", ".")


def _scaled(number: str, scale: int) -> str:
    try:
        value = Decimal(_decimal(number)) * scale
    except InvalidOperation:  # pragma: no cover - the pattern only matches numbers
        return number
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def figures(normalised: str) -> frozenset[str]:
    """The numbers in a normalised text, as written there ("90000", "43.9", "41")."""
    return frozenset(_FIGURE.findall(normalised))


# --- Language -------------------------------------------------------------------------

# The languages the desk works in. Each one costs the detector's models memory (about
# 30 MB per language in high-accuracy mode), so the set is kept to what claims come in.
DETECTED_LANGUAGES = (
    "ENGLISH",
    "UKRAINIAN",
    "RUSSIAN",
    "BELARUSIAN",
    "POLISH",
    "GERMAN",
    "FRENCH",
    "SPANISH",
)
# Below this many letters a guess is not worth making ("OK", "90,000").
LANGUAGE_MIN_LETTERS = 12
# The detector's confidence (0..1) the most likely language needs to count.
LANGUAGE_MIN_CONFIDENCE = 0.5
# The detector answers nothing when the top two languages are closer than this.
LANGUAGE_MIN_DISTANCE = 0.1


@functools.cache
def _detector() -> "LanguageDetector":
    """Built once per process, on first use (a web process that never triages never pays
    for the models)."""
    from lingua import Language, LanguageDetectorBuilder

    languages = [getattr(Language, name) for name in DETECTED_LANGUAGES]
    return (
        LanguageDetectorBuilder.from_languages(*languages)
        .with_minimum_relative_distance(LANGUAGE_MIN_DISTANCE)
        .with_preloaded_language_models()
        .build()
    )


def detect_language(text: str) -> str | None:
    """The text's language as a BCP 47 tag ("en", "uk"), or None when not confident."""
    if sum(ch.isalpha() for ch in text or "") < LANGUAGE_MIN_LETTERS:
        return None
    detector = _detector()
    language = detector.detect_language_of(text)
    if language is None:
        return None
    if detector.compute_language_confidence(text, language) < LANGUAGE_MIN_CONFIDENCE:
        return None
    return language.iso_code_639_1.name.lower()


def language_for(declared: str, detected: str | None, default: str) -> str:
    """The language a triaged claim keeps. A claim that came with the default tag (the
    submitter did not say) takes the detected language when the detector is confident;
    any other declared tag is the submitter's word and stays."""
    if declared == default and detected:
        return detected
    return declared


# --- Priority -------------------------------------------------------------------------

# Points per factor; their caps add up to 100. See docs/queue.md for worked examples.
REQUEST_POINTS_PER_DOUBLING = 10  # 1 request: 0, 2-3: 10, 4-7: 20, 8 or more: 30
REQUEST_POINTS_MAX = 30
REACH_POINTS_PER_TENFOLD = 5  # reach 10: 5, 1,000: 15, 100,000: 25, 1,000,000: 30
REACH_POINTS_MAX = 30
FIGURE_POINTS_EACH = 5  # a checkable number, per distinct figure
FIGURE_POINTS_MAX = 15
SOURCE_POINTS_EACH = 5  # a named source the claim leans on ("according to", "poll")
SOURCE_POINTS_MAX = 10
RECENCY_POINTS_MAX = 15  # made today or yesterday
RECENCY_DAYS_PER_POINT = 2  # one point less for every two days of age: 0 after a month
RECENCY_POINTS_UNKNOWN = 7  # no claim date: counted as neither new nor old

# Words that cite a source, whole words or phrases, in the desk's languages.
# The claimant's own "says" is not a source: the cue names where a figure comes from.
SOURCE_CUES = re.compile(
    r"(?<!\w)(?:according to|citing|cited by|reported by|report|poll|survey|study|"
    r"statistics|data from|figures from|ministry|agency|institute|census|officials|"
    r"за даними|згідно з|повідомля\w*|опитуван\w*|міністерств\w*|"
    r"по данным|согласно|сообща\w*|опрос\w*|министерств\w*|"
    r"według|sondaż\w*|laut|umfrage|selon|sondage|según|encuesta)(?!\w)"
)


def request_points(requests_count: int) -> int:
    doublings = max(requests_count, 1).bit_length() - 1  # floor(log2(n)), exactly
    return min(REQUEST_POINTS_MAX, REQUEST_POINTS_PER_DOUBLING * doublings)


def reach_points(reach: int) -> int:
    tenfolds = len(str(reach)) - 1 if reach > 0 else 0  # floor(log10(reach)), exactly
    return min(REACH_POINTS_MAX, REACH_POINTS_PER_TENFOLD * tenfolds)


def figure_points(normalised: str) -> int:
    return min(FIGURE_POINTS_MAX, FIGURE_POINTS_EACH * len(figures(normalised)))


def source_points(normalised: str) -> int:
    cues = {match.group(0) for match in SOURCE_CUES.finditer(normalised)}
    return min(SOURCE_POINTS_MAX, SOURCE_POINTS_EACH * len(cues))


def recency_points(claim_date: datetime.date | None, today: datetime.date) -> int:
    if claim_date is None:
        return RECENCY_POINTS_UNKNOWN
    age = max((today - claim_date).days, 0)
    return max(0, RECENCY_POINTS_MAX - age // RECENCY_DAYS_PER_POINT)


def compute_priority(
    *,
    normalised: str,
    requests_count: int,
    reach: int,
    claim_date: datetime.date | None,
    today: datetime.date,
) -> int:
    """The claim's priority, 0..100: the sum of the five capped factors above."""
    total = (
        request_points(requests_count)
        + reach_points(reach)
        + figure_points(normalised)
        + source_points(normalised)
        + recency_points(claim_date, today)
    )
    return max(0, min(100, total))


def reprioritise(priority: int, old_requests: int, new_requests: int) -> int:
    """A claim's priority once more requests were merged into it: only the requests
    factor changes (recency is kept as it was at triage, so more demand never lowers
    a claim)."""
    delta = request_points(new_requests) - request_points(old_requests)
    return max(0, min(100, priority + delta))


# --- Due time -------------------------------------------------------------------------


def priority_band(priority: int, bands: Mapping[str, int] | None = None) -> str:
    """The highest band whose floor the priority reaches."""
    bands = settings.FACTCHECK_PRIORITY_BANDS if bands is None else bands
    reached = [(floor, name) for name, floor in bands.items() if priority >= floor]
    if not reached:
        return min(bands.items(), key=lambda item: item[1])[0]
    return max(reached)[1]


def due_at_for(
    priority: int,
    now: datetime.datetime,
    *,
    hours: Mapping[str, int] | None = None,
    bands: Mapping[str, int] | None = None,
) -> datetime.datetime:
    """When a claim triaged at `now` with `priority` is due (FACTCHECK_DUE_HOURS of its
    band, FACTCHECK_PRIORITY_BANDS)."""
    hours = settings.FACTCHECK_DUE_HOURS if hours is None else hours
    return now + datetime.timedelta(hours=hours[priority_band(priority, bands)])


# --- The decision ---------------------------------------------------------------------

QUEUE, MERGE, LINK = "queue", "merge", "link"


@dataclass(frozen=True)
class Decision:
    action: str  # QUEUE, MERGE (into an open claim) or LINK (to a published one)
    target_id: int | None = None


def decide(matches: Iterable["Match"]) -> Decision:
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
