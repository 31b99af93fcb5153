"""Full-text search of publications (claims/?q=) on PostgreSQL: a GIN index on the
exact expression claims.api.filters.full_text queries. SQLite needs no schema for its
word-by-word equivalent."""

from django.db import migrations

INDEX = "publication_search_fts_idx"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON claims_publication "
        "USING gin (to_tsvector('simple'::regconfig, search_text))"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("claims", "0007_publication")]

    operations = [migrations.RunPython(create_index, drop_index)]
