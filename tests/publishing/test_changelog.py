"""The change log: gap-free numbers in commit order, and a poller that follows
`changes/?after=` sees every change once and in order while publishing goes on."""

import threading

import pytest
from django.conf import settings
from django.db import connection, connections, transaction
from django.test import Client
from django.utils import timezone

from claims import services
from claims.models import ClaimStatus
from publishing import changelog
from publishing.models import ChangeEvent, ChangeSequencer, ChangeType
from publishing.tasks import sequence_changes
from tests.conftest import wait_for
from tests.factories import ClaimFactory, UserFactory

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite serialises writers, so transactions cannot commit interleaved",
)
CHANGES = "/api/v1/changes/"


def unsequenced_events(claim, n: int) -> list[ChangeEvent]:
    now = timezone.now()
    return ChangeEvent.objects.bulk_create(
        ChangeEvent(claim=claim, type=ChangeType.PUBLISHED, document=None, at=now) for _ in range(n)
    )


def seqs() -> list[int | None]:
    return list(ChangeEvent.objects.order_by("id").values_list("seq", flat=True))


# --- The sequencer --------------------------------------------------------------------


@pytest.mark.django_db
def test_sequencer_numbers_from_one_without_gaps_and_is_idempotent():
    claim = ClaimFactory()
    unsequenced_events(claim, 5)
    assert changelog.change_events_sequence() == 5
    assert seqs() == [1, 2, 3, 4, 5]
    assert changelog.change_events_sequence() == 0
    assert seqs() == [1, 2, 3, 4, 5]
    unsequenced_events(claim, 2)
    assert changelog.change_events_sequence() == 2
    assert seqs() == [1, 2, 3, 4, 5, 6, 7]
    assert ChangeSequencer.objects.get().last_seq == 7
    assert changelog.last_sequenced()[0] == 7


@pytest.mark.django_db
def test_sequencer_works_through_more_than_one_batch(monkeypatch):
    monkeypatch.setattr(changelog, "SEQUENCE_BATCH", 3)
    unsequenced_events(ClaimFactory(), 7)
    assert changelog.change_events_sequence() == 7
    assert seqs() == list(range(1, 8))


@pytest.mark.django_db(transaction=True)
def test_each_publish_is_numbered_when_it_commits(editor):
    claims = ClaimFactory.create_batch(2, status=ClaimStatus.IN_APPROVAL)
    for claim in claims:
        services.claim_approve(actor=editor, claim=claim)
    events = list(ChangeEvent.objects.order_by("seq").values_list("seq", "claim_id", "type"))
    assert events == [
        (1, claims[0].pk, ChangeType.PUBLISHED), (2, claims[1].pk, ChangeType.PUBLISHED),
    ]  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_a_failing_sequencer_does_not_undo_the_publish(editor, monkeypatch, caplog):
    def broken() -> int:
        raise RuntimeError("database went away")

    monkeypatch.setattr(changelog, "change_events_sequence", broken)
    claim = ClaimFactory(status=ClaimStatus.IN_APPROVAL)
    services.claim_approve(actor=editor, claim=claim)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PUBLISHED
    assert seqs() == [None]
    assert "beat will" in caplog.text


def test_beat_runs_the_sequencer_every_ten_seconds_by_default():
    entry = settings.CELERY_BEAT_SCHEDULE["sequence-changes"]
    assert entry["task"] == "claims.sequence_changes"
    assert entry["schedule"] == float(settings.FACTCHECK_SEQUENCE_EVERY) == 10.0


@pytest.mark.django_db(transaction=True)
def test_beat_task_numbers_an_event_whose_process_died_after_commit(
    celery_workers, editor, monkeypatch
):
    """The on-commit callback never ran (the process died right after COMMIT): the
    event is committed with no number, invisible to pollers, until beat's task runs in
    a real worker and numbers it."""
    monkeypatch.setattr(changelog, "change_events_sequence_quietly", lambda: None)
    claim = ClaimFactory(status=ClaimStatus.IN_APPROVAL)
    services.claim_approve(actor=editor, claim=claim)
    assert seqs() == [None]
    assert Client().get(CHANGES).json()["results"] == []

    celery_workers.start(queues="default")
    sequence_changes.apply_async(queue="default")
    wait_for(lambda: seqs() == [1], timeout=60)
    [event] = Client().get(CHANGES).json()["results"]
    assert (event["seq"], event["claim_id"], event["type"]) == (1, claim.pk, "published")


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_sequencers_number_each_event_once():
    unsequenced_events(ClaimFactory(), 300)
    start = threading.Barrier(4)
    counts: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            counts.append(changelog.change_events_sequence())
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sum(counts) == 300
    # All committed before the sequencers started: numbered in id order, 1..300.
    assert seqs() == list(range(1, 301))
    assert ChangeSequencer.objects.get().last_seq == 300


# --- The poller's guarantee under concurrent publishing ------------------------------


