"""What the workflow tells the apps built on claims, inside its own transaction.

claims imports no app that depends on it (docs/architecture.md, "Layers"). Where a
workflow step owes another app's rows in the same transaction (an approval is published
with the verdict or not at all; an assignment owes the assignee an email), that app
registers a hook here from its `AppConfig.ready()`, once, at start-up. A hook that
raises refuses the step: the transaction rolls back with it.

This is configuration set at start-up, not state: every process registers the same
hooks from INSTALLED_APPS.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from claims.models import Claim


class Publisher(Protocol):
    """The publishing app, as the workflow sees it."""

    def publish(self, claim: "Claim") -> None:
        """Render and store the public version of the claim's approved verdict; raise
        WorkflowError to refuse the approval (an invalid ClaimReview, say)."""

    def withdraw(self, claim: "Claim") -> None:
        """Take the claim's fact-check out of the public record."""

    def preview(self, claim: "Claim") -> tuple[dict[str, Any], dict[str, Any] | None]:
        """The document as approving would publish it, and the one public now."""


AssignmentHook = Callable[..., Any]

_publisher: Publisher | None = None
_on_assignment: list[AssignmentHook] = []


def publisher_register(publisher: Publisher) -> None:
    global _publisher
    _publisher = publisher


def publisher() -> Publisher:
    """The registered publisher. Without one an approval could not be published, so
    the workflow refuses to run rather than approve into nowhere."""
    if _publisher is None:
        raise ImproperlyConfigured("No publisher registered: add 'publishing' to INSTALLED_APPS.")
    return _publisher


def assignment_hook_register(hook: AssignmentHook) -> None:
    """`hook(claim=..., assignee=...)` runs in the assignment's transaction whenever a
    claim is given to someone other than the person acting."""
    if hook not in _on_assignment:
        _on_assignment.append(hook)


def assigned(*, claim: "Claim", assignee: "AbstractBaseUser") -> None:
    for hook in _on_assignment:
        hook(claim=claim, assignee=assignee)
