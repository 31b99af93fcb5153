"""Admins manage parked tasks; editors and admins see the queue status page."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "Admin": ["view_parkedtask", "change_parkedtask", "delete_parkedtask", "view_heartbeat"],
    "Editor": ["view_parkedtask", "view_heartbeat"],
}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("ops")
    original = getattr(app_config, "models_module", None)
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = original
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="ops", codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [("ops", "0001_initial"), ("reviewers", "0002_roles")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
