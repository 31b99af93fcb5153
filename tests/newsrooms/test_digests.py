"""Digests in one process against a real SMTP server (tests/mail.py) and the real
database: what the ledger owes whom, what a digest shows, and each delivery guarantee."""

import datetime
import json
import re
import threading
import time

import pytest
from django.conf import settings as django_settings
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from claims import services
from claims.models import ClaimStatus, Topic
from factcheck import emails
from factcheck.celery import app
from factcheck.emails import TemporaryEmailError
from newsrooms import digests, schedule, tasks, tokens
from newsrooms.models import (
    Digest,
    DigestCursor,
    DigestEntry,
    DigestFrequency,
    DigestState,
    Subscription,
    SubscriptionState,
)
from publishing import changelog
from publishing.models import ChangeEvent, Publication
from tests.conftest import wait_for
from tests.factories import ClaimantFactory, ClaimFactory, rating
from tests.mail import WorkerKilled
from tests.reviewers.conftest import eager_tasks, run_concurrently  # noqa: F401 - fixture

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite serialises writers, so two runs cannot really overlap",
)
SUMMARY = "The figure comes from the Russian defence ministry and cannot be checked"


# --- Helpers --------------------------------------------------------------------------


def publish(editor, title: str = "Ukrainian casualties exceed 90,000 troops", **kwargs):
    """Publish a claim through the real workflow and number its change event."""
    claimant = kwargs.pop("claimant", None)
    topics = kwargs.pop("topics", ())
    rating_slug = kwargs.pop("rating_slug", "false")
    extra = {"claimant": claimant} if claimant else {}
    claim = ClaimFactory(
        status=ClaimStatus.IN_APPROVAL,
        claim_reviewed=title,
        state__rating=rating(rating_slug),
        **extra,
        **kwargs,
    )
    claim.topics.set(topics)
    services.claim_approve(actor=editor, claim=claim)
    changelog.change_events_sequence()
    claim.refresh_from_db()
    return claim


def correct(claim, *, editor, approver, summary: str = "The ministry revised its own figure."):
    services.claim_correct(actor=editor, claim=claim, note="The ministry revised the figure.")
    claim.refresh_from_db()
    services.claim_propose(
        actor=claim.assignee,
        claim=claim,
        rating=rating("misleading"),
        summary=summary,
        explanation="The revised figure is still unverified.",
    )
    services.claim_approve(actor=approver, claim=claim)
    changelog.change_events_sequence()


def withdraw(claim, *, editor, reason: str = "The source retracted the figure.") -> None:
    claim.refresh_from_db()
    services.claim_withdraw(actor=editor, claim=claim, reason=reason)
    changelog.change_events_sequence()


def subscribe(email: str = "anna@example.org", **fields) -> Subscription:
    """An active subscription from the newest change on, due at once (the ORM directly:
    the confirmation service is tested in test_subscriptions.py)."""
    filters = {
        name: fields.pop(name) for name in ("topics", "claimants", "ratings") if name in fields
    }
    now = timezone.now()
    subscription = Subscription.objects.create(
        email=email,
        state=fields.pop("state", SubscriptionState.ACTIVE),
        frequency=fields.pop("frequency", DigestFrequency.IMMEDIATE),
        start_seq=fields.pop("start_seq", changelog.last_sequenced()[0]),
        next_digest_at=fields.pop("next_digest_at", now - datetime.timedelta(seconds=1)),
        confirmed_at=now,
        **fields,
    )
    for name, values in filters.items():
        getattr(subscription, name).set(values)
    return subscription


def public_url(claim) -> str:
    return json.loads(Publication.objects.get(claim=claim).document)["public_url"]


def later(**delta) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(**delta)


def bodies(message) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def without_token(parts: tuple[str, str]) -> tuple[str, ...]:
    """The bodies but for the unsubscribe token, which is signed with the time."""
    return tuple(re.sub(r"/unsubscribe/[^/]+/", "/unsubscribe/TOKEN/", part) for part in parts)


