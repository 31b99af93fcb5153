"""The admin answers junk in ids, selections, filters and forms with a clear 400, 404 or
form error, and changes nothing (issue 13, point 3; the crawl of the integrity issue).

Each case here is one the admin crawl found as a 500; tests/fuzz/ finds such cases by
itself, these keep the replays readable."""

import pytest
from django.contrib.auth.models import Group

from claims.models import Claim, ClaimStatus
from reviewers.models import ReviewerProfile
from tests.admin_pages import action_url, change_url, form_data
from tests.factories import ClaimantFactory, ClaimFactory, TopicFactory, UserFactory

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"
CHANGELIST = "/admin/claims/claim/"


@pytest.fixture
def staff(client, admin_user):
    client.force_login(admin_user)
    return client


def test_nul_in_a_changelist_filter_is_a_400_with_a_message(staff):
    response = staff.get(CHANGELIST, {"status": "\x00"})
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


@pytest.mark.parametrize("query", [{"language": "\x00"}, {"q": "a\x00b"}, {"o": "\x00"}])
def test_nul_anywhere_in_the_query_is_refused(staff, query):
    assert staff.get(CHANGELIST, query).status_code == 400


@pytest.mark.parametrize("object_id", ["abc", "_00", HUGE, "\u0663", "1.5"])
def test_workflow_action_on_a_junk_id_is_a_404(staff, object_id):
    response = staff.post(f"{CHANGELIST}{object_id}/workflow/take/", {"version": "1"})
    assert response.status_code == 404


@pytest.mark.parametrize("object_id", ["abc", "_00", HUGE, "\u0663"])
@pytest.mark.parametrize("page", ["change", "delete", "history"])
def test_object_pages_on_a_junk_id_are_a_404(staff, object_id, page):
    assert staff.get(f"{CHANGELIST}{object_id}/{page}/").status_code == 404


def test_arabic_indic_digits_do_not_name_a_claim(staff):
    claim = ClaimFactory()
    digits = str(claim.pk).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert staff.get(f"{CHANGELIST}{digits}/change/").status_code == 404
    assert staff.get(change_url(claim)).status_code == 200


@pytest.mark.parametrize("selected", ["abc", HUGE, "-" + HUGE, "1e999", "\u0663"])
def test_bulk_action_on_junk_rows_is_a_400_and_rejects_nothing(staff, selected):
    claim = ClaimFactory(status=ClaimStatus.QUEUED)
    response = staff.post(
        CHANGELIST,
        {"action": "reject_selected", "_selected_action": [str(claim.pk), selected], "post": "yes"},
    )
    assert response.status_code == 400
    assert "select again" in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.QUEUED


def test_bulk_delete_of_groups_with_a_huge_id_is_a_400(staff):
    before = Group.objects.count()
    response = staff.post(
        "/admin/auth/group/",
        {"action": "delete_selected", "_selected_action": [HUGE], "post": "yes"},
    )
    assert response.status_code == 400
    assert Group.objects.count() == before


@pytest.mark.parametrize("year", [HUGE, "-" + HUGE, "0", "10000", "\u0663"])
def test_date_drill_down_past_any_date_is_a_400(staff, year):
    response = staff.get("/admin/reviewers/notice/", {"created_at__year": year})
    assert response.status_code == 400


def test_date_drill_down_to_a_real_year_still_works(staff):
    assert staff.get("/admin/reviewers/notice/", {"created_at__year": "2026"}).status_code == 200


@pytest.mark.parametrize("param", ["topics__id__exact", "assignee__id__exact", "assignee__in"])
def test_filter_on_an_id_past_64_bits_lists_nothing(staff, param):
    # Two of each, so that the admin shows (and applies) every filter.
    for slug in ("war", "economy"):
        ClaimFactory(assignee=UserFactory()).topics.add(TopicFactory(slug=slug, name=slug))
    response = staff.get(CHANGELIST, {param: HUGE})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []


