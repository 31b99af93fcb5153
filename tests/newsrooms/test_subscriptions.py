"""Digest subscriptions: sign-up through the API and the page, double opt-in through a
real SMTP server, confirm and unsubscribe links, and the admin.

Personas: Ola, a reader who signs up on the page or through the API; the Kyiv
Independent's CMS, which signs its editors up with its token; an editor and a reviewer
in the admin.
"""

import datetime
import re
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from claims.models import ClaimStatus
from factcheck.emails import TemporaryEmailError, message_id
from factcheck.errors import DomainError
from newsrooms import digests, schedule, tokens
from newsrooms.models import DigestFrequency, Subscription, SubscriptionState
from newsrooms.subscriptions import (
    confirmation_send,
    confirmations_requeue,
    subscription_confirm,
    subscription_create,
    subscription_unsubscribe,
)
from publishing.changelog import change_events_sequence, last_sequenced
from tests.conftest import wait_for
from tests.factories import ClaimantFactory, ClaimFactory, TopicFactory
from tests.newsrooms.conftest import bearer, fresh_ip

pytestmark = pytest.mark.django_db

OLA = "ola@example.org"
API = "/api/v1/subscriptions/"
ACCEPTED = {"status": "confirmation_sent"}


@pytest.fixture
def api(client):
    """POST a subscription as an anonymous client from an address of its own."""
    ip = fresh_ip()

    def post(body: dict, **headers: str):
        return client.post(API, body, content_type="application/json", REMOTE_ADDR=ip, **headers)

    return post


@pytest.fixture
def signup(api, django_capture_on_commit_callbacks, eager_tasks):
    """An API sign-up whose commit hooks (the confirmation task) run, in this process."""

    def post(body: dict, **headers: str):
        with django_capture_on_commit_callbacks(execute=True):
            return api(body, **headers)

    return post


@pytest.fixture
def published(db):
    """Two fact-checks in the sequenced change log."""
    ClaimFactory(status=ClaimStatus.PUBLISHED)
    ClaimFactory(status=ClaimStatus.PUBLISHED, claim_reviewed="Another verdict")
    change_events_sequence()
    assert last_sequenced()[0] >= 2


def text_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def link_path(message: EmailMessage, purpose: str = "confirm") -> str:
    """The path of the one `purpose` link in the text part (the HTML part has the same)."""
    urls = set(re.findall(rf"https?://\S+/subscriptions/{purpose}/[^/\s]+/", text_of(message)))
    assert len(urls) == 1, urls
    assert urls == set(re.findall(rf"https?://[^\"<\s]+/subscriptions/{purpose}/[^/\s\"<]+/",
                                  html_of(message)))  # fmt: skip
    return urlsplit(urls.pop()).path


def pending(email: str = OLA, **kwargs) -> Subscription:
    return subscription_create(email=email, **kwargs)


def confirmed(email: str = OLA, **kwargs) -> Subscription:
    subscription = pending(email, **kwargs)
    return subscription_confirm(subscription_id=subscription.pk)


def snapshot(subscription: Subscription) -> dict:
    subscription.refresh_from_db()
    return {f.attname: getattr(subscription, f.attname) for f in Subscription._meta.concrete_fields}


# --- Signing up through the API ---------------------------------------------------------


def test_api_signup_sends_exactly_one_confirmation_with_a_working_link(
    client, signup, smtp_server, published
):
    response = signup({"email": OLA, "frequency": "weekly"})

    assert response.status_code == 202
    assert response.json()["status"] == "confirmation_sent"
    subscription = Subscription.objects.get()
    assert (subscription.email, subscription.frequency) == (OLA, DigestFrequency.WEEKLY)
    assert subscription.state == SubscriptionState.PENDING
    assert subscription.newsroom is None and subscription.notify_changes is True
    [message] = smtp_server.messages
    assert smtp_server.recipients == [[OLA]]
    assert message["Message-ID"] == message_id(f"confirm-{subscription.pk}")
    assert message["Subject"].startswith("Confirm your subscription")
    assert message["Auto-Submitted"] == "auto-generated"
    assert "ignore this email: nothing happens unless you confirm" in html_of(message)

    assert client.post(link_path(message)).status_code == 200

    subscription.refresh_from_db()
    assert subscription.state == SubscriptionState.ACTIVE
    assert len(smtp_server.messages) == 1


