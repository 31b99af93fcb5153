"""The admin index is the desk's dashboard: the user's queues with counts and links."""

import datetime
import re

from django.urls import reverse
from django.utils import timezone

from claims.models import ClaimStatus
from claims.selectors import workspace_counts
from tests.factories import ClaimFactory, UserFactory


def _dashboard(client) -> dict[str, tuple[str, int]]:
    """queue -> (link, count) as the index page shows them."""
    content = client.get(reverse("admin:index")).content.decode()
    rows = re.findall(
        r'<tr class="queue-(\w+)">\s*<th scope="row"><a href="([^"]+)">[^<]*</a></th>\s*'
        r'<td><a href="[^"]+">(\d+)</a></td>',
        content,
    )
    return {queue: (link, int(count)) for queue, link, count in rows}


def _desk(editor, reviewer) -> None:
    past = timezone.now() - datetime.timedelta(hours=2)
    ClaimFactory(status=ClaimStatus.IN_REVIEW, assignee=editor)
    ClaimFactory(status=ClaimStatus.IN_REVIEW, assignee=reviewer, due_at=past)
    ClaimFactory(status=ClaimStatus.QUEUED, due_at=past)
    ClaimFactory(status=ClaimStatus.IN_APPROVAL, assignee=reviewer)  # awaits the editor
    ClaimFactory(status=ClaimStatus.IN_APPROVAL, assignee=editor)  # the editor's own
    ClaimFactory(status=ClaimStatus.PUBLISHED)
    old = ClaimFactory(status=ClaimStatus.PUBLISHED)
    old.status_changed_at = timezone.now() - datetime.timedelta(days=8)
    old.save(update_fields=["status_changed_at"])


def test_editor_dashboard_counts_link_to_their_queues(client, editor, reviewer):
    _desk(editor, reviewer)
    client.force_login(editor)
    changelist = reverse("admin:claims_claim_changelist")
    assert _dashboard(client) == {
        "mine": (f"{changelist}?queue=mine", 2),
        "overdue": (f"{changelist}?queue=overdue", 2),
        "awaiting_approval": (f"{changelist}?queue=awaiting_approval", 1),
        "published_this_week": (f"{changelist}?queue=published_this_week", 1),
    }


def test_reviewer_dashboard_has_no_approval_row(client, editor, reviewer):
    _desk(editor, reviewer)
    client.force_login(reviewer)
    dashboard = _dashboard(client)
    assert set(dashboard) == {"mine", "overdue", "published_this_week"}
    assert dashboard["mine"][1] == 2  # in review (overdue) and in approval


def test_the_dashboard_links_open_the_queues_they_count(client, editor, reviewer):
    _desk(editor, reviewer)
    client.force_login(editor)
    for link, count in _dashboard(client).values():
        response = client.get(link)
        assert response.context["cl"].result_count == count, link


def test_outsider_sees_no_dashboard(client, outsider):
    client.force_login(outsider)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert b"workspace-dashboard" not in response.content


def test_site_header_names_the_organisation(client, editor, settings):
    client.force_login(editor)
    content = client.get(reverse("admin:index")).content.decode()
    assert settings.FACTCHECK_ORG_NAME in content


def test_workspace_counts_run_in_one_query(django_assert_num_queries, editor):
    ClaimFactory(status=ClaimStatus.IN_REVIEW, assignee=editor)
    with django_assert_num_queries(1):
        counts = workspace_counts(user=editor)
    assert counts["mine"] == 1


def test_published_this_week_starts_on_monday(reviewer):
    claim = ClaimFactory(status=ClaimStatus.PUBLISHED)
    monday = timezone.localdate() - datetime.timedelta(days=timezone.localdate().weekday())
    sunday_before = timezone.make_aware(
        datetime.datetime.combine(monday - datetime.timedelta(days=1), datetime.time(23, 0))
    )
    claim.status_changed_at = sunday_before
    claim.save(update_fields=["status_changed_at"])
    assert workspace_counts(user=UserFactory())["published_this_week"] == 0
