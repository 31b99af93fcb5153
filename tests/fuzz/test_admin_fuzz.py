"""Every admin page, as every persona, with generated hostile input: never a 5xx.

Drives each registered model admin's changelist (its filters, search, ordering, date
drill-down), its bulk actions, its object pages (change, delete, history, the claim
workflow) with junk ids, its add and change forms with one to three fields replaced by
hostile values (management forms included), and the autocomplete endpoint. Runs on
SQLite and PostgreSQL like the rest of the suite; `make fuzz` runs ten times the
examples with new random draws (docs/security.md).
"""

import datetime

import pytest
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from claims.models import ClaimStatus
from newsrooms.models import Digest, Newsroom, Subscription
from newsrooms.services import token_create
from ops.models import Heartbeat, ParkedTask
from reviewers.models import Notice, NoticeKind
from tests.admin_pages import form_data
from tests.factories import ClaimantFactory, ClaimFactory, UserFactory
from tests.fuzz.client import answer, query_string
from tests.fuzz.hostile import (
    FORM_SHAPES,
    ID_SHAPES,
    OBJECT_ID,
    PARAM_SHAPES,
    VALUE,
    fuzz_settings,
)

pytestmark = pytest.mark.django_db

MODELS = sorted(model._meta.label for model in admin.site._registry)
PERSONAS = ["anonymous", "outsider", "reviewer", "editor", "admin"]
# Query parameters every changelist reads, besides its own filters.
CHANGELIST_PARAMS = ["q", "o", "p", "e", "all", "_facets", "_popup", "_to_field", "id__exact"]


FIELD_VALUE = st.one_of(VALUE, st.lists(VALUE, min_size=1, max_size=3))


def pick(data, choices: list):
    """One of `choices`, drawn as an index: the lists come from the database, which
    earlier examples change, and Hypothesis needs its draws to stay the same shape."""
    return choices[data.draw(st.integers(min_value=0, max_value=10**6)) % len(choices)]


def model_admin(label: str):
    return next(ma for model, ma in admin.site._registry.items() if model._meta.label == label)


@pytest.fixture
def desk(db):
    """A desk with a row of every kind the admin shows, and a logged-in client for each
    persona."""
    reviewer = UserFactory(username="olena", roles=["Reviewer"])
    editor = UserFactory(username="iryna", roles=["Editor"])
    root = UserFactory(username="root", roles=["Admin"])
    outsider = UserFactory(username="visitor", roles=[])
    claimant = ClaimantFactory(name="Sergei Shoigu")
    claimant.aliases.create(name="Shoigu")
    claims = {
        status: ClaimFactory(status=status, claimant=claimant, assignee=None)
        for status in (ClaimStatus.RECEIVED, ClaimStatus.QUEUED, ClaimStatus.REJECTED)
    }
    for status in (
        ClaimStatus.IN_REVIEW,
        ClaimStatus.IN_APPROVAL,
        ClaimStatus.PUBLISHED,
        ClaimStatus.WITHDRAWN,
    ):
        claims[status] = ClaimFactory(status=status, claimant=claimant, state__author=reviewer)
    newsroom = Newsroom.objects.create(name="Kyiv Independent", slug="kyiv-independent")
    token_create(newsroom=newsroom, scopes=["read", "submit"], name="CMS")
    subscription = Subscription.objects.create(
        email="anna@example.org", start_seq=0, next_digest_at=timezone.now()
    )
    Digest.objects.create(subscription=subscription, first_seq=1, last_seq=1)
    Notice.objects.create(
        claim=claims[ClaimStatus.IN_REVIEW], kind=NoticeKind.ASSIGNMENT, recipient=reviewer
    )
    ParkedTask.objects.create(task_id="t1", name="claims.triage", args=[1], deliveries=3)
    Heartbeat.objects.create(name="celery@a", at=timezone.now() - datetime.timedelta(hours=1))
    clients = {"anonymous": Client()}
    for name, user in {
        "outsider": outsider, "reviewer": reviewer, "editor": editor, "admin": root,
    }.items():  # fmt: skip
        clients[name] = Client()
        clients[name].force_login(user)
    return {"clients": clients, "root": root, "claims": claims}


def admin_request(desk, path: str = "/admin/"):
    request = RequestFactory().get(path)
    request.user = desk["root"]
    return request


def filter_params(desk, label: str) -> list[str]:
    """The query parameters the changelist's filters and date drill-down read."""
    ma = model_admin(label)
    request = admin_request(desk, reverse(f"admin:{_info(label)}_changelist"))
    changelist = ma.get_changelist_instance(request)
    names = [p for spec in changelist.filter_specs for p in spec.expected_parameters()]
    if ma.date_hierarchy:
        names += [f"{ma.date_hierarchy}__{part}" for part in ("year", "month", "day")]
    return (
        names
        + CHANGELIST_PARAMS
        + [f"{name}__in" for name in ma.list_filter if isinstance(name, str)]
    )