def sent_digests_holding(entry: DigestEntry) -> int:
    """How many sent digests carried this ledger entry."""
    return Digest.objects.filter(
        subscription_id=entry.subscription_id,
        state=DigestState.SENT,
        first_seq__lte=entry.seq,
        last_seq__gte=entry.seq,
    ).count()


def run_crashing_after_the_accept(settings) -> None:
    """A digest run whose worker dies after the SMTP server accepted the first message
    and before the ledger was updated (tests.mail.DiesAfterAcceptBackend)."""
    smtp = settings.EMAIL_BACKEND
    settings.EMAIL_BACKEND = "tests.mail.DiesAfterAcceptBackend"
    try:
        with pytest.raises(WorkerKilled):
            digests.digests_run()
    finally:
        settings.EMAIL_BACKEND = smtp


def to_whom(sink) -> list[str]:
    return sorted(r for recipients in sink.recipients for r in recipients)


# --- What is owed and what a digest shows ----------------------------------------------


@pytest.mark.django_db
def test_published_verdict_reaches_an_active_subscriber_once_with_its_details(smtp_server, editor):
    subscribe("anna@example.org")
    claim = publish(editor)

    digests.digests_run()
    digests.digests_run(now=later(minutes=5))

    [message] = smtp_server.messages
    assert smtp_server.recipients == [["anna@example.org"]]
    text, html = bodies(message)
    for body in (text, html):
        assert "Ukrainian casualties exceed 90,000 troops" in body
        assert "False" in body  # the rating's label
        assert "Sergei Shoigu" in body
        assert SUMMARY in body
        assert public_url(claim) in body
    assert sent_digests_holding(DigestEntry.objects.get()) == 1


@pytest.mark.django_db
def test_filters_keep_out_verdicts_that_do_not_match(smtp_server, editor):
    war = Topic.objects.create(name="War", slug="war")
    economy = Topic.objects.create(name="Economy", slug="economy")
    lukashenko = ClaimantFactory(
        name="Alexander Lukashenko", slug="alexander-lukashenko", wikidata_id="Q42"
    )
    anyone = subscribe("any@example.org")
    by_topic = subscribe("war@example.org", topics=[war])
    other_topic = subscribe("economy@example.org", topics=[economy])
    by_claimant = subscribe("luka@example.org", claimants=[lukashenko])
    by_rating = subscribe("true@example.org", ratings=[rating("true")])
    by_language = subscribe("uk@example.org", language="uk")
    # Every filter must pass: the claimant matches, the rating does not.
    both = subscribe("both@example.org", claimants=[lukashenko], ratings=[rating("false")])
    shoigu = publish(editor, "Shoigu's figure")
    luka = publish(
        editor,
        "Lukashenko's figure",
        claimant=lukashenko,
        topics=[war],
        rating_slug="true",
        language="uk",
    )

    digests.ledger_extend()

    def owed(subscription) -> set[int]:
        return set(
            DigestEntry.objects.filter(subscription=subscription).values_list("claim_id", flat=True)
        )

    assert owed(anyone) == {shoigu.pk, luka.pk}
    for subscription in (by_topic, by_claimant, by_rating, by_language):
        assert owed(subscription) == {luka.pk}, subscription.email
    assert owed(other_topic) == set()
    assert owed(both) == set()
    digests.digests_run()
    assert to_whom(smtp_server) == sorted(
        ["any@example.org", "war@example.org", "luka@example.org", "true@example.org"]
        + ["uk@example.org"]
    )


@pytest.mark.django_db
def test_a_change_at_or_before_start_seq_is_never_owed(smtp_server, editor):
    publish(editor, "Before the subscription")
    subscription = subscribe()  # start_seq: the publish above
    after = publish(editor, "After the subscription")

    digests.digests_run()

    assert list(DigestEntry.objects.values_list("subscription_id", "claim_id")) == [
        (subscription.pk, after.pk)
    ]
    [message] = smtp_server.messages
    text, _html = bodies(message)
    assert "After the subscription" in text
    assert "Before the subscription" not in text