def test_defaults_are_daily_any_verdict_and_changes_included(signup, smtp_server):
    assert signup({"email": OLA}).status_code == 202

    subscription = Subscription.objects.get()
    assert subscription.frequency == DigestFrequency.DAILY
    assert subscription.language == "" and subscription.notify_changes is True
    assert not subscription.topics.exists() and not subscription.claimants.exists()
    assert not subscription.ratings.exists()


def test_api_signup_with_filters_stores_them(signup, smtp_server):
    topic = TopicFactory(name="Military aid", slug="military-aid")
    claimant = ClaimantFactory()
    body = {"email": OLA, "frequency": "immediate", "topics": ["military-aid"],
            "claimants": [claimant.slug], "ratings": ["false", "mostly-false"],
            "language": "uk", "notify_changes": False}  # fmt: skip

    assert signup(body).status_code == 202

    subscription = Subscription.objects.get()
    assert list(subscription.topics.all()) == [topic]
    assert list(subscription.claimants.all()) == [claimant]
    assert sorted(r.slug for r in subscription.ratings.all()) == ["false", "mostly-false"]
    assert (subscription.language, subscription.notify_changes) == ("uk", False)
    assert "Military aid" in text_of(smtp_server.messages[0])


def test_a_newsroom_token_of_any_scope_attaches_the_newsroom(signup, smtp_server, make_token,
                                                             newsroom):  # fmt: skip
    response = signup({"email": "desk@kyivindependent.com"}, **bearer(make_token("read")))

    assert response.status_code == 202
    assert Subscription.objects.get().newsroom == newsroom


def test_a_newsroom_can_have_several_subscriptions(signup, smtp_server, make_token, newsroom):
    key = make_token("submit")
    for email in ("desk@kyivindependent.com", "night@kyivindependent.com"):
        assert signup({"email": email}, **bearer(key)).status_code == 202

    assert newsroom.subscriptions.count() == 2


def test_a_bad_token_is_refused_and_nothing_is_written(api, smtp_server):
    response = api({"email": OLA}, HTTP_AUTHORIZATION="Bearer AbCd1234." + "x" * 32)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"
    assert not Subscription.objects.exists()


def test_the_answer_is_the_same_for_a_new_and_an_already_subscribed_address(signup, smtp_server):
    confirmed("known@example.org")

    new = signup({"email": "new@example.org"})
    known = signup({"email": "known@example.org"})

    assert new.status_code == known.status_code == 202
    assert new.json() == known.json()
    assert new.json()["status"] == ACCEPTED["status"]


def test_a_repeated_identical_signup_within_the_hour_sends_nothing_new(signup, smtp_server):
    for _ in range(3):
        assert signup({"email": OLA, "topics": []}).status_code == 202

    assert Subscription.objects.count() == 1
    assert len(smtp_server.messages) == 1


def test_a_signup_with_other_settings_while_pending_updates_the_pending_one(signup, smtp_server):
    # One pending confirmation per address (issue 13; more in test_signup_abuse.py).
    signup({"email": OLA, "frequency": "daily"})
    signup({"email": OLA, "frequency": "weekly"})

    assert Subscription.objects.get().frequency == DigestFrequency.WEEKLY
    assert len(smtp_server.messages) == 1


