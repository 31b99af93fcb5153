"""Who may open and change what in the admin: a matrix of pages per persona.

A reviewer edits only the claims assigned to them (the others they may view); editors
and admins edit every claim; a staff user without a role sees nothing."""

import pytest
from django.test import Client
from django.urls import reverse

from claims.models import ClaimStatus, Evidence
from tests.admin_forms import change_form_data
from tests.admin_pages import messages_of
from tests.factories import ClaimFactory

ALLOWED = (200, 302)
FORBIDDEN = 403
SAVED, REFUSED = "saved", "refused"

PERSONAS = ["reviewer", "other_reviewer", "editor", "admin_user", "outsider"]

# page -> expected status per persona, in the order of PERSONAS.
EXPECTED: dict[str, tuple[int, ...]] = {
    "changelist":            (200, 200, 200, 200, 403),
    "add":                   (200, 200, 200, 200, 403),
    # "own" is assigned to `reviewer`, "other's" to `other_reviewer`.
    "change own claim":      (200, 200, 200, 200, 403),
    "change other's claim":  (200, 200, 200, 200, 403),
    # A POST is SAVED (the row changed), REFUSED (a redirect with an error message
    # and no change) or forbidden outright (403) to someone without a role.
    "POST change own claim": (SAVED, REFUSED, SAVED, SAVED, 403),
    "POST other's claim":    (REFUSED, SAVED, SAVED, SAVED, 403),
    "history":               (200, 200, 200, 200, 403),
    "evidence via inline":   (SAVED, REFUSED, SAVED, SAVED, 403),
    "ops queue page":        (403, 403, 200, 200, 403),
    "user admin":            (403, 403, 403, 200, 403),
}  # fmt: skip


@pytest.fixture
def claims(reviewer, other_reviewer):
    return {
        "own": ClaimFactory(status=ClaimStatus.IN_REVIEW, assignee=reviewer),
        "other": ClaimFactory(status=ClaimStatus.IN_REVIEW, assignee=other_reviewer),
    }


def _form_of(editor_client: Client, url: str) -> dict:
    return change_form_data(editor_client.get(url).content.decode())


def _walk(client: Client, editor_client: Client, claims: dict) -> dict[str, int]:
    own_url = reverse("admin:claims_claim_change", args=[claims["own"].pk])
    other_url = reverse("admin:claims_claim_change", args=[claims["other"].pk])
    results = {
        "changelist": client.get(reverse("admin:claims_claim_changelist")).status_code,
        "add": client.get(reverse("admin:claims_claim_add")).status_code,
        "change own claim": client.get(own_url).status_code,
        "change other's claim": client.get(other_url).status_code,
        "history": client.get(
            reverse("admin:claims_claim_history", args=[claims["own"].pk])
        ).status_code,
        "ops queue page": client.get(reverse("admin:ops_heartbeat_changelist")).status_code,
        "user admin": client.get(reverse("admin:auth_user_changelist")).status_code,
    }
    # Each POST starts from the page as it is now (a successful edit moves it on).
    data = {**_form_of(editor_client, own_url), "claim_reviewed": "Casualties above 90,000"}
    results["POST change own claim"] = _outcome(client, own_url, data, claims["own"])
    data = {**_form_of(editor_client, other_url), "claim_reviewed": "Casualties above 90k"}
    results["POST other's claim"] = _outcome(client, other_url, data, claims["other"])
    before = Evidence.objects.filter(claim=claims["own"]).count()
    data = {
        **_form_of(editor_client, own_url),
        "evidence-TOTAL_FORMS": "1",
        "evidence-0-url": "https://example.org/report",
        "evidence-0-title": "Casualty report",
        "evidence-0-stance": "refutes",
        "evidence-0-kind": "media_report",
        "evidence-0-claim": str(claims["own"].pk),
    }
    results["evidence via inline"] = _outcome(client, own_url, data, claims["own"])
    added = Evidence.objects.filter(claim=claims["own"]).count() - before
    assert added == (1 if results["evidence via inline"] == SAVED else 0)
    return results


def _outcome(client: Client, url: str, data: dict, claim) -> str | int:
    version = type(claim).objects.get(pk=claim.pk).version
    response = client.post(url, data, follow=True)
    if type(claim).objects.get(pk=claim.pk).version != version:
        return SAVED
    if response.status_code == 200 and any(
        "Nothing was changed" in m for m in messages_of(response)
    ):
        return REFUSED
    return response.status_code


@pytest.mark.parametrize("persona", PERSONAS)
def test_admin_pages_per_persona_match_the_expected_table(request, persona, claims, editor):
    user = request.getfixturevalue(persona)
    client, editor_client = Client(), Client()
    client.force_login(user)
    editor_client.force_login(editor)
    column = PERSONAS.index(persona)
    expected = {page: row[column] for page, row in EXPECTED.items()}
    actual = _walk(client, editor_client, claims)
    normalised = {page: (200 if code in ALLOWED else code) for page, code in actual.items()}
    wanted = {page: (200 if code in ALLOWED else code) for page, code in expected.items()}
    assert normalised == wanted, f"{persona}: {actual}"


def test_reviewer_sees_other_reviewers_claim_read_only(client, reviewer, other_reviewer):
    claim = ClaimFactory(status=ClaimStatus.IN_REVIEW, assignee=other_reviewer)
    client.force_login(reviewer)
    response = client.get(reverse("admin:claims_claim_change", args=[claim.pk]))
    assert response.status_code == 200
    assert b'name="claim_reviewed"' not in response.content
    assert b"View claim" in response.content


def test_reviewer_edits_claim_assigned_to_them(client, reviewer):
    claim = ClaimFactory(status=ClaimStatus.IN_REVIEW, assignee=reviewer)
    client.force_login(reviewer)
    response = client.get(reverse("admin:claims_claim_change", args=[claim.pk]))
    assert b'name="claim_reviewed"' in response.content


def test_reviewer_cannot_edit_unassigned_claim(client, reviewer):
    claim = ClaimFactory(status=ClaimStatus.QUEUED)
    client.force_login(reviewer)
    response = client.get(reverse("admin:claims_claim_change", args=[claim.pk]))
    assert response.status_code == 200
    assert b'name="claim_reviewed"' not in response.content
