"""Digests in one process against a real SMTP server (tests/mail.py) and the real
database: what the ledger owes whom, what a digest shows, and each delivery guarantee."""

import datetime
import json

import pytest
from django.db import connection
from django.utils import timezone

from claims import changelog, services
from claims.models import ClaimStatus, Publication
from newsrooms import digests
from newsrooms.models import (
    DigestEntry,
    DigestFrequency,
    DigestState,
    Subscription,
    SubscriptionState,
)
from tests.factories import ClaimFactory, rating

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
    claim = ClaimFactory(status=ClaimStatus.IN_APPROVAL, claim_reviewed=title, **extra, **kwargs)
    claim.topics.set(topics)
    claim.verdicts.update(rating=rating(rating_slug))
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
    assert DigestEntry.objects.get().digest.state == DigestState.SENT
