"""Publication, PublicationTopic, ChangeEvent, ChangeSequencer and PublishedVersion,
taken over from claims/ as they are: state only, on the tables claims created (their
data, indexes, constraints and the integrity triggers of claims/0010 stay untouched).
Their content types follow them, so permissions and admin log entries keep pointing at
the same models."""

import django.db.models.deletion
from django.db import migrations, models

MOVED = ["publication", "publicationtopic", "changeevent", "changesequencer", "publishedversion"]


def content_types_to(app_label: str, from_label: str):
    def move(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        ContentType.objects.filter(app_label=from_label, model__in=MOVED).update(
            app_label=app_label
        )

    return move


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0011_normalise_claimant_names"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("publishing", "0002_policy_pages"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ChangeSequencer",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("last_seq", models.PositiveBigIntegerField(default=0)),
                    ],
                    options={
                        "db_table": "claims_changesequencer",
                    },
                ),
                migrations.CreateModel(
                    name="Publication",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("slug", models.SlugField(max_length=80, verbose_name="slug")),
                        ("version", models.PositiveIntegerField(verbose_name="version")),
                        ("document", models.TextField(verbose_name="document")),
                        ("claimreview", models.TextField(verbose_name="ClaimReview")),
                        ("etag", models.CharField(max_length=64)),
                        ("rating", models.SlugField(verbose_name="rating")),
                        ("claimant", models.SlugField(max_length=200, verbose_name="claimant")),
                        ("language", models.CharField(max_length=35, verbose_name="language")),
                        ("search_text", models.TextField(blank=True)),
                        ("published_at", models.DateTimeField(verbose_name="first published")),
                        ("updated_at", models.DateTimeField(verbose_name="updated")),
                        (
                            "claim",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="publication",
                                to="claims.claim",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "publication",
                        "verbose_name_plural": "publications",
                        "db_table": "claims_publication",
                        "ordering": ["-id"],
                    },
                ),
                migrations.CreateModel(
                    name="PublicationTopic",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("topic", models.SlugField(max_length=100)),
                        (
                            "publication",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="topics",
                                to="publishing.publication",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "claims_publicationtopic",
                    },
                ),
                migrations.CreateModel(
                    name="PublishedVersion",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("number", models.PositiveIntegerField(verbose_name="version")),
                        ("document", models.TextField(verbose_name="document")),
                        (
                            "content_hash",
                            models.CharField(max_length=64, verbose_name="content hash"),
                        ),
                        (
                            "previous_hash",
                            models.CharField(
                                blank=True, max_length=64, verbose_name="previous hash"
                            ),
                        ),
                        ("published_at", models.DateTimeField(verbose_name="published at")),
                        (
                            "claim",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="published_versions",
                                to="claims.claim",
                            ),
                        ),
                        (
                            "verdict",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="published_version",
                                to="claims.verdict",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "published version",
                        "verbose_name_plural": "published versions",
                        "db_table": "claims_publishedversion",
                        "ordering": ["claim", "number"],
                    },
                ),
                migrations.CreateModel(
                    name="ChangeEvent",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "seq",
                            models.PositiveBigIntegerField(
                                null=True, unique=True, verbose_name="sequence number"
                            ),
                        ),
                        (
                            "type",
                            models.CharField(
                                choices=[
                                    ("published", "Published"),
                                    ("corrected", "Corrected"),
                                    ("withdrawn", "Withdrawn"),
                                ],
                                max_length=10,
                                verbose_name="type",
                            ),
                        ),
                        ("document", models.TextField(blank=True, null=True)),
                        (
                            "content_hash",
                            models.CharField(
                                blank=True, max_length=64, verbose_name="content hash"
                            ),
                        ),
                        (
                            "previous_hash",
                            models.CharField(
                                blank=True, max_length=64, verbose_name="previous hash"
                            ),
                        ),
                        ("reason", models.TextField(blank=True, verbose_name="reason")),
                        ("at", models.DateTimeField(verbose_name="at")),
                        ("sequenced_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "claim",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="change_events",
                                to="claims.claim",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "change event",
                        "verbose_name_plural": "change events",
                        "db_table": "claims_changeevent",
                        "ordering": ["seq"],
                        "indexes": [
                            models.Index(
                                condition=models.Q(("seq__isnull", True)),
                                fields=["id"],
                                name="changeevent_unsequenced_idx",
                            )
                        ],
                    },
                ),
                migrations.AddIndex(
                    model_name="publication",
                    index=models.Index(fields=["rating", "-id"], name="publication_rating_idx"),
                ),
                migrations.AddIndex(
                    model_name="publication",
                    index=models.Index(fields=["claimant", "-id"], name="publication_claimant_idx"),
                ),
                migrations.AddIndex(
                    model_name="publication",
                    index=models.Index(fields=["language", "-id"], name="publication_language_idx"),
                ),
                migrations.AddIndex(
                    model_name="publication",
                    index=models.Index(fields=["updated_at"], name="publication_updated_idx"),
                ),
                migrations.AddConstraint(
                    model_name="publicationtopic",
                    constraint=models.UniqueConstraint(
                        fields=("topic", "publication"), name="publication_topic_unique"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="publishedversion",
                    constraint=models.UniqueConstraint(
                        fields=("claim", "number"), name="published_version_number_unique"
                    ),
                ),
            ],
        ),
        migrations.RunPython(
            content_types_to("publishing", "claims"), content_types_to("claims", "publishing")
        ),
    ]
