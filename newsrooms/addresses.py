"""The key under which sign-ups of one mailbox count as one (docs/security.md,
"Sign-ups and confirmation emails").

The key is never an address we send to: mail goes to the address as it was given. It
only decides which sign-ups share the one pending confirmation and the daily cap, so it
errs towards merging. Two spellings that mail systems deliver to the same mailbox must
get the same key, or each spelling is one more confirmation email to a stranger; two
distinct mailboxes that share a key merely share a pending confirmation, which costs
their owners a wait, never a message to the wrong inbox.
"""

import re
import unicodedata

# The stored column's length. NFKC can lengthen a string (a ligature becomes letters);
# a key cut here merges more, which is the safe direction.
KEY_MAX_LENGTH = 320

# Providers that ignore dots in the local part: o.l.a@ and ola@ are one mailbox.
DOTS_IGNORED = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}

_QUOTED_PAIR = re.compile(r"\\(.)", re.DOTALL)


def address_key(email: str) -> str:
    """The key of a valid address (it must have passed Django's EmailValidator).

    - Both parts: NFKC and surrounding space stripped.
    - Domain: lowercased and in its IDNA ASCII form, the form Django's SMTP backend sends
      to (so `EXAMPLE.org`, a fullwidth `ｅｘａｍｐｌｅ.org` and `xn--` spellings meet).
    - Local part: quotes and backslash escapes removed (`"o\\la"` is `ola`, RFC 5321
      4.1.2), case-folded, and cut at the first `+` (sub-addressing, which nearly every
      provider offers). RFC 5321 lets a server tell `Ola` from `ola`, and `+` could be an
      ordinary character; practically no server does either, and merging is harmless.
    - Gmail's dots ignored, as Gmail does.
    """
    local, _, domain = email.strip().rpartition("@")
    domain = _domain_key(domain)
    local = _local_key(local)
    if domain in DOTS_IGNORED:
        local, domain = local.replace(".", ""), DOTS_IGNORED[domain]
    return f"{local}@{domain}"[:KEY_MAX_LENGTH]


def _domain_key(domain: str) -> str:
    domain = unicodedata.normalize("NFKC", domain).strip().casefold().rstrip(".")
    try:
        # Python's codec is IDNA 2003, as in django.core.mail's sanitize_address.
        return domain.encode("idna").decode("ascii")
    except UnicodeError:  # a label the codec refuses (too long, empty): keep the text
        return domain


def _local_key(local: str) -> str:
    local = unicodedata.normalize("NFKC", local).strip()
    if len(local) >= 2 and local.startswith('"') and local.endswith('"'):
        local = _QUOTED_PAIR.sub(r"\1", local[1:-1])
    local = local.casefold()
    return local.split("+", 1)[0] or local
