"""schema.org ClaimReview for a published fact-check, and Google's rules for it.

Built from the public document (publishing/documents.py) when a fact-check is published;
a document that breaks a rule is refused there, with the rule named, before anything is
saved. The rules are those of Google's fact-check structured data documentation:
`claimReviewed`, `reviewRating` with `alternateName` and, for numbered ratings,
`worstRating` >= 1 < `bestRating` around `ratingValue`; `url` on this site;
`itemReviewed` a Claim with its author, appearances and date; `author` the
fact-checking organisation.
"""

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse

CONTEXT = "https://schema.org"
AUTHOR_TYPES = {"person": "Person", "organization": "Organization"}


def _rating(rating: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"@type": "Rating", "alternateName": rating["label"]}
    # Off-scale ratings (Unverifiable) carry a name and no number.
    if rating["value"] is not None:
        out.update(
            ratingValue=rating["value"], bestRating=rating["best"], worstRating=rating["worst"]
        )
    return out


def _claim_author(claimant: dict[str, Any], kind: str) -> dict[str, Any]:
    author: dict[str, Any] = {"@type": AUTHOR_TYPES.get(kind, "Person"), "name": claimant["name"]}
    if claimant["description"]:
        author["jobTitle" if kind == "person" else "description"] = claimant["description"]
    if claimant["same_as"]:
        author["sameAs"] = [claimant["same_as"]]
    return author


def _appearance(appearance: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"@type": "CreativeWork", "url": appearance["url"]}
    if appearance["outlet"]:
        out["publisher"] = {"@type": "Organization", "name": appearance["outlet"]}
    if appearance["date"]:
        out["datePublished"] = appearance["date"]
    return out


def claimreview_build(document: dict[str, Any], *, claimant_kind: str) -> dict[str, Any]:
    item: dict[str, Any] = {
        "@type": "Claim",
        "author": _claim_author(document["claimant"], claimant_kind),
        "appearance": [_appearance(a) for a in document["appearances"]],
    }
    # When the claim was made; failing a recorded date, when it first appeared.
    appeared = sorted(a["date"] for a in document["appearances"] if a["date"])
    claim_date = document["claim_date"] or (appeared[0] if appeared else None)
    if claim_date:
        item["datePublished"] = claim_date
    # IFCN transparency, as schema.org spells it on the fact-checker: the pages of the
    # publishing app, by URL name (claims does not import it).
    methodology = settings.SITE_URL + reverse("policy-methodology")
    return {
        "@context": CONTEXT,
        "@type": "ClaimReview",
        "url": document["public_url"],
        "claimReviewed": document["claim_reviewed"],
        "datePublished": document["published_at"],
        "dateModified": document["updated_at"],
        "inLanguage": document["language"],
        "author": {
            "@type": "Organization",
            "name": settings.FACTCHECK_ORG_NAME,
            "url": settings.FACTCHECK_ORG_URL,
            "publishingPrinciples": methodology,
            "correctionsPolicy": settings.SITE_URL + reverse("policy-corrections"),
            "ownershipFundingInfo": settings.SITE_URL + reverse("policy-about"),
            "verificationFactCheckingPolicy": methodology,
        },
        "reviewRating": _rating(document["rating"]),
        "itemReviewed": item,
    }


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _is_url(value: Any) -> bool:
    parts = urlsplit(value) if isinstance(value, str) else None
    return bool(parts and parts.scheme in {"http", "https"} and parts.netloc)


def _rating_problems(rating: Any) -> list[str]:
    if not isinstance(rating, dict) or rating.get("@type") != "Rating":
        return ["reviewRating must be a schema.org Rating"]
    problems = [] if _text(rating.get("alternateName")) else ["reviewRating.alternateName is empty"]
    numbers = [rating.get(k) for k in ("ratingValue", "worstRating", "bestRating")]
    if all(n is None for n in numbers):
        return problems
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in numbers):
        return [*problems, "ratingValue, worstRating and bestRating must all be whole numbers"]
    value, worst, best = numbers
    if worst < 1:
        problems.append("worstRating must be at least 1")
    if best <= worst:
        problems.append("bestRating must be greater than worstRating")
    if not worst <= value <= best:
        problems.append("ratingValue must lie between worstRating and bestRating")
    return problems


def _item_problems(item: Any) -> list[str]:
    if not isinstance(item, dict) or item.get("@type") != "Claim":
        return ["itemReviewed must be a schema.org Claim"]
    problems = []
    author = item.get("author")
    if not isinstance(author, dict) or author.get("@type") not in AUTHOR_TYPES.values():
        problems.append("itemReviewed.author must be a Person or an Organization")
    elif not _text(author.get("name")):
        problems.append("itemReviewed.author.name is empty")
    elif not all(_is_url(u) for u in author.get("sameAs", [])):
        problems.append("itemReviewed.author.sameAs must be URLs")
    appearances = item.get("appearance")
    if not appearances:
        problems.append("itemReviewed.appearance is empty: add where the claim appeared")
    elif not all(isinstance(a, dict) and _is_url(a.get("url")) for a in appearances):
        problems.append("every itemReviewed.appearance needs a URL")
    return problems


def claimreview_problems(review: dict[str, Any]) -> list[str]:
    """Every rule the document breaks, in words an editor can act on; [] when valid."""
    problems = []
    if review.get("@context") != CONTEXT or review.get("@type") != "ClaimReview":
        problems.append("not a schema.org ClaimReview")
    if not _text(review.get("claimReviewed")):
        problems.append("claimReviewed is empty")
    url = review.get("url")
    site = urlsplit(settings.SITE_URL).netloc
    if not _is_url(url) or urlsplit(url).netloc != site:
        problems.append(f"url must be a page on this site ({site})")
    for field in ("datePublished", "dateModified", "inLanguage"):
        if not _text(review.get(field)):
            problems.append(f"{field} is missing")
    author = review.get("author")
    if not isinstance(author, dict) or author.get("@type") != "Organization":
        problems.append("author must be the fact-checking Organization")
    elif not _text(author.get("name")):
        problems.append("author.name is empty")
    problems += _rating_problems(review.get("reviewRating"))
    problems += _item_problems(review.get("itemReviewed"))
    return problems
