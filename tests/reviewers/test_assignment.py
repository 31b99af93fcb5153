"""Automatic assignment of queued claims: matching, order, capacity, the switches."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from claims import services as claim_services
from claims.models import Claim, ClaimStatus
from reviewers import services
from reviewers.models import Notice, NoticeKind, QueueSettings
from reviewers.tasks import assign_queued
from tests.factories import ClaimFactory, TopicFactory, UserFactory
from tests.reviewers.conftest import make_profile, run_concurrently

S = ClaimStatus


@pytest.fixture
def casualties(db):
    return TopicFactory(name="Casualties", slug="casualties")


@pytest.fixture
def military_aid(db):
    return TopicFactory(name="Military aid", slug="military-aid")


def queued(*, topics=(), language="en", priority=0, age_minutes=0) -> Claim:
    claim = ClaimFactory(status=S.QUEUED, language=language, priority=priority)
    claim.topics.set(list(topics))
    created = timezone.now() - datetime.timedelta(minutes=age_minutes)
    Claim.objects.filter(pk=claim.pk).update(created_at=created)
    return claim


def assignee_of(claim: Claim):
    claim.refresh_from_db()
    return claim.assignee


def holding(user, count: int) -> None:
    """Give `user` `count` claims in review: their load."""
    for _ in range(count):
        ClaimFactory(status=S.IN_REVIEW, assignee=user)


# --- Matching -------------------------------------------------------------------------


def test_claim_goes_to_reviewer_who_shares_a_topic_and_reads_the_language(
    reviewer, other_reviewer, casualties, military_aid
):
    make_profile(reviewer, languages=["en", "uk"], topics=[military_aid])
    make_profile(other_reviewer, languages=["en"], topics=[casualties])
    claim = queued(topics=[casualties])

    assigned = services.queue_assign()

    assert assigned == [claim]
    claim.refresh_from_db()
    assert (claim.status, claim.assignee) == (S.IN_REVIEW, other_reviewer)


def test_reviewer_who_does_not_read_the_claims_language_gets_nothing(reviewer, other_reviewer):
    make_profile(reviewer, languages=["en"])
    make_profile(other_reviewer, languages=[])  # no languages listed: reads none
    claim = queued(language="uk")

    assert services.queue_assign() == []
    assert assignee_of(claim) is None


def test_languages_match_on_the_primary_subtag(reviewer):
    make_profile(reviewer, languages=["PT"])
    claim = queued(language="pt-BR")

    services.queue_assign()

    assert assignee_of(claim) == reviewer


def test_claim_without_topics_goes_to_any_reviewer_who_reads_it(reviewer, casualties):
    make_profile(reviewer, topics=[casualties])
    claim = queued(topics=[])

    services.queue_assign()

    assert assignee_of(claim) == reviewer


def test_reviewer_without_topics_is_a_generalist(reviewer, casualties):
    make_profile(reviewer, topics=[])
    claim = queued(topics=[casualties])

    services.queue_assign()

    assert assignee_of(claim) == reviewer


def test_specialist_gets_the_claim_before_an_equally_loaded_generalist(
    reviewer, other_reviewer, casualties
):
    make_profile(reviewer, topics=[])
    make_profile(other_reviewer, topics=[casualties])
    claim = queued(topics=[casualties])

    services.queue_assign()

    assert assignee_of(claim) == other_reviewer


def test_inactive_profiles_inactive_users_and_users_without_a_role_get_nothing(
    reviewer, other_reviewer, outsider
):
    make_profile(reviewer, active=False)
    make_profile(other_reviewer)
    other_reviewer.is_active = False
    other_reviewer.save()
    make_profile(outsider)
    claim = queued()

    assert services.queue_assign() == []
    assert assignee_of(claim) is None


def test_editors_with_a_profile_are_assigned_too(editor):
    make_profile(editor)
    claim = queued()

    services.queue_assign()

    assert assignee_of(claim) == editor


# --- Order and capacity ---------------------------------------------------------------


def test_least_loaded_reviewer_gets_the_claim(reviewer, other_reviewer):
    make_profile(reviewer, capacity=5)
    make_profile(other_reviewer, capacity=5)
    holding(reviewer, 2)
    holding(other_reviewer, 1)
    claim = queued()

    services.queue_assign()

    assert assignee_of(claim) == other_reviewer


def test_claims_in_approval_count_as_load_but_published_ones_do_not(reviewer, other_reviewer):
    make_profile(reviewer)
    make_profile(other_reviewer)
    ClaimFactory(status=S.IN_APPROVAL, assignee=reviewer)
    ClaimFactory(status=S.PUBLISHED, assignee=other_reviewer)
    ClaimFactory(status=S.PUBLISHED, assignee=other_reviewer)
    claim = queued()

    services.queue_assign()

    assert assignee_of(claim) == other_reviewer


def test_highest_priority_then_oldest_claim_is_assigned_first(reviewer):
    make_profile(reviewer, capacity=2)
    low_old = queued(priority=10, age_minutes=300)
    high_new = queued(priority=80, age_minutes=1)
    normal_old = queued(priority=40, age_minutes=200)
    normal_older = queued(priority=40, age_minutes=250)

    assigned = services.queue_assign()

    assert assigned == [high_new, normal_older]
    assert [assignee_of(c) for c in (normal_old, low_old)] == [None, None]


def test_claims_are_spread_over_reviewers_least_loaded_first(reviewer, other_reviewer):
    make_profile(reviewer)
    make_profile(other_reviewer)
    holding(reviewer, 1)
    claims = [queued(age_minutes=10 - i) for i in range(3)]

    services.queue_assign()

    # dmytro holds none and gets the first; then both hold one and the tie goes to the
    # lower user id (olena); then dmytro holds fewer again.
    assert [assignee_of(c) for c in claims] == [other_reviewer, reviewer, other_reviewer]


def test_capacity_is_never_exceeded(reviewer, other_reviewer):
    make_profile(reviewer, capacity=3)
    make_profile(other_reviewer, capacity=1)
    holding(reviewer, 1)
    claims = [queued(age_minutes=10 - i) for i in range(6)]

    assigned = services.queue_assign()

    assert len(assigned) == 3
    assert Claim.objects.filter(assignee=reviewer, status=S.IN_REVIEW).count() == 3
    assert Claim.objects.filter(assignee=other_reviewer, status=S.IN_REVIEW).count() == 1
    assert [assignee_of(c) for c in claims[3:]] == [None, None, None]
    # A second run finds nobody with room and changes nothing.
    assert services.queue_assign() == []


def test_reviewer_over_capacity_after_manual_assignment_gets_nothing_more(reviewer, editor):
    make_profile(reviewer, capacity=1)
    first, second = queued(age_minutes=2), queued(age_minutes=1)
    claim_services.claim_assign(actor=editor, claim=first, assignee=reviewer)
    holding(reviewer, 1)  # over capacity now: editors may do that, the system may not

    assert services.queue_assign() == []
    assert assignee_of(second) is None


def test_claim_that_nobody_can_take_does_not_hold_up_the_queue(reviewer):
    make_profile(reviewer, languages=["en"])
    ukrainian = queued(language="uk", priority=90)
    english = queued(language="en", priority=10)

    assert services.queue_assign() == [english]
    assert assignee_of(ukrainian) is None


# --- The actor, the audit trail and the notice ----------------------------------------


def test_auto_assignment_is_done_by_the_system_and_audited(reviewer):
    make_profile(reviewer)
    claim = queued()

    services.queue_assign()

    latest = claim.history.first()
    assert (latest.status, latest.assignee_id) == (S.IN_REVIEW, reviewer.pk)
    assert latest.history_user is None
    assert latest.history_change_reason == "assign"


def test_each_assignment_owes_the_reviewer_one_email(reviewer):
    make_profile(reviewer)
    claim = queued()

    services.queue_assign()
    services.queue_assign()

    notice = Notice.objects.get()
    assert (notice.claim, notice.kind, notice.recipient) == (claim, NoticeKind.ASSIGNMENT, reviewer)


# --- Switching it off -----------------------------------------------------------------


def test_setting_switches_auto_assignment_off(settings, reviewer):
    settings.FACTCHECK_AUTO_ASSIGN = False
    make_profile(reviewer)
    claim = queued()

    assert services.queue_assign() == []
    assert assignee_of(claim) is None
    assert Notice.objects.count() == 0


def test_editor_pauses_and_resumes_auto_assignment_in_the_admin(client, editor, reviewer):
    make_profile(reviewer)
    claim = queued()
    client.force_login(editor)
    url = reverse("admin:reviewers_queuesettings_change", args=[QueueSettings.load().pk])

    response = client.post(url, {"auto_assign": ""})
    assert response.status_code == 302
    assert services.queue_assign() == []
    assert assignee_of(claim) is None
    assert QueueSettings.load().updated_by == editor

    client.post(url, {"auto_assign": "on"})
    assert services.queue_assign() == [claim]


def test_the_setting_overrides_the_admin_switch(settings, reviewer):
    settings.FACTCHECK_AUTO_ASSIGN = False
    services.queue_settings_update(actor=reviewer, auto_assign=True)
    make_profile(reviewer)
    queued()

    assert services.queue_assign() == []


def test_manual_assignment_works_while_auto_assignment_is_off(settings, editor, reviewer):
    settings.FACTCHECK_AUTO_ASSIGN = False
    services.queue_settings_update(actor=editor, auto_assign=False)
    claim = queued()

    claim_services.claim_assign(actor=editor, claim=claim, assignee=reviewer)

    assert assignee_of(claim) == reviewer


def test_beat_task_assigns_and_reports_how_many(reviewer):
    make_profile(reviewer, capacity=2)
    for age in (3, 2, 1):
        queued(age_minutes=age)

    assert assign_queued.apply().get() == 2


# --- Concurrency ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_never_exceed_capacity_nor_assign_a_claim_twice():
    """Four runs at once (four beats, or workers picking up the same beat): on
    PostgreSQL they really overlap on row locks; on SQLite writes take turns."""
    reviewers = [UserFactory(username=f"rev{i}", roles=["Reviewer"]) for i in range(2)]
    make_profile(reviewers[0], capacity=3)
    make_profile(reviewers[1], capacity=2)
    claims = [queued(age_minutes=20 - i) for i in range(12)]

    results = run_concurrently(lambda: len(services.queue_assign()), threads=4)

    assert sum(results) == 5
    for user, capacity in zip(reviewers, (3, 2), strict=True):
        assert Claim.objects.filter(assignee=user).count() == capacity
    for claim in claims:
        assert claim.history.filter(history_change_reason="assign").count() <= 1
    assert Notice.objects.filter(kind=NoticeKind.ASSIGNMENT).count() == 5
    # Highest priority and oldest first: the five oldest went.
    assert {c.pk for c in claims[:5]} == set(
        Claim.objects.filter(status=S.IN_REVIEW).values_list("pk", flat=True)
    )
