"""The demo data: `seed_demo` walks the article's claims through the real workflow.

The `db` fixture wraps each test in a transaction that is never committed, so the triage
task that `claim_create` enqueues on commit is never sent: no broker is needed here.
"""

import json
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.test import RequestFactory, override_settings

from claims.models import (
    Appearance,
    Claim,
    Claimant,
    ClaimantAlias,
    ClaimStatus,
    Evidence,
    Topic,
    Verdict,
    VerdictStatus,
)
from demo.data import CLAIMS, DEMO_PASSWORD, DEMO_USERS, demo_claims, seed_demo
from publishing.models import Publication
from reviewers.models import ReviewerProfile

pytestmark = pytest.mark.django_db

NAMED_CLAIMS = [
    "90,000",
    "10 million",
    "2 million",
    "43.9",
    "$5 billion",
    "6.2 billion",
    "41%",
    "200,000",
    "run off",
    "still be ours",
    "putting pressure on us",
    "overwhelmingly voted to join",
    "stalemate",
]


def _counts() -> dict[str, int]:
    models = [
        Claim, Claim.history.model, Verdict, Evidence, Appearance, Claimant, ClaimantAlias,
        Topic, ReviewerProfile, get_user_model(),
    ]  # fmt: skip
    return {model.__name__: model.objects.count() for model in models}


@pytest.fixture
def seeded():
    return seed_demo()


def test_seeding_twice_creates_nothing_new(seeded):
    before = _counts()

    again = seed_demo()

    assert _counts() == before
    assert again.created == 0
    assert (again.claims, again.published, again.by_status) == (
        seeded.claims,
        seeded.published,
        seeded.by_status,
    )


def test_demo_has_at_least_twelve_claims_in_every_workflow_state(seeded):
    assert seeded.created == seeded.claims == len(CLAIMS) >= 12
    statuses = {claim.status for claim in demo_claims()}
    assert statuses == set(ClaimStatus.values)


def test_claims_reviewed_are_short(seeded):
    for claim in demo_claims():
        assert len(claim.claim_reviewed) <= 75, claim.claim_reviewed


@pytest.mark.parametrize("fragment", NAMED_CLAIMS)
def test_the_articles_named_claims_exist(seeded, fragment):
    assert (
        Claim.objects.filter(text__contains=fragment).exists()
        or Claim.objects.filter(claim_reviewed__contains=fragment).exists()
    )


def test_published_claims_have_evidence_and_a_four_eyes_approved_verdict(seeded):
    published = Claim.objects.filter(status=ClaimStatus.PUBLISHED)
    assert published.count() >= 8
    for claim in published:
        assert claim.evidence.exists(), claim
        assert claim.appearances.exists(), claim
        latest = claim.verdicts.approved().order_by("-version").first()
        assert latest is not None, claim
        assert latest.approved_by_id is not None
        assert latest.approved_by_id != latest.author_id
        assert latest.summary and latest.explanation


def test_a_correction_leaves_two_approved_versions(seeded):
    corrected = Claim.objects.get(claim_reviewed__contains="41%")
    approved = list(corrected.verdicts.approved().order_by("version"))
    assert [v.version for v in approved] == [1, 2]
    assert [v.rating.slug for v in approved] == ["true", "mostly-true"]
    assert approved[1].correction_note
    assert corrected.status == ClaimStatus.PUBLISHED


def test_claims_in_the_works_carry_the_matching_verdicts(seeded):
    in_approval = Claim.objects.get(status=ClaimStatus.IN_APPROVAL)
    assert in_approval.verdicts.get().status == VerdictStatus.PROPOSED
    in_review = Claim.objects.get(status=ClaimStatus.IN_REVIEW)
    sent_back, draft = in_review.verdicts.order_by("version")
    assert sent_back.status == VerdictStatus.REJECTED and sent_back.review_note
    assert draft.status == VerdictStatus.DRAFT


def test_closed_claims_carry_their_reasons(seeded):
    for status in (ClaimStatus.REJECTED, ClaimStatus.WITHDRAWN):
        assert Claim.objects.get(status=status).status_note
    duplicate = Claim.objects.get(status=ClaimStatus.DUPLICATE)
    assert duplicate.duplicate_of.status == ClaimStatus.PUBLISHED


@pytest.mark.parametrize(("username", "role", "password"), DEMO_USERS)
def test_demo_users_log_in_with_the_demo_password(seeded, username, role, password):
    assert password == DEMO_PASSWORD
    # A login always has a request: the login throttle (django-axes) counts by its address.
    request = RequestFactory().post("/admin/login/")
    user = authenticate(request, username=username, password=password)
    assert user is not None and user.is_staff
    assert user.groups.filter(name=role).exists()
    assert user.is_superuser == (username == "admin")


def test_reviewers_and_the_editor_have_profiles(seeded):
    for username in ("olena", "dmytro", "iryna"):
        profile = ReviewerProfile.objects.get(user__username=username)
        assert profile.languages == ["en", "uk", "ru"]
        assert profile.topics.exists()


def test_every_claim_has_history_with_the_acting_user(seeded):
    for claim in demo_claims():
        assert claim.history.filter(history_user__isnull=False).exists(), claim
    published = Claim.objects.filter(status=ClaimStatus.PUBLISHED).first()
    actors = set(published.history.values_list("history_user__username", flat=True))
    assert "iryna" in actors


def test_claimants_have_aliases_and_only_sure_wikidata_ids(seeded):
    zelenskyy = Claimant.objects.get(slug="volodymyr-zelenskyy")
    assert zelenskyy.wikidata_id == "Q3874799"
    assert zelenskyy.aliases.filter(name="Vladimir Zelensky").exists()
    assert (
        Claimant.objects.get(slug="alexander-lukashenko")
        .aliases.filter(name="Aliaksandr Lukashenka")
        .exists()
    )


@override_settings(DEBUG=True)
def test_command_prints_a_one_line_summary_and_is_idempotent():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=out)
    first, second = out.getvalue().splitlines()
    assert first.startswith(f"Demo: {len(CLAIMS)} claims (")
    assert first.split(";")[0] == second.split(";")[0]
    assert "0 claims created" in second


def test_command_refuses_to_create_demo_accounts_with_debug_off():
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")
    assert not get_user_model().objects.filter(username="admin").exists()

    call_command("seed_demo", "--force", stdout=StringIO())
    assert Claim.objects.count() == len(CLAIMS)


def test_a_newsroom_claimant_is_an_organization_in_its_claimreview():
    seed_demo()
    nbc = Claimant.objects.get(slug="nbc-news")
    assert nbc.kind == "organization"
    reviews = [json.loads(p.claimreview) for p in Publication.objects.filter(claimant=nbc.slug)]
    assert reviews, "the demo publishes NBC News claims"
    assert {r["itemReviewed"]["author"]["@type"] for r in reviews} == {"Organization"}
    assert Claimant.objects.get(slug="sergei-shoigu").kind == "person"
