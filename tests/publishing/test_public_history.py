"""The public page's version list: only the versions a correction replaced, each with
its fingerprint, and the current version's fingerprint linking it to the one before."""

import json

import pytest
from django.urls import reverse

from claims import services
from claims.models import ClaimStatus
from publishing.models import Publication
from tests.factories import ClaimFactory, rating

pytestmark = pytest.mark.django_db


def page_of(claim) -> str:
    publication = Publication.objects.get(claim=claim)
    return reverse("factcheck-detail", kwargs={"pk": claim.pk, "slug": publication.slug})


def test_earlier_versions_lists_only_superseded_versions(client, editor, other_editor):
    claim = ClaimFactory(status=ClaimStatus.PUBLISHED)
    assert b"Earlier versions" not in client.get(page_of(claim)).content

    services.claim_correct(actor=editor, claim=claim, note="The ministry revised the figure.")
    claim.refresh_from_db()
    services.claim_propose(
        actor=claim.assignee, claim=claim, rating=rating("misleading"),
        summary="The revised figure is unverified too.", explanation="Still one source.",
    )  # fmt: skip
    services.claim_approve(actor=other_editor, claim=claim)
    document = json.loads(Publication.objects.get(claim=claim).document)
    html = client.get(page_of(claim)).content.decode()

    history = html.split("Earlier versions", 1)[1].split("</ol>", 1)[0]
    assert "Version 1" in history and "Version 2" not in history
    assert "cannot be checked independently" in history  # version 1's own summary
    assert document["history"][0]["content_hash"] in history
    assert document["content_hash"] in html and document["previous_hash"] in html