def test_the_same_signup_after_an_hour_sends_the_confirmation_again(signup, smtp_server):
    signup({"email": OLA})
    Subscription.objects.update(
        confirmation_requested_at=timezone.now() - timezone.timedelta(minutes=61)
    )

    signup({"email": OLA})

    assert Subscription.objects.count() == 1
    assert len(smtp_server.messages) == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "email"),
        ({"email": "not an address"}, "email"),
        ({"email": 42}, "email"),
        ({"email": "ola@example"}, "email"),
        ({"email": OLA, "frequency": "hourly"}, "frequency"),
        ({"email": OLA, "language": "English!"}, "language"),
        ({"email": OLA, "topics": "military-aid"}, "topics"),
        ({"email": OLA, "topics": ["not a slug"]}, "topics.0"),
        ({"email": OLA, "ratings": [1]}, "ratings.0"),
        ({"email": OLA, "notify_changes": "yes"}, "notify_changes"),
        ({"email": OLA, "notify_changes": None}, "notify_changes"),
        ({"email": OLA, "claimants": ["x"] * 51}, "claimants"),
    ],
)
def test_bad_input_is_refused_with_the_field_named_and_nothing_written(
    api, smtp_server, body, field
):
    response = api(body)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["fields"], error
    assert not Subscription.objects.exists()
    assert smtp_server.messages == []


@pytest.mark.parametrize("field", ["topics", "claimants", "ratings"])
def test_an_unknown_slug_is_refused_and_nothing_written(api, smtp_server, field):
    TopicFactory(slug="military-aid")

    response = api({"email": OLA, field: ["military-aid", "no-such-thing"]})

    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert list(fields) == [field]
    assert "no-such-thing" in fields[field][0]
    if field != "topics":
        assert "military-aid" in fields[field][0]
    assert not Subscription.objects.exists()


def test_a_body_that_is_not_json_is_refused(client):
    response = client.post(API, "email=ola@example.org", content_type="text/plain")

    assert response.status_code == 415
    assert not Subscription.objects.exists()


def test_anonymous_signups_are_rate_limited(api, settings, smtp_server, steady_rate_clock):
    settings.FACTCHECK_ANON_RATE = "2/min"

    statuses = [api({"email": f"reader{n}@example.org"}).status_code for n in range(3)]

    assert statuses == [202, 202, 429]
    assert Subscription.objects.count() == 2


def test_the_schema_lets_the_endpoint_be_used_without_a_token(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"][API]["post"]

    assert operation["operationId"] == "subscriptions_create"
    assert {} in operation["security"]
    assert set(operation["responses"]) >= {"202", "400", "429"}


# --- Signing up on the page -------------------------------------------------------------


def _form_post(client: Client, data: dict):
    page = client.get(reverse("subscribe"))
    assert page.status_code == 200
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1)
    return client.post(reverse("subscribe"), {**data, "csrfmiddlewaretoken": token.decode()})


def test_page_signup_sends_one_confirmation_and_the_link_confirms(
    smtp_server, eager_tasks, django_capture_on_commit_callbacks, published
):
    TopicFactory(name="Military aid", slug="military-aid")
    browser = Client(enforce_csrf_checks=True)

    with django_capture_on_commit_callbacks(execute=True):
        response = _form_post(browser, {"email": OLA, "frequency": "daily",
                                        "topics": ["military-aid"], "notify_changes": "on"})  # fmt: skip

    assert response.status_code == 200
    assert b"Check your inbox" in response.content
    subscription = Subscription.objects.get()
    assert [t.slug for t in subscription.topics.all()] == ["military-aid"]
    [message] = smtp_server.messages
    path = link_path(message)
    assert Client().post(path).status_code == 200
    assert Subscription.objects.get().state == SubscriptionState.ACTIVE
    assert len(smtp_server.messages) == 1


def test_page_offers_topics_ratings_and_published_claimants_only(client, published):
    ClaimantFactory(name="Nobody Published", slug="nobody-published")
    TopicFactory(name="Military aid", slug="military-aid")

    page = client.get(reverse("subscribe")).content.decode()

    assert 'value="military-aid"' in page and "Military aid" in page
    assert 'value="mostly-false"' in page  # the rating scale
    assert "Sergei Shoigu" in page
    assert "Nobody Published" not in page


