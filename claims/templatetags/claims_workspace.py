"""The admin index's dashboard: the user's queues with their counts."""

from django import template
from django.utils.translation import gettext_lazy as _

from claims.admin.claim import queue_url, request_roles
from claims.policy import EDITOR_ROLES
from claims.selectors import Queue, workspace_counts

register = template.Library()


@register.simple_tag(takes_context=True)
def workspace_dashboard(context: template.Context) -> list[dict]:
    """Rows of (label, count, queue URL) for someone on the desk; [] for anyone else."""
    request = context.get("request")
    if request is None or not request_roles(request):
        return []
    counts = workspace_counts(user=request.user)
    rows = [
        (_("My open claims"), counts["mine"], Queue.MINE),
        (_("Overdue"), counts["overdue"], Queue.OVERDUE),
    ]
    if request_roles(request) & EDITOR_ROLES:
        rows.append(
            (_("Awaiting my approval"), counts["awaiting_approval"], Queue.AWAITING_APPROVAL)
        )
    rows.append(
        (_("Published this week"), counts["published_this_week"], Queue.PUBLISHED_THIS_WEEK)
    )
    return [
        {"label": label, "count": count, "url": queue_url(queue), "queue": queue}
        for label, count, queue in rows
    ]
