"""Writes the three transparency pages with a first text for editors to adapt, and lets
editors and admins change them (reviewers may read them in the admin).

The text is a starting point in the spirit of IFCN's Code of Principles, not a
statement about any real organisation: the funding paragraph asks the editors to
name the funders before the site goes public.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.utils import timezone

METHODOLOGY = """\
We check claims of fact made in public by politicians, officials, institutions and \
other people with a wide audience. We do not rate opinions, predictions or satire.

How we choose claims. We look at how far a claim has spread, how much harm it could \
do if it is wrong, and whether it can be checked with evidence. Readers and partner \
newsrooms can ask us to check a claim; we give the same treatment to claims from \
every side.

How we check. A reviewer researches each claim: where and when it was made, what the \
speaker meant, and what the best available evidence says. We prefer primary sources \
(official data, documents, the people directly involved) and name every source we \
relied on, with a link wherever one exists, so that readers can repeat our work. When \
we contact the person who made the claim, we say so and report their answer.

How we decide. The reviewer proposes a rating and writes a summary and an \
explanation. An editor who did not write the verdict reads the evidence and approves \
it, or sends it back with questions. Nobody approves their own work.

Our ratings. False, Mostly false, Misleading, Half true, Mostly true and True describe \
how well the claim matches the evidence; Unverifiable means the evidence available \
can neither confirm nor refute it. Each fact-check explains why it received its \
rating."""

CORRECTIONS_POLICY = """\
We make mistakes, and we correct them openly.

Tell us. If you think a fact-check is wrong or incomplete, write to us with the \
address of the fact-check and what you think is wrong. Every message is read by an \
editor, who answers it.

How we correct. When an error changes what a fact-check says, an editor reopens it; \
the published version stays online until the corrected version has been reviewed and \
approved by a second person. The corrected fact-check carries a dated correction note \
saying what changed and, where the rating changed, what it was before. Earlier \
versions remain readable.

Withdrawals. If a fact-check cannot be corrected (for example because it rests on a \
source we can no longer trust), we withdraw it. Its address then says that it was \
withdrawn and why.

Every correction and withdrawal is listed, newest first, in our public corrections \
log, which also has RSS and Atom feeds."""

ABOUT = """\
We are an independent fact-checking team. We publish fact-checks of public claims so \
that readers and newsrooms can tell what the evidence supports.

Independence. We do not support any party, candidate or cause, and the people who \
check claims take no part in political campaigns. Funders have no say in which \
claims we check or in what we conclude.

Who we are. Editors: list here the people responsible for the fact-checks (at least \
the editor-in-chief) and how to contact them.

Our funding. Editors: list here every organisation, company or person that provides \
more than five per cent of our yearly income, and our legal form (for example a \
non-profit association or part of a media company). Update this page when that \
changes."""

PAGES = [
    ("methodology", "How we check claims", METHODOLOGY),
    ("corrections_policy", "How we correct mistakes", CORRECTIONS_POLICY),
    ("about", "Who we are and how we are funded", ABOUT),
]
GRANTS = {
    "Admin": ["view_policypage", "change_policypage"],
    "Editor": ["view_policypage", "change_policypage"],
    "Reviewer": ["view_policypage"],
}


def create_pages(apps, schema_editor):
    PolicyPage = apps.get_model("publishing", "PolicyPage")
    HistoricalPolicyPage = apps.get_model("publishing", "HistoricalPolicyPage")
    for kind, title, body in PAGES:
        page, created = PolicyPage.objects.get_or_create(
            kind=kind, defaults={"title": title, "body": body}
        )
        # The first wording belongs in the history, so that the history page shows what
        # each edit changed. Historical models get no signals in migrations; with the
        # real models (tests re-run this) simple-history has written the row already.
        if created and not HistoricalPolicyPage.objects.filter(id=page.pk).exists():
            HistoricalPolicyPage.objects.create(
                id=page.pk,
                kind=page.kind,
                title=page.title,
                body=page.body,
                updated_at=page.updated_at,
                history_date=timezone.now(),
                history_type="+",
                history_change_reason="default text",
            )


def grant_permissions(apps, schema_editor):
    # Permissions are normally created after all migrations ran; create them now.
    app_config = apps.get_app_config("publishing")
    original = getattr(app_config, "models_module", None)
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = original
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="publishing", codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [("publishing", "0001_initial"), ("reviewers", "0002_roles")]
    operations = [
        migrations.RunPython(create_pages, migrations.RunPython.noop),
        migrations.RunPython(grant_permissions, migrations.RunPython.noop),
    ]