@pytest.mark.django_db
def test_pending_unsubscribed_and_bounced_subscriptions_get_nothing(smtp_server, editor):
    subscribe("pending@example.org", state=SubscriptionState.PENDING, start_seq=None)
    subscribe("gone@example.org", state=SubscriptionState.UNSUBSCRIBED)
    subscribe("bounced@example.org", state=SubscriptionState.BOUNCED)
    publish(editor)

    assert digests.ledger_extend() == 0
    digests.digests_run()

    assert DigestEntry.objects.count() == 0
    assert Digest.objects.count() == 0
    assert smtp_server.messages == []


@pytest.mark.django_db
def test_running_twice_writes_no_duplicate_rows_or_emails(smtp_server, editor):
    subscribe("anna@example.org")
    subscribe("bohdan@example.org")
    publish(editor, "First")
    publish(editor, "Second")

    assert digests.ledger_extend() == 4
    assert digests.ledger_extend() == 0
    # Even a cursor set back (restored backup) writes no second row per event.
    DigestCursor.objects.update(last_seq=0)
    assert digests.ledger_extend() == 0
    digests.digests_run()
    digests.digests_run()

    assert DigestEntry.objects.count() == 4
    assert to_whom(smtp_server) == ["anna@example.org", "bohdan@example.org"]
    assert Digest.objects.filter(state=DigestState.SENT).count() == 2


# --- Corrections and withdrawals ------------------------------------------------------


@pytest.mark.django_db
def test_correction_goes_marked_to_who_asked_for_changes_and_to_who_never_got_it(
    smtp_server, editor, other_editor
):
    wants_changes = subscribe("changes@example.org", notify_changes=True)
    no_changes = subscribe("quiet@example.org", notify_changes=False)
    claim = publish(editor)
    digests.digests_run()
    assert len(smtp_server.messages) == 2
    # Subscribed after the first version: the corrected verdict is news to them.
    newcomer = subscribe("new@example.org", notify_changes=False)
    smtp_server.messages.clear()
    smtp_server.recipients.clear()

    correct(claim, editor=editor, approver=other_editor, summary="The ministry revised it.")
    digests.digests_run()

    assert to_whom(smtp_server) == ["changes@example.org", "new@example.org"]
    for message in smtp_server.messages:
        text, html = bodies(message)
        for body in (text, html):
            assert "Corrected" in body
            assert "The ministry revised it." in body
            assert "The ministry revised the figure." in body  # the correction note
            assert "Misleading" in body
    assert not DigestEntry.objects.filter(subscription=no_changes, seq__gt=1).exists()
    assert DigestEntry.objects.filter(subscription=wants_changes).count() == 2
    assert DigestEntry.objects.filter(subscription=newcomer).count() == 1


@pytest.mark.django_db
def test_withdrawal_goes_only_to_who_received_the_verdict_and_asked_for_changes(
    smtp_server, editor
):
    wants_changes = subscribe("changes@example.org", notify_changes=True)
    subscribe("quiet@example.org", notify_changes=False)
    claim = publish(editor)
    digests.digests_run()
    subscribe("new@example.org", notify_changes=True)  # never got the verdict
    smtp_server.messages.clear()
    smtp_server.recipients.clear()

    withdraw(claim, editor=editor, reason="The source retracted the figure.")
    digests.digests_run()

    assert to_whom(smtp_server) == ["changes@example.org"]
    text, html = bodies(smtp_server.messages[0])
    for body in (text, html):
        assert "Withdrawn" in body
        assert "Ukrainian casualties exceed 90,000 troops" in body
        assert "The source retracted the figure." in body
        assert SUMMARY not in body  # withdrawn content is not repeated
    assert DigestEntry.objects.filter(subscription=wants_changes).count() == 2


@pytest.mark.django_db
def test_verdict_withdrawn_before_its_digest_went_is_not_sent(smtp_server, editor):
    subscription = subscribe(
        frequency=DigestFrequency.DAILY, next_digest_at=later(hours=1), notify_changes=True
    )
    claim = publish(editor)
    digests.digests_run()  # fanned out, not due yet
    withdraw(claim, editor=editor)

    digests.digests_run(now=later(hours=2))

    assert smtp_server.messages == []
    digest = Digest.objects.get(subscription=subscription)
    assert digest.state == DigestState.EMPTY
    assert digest.entries.count() == 2


