"""The digest ledger's event column points at publishing's ChangeEvent (moved from
claims, same table): state only, the column and its data do not change."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("newsrooms", "0007_one_pending_per_address"),
        ("publishing", "0003_models_from_claims"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="digestentry",
                    name="event",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="publishing.changeevent",
                    ),
                ),
            ],
        ),
    ]
