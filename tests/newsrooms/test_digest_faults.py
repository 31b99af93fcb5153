"""The guarantees of email digests with real Celery worker processes, a real Redis, a
real SMTP server (tests/mail.py) and, for late commits, real PostgreSQL.

- Two digest runs at once: exactly one email per subscriber; every ledger row in
  exactly one sent digest.
- A worker killed (kill -9) after the SMTP server accepted a digest and before it was
  marked sent: once the lease runs out the digest goes again with the same Message-ID
  and the same content, and then never again.
- A verdict whose publishing transaction began before another's but committed after it
  (and after a fan-out ran in between) still reaches every matching subscriber, once.
- Beat down for three days: one run sends one digest with everything, the next nothing.

The worker processes send the mail, so they get the SMTP server's address through their
environment (factcheck/settings.py reads EMAIL_* from it).
"""

import datetime
import html
import os
import re
import signal
import threading

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from claims import services
from claims.models import ClaimStatus
from factcheck.celery import app
from factcheck.emails import message_id
from newsrooms.digests import digests_open_due, ledger_extend
from newsrooms.models import (
    Digest,
    DigestCursor,
    DigestEntry,
    DigestFrequency,
    DigestState,
    Subscription,
    SubscriptionState,
)
from publishing.changelog import last_sequenced
from publishing.models import ChangeEvent
from tests.conftest import wait_for
from tests.factories import ClaimFactory, UserFactory, rating

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite serialises writers, so transactions cannot commit interleaved",
)
QUEUES = "default,email"


# --- Helpers ---------------------------------------------------------------------------


def mail_env(sink) -> dict[str, str]:
    """What a worker process needs to send through the test's SMTP server."""
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(sink.port),
        "EMAIL_HOST_USER": "",
        "EMAIL_HOST_PASSWORD": "",
        "EMAIL_USE_TLS": "false",
        "EMAIL_USE_SSL": "false",
        "EMAIL_TIMEOUT": "5",
    }


def subscribe(email: str, frequency: str = DigestFrequency.IMMEDIATE, **fields) -> Subscription:
    """An active subscription as confirming leaves it: owed every change after now."""
    now = timezone.now()
    filters = {
        name: fields.pop(name) for name in ("topics", "claimants", "ratings") if name in fields
    }
    subscription = Subscription.objects.create(
        email=email,
        frequency=frequency,
        state=SubscriptionState.ACTIVE,
        start_seq=last_sequenced()[0],
        confirmed_at=now,
        next_digest_at=fields.pop("next_digest_at", now),
        **fields,
    )
    for name, values in filters.items():
        getattr(subscription, name).set(values)
    return subscription


def publish(n: int, **kwargs):
    """A published verdict (through the real publishing code) with a text of its own."""
    return ClaimFactory(
        status=ClaimStatus.PUBLISHED,
        claim_reviewed=f"Verdict number {n}: the ministry's figure is wrong",
        **kwargs,
    )


def start_workers(workers, sink, count: int = 1, **env: str) -> list:
    env = {**mail_env(sink), **env}
    started = [workers.start(queues=QUEUES, **env) for _ in range(count)]
    for process in started:
        wait_for(lambda p=process: " ready." in workers.log_of(p), timeout=60)
    return started


def run_digests():
    """What beat does every FACTCHECK_DIGEST_EVERY seconds."""
    return app.send_task("newsrooms.run_digests", queue="default")


def finished(workers, result) -> bool:
    return f"[{result.id}] succeeded" in workers.logs()


def broker_idle(broker) -> bool:
    """No message waiting on our queues and none delivered but unacknowledged."""
    return not any(broker.llen(q) for q in QUEUES.split(",")) and not broker.hlen("unacked")


def settle(workers, broker, runs) -> None:
    """The runs and every send they enqueued, finished (the workers' logs on a timeout)."""
    try:
        wait_for(lambda: all(finished(workers, r) for r in runs), timeout=60)
        wait_for(lambda: broker_idle(broker), timeout=60)
    except pytest.fail.Exception:
        pytest.fail(f"the digest runs did not finish; the workers' logs:\n{workers.logs()[-6000:]}")


