"""User text as it is stored: one normalisation for everything a person types.

A name, a claim or a source title is kept as typed, less the characters that have no
business in it: they are invisible or they change the direction of the text around
them, so "Sergei\\u200bShoigu" looks like a claimant who exists and "\\u202e" turns a
page's next words around. `clean_line` (names, titles: one line) and `clean_text`
(claims, explanations, notes: several lines) apply these rules, in this order:

1. Control characters go, but in a text a line break stays a line break (CR LF, CR,
   NEL, LS, PS and the other separators become LF) and a tab stays a tab. Lone
   surrogates go too: they are not text, and no database stores them.
2. Default-ignorable characters (Unicode's Default_Ignorable_Code_Point: zero-width
   characters, bidi marks, embeddings, overrides and isolates, soft hyphens, fillers,
   tags, variation selectors) go, except where real text needs them:
   - a zero-width space between two visible characters becomes a space (it separates
     words), except in scripts written without spaces (Thai, Lao, Khmer, Myanmar,
     Tibetan, Chinese, Japanese), where it is only dropped;
   - ZWNJ and ZWJ stay where IDNA's CONTEXTJ rules (RFC 5892, through the `idna`
     package) allow them - after a virama (Devanagari and the other Indic scripts) or
     between joining letters (Persian, Arabic, Syriac) - and a ZWJ between two emoji;
   - a variation selector stays after a visible character (emoji and CJK variants),
     an emoji tag sequence after its black flag, a Mongolian vowel separator between
     Mongolian letters;
   - an astral one that does not stay (a tag, mostly: tags can carry ASCII text no one
     sees) becomes U+FFFD, so that a reviewer sees something was there.
3. NFC, so one text has one spelling.
4. A one-line value has its runs of whitespace (tabs and line breaks included) made one
   space; either kind loses the whitespace around it.

What is left is empty exactly when the value had no visible character (`has_visible`;
`VISIBLE` is that character as a pattern): a required field that comes out empty is
refused, not stored.

Models declare which of their fields hold user text (`UserInputModel`), so that every
`full_clean()` - the services', the admin forms' - normalises them before it validates.
"""

import re
import unicodedata
from typing import Any, ClassVar

import idna
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from factcheck.validators import validate_web_url

# Default_Ignorable_Code_Point (Unicode 15.1, DerivedCoreProperties.txt).
DEFAULT_IGNORABLE_RANGES = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160),
    (0x17B4, 0x17B5), (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E),
    (0x2060, 0x206F), (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)  # fmt: skip


def _char(code: int) -> str:
    # \uXXXX reads the same in Python's `re` and in ECMA-262 (the schema's dialect);
    # an astral character has no escape common to both, so it is written as itself.
    return f"\\u{code:04x}" if code <= 0xFFFF else chr(code)


def _class_body(ranges: tuple[tuple[int, int], ...]) -> str:
    return "".join(_char(a) if a == b else f"{_char(a)}-{_char(b)}" for a, b in ranges)


DEFAULT_IGNORABLE = _class_body(DEFAULT_IGNORABLE_RANGES)
_BMP_IGNORABLE = _class_body(tuple(r for r in DEFAULT_IGNORABLE_RANGES if r[1] <= 0xFFFF))
# C0 and C1 controls.
CONTROLS = _class_body(((0x00, 0x1F), (0x7F, 0x9F)))
# A character that survives the normalisation and shows: what a required field must
# hold, and the `pattern` the API schema states for it. ASCII only, so that it reads
# the same in Python and in ECMA-262 (the schema's dialect); every astral character
# counts, as normalisation keeps it or shows U+FFFD in its place.
VISIBLE = f"[^\\s{CONTROLS}{_BMP_IGNORABLE}]"
REPLACEMENT = "\ufffd"

# Lone surrogates are no text, and no database stores them: they go too.
_SPECIAL = re.compile(f"[{CONTROLS}\\ud800-\\udfff{DEFAULT_IGNORABLE}\u2028\u2029]")
_VISIBLE = re.compile(f"[^\\s{CONTROLS}\\ud800-\\udfff{_BMP_IGNORABLE}]")
_SHOWN = re.compile(f"[^{DEFAULT_IGNORABLE}]")
_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
ZWSP, ZWNJ, ZWJ = "\u200b", "\u200c", "\u200d"
_VARIATION_SELECTOR = re.compile("[\u180b-\u180d\u180f\ufe00-\ufe0f\U000e0100-\U000e01ef]")
_MONGOLIAN_VOWEL_SEPARATOR = "\u180e"
_BLACK_FLAG, _TAG, _CANCEL_TAG = "\U0001f3f4", "\U000e0020", "\U000e007f"
_SKIN_TONE = re.compile("[\U0001f3fb-\U0001f3ff]")
# Scripts written without spaces between words: a zero-width space there marks a word
# boundary that shows as none, so it is dropped rather than made a space.
_SPACELESS = re.compile(
    "[\u0e00-\u0eff\u0f00-\u0fff\u1000-\u109f\u1780-\u17ff\u19e0-\u19ff\u3040-\u30ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uaa60-\uaa7f\uf900-\ufaff\U00020000-\U0003ffff]"
)
# How far around a joiner CONTEXTJ looks (idna refuses labels over 1,024 characters).
_JOINER_WINDOW = 64

INVISIBLE_ONLY = _("Only invisible or control characters were given: write visible text.")


def _visible(char: str) -> bool:
    return bool(char) and bool(_VISIBLE.match(char))


def _emoji(char: str) -> bool:
    # Emoji are symbols (So); VS16 and the skin tones continue one.
    if not char:
        return False
    return unicodedata.category(char) == "So" or char == "\ufe0f" or bool(_SKIN_TONE.match(char))


