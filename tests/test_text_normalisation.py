"""Invisible and direction-changing characters in what people type (issue 13, point 7).

A claimant "\\u200b\\u200b" must not become an invisible claimant, "Sergei\\u200bShoigu"
must find the Sergei Shoigu who exists, and a right-to-left override in a claim must not
turn the page's next words around: user text is normalised where it is written
(factcheck/text.py) and isolated with <bdi> where it is shown."""

import json
import re
from html.parser import HTMLParser

import jsonschema_rs
import pytest
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from claims import services
from claims.models import (
    Claim,
    Claimant,
    ClaimantAlias,
    ClaimNote,
    ClaimStatus,
    EvidenceKind,
    EvidenceStance,
)
from claims.workflow import WorkflowError
from factcheck.text import VISIBLE, clean_line, clean_text, has_visible
from newsrooms.api.schema import REQUIRED_TEXT_PATTERN
from newsrooms.models import Newsroom, Submission
from newsrooms.services import token_create
from publishing.documents import public_path
from publishing.models import Publication
from tests.admin_forms import change_form_data
from tests.factories import ClaimantFactory, ClaimFactory, rating

pytestmark = pytest.mark.django_db

RLO, PDF, ZWSP, ZWNJ, ZWJ, LRI, PDI = (
    "\u202e",
    "\u202c",
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2066",
    "\u2069",
)
SUBMISSIONS = "/api/v1/submissions/"
BODY = {
    "claim": "The minister said the army recruited 300,000 contract soldiers this year.",
    "claimant": "Sergei Shoigu",
    "url": "https://example.org/news/recruits",
    "language": "en",
}


# --- The rules -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        (f"Sergei{ZWSP}Shoigu", "Sergei Shoigu"),  # a zero-width space separates words
        (f"{ZWSP}{ZWSP}", ""),
        (f"Price {RLO}pu 5%{PDF}", "Price pu 5%"),  # overrides and embeddings go
        (f"{LRI}Shoigu{PDI}", "Shoigu"),  # isolates too
        ("Sergei\u200eShoigu\u200f", "SergeiShoigu"),  # and the bidi marks
        ("Ser\u00adgei\ufeff Sho\u2060igu", "Sergei Shoigu"),  # soft hyphen, BOM, WJ
        ("Sergei\x00 \x07Shoigu", "Sergei Shoigu"),  # control characters
        ("\u3164", ""),  # a Hangul filler shows nothing
        ("a\U000e0041\U000e0042", "a\ufffd\ufffd"),  # tags smuggling text: shown as such
        ("  Sergei \t\n Shoigu\u00a0 ", "Sergei Shoigu"),  # one line, one space
        ("Cafe\u0301", "Café"),  # NFC: one spelling
        ("ภาษา\u200bไทย", "ภาษาไทย"),  # no space where the script has none
        (f"Ser{ZWJ}gei{ZWNJ}", "Sergei"),  # joiners have no business in Latin
    ],
)
def test_one_line_text_loses_what_does_not_show(typed, stored):
    assert clean_line(typed) == stored


@pytest.mark.parametrize(
    "text",
    [
        f"می{ZWNJ}خواهم",  # Persian: ZWNJ between joining letters
        f"क्{ZWJ}ष",  # Devanagari: ZWJ after a virama (a half form)
        f"ക്{ZWJ}",  # Malayalam chillu
        f"👨{ZWJ}👩{ZWJ}👧",  # an emoji ZWJ sequence
        "❤\ufe0f",  # emoji presentation
        "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",  # Scotland's flag
        "ᠮᠣᠩᠭᠣᠯ\u180eᠠ",  # Mongolian vowel separator
        "مرحبا بالعالم",  # right-to-left text itself stays
    ],
)
def test_what_real_text_needs_is_kept(text):
    assert clean_line(text) == text
    assert clean_text(text) == text


def test_text_keeps_its_lines_and_tabs():
    assert clean_text(f"First line\r\nsecond\u2028third{RLO}\n\tindented  ") == (
        "First line\nsecond\nthird\n\tindented"
    )


many = st.text(
    alphabet=st.one_of(
        st.sampled_from(
            list("\u200b\u200c\u200d\u200e\u202e\u2066\ufe0f\u180e\u1820\u094d\u0915\u0645")
            + list("\u06cc\u0e01 \t\n\r\x00\u00ad\u3164😀👨🏴\U000e0067\U000e007f\u0301a\u2028")
        ),
        st.characters(),
    ),
    max_size=40,
)


