"""Sign-ups cannot be used to mail-bomb a stranger (issue 13, point 4): one pending
confirmation per mailbox, a resend interval, a daily cap, and the same answer whatever
the address's state. Emails are observed on a real SMTP server (tests/mail.py).

Personas: Mallory, who signs Ola's address up again and again in every spelling and
setting she can think of; Ola, whose inbox it is; the Kyiv Independent's CMS.
"""

import datetime
import re
import threading

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from newsrooms import subscriptions
from newsrooms.addresses import address_key
from newsrooms.models import ConfirmationEmail, Subscription, SubscriptionState
from newsrooms.subscriptions import subscription_confirm, subscription_create
from tests.conftest import wait_for
from tests.factories import TopicFactory
from tests.newsrooms.conftest import bearer, fresh_ip
from tests.newsrooms.test_subscriptions import link_path, text_of

pytestmark = pytest.mark.django_db

OLA = "ola@example.org"
API = "/api/v1/subscriptions/"
LANGUAGES = ["", "en", "uk", "ru", "de", "fr", "pl", "es"]
# The case: 16 sign-ups of one address, other languages and letter cases.
SIXTEEN = [
    {"email": email, "language": language}
    for language in LANGUAGES
    for email in ("ola@example.org", "Ola@EXAMPLE.org")
]

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: concurrent writers (SQLite serialises every transaction)",
)


@pytest.fixture
def mallory(client, django_capture_on_commit_callbacks, eager_tasks):
    """API sign-ups from one client address whose confirmation tasks run at once."""
    ip = fresh_ip()

    def post(body: dict, **headers: str):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                API, body, content_type="application/json", REMOTE_ADDR=ip, **headers
            )

    return post


@pytest.fixture
def on_the_page(django_capture_on_commit_callbacks, eager_tasks):
    """Sign-ups through the public form, confirmation tasks run at once."""
    browser = Client(REMOTE_ADDR=fresh_ip())

    def post(data: dict):
        with django_capture_on_commit_callbacks(execute=True):
            return browser.post(reverse("subscribe"), {"frequency": "daily", **data})

    return post


# --- One pending confirmation per mailbox ---------------------------------------------------


def test_sixteen_signups_in_other_languages_and_cases_send_ola_one_confirmation(
    mallory, smtp_server
):
    answers = [mallory(body) for body in SIXTEEN]

    assert {answer.status_code for answer in answers} == {202}
    assert len({answer.content for answer in answers}) == 1
    [subscription] = Subscription.objects.all()
    assert subscription.state == SubscriptionState.PENDING
    assert smtp_server.recipients == [[OLA]]


@pytest.mark.worker
def test_sixteen_signups_through_a_real_worker_send_one_confirmation(
    celery_workers, clean_broker, smtp_server
):
    celery_workers.start(queues="email", EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(smtp_server.port))
    client, ip = Client(), fresh_ip()

    # Autocommit: each sign-up commits and whatever it enqueues goes to Redis.
    for body in SIXTEEN:
        response = client.post(API, body, content_type="application/json", REMOTE_ADDR=ip)
        assert response.status_code == 202

    smtp_server.wait_for(1, timeout=60)
    wait_for(lambda: clean_broker.llen("email") == 0, timeout=60)
    wait_for(lambda: Subscription.objects.get().confirmation_sent_at is not None)
    logs = celery_workers.logs()
    assert len(re.findall(r"newsrooms\.send_confirmation\[[^]]+\] received", logs)) == 1
    assert smtp_server.recipients == [[OLA]]


def test_the_page_and_the_api_share_the_one_pending_confirmation(mallory, on_the_page, smtp_server):
    assert mallory({"email": OLA}).status_code == 202
    for spelling in ("  OLA@example.org ", "ola@ＥＸＡＭＰＬＥ.org", '"o\\la"@example.org',
                     "ola+digest@example.org", "Ola@Example.Org"):  # fmt: skip
        assert on_the_page({"email": spelling}).status_code == 200

    assert Subscription.objects.count() == 1
    assert smtp_server.recipients == [[OLA]]


