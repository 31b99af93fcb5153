from django.db import migrations, models


class Migration(migrations.Migration):
    """The confirmation email's lease (factcheck/outbox.py): a nullable column, added
    without a default, so existing rows need no rewrite on PostgreSQL or SQLite."""

    dependencies = [
        ("newsrooms", "0008_digestentry_event_in_publishing"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalsubscription",
            name="confirmation_locked_until",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="confirmation locked until"
            ),
        ),
        migrations.AddField(
            model_name="subscription",
            name="confirmation_locked_until",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="confirmation locked until"
            ),
        ),
    ]
