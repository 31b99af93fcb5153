"""`bench_seed`: the benchmark's fact-checks are published through the real publishing
code, so the API serves them like any other; a re-run tops up, `--reset` starts over."""

import base64
import contextlib
import json
from io import StringIO
from urllib.parse import urlencode

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import override_settings

from claims.models import Claim, ClaimStatus, Verdict
from publishing import changelog
from publishing.changelog import last_sequenced
from publishing.claimreview import claimreview_problems
from publishing.models import ChangeEvent, ChangeType, Publication

pytestmark = pytest.mark.django_db


def _seed(**options) -> str:
    out = StringIO()
    call_command("bench_seed", force=True, stdout=out, **options)
    return out.getvalue()


def _api_ids(client) -> list[int]:
    response = client.get("/api/v1/claims/", {"page_size": 100})
    assert response.status_code == 200
    body = response.json()
    assert body["next"] is None
    return [doc["id"] for doc in body["results"]]


def test_seeds_published_fact_checks_that_the_api_serves(client):
    output = _seed(factchecks=30, batch=7)

    assert "30 new" in output
    publications = list(Publication.objects.order_by("id"))
    assert len(publications) == 30
    claim_ids = {p.claim_id for p in publications}
    assert set(_api_ids(client)) == claim_ids
    assert set(Claim.objects.values_list("status", flat=True)) == {ClaimStatus.PUBLISHED}
    for publication in publications:
        document = json.loads(publication.document)
        assert document["id"] == publication.claim_id
        assert document["version"] == 1
        assert document["appearances"] and document["evidence"] and document["topics"]
        assert claimreview_problems(json.loads(publication.claimreview)) == []
    # Four eyes hold for the bulk-written verdicts too.
    for author_id, approver_id in Verdict.objects.values_list("author_id", "approved_by_id"):
        assert author_id != approver_id
    events = list(ChangeEvent.objects.order_by("seq").values_list("seq", "type", "claim_id"))
    assert [seq for seq, _type, _claim in events] == list(range(1, 31))
    assert {kind for _seq, kind, _claim in events} == {ChangeType.PUBLISHED}
    assert {claim for _seq, _kind, claim in events} == claim_ids
    # What the list and change-log ETags follow (read with SQL of its own).
    assert last_sequenced() == (30, ChangeEvent.objects.get(seq=30).sequenced_at)


def test_rerun_tops_up_to_the_number_asked_for(client):
    _seed(factchecks=30)

    assert "0 new" in _seed(factchecks=30)
    assert Publication.objects.count() == 30

    _seed(factchecks=45, batch=10)
    assert Publication.objects.count() == 45
    assert len(_api_ids(client)) == 45
    seqs = list(ChangeEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, 46))


def test_reset_replaces_the_bench_fact_checks(client):
    _seed(factchecks=20)
    before = set(Publication.objects.values_list("claim_id", flat=True))

    output = _seed(factchecks=12, reset=True)

    assert "Removed 20 bench claims" in output
    after = set(_api_ids(client))
    assert len(after) == 12
    assert not after & before
    assert Claim.objects.count() == 12


def test_refuses_without_debug_or_force():
    with override_settings(DEBUG=False), pytest.raises(CommandError, match="DEBUG is off"):
        call_command("bench_seed", factchecks=5, stdout=StringIO())
    assert Publication.objects.count() == 0


@pytest.mark.parametrize(
    "params",
    [
        {"page_size": 1},
        {"page_size": 30},
        {"page_size": 100},
        {"page_size": 5, "language": "en", "topic": "bench-topic-1", "q": "claim"},
    ],
)
def test_a_list_page_is_at_most_three_queries_whatever_its_size(
    client, django_assert_max_num_queries, params
):
    _seed(factchecks=30)
    first = client.get("/api/v1/claims/", params)
    assert first.status_code == 200
    with django_assert_max_num_queries(3):
        page = client.get("/api/v1/claims/", params)
    assert page.status_code == 200
    assert page.json() == first.json()
    with django_assert_max_num_queries(3):
        following = client.get(first.json()["next"]) if first.json()["next"] else page
    assert following.status_code == 200


def test_the_deep_page_cursor_the_benchmark_builds_is_the_one_the_api_gives(client):
    # bench/api_throughput.py writes the deep page's cursor itself: base64 of p=<the
    # publication id the previous page ended on>.
    _seed(factchecks=30)
    first = client.get("/api/v1/claims/", {"page_size": 10}).json()
    last = Publication.objects.get(claim_id=first["results"][-1]["id"]).pk
    cursor = base64.b64encode(urlencode({"p": last}).encode()).decode()

    built = client.get("/api/v1/claims/", {"page_size": 10, "cursor": cursor}).json()

    assert built == client.get(first["next"]).json()
    expected = Publication.objects.filter(id__lt=last).order_by("-id")[:10]
    assert [d["id"] for d in built["results"]] == [p.claim_id for p in expected]


def test_the_list_reads_its_page_and_its_etag_in_one_statement(client, django_assert_num_queries):
    _seed(factchecks=12)
    with django_assert_num_queries(1):
        first = client.get("/api/v1/claims/", {"page_size": 5})
    etag, modified = first["ETag"], first["Last-Modified"]
    assert etag.startswith('"') and modified

    with django_assert_num_queries(1):
        poll = client.get("/api/v1/claims/", {"page_size": 5}, HTTP_IF_NONE_MATCH=etag)
    assert poll.status_code == 304
    assert poll["ETag"] == etag
    since = client.get("/api/v1/claims/", {"page_size": 5}, HTTP_IF_MODIFIED_SINCE=modified)
    assert since.status_code == 304

    _seed(factchecks=13)
    changed = client.get("/api/v1/claims/", {"page_size": 5}, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert changed["ETag"] == client.get("/api/v1/claims/", {"page_size": 5})["ETag"]
    assert changed.json()["results"][0]["id"] == Publication.objects.order_by("-id")[0].claim_id


class Boom(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_the_sequencer_runs_once_per_publishing_transaction(monkeypatch):
    runs = []
    sequence = changelog.change_events_sequence
    monkeypatch.setattr(changelog, "change_events_sequence", lambda: runs.append(1) or sequence())

    _seed(factchecks=20, batch=10)

    # One on-commit run per batch (the command's own final call is not counted here).
    assert len(runs) == 2
    assert list(ChangeEvent.objects.order_by("seq").values_list("seq", flat=True)) == list(
        range(1, 21)
    )

    # A callback dropped with a rolled-back savepoint does not stand in for a later one.
    claim = Claim.objects.first()
    with transaction.atomic():
        with contextlib.suppress(Boom), transaction.atomic():
            changelog.change_event_record(claim=claim, type=ChangeType.CORRECTED, document="{}")
            raise Boom
        changelog.change_event_record(claim=claim, type=ChangeType.CORRECTED, document="{}")
    assert ChangeEvent.objects.filter(seq__isnull=True).count() == 0
    assert ChangeEvent.objects.order_by("-seq").first().seq == 21