def _info(label: str) -> str:
    return label.lower().replace(".", "_")


def object_ids(label: str) -> list[str]:
    model = next(m for m in admin.site._registry if m._meta.label == label)
    return [str(pk) for pk in model._default_manager.values_list("pk", flat=True)[:8]]


@pytest.mark.parametrize("label", MODELS)
@given(data=st.data())
@fuzz_settings(examples=12)
def test_changelists_answer_hostile_queries(desk, label, data):
    client = desk["clients"][data.draw(st.sampled_from(PERSONAS))]
    names = filter_params(desk, label)
    query = data.draw(query_string(names, VALUE))
    answer(client, "get", reverse(f"admin:{_info(label)}_changelist"), query=query)


@pytest.mark.parametrize("label", MODELS)
@given(data=st.data())
@fuzz_settings(examples=10)
def test_bulk_actions_refuse_hostile_selections(desk, label, data):
    ma = model_admin(label)
    actions = list(ma.get_actions(admin_request(desk)))
    client = desk["clients"][data.draw(st.sampled_from(PERSONAS))]
    real = object_ids(label)
    selected = [
        data.draw(OBJECT_ID) if data.draw(st.booleans()) else pick(data, real or ["1"])
        for _ in range(data.draw(st.integers(min_value=1, max_value=3)))
    ]
    post = {
        "action": data.draw(st.one_of(st.sampled_from(actions or ["delete_selected"]), VALUE)),
        "_selected_action": selected,
        "index": data.draw(st.sampled_from(["0", "1", "-1", "abc", "99999999999999999999"])),
    }
    if data.draw(st.booleans()):
        post["select_across"] = data.draw(st.sampled_from(["1", "0", "abc", "\x00"]))
    if data.draw(st.booleans()):
        post["post"] = "yes"  # the confirmation step of delete_selected and the like
    answer(client, "post", reverse(f"admin:{_info(label)}_changelist"), data=post)


def _object_paths(label: str, object_id: str) -> list[str]:
    base = f"/admin/{label.replace('.', '/').lower()}/{quote(object_id)}"
    paths = [f"{base}/change/", f"{base}/delete/", f"{base}/history/", f"{base}/history/1/"]
    if label == "claims.Claim":
        paths += [f"{base}/workflow/{a}/" for a in ("take", "propose", "approve", "note", "x")]
    return paths


@pytest.mark.parametrize("label", MODELS)
@given(data=st.data())
@fuzz_settings(examples=12)
def test_object_pages_answer_junk_ids(desk, label, data):
    client = desk["clients"][data.draw(st.sampled_from(PERSONAS))]
    object_id = (
        data.draw(OBJECT_ID) if data.draw(st.booleans()) else pick(data, object_ids(label) or ["1"])
    )
    path = data.draw(st.sampled_from(_object_paths(label, object_id)))
    method = data.draw(st.sampled_from(["get", "post"]))
    post = {"post": "yes", "confirmation": data.draw(VALUE)} if method == "post" else None
    answer(client, method, path, data=post)


def page_form_data(response) -> dict:
    """The POST data of a rendered admin add or change page, with an extra row of each
    inline filled in (empty), so that the inlines' own fields are posted too."""
    data = form_data(response)
    for inline in response.context.get("inline_admin_formsets") or []:
        empty = inline.formset.empty_form
        for name in empty.fields:
            data.setdefault(empty[name].html_name.replace("__prefix__", "0"), "")
    return data


@pytest.mark.parametrize("label", MODELS)
@given(data=st.data())
@fuzz_settings(examples=15)
def test_forms_refuse_hostile_values(desk, label, data):
    # Everything drawn before any request: what the pages answer depends on what
    # earlier examples wrote, and Hypothesis needs the same draws for the same case.
    persona = data.draw(st.sampled_from(PERSONAS[1:]))
    page_index = data.draw(st.integers(min_value=0, max_value=4))
    replaced = [
        (data.draw(st.integers(min_value=0, max_value=10**6)), data.draw(FIELD_VALUE))
        for _ in range(data.draw(st.integers(min_value=1, max_value=3)))
    ]
    client = desk["clients"][persona]
    info = _info(label)
    ids = object_ids(label)
    if label == "claims.Claim":
        ids = [str(claim.pk) for claim in desk["claims"].values()]
    urls = [reverse(f"admin:{info}_add")] + [
        reverse(f"admin:{info}_change", args=[pk]) for pk in ids[:4]
    ]
    url = urls[page_index % len(urls)]
    page = answer(client, "get", url)
    if page.status_code != 200 or "adminform" not in (page.context or {}):
        return  # the persona may not open this form: refused, which is the right answer
    post = page_form_data(page)
    names = sorted(post) or ["name"]
    for index, value in replaced:
        post[names[index % len(names)]] = value
    answer(client, "post", url, data=post)