# --- Schedule -------------------------------------------------------------------------


@pytest.mark.django_db
def test_daily_subscriber_gets_nothing_before_due_then_one_digest(smtp_server, editor):
    due = schedule.next_due(DigestFrequency.DAILY, timezone.now())
    subscription = subscribe(frequency=DigestFrequency.DAILY, next_digest_at=due)
    publish(editor, "First")
    publish(editor, "Second")

    digests.digests_run()
    assert smtp_server.messages == []
    assert DigestEntry.objects.count() == 2
    assert not Digest.objects.exists()
    assert Subscription.objects.get(pk=subscription.pk).sent_seq == 0

    digests.digests_run(now=due)
    digests.digests_run(now=due + datetime.timedelta(minutes=1))

    [message] = smtp_server.messages
    text, _html = bodies(message)
    assert "First" in text and "Second" in text
    subscription.refresh_from_db()
    assert subscription.next_digest_at == due + datetime.timedelta(days=1)


@pytest.mark.django_db
def test_after_a_beat_outage_one_digest_covers_everything(smtp_server, editor):
    due = schedule.next_due(DigestFrequency.DAILY, timezone.now())
    subscription = subscribe(frequency=DigestFrequency.DAILY, next_digest_at=due)
    titles = ["First", "Second", "Third"]
    for title in titles:
        publish(editor, title)
    restart = due + datetime.timedelta(days=3, hours=2)

    digests.digests_run(now=restart)
    digests.digests_run(now=restart)

    [message] = smtp_server.messages
    text, _html = bodies(message)
    assert all(title in text for title in titles)
    subscription.refresh_from_db()
    assert subscription.next_digest_at > restart
    assert Digest.objects.count() == 1


@pytest.mark.django_db
def test_an_active_subscription_without_a_due_time_is_due_now(smtp_server, editor):
    subscription = subscribe(frequency=DigestFrequency.WEEKLY, next_digest_at=None)
    publish(editor)

    digests.digests_run()

    assert len(smtp_server.messages) == 1
    subscription.refresh_from_db()
    assert subscription.next_digest_at > timezone.now()


# --- Delivery guarantees --------------------------------------------------------------


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_one_email_per_subscriber(smtp_server, editor):
    emails_ = [f"reader{n}@example.org" for n in range(6)]
    for email in emails_:
        subscribe(email)
    for title in ("First", "Second", "Third"):
        publish(editor, title)

    run_concurrently(digests.digests_run, threads=2)
    run_concurrently(digests.digests_run, threads=2)

    assert to_whom(smtp_server) == emails_
    assert DigestEntry.objects.count() == 18
    assert all(sent_digests_holding(entry) == 1 for entry in DigestEntry.objects.all())


@pytest.mark.django_db(transaction=True)
def test_two_senders_of_one_digest_send_one_email(smtp_server, editor):
    subscribe()
    publish(editor)
    digests.ledger_extend()
    [digest_id] = digests.digests_open_due()

    results = run_concurrently(lambda: digests.digest_send(digest_id), threads=4)

    assert sorted(results) == [False, False, False, True]
    assert len(smtp_server.messages) == 1
    assert Digest.objects.get().attempts == 1


@pytest.mark.django_db
def test_crash_in_a_batch_resends_the_digest_in_flight_and_sends_the_rest_after_the_lease(
    smtp_server, editor, settings
):
    # digests_send leases a batch at once: a crash leaves the batch's other digests
    # leased but unsent; nobody takes them before the lease ends, then each goes once.
    settings.FACTCHECK_DIGEST_LEASE = 1
    for n in range(3):
        subscribe(f"reader{n}@example.org")
    publish(editor, "Before the crash")

    run_crashing_after_the_accept(settings)
    [first] = smtp_server.messages
    assert Digest.objects.filter(state=DigestState.OPEN, locked_until__isnull=False).count() == 3

    digests.digests_run()  # the leases still run
    assert len(smtp_server.messages) == 1
    time.sleep(1.1)
    digests.digests_run()

    assert Digest.objects.filter(state=DigestState.SENT).count() == 3
    recipients = sorted(m["To"] for m in smtp_server.messages)
    # The digest in flight went twice (same Message-ID), the other two once each.
    assert recipients == sorted([first["To"], *(f"reader{n}@example.org" for n in range(3))])
    resent = [m for m in smtp_server.messages[1:] if m["To"] == first["To"]]
    assert [m["Message-ID"] for m in resent] == [first["Message-ID"]]