@pytest.mark.parametrize(
    "spelling",
    [
        "Ola@Example.org",
        " ola@example.org\t",
        "OLA@EXAMPLE.ORG",
        "ola@ｅｘａｍｐｌｅ.org",  # fullwidth letters: IDNA maps them to ASCII
        '"ola"@example.org',
        '"o\\la"@example.org',
        "ola+news@example.org",
        "ola+@example.org",
    ],
)
def test_spellings_of_one_mailbox_have_one_key(spelling):
    assert address_key(spelling) == "ola@example.org"


def test_unicode_and_punycode_domains_have_one_key():
    assert address_key("ola@пример.рф") == address_key("ola@XN--E1AFMKFD.xn--p1ai")


def test_gmail_dots_and_googlemail_are_one_mailbox():
    assert address_key("O.La+x@googlemail.com") == address_key("ola@gmail.com") == "ola@gmail.com"


@pytest.mark.parametrize(
    "other", ["anna@example.org", "ola@example.com", "o.la@example.org", "ola-news@example.org"]
)
def test_other_mailboxes_keep_their_own_key(other):
    assert address_key(other) != address_key(OLA)


def test_a_signup_while_pending_updates_its_settings_and_keeps_its_address(mallory, smtp_server):
    TopicFactory(slug="military-aid")
    mallory({"email": OLA, "frequency": "daily"})

    mallory({"email": "OLA+x@example.org", "frequency": "weekly", "topics": ["military-aid"],
             "language": "uk", "notify_changes": False})  # fmt: skip

    subscription = Subscription.objects.get()
    assert subscription.email == OLA  # the address the confirmation went to
    assert (subscription.frequency, subscription.language) == ("weekly", "uk")
    assert [t.slug for t in subscription.topics.all()] == ["military-aid"]
    assert subscription.notify_changes is False
    assert len(smtp_server.messages) == 1


def test_an_anonymous_signup_leaves_a_newsrooms_pending_signup_its_newsroom(
    mallory, smtp_server, make_token, newsroom
):
    mallory({"email": OLA}, **bearer(make_token("read")))

    mallory({"email": OLA, "frequency": "weekly"})

    subscription = Subscription.objects.get()
    assert subscription.newsroom == newsroom and subscription.frequency == "weekly"


def test_the_database_allows_one_pending_subscription_per_mailbox(db):
    Subscription.objects.create(email=OLA)

    with pytest.raises(IntegrityError), transaction.atomic():
        Subscription.objects.create(email="Ola+x@EXAMPLE.org")
    # Confirmed (or ended) subscriptions of the mailbox are not limited.
    Subscription.objects.create(email="Ola@example.org", state=SubscriptionState.ACTIVE)
    Subscription.objects.create(email="ola@example.org", state=SubscriptionState.UNSUBSCRIBED)

    assert Subscription.objects.filter(email_normalized="ola@example.org").count() == 3


def test_after_confirming_a_new_signup_is_a_new_pending_subscription(mallory, smtp_server,
                                                                     client):  # fmt: skip
    mallory({"email": OLA, "frequency": "daily"})
    assert client.post(link_path(smtp_server.messages[0])).status_code == 200

    mallory({"email": OLA, "frequency": "weekly"})

    states = dict(Subscription.objects.values_list("frequency", "state"))
    assert states == {"daily": SubscriptionState.ACTIVE, "weekly": SubscriptionState.PENDING}
    assert len(smtp_server.messages) == 2


def test_confirming_a_twin_of_an_active_subscription_keeps_one(mallory, smtp_server, client):
    """The same settings signed up again after confirming: the second link confirms the
    first subscription, not a second one that would send each digest twice."""
    mallory({"email": OLA, "frequency": "daily"})
    assert client.post(link_path(smtp_server.messages[0])).status_code == 200
    mallory({"email": OLA.upper(), "frequency": "daily"})

    response = client.post(link_path(smtp_server.messages[1]))

    assert response.status_code == 200
    states = sorted(Subscription.objects.values_list("state", flat=True))
    assert states == sorted([SubscriptionState.ACTIVE, SubscriptionState.UNSUBSCRIBED])