@settings(max_examples=500, deadline=None)
@given(many)
def test_normalised_text_is_stable_and_empty_only_without_a_visible_character(typed):
    """What the API schema states (`VISIBLE`) is what the server refuses: a value is
    normalised to nothing exactly when it has no visible character."""
    for clean in (clean_line, clean_text):
        stored = clean(typed)
        assert clean(stored) == stored
        assert bool(stored) == has_visible(typed) == bool(re.search(VISIBLE, typed))
    # The API refuses a NUL as before; anything else it accepts once normalised.
    accepted = "\x00" not in typed and bool(clean_line(typed))
    assert bool(re.search(REQUIRED_TEXT_PATTERN, typed)) == accepted


# --- Through the API: the submissions endpoint -----------------------------------------


@pytest.fixture
def submit_key(db):
    newsroom = Newsroom.objects.create(name="Kyiv Independent", slug="kyiv-independent")
    return token_create(newsroom=newsroom, scopes=["read", "submit"])[1]


def submit(client, key: str, **changes: str):
    return client.post(
        SUBMISSIONS,
        json.dumps({**BODY, **changes}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )


def written() -> tuple[int, int, int]:
    return Submission.objects.count(), Claim.objects.count(), Claimant.objects.count()


def test_submission_with_an_invisible_claimant_is_refused_and_writes_nothing(client, submit_key):
    before = written()

    response = submit(client, submit_key, claimant=f"{ZWSP}{ZWSP}")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == ["claimant"]
    assert "visible" in error["fields"]["claimant"][0]
    assert written() == before


def test_submission_with_a_zero_width_lookalike_resolves_to_the_existing_claimant(
    client, submit_key
):
    shoigu = ClaimantFactory()
    before = Claimant.objects.count()

    response = submit(client, submit_key, claimant=f"Sergei{ZWSP}Shoigu")

    assert response.status_code == 202, response.content
    claim = Submission.objects.get(pk=response.json()["id"]).claim
    assert claim.claimant == shoigu
    assert Claimant.objects.count() == before


def test_lookalike_with_a_stray_joiner_resolves_to_the_alias_it_imitates(client, submit_key):
    shoigu = ClaimantFactory()
    ClaimantAlias.objects.create(claimant=shoigu, name="Сергей Шойгу")

    response = submit(client, submit_key, claimant=f"Серг{ZWJ}ей Шойгу\ufe0f")

    assert response.status_code == 202, response.content
    assert Submission.objects.get(pk=response.json()["id"]).claim.claimant == shoigu


def test_submitted_claim_and_note_are_stored_without_direction_controls(client, submit_key):
    response = submit(
        client, submit_key, claim=f"Recruits {RLO}000,003{PDF} this year", note=f"{LRI}x{PDI}"
    )

    assert response.status_code == 202, response.content
    submission = Submission.objects.get(pk=response.json()["id"])
    assert submission.claim.text == submission.text == "Recruits 000,003 this year"
    assert submission.note == "x"


def test_a_new_claimant_is_created_under_the_normalised_name(client, submit_key):
    response = submit(client, submit_key, claimant=f" Valerii{ZWSP}{RLO}Zaluzhnyi ")

    assert response.status_code == 202, response.content
    claimant = Submission.objects.get(pk=response.json()["id"]).claim.claimant
    assert (claimant.name, claimant.slug) == ("Valerii Zaluzhnyi", "valerii-zaluzhnyi")


def test_the_schema_states_that_a_required_field_needs_a_visible_character(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    request = json.loads(schema.content)["components"]["schemas"]["SubmissionRequestRequest"]
    for field in ("claim", "claimant"):
        pattern = request["properties"][field]["pattern"]
        assert pattern == REQUIRED_TEXT_PATTERN
        # What schemathesis checks with: an ECMA-262 pattern, read the same.
        schema = jsonschema_rs.validator_for({"type": "string", "pattern": pattern})
        assert schema.is_valid(" \u202eШ") and not schema.is_valid("\u200b\ufeff")
        assert re.search(pattern, "Shoigu") and re.search(pattern, " \u202eШ ")
        for invisible in ("a\x00", f" {ZWSP}\t", f"{RLO}{LRI}\u00ad\x00", "\ufe0f\u3164\ufeff"):
            assert not re.search(pattern, invisible)


# --- Through the admin -------------------------------------------------------------------


def _add_claimant(client, name: str):
    url = reverse("admin:claims_claimant_add")
    data = change_form_data(client.get(url).content.decode())
    return client.post(url, {**data, "name": name, "slug": "new-claimant", "kind": "person"})


def test_admin_refuses_a_claimant_with_an_invisible_name(client, reviewer):
    client.force_login(reviewer)

    response = _add_claimant(client, f"{ZWSP}{ZWSP}")

    assert response.status_code == 200
    assert "visible" in " ".join(response.context["adminform"].form.errors["name"])
    assert not Claimant.objects.exists()


def test_admin_stores_a_zero_width_lookalike_under_its_visible_name(client, reviewer):
    client.force_login(reviewer)

    response = _add_claimant(client, f"Sergei{ZWSP}Shoigu{RLO}")

    assert response.status_code == 302, response.context["adminform"].form.errors
    # Found by anyone who searches for the name, as the duplicate it is.
    assert Claimant.objects.get(slug="new-claimant").name == "Sergei Shoigu"


def test_admin_refuses_a_claim_whose_summary_is_only_invisible(client, reviewer):
    claimant = ClaimantFactory()
    client.force_login(reviewer)
    url = reverse("admin:claims_claim_add")
    data = change_form_data(client.get(url).content.decode())

    response = client.post(
        url,
        {**data, "text": f"{RLO}{ZWSP}", "claim_reviewed": "\u2066\u2069",
         "claimant": claimant.pk, "language": "en"},
    )  # fmt: skip

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"text", "claim_reviewed"}
    assert not Claim.objects.exists()


def test_evidence_added_on_the_claim_page_is_stored_normalised(client, reviewer):
    claim = ClaimFactory(status=ClaimStatus.IN_REVIEW, assignee=reviewer)
    client.force_login(reviewer)
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    data = change_form_data(client.get(url).content.decode())

    response = client.post(
        url,
        {**data, "evidence-TOTAL_FORMS": "1", "evidence-0-url": "https://example.org/report",
         "evidence-0-title": f"UN{ZWSP}report {RLO}", "evidence-0-publisher": f"{ZWSP}",
         "evidence-0-stance": "refutes", "evidence-0-kind": "official_data"},
    )  # fmt: skip

    assert response.status_code == 302
    evidence = claim.evidence.get()
    assert (evidence.title, evidence.publisher) == ("UN report", "")


# --- The services ------------------------------------------------------------------------


def test_services_refuse_a_reason_or_note_made_only_of_invisible_characters(reviewer, editor):
    claim = ClaimFactory(status=ClaimStatus.QUEUED)

    with pytest.raises(WorkflowError) as refused:
        services.claim_reject(actor=editor, claim=claim, reason=f"{ZWSP}{RLO}")
    assert refused.value.code == "invalid"
    with pytest.raises(WorkflowError):
        services.claim_note_add(actor=reviewer, claim=claim, text="\u2066\ufeff")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.QUEUED
    assert not ClaimNote.objects.exists()


def test_services_store_the_verdict_and_sources_normalised(reviewer):
    claim = ClaimFactory(status=ClaimStatus.IN_REVIEW, assignee=reviewer)

    evidence = services.evidence_add(
        actor=reviewer, claim=claim, url="https://example.org/a", title=f"Title{RLO}",
        kind=EvidenceKind.RESEARCH, stance=EvidenceStance.CONTEXT, quote=f"a{ZWSP}\r\nb",
    )  # fmt: skip
    draft = services.verdict_save_draft(
        actor=reviewer, claim=claim, rating=rating("false"), summary=f"{LRI}Not so{PDI}",
        explanation="Because\u2029so.",
    )  # fmt: skip

    evidence.refresh_from_db()
    draft.refresh_from_db()
    assert (evidence.title, evidence.quote) == ("Title", "a\nb")
    assert (draft.summary, draft.explanation) == ("Not so", "Because\nso.")


# --- Shown isolated --------------------------------------------------------------------


class Isolation(HTMLParser):
    """Each text of the page with the elements it is inside of."""

    VOID = {"meta", "link", "br", "img", "input", "hr"}

    def __init__(self, html: str):
        super().__init__()
        self.stack: list[tuple[str, dict]] = []
        self.texts: list[tuple[str, list[tuple[str, dict]]]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        self.texts.append((data, list(self.stack)))

    def isolating(self, needle: str) -> list[str]:
        """The isolating elements around each text containing `needle`."""
        found = []
        for data, stack in self.texts:
            if needle in data:
                found.append(
                    next(
                        (t for t, a in reversed(stack) if t == "bdi" or a.get("dir") == "auto"),
                        "",
                    )
                )
        return found


def test_right_to_left_override_in_a_claim_is_shown_inside_bdi_on_the_public_page(client):
    """A document published before the normalisation (published versions are never
    rewritten) still carries its override: the page isolates it."""
    claim = ClaimFactory(
        status=ClaimStatus.PUBLISHED,
        text=f"Recruits: {RLO}000,003",
        claim_reviewed=f"Shoigu on {RLO}recruits",
        claimant=ClaimantFactory(name=f"Sergei {RLO}Shoigu"),
    )
    publication = Publication.objects.get(claim=claim)

    response = client.get(public_path(claim.pk, publication.slug))

    assert response.status_code == 200
    page = Isolation(response.content.decode())
    texts = [data for data, _stack in page.texts if RLO in data]
    assert any("000,003" in text for text in texts)
    assert page.isolating("000,003") == ["bdi"]
    # Everywhere it is shown in the body, each piece of user text is isolated (the
    # <title> is plain text: there the override is removed).
    for data, stack in page.texts:
        if RLO in data and stack[-1][0] != "script":  # the JSON-LD is data, not shown
            assert any(t == "bdi" or a.get("dir") == "auto" for t, a in stack), (data, stack)
            assert "title" not in [t for t, _a in stack], data


def test_the_index_isolates_each_claim_and_claimant(client):
    claim = ClaimFactory(status=ClaimStatus.PUBLISHED, claim_reviewed=f"{RLO}Shoigu on recruits")

    response = client.get(reverse("factcheck-index"))

    page = Isolation(response.content.decode())
    assert page.isolating("Shoigu on recruits") == ["bdi"]
    assert page.isolating(claim.claimant.name) == ["bdi"]


# --- Names stored before ------------------------------------------------------------------


def test_migration_normalises_the_claimant_names_stored_before():
    from importlib import import_module

    from django.apps import apps

    # Written as they could be before: straight to the table, past full_clean().
    lookalike = Claimant.objects.create(name=f"Sergei{ZWSP}Shoigu{RLO}", slug="lookalike")
    invisible = Claimant.objects.create(name=f"{ZWSP}{ZWSP}", slug="claimant-2")
    ClaimantAlias.objects.create(claimant=lookalike, name="Sergei Shoigu")
    ClaimantAlias.objects.create(claimant=lookalike, name=f"Sergei{ZWSP} Shoigu")
    ClaimantAlias.objects.create(claimant=lookalike, name=f"{LRI}Шойгу{PDI}")
    ClaimantAlias.objects.create(claimant=invisible, name="\u3164")

    import_module("claims.migrations.0011_normalise_claimant_names").normalise_names(apps, None)

    lookalike.refresh_from_db()
    invisible.refresh_from_db()
    assert lookalike.name == "Sergei Shoigu"
    assert invisible.name == "claimant-2"
    assert sorted(lookalike.aliases.values_list("name", flat=True)) == ["Sergei Shoigu", "Шойгу"]
    assert not invisible.aliases.exists()


def test_a_claim_stored_before_is_published_as_its_row_has_it(editor):
    """A transition validates the claim's text but does not normalise it in memory: the
    document would then differ from the row, and verify_publications would say so."""
    from publishing.integrity import publications_verify

    claim = ClaimFactory(status=ClaimStatus.IN_APPROVAL)
    Claim.objects.filter(pk=claim.pk).update(text=f"Stored{ZWSP}before the fix")

    services.claim_approve(actor=editor, claim=claim)

    document = json.loads(Publication.objects.get(claim=claim).document)
    assert document["claim"] == f"Stored{ZWSP}before the fix"
    assert publications_verify()[2] == []
