"""Writes of the publishing app: the public record of fact-checks, and the transparency
pages.

The workflow publishes through `publication_publish` and `publication_withdraw`, inside
its own transaction (`claims.hooks`, registered by `PublishingConfig.ready`): the
rendered rows and their change event commit with the verdict or not at all.

Only editors and admins change what the public reads about our methods, corrections and
funding; the admin asks `policy_page_may_edit` which pages to offer for editing, and
the services check it again, so a form posted by hand is refused too.
"""

import json
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from claims.models import Claim
from claims.roles import Role, roles_of
from factcheck.errors import DomainError
from publishing.changelog import change_events_record
from publishing.documents import Rendered, publication_preview, publications_render
from publishing.models import (
    ChangeEvent,
    ChangeType,
    PolicyKind,
    PolicyPage,
    Publication,
    PublicationTopic,
    PublishedVersion,
)

EDITING_ROLES = frozenset({Role.EDITOR, Role.ADMIN})


def policy_page_may_edit(actor: AbstractBaseUser | None) -> bool:
    return bool(roles_of(actor) & EDITING_ROLES)


def _check_may_edit(actor: AbstractBaseUser | None) -> None:
    if not policy_page_may_edit(actor):
        raise DomainError("forbidden", _("Only editors and admins may edit the policy pages."))


def _validate(page: PolicyPage) -> None:
    try:
        page.full_clean()
    except ValidationError as exc:
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        first = next(iter(fields.values()))[0]
        raise DomainError("invalid", str(first), fields) from None


def _save(page: PolicyPage, actor: AbstractBaseUser, update_fields: list[str] | None) -> None:
    # simple-history reads this to record who changed the page (outside a request too).
    page._history_user = actor
    page.save(update_fields=update_fields)


def policy_page_update(
    *, actor: AbstractBaseUser, page: PolicyPage, title: str, body: str
) -> PolicyPage:
    """Change a page's title and text; its history records the actor."""
    _check_may_edit(actor)
    with transaction.atomic():
        # Locked, so two editors saving at once leave two history rows in order.
        locked = PolicyPage.objects.select_for_update().get(pk=page.pk)
        locked.title, locked.body = (title or "").strip(), (body or "").strip()
        _validate(locked)
        _save(locked, actor, update_fields=["title", "body", "updated_at"])
    return locked


def policy_page_create(
    *, actor: AbstractBaseUser, kind: PolicyKind, title: str, body: str
) -> PolicyPage:
    """Put back a page that is missing (the data migration writes all three; this is for
    a database where one was removed by hand). A kind that exists is refused."""
    _check_may_edit(actor)
    with transaction.atomic():
        page = PolicyPage(kind=kind, title=(title or "").strip(), body=(body or "").strip())
        _validate(page)
        _save(page, actor, update_fields=None)
    return page


# --- The public record of fact-checks ------------------------------------------------


def publications_store(rendered: list[Rendered]) -> None:
    """Save rendered publications, their new versions and their change events (caller's
    transaction)."""
    PublishedVersion.objects.bulk_create(v for *_rest, versions in rendered for v in versions)
    updated = [p for p, *_rest in rendered if p.pk is not None]
    for publication in updated:
        publication.save(force_update=True)
    PublicationTopic.objects.filter(publication__in=updated).delete()
    # bulk_create sets primary keys on PostgreSQL and SQLite alike (RETURNING).
    Publication.objects.bulk_create([p for p, *_rest in rendered if p.pk is None])
    PublicationTopic.objects.bulk_create(
        PublicationTopic(publication=p, topic=slug)
        for p, topics, *_rest in rendered
        for slug in topics
    )
    change_events_record([_event(p, change) for p, _topics, change, _versions in rendered])


def _event(publication: Publication, change: str) -> ChangeEvent:
    document = json.loads(publication.document)
    corrections = document["corrections"]
    return ChangeEvent(
        claim=publication.claim,
        type=change,
        document=publication.document,
        content_hash=document["content_hash"],
        previous_hash=document["previous_hash"] or "",
        # A correction's public note; a first publication has none.
        reason=corrections[-1]["note"] if change == ChangeType.CORRECTED and corrections else "",
    )


def publication_publish(claim: Claim) -> Publication:
    """Publish or correct: render the claim's latest approved verdict and log it."""
    rendered = publications_render([claim.pk])
    publications_store(rendered)
    return rendered[0][0]


def publication_withdraw(claim: Claim) -> None:
    """Take the fact-check off every public surface; the log keeps the withdrawal.

    Earlier events of the claim lose their document too: withdrawn content must not
    stay readable through `changes/?after=0`. Their type and number stay, so the log
    keeps its shape and a poller that already read them gets the withdrawal next."""
    Publication.objects.filter(claim=claim).delete()
    ChangeEvent.objects.filter(claim=claim).exclude(document=None).update(document=None)
    last = claim.published_versions.order_by("-number").first()
    change_events_record(
        [
            ChangeEvent(
                claim=claim,
                type=ChangeType.WITHDRAWN,
                document=None,
                previous_hash=last.content_hash if last else "",
                reason=claim.status_note,
            )
        ]
    )


class WorkflowPublisher:
    """What the workflow calls inside its transaction (`claims.hooks.Publisher`)."""

    def publish(self, claim: Claim) -> None:
        publication_publish(claim)

    def withdraw(self, claim: Claim) -> None:
        publication_withdraw(claim)

    def preview(self, claim: Claim) -> tuple[dict[str, Any], dict[str, Any] | None]:
        return publication_preview(claim)
