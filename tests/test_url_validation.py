"""Web addresses are URIs (issue 13, point 8).

Django's URLValidator lets `https://example.org/a"b` through; published, it broke the
`format: uri` of the fact-check document (schemathesis). Every address people give -
a source, an appearance, a submission, a newsroom's site - is checked by one validator
(factcheck/validators.py): http or https, RFC 3986. A hostile address is refused with a
clear error, in the API and in the admin, and nothing is written."""

import json

import jsonschema_rs
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from claims import services
from claims.models import Appearance, Claim, ClaimStatus, Evidence, EvidenceKind, EvidenceStance
from claims.workflow import WorkflowError
from factcheck.validators import validate_web_url
from newsrooms.models import Newsroom, Submission
from newsrooms.services import token_create
from tests.admin_forms import change_form_data
from tests.factories import ClaimantFactory, ClaimFactory

pytestmark = pytest.mark.django_db

HOSTILE = [
    'https://example.org/a"b',  # what schemathesis found
    "https://example.org/a b",
    "https://example.org/<script>",
    "https://example.org/a>b",
    "https://example.org/a\\b",
    "https://example.org/a\x00b",
    "https://example.org/{a}|^`",
    "https://example.org/Київ",  # an IRI: percent-encode it
    "https://example.org/100%",  # a bare percent sign
    "https://example.org/#a#b",
    'https://exa"mple.org/',
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "ftp://example.org/file",  # not a web link
    "//example.org/no-scheme",
    "https://example.org/" + "a" * 2100,  # longer than any browser keeps
]
GOOD = [
    "https://example.org/",
    "http://example.org/path/to?q=1&r=a%20b#part",
    "https://www.bbc.co.uk/news/world-europe-66000000",
    "https://uk.wikipedia.org/wiki/%D0%9A%D0%B8%D1%97%D0%B2",
    "https://xn--d1abbgf6aiiy.xn--p1ai/",
    "https://example.org/a:b@c!$&'()*+,;=~._-",
]


@pytest.mark.parametrize("url", GOOD)
def test_web_addresses_are_accepted(url):
    validate_web_url(url)


@pytest.mark.parametrize("url", HOSTILE)
def test_hostile_addresses_are_refused_with_a_clear_message(url):
    with pytest.raises(ValidationError) as refused:
        validate_web_url(url)
    assert "web address" in refused.value.messages[0]


URI = jsonschema_rs.validator_for({"type": "string", "format": "uri"}, validate_formats=True)


@pytest.mark.parametrize("url", GOOD)
def test_what_is_accepted_is_a_uri_for_the_schema(url):
    """The published document says `format: uri`, checked as schemathesis checks it."""
    assert URI.is_valid(url)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=30))
def test_no_accepted_address_breaks_the_schemas_uri_format(tail):
    url = f"https://example.org/{tail}"
    try:
        validate_web_url(url)
    except ValidationError:
        return
    assert URI.is_valid(url), url


# --- Through the API ------------------------------------------------------------------------


@pytest.fixture
def submit_key(db):
    newsroom = Newsroom.objects.create(name="Kyiv Independent", slug="kyiv-independent")
    return token_create(newsroom=newsroom, scopes=["read", "submit"])[1]


def written() -> tuple[int, int, int]:
    return Submission.objects.count(), Claim.objects.count(), Appearance.objects.count()


@pytest.mark.parametrize("url", HOSTILE)
def test_api_refuses_a_hostile_address_and_writes_nothing(client, submit_key, url):
    before = written()

    response = client.post(
        "/api/v1/submissions/",
        json.dumps({"claim": "The bridge cost twice as much.", "claimant": "Vitali Klitschko",
                    "url": url}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {submit_key}",
    )  # fmt: skip

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], list(error["fields"])) == ("invalid", ["url"])
    assert written() == before