def run_and_settle(workers, broker) -> None:
    """One digest run and every send it enqueued, finished."""
    settle(workers, broker, [run_digests()])


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def html_of(message) -> str:
    return message.get_body(("html",)).get_content()


def html_text_of(message) -> str:
    """The HTML part with its character references resolved (an apostrophe is &#x27;)."""
    return html.unescape(html_of(message))


def by_recipient(sink) -> dict[str, list]:
    mails: dict[str, list] = {}
    for recipients, message in zip(sink.recipients, sink.messages, strict=True):
        for address in recipients:
            mails.setdefault(address, []).append(message)
    return mails


def assert_ledger_all_sent_once(subscriptions, events) -> None:
    """Each (subscription, event) has exactly one ledger row, and it is in a sent digest."""
    rows = list(
        DigestEntry.objects.filter(subscription__in=subscriptions).values_list(
            "subscription_id", "event_id", "seq"
        )
    )
    expected = sorted((s.pk, e.pk) for s in subscriptions for e in events)
    assert sorted((s, e) for s, e, _seq in rows) == expected
    sent = Digest.objects.filter(state=DigestState.SENT)
    for subscription_id, _event, seq in rows:
        holding = sent.filter(
            subscription_id=subscription_id, first_seq__lte=seq, last_seq__gte=seq
        )
        assert holding.count() == 1, (subscription_id, seq)


# --- Two runs at once --------------------------------------------------------------------


def test_two_runs_at_once_send_one_email_per_subscriber(celery_workers, smtp_server, clean_broker):
    subscriptions = [subscribe(f"reader{i}@example.org") for i in range(24)]
    claims = [publish(n) for n in range(5)]
    events = list(ChangeEvent.objects.filter(claim__in=claims))
    assert len(events) == 5 and all(e.seq for e in events)
    first, second = start_workers(celery_workers, smtp_server, count=2)

    runs = [run_digests(), run_digests()]  # both workers ready: each takes one
    settle(celery_workers, clean_broker, runs)

    # Each worker ran one of the two runs (prefetch 1, concurrency 1): they overlapped.
    for process in (first, second):
        assert "newsrooms.run_digests[" in celery_workers.log_of(process)
    mails = by_recipient(smtp_server)
    assert sorted(mails) == sorted(s.email for s in subscriptions)
    assert all(len(received) == 1 for received in mails.values()), {
        address: len(received) for address, received in mails.items() if len(received) != 1
    }
    assert len(smtp_server.messages) == len(subscriptions)
    assert_ledger_all_sent_once(subscriptions, events)
    for subscription in subscriptions:
        [digest] = Digest.objects.filter(subscription=subscription)
        assert digest.state == DigestState.SENT and digest.sent_at is not None
        [mail] = mails[subscription.email]
        assert mail["Message-ID"] == message_id(f"digest-{digest.pk}")
        body = text_of(mail)
        assert all(c.claim_reviewed in body for c in claims), body

    run_and_settle(celery_workers, clean_broker)  # and a third run owes nobody anything
    assert len(smtp_server.messages) == len(subscriptions)
    assert Digest.objects.count() == len(subscriptions)


def test_each_digest_sent_by_two_workers_at_once_goes_once(
    celery_workers, smtp_server, clean_broker
):
    """The lease, not the queue, keeps a digest single: three sends of every digest
    (a redelivery, a second run) spread over two worker processes."""
    subscriptions = [subscribe(f"twice{i}@example.org") for i in range(12)]
    claims = [publish(n) for n in range(3)]
    ledger_extend()
    digest_ids = digests_open_due(now=timezone.now())
    assert len(digest_ids) == len(subscriptions)
    start_workers(celery_workers, smtp_server, count=2)

    sends = [
        app.send_task("newsrooms.send_digest", args=[pk], queue="email")
        for pk in digest_ids
        for _copy in range(3)
    ]
    settle(celery_workers, clean_broker, sends)

    mails = by_recipient(smtp_server)
    assert sorted(mails) == sorted(s.email for s in subscriptions)
    assert all(len(received) == 1 for received in mails.values())
    assert len(smtp_server.messages) == len(subscriptions)
    # Both workers sent some: the copies really ran side by side.
    logs = [celery_workers.log_of(p) for p in celery_workers.processes]
    senders = [log.count("newsrooms.send_digest[") for log in logs]
    assert all(senders), senders
    assert set(Digest.objects.values_list("state", flat=True)) == {DigestState.SENT}
    events = list(ChangeEvent.objects.filter(claim__in=claims))
    assert_ledger_all_sent_once(subscriptions, events)


