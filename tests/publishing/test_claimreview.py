"""ClaimReview: every one the demo publishes passes an independent check of Google's
documented rules (fact-check structured data), written here as a JSON Schema; and
`claimreview_problems` refuses documents that break them."""

import copy
import json
import re

import jsonschema
import pytest
from django.conf import settings

from claims import services
from claims.models import Claim, ClaimStatus, VerdictStatus
from demo.data import seed_demo
from publishing.claimreview import claimreview_build, claimreview_problems
from publishing.models import Publication
from tests.factories import ClaimantFactory, ClaimFactory, VerdictFactory, rating

pytestmark = pytest.mark.django_db

DATE = r"^\d{4}-\d{2}-\d{2}$"
DATETIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
DATE_OR_DATETIME = f"({DATE})|({DATETIME})"
URL = r"^https?://[^\s/]+(/\S*)?$"
TEXT = {"type": "string", "pattern": r"\S"}
NUMBERS = ("ratingValue", "bestRating", "worstRating")
TRANSPARENCY = (
    "publishingPrinciples",
    "correctionsPolicy",
    "ownershipFundingInfo",
    "verificationFactCheckingPolicy",
)


def google_schema() -> dict:
    """Google's ClaimReview rules as a JSON Schema (developers.google.com/search/docs/
    appearance/structured-data/factcheck), plus the issue's: `url` is our public page,
    claimant `sameAs` are Wikidata pages, dates and language present."""
    site = re.escape(settings.SITE_URL.rstrip("/"))
    person_or_org = {
        "type": "object",
        "required": ["@type", "name"],
        "properties": {
            "@type": {"enum": ["Person", "Organization"]},
            "name": TEXT,
            "sameAs": {
                "type": "array",
                "minItems": 1,
                "items": {"type": "string", "pattern": r"^https://www\.wikidata\.org/wiki/Q\d+$"},
            },
        },
    }
    numbered = {
        "required": list(NUMBERS),
        "properties": {
            "ratingValue": {"type": "integer", "minimum": 1},
            "worstRating": {"type": "integer", "minimum": 1},
            "bestRating": {"type": "integer", "minimum": 2},
        },
    }
    unnumbered = {"not": {"anyOf": [{"required": [n]} for n in NUMBERS]}}
    return {
        "type": "object",
        "required": [
            "@context",
            "@type",
            "url",
            "claimReviewed",
            "reviewRating",
            "itemReviewed",
            "author",
            "datePublished",
            "dateModified",
            "inLanguage",
        ],  # fmt: skip
        "properties": {
            "@context": {"enum": ["https://schema.org", "http://schema.org"]},
            "@type": {"const": "ClaimReview"},
            "url": {"type": "string", "pattern": f"^{site}/factchecks/\\d+-[-a-z0-9]+/$"},
            "claimReviewed": {**TEXT, "maxLength": 75},
            "datePublished": {"type": "string", "pattern": DATE_OR_DATETIME},
            "dateModified": {"type": "string", "pattern": DATE_OR_DATETIME},
            "inLanguage": {"type": "string", "pattern": r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"},
            # IFCN transparency (issue 12): the fact-checker's policy pages on this site.
            "author": {
                "type": "object",
                "required": ["@type", "name", *TRANSPARENCY],
                "properties": {
                    "@type": {"const": "Organization"},
                    "name": TEXT,
                    **{
                        name: {"type": "string", "pattern": f"^{site}/about/([-a-z]+/)?$"}
                        for name in TRANSPARENCY
                    },
                },
            },
            "reviewRating": {
                "type": "object",
                "required": ["@type", "alternateName"],
                "properties": {"@type": {"const": "Rating"}, "alternateName": TEXT},
                # Unverifiable carries a name and no number; every other rating all three.
                "if": {"properties": {"alternateName": {"const": "Unverifiable"}}},
                "then": unnumbered,
                "else": numbered,
            },
            "itemReviewed": {
                "type": "object",
                "required": ["@type", "author", "appearance", "datePublished"],
                "properties": {
                    "@type": {"const": "Claim"},
                    "author": person_or_org,
                    "datePublished": {"type": "string", "pattern": DATE_OR_DATETIME},
                    "appearance": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["@type", "url"],
                            "properties": {
                                "@type": {"const": "CreativeWork"},
                                "url": {"type": "string", "pattern": URL},
                            },
                        },
                    },
                },
            },
        },
    }


