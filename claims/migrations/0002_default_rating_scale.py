"""Loads the default rating scale (DESIGN.md). Editors can change it in the admin."""

from django.db import migrations

DEFAULT_SCALE = [
    # slug, label, value (None: off the scale), description
    ("false", "False", 1, "The claim is inaccurate."),
    (
        "mostly-false",
        "Mostly false",
        2,
        "The claim contains an element of truth but ignores facts that would change the impression.",
    ),
    (
        "misleading",
        "Misleading",
        2,
        "The claim uses accurate facts in a way that gives a false impression.",
    ),
    (
        "half-true",
        "Half true",
        3,
        "The claim is partially accurate but leaves out important details.",
    ),
    (
        "mostly-true",
        "Mostly true",
        4,
        "The claim is accurate but needs clarification or additional information.",
    ),
    ("true", "True", 5, "The claim is accurate and nothing significant is missing."),
    (
        "unverifiable",
        "Unverifiable",
        None,
        "The available evidence can neither prove nor disprove the claim.",
    ),
]


def load_scale(apps, schema_editor):
    Rating = apps.get_model("claims", "Rating")
    for position, (slug, label, value, description) in enumerate(DEFAULT_SCALE):
        Rating.objects.get_or_create(
            slug=slug,
            defaults={
                "label": label,
                "value": value,
                "description": description,
                "position": position,
            },
        )


def unload_scale(apps, schema_editor):
    Rating = apps.get_model("claims", "Rating")
    Rating.objects.filter(
        slug__in=[row[0] for row in DEFAULT_SCALE], verdicts__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("claims", "0001_initial")]
    operations = [migrations.RunPython(load_scale, unload_scale)]
