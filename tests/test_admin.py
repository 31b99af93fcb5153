"""Every admin page of our models opens, and the admin cannot bypass the workflow."""

import pytest
from django.contrib import admin
from django.urls import reverse

from claims.models import Claim, ClaimStatus
from tests.factories import ClaimFactory, UserFactory

OUR_APPS = {"claims", "reviewers", "newsrooms"}


@pytest.fixture
def superuser(db):
    user = UserFactory(username="super")
    user.is_superuser = True
    user.save()
    return user


def test_every_admin_changelist_and_add_page_opens(client, superuser):
    ClaimFactory(status=ClaimStatus.PUBLISHED)
    client.force_login(superuser)
    for model in admin.site._registry:
        if model._meta.app_label not in OUR_APPS:
            continue
        opts = model._meta
        for view in ("changelist", "add"):
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}")
            response = client.get(url)
            assert response.status_code in (200, 403), f"{url}: {response.status_code}"


def test_claim_change_page_shows_status_read_only(client, superuser):
    claim = ClaimFactory(status=ClaimStatus.IN_APPROVAL)
    client.force_login(superuser)
    response = client.get(reverse("admin:claims_claim_change", args=[claim.pk]))
    assert response.status_code == 200
    assert b'name="status"' not in response.content  # only the workflow changes a status
    assert b"In approval" in response.content


def test_claim_added_in_the_admin_is_received_and_queued_for_triage(
    client, reviewer, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr("claims.tasks.triage.delay", lambda claim_id: sent.append(claim_id))
    claimant = ClaimFactory().claimant
    client.force_login(reviewer)
    form = {
        "text": "Ukraine will still be ours.",
        "claim_reviewed": "Belarus's leader says Ukraine will be 'ours'",
        "claimant": claimant.pk,
        "language": "en",
        **{f"{p}-TOTAL_FORMS": "0" for p in ("appearances", "evidence", "verdicts")},
        **{f"{p}-INITIAL_FORMS": "0" for p in ("appearances", "evidence", "verdicts")},
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:claims_claim_add"), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    claim = Claim.objects.get(text="Ukraine will still be ours.")
    assert claim.status == ClaimStatus.RECEIVED
    assert claim.created_by == reviewer
    assert sent == [claim.pk]
    assert claim.history.get().history_user == reviewer