@pytest.mark.django_db
def test_crash_after_the_smtp_accept_resends_same_message_id_and_entries(
    smtp_server, editor, settings
):
    settings.FACTCHECK_DIGEST_LEASE = 1
    subscribe()
    publish(editor, "Before the crash")

    run_crashing_after_the_accept(settings)
    [first] = smtp_server.messages
    digest = Digest.objects.get()
    assert digest.state == DigestState.OPEN
    publish(editor, "After the crash")

    digests.digests_run()  # the lease still runs: nobody takes the digest over
    assert len(smtp_server.messages) == 1
    time.sleep(1.1)
    digests.digests_run()

    assert len(smtp_server.messages) == 2
    second = smtp_server.messages[1]
    assert second["Message-ID"] == first["Message-ID"] == emails.message_id(f"digest-{digest.pk}")
    assert without_token(bodies(second)) == without_token(bodies(first))
    assert "After the crash" not in bodies(second)[0]
    digest.refresh_from_db()
    assert (digest.state, digest.attempts) == (DigestState.SENT, 2)
    # The verdict published meanwhile goes in the next digest, not in the resend.
    digests.digests_run()
    third = smtp_server.messages[2]
    assert "After the crash" in bodies(third)[0]
    assert "Before the crash" not in bodies(third)[0]
    assert third["Message-ID"] != first["Message-ID"]


@pytest.mark.django_db
def test_temporary_smtp_failure_keeps_the_digest_open_and_it_is_sent_once_later(
    smtp_server, editor
):
    subscribe()
    publish(editor)
    digests.ledger_extend()
    [digest_id] = digests.digests_open_due()
    smtp_server.replies.append("451 4.3.0 try later")

    with pytest.raises(TemporaryEmailError):
        digests.digest_send(digest_id)
    digest = Digest.objects.get(pk=digest_id)
    assert digest.state == DigestState.OPEN
    assert "451" in digest.error
    assert smtp_server.messages == []

    assert digests.digests_open_due() == [digest_id]  # its lease ended with the failure
    assert digests.digest_send(digest_id) is True
    assert digests.digest_send(digest_id) is False

    assert len(smtp_server.messages) == 1
    digest.refresh_from_db()
    assert (digest.state, digest.attempts, digest.error) == (DigestState.SENT, 2, "")


@pytest.mark.django_db
def test_out_of_attempts_the_entries_go_in_the_next_digest(smtp_server, editor):
    subscribe()
    publish(editor)
    digests.ledger_extend()
    [digest_id] = digests.digests_open_due()
    # Two attempts left: earlier runs used the others.
    Digest.objects.filter(pk=digest_id).update(attempts=digests.DIGEST_MAX_ATTEMPTS - 2)
    smtp_server.replies.extend(["451 try later", "451 try later"])

    with pytest.raises(TemporaryEmailError):
        digests.digest_send(digest_id)
    assert digests.digest_send(digest_id) is False

    assert Digest.objects.get(pk=digest_id).state == DigestState.FAILED
    digests.digests_run()
    [message] = smtp_server.messages
    assert message["Message-ID"] != emails.message_id(f"digest-{digest_id}")
    assert sent_digests_holding(DigestEntry.objects.get()) == 1


@pytest.mark.django_db
def test_permanent_smtp_failure_bounces_the_address_and_nothing_more_goes(smtp_server, editor):
    bounced = subscribe("gone@example.org")
    subscribe("anna@example.org")
    publish(editor, "First")
    digests.ledger_extend()
    smtp_server.replies.extend(["550 5.1.1 no such user"])  # the first DATA: gone@

    sent = [digests.digest_send(pk) for pk in digests.digests_open_due()]

    assert sorted(sent) == [False, True]
    bounced.refresh_from_db()
    assert bounced.state == SubscriptionState.BOUNCED
    assert "550" in bounced.bounce_reason
    assert bounced.next_digest_at is None and bounced.ended_at is not None
    digest = Digest.objects.get(subscription=bounced)
    assert digest.state == DigestState.FAILED
    assert bounced.history.first().state == SubscriptionState.BOUNCED

    publish(editor, "Second")
    digests.digests_run(now=later(minutes=5))

    assert to_whom(smtp_server) == ["anna@example.org", "anna@example.org"]
    assert not DigestEntry.objects.filter(subscription=bounced, seq=2).exists()


