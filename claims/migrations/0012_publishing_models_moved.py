"""The read model, the change log and the published versions moved to the publishing
app. State only: the tables keep their names (publishing/models.py sets db_table) and
their rows, indexes and triggers; publishing/0003 takes the models over first."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0011_normalise_claimant_names"),
        ("publishing", "0003_models_from_claims"),
        ("newsrooms", "0008_digestentry_event_in_publishing"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="changeevent",
                    name="claim",
                ),
                migrations.DeleteModel(
                    name="ChangeSequencer",
                ),
                migrations.RemoveField(
                    model_name="publication",
                    name="claim",
                ),
                migrations.RemoveField(
                    model_name="publicationtopic",
                    name="publication",
                ),
                migrations.RemoveField(
                    model_name="publishedversion",
                    name="claim",
                ),
                migrations.RemoveField(
                    model_name="publishedversion",
                    name="verdict",
                ),
                migrations.DeleteModel(
                    name="ChangeEvent",
                ),
                migrations.DeleteModel(
                    name="Publication",
                ),
                migrations.DeleteModel(
                    name="PublicationTopic",
                ),
                migrations.DeleteModel(
                    name="PublishedVersion",
                ),
            ],
        ),
    ]
