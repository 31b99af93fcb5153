"""A claim's text as the near-duplicate search compares it, and the figures in it.

Pure functions: nothing here touches the database. The rules and examples are in
docs/queue.md ("Triage pipeline", step 2).
"""

import re
import unicodedata
from decimal import Decimal, InvalidOperation

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
# Every run of ASCII digits is a figure ("F-16" too): the same test as the "no digit"
# part of the candidate filter (claims.triage.similarity), so both agree on what has
# figures.
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