def test_page_signup_needs_the_csrf_token(smtp_server):
    browser = Client(enforce_csrf_checks=True)

    response = browser.post(reverse("subscribe"), {"email": OLA, "frequency": "daily"})

    assert response.status_code == 403
    assert not Subscription.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"email": "nope", "frequency": "daily"}, "email"),
        ({"email": OLA, "frequency": "hourly"}, "frequency"),
        ({"email": OLA, "frequency": "daily", "topics": ["no-such-topic"]}, "topics"),
        ({"email": OLA, "frequency": "daily", "language": "English!"}, "language"),
    ],
)
def test_page_refuses_bad_input_with_the_field_named_and_writes_nothing(smtp_server, data, field):
    response = _form_post(Client(enforce_csrf_checks=True), data)

    assert response.status_code == 400
    assert f'id="id_{field}_error"'.encode() in response.content or b"error-summary" in (
        response.content
    )
    assert response.context["form"].errors[field]
    assert not Subscription.objects.exists()
    assert smtp_server.messages == []


def test_page_signups_count_against_the_anonymous_rate(settings, smtp_server, steady_rate_clock):
    settings.FACTCHECK_ANON_RATE = "2/min"
    browser = Client(REMOTE_ADDR=fresh_ip())

    statuses = [
        browser.post(reverse("subscribe"), {"email": f"r{n}@example.org", "frequency": "daily"})
        for n in range(3)
    ]

    assert [r.status_code for r in statuses] == [200, 200, 429]
    assert int(statuses[-1]["Retry-After"]) >= 1
    assert Subscription.objects.count() == 2


def test_the_index_page_links_to_the_signup_page(client):
    page = client.get(reverse("factcheck-index"))

    assert f'href="{reverse("subscribe")}"'.encode() in page.content


# --- Confirming ---------------------------------------------------------------------------


def test_get_on_the_confirm_link_changes_nothing(client, db):
    subscription = pending()
    before = snapshot(subscription)

    page = client.get(_path(tokens.confirm_url(subscription.pk)))

    assert page.status_code == 200
    assert b"<form" in page.content and b"Confirm my subscription" in page.content
    assert snapshot(subscription) == before


def test_post_confirms_from_the_newest_change_with_the_next_digest_time(client, published):
    subscription = pending(frequency=DigestFrequency.DAILY)
    newest = last_sequenced()[0]
    before = timezone.now()

    page = client.post(_path(tokens.confirm_url(subscription.pk)))

    assert page.status_code == 200
    assert b"Your subscription is confirmed" in page.content
    subscription.refresh_from_db()
    assert subscription.state == SubscriptionState.ACTIVE
    assert subscription.start_seq == newest
    assert before <= subscription.confirmed_at <= timezone.now()
    assert subscription.next_digest_at == schedule.next_due(
        DigestFrequency.DAILY, subscription.confirmed_at
    )
    assert subscription.history.count() == 2  # created, confirmed


def test_confirming_twice_changes_nothing_the_second_time(client, published):
    subscription = confirmed()
    before = snapshot(subscription)
    ClaimFactory(status=ClaimStatus.PUBLISHED, claim_reviewed="Newer verdict")
    change_events_sequence()

    assert client.post(_path(tokens.confirm_url(subscription.pk))).status_code == 200

    assert snapshot(subscription) == before


def test_a_confirm_link_does_not_bring_back_an_unsubscribed_address(client, db):
    subscription = pending()
    subscription_unsubscribe(subscription_id=subscription.pk)
    before = snapshot(subscription)

    page = client.post(_path(tokens.confirm_url(subscription.pk)))

    assert page.status_code == 200
    assert b"This subscription has ended" in page.content
    assert snapshot(subscription) == before


