"""Every HTML page carries the Content-Security-Policy (docs/security.md,
"Content-Security-Policy"): the admin's, the API docs UI, the public pages and the
error pages. Inline scripts and styles are allowed only by the response's own nonce,
so every inline one on a page must carry it; the browser side is tests/browser/test_csp.py.
"""

import base64
import hashlib
import re
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.urls import reverse

from claims.models import Claim, ClaimStatus
from demo.data import seed_demo
from publishing.documents import public_path
from publishing.models import Publication
from tests.admin_pages import action_url
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# Data blocks, not scripts: the browser never runs them, so CSP does not apply.
DATA_TYPES = {"application/ld+json", "application/json"}


class Inline(HTMLParser):
    """What a CSP without 'unsafe-inline' blocks: inline <script> and <style> elements
    (allowed only with the nonce), style="" attributes (allowed only by their hash) and
    on...="" attributes (never allowed)."""

    def __init__(self, html: str):
        super().__init__()
        self.nonces: list[str | None] = []
        self.handlers: list[str] = []
        self.styles: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        inline_script = tag == "script" and "src" not in attrs
        if (inline_script and attrs.get("type") not in DATA_TYPES) or tag == "style":
            self.nonces.append(attrs.get("nonce"))
        self.handlers += [f"<{tag} {name}>" for name in attrs if name.startswith("on")]
        self.styles += [attrs["style"]] if "style" in attrs else []


def sha256(source: str) -> str:
    digest = base64.b64encode(hashlib.sha256(source.encode()).digest()).decode()
    return f"'sha256-{digest}'"


def policy_of(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"{response.request['PATH_INFO']}: no Content-Security-Policy"
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in directives}


def assert_protected(response) -> None:
    where = f"{response.request['PATH_INFO']} ({response.status_code})"
    assert response["Content-Type"].startswith("text/html"), where
    policy = policy_of(response)
    for directive in ("script-src", "style-src"):
        assert "'unsafe-inline'" not in policy[directive], where
        assert "'unsafe-eval'" not in policy[directive], where
    assert policy["object-src"] == ["'none'"], where
    assert policy["base-uri"] == ["'none'"], where
    assert policy["frame-ancestors"] == ["'none'"], where
    assert policy["form-action"] == ["'self'"], where
    assert "'unsafe-inline'" not in policy["style-src-attr"], where
    page = Inline(response.content.decode())
    assert page.handlers == [], where
    assert [s for s in page.styles if sha256(s) not in policy["style-src-attr"]] == [], where
    if page.nonces:
        nonce = re.search(r"'nonce-([^']+)'", " ".join(policy["script-src"])).group(1)
        assert f"'nonce-{nonce}'" in policy["style-src"], where
        assert page.nonces == [nonce] * len(page.nonces), where


@pytest.fixture
def superuser(db):
    user = UserFactory(username="super")
    user.is_superuser = True
    user.save()
    return user


@pytest.fixture
def demo(db):
    seed_demo()


def test_public_pages_carry_the_policy(client, demo):
    publication = Publication.objects.first()
    urls = [
        "/factchecks/",
        public_path(publication.claim_id, publication.slug),
        "/factchecks/?claimant=no-such-claimant",
        "/about/",
        "/about/methodology/",
        "/about/corrections-policy/",
        "/corrections/",
        "/subscribe/",
        "/subscriptions/confirm/not-a-token/",
        "/subscriptions/unsubscribe/not-a-token/",
        "/api/v1/docs/",
        "/no-such-page/",
    ]
    for url in urls:
        assert_protected(client.get(url))
    assert_protected(client.post("/subscribe/", {"email": "not an address"}))


def test_every_admin_page_carries_the_policy(client, demo, superuser):
    assert_protected(client.get("/admin/login/"))
    client.force_login(superuser)
    assert_protected(client.get("/admin/"))
    for model in admin.site._registry:
        opts = model._meta
        for view in ("changelist", "add"):
            response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}"))
            assert_protected(response)
        first = model._default_manager.order_by("pk").first()
        for view in ("change", "history", "delete") if first else ():
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=[first.pk])
            assert_protected(client.get(url))
    changelist = reverse("admin:claims_claim_changelist")
    assert_protected(client.get(changelist + "?status__exact=in_review&o=2&q=Shoigu"))
    claim = Claim.objects.filter(status=ClaimStatus.IN_APPROVAL).first()
    assert_protected(client.get(reverse("admin:claims_claim_change", args=[claim.pk])))
    assert_protected(client.get(reverse("admin:claims_claim_history", args=[claim.pk])))
    for action in ("approve", "send_back", "evidence", "note", "assign", "reject"):
        assert_protected(client.post(action_url(claim, action), {"_version": claim.version}))
    queued = Claim.objects.filter(status=ClaimStatus.QUEUED).values_list("pk", flat=True)
    bulk = {"action": "reject_selected", "_selected_action": list(queued)}
    assert_protected(client.post(changelist, bulk))
    assert_protected(client.get(reverse("admin:password_change")))
