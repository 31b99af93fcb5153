# The optimistic-lock version of a claim (claims/admin/locking.py). Existing claims, and
# their history rows, start at 1.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0005_claimnote"),
    ]

    operations = [
        migrations.AddField(
            model_name="claim",
            name="version",
            field=models.PositiveIntegerField(default=1, editable=False, verbose_name="version"),
        ),
        migrations.AddField(
            model_name="historicalclaim",
            name="version",
            field=models.PositiveIntegerField(default=1, editable=False, verbose_name="version"),
        ),
    ]
