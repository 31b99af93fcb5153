"""Creates the Reviewer, Editor and Admin groups with their model permissions.

The workflow services check roles themselves; these permissions decide what each
role sees and may edit in the admin.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

VIEW_ALL = [
    "view_claim",
    "view_claimant",
    "view_claimantalias",
    "view_appearance",
    "view_evidence",
    "view_rating",
    "view_topic",
    "view_verdict",
]
REVIEWER = VIEW_ALL + [
    "add_claim",
    "change_claim",
    "add_appearance",
    "change_appearance",
    "add_evidence",
    "change_evidence",
    "delete_evidence",
    "add_verdict",
    "change_verdict",
    "add_claimant",
    "add_claimantalias",
]
EDITOR = REVIEWER + [
    "change_claimant",
    "change_claimantalias",
    "delete_claimantalias",
    "add_topic",
    "change_topic",
    "delete_appearance",
    "view_reviewerprofile",
    "view_newsroom",
    "change_newsroom",
]
ROLE_PERMISSIONS = {"Reviewer": REVIEWER, "Editor": EDITOR}


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations ran; create them now.
    for app_config in apps.get_app_configs():
        original = getattr(app_config, "models_module", None)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = original
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(
            Permission.objects.filter(
                content_type__app_label__in=["claims", "reviewers", "newsrooms"],
                codename__in=codenames,
            )
        )
    admin, _ = Group.objects.get_or_create(name="Admin")
    admin.permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["claims", "reviewers", "newsrooms", "auth"]
        )
    )


def drop_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(
        name__in=["Reviewer", "Editor", "Admin"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reviewers", "0001_initial"),
        ("claims", "0002_default_rating_scale"),
        ("newsrooms", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_roles, drop_roles)]
