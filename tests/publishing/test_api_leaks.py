"""Nothing unpublished leaks: a claim in every workflow state, walked against every
public endpoint. A claim's text shows iff it is published; a withdrawn one shows only
as a withdrawal (with no document) in the change log; draft and proposed verdicts,
review notes, internal notes and the desk's identities never show anywhere."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model

from claims import services
from claims.models import Claim, ClaimStatus
from publishing import changelog
from publishing.models import ChangeEvent
from tests.factories import ClaimantFactory, ClaimFactory, TopicFactory, rating

pytestmark = pytest.mark.django_db

STATES = [
    "received", "queued", "in_review", "in_approval", "published", "withdrawn",
    "rejected", "duplicate", "correcting",
]  # fmt: skip
# What may be public: the published claim and the one whose correction is in the works
# (its approved version stays public meanwhile).
PUBLIC = {"published", "correcting"}
SECRETS = [
    "zqdraftsummary", "zqdraftexplanation", "zqproposedsummary", "zqproposedexplanation",
    "zqreviewnote", "zqsentbacksummary", "zqcorrectionsummary", "zqrejectreason",
]  # fmt: skip


def marker(state: str) -> str:
    return f"zq{state.replace('_', '')}"


def claimant_for(state: str):
    return ClaimantFactory(name=f"Claimant {marker(state)}", slug=f"claimant-{marker(state)}")


def new_claim(state: str, status: str = ClaimStatus.QUEUED, **kwargs) -> Claim:
    claim = ClaimFactory(
        status=status,
        text=f"The statement {marker(state)} as it was made.",
        claim_reviewed=f"Claim {marker(state)}",
        claimant=claimant_for(state),
        **kwargs,
    )
    claim.topics.add(TopicFactory(slug="war", name="War"))
    return claim


@pytest.fixture
def world(reviewer, editor, other_editor):
    claims: dict[str, Claim] = {}
    claims["received"] = new_claim("received", ClaimStatus.RECEIVED)
    claims["queued"] = new_claim("queued")
    claims["in_review"] = new_claim("in_review", ClaimStatus.IN_REVIEW, assignee=reviewer)
    services.verdict_save_draft(
        actor=reviewer,
        claim=claims["in_review"],
        rating=rating("false"),
        summary="zqdraftsummary",
        explanation="zqdraftexplanation",
    )
    claims["in_approval"] = new_claim(
        "in_approval",
        ClaimStatus.IN_APPROVAL,
        assignee=reviewer,
        state__summary="zqproposedsummary",
        state__explanation="zqproposedexplanation",
    )

    # Published after a round trip: a proposal sent back with a review note, then a new
    # proposal approved. Neither the rejected text nor the note is public.
    published = new_claim(
        "published", ClaimStatus.IN_APPROVAL, assignee=reviewer, state__summary="zqsentbacksummary"
    )
    services.claim_send_back(actor=editor, claim=published, note="zqreviewnote")
    services.claim_propose(
        actor=reviewer,
        claim=published,
        rating=rating("misleading"),
        summary="The published summary.",
        explanation="The published explanation.",
    )
    services.claim_approve(actor=editor, claim=published)
    claims["published"] = published

    claims["withdrawn"] = new_claim("withdrawn", ClaimStatus.PUBLISHED, assignee=reviewer)
    services.claim_withdraw(actor=editor, claim=claims["withdrawn"], reason="Source retracted.")
    claims["rejected"] = new_claim("rejected")
    services.claim_reject(actor=editor, claim=claims["rejected"], reason="zqrejectreason")
    claims["duplicate"] = new_claim("duplicate")
    services.claim_merge(actor=editor, claim=claims["duplicate"], into=published)

    correcting = new_claim("correcting", ClaimStatus.PUBLISHED, assignee=reviewer)
    services.claim_correct(actor=editor, claim=correcting, note="A figure changed.")
    correcting.refresh_from_db()
    services.claim_propose(
        actor=reviewer,
        claim=correcting,
        rating=rating("true"),
        summary="zqcorrectionsummary",
        explanation="zqcorrectionsummary",
    )
    claims["correcting"] = correcting

    for state, claim in claims.items():
        services.claim_note_add(actor=reviewer, claim=claim, text=f"zqnote{marker(state)}")
    changelog.change_events_sequence()
    for state, claim in claims.items():
        claim.refresh_from_db()
        expected = {
            "published": ClaimStatus.PUBLISHED,
            "correcting": ClaimStatus.IN_APPROVAL,
        }.get(state, state)
        assert claim.status == expected, state
    return claims


def desk_identities() -> list[str]:
    users = get_user_model().objects.all()
    assert users.count() >= 4
    return [u.username for u in users] + [u.email for u in users]


def endpoint_urls(world: dict[str, Claim]) -> list[str]:
    urls = [
        "/api/v1/claims/",
        "/api/v1/claims/?topic=war",
        "/api/v1/claims/?language=en",
        "/api/v1/claims/?updated_since=2000-01-01T00:00:00Z",
        "/api/v1/changes/?after=0",
        "/api/v1/changes/?after=0&page_size=1000",
        "/api/v1/claimants/",
        "/api/v1/ratings/",
        "/api/v1/topics/",
        "/factchecks/",
        "/feeds/factchecks.rss",
        "/feeds/factchecks.atom",
        "/feeds/factchecks.rss?topic=war",
        "/feeds/factchecks.atom?topic=war",
    ]
    for slug in ("false", "misleading", "true", "unverifiable"):
        urls.append(f"/api/v1/claims/?rating={slug}")
    for state, claim in world.items():
        urls += [
            f"/api/v1/claims/{claim.pk}/",
            f"/api/v1/claims/{claim.pk}/claimreview/",
            f"/api/v1/claims/?claimant={claim.claimant.slug}",
            f"/api/v1/claims/?q={marker(state)}",
            f"/api/v1/claimants/{claim.claimant.slug}/",
            f"/factchecks/{claim.pk}-claim-{marker(state)}/",
            f"/feeds/factchecks.rss?claimant={claim.claimant.slug}",
            f"/feeds/factchecks.atom?claimant={claim.claimant.slug}",
        ]
    return urls


def test_no_endpoint_shows_unpublished_content_or_the_desk(client, world):
    forbidden = [marker(s) for s in STATES if s not in PUBLIC]
    forbidden += SECRETS + [f"zqnote{marker(s)}" for s in STATES] + desk_identities()
    for url in endpoint_urls(world):
        response = client.get(url)
        assert response.status_code < 500, url
        body = response.content.decode()
        # A feed's title and links repeat the filter the client sent: echoing the
        # client's own input reveals nothing, so it is taken out before the check.
        for values in parse_qs(urlsplit(url).query).values():
            for value in values:
                body = body.replace(value, "")
        for secret in forbidden:
            assert secret not in body, (url, secret)


def test_published_claims_show_and_nothing_else_does_in_the_list(client, world):
    public_ids = {world[s].pk for s in PUBLIC}
    listed = {d["id"] for d in client.get("/api/v1/claims/").json()["results"]}
    assert listed == public_ids
    body = client.get("/api/v1/claims/").content.decode()
    for state in PUBLIC:
        assert marker(state) in body


@pytest.mark.parametrize("state", STATES)
def test_detail_claimreview_and_filters_answer_iff_published(client, world, state):
    claim = world[state]
    is_public = state in PUBLIC
    # A withdrawn fact-check is gone (410, its reason only); the others never existed.
    status, code = (410, "withdrawn") if state == "withdrawn" else (404, "not_found")
    for url in (f"/api/v1/claims/{claim.pk}/", f"/api/v1/claims/{claim.pk}/claimreview/"):
        response = client.get(url)
        assert response.status_code == (200 if is_public else status), url
        if is_public:
            assert marker(state) in response.content.decode()
        else:
            assert response.json()["error"]["code"] == code
            assert marker(state) not in response.content.decode()
    for query in ({"claimant": claim.claimant.slug}, {"q": marker(state)}):
        found = [d["id"] for d in client.get("/api/v1/claims/", query).json()["results"]]
        assert found == ([claim.pk] if is_public else []), query
    claimant = client.get(f"/api/v1/claimants/{claim.claimant.slug}/")
    assert claimant.status_code == (200 if is_public else 404)


def test_claimants_list_only_those_with_published_fact_checks(client, world):
    slugs = {c["slug"] for c in client.get("/api/v1/claimants/").json()["results"]}
    assert slugs == {world[s].claimant.slug for s in PUBLIC}


def test_the_correction_in_the_works_keeps_the_old_version_public(client, world):
    document = client.get(f"/api/v1/claims/{world['correcting'].pk}/").json()
    assert document["version"] == 1
    assert document["rating"]["slug"] == "false"
    assert document["corrections"] == []


def test_change_log_shows_withdrawn_claims_only_as_withdrawals(client, world):
    events = client.get("/api/v1/changes/?after=0").json()["results"]
    by_claim: dict[int, list[tuple[str, bool]]] = {}
    for event in events:
        by_claim.setdefault(event["claim_id"], []).append(
            (event["type"], event["document"] is not None)
        )
    assert by_claim == {
        world["published"].pk: [("published", True)],
        world["correcting"].pk: [("published", True)],
        world["withdrawn"].pk: [("published", False), ("withdrawn", False)],
    }
    assert ChangeEvent.objects.filter(claim=world["withdrawn"]).exclude(document=None).count() == 0


def test_public_json_never_carries_desk_fields(client, world):
    documents = client.get("/api/v1/claims/").json()["results"]
    documents += [e["document"] for e in client.get("/api/v1/changes/").json()["results"]]
    text = json.dumps([d for d in documents if d])
    for field in ("author", "approved_by", "assignee", "review_note", "status_note", "notes"):
        assert f'"{field}"' not in text