@pytest.mark.django_db
def test_unsubscribed_before_the_send_gets_no_email(smtp_server, editor):
    subscription = subscribe()
    publish(editor)
    digests.ledger_extend()
    [digest_id] = digests.digests_open_due()
    Subscription.objects.filter(pk=subscription.pk).update(state=SubscriptionState.UNSUBSCRIBED)

    assert digests.digest_send(digest_id) is False

    assert smtp_server.messages == []
    assert Digest.objects.get(pk=digest_id).state == DigestState.FAILED


# --- The email ------------------------------------------------------------------------


@pytest.mark.django_db
def test_digest_headers_and_no_remote_assets(smtp_server, editor, settings):
    settings.SITE_URL = "https://factcheck.example.org"
    subscription = subscribe()
    publish(editor)

    digests.digests_run()

    [message] = smtp_server.messages
    digest = Digest.objects.get()
    assert message["Message-ID"] == f"<factcheck.digest-{digest.pk}@factcheck.example.org>"
    unsubscribe = message["List-Unsubscribe"].strip()  # folded: a long header
    assert unsubscribe.startswith("<https://factcheck.example.org/subscriptions/unsubscribe/")
    token = unsubscribe.rstrip(">/").rsplit("/", 1)[1]
    assert tokens.read_token(token, tokens.UNSUBSCRIBE) == subscription.pk
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Auto-Submitted"] == "auto-generated"
    text, html = bodies(message)
    assert unsubscribe.strip("<>") in text and unsubscribe.strip("<>") in html
    assert 'src="http' not in html and "<link" not in html and "url(" not in html
    assert "1 fact-check update" in message["Subject"]


@pytest.mark.django_db
def test_each_verdict_is_rendered_once_for_every_digest_of_a_run(smtp_server, editor, monkeypatch):
    for n in range(5):
        subscribe(f"reader{n}@example.org")
    publish(editor, "First")
    publish(editor, "Second")
    rendered = []
    render = digests.render_to_string

    def counting(name, *args, **kwargs):
        rendered.append(name)
        return render(name, *args, **kwargs)

    monkeypatch.setattr(digests, "render_to_string", counting)
    digests.digests_run()

    assert len(smtp_server.messages) == 5
    assert sorted(rendered) == ["emails/_digest_item.html"] * 2 + ["emails/_digest_item.txt"] * 2


@pytest.mark.django_db
def test_fan_out_queries_do_not_grow_with_subscribers(editor):
    def fan_out_queries(subscribers: int) -> int:
        Subscription.objects.all().delete()
        Subscription.objects.bulk_create(
            Subscription(
                email=f"reader{n}@example.org",
                state=SubscriptionState.ACTIVE,
                start_seq=changelog.last_sequenced()[0],
            )
            for n in range(subscribers)
        )
        for title in ("One", "Two", "Three"):
            publish(editor, title)
        with CaptureQueriesContext(connection) as queries:
            assert digests.ledger_extend() == subscribers * 3
        return len(queries)

    digests.ledger_extend()  # creates the cursor row: not part of either count
    assert fan_out_queries(100) == fan_out_queries(10)


# --- Preview --------------------------------------------------------------------------