def _tampered(token: str) -> str:
    """The same token with one character of its signature changed."""
    last = token[-1]
    return token[:-1] + ("A" if last != "A" else "B")


def _bad_links(subscription_id: int, purpose: str) -> dict[str, str]:
    other = tokens.UNSUBSCRIBE if purpose == tokens.CONFIRM else tokens.CONFIRM
    token = tokens.make_token(subscription_id, purpose)
    forged = tokens.make_token(subscription_id + 1, purpose).split(":")[0]
    return {
        "tampered": _tampered(token),
        "other purpose": tokens.make_token(subscription_id, other),
        "other id, same signature": forged + ":" + token.split(":", 1)[1],
        "garbage": "not-a-token",
    }


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("purpose", [tokens.CONFIRM, tokens.UNSUBSCRIBE])
def test_a_tampered_or_wrong_purpose_token_is_a_400_and_changes_nothing(db, method, purpose):
    subscription = pending()
    if purpose == tokens.UNSUBSCRIBE:
        subscription = subscription_confirm(subscription_id=subscription.pk)
    before = snapshot(subscription)
    client = Client(enforce_csrf_checks=True)

    for name, token in _bad_links(subscription.pk, purpose).items():
        page = getattr(client, method)(f"/subscriptions/{purpose}/{token}/")
        assert page.status_code == 400, name
        assert b"This link does not work" in page.content, name

    assert snapshot(subscription) == before


def test_an_expired_confirm_link_is_a_400_and_confirms_nothing(client, settings, db):
    subscription = pending()
    path = _path(tokens.confirm_url(subscription.pk))
    settings.FACTCHECK_CONFIRM_MAX_AGE = -1  # every link is older than that

    page = client.post(path)

    assert page.status_code == 400
    assert Subscription.objects.get().state == SubscriptionState.PENDING


def test_a_link_to_a_deleted_subscription_is_a_400(client, db):
    subscription = pending()
    path = _path(tokens.unsubscribe_url(subscription.pk))
    subscription.delete()

    assert client.post(path).status_code == 400


# --- Unsubscribing ------------------------------------------------------------------------


def test_one_click_unsubscribe_needs_no_cookie_and_no_csrf_token(db):
    subscription = confirmed()
    mail_client = Client(enforce_csrf_checks=True)  # no cookie, no CSRF token

    response = mail_client.post(
        _path(tokens.unsubscribe_url(subscription.pk)),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    subscription.refresh_from_db()
    assert subscription.state == SubscriptionState.UNSUBSCRIBED
    assert subscription.ended_at is not None and subscription.next_digest_at is None


def test_unsubscribing_twice_is_harmless(client, db):
    subscription = confirmed()
    path = _path(tokens.unsubscribe_url(subscription.pk))
    client.post(path)
    before = snapshot(subscription)

    page = client.post(path)

    assert page.status_code == 200
    assert b"You are unsubscribed" in page.content
    assert snapshot(subscription) == before


def test_get_on_the_unsubscribe_link_changes_nothing(client, db):
    subscription = confirmed()
    before = snapshot(subscription)

    page = client.get(_path(tokens.unsubscribe_url(subscription.pk)))

    assert page.status_code == 200
    assert b"<form" in page.content and b"Stop sending fact-checks to" in page.content
    assert page["Cache-Control"] == "private, no-store"
    assert snapshot(subscription) == before


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"email": "nope"}, "email"),
        ({"email": OLA, "frequency": "hourly"}, "frequency"),
        ({"email": OLA, "language": "English!"}, "language"),
        ({"email": OLA, "topics": ["no-such-topic"]}, "topics"),
    ],
)
def test_the_service_refuses_bad_input_naming_the_field(kwargs, field):
    with pytest.raises(DomainError) as refused:
        subscription_create(**kwargs)

    assert refused.value.code == "invalid"
    assert field in refused.value.fields
    assert not Subscription.objects.exists()