# --- kill -9 after the SMTP server accepted ----------------------------------------------


def test_digest_accepted_then_worker_killed_is_resent_once_with_the_same_message_id(
    celery_workers, smtp_server, clean_broker
):
    subscription = subscribe("survivor@example.org")
    claims = [publish(n) for n in range(2)]
    events = list(ChangeEvent.objects.filter(claim__in=claims))
    # The first worker pauses between the SMTP server's "250" and marking the digest
    # sent (its email backend, tests.mail); its lease is short so that the test need not
    # wait long after the kill.
    [doomed] = start_workers(
        celery_workers,
        smtp_server,
        EMAIL_BACKEND="tests.mail.PausesAfterAcceptBackend",
        FACTCHECK_DIGEST_LEASE="3",
    )
    run_digests()
    [accepted] = smtp_server.wait_for(1, timeout=60)
    os.killpg(doomed.pid, signal.SIGKILL)
    doomed.wait()

    [digest] = Digest.objects.filter(subscription=subscription)
    assert digest.state == DigestState.OPEN and digest.sent_at is None  # the crash window
    assert accepted["Message-ID"] == message_id(f"digest-{digest.pk}")
    wait_for(
        lambda: Digest.objects.get(pk=digest.pk).locked_until < timezone.now(),
        timeout=10,
    )
    # A fresh worker without the pause; the dead worker's unacknowledged send comes back
    # to it after the visibility timeout, and beat's next run finds the open digest too.
    start_workers(
        celery_workers,
        smtp_server,
        FACTCHECK_DIGEST_LEASE="3",
        CELERY_VISIBILITY_TIMEOUT="2",
        CELERY_UNACKED_RESTORE_INTERVAL="1",
    )
    run_and_settle(celery_workers, clean_broker)

    assert len(smtp_server.messages) == 2
    again = smtp_server.messages[1]
    assert smtp_server.recipients == [[subscription.email], [subscription.email]]
    for header in ("Message-ID", "Subject", "To", "From"):
        assert again[header] == accepted[header], header
    assert all(c.claim_reviewed in text_of(again) for c in claims)
    # The same verdicts in the same words first; then the whole message, unsubscribe
    # link included: a resend must be the same email, byte for byte but for its Date.
    unlinked = [
        [re.sub(r"/unsubscribe/[^/]+/", "/unsubscribe/-/", part(m)) for part in (text_of, html_of)]
        for m in (accepted, again)
    ]
    assert unlinked[0] == unlinked[1]
    identical = "the unsubscribe token differs between two renders of one digest"
    assert again["List-Unsubscribe"] == accepted["List-Unsubscribe"], identical
    assert (text_of(again), html_of(again)) == (text_of(accepted), html_of(accepted)), identical
    digest.refresh_from_db()
    assert digest.state == DigestState.SENT and digest.sent_at is not None
    assert Digest.objects.filter(subscription=subscription).count() == 1
    assert_ledger_all_sent_once([subscription], events)

    run_and_settle(celery_workers, clean_broker)  # sent: never again
    assert len(smtp_server.messages) == 2
    assert Digest.objects.filter(subscription=subscription).count() == 1


# --- Late commits ------------------------------------------------------------------------


