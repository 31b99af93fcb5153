"""Hostile input for the fuzz suites: what an attacker or a broken client sends.

The values are Hypothesis strategies, so a run draws new combinations; the fixed list
holds the shapes that found 500s before (NULs, numbers past 64 bits, dates past year
9999, Unicode digits, bidi controls, deep JSON), so every run tries them too.
"""

import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# `make fuzz` (docs/security.md) multiplies every suite's examples by ten and draws new
# ones each run; `make test` runs the usual count with a fixed seed, so CI is repeatable.
MULTIPLIER = int(os.environ.get("FUZZ_MULTIPLIER", "1"))
RANDOM = os.environ.get("FUZZ_RANDOM", "") == "1"


def fuzz_settings(examples: int):
    """Hypothesis settings for a fuzz test of `examples` cases (times the multiplier)."""
    return settings(
        max_examples=examples * MULTIPLIER,
        deadline=None,
        derandomize=not RANDOM,
        database=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.data_too_large,
        ],
    )


NESTED_JSON = "[" * 2000 + "]" * 2000

FIXED = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "_00",
    "abc",
    "-1",
    "0",
    "1.5",
    "1e999",
    "NaN",
    "99999999999999999999",
    "-99999999999999999999",
    "9223372036854775808",
    "\u0663",  # ARABIC-INDIC DIGIT THREE
    "\u00b2",  # SUPERSCRIPT TWO
    "\u202eevil",
    "\u200b\u200b",
    "\u2066x\u2069",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' OR 1=1 --",
    "../../../etc/passwd",
    "9999-12-31",
    "0000-00-00",
    "9999-12-31T23:59:59-14:00",
    "0001-01-01T00:00:00+14:00",
    "[1e999]",
    '["\\u0000"]',
    "{}",
    "[]",
    "null",
    NESTED_JSON,
    "x" * 5000,
    "\U0001f600",
]

# Text with the characters that break things: NUL and other controls, surrogate-free
# Unicode of every category, digits of other scripts.
_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"]),
    max_size=40,
)
_NUMBER = st.integers(min_value=-(2**80), max_value=2**80).map(str)

VALUE = st.one_of(
    st.sampled_from(FIXED),
    st.sampled_from(FIXED),  # twice as likely as free text: they are the known shapes
    _TEXT,
    _NUMBER,
)

# Path segments where an id goes: the same shapes, quoted by the caller.
OBJECT_ID = st.one_of(
    st.sampled_from(["abc", "_00", "%00", "99999999999999999999", "-1", "1.5", "\u0663", "0"]),
    _NUMBER,
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=12),
)

# The shapes every parameter, id and form field is swept with, one by one, in each run
# (the generated examples then combine them): each found a 500 somewhere before.
HUGE = "99999999999999999999"
PARAM_SHAPES = ["\x00", "abc", HUGE, "-" + HUGE, "1e999", "\u0663", "9999-12-31T23:59:59-14:00"]
ID_SHAPES = ["\x00", "_00", "abc", HUGE, "-1", "1e999", "\u0663"]
FORM_SHAPES = [
    "\x00",
    "abc",
    "-1",
    HUGE,
    "-" + HUGE,
    "1e999",
    "[1e999]",
    '["\\u0000"]',
    NESTED_JSON,
]
SHAPES = sorted(set(PARAM_SHAPES + ID_SHAPES + FORM_SHAPES + ["0001-01-01T00:00:00+14:00"]))