# --- The resend interval and the daily cap --------------------------------------------------


def _an_hour_passes() -> None:
    earlier = timezone.now() - datetime.timedelta(minutes=61)
    Subscription.objects.update(confirmation_requested_at=earlier)


def test_after_the_resend_interval_a_signup_sends_the_pending_confirmation_again(
    mallory, smtp_server, settings, client
):
    settings.FACTCHECK_CONFIRM_RESEND_AFTER = 3600
    mallory({"email": OLA, "frequency": "daily"})
    mallory({"email": OLA, "frequency": "weekly"})  # within the interval: nothing sent
    assert len(smtp_server.messages) == 1

    _an_hour_passes()
    mallory({"email": OLA, "frequency": "immediate"})

    first, second = smtp_server.messages
    assert first["Message-ID"] != second["Message-ID"]  # no client hides it as a duplicate
    assert "(immediate)" in text_of(second)
    assert client.post(link_path(second)).status_code == 200
    subscription = Subscription.objects.get()
    assert (subscription.state, subscription.frequency) == ("active", "immediate")
    assert client.post(link_path(first)).status_code == 200  # the earlier link: a no-op
    assert len(smtp_server.messages) == 2


def test_no_more_confirmations_than_the_daily_cap_reach_an_address(mallory, smtp_server, settings):
    settings.FACTCHECK_CONFIRM_RESEND_AFTER = 0
    settings.FACTCHECK_CONFIRM_DAILY_MAX = 3

    answers = [mallory({"email": OLA, "language": lang}) for lang in LANGUAGES]

    assert {answer.status_code for answer in answers} == {202}
    assert len(smtp_server.messages) == 3
    ConfirmationEmail.objects.update(requested_at=timezone.now() - datetime.timedelta(hours=25))
    mallory({"email": OLA})
    assert len(smtp_server.messages) == 4


def test_the_daily_cap_counts_every_subscription_of_the_mailbox(
    mallory, smtp_server, settings, client
):
    settings.FACTCHECK_CONFIRM_RESEND_AFTER = 0
    settings.FACTCHECK_CONFIRM_DAILY_MAX = 2
    mallory({"email": OLA, "frequency": "daily"})
    assert client.post(link_path(smtp_server.messages[0])).status_code == 200
    mallory({"email": "Ola@example.org", "frequency": "weekly"})  # a second subscription

    mallory({"email": OLA, "frequency": "immediate"})
    mallory({"email": OLA, "frequency": "immediate"})

    assert len(smtp_server.messages) == 2
    assert Subscription.objects.count() == 2


def test_a_signup_over_the_cap_still_leaves_a_pending_subscription_to_send_later(
    mallory, smtp_server, settings, client
):
    settings.FACTCHECK_CONFIRM_DAILY_MAX = 1
    mallory({"email": OLA})
    assert client.post(link_path(smtp_server.messages[0])).status_code == 200

    mallory({"email": OLA, "frequency": "weekly"})  # over the cap: no email
    assert len(smtp_server.messages) == 1
    assert (
        subscriptions.confirmations_requeue(now=timezone.now() + datetime.timedelta(hours=1)) == 0
    )
    ConfirmationEmail.objects.update(requested_at=timezone.now() - datetime.timedelta(hours=25))
    mallory({"email": OLA, "frequency": "weekly"})

    assert len(smtp_server.messages) == 2
    assert client.post(link_path(smtp_server.messages[1])).status_code == 200
    assert set(Subscription.objects.values_list("state", flat=True)) == {"active"}


# --- Nobody learns whether an address is subscribed -----------------------------------------


