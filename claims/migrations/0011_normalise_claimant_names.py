"""Claimant names and aliases stored before names were normalised (factcheck/text.py)
are normalised now, so that a submission finds them: claimants are matched on the
normalised name. Nothing published changes (a published document is never rewritten;
the name is the claimant's row, not part of what verify_publications compares).

A name that was only invisible characters is replaced by the claimant's slug, so that
the admin shows something to rename; an alias that was only invisible characters, or
that normalises to a spelling the claimant already has, is removed."""

from django.db import migrations


def normalise_names(apps, schema_editor) -> None:
    from factcheck.text import clean_line

    Claimant = apps.get_model("claims", "Claimant")
    ClaimantAlias = apps.get_model("claims", "ClaimantAlias")
    for claimant in Claimant.objects.only("name", "slug", "description").iterator():
        name = clean_line(claimant.name)[:200] or claimant.slug[:200]
        description = clean_line(claimant.description)[:300]
        if (name, description) != (claimant.name, claimant.description):
            Claimant.objects.filter(pk=claimant.pk).update(name=name, description=description)
    for alias in ClaimantAlias.objects.order_by("pk").iterator():
        name = clean_line(alias.name)[:200]
        if name == alias.name:
            continue
        taken = ClaimantAlias.objects.filter(claimant_id=alias.claimant_id, name=name)
        if not name or taken.exists():
            ClaimantAlias.objects.filter(pk=alias.pk).delete()
        else:
            ClaimantAlias.objects.filter(pk=alias.pk).update(name=name)


class Migration(migrations.Migration):
    dependencies = [("claims", "0010_integrity")]

    operations = [migrations.RunPython(normalise_names, migrations.RunPython.noop, elidable=True)]
