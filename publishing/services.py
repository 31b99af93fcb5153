"""Writes of the publishing app: editing the transparency pages.

Only editors and admins change what the public reads about our methods, corrections and
funding; the admin asks `policy_page_may_edit` which pages to offer for editing, and
the services check it again, so a form posted by hand is refused too.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from claims.workflow import WorkflowError
from publishing.models import PolicyKind, PolicyPage
from reviewers.roles import Role, roles_of

EDITING_ROLES = frozenset({Role.EDITOR, Role.ADMIN})


def policy_page_may_edit(actor: AbstractBaseUser | None) -> bool:
    return bool(roles_of(actor) & EDITING_ROLES)


def _check_may_edit(actor: AbstractBaseUser | None) -> None:
    if not policy_page_may_edit(actor):
        raise WorkflowError("forbidden", _("Only editors and admins may edit the policy pages."))


def _validate(page: PolicyPage) -> None:
    try:
        page.full_clean()
    except ValidationError as exc:
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        first = next(iter(fields.values()))[0]
        raise WorkflowError("invalid", str(first), fields) from None


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