def test_the_service_names_every_field_at_fault_at_once():
    with pytest.raises(DomainError) as refused:
        subscription_create(email="nope", ratings=["no-such-rating"], language="English!")

    assert set(refused.value.fields) == {"email", "ratings", "language"}
    assert not Subscription.objects.exists()


def test_a_bounced_address_stays_bounced_when_it_unsubscribes(db):
    subscription = confirmed()
    Subscription.objects.filter(pk=subscription.pk).update(state=SubscriptionState.BOUNCED)

    subscription_unsubscribe(subscription_id=subscription.pk)

    assert Subscription.objects.get().state == SubscriptionState.BOUNCED


# --- The confirmation email ---------------------------------------------------------------


def test_the_confirmation_goes_only_to_a_pending_subscription(smtp_server, db):
    subscription = confirmed()

    assert confirmation_send(subscription.pk) is False
    assert confirmation_send(999_999) is False
    assert smtp_server.messages == []


def test_a_resent_confirmation_has_the_same_message_id(smtp_server, db):
    subscription = pending()

    assert confirmation_send(subscription.pk)
    # As if the worker died after the SMTP accept, before it wrote "sent" down.
    Subscription.objects.filter(pk=subscription.pk).update(confirmation_sent_at=None)
    assert confirmation_send(subscription.pk)

    first, second = smtp_server.messages
    assert first["Message-ID"] == second["Message-ID"] == message_id(f"confirm-{subscription.pk}")


def test_a_temporary_smtp_failure_is_raised_for_a_retry(smtp_server, db):
    subscription = pending()
    smtp_server.replies.append("451 4.3.0 Try again later")

    with pytest.raises(TemporaryEmailError):
        confirmation_send(subscription.pk)

    assert Subscription.objects.get().state == SubscriptionState.PENDING
    assert confirmation_send(subscription.pk) is True


def test_a_permanent_smtp_refusal_marks_the_address_bounced(smtp_server, db):
    subscription = pending()
    smtp_server.replies.append("550 5.1.1 No such user")

    assert confirmation_send(subscription.pk) is False

    subscription.refresh_from_db()
    assert subscription.state == SubscriptionState.BOUNCED
    assert "550" in subscription.bounce_reason and subscription.ended_at is not None
    assert confirmation_send(subscription.pk) is False
    assert smtp_server.messages == []


