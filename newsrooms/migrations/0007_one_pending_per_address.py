"""One pending subscription per mailbox (issue 13): the address key, the confirmation
rounds, the log the daily cap counts, and the unique index. Existing rows get their key;
where the old sign-up let one mailbox collect several pending subscriptions, the newest
stays pending and the older ones end (they were never confirmed, so nothing was ever
sent to them but their confirmation)."""

import datetime

import django.db.models.deletion
from django.db import migrations, models
from django.utils import timezone

from newsrooms.addresses import address_key


def keys_and_duplicates(apps, schema_editor):
    Subscription = apps.get_model("newsrooms", "Subscription")
    ConfirmationEmail = apps.get_model("newsrooms", "ConfirmationEmail")
    now = timezone.now()
    pending_seen: set[str] = set()
    for subscription in Subscription.objects.order_by("-created_at", "-pk").iterator():
        subscription.email_normalized = address_key(subscription.email)
        subscription.confirmation_requested_at = (
            subscription.confirmation_queued_at or subscription.created_at
        )
        subscription.confirmations_requested = 1
        fields = ["email_normalized", "confirmation_requested_at", "confirmations_requested"]
        if subscription.state == "pending":
            if subscription.email_normalized in pending_seen:
                subscription.state, subscription.ended_at = "unsubscribed", now
                fields += ["state", "ended_at"]
            pending_seen.add(subscription.email_normalized)
        subscription.save(update_fields=fields)
        # Confirmations of the last day count against the cap from the start.
        if subscription.created_at > now - datetime.timedelta(days=1):
            ConfirmationEmail.objects.create(
                subscription_id=subscription.pk,
                email_normalized=subscription.email_normalized,
                requested_at=subscription.created_at,
            )


class Migration(migrations.Migration):
    dependencies = [
        ("newsrooms", "0006_confirmation_tracking"),
    ]

    operations = [
        migrations.CreateModel(
            name="ConfirmationEmail",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("email_normalized", models.CharField(max_length=320, verbose_name="address key")),
                ("requested_at", models.DateTimeField(verbose_name="asked for at")),
            ],
            options={
                "verbose_name": "confirmation email",
                "verbose_name_plural": "confirmation emails",
            },
        ),
        migrations.AddField(
            model_name="historicalsubscription",
            name="confirmation_requested_at",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="confirmation asked for at"
            ),
        ),
        migrations.AddField(
            model_name="historicalsubscription",
            name="confirmations_requested",
            field=models.PositiveIntegerField(default=0, verbose_name="confirmations asked for"),
        ),
        migrations.AddField(
            model_name="historicalsubscription",
            name="email_normalized",
            field=models.CharField(
                default="", editable=False, max_length=320, verbose_name="address key"
            ),
        ),
        migrations.AddField(
            model_name="subscription",
            name="confirmation_requested_at",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="confirmation asked for at"
            ),
        ),
        migrations.AddField(
            model_name="subscription",
            name="confirmations_requested",
            field=models.PositiveIntegerField(default=0, verbose_name="confirmations asked for"),
        ),
        migrations.AddField(
            model_name="subscription",
            name="email_normalized",
            field=models.CharField(
                default="", editable=False, max_length=320, verbose_name="address key"
            ),
        ),
        migrations.AddField(
            model_name="confirmationemail",
            name="subscription",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="newsrooms.subscription",
            ),
        ),
        migrations.AddIndex(
            model_name="confirmationemail",
            index=models.Index(
                fields=["email_normalized", "requested_at"], name="confirmation_cap_idx"
            ),
        ),
        migrations.RunPython(keys_and_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="subscription",
            constraint=models.UniqueConstraint(
                condition=models.Q(
                    ("state", "pending"), models.Q(("email_normalized", ""), _negated=True)
                ),
                fields=("email_normalized",),
                name="subscription_one_pending_per_address",
            ),
        ),
    ]