def _space_or_nothing(before: str, after: str) -> str:
    """What a zero-width space between `before` and `after` becomes."""
    if not (_visible(before) and _visible(after)):
        return ""
    return "" if _SPACELESS.match(before) or _SPACELESS.match(after) else " "


def _first_pass(value: str, multiline: bool) -> str:
    """Rules 1 and 2, the joiners left for `_joiners`: they are judged on what stays."""
    out: list[str] = []
    prev, last = "", 0
    for match in _SPECIAL.finditer(value):
        start = match.start()
        if start > last:
            out.append(value[last:start])
            prev = value[start - 1]
        last = match.end()
        char = match.group()
        # The next character that may show: invisible ones in between do not count.
        shown = _SHOWN.search(value, last)
        after = shown.group() if shown else ""
        if char in _LINE_BREAKS:
            kept = "\n" if multiline else " "
        elif char == "\t":
            kept = char if multiline else " "
        elif char == ZWSP:
            kept = _space_or_nothing(prev, after)
        elif char in (ZWNJ, ZWJ):
            kept = char
        elif _VARIATION_SELECTOR.match(char):
            base = _visible(prev) and not _VARIATION_SELECTOR.match(prev)
            kept = char if base else ""
        elif char == _MONGOLIAN_VOWEL_SEPARATOR:
            mongolian = "\u1820" <= prev <= "\u18af" and "\u1820" <= after <= "\u18af"
            kept = char if mongolian else ""
        elif _TAG <= char <= _CANCEL_TAG:
            kept = char if prev == _BLACK_FLAG or _TAG <= prev < _CANCEL_TAG else ""
        else:
            kept = ""
        if not kept and char > "\uffff":
            # An astral one (a tag, mostly: tags smuggle ASCII text no one sees) shows
            # that something was there instead of vanishing.
            kept = REPLACEMENT
        if kept:
            out.append(kept)
            prev = kept[-1]
    out.append(value[last:])
    return "".join(out)


def _joiner_allowed(text: str, pos: int) -> bool:
    """ZWNJ or ZWJ at `pos` of `text`: a ZWJ between two emoji, or CONTEXTJ."""
    before, after = text[pos - 1 : pos], text[pos + 1 : pos + 2]
    if text[pos] == ZWJ and _emoji(before) and unicodedata.category(after or " ") == "So":
        return True
    try:
        return idna.valid_contextj(text, pos)
    except (ValueError, idna.IDNAError):
        return False  # a neighbour unknown to this Python's Unicode data


def _joiners(text: str) -> str:
    """Keep ZWNJ and ZWJ only where the text needs them (the module's rule 2)."""
    if ZWNJ not in text and ZWJ not in text:
        return text
    out: list[str] = []
    for pos, char in enumerate(text):
        if char in (ZWNJ, ZWJ):
            # Judged on what was kept before it, so that the result keeps its joiners
            # when normalised again.
            before = "".join(out[-_JOINER_WINDOW:])
            context = before + text[pos : pos + _JOINER_WINDOW]
            if not _joiner_allowed(context, len(before)):
                continue
        out.append(char)
    return "".join(out)


def normalise(value: str, *, multiline: bool) -> str:
    """The stored form of user text (the rules in this module's docstring)."""
    if _SPECIAL.search(value):
        value = _joiners(_first_pass(value.replace("\r\n", "\n"), multiline))
    value = unicodedata.normalize("NFC", value)
    return value.strip() if multiline else " ".join(value.split())


def clean_line(value: str) -> str:
    """A name, a title, a label: one line."""
    return normalise(value, multiline=False)


def clean_text(value: str) -> str:
    """A claim, an explanation, a note: line breaks kept."""
    return normalise(value, multiline=True)


def lookalike_key(value: str) -> str:
    """`value` (normalised) without the invisible characters normalisation keeps where
    a script needs them: what a claimant's name is matched on as well, so a name with a
    stray joiner or variation selector finds the claimant it imitates."""
    return clean_line(re.sub(f"[{DEFAULT_IGNORABLE}]", "", value))


def has_visible(value: str) -> bool:
    return bool(_VISIBLE.search(value))


class UserInputModel:
    """A model whose fields hold what people type. `full_clean()` - which every service
    runs before it writes, and the admin's forms run on what was posted - normalises
    `one_line_fields` with `clean_line` and `text_fields` with `clean_text` before the
    fields are validated, refuses a required one that held only invisible characters,
    and checks `web_url_fields` with `factcheck.validators.validate_web_url`."""

    one_line_fields: ClassVar[tuple[str, ...]] = ()
    text_fields: ClassVar[tuple[str, ...]] = ()
    web_url_fields: ClassVar[tuple[str, ...]] = ()

    def clean_fields(self, exclude: Any = None) -> None:
        exclude = set(exclude or ())
        errors: dict[str, list[ValidationError]] = {}
        fields = [(n, False) for n in self.one_line_fields] + [(n, True) for n in self.text_fields]
        for name, multiline in fields:
            raw = getattr(self, name)
            if name in exclude or not isinstance(raw, str):
                continue
            value = normalise(raw, multiline=multiline)
            setattr(self, name, value)
            if raw and not value and not self._meta.get_field(name).blank:
                errors[name] = [ValidationError(INVISIBLE_ONLY, code="invisible")]
        for name in self.web_url_fields:
            value = getattr(self, name)
            if name not in exclude and isinstance(value, str) and value:
                try:
                    validate_web_url(value)
                except ValidationError as exc:
                    errors[name] = exc.error_list
        try:
            super().clean_fields(exclude=exclude | set(errors))
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)