def test_services_refuse_what_the_api_pattern_would_have_caught(reviewer):
    """The services do not rely on the API's pattern: a caller that skips it (the
    admin, an import) meets the same rule."""
    claim = ClaimFactory(status=ClaimStatus.IN_REVIEW, assignee=reviewer)

    with pytest.raises(WorkflowError) as refused:
        services.evidence_add(
            actor=reviewer, claim=claim, url='https://example.org/a"b', title="Report",
            kind=EvidenceKind.RESEARCH, stance=EvidenceStance.CONTEXT,
        )  # fmt: skip
    with pytest.raises(WorkflowError):
        services.appearance_add(actor=reviewer, claim=claim, url="https://example.org/<x>")

    assert refused.value.code == "invalid" and list(refused.value.fields) == ["url"]
    assert not Evidence.objects.filter(claim=claim).exists()
    assert claim.appearances.count() == 1  # the factory's


# --- Through the admin ----------------------------------------------------------------------

# A NUL never reaches a form: the admin answers 400 (test_admin_refuses_a_nul_in_an_address).
ADMIN_HOSTILE = [u for u in HOSTILE if u != "//example.org/no-scheme" and "\x00" not in u] + [
    # The admin's URL field would read a missing scheme as http://: spelled out.
    "https:example.org/path",
]


@pytest.mark.parametrize("url", ADMIN_HOSTILE)
def test_admin_refuses_a_hostile_source_address_with_a_form_error(client, reviewer, url):
    claim = ClaimFactory(status=ClaimStatus.IN_REVIEW, assignee=reviewer)
    client.force_login(reviewer)
    page = reverse("admin:claims_claim_change", args=[claim.pk])
    data = change_form_data(client.get(page).content.decode())

    response = client.post(
        page,
        {**data, "evidence-TOTAL_FORMS": "1", "evidence-0-url": url,
         "evidence-0-title": "UN casualty report", "evidence-0-stance": "refutes",
         "evidence-0-kind": "official_data"},
    )  # fmt: skip

    assert response.status_code == 200
    (evidence,) = [
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.model is Evidence
    ]
    assert "url" in evidence.forms[0].errors
    assert not Evidence.objects.filter(claim=claim).exists()


def test_admin_refuses_a_nul_in_an_address(client, reviewer):
    claim = ClaimFactory(status=ClaimStatus.IN_REVIEW, assignee=reviewer)
    client.force_login(reviewer)
    page = reverse("admin:claims_claim_change", args=[claim.pk])
    data = change_form_data(client.get(page).content.decode())

    response = client.post(
        page,
        {**data, "evidence-TOTAL_FORMS": "1", "evidence-0-url": "https://example.org/a\x00b",
         "evidence-0-title": "UN casualty report", "evidence-0-stance": "refutes",
         "evidence-0-kind": "official_data"},
    )  # fmt: skip

    assert response.status_code == 400
    assert not Evidence.objects.filter(claim=claim).exists()


@pytest.mark.parametrize("url", ['https://example.org/say"hi"', "https://example.org/a b"])
def test_admin_refuses_a_hostile_appearance_on_a_new_claim(client, reviewer, url):
    claimant = ClaimantFactory()
    client.force_login(reviewer)
    page = reverse("admin:claims_claim_add")
    data = change_form_data(client.get(page).content.decode())

    response = client.post(
        page,
        {**data, "text": "The bridge cost twice as much.", "claim_reviewed": "Bridge cost",
         "claimant": claimant.pk, "language": "en", "appearances-TOTAL_FORMS": "1",
         "appearances-0-url": url, "appearances-0-outlet": "Example"},
    )  # fmt: skip

    assert response.status_code == 200
    (appearances,) = [
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.model is Appearance
    ]
    assert "url" in appearances.forms[0].errors
    assert not Claim.objects.exists()


def test_admin_refuses_a_newsroom_site_that_is_no_uri(client, editor):
    newsroom = Newsroom.objects.create(name="Hromadske", slug="hromadske")
    client.force_login(editor)
    page = reverse("admin:newsrooms_newsroom_change", args=[newsroom.pk])
    data = change_form_data(client.get(page).content.decode())

    response = client.post(page, {**data, "url": 'https://hromadske.ua/"news"'})

    assert response.status_code == 200
    assert "url" in response.context["adminform"].form.errors
    newsroom.refresh_from_db()
    assert newsroom.url == ""
