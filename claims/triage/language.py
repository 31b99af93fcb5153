"""The language of a claim: detected offline with lingua, and which tag the claim keeps.

docs/queue.md ("Triage pipeline", "Language") has the rule.
"""

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lingua import LanguageDetector

# The languages the desk works in. Each one costs the detector's models memory in every
# worker process (docs/BENCHMARKS.md), so the set is kept to what claims come in.
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