@on_postgresql
def test_verdict_committed_late_reaches_every_matching_subscriber_once(
    celery_workers, smtp_server, clean_broker
):
    editor = UserFactory(username="late-editor", roles=["Editor"])
    readers = [subscribe(f"late{i}@example.org") for i in range(3)]
    picky = subscribe("only-true@example.org", ratings=[rating("true")])
    early = ClaimFactory(
        status=ClaimStatus.IN_APPROVAL, claim_reviewed="Began first, committed last"
    )
    late = ClaimFactory(
        status=ClaimStatus.IN_APPROVAL, claim_reviewed="Began second, committed first"
    )
    start_workers(celery_workers, smtp_server)

    inserted, may_commit, committed = threading.Event(), threading.Event(), threading.Event()
    errors: list[BaseException] = []
    event_ids: dict[str, int] = {}

    def publish_slowly() -> None:
        try:
            with transaction.atomic():
                services.claim_approve(actor=editor, claim=early)
                event_ids["early"] = ChangeEvent.objects.get(claim=early).pk
                inserted.set()
                assert may_commit.wait(60)
            committed.set()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
            inserted.set()
        finally:
            connections.close_all()

    publisher = threading.Thread(target=publish_slowly)
    publisher.start()
    try:
        assert inserted.wait(30) and not errors
        services.claim_approve(actor=editor, claim=late)  # commits while `early` is open
        late_event = ChangeEvent.objects.get(claim=late)
        assert late_event.pk > event_ids["early"] and late_event.seq is not None

        run_and_settle(celery_workers, clean_broker)  # fan-out and sends in between
        assert len(smtp_server.messages) == len(readers)
        assert DigestCursor.objects.get().last_seq == late_event.seq
    finally:
        may_commit.set()
        publisher.join(30)
    assert committed.is_set() and not errors
    early_event = ChangeEvent.objects.get(claim=early)
    assert early_event.seq == late_event.seq + 1  # numbered in commit order

    run_and_settle(celery_workers, clean_broker)

    mails = by_recipient(smtp_server)
    assert sorted(mails) == sorted(r.email for r in readers)  # nothing for `picky`
    for reader in readers:
        first, second = mails[reader.email]
        assert "Began second, committed first" in text_of(first)
        assert "Began first, committed last" not in text_of(first)
        assert "Began first, committed last" in text_of(second)
        assert "Began second, committed first" not in text_of(second)
    assert_ledger_all_sent_once(readers, [late_event, early_event])
    assert not DigestEntry.objects.filter(subscription=picky).exists()
    assert not Digest.objects.filter(subscription=picky).exists()

    run_and_settle(celery_workers, clean_broker)
    assert len(smtp_server.messages) == 2 * len(readers)


# --- Beat down for several periods ---------------------------------------------------------


def test_after_three_days_without_beat_one_run_sends_one_digest_with_everything(
    celery_workers, smtp_server, clean_broker
):
    now = timezone.now()
    daily = subscribe(
        "daily@example.org",
        frequency=DigestFrequency.DAILY,
        next_digest_at=now - datetime.timedelta(days=3),
    )
    claims = [publish(n) for n in range(3)]
    # Published on each of the days beat was down.
    for days_ago, claim in zip((3, 2, 1), claims, strict=True):
        ChangeEvent.objects.filter(claim=claim).update(at=now - datetime.timedelta(days=days_ago))
    events = list(ChangeEvent.objects.filter(claim__in=claims))
    start_workers(celery_workers, smtp_server)

    run_and_settle(celery_workers, clean_broker)

    [mail] = smtp_server.messages
    assert smtp_server.recipients == [[daily.email]]
    assert all(c.claim_reviewed in text_of(mail) for c in claims)
    assert all(c.claim_reviewed in html_text_of(mail) for c in claims)
    [digest] = Digest.objects.filter(subscription=daily)
    assert digest.state == DigestState.SENT
    assert_ledger_all_sent_once([daily], events)
    daily.refresh_from_db()
    assert now < daily.next_digest_at <= now + datetime.timedelta(days=1, minutes=5)

    run_and_settle(celery_workers, clean_broker)  # right after: nothing due, nothing sent
    assert len(smtp_server.messages) == 1
    assert Digest.objects.filter(subscription=daily).count() == 1