def _addresses_in_every_state(settings) -> dict[str, str]:
    """An address per state a sign-up can meet, before the sign-up."""
    settings.FACTCHECK_CONFIRM_DAILY_MAX = 2
    settings.FACTCHECK_CONFIRM_RESEND_AFTER = 0  # "pending" is sent again, "capped" not
    subscription_create(email="pending@example.org")
    for _ in range(2):
        subscription_create(email="capped@example.org")  # both of the day's emails used
    confirmed = subscription_create(email="confirmed@example.org")
    subscription_confirm(subscription_id=confirmed.pk)
    for state in (SubscriptionState.UNSUBSCRIBED, SubscriptionState.BOUNCED):
        Subscription.objects.create(email=f"{state}@example.org", state=state)
    return {
        state: f"{state}@example.org"
        for state in ("new", "pending", "capped", "confirmed", "unsubscribed", "bounced")
    }


def test_the_api_answers_the_same_whatever_the_state_of_the_address(mallory, smtp_server, settings):
    addresses = _addresses_in_every_state(settings)

    answers = {state: mallory({"email": email}) for state, email in addresses.items()}

    assert {answer.status_code for answer in answers.values()} == {202}
    assert len({answer.content for answer in answers.values()}) == 1
    assert len({tuple(sorted(answer.headers.items())) for answer in answers.values()}) == 1


def test_the_page_answers_the_same_whatever_the_state_of_the_address(
    on_the_page, smtp_server, settings
):
    addresses = _addresses_in_every_state(settings)

    answers = {state: on_the_page({"email": email}) for state, email in addresses.items()}

    assert {answer.status_code for answer in answers.values()} == {200}
    pages = {
        # Per-request values (a CSP nonce, a CSRF token) are not about the address.
        re.sub(r'(nonce|value)="[^"]*"', "", answer.content.decode()).replace(
            addresses[state], "ADDRESS"
        )
        for state, answer in answers.items()
    }
    assert len(pages) == 1
    assert "Check your inbox" in pages.pop()


# --- Concurrent sign-ups ----------------------------------------------------------------------


def _sign_up_at_once(count: int, bodies: list[dict]) -> list[int]:
    start = threading.Barrier(count)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def sign_up(body: dict) -> None:
        try:
            start.wait(30)
            response = Client().post(
                API, body, content_type="application/json", REMOTE_ADDR=fresh_ip()
            )
            statuses.append(response.status_code)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sign_up, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    return statuses


@pytest.mark.django_db(transaction=True)
def test_simultaneous_signups_of_one_address_give_one_row_and_one_email(eager_tasks, smtp_server):
    bodies = [{"email": email} for email in ("ola@example.org", "Ola@example.org") * 4]

    statuses = _sign_up_at_once(len(bodies), bodies)

    assert statuses == [202] * len(bodies)
    [subscription] = Subscription.objects.all()
    assert subscription.email in {"ola@example.org", "Ola@example.org"}  # the first to commit
    assert smtp_server.recipients == [[subscription.email]]


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_signups_that_both_find_no_pending_one_give_one_row_and_one_email(
    eager_tasks, smtp_server, monkeypatch
):
    """Both transactions look before either writes: the unique index makes the second
    INSERT wait for the first commit and fail, and the second sign-up then updates the
    first one's row."""
    both_looked = threading.Barrier(2)
    looked = threading.local()
    find = subscriptions._pending_for

    def find_then_wait(key: str):
        found = find(key)
        if not getattr(looked, "once", False):
            looked.once = True
            both_looked.wait(30)
        return found

    monkeypatch.setattr(subscriptions, "_pending_for", find_then_wait)

    statuses = _sign_up_at_once(2, [{"email": OLA}, {"email": "OLA@example.org",
                                                     "frequency": "weekly"}])  # fmt: skip

    assert statuses == [202, 202]
    [subscription] = Subscription.objects.all()
    assert subscription.state == SubscriptionState.PENDING
    assert smtp_server.recipients == [[subscription.email]]