class Poller(threading.Thread):
    """A newsroom following the log as docs/api.md says: GET changes/?after=last."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[dict] = []
        self.stop = threading.Event()
        self.errors: list[BaseException] = []

    def poll(self, client: Client) -> None:
        after = self.seen[-1]["seq"] if self.seen else 0
        response = client.get(CHANGES, {"after": after})
        assert response.status_code == 200, response.content
        self.seen.extend(response.json()["results"])

    def run(self) -> None:
        client = Client()
        try:
            while not self.stop.is_set():
                self.poll(client)
            self.poll(client)  # one last time after the last commit
        except BaseException as error:  # noqa: BLE001 - reported by the test
            self.errors.append(error)
        finally:
            connections.close_all()


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_poller_sees_every_change_once_in_order_when_commits_interleave(editor):
    claims = ClaimFactory.create_batch(4, status=ClaimStatus.IN_APPROVAL)
    inserted = {c.pk: threading.Event() for c in claims}
    may_commit = {c.pk: threading.Event() for c in claims}
    committed = {c.pk: threading.Event() for c in claims}
    event_ids: dict[int, int] = {}
    errors: list[BaseException] = []

    def publish(claim) -> None:
        try:
            with transaction.atomic():
                services.claim_approve(actor=editor, claim=claim)
                event_ids[claim.pk] = ChangeEvent.objects.get(claim=claim).pk
                inserted[claim.pk].set()
                assert may_commit[claim.pk].wait(30)
            committed[claim.pk].set()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
            inserted[claim.pk].set()
        finally:
            connections.close_all()

    poller = Poller()
    poller.start()
    publishers = [threading.Thread(target=publish, args=(c,)) for c in claims]
    for thread in publishers:
        thread.start()
    for claim in claims:
        assert inserted[claim.pk].wait(30)
    assert errors == []
    # Every event is inserted (ids handed out) and none committed. Commit them in the
    # reverse order of their ids, letting the poller catch up after each commit: with
    # raw ids it would now skip every earlier-inserted event.
    commit_order = sorted(claims, key=lambda c: event_ids[c.pk], reverse=True)
    for number, claim in enumerate(commit_order, start=1):
        may_commit[claim.pk].set()
        assert committed[claim.pk].wait(30)
        wait_for(lambda n=number: len(poller.seen) >= n, timeout=30, interval=0.01)
    for thread in publishers:
        thread.join(30)
    poller.stop.set()
    poller.join(30)

    assert errors == [] and poller.errors == []
    assert [e["seq"] for e in poller.seen] == [1, 2, 3, 4]
    assert [e["claim_id"] for e in poller.seen] == [c.pk for c in commit_order]
    assert {e["type"] for e in poller.seen} == {"published"}
    assert all(e["document"]["id"] == e["claim_id"] for e in poller.seen)
    # The event inserted first committed last, and was still seen.
    first_inserted = min(claims, key=lambda c: event_ids[c.pk])
    assert poller.seen[-1]["claim_id"] == first_inserted.pk


# --- GET changes/ ---------------------------------------------------------------------


@pytest.fixture
def log(db):
    """Three published claims, one corrected in the log and one withdrawn: 5 events."""
    claims = ClaimFactory.create_batch(3, status=ClaimStatus.PUBLISHED)
    editor = UserFactory(username="log-editor", roles=["Editor"])
    services.claim_withdraw(actor=editor, claim=claims[2], reason="Retracted.")
    changelog.change_events_sequence()
    return claims


def test_changes_lists_events_in_seq_order_with_documents(client, log):
    body = client.get(CHANGES).json()
    assert [(e["seq"], e["type"], e["claim_id"]) for e in body["results"]] == [
        (1, "published", log[0].pk),
        (2, "published", log[1].pk),
        (3, "published", log[2].pk),
        (4, "withdrawn", log[2].pk),
    ]
    assert body["results"][0]["document"]["claim"] == log[0].text
    assert body["results"][3]["document"] is None
    assert body["last_seq"] == 4
    assert body["next"] == "http://testserver/api/v1/changes/?after=4&page_size=100"


def test_changes_after_and_page_size(client, log):
    body = client.get(CHANGES, {"after": 1, "page_size": 2}).json()
    assert [e["seq"] for e in body["results"]] == [2, 3]
    assert body["last_seq"] == 4
    assert body["next"].endswith("?after=3&page_size=2")
    nothing_new = client.get(CHANGES, {"after": 4}).json()
    assert nothing_new["results"] == []
    assert nothing_new["next"].endswith("?after=4&page_size=100")


@pytest.mark.django_db
def test_changes_page_size_defaults_to_100_and_is_capped_at_1000(client):
    claim = ClaimFactory()
    unsequenced_events(claim, 1005)
    changelog.change_events_sequence()
    assert len(client.get(CHANGES).json()["results"]) == 100
    body = client.get(CHANGES, {"page_size": 5000}).json()
    assert len(body["results"]) == 1000
    assert body["next"].endswith("?after=1000&page_size=1000")
    assert body["last_seq"] == 1005


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("after", "-1"),
        ("after", "abc"),
        ("after", "1.5"),
        ("after", "99999999999999999999999"),
        ("after", ""),
        ("page_size", "0"),
        ("page_size", "-5"),
        ("page_size", "ten"),
    ],
)
def test_changes_refuses_bad_parameters_with_the_error_format(client, param, value):
    response = client.get(CHANGES, {param: value})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] and error["message"]
    assert param in error["fields"]
