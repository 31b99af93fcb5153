"""Editors see digest subscriptions, digests and the ledger in the admin (read-only);
the Admin group gets every permission of the new models, as for the rest. Reviewers
see none of it: subscribers' addresses are not theirs to read."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

NEW_MODELS = ["subscription", "digest", "digestentry", "digestcursor"]
EDITOR = ["view_subscription", "view_digest", "view_digestentry"]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("newsrooms")
    original = getattr(app_config, "models_module", None)
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = original
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    new = Permission.objects.filter(
        content_type__app_label="newsrooms", content_type__model__in=NEW_MODELS
    )
    for group in Group.objects.filter(name="Admin"):
        group.permissions.add(*new)
    for group in Group.objects.filter(name="Editor"):
        group.permissions.add(*new.filter(codename__in=EDITOR))


class Migration(migrations.Migration):
    dependencies = [
        ("newsrooms", "0004_digests"),
        ("reviewers", "0002_roles"),
    ]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