def google_violations(review: dict) -> list[str]:
    """The schema's findings plus what JSON Schema cannot say: numbers in order."""
    validator = jsonschema.Draft202012Validator(google_schema())
    found = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(review)
    ]
    rating_ = review.get("reviewRating") or {}
    if all(isinstance(rating_.get(n), int) for n in NUMBERS):
        worst, value, best = (rating_[n] for n in ("worstRating", "ratingValue", "bestRating"))
        if not worst < best:
            found.append("bestRating must be greater than worstRating")
        if not worst <= value <= best:
            found.append("ratingValue must lie within worstRating and bestRating")
    return found


def test_every_demo_claimreview_meets_googles_rules(client):
    seed_demo()
    publications = list(Publication.objects.select_related("claim"))
    assert len(publications) == 9
    for publication in publications:
        review = json.loads(publication.claimreview)
        assert google_violations(review) == [], publication
        assert claimreview_problems(review) == []
        assert review["claimReviewed"] == publication.claim.claim_reviewed
        served = client.get(f"/api/v1/claims/{publication.claim_id}/claimreview/")
        assert served["Content-Type"] == "application/ld+json"
        assert served.json() == review
        # The page ClaimReview points at is the fact-check's own public page.
        document = json.loads(publication.document)
        assert review["url"] == document["public_url"]
        assert review["dateModified"] == document["updated_at"]
    labels = {json.loads(p.claimreview)["reviewRating"]["alternateName"] for p in publications}
    assert len(labels) > 1


def test_unverifiable_verdict_has_a_name_and_no_number(editor):
    # Proposed with the rating from the start: a proposed verdict is frozen (0010).
    claim = ClaimFactory(status=ClaimStatus.IN_REVIEW, claim_date="2023-09-01", evidence=[{}])
    VerdictFactory(
        claim=claim,
        author=claim.assignee,
        status=VerdictStatus.PROPOSED,
        rating=rating("unverifiable"),
    )
    Claim.objects.filter(pk=claim.pk).update(status=ClaimStatus.IN_APPROVAL)
    services.claim_approve(actor=editor, claim=claim)
    review = json.loads(Publication.objects.get(claim=claim).claimreview)
    assert review["reviewRating"] == {"@type": "Rating", "alternateName": "Unverifiable"}
    assert google_violations(review) == []


def test_claimant_is_a_person_or_an_organization_with_wikidata(editor):
    ministry = ClaimantFactory(
        name="Ministry of Defence", slug="mod", kind="organization", wikidata_id="Q1056290"
    )
    claim = ClaimFactory(status=ClaimStatus.IN_APPROVAL, claimant=ministry, claim_date="2023-01-02")
    services.claim_approve(actor=editor, claim=claim)
    author = json.loads(Publication.objects.get(claim=claim).claimreview)["itemReviewed"]["author"]
    assert author["@type"] == "Organization"
    assert author["name"] == "Ministry of Defence"
    assert author["sameAs"] == ["https://www.wikidata.org/wiki/Q1056290"]


def test_claim_date_falls_back_on_the_first_appearance(editor):
    """Google asks for the claim's date: without a claim date, when it first appeared."""
    claim = ClaimFactory(
        status=ClaimStatus.IN_APPROVAL,
        appearances=[
            {"url": "https://tass.com/b", "date": "2023-06-22"},
            {"url": "https://tass.com/a", "date": "2023-06-20"},
        ],
    )
    services.claim_approve(actor=editor, claim=claim)
    review = json.loads(Publication.objects.get(claim=claim).claimreview)
    assert review["itemReviewed"]["datePublished"] == "2023-06-20"
    assert google_violations(review) == []


# --- claimreview_problems refuses what breaks a rule -----------------------------------


