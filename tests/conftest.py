"""Shared fixtures: named personas and claims in every workflow state."""

import pytest

from tests.factories import ClaimFactory, UserFactory


@pytest.fixture
def reviewer(db):
    return UserFactory(username="olena", roles=["Reviewer"])


@pytest.fixture
def other_reviewer(db):
    return UserFactory(username="dmytro", roles=["Reviewer"])


@pytest.fixture
def editor(db):
    return UserFactory(username="iryna", roles=["Editor"])


@pytest.fixture
def other_editor(db):
    return UserFactory(username="marko", roles=["Editor"])


@pytest.fixture
def admin_user(db):
    return UserFactory(username="root", roles=["Admin"])


@pytest.fixture
def outsider(db):
    """Logged in, staff even, but holds no role."""
    return UserFactory(username="visitor", roles=[])


@pytest.fixture
def claim(db):
    return ClaimFactory()
