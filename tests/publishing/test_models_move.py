"""The fact-check models moved from claims/ to publishing/ by state-only migrations: a
database migrated before the move keeps every row, table, index and trigger, and its
content types (so permissions and admin log entries) follow the models.

Replayed on the database the suite runs on (PostgreSQL and SQLite): back to the schema
as it was before the move, rows written there through the old models, then forward."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from claims.models import ClaimStatus
from publishing.models import ChangeEvent, Publication, PublishedVersion
from tests.factories import ClaimFactory

BEFORE_MOVE = [
    ("claims", "0011_normalise_claimant_names"),
    ("publishing", "0002_policy_pages"),
    ("newsrooms", "0007_one_pending_per_address"),
]
MOVED = ["publication", "publicationtopic", "changeevent", "changesequencer", "publishedversion"]
TABLES = {f"claims_{name}" for name in MOVED}


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def leaves():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def row_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        counts = {}
        for table in sorted(TABLES):
            cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 - fixed names
            counts[table] = cursor.fetchone()[0]
        return counts


@pytest.mark.django_db(transaction=True)
def test_a_database_from_before_the_move_keeps_its_rows_and_content_types():
    published = ClaimFactory(status=ClaimStatus.PUBLISHED)
    ClaimFactory(status=ClaimStatus.WITHDRAWN, claim_reviewed="Withdrawn claim")
    content_type_ids = {
        ct.model: ct.pk
        for ct in ContentType.objects.filter(app_label="publishing", model__in=MOVED)
    }
    tables_before = set(connection.introspection.table_names())
    counts = row_counts()
    assert counts["claims_publication"] == 1 and counts["claims_changeevent"] == 3

    old_apps = migrate(BEFORE_MOVE)
    try:
        # The schema as it was: claims owns the models, on the same tables and rows.
        assert old_apps.get_model("claims", "Publication").objects.get().claim_id == published.pk
        assert old_apps.get_model("claims", "ChangeEvent").objects.count() == 3
        assert set(
            ContentType.objects.filter(model__in=MOVED).values_list("app_label", flat=True)
        ) == {"claims"}
        # A row written before the move, through the old model.
        old_publication = old_apps.get_model("claims", "Publication").objects.get()
        old_apps.get_model("claims", "PublicationTopic").objects.create(
            publication=old_publication, topic="written-before-the-move"
        )
    finally:
        migrate(leaves())

    assert set(connection.introspection.table_names()) == tables_before
    counts["claims_publicationtopic"] += 1
    assert row_counts() == counts
    assert Publication.objects.get().claim_id == published.pk
    assert "written-before-the-move" in Publication.objects.get().topics.values_list(
        "topic", flat=True
    )
    assert PublishedVersion.objects.filter(claim=published).count() == 1
    assert ChangeEvent.objects.filter(claim=published).get().document is not None
    assert {
        ct.model: ct.pk
        for ct in ContentType.objects.filter(app_label="publishing", model__in=MOVED)
    } == content_type_ids
    assert not ContentType.objects.filter(app_label="claims", model__in=MOVED).exists()


@pytest.mark.django_db(transaction=True)
def test_published_versions_stay_frozen_after_the_move():
    """The integrity triggers of claims/0010 are on the tables, not on the models."""
    from django.db import DatabaseError, transaction

    ClaimFactory(status=ClaimStatus.PUBLISHED)
    migrate(BEFORE_MOVE)
    migrate(leaves())
    version = PublishedVersion.objects.get()
    with pytest.raises(DatabaseError), transaction.atomic():
        PublishedVersion.objects.filter(pk=version.pk).update(document="{}")
