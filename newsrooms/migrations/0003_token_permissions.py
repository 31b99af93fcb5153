"""Only the Admin role manages newsroom API tokens and sees submissions in the admin;
Editors, who manage newsrooms, see submissions but not tokens."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ADMIN = [
    "add_newsroomtoken",
    "change_newsroomtoken",
    "delete_newsroomtoken",
    "view_newsroomtoken",
    "view_submission",
]
EDITOR = ["view_submission"]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("newsrooms")
    original = getattr(app_config, "models_module", None)
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = original
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in {"Admin": ADMIN, "Editor": EDITOR}.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="newsrooms", codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("newsrooms", "0002_tokens_submissions"),
        ("reviewers", "0002_roles"),
    ]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
