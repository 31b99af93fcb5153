"""A real digest's HTML part in Debian's Chromium: built by the digest code from the
demo's published verdicts, sent to the test SMTP server, taken from the message that
arrived. It must load nothing from anywhere (mail clients block remote assets, and a
digest must read the same without them) and show every verdict. Saves
docs/screenshots/digest.png."""

import pytest
from django.core.mail import get_connection
from django.utils import timezone

from claims.models import ClaimStatus
from demo.data import demo_claims, seed_demo
from newsrooms import digests
from newsrooms.models import DigestFrequency, DigestState, Subscription, SubscriptionState
from publishing.changelog import last_sequenced
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)

DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def received_digest(smtp_server):
    """The digest email of a subscriber who confirmed before the demo was published."""
    now = timezone.now()
    subscription = Subscription.objects.create(
        email="reader@example.org",
        frequency=DigestFrequency.DAILY,
        state=SubscriptionState.ACTIVE,
        start_seq=last_sequenced()[0],
        confirmed_at=now,
        next_digest_at=now,
    )
    seed_demo()
    digests.ledger_extend()
    opened = digests.digests_open_due(now=timezone.now())
    assert len(opened) == 1
    with get_connection() as connection:
        assert digests.digest_send(opened[0], connection=connection)
    assert subscription.digests.get().state == DigestState.SENT
    [message] = smtp_server.wait_for(1)
    assert smtp_server.recipients == [[subscription.email]]
    return message


def test_digest_html_loads_nothing_remote_and_shows_every_verdict(browser, received_digest):
    html = received_digest.get_body(("html",)).get_content()
    published = [c for c in demo_claims() if c.status == ClaimStatus.PUBLISHED]
    assert len(published) >= 5
    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    context.set_default_timeout(15_000)
    attempted: list[str] = []
    # Nothing may leave the machine: every request is recorded and refused.
    context.route("**/*", lambda route: (attempted.append(route.request.url), route.abort()))
    try:
        page = context.new_page()
        page.on("request", lambda request: attempted.append(request.url))
        page.set_content(html, wait_until="load")

        assert [url for url in attempted if not url.startswith("data:")] == []
        assert page.evaluate("document.styleSheets.length") <= 1  # inline <style> at most
        assert page.locator("link[rel=stylesheet], script[src], img[src^=http]").count() == 0
        for claim in published:
            assert page.get_by_text(claim.claim_reviewed, exact=False).first.is_visible(), (
                claim.claim_reviewed
            )
            label = claim.verdicts.filter(status="approved").order_by("-version")[0].rating.label
            assert label in page.inner_text("body"), (claim.claim_reviewed, label)
        # Nothing wider than a desktop window: no sideways scrolling to read a verdict.
        assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
        screenshot(page, "digest.png", full_page=True)
    finally:
        context.close()
