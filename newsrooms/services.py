"""Writes for newsrooms: API tokens and the claims newsrooms submit."""

import datetime
import hashlib
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from claims.models import Claim, Claimant, ClaimOrigin
from claims.services import claim_create
from factcheck.errors import DomainError
from factcheck.text import INVISIBLE_ONLY, clean_line, lookalike_key
from newsrooms.models import Newsroom, NewsroomToken, Submission

# last_used_at is a hint for the admin, not an audit trail: one UPDATE per token per
# this interval at most, so a newsroom polling all day costs no write per request.
TOKEN_TOUCH_EVERY = datetime.timedelta(minutes=5)
CLAIM_REVIEWED_MAX = Claim._meta.get_field("claim_reviewed").max_length


def token_create(
    *,
    newsroom: Newsroom,
    scopes: list[str],
    name: str = "",
    expires_at: datetime.datetime | None = None,
) -> tuple[NewsroomToken, str]:
    """Create a token; returns it with its plaintext, which is never stored or shown
    again."""
    token = NewsroomToken(
        newsroom=newsroom, scopes=scopes, name=name or _("API token"), expiry_date=expires_at
    )
    return token, token_issue(token=token)


def token_issue(*, token: NewsroomToken) -> str:
    """Give an unsaved token (built here or by the admin form) its secret and save it;
    returns the plaintext token."""
    token.name = token.name[:50]
    token.scopes = sorted(set(token.scopes))
    key = NewsroomToken.objects.assign_key(token)
    token.full_clean()
    token.save(force_insert=True)
    return key


def token_revoke(*, token: NewsroomToken) -> None:
    """Revoke for good: the next request with it gets 401."""
    NewsroomToken.objects.filter(pk=token.pk).update(revoked=True)
    token.revoked = True


def token_touch(*, token: NewsroomToken, now: datetime.datetime | None = None) -> None:
    """Record that the token was used, at most once per TOKEN_TOUCH_EVERY."""
    now = now or timezone.now()
    if token.last_used_at and now - token.last_used_at < TOKEN_TOUCH_EVERY:
        return
    # Conditional: of concurrent requests only one writes.
    NewsroomToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - TOKEN_TOUCH_EVERY)
    ).update(last_used_at=now)
    token.last_used_at = now


# --- Submissions ------------------------------------------------------------------------


class IdempotencyMismatch(Exception):
    """The Idempotency-Key was used before with a different request body."""


@dataclass(frozen=True)
class SubmissionResult:
    submission: Submission
    created: bool


def request_hash(data: dict[str, Any]) -> str:
    """A hash of the validated body: the same request in another key order or spacing
    hashes the same."""
    canonical = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def claim_reviewed_from(text: str) -> str:
    """A first `claim_reviewed` (75 characters at most) for reviewers to rewrite: the
    text's first words, cut at a word boundary."""
    text = " ".join(text.split())
    if len(text) <= CLAIM_REVIEWED_MAX:
        return text
    cut = text[: CLAIM_REVIEWED_MAX - 1].rsplit(" ", 1)[0] or text[: CLAIM_REVIEWED_MAX - 1]
    return cut.rstrip(" ,;:.") + "…"


def _claimant_for(name: str) -> Claimant:
    """The claimant by slug, name or alias (case-insensitive), or a new one. Names are
    matched as normalised (factcheck/text.py), and also without the joiners and
    variation selectors normalisation keeps: a look-alike finds the one it imitates."""
    name = clean_line(name)
    if not name:
        raise DomainError(
            "invalid", _("The submission is not valid."), {"claimant": [str(INVISIBLE_ONLY)]}
        )
    # Slugs are ASCII; a name in another script gets a numbered placeholder slug.
    slug = slugify(name)[:190].strip("-")
    match = Q()
    for spelling in {name, lookalike_key(name)}:
        match |= Q(name__iexact=spelling) | Q(aliases__name__iexact=spelling)
    if slug:
        match |= Q(slug=slug)
    found = Claimant.objects.filter(match).order_by("pk").first()
    if found:
        return found
    slug = slug or "claimant"
    unique_slug, n = slug, 1
    while Claimant.objects.filter(slug=unique_slug).exists():
        n += 1
        unique_slug = f"{slug}-{n}"
    claimant = Claimant(name=name, slug=unique_slug)
    claimant.full_clean()
    claimant.save()
    return claimant


def _existing_answer(newsroom: Newsroom, key: str, digest: str) -> SubmissionResult | None:
    if not key:
        return None
    existing = Submission.objects.filter(newsroom=newsroom, idempotency_key=key).first()
    if existing is None:
        return None
    if existing.request_hash != digest:
        raise IdempotencyMismatch(
            _("This Idempotency-Key was already used with a different request body.")
        )
    return SubmissionResult(existing, created=False)


def submission_create(
    *,
    newsroom: Newsroom,
    text: str,
    claimant: str,
    url: str,
    claim_date: datetime.date | None = None,
    language: str = "",
    note: str = "",
    idempotency_key: str = "",
) -> SubmissionResult:
    """Register a newsroom's claim as a received claim (triage is queued on commit).

    With an idempotency key, a second call with the same body returns the first
    submission and writes nothing; with another body it raises
    IdempotencyMismatch. Two concurrent calls with one key meet at
    the unique constraint: the loser's transaction rolls back and it returns the
    winner's submission.
    """
    fields = {
        "text": text,
        "claimant": claimant,
        "url": url,
        "claim_date": claim_date,
        "language": language,
        "note": note,
    }
    digest = request_hash(fields)
    answer = _existing_answer(newsroom, idempotency_key, digest)
    if answer:
        return answer
    try:
        with transaction.atomic():
            submission = _submission_insert(newsroom, fields, idempotency_key, digest)
    except IntegrityError:
        answer = _existing_answer(newsroom, idempotency_key, digest)
        if answer is None:
            raise
        return answer
    return SubmissionResult(submission, created=True)


def _submission_insert(
    newsroom: Newsroom, fields: dict[str, Any], key: str, digest: str
) -> Submission:
    claim_kwargs: dict[str, Any] = {}
    if fields["language"]:
        claim_kwargs["language"] = fields["language"]
    try:
        claim = claim_create(
            actor=None,
            text=fields["text"],
            claim_reviewed=claim_reviewed_from(fields["text"]),
            claimant=_claimant_for(fields["claimant"]),
            claim_date=fields["claim_date"],
            origin=ClaimOrigin.API,
            appearances=[
                {
                    "url": fields["url"],
                    "outlet": (urlsplit(fields["url"]).hostname or "")[:200],
                    "date": fields["claim_date"],
                }
            ],
            **claim_kwargs,
        )
        submission = Submission(
            newsroom=newsroom,
            claim=claim,
            text=fields["text"],
            claimant_name=fields["claimant"],
            url=fields["url"],
            claim_date=fields["claim_date"],
            language=fields["language"],
            note=fields["note"],
            idempotency_key=key,
            request_hash=digest,
        )
        submission.full_clean(validate_constraints=False)
    except ValidationError as exc:
        raise DomainError("invalid", _("The submission is not valid."), exc.message_dict) from exc
    submission.save(force_insert=True)
    return submission