@pytest.mark.django_db
def test_preview_sends_the_next_digest_to_the_editor_and_touches_no_ledger_row(smtp_server, editor):
    subscription = subscribe(frequency=DigestFrequency.DAILY, next_digest_at=later(hours=3))
    publish(editor, "Owed next")
    digests.ledger_extend()

    assert digests.digest_preview(subscription_id=subscription.pk, to="iryna@example.org")
    assert digests.digest_preview(subscription_id=subscription.pk, to="iryna@example.org")

    first, second = smtp_server.messages
    assert smtp_server.recipients == [["iryna@example.org"]] * 2
    assert first["Subject"].startswith("[Preview]")
    assert "Owed next" in bodies(first)[0]
    assert first["List-Unsubscribe"] is None
    assert first["Message-ID"] != second["Message-ID"]
    assert Digest.objects.count() == 0
    assert DigestEntry.objects.count() == 1
    assert Subscription.objects.get(pk=subscription.pk).sent_seq == 0


@pytest.mark.django_db
def test_preview_with_nothing_unsent_shows_the_latest_verdicts(smtp_server, editor):
    subscription = subscribe()
    publish(editor, "Already sent")
    digests.digests_run()

    assert digests.digest_preview(subscription_id=subscription.pk, to="iryna@example.org")

    assert len(smtp_server.messages) == 2
    assert "Already sent" in bodies(smtp_server.messages[1])[0]
    assert Digest.objects.get().state == DigestState.SENT


@pytest.mark.django_db
def test_preview_of_a_subscription_owed_nothing_sends_nothing(smtp_server):
    subscription = subscribe()

    assert digests.digest_preview(subscription_id=subscription.pk, to="x@example.org") is False
    assert smtp_server.messages == []


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_change_published_while_a_subscription_is_confirmed_is_owed_to_it(editor):
    """The confirming transaction holds the fan-out back until it commits, so a change
    numbered after its start_seq cannot be fanned out before it is active."""
    subscription = subscribe(state=SubscriptionState.PENDING, start_seq=None)
    fanned_out = threading.Event()

    def publish_and_fan_out() -> None:
        try:
            publish(editor, "Published during the confirmation")
            digests.ledger_extend()
            fanned_out.set()
        finally:
            connections.close_all()

    with transaction.atomic():
        start_seq = digests.subscription_start_seq()
        other = threading.Thread(target=publish_and_fan_out)
        other.start()
        # The publish commits and is numbered; its fan-out waits for this transaction.
        wait_for(lambda: changelog.last_sequenced()[0] > start_seq, timeout=10)
        assert not fanned_out.wait(0.5)
        Subscription.objects.filter(pk=subscription.pk).update(
            state=SubscriptionState.ACTIVE, start_seq=start_seq, next_digest_at=timezone.now()
        )
    other.join(20)

    assert fanned_out.is_set()
    assert DigestEntry.objects.filter(subscription=subscription).count() == 1


# --- Tasks ----------------------------------------------------------------------------


def test_digest_tasks_are_routed_to_their_queues():
    app.loader.import_default_modules()
    router = app.amqp.router
    assert router.route({}, "newsrooms.run_digests")["queue"].name == "default"
    assert router.route({}, "newsrooms.send_digest")["queue"].name == "email"
    assert router.route({}, "newsrooms.send_confirmation")["queue"].name == "email"
    beat = django_settings.CELERY_BEAT_SCHEDULE["digests"]
    assert beat["task"] == "newsrooms.run_digests"
    assert beat["schedule"] == django_settings.FACTCHECK_DIGEST_EVERY


@pytest.mark.django_db
@pytest.mark.usefixtures("eager_tasks")
def test_beat_task_enqueues_a_send_per_digest(smtp_server, editor):
    subscribe("anna@example.org")
    subscribe("bohdan@example.org")
    publish(editor)

    assert tasks.run_digests.delay().get() == 2

    assert to_whom(smtp_server) == ["anna@example.org", "bohdan@example.org"]
    assert tasks.send_digest.delay(Digest.objects.first().pk).get() is False  # sent already


@pytest.mark.django_db
def test_an_unreadable_document_does_not_hold_up_the_changes_after_it(smtp_server, editor):
    subscribe()
    broken = publish(editor, "Broken")
    ChangeEvent.objects.filter(claim=broken).update(document='{"not": "a fact-check"}')
    publish(editor, "Fine")

    digests.digests_run()

    [message] = smtp_server.messages
    assert "Fine" in bodies(message)[0]
    assert DigestCursor.objects.get().last_seq == 2