@given(data=st.data())
@fuzz_settings(examples=40)
def test_autocomplete_answers_hostile_terms(desk, data):
    client = desk["clients"][data.draw(st.sampled_from(PERSONAS))]
    target = data.draw(
        st.sampled_from(
            [
                ("claims", "claim", "claimant"),
                ("newsrooms", "newsroomtoken", "newsroom"),
                ("claims", "claim", "topics"),
            ]
        )
    )
    params = dict(zip(["app_label", "model_name", "field_name"], target, strict=True))
    params = {name: data.draw(st.one_of(st.just(value), VALUE)) for name, value in params.items()}
    params["term"] = data.draw(VALUE)
    params["page"] = data.draw(st.one_of(st.just("1"), VALUE))
    query = "&".join(f"{k}={quote_value(v)}" for k, v in params.items())
    answer(client, "get", reverse("admin:autocomplete"), query=query)


def quote_value(value: str) -> str:
    from urllib.parse import quote as url_quote

    return url_quote(value, safe="")


# --- The sweep: every parameter and field with every shape, as the admin -------------------


def sweep(client, requests) -> list[str]:
    """Send each (method, path, query, data) and return what answered 5xx or raised."""
    failures = []
    for method, path, query, post in requests:
        try:
            answer(client, method, path, query=query, data=post)
        except AssertionError as exc:
            failures.append(str(exc).splitlines()[0][:300])
    return failures


def assert_none_failed(failures: list[str]) -> None:
    assert not failures, f"{len(failures)} requests failed:\n" + "\n".join(failures)


@pytest.mark.parametrize("label", MODELS)
def test_sweep_changelist_parameters(desk, label):
    from urllib.parse import quote as url_quote

    path = reverse(f"admin:{_info(label)}_changelist")
    requests = [
        ("get", path, f"{url_quote(name, safe='')}={url_quote(shape, safe='')}", None)
        for name in filter_params(desk, label)
        for shape in PARAM_SHAPES
    ]
    assert_none_failed(sweep(desk["clients"]["admin"], requests))


@pytest.mark.parametrize("label", MODELS)
def test_sweep_object_ids_and_selections(desk, label):
    path = reverse(f"admin:{_info(label)}_changelist")
    actions = list(model_admin(label).get_actions(admin_request(desk))) or ["delete_selected"]
    requests = [("get", p, "", None) for shape in ID_SHAPES for p in _object_paths(label, shape)]
    requests += [
        ("post", path, "", {"action": action, "_selected_action": [shape], "index": "0"})
        for action in actions
        for shape in ID_SHAPES
    ]
    requests += [
        ("post", path, "", {"action": action, "_selected_action": [shape], "post": "yes"})
        for action in actions
        for shape in ID_SHAPES
    ]
    assert_none_failed(sweep(desk["clients"]["admin"], requests))


@pytest.mark.parametrize("label", MODELS)
def test_sweep_form_fields(desk, label):
    client = desk["clients"]["admin"]
    info = _info(label)
    ids = object_ids(label)
    if label == "claims.Claim":
        ids = [str(desk["claims"][ClaimStatus.IN_REVIEW].pk)]
    requests = []
    for url in [reverse(f"admin:{info}_add")] + [
        reverse(f"admin:{info}_change", args=[pk]) for pk in ids[:1]
    ]:
        page = answer(client, "get", url)
        if page.status_code != 200 or "adminform" not in (page.context or {}):
            continue
        base = page_form_data(page)
        requests += [
            ("post", url, "", {**base, name: shape})
            for name in sorted(base)
            for shape in FORM_SHAPES
        ]
    assert_none_failed(sweep(client, requests))


@pytest.mark.parametrize("label", MODELS)
def test_every_form_as_every_persona_empty_and_with_junk(desk, label):
    """The crawl of the integrity issue: each add and change form, as each persona,
    posted empty and with every field junk, answers without a 5xx."""
    info = _info(label)
    ids = object_ids(label)[:1]
    urls = [reverse(f"admin:{info}_add")] + [
        reverse(f"admin:{info}_change", args=[pk]) for pk in ids
    ]
    failures = []
    for persona in PERSONAS:
        client = desk["clients"][persona]
        for url in urls:
            page = answer(client, "get", url)
            junk = {}
            if page.status_code == 200 and "adminform" in (page.context or {}):
                junk = {name: "junk \x01 \u202e" for name in page_form_data(page)}
            failures += sweep(client, [("post", url, "", {}), ("post", url, "", junk)])
    assert_none_failed(failures)
