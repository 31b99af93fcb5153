"""OpenAPI links in the schema of /api/v1/: from each answer to the calls it leads to
(docs/api.md, "Links between answers").

A link says where the next call's parameters come from: the first fact-check of a page
to its detail, a detail to its ClaimReview and claimant, a submission's 202 to its
status, an ETag back into If-None-Match. schemathesis' stateful run chains calls along
them (tests/test_openapi.py), and client generators can offer them as methods.

Standard runtime expressions only (`$response.body#/...`, `$request.path.id`,
`$response.header.ETag`): a JSON pointer names one item, so a page links from its first
entry. Added by a drf-spectacular postprocessing hook, as drf-spectacular has no
per-view way to declare links.
"""

from typing import Any

from drf_spectacular.drainage import warn

# What a poller sends back in If-None-Match.
ETAG = "$response.header.ETag"


def _link(operation_id: str, description: str, parameters: dict[str, str]) -> dict[str, Any]:
    """A link to `operation_id`; `parameters` maps `location.name` of its parameters
    to where their values come from."""
    return {"operationId": operation_id, "description": description, "parameters": parameters}


# A claims/ page sent again with its ETag: the ETag is of the path and the query
# string, so the same query gets 304 while nothing changed.
_CLAIMS_POLL = {
    "header.If-None-Match": ETAG,
    **{
        f"query.{name}": f"$request.query.{name}"
        for name in (
            "rating",
            "claimant",
            "topic",
            "language",
            "q",
            "updated_since",
            "cursor",
            "page_size",
        )  # fmt: skip
    },
}

# (operationId, status) -> {link name: link}
LINKS: dict[tuple[str, str], dict[str, dict[str, Any]]] = {
    ("claims_list", "200"): {
        "FactCheck": _link(
            "claims_retrieve",
            "The first fact-check of the page.",
            {"path.id": "$response.body#/results/0/id"},
        ),
        "ClaimReview": _link(
            "claims_claimreview",
            "The ClaimReview of the first fact-check of the page.",
            {"path.id": "$response.body#/results/0/id"},
        ),
        "Claimant": _link(
            "claimants_retrieve",
            "Who made the claim of the first fact-check of the page.",
            {"path.slug": "$response.body#/results/0/claimant/slug"},
        ),
        "Poll": _link(
            "claims_list",
            "The same page with its ETag: 304 until something is published, corrected "
            "or withdrawn.",
            _CLAIMS_POLL,
        ),
    },
    ("claims_retrieve", "200"): {
        "ClaimReview": _link(
            "claims_claimreview", "Its ClaimReview.", {"path.id": "$request.path.id"}
        ),
        "Claimant": _link(
            "claimants_retrieve",
            "Who made the claim.",
            {"path.slug": "$response.body#/claimant/slug"},
        ),
        "ClaimsOfClaimant": _link(
            "claims_list",
            "The fact-checks of the same claimant.",
            {"query.claimant": "$response.body#/claimant/slug"},
        ),
        "ClaimsOfTopic": _link(
            "claims_list",
            "The fact-checks of its first topic.",
            {"query.topic": "$response.body#/topics/0/slug"},
        ),
        "ClaimsOfRating": _link(
            "claims_list",
            "The fact-checks with the same rating.",
            {"query.rating": "$response.body#/rating/slug"},
        ),
        "Poll": _link(
            "claims_retrieve",
            "The same fact-check with its ETag: 304 until it is corrected.",
            {"path.id": "$request.path.id", "header.If-None-Match": ETAG},
        ),
    },
    ("claims_claimreview", "200"): {
        "FactCheck": _link(
            "claims_retrieve", "The fact-check it reviews.", {"path.id": "$request.path.id"}
        ),
        "Poll": _link(
            "claims_claimreview",
            "The same ClaimReview with its ETag: 304 until the fact-check is corrected.",
            {"path.id": "$request.path.id", "header.If-None-Match": ETAG},
        ),
    },
    ("changes_list", "200"): {
        "FactCheck": _link(
            "claims_retrieve",
            "The fact-check of the first change (410 if it was withdrawn).",
            {"path.id": "$response.body#/results/0/claim_id"},
        ),
        "ClaimReview": _link(
            "claims_claimreview",
            "The ClaimReview of the fact-check of the first change.",
            {"path.id": "$response.body#/results/0/claim_id"},
        ),
        "Newer": _link(
            "changes_list",
            "What comes after the newest change: empty until something changes.",
            {"query.after": "$response.body#/last_seq"},
        ),
        "Poll": _link(
            "changes_list",
            "The same page with its ETag: 304 while the log has nothing new.",
            {
                "query.after": "$request.query.after",
                "query.page_size": "$request.query.page_size",
                "header.If-None-Match": ETAG,
            },
        ),
    },
    ("claimants_list", "200"): {
        "Claimant": _link(
            "claimants_retrieve",
            "The first claimant of the page.",
            {"path.slug": "$response.body#/results/0/slug"},
        ),
        "Claims": _link(
            "claims_list",
            "The fact-checks of the first claimant of the page.",
            {"query.claimant": "$response.body#/results/0/slug"},
        ),
    },
    ("claimants_retrieve", "200"): {
        "Claims": _link(
            "claims_list", "Its fact-checks.", {"query.claimant": "$request.path.slug"}
        ),
    },
    ("ratings_list", "200"): {
        "Claims": _link(
            "claims_list",
            "The fact-checks with the first rating of the scale.",
            {"query.rating": "$response.body#/results/0/slug"},
        ),
    },
    ("topics_list", "200"): {
        "Claims": _link(
            "claims_list",
            "The fact-checks of the first topic.",
            {"query.topic": "$response.body#/results/0/slug"},
        ),
    },
    ("submissions_create", "202"): {
        "Status": _link(
            "submissions_retrieve",
            "What became of the submission (its `status_url`, also in `Location`).",
            {"path.id": "$response.body#/id"},
        ),
    },
    ("submissions_retrieve", "200"): {
        "FactCheck": _link(
            "claims_retrieve",
            "The fact-check that answers it, once there is one.",
            {"path.id": "$response.body#/fact_check/id"},
        ),
    },
}


def add_links(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: put LINKS on the responses they start from.
    An operation or status not in the schema is a generator warning (the schema tests
    run with --fail-on-warn), not a link to nowhere."""
    responses = {
        operation.get("operationId"): operation.get("responses", {})
        for item in result.get("paths", {}).values()
        for operation in item.values()
        if isinstance(operation, dict)
    }
    for (operation_id, status), links in LINKS.items():
        response = responses.get(operation_id, {}).get(status)
        if response is None:
            warn(f"schema_links: no response {status} of {operation_id} to link from")
            continue
        missing = {link["operationId"] for link in links.values()} - set(responses)
        if missing:
            warn(f"schema_links: {operation_id} links to unknown {sorted(missing)}")
            continue
        response["links"] = links
    return result