def valid_review() -> dict:
    document = {
        "claim_reviewed": "Ukrainian casualties exceed 90,000 troops",
        "public_url": f"{settings.SITE_URL}/factchecks/7-ukrainian-casualties/",
        "published_at": "2024-01-02T10:00:00+00:00",
        "updated_at": "2024-01-03T10:00:00+00:00",
        "language": "en",
        "claim_date": "2023-06-20",
        "claimant": {
            "name": "Sergei Shoigu",
            "description": "Russian Defence Minister",
            "same_as": "https://www.wikidata.org/wiki/Q313463",
        },
        "appearances": [
            {"url": "https://tass.com/defense/1669335", "outlet": "TASS", "date": None}
        ],
        "rating": {"slug": "false", "label": "False", "value": 1, "best": 5, "worst": 1},
    }
    return claimreview_build(document, claimant_kind="person")


def test_the_valid_review_passes_both_checks():
    review = valid_review()
    assert claimreview_problems(review) == []
    assert google_violations(review) == []


def test_author_links_the_transparency_pages():
    author = valid_review()["author"]
    site = settings.SITE_URL
    assert author["publishingPrinciples"] == f"{site}/about/methodology/"
    assert author["verificationFactCheckingPolicy"] == f"{site}/about/methodology/"
    assert author["correctionsPolicy"] == f"{site}/about/corrections-policy/"
    assert author["ownershipFundingInfo"] == f"{site}/about/"


def _set(path: str, value):
    def mutate(review: dict) -> None:
        *parents, last = path.split(".")
        target = review
        for key in parents:
            target = target[key]
        if value is _DELETE:
            del target[last]
        else:
            target[last] = value

    return mutate


_DELETE = object()

BROKEN = {
    "no claimReviewed": (_set("claimReviewed", _DELETE), "claimReviewed is empty"),
    "blank claimReviewed": (_set("claimReviewed", "  "), "claimReviewed is empty"),
    "not a ClaimReview": (_set("@type", "Review"), "not a schema.org ClaimReview"),
    "url elsewhere": (_set("url", "https://evil.example/factchecks/7-x/"), "url must be a page"),
    "url not a url": (_set("url", "factchecks/7-x/"), "url must be a page"),
    "no datePublished": (_set("datePublished", _DELETE), "datePublished is missing"),
    "no dateModified": (_set("dateModified", _DELETE), "dateModified is missing"),
    "no inLanguage": (_set("inLanguage", ""), "inLanguage is missing"),
    "author a person": (_set("author.@type", "Person"), "author must be the fact-checking"),
    "author unnamed": (_set("author.name", ""), "author.name is empty"),
    "no rating": (_set("reviewRating", _DELETE), "reviewRating must be"),
    "no alternateName": (_set("reviewRating.alternateName", ""), "alternateName is empty"),
    "worst below 1": (_set("reviewRating.worstRating", 0), "worstRating must be at least 1"),
    "best not above worst": (_set("reviewRating.bestRating", 1), "bestRating must be greater"),
    "value above best": (_set("reviewRating.ratingValue", 6), "ratingValue must lie"),
    "value missing": (_set("reviewRating.ratingValue", _DELETE), "must all be whole numbers"),
    "value as text": (_set("reviewRating.ratingValue", "1"), "must all be whole numbers"),
    "value a boolean": (_set("reviewRating.ratingValue", True), "must all be whole numbers"),
    "item not a Claim": (_set("itemReviewed.@type", "Thing"), "itemReviewed must be"),
    "claimant a thing": (
        _set("itemReviewed.author.@type", "Thing"),
        "itemReviewed.author must be a Person or an Organization",
    ),
    "claimant unnamed": (_set("itemReviewed.author.name", " "), "author.name is empty"),
    "sameAs not a url": (
        _set("itemReviewed.author.sameAs", ["Q313463"]),
        "sameAs must be URLs",
    ),
    "no appearance": (_set("itemReviewed.appearance", []), "appearance is empty"),
    "appearance without url": (
        _set("itemReviewed.appearance", [{"@type": "CreativeWork"}]),
        "needs a URL",
    ),
}


@pytest.mark.parametrize("case", BROKEN)
def test_claimreview_problems_name_the_broken_rule(case):
    mutate, expected = BROKEN[case]
    review = copy.deepcopy(valid_review())
    mutate(review)
    problems = claimreview_problems(review)
    assert any(expected in p for p in problems), problems
    # The independent check agrees that the document is not publishable.
    assert google_violations(review) != []