def test_a_broker_outage_does_not_fail_the_signup(
    api, caplog, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(subscription_id: int) -> None:
        raise OperationalError("Error 111 connecting to the broker. Connection refused.")

    monkeypatch.setattr("newsrooms.tasks.send_confirmation.delay", broker_down)

    with django_capture_on_commit_callbacks(execute=True):
        response = api({"email": OLA})

    assert response.status_code == 202
    assert Subscription.objects.get().state == SubscriptionState.PENDING
    assert "Could not enqueue the confirmation" in caplog.text


def test_a_confirmation_lost_to_a_broker_outage_is_sent_by_a_later_run(
    api, monkeypatch, django_capture_on_commit_callbacks, smtp_server, eager_tasks
):
    with monkeypatch.context() as outage:
        outage.setattr("newsrooms.tasks.send_confirmation.delay", broker_is_down)
        with django_capture_on_commit_callbacks(execute=True):
            assert api({"email": OLA}).status_code == 202
    assert smtp_server.messages == []

    # The broker is back. Too early: the hand-over may still be on its way.
    assert confirmations_requeue() == 0
    later = timezone.now() + datetime.timedelta(minutes=31)
    assert confirmations_requeue(now=later) == 1
    assert confirmations_requeue(now=later + datetime.timedelta(minutes=31)) == 0

    [message] = smtp_server.messages
    assert message["To"] == OLA
    assert Subscription.objects.get().confirmation_sent_at is not None


def test_a_redelivered_confirmation_task_sends_nothing_more(smtp_server, db):
    subscription = pending()

    assert confirmation_send(subscription.pk) is True
    assert confirmation_send(subscription.pk) is False

    assert len(smtp_server.messages) == 1


def test_a_confirmation_being_sent_by_another_task_is_left_to_it(smtp_server, db):
    subscription = pending()
    # Another worker holds the lease: it is sending right now.
    Subscription.objects.filter(pk=subscription.pk).update(
        confirmation_locked_until=timezone.now() + datetime.timedelta(seconds=60)
    )

    assert confirmation_send(subscription.pk) is False
    assert smtp_server.messages == []


def test_a_confirmation_whose_sender_died_goes_once_its_lease_ran_out(smtp_server, db):
    subscription = pending()
    Subscription.objects.filter(pk=subscription.pk).update(
        confirmation_locked_until=timezone.now() - datetime.timedelta(seconds=1)
    )

    assert confirmation_send(subscription.pk) is True
    assert confirmation_send(subscription.pk) is False

    [message] = smtp_server.messages
    assert message["Message-ID"] == message_id(f"confirm-{subscription.pk}")
    subscription.refresh_from_db()
    assert subscription.confirmation_locked_until is None
    assert subscription.confirmation_sent_at is not None


def test_a_resend_asked_for_while_the_last_one_is_being_sent_goes_at_once(
    smtp_server, settings, db
):
    settings.FACTCHECK_CONFIRM_RESEND_AFTER = 0
    first = pending()
    Subscription.objects.filter(pk=first.pk).update(  # the first email is on its way
        confirmation_locked_until=timezone.now() + datetime.timedelta(seconds=60)
    )

    again = pending()  # the reader signs up again

    assert again.pk == first.pk
    assert confirmation_send(first.pk) is True
    [message] = smtp_server.messages
    assert message["Message-ID"] == message_id(f"confirm-{first.pk}-2")


def broker_is_down(subscription_id: int) -> None:
    raise OperationalError("Error 111 connecting to the broker. Connection refused.")


@pytest.mark.worker
def test_the_confirmation_email_goes_out_through_a_real_worker(celery_workers, smtp_server):
    celery_workers.start(queues="email", EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(smtp_server.port))
    client = Client()

    # Autocommit here: the sign-up commits and its task goes to Redis.
    response = client.post(API, {"email": OLA}, content_type="application/json",
                           REMOTE_ADDR=fresh_ip())  # fmt: skip

    assert response.status_code == 202
    [message] = smtp_server.wait_for(1, timeout=60)
    assert message["To"] == OLA
    assert client.post(link_path(message)).status_code == 200
    wait_for(lambda: Subscription.objects.get().state == SubscriptionState.ACTIVE)
    assert "newsrooms.send_confirmation" in celery_workers.logs()


# --- Nothing but the confirmation before confirming ---------------------------------------


def test_a_pending_subscription_gets_no_digest_only_the_confirmed_one_does(smtp_server, db):
    waiting = pending("waiting@example.org", frequency=DigestFrequency.IMMEDIATE)
    reader = confirmed(OLA, frequency=DigestFrequency.IMMEDIATE)
    ClaimFactory(status=ClaimStatus.PUBLISHED)
    change_events_sequence()

    digests.digests_run(now=timezone.now() + timezone.timedelta(minutes=1))

    assert smtp_server.recipients == [[OLA]]
    assert not waiting.entries.exists() and not waiting.digests.exists()
    assert reader.digests.get().state == "sent"


# --- The admin ------------------------------------------------------------------------------


def _admin_pages(subscription: Subscription) -> dict[str, str]:
    return {
        "subscriptions": reverse("admin:newsrooms_subscription_changelist"),
        "subscription": reverse("admin:newsrooms_subscription_change", args=[subscription.pk]),
        "history": reverse("admin:newsrooms_subscription_history", args=[subscription.pk]),
        "digests": reverse("admin:newsrooms_digest_changelist"),
        "ledger": reverse("admin:newsrooms_digestentry_changelist"),
    }


@pytest.mark.parametrize("persona", ["editor", "admin_user"])
def test_editors_and_admins_see_subscriptions_and_their_history(request, client, persona):
    subscription = confirmed(topics=[TopicFactory(slug="elections").slug])
    everything = confirmed("desk@example.org")
    claim = ClaimFactory(status=ClaimStatus.PUBLISHED)
    change_events_sequence()
    digests.ledger_extend()
    digests.digests_open_due(now=timezone.now() + datetime.timedelta(days=8))  # both due
    client.force_login(request.getfixturevalue(persona))

    for name, url in _admin_pages(subscription).items():
        response = client.get(url)
        assert response.status_code == 200, name
    # The digest and the number of verdicts it carries, on the subscription's page.
    digest = everything.digests.get()
    page = client.get(_admin_pages(everything)["subscription"]).content.decode()
    assert reverse("admin:newsrooms_digest_change", args=[digest.pk]) in page
    assert client.get(reverse("admin:newsrooms_digest_change", args=[digest.pk])).status_code == 200
    assert digest.entries.get().claim_id == claim.pk
    history = client.get(_admin_pages(subscription)["history"]).content.decode()
    # Each version is listed: the sign-up, its filters, the confirmation.
    versions = list(subscription.history.all())
    assert [v.state for v in versions][:1] == [SubscriptionState.ACTIVE] and len(versions) == 3
    for version in versions:
        assert f"/history/{version.history_id}/" in history
    page = client.get(_admin_pages(subscription)["subscriptions"]).content.decode()
    assert OLA in page and "Send a preview of the next digest to me" in page


@pytest.mark.parametrize("persona", ["reviewer", "outsider"])
def test_reviewers_may_not_see_subscriptions(request, client, persona):
    subscription = confirmed()
    client.force_login(request.getfixturevalue(persona))

    for name, url in _admin_pages(subscription).items():
        assert client.get(url).status_code == 403, name


def test_the_preview_action_mails_the_next_digest_to_the_editor(client, editor, smtp_server):
    subscription = confirmed()
    ClaimFactory(status=ClaimStatus.PUBLISHED, claim_reviewed="Casualties above 90,000")
    change_events_sequence()
    digests.ledger_extend()
    client.force_login(editor)

    response = client.post(
        reverse("admin:newsrooms_subscription_changelist"),
        {"action": "send_preview", "_selected_action": [subscription.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "1 preview sent to iryna@example.org" in response.content.decode()
    [message] = smtp_server.messages
    assert smtp_server.recipients == [[editor.email]]
    assert "[Preview]" in message["Subject"]
    assert "Casualties above 90,000" in text_of(message)
    # A preview is not the digest: the entry is still owed to the subscriber.
    subscription.refresh_from_db()
    assert subscription.entries.count() == 1
    assert subscription.sent_seq == 0
    assert not subscription.digests.exists()


def test_the_preview_action_says_when_there_is_nothing_to_show(client, editor, smtp_server):
    subscription = confirmed()
    client.force_login(editor)

    response = client.post(
        reverse("admin:newsrooms_subscription_changelist"),
        {"action": "send_preview", "_selected_action": [subscription.pk]},
        follow=True,
    )

    assert "have no verdict to show yet" in response.content.decode()
    assert smtp_server.messages == []


def test_nobody_edits_a_subscription_in_the_admin(client, admin_user):
    subscription = confirmed()
    client.force_login(admin_user)

    page = client.get(reverse("admin:newsrooms_subscription_change", args=[subscription.pk]))

    assert b'name="email"' not in page.content
    assert client.get(reverse("admin:newsrooms_subscription_add")).status_code == 403


# --- helpers ------------------------------------------------------------------------------


def _path(url: str) -> str:
    return urlsplit(url).path
