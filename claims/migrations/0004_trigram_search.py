"""Similarity search for triage (docs/queue.md, "Similarity").

On PostgreSQL: the pg_trgm extension (trusted since PostgreSQL 13, so the database
owner can create it), a GIN trigram index on claims' normalised text (it serves the
`LIKE '%90000%'` of claims.triage.similarity) and a GIN full-text index on the same text (its
word-prefix queries). SQLite needs no schema for its equivalent; its candidates are
narrowed by the claimant's foreign-key index. Both: a partial index of the claims not
normalised yet, per claimant.

Both backends: claims saved before triage wrote normalised text get it now, so they are
found as near-duplicates like any other.
"""

from django.db import migrations

TRIGRAM_INDEX = "claim_normalized_trgm_idx"
FULL_TEXT_INDEX = "claim_normalized_fts_idx"
UNNORMALISED_INDEX = "claim_unnormalised_idx"
BATCH = 500


def create_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {TRIGRAM_INDEX} ON claims_claim "
        "USING gin (normalized_text gin_trgm_ops)"
    )
    # The expression Django's SearchVector("normalized_text", config="simple") writes.
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {FULL_TEXT_INDEX} ON claims_claim "
        "USING gin (to_tsvector('simple'::regconfig, COALESCE(normalized_text, ''::text)))"
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # The extension stays: other objects may use it by now.
    schema_editor.execute(f"DROP INDEX IF EXISTS {FULL_TEXT_INDEX}")
    schema_editor.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")


def create_unnormalised_index(apps, schema_editor):
    # Claims still waiting for triage, per claimant: the few rows claims.triage.similarity
    # normalises on the fly. A partial index, the same on PostgreSQL and SQLite.
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {UNNORMALISED_INDEX} ON claims_claim (claimant_id) "
        "WHERE normalized_text = ''"
    )


def drop_unnormalised_index(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {UNNORMALISED_INDEX}")


def normalise_existing_claims(apps, schema_editor):
    from claims.triage.normalise import normalise_text

    claims = apps.get_model("claims", "Claim").objects.using(schema_editor.connection.alias)
    pending = claims.filter(normalized_text="")
    batch = []
    for claim in pending.only("pk", "text").iterator(chunk_size=BATCH):
        claim.normalized_text = normalise_text(claim.text)
        batch.append(claim)
        if len(batch) == BATCH:
            claims.bulk_update(batch, ["normalized_text"])
            batch = []
    if batch:
        claims.bulk_update(batch, ["normalized_text"])


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0003_queue_fields"),
    ]

    operations = [
        migrations.RunPython(create_trigram_index, drop_trigram_index, elidable=False),
        migrations.RunPython(normalise_existing_claims, migrations.RunPython.noop),
        migrations.RunPython(create_unnormalised_index, drop_unnormalised_index),
    ]
