"""The claim list as the reviewers' queues: saved queues, filters, search, columns, and a
constant number of queries whatever the page size."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from claims.models import ClaimantAlias, ClaimStatus, Topic
from tests.factories import ClaimantFactory, ClaimFactory, TopicFactory, UserFactory

CHANGELIST = "admin:claims_claim_changelist"


def _listed(response) -> list[int]:
    return [claim.pk for claim in response.context["cl"].result_list]


def _make_claims(n: int, assignee, start: int = 0) -> None:
    statuses = [ClaimStatus.QUEUED, ClaimStatus.IN_REVIEW, ClaimStatus.IN_APPROVAL,
                ClaimStatus.PUBLISHED]  # fmt: skip
    topic = TopicFactory(slug="war", name="War")
    for i in range(start, start + n):
        claimant = ClaimantFactory(name=f"Claimant {i}", slug=f"claimant-{i}")
        ClaimantAlias.objects.create(claimant=claimant, name=f"Shoigu alias {i}")
        ClaimantAlias.objects.create(claimant=claimant, name=f"Shoigu other {i}")
        claim = ClaimFactory(
            claimant=claimant,
            status=statuses[i % len(statuses)],
            assignee=assignee if i % len(statuses) else None,
            due_at=timezone.now() + datetime.timedelta(hours=i - 2),
            priority=i % 7,
        )
        claim.topics.add(topic)


def _count_queries(client, url: str) -> tuple[int, int]:
    """(queries run, claims listed) for one page of the list."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), len(response.context["cl"].result_list)


@pytest.mark.parametrize(
    "query", ["", "?q=Shoigu", "?queue=mine", "?queue=awaiting_approval", "?overdue=no",
              "?topics__id__exact={topic}&status__exact=published"]
)  # fmt: skip
def test_claim_list_runs_the_same_number_of_queries_for_5_and_50_claims(
    client, editor, reviewer, query
):
    client.force_login(reviewer if "mine" in query else editor)
    _make_claims(5, reviewer)
    url = reverse(CHANGELIST) + query.format(topic=Topic.objects.get(slug="war").pk)
    few, listed_few = _count_queries(client, url)
    _make_claims(45, reviewer, start=5)  # 50 claims in all: one full page
    many, listed_many = _count_queries(client, url)
    assert listed_few < listed_many
    assert few == many


def test_search_by_alias_lists_each_claim_once(client, reviewer):
    claimant = ClaimantFactory(name="Alexander Lukashenko", slug="lukashenko")
    ClaimantAlias.objects.create(claimant=claimant, name="Lukashenka")
    ClaimantAlias.objects.create(claimant=claimant, name="Lukashenko, A.")
    claim = ClaimFactory(claimant=claimant, claim_reviewed="Ukraine will be 'ours'")
    ClaimFactory()  # Shoigu's, not found
    client.force_login(reviewer)
    response = client.get(reverse(CHANGELIST), {"q": "Lukashenk"})
    assert _listed(response) == [claim.pk]
    response = client.get(reverse(CHANGELIST), {"q": "ours"})
    assert _listed(response) == [claim.pk]


def test_queues_select_their_claims(client, editor, reviewer):
    past = timezone.now() - datetime.timedelta(hours=1)
    mine = ClaimFactory(status=ClaimStatus.IN_REVIEW, assignee=editor)
    unassigned = ClaimFactory(status=ClaimStatus.QUEUED)
    overdue = ClaimFactory(status=ClaimStatus.QUEUED, due_at=past)
    awaiting = ClaimFactory(status=ClaimStatus.IN_APPROVAL, assignee=reviewer)
    own_proposal = ClaimFactory(status=ClaimStatus.IN_APPROVAL, assignee=editor)
    published = ClaimFactory(status=ClaimStatus.PUBLISHED, due_at=past)
    client.force_login(editor)

    def queue(name: str) -> set[int]:
        return set(_listed(client.get(reverse(CHANGELIST), {"queue": name})))

    assert queue("mine") == {mine.pk, own_proposal.pk}
    assert queue("unassigned") == {unassigned.pk, overdue.pk}
    assert queue("awaiting_approval") == {awaiting.pk}  # never the editor's own verdict
    assert queue("overdue") == {overdue.pk}
    assert queue("published") == {published.pk}


def test_awaiting_approval_queue_is_offered_to_editors_only(client, editor, reviewer):
    client.force_login(reviewer)
    assert b"queue=awaiting_approval" not in client.get(reverse(CHANGELIST)).content
    client.force_login(editor)
    assert b"queue=awaiting_approval" in client.get(reverse(CHANGELIST)).content


def test_list_is_sorted_by_priority_then_due_date(client, editor):
    now = timezone.now()
    low = ClaimFactory(priority=10, due_at=now)
    high_late = ClaimFactory(priority=70, due_at=now + datetime.timedelta(hours=5))
    high_soon = ClaimFactory(priority=70, due_at=now + datetime.timedelta(hours=1))
    high_undated = ClaimFactory(priority=70, due_at=None)
    client.force_login(editor)
    response = client.get(reverse(CHANGELIST))
    assert _listed(response) == [high_soon.pk, high_late.pk, high_undated.pk, low.pk]


def test_columns_show_status_badge_and_current_rating(client, editor):
    ClaimFactory(status=ClaimStatus.PUBLISHED)
    client.force_login(editor)
    content = client.get(reverse(CHANGELIST)).content.decode()
    assert 'class="status-badge status-published"' in content
    assert ">Published</span>" in content
    assert '<td class="field-current_rating">False</td>' in content


def test_filters_by_priority_band_topic_and_assignee(client, editor, reviewer):
    topic = TopicFactory(slug="aid", name="Aid")
    high = ClaimFactory(priority=80, status=ClaimStatus.IN_REVIEW, assignee=reviewer)
    high.topics.add(topic)
    ClaimFactory(priority=5)
    client.force_login(editor)
    changelist = reverse(CHANGELIST)
    assert _listed(client.get(changelist, {"priority_band": "high"})) == [high.pk]
    assert _listed(client.get(changelist, {"topics__id__exact": topic.pk})) == [high.pk]
    assert _listed(client.get(changelist, {"assignee__id__exact": reviewer.pk})) == [high.pk]


def test_other_users_assignments_stay_out_of_my_queue(client, reviewer):
    someone = UserFactory(username="someone", roles=["Reviewer"])
    ClaimFactory(status=ClaimStatus.IN_REVIEW, assignee=someone)
    client.force_login(reviewer)
    assert _listed(client.get(reverse(CHANGELIST), {"queue": "mine"})) == []
