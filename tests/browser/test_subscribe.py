"""Signing up for email digests in Debian's Chromium, as a reader does: from the index,
through the form (without JavaScript too), to the confirmation link in the email that a
real SMTP server received. Every page is checked with axe-core."""

import re

import pytest

from demo.data import seed_demo
from newsrooms.models import Subscription, SubscriptionState
from tests.browser.test_public_pages import PHONE, assert_basics, axe_violations

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def mail(smtp_server, eager_tasks):
    """The confirmation task runs in the live server's thread and mails the SMTP sink."""
    return smtp_server


def test_a_reader_signs_up_and_confirms_in_the_browser(site, reader, mail):
    seed_demo()
    earlier = len(mail.messages)  # the demo's own emails to its reviewers
    page = reader()  # axe-core runs as a script in the page
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    page.goto(site + "/factchecks/")
    page.get_by_role("link", name="Get fact-checks by email").click()

    assert_basics(page, "en")
    assert page.inner_text("h1") == "Get fact-checks by email"
    assert axe_violations(page) == []
    page.get_by_label("Your email address").fill("ola@example.org")
    page.get_by_label("Weekly").check()
    page.locator("fieldset", has_text="Ratings").get_by_label("False", exact=True).check()
    page.get_by_role("button", name="Subscribe").click()

    assert page.inner_text("h1") == "Check your inbox"
    assert axe_violations(page) == []
    [message] = mail.wait_for(earlier + 1)[earlier:]
    assert message["To"] == "ola@example.org"
    text = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"https?://\S+(/subscriptions/confirm/[^/\s]+/)", text).group(1)
    subscription = Subscription.objects.get()
    assert subscription.state == SubscriptionState.PENDING
    assert [r.slug for r in subscription.ratings.all()] == ["false"]

    page.goto(site + link)
    assert page.inner_text("h1") == "Confirm your subscription"
    assert axe_violations(page) == []
    assert Subscription.objects.get().state == SubscriptionState.PENDING  # GET changed nothing
    page.get_by_role("button", name="Confirm my subscription").click()

    assert page.inner_text("h1") == "Your subscription is confirmed"
    assert Subscription.objects.get().state == SubscriptionState.ACTIVE
    assert len(mail.messages) == earlier + 1
    assert requests and all(r.startswith(site) for r in requests), requests


def test_a_mistake_in_the_form_is_shown_next_to_the_field(site, reader, mail):
    page = reader()
    page.goto(site + "/subscribe/")

    page.get_by_label("Your email address").fill("not an address")
    page.get_by_role("button", name="Subscribe").click()

    assert page.locator(".error-summary").is_visible()
    assert page.get_attribute("#id_email", "aria-invalid") == "true"
    assert axe_violations(page) == []
    assert not Subscription.objects.exists()
    assert mail.messages == []


def test_signing_up_on_a_phone_needs_no_javascript(site, reader, mail):
    seed_demo()
    earlier = len(mail.messages)
    page = reader(viewport=PHONE, javascript=False)

    page.goto(site + "/subscribe/")
    # Nothing wider than the screen: no sideways scrolling to fill in the form.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_label("Your email address").fill("ola@example.org")
    page.get_by_role("button", name="Subscribe").click()

    assert page.inner_text("h1") == "Check your inbox"
    assert mail.wait_for(earlier + 1)[-1]["To"] == "ola@example.org"
    assert Subscription.objects.get().frequency == "daily"