def test_id_lookups_past_the_column_range_match_nothing():
    claim = ClaimFactory()
    assert list(Claim.objects.filter(pk__in=[int(HUGE), claim.pk])) == [claim]
    assert not Claim.objects.filter(pk__in=[int(HUGE)]).exists()
    assert not Claim.objects.filter(claimant__in=[-int(HUGE)]).exists()
    assert not Claim.objects.filter(topics__in=[int(HUGE)]).exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("claimant", junk) for junk in ["abc", HUGE, "1e999", "[1e999]", "_00"]]
    + [("topics", junk) for junk in [[HUGE], ["-" + HUGE], ["abc"]]],
)
def test_claim_form_with_a_junk_id_shows_the_form_error(client, reviewer, field, value):
    claim = ClaimFactory(status=ClaimStatus.IN_REVIEW, assignee=reviewer)
    client.force_login(reviewer)
    data = form_data(client.get(change_url(claim)))
    data[field] = value
    response = client.post(change_url(claim), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field]
    claim.refresh_from_db()
    assert claim.version == 1


def test_a_forged_count_of_thousands_of_sources_is_a_form_error(client, reviewer):
    claim = ClaimFactory(status=ClaimStatus.IN_REVIEW, assignee=reviewer)
    client.force_login(reviewer)
    data = form_data(client.get(change_url(claim)))
    data["evidence-TOTAL_FORMS"] = "100000"
    response = client.post(change_url(claim), data)
    assert response.status_code == 200
    assert not claim.evidence.exists()


@pytest.mark.parametrize(
    "languages", ["[" * 2000 + "]" * 2000, "[1e999]", '["\\u0000"]', "en, 1e999", "x" * 36]
)
def test_reviewer_profile_languages_refuse_what_is_no_tag(staff, languages):
    user = UserFactory(username="newcomer", roles=["Reviewer"])
    response = staff.post(
        "/admin/reviewers/reviewerprofile/add/",
        {"user": user.pk, "languages": languages, "capacity": "5", "active": "on"},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["languages"]
    assert not ReviewerProfile.objects.filter(user=user).exists()


def test_reviewer_profile_languages_are_typed_as_tags(staff):
    user = UserFactory(username="newcomer", roles=["Reviewer"])
    response = staff.post(
        "/admin/reviewers/reviewerprofile/add/",
        {"user": user.pk, "languages": "en, uk pt-BR", "capacity": "5", "active": "on"},
    )
    assert response.status_code == 302
    assert ReviewerProfile.objects.get(user=user).languages == ["en", "uk", "pt-BR"]


def test_a_reviewer_opening_verdict_or_evidence_add_gets_no_500(client, reviewer):
    claim = ClaimFactory(status=ClaimStatus.IN_REVIEW, assignee=reviewer)
    client.force_login(reviewer)
    for url in ("/admin/claims/verdict/add/", "/admin/claims/evidence/add/"):
        assert client.get(url).status_code == 403
        response = client.post(url, {"claim": claim.pk, "rating": "1", "url": "https://a.example"})
        assert response.status_code in {302, 403}
    assert not claim.verdicts.exists() and not claim.evidence.exists()


def test_a_take_on_a_real_claim_still_works(client, reviewer):
    claim = ClaimFactory(status=ClaimStatus.QUEUED)
    client.force_login(reviewer)
    response = client.post(action_url(claim, "take"), {"_version": claim.version})
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.assignee == reviewer


@pytest.mark.parametrize(
    ("initial", "total"), [("-1", "1"), ("2", "1"), ("abc", "1"), ("1", "\u0661"), ("1", "-1")]
)
def test_forged_inline_counts_are_a_400_and_save_nothing(staff, initial, total):
    claimant = ClaimantFactory(name="Sergei Shoigu")
    alias = claimant.aliases.create(name="Shoigu")
    url = f"/admin/claims/claimant/{claimant.pk}/change/"
    data = form_data(staff.get(url))
    data |= {"aliases-INITIAL_FORMS": initial, "aliases-TOTAL_FORMS": total}
    data |= {"aliases-0-id": alias.pk, "aliases-0-claimant": claimant.pk}
    response = staff.post(url, data)
    assert response.status_code == 400
    assert list(claimant.aliases.values_list("name", flat=True)) == ["Shoigu"]


def test_real_inline_counts_still_save(staff):
    claimant = ClaimantFactory(name="Sergei Shoigu")
    url = f"/admin/claims/claimant/{claimant.pk}/change/"
    data = form_data(staff.get(url))
    data |= {"aliases-TOTAL_FORMS": "1", "aliases-0-name": "Shoigu"}
    assert staff.post(url, data).status_code == 302
    assert list(claimant.aliases.values_list("name", flat=True)) == ["Shoigu"]
