"""Newsroom personas and their tokens."""

import secrets
import time
from types import SimpleNamespace

import pytest

from newsrooms.models import Newsroom
from newsrooms.services import token_create


@pytest.fixture
def newsroom(db):
    return Newsroom.objects.create(name="Kyiv Independent", slug="kyiv-independent")


@pytest.fixture
def other_newsroom(db):
    return Newsroom.objects.create(name="Hromadske", slug="hromadske")


@pytest.fixture
def make_token(newsroom):
    """make_token("read", "submit", newsroom=..., **token_create kwargs) -> plaintext."""

    def make(*scopes: str, newsroom=newsroom, **kwargs) -> str:
        return token_create(newsroom=newsroom, scopes=list(scopes), **kwargs)[1]

    return make


def bearer(key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def fresh_ip() -> str:
    """A client address no other test (or earlier run) used: rate-limit counters live
    in Redis across tests, so each test limits its own addresses."""
    groups = [secrets.token_hex(2) for _ in range(4)]
    return "2001:db8::" + ":".join(groups)


@pytest.fixture
def steady_rate_clock(monkeypatch):
    """The rate limit's clock held in the middle of the current hour: its fixed windows
    (a minute, an hour) never end between a test's requests, which would reset the
    count and let a request through that the test expects refused."""
    from factcheck import ratelimit

    middle = time.time() // 3600 * 3600 + 1800
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: middle))
