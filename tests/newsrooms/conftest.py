"""Newsroom personas and their tokens."""

import itertools

import pytest

from newsrooms.models import Newsroom
from newsrooms.services import token_create

_addresses = itertools.count(1)


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
    """A client address no other test used: rate-limit counters live in Redis across
    tests, so each test limits its own addresses."""
    n = next(_addresses)
    return f"198.18.{n // 250}.{n % 250 + 1}"
