"""The public record cannot be rewritten: triggers freeze approved and proposed verdicts
and published versions on both databases, every version is a link of a hash chain, and
`verify_publications` finds what got past the triggers."""

import hashlib
import json
from importlib import import_module
from io import StringIO

import pytest
import rfc8785
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction

from claims import services
from claims.models import Claim, ClaimStatus, Verdict, VerdictStatus
from demo.data import seed_demo
from publishing.models import ChangeEvent, Publication, PublishedVersion
from tests.factories import ClaimFactory, UserFactory, rating

pytestmark = pytest.mark.django_db


def correct(claim, *, editor, approver, summary="Revised.", rating_slug="misleading"):
    services.claim_correct(actor=editor, claim=claim, note="The ministry revised the figure.")
    claim.refresh_from_db()
    services.claim_propose(
        actor=claim.assignee,
        claim=claim,
        rating=rating(rating_slug),
        summary=summary,
        explanation="The revised figure is still unverified.",
    )
    return services.claim_approve(actor=approver, claim=claim)


def refused_by_the_database(write) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        write()


# --- The database refuses rewrites --------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"summary": "Rewritten."},
        {"explanation": "Rewritten."},
        {"correction_note": "Rewritten."},
        {"status": VerdictStatus.REJECTED},
    ],
)
def test_an_orm_update_of_an_approved_verdict_is_refused_by_the_database(change):
    claim = ClaimFactory(status=ClaimStatus.PUBLISHED)
    verdict = claim.verdicts.get()
    before = Verdict.objects.filter(pk=verdict.pk).values().get()
    refused_by_the_database(lambda: Verdict.objects.filter(pk=verdict.pk).update(**change))
    assert Verdict.objects.filter(pk=verdict.pk).values().get() == before


def test_rating_author_and_approver_of_an_approved_verdict_cannot_change(editor):
    claim = ClaimFactory(status=ClaimStatus.PUBLISHED)
    verdict = claim.verdicts.get()
    for field, value in [("rating", rating("true")), ("author", editor), ("approved_by", editor)]:
        setattr(verdict, field, value)
        refused_by_the_database(verdict.save)
        verdict.refresh_from_db()


def test_raw_sql_cannot_rewrite_an_approved_verdict():
    claim = ClaimFactory(status=ClaimStatus.PUBLISHED)
    verdict = claim.verdicts.get()

    def raw() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE claims_verdict SET rating_id = %s WHERE id = %s",
                [rating("true").pk, verdict.pk],
            )

    refused_by_the_database(raw)
    verdict.refresh_from_db()
    assert verdict.rating.slug == "false"


def test_an_approved_verdict_still_takes_bookkeeping_writes():
    """Only what the approver signed is frozen: an unchanged save passes."""
    verdict = ClaimFactory(status=ClaimStatus.PUBLISHED).verdicts.get()
    verdict.save()


def test_a_proposed_verdict_is_frozen_until_it_is_sent_back(editor):
    claim = ClaimFactory(status=ClaimStatus.IN_APPROVAL)
    verdict = claim.verdicts.get()
    refused_by_the_database(
        lambda: Verdict.objects.filter(pk=verdict.pk).update(summary="The editor's words.")
    )
    refused_by_the_database(lambda: Verdict.objects.filter(pk=verdict.pk).update(author=editor))
    services.claim_send_back(actor=editor, claim=claim, note="Cite the ministry.")
    verdict.refresh_from_db()
    assert verdict.status == VerdictStatus.REJECTED


def test_a_published_version_is_never_updated():
    claim = ClaimFactory(status=ClaimStatus.PUBLISHED)
    version = claim.published_versions.get()
    refused_by_the_database(
        lambda: PublishedVersion.objects.filter(pk=version.pk).update(document="{}")
    )


# --- The hash chain -----------------------------------------------------------------------


def _hash(document: dict) -> str:
    body = {k: v for k, v in document.items() if k not in ("history", "content_hash")}
    return hashlib.sha256(rfc8785.dumps(body)).hexdigest()


def test_each_version_is_a_link_of_a_hash_chain(editor, other_editor):
    claim = ClaimFactory(status=ClaimStatus.PUBLISHED)
    first = json.loads(Publication.objects.get(claim=claim).document)
    correct(claim, editor=editor, approver=other_editor)
    second = json.loads(Publication.objects.get(claim=claim).document)

    assert first["content_hash"] == _hash(first) and first["previous_hash"] is None
    assert second["content_hash"] == _hash(second)
    assert second["previous_hash"] == first["content_hash"]
    assert [(h["content_hash"], h["previous_hash"]) for h in second["history"]] == [
        (first["content_hash"], None),
        (second["content_hash"], first["content_hash"]),
    ]
    events = ChangeEvent.objects.filter(claim=claim).order_by("id")
    assert [(e.type, e.content_hash, e.previous_hash) for e in events] == [
        ("published", first["content_hash"], ""),
        ("corrected", second["content_hash"], first["content_hash"]),
    ]
    assert events[1].reason == "The ministry revised the figure."


def test_history_and_corrections_come_from_what_was_published_not_from_todays_rows(
    editor, other_editor
):
    """The issue's step 2: even a verdict row rewritten behind the triggers' back (here:
    with the triggers off) cannot change what earlier versions are shown to have said."""
    claim = ClaimFactory(status=ClaimStatus.PUBLISHED)
    original = claim.verdicts.get()
    with triggers_off():
        Verdict.objects.filter(pk=original.pk).update(summary="Tampered.", rating=rating("true"))
    correct(claim, editor=editor, approver=other_editor)

    document = json.loads(Publication.objects.get(claim=claim).document)
    assert document["history"][0]["summary"] != "Tampered."
    assert document["history"][0]["rating"]["slug"] == "false"
    assert document["corrections"][0]["previous_rating"]["slug"] == "false"


def test_a_withdrawal_carries_its_reason_and_the_last_hash(editor):
    claim = ClaimFactory(status=ClaimStatus.PUBLISHED)
    last = claim.published_versions.get().content_hash
    services.claim_withdraw(actor=editor, claim=claim, reason="The source was forged.")
    event = ChangeEvent.objects.filter(claim=claim, type="withdrawn").get()
    assert (event.reason, event.previous_hash, event.content_hash) == (
        "The source was forged.",
        last,
        "",
    )


# --- verify_publications ------------------------------------------------------------------


class triggers_off:
    """Switch the integrity triggers off for a tampering test, as someone with the
    database owner's rights could, and back on after."""

    def __enter__(self):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET session_replication_role = replica")
            else:
                for name in TRIGGERS:
                    cursor.execute(f"DROP TRIGGER {name}")
        return self

    def __exit__(self, *exc):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET session_replication_role = DEFAULT")
            else:
                for statement in import_module("claims.migrations.0010_integrity").SQLITE:
                    cursor.execute(statement)
        return False


TRIGGERS = [
    "claims_verdict_approved_immutable",
    "claims_verdict_proposed_immutable",
    "claims_publishedversion_immutable",
]


def verify() -> str:
    from io import StringIO

    out = StringIO()
    call_command("verify_publications", stdout=out)
    return out.getvalue()


def verify_fails() -> str:
    from io import StringIO

    err = StringIO()
    with pytest.raises(CommandError):
        call_command("verify_publications", stderr=err)
    return err.getvalue()


def test_verify_publications_passes_on_the_demo():
    seed_demo()
    published = Claim.objects.filter(status=ClaimStatus.PUBLISHED).count()
    assert published >= 3
    out = verify()
    assert "The public record holds" in out
    assert PublishedVersion.objects.count() > published  # the demo has corrections


def test_verify_publications_finds_a_verdict_rewritten_behind_the_triggers():
    seed_demo()
    claim = Claim.objects.filter(status=ClaimStatus.PUBLISHED).order_by("pk").first()
    verdict = claim.verdicts.approved().order_by("-version").first()
    with triggers_off(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE claims_verdict SET summary = %s WHERE id = %s", ["Rewritten.", verdict.pk]
        )
    errors = verify_fails()
    assert f"Claim {claim.pk}:" in errors and "summary differs" in errors


def test_verify_publications_finds_a_public_document_edited_by_hand():
    claim = ClaimFactory(status=ClaimStatus.PUBLISHED)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE claims_publication SET document = REPLACE(document, %s, %s) WHERE claim_id = %s",
            ['"slug":"false"', '"slug":"true"', claim.pk],
        )
    errors = verify_fails()
    assert f"Claim {claim.pk}: its public document differs" in errors


def test_verify_publications_finds_a_published_claim_changed_outside_the_workflow():
    claim = ClaimFactory(status=ClaimStatus.PUBLISHED)
    Claim.objects.filter(pk=claim.pk).update(claim_reviewed="Something else entirely")
    claim.evidence.update(title="A different source")
    errors = verify_fails()
    assert "its claim_reviewed changed since version 1" in errors
    assert "its evidence changed since version 1" in errors


def test_verify_publications_finds_a_broken_chain_link():
    claim = ClaimFactory(status=ClaimStatus.PUBLISHED)
    version = claim.published_versions.get()
    with triggers_off(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE claims_publishedversion SET document = REPLACE(document, %s, %s) WHERE id = %s",
            ["cannot be checked", "can be checked", version.pk],
        )
    errors = verify_fails()
    assert "version 1: its document does not match its hash" in errors


def test_withdrawn_and_unpublished_claims_verify_too(editor):
    ClaimFactory(status=ClaimStatus.WITHDRAWN)
    ClaimFactory(status=ClaimStatus.IN_REVIEW)
    UserFactory(username="someone")
    assert "1 fact-check(s), 1 version(s)" in verify()


def test_fact_checks_published_before_the_chain_get_one_at_the_next_start():
    """A database from before migration 0010: publications_rebuild (run by make run)
    gives a published claim its versions; one withdrawn then has none to check."""
    published = ClaimFactory(status=ClaimStatus.PUBLISHED)
    withdrawn = ClaimFactory(status=ClaimStatus.WITHDRAWN)
    PublishedVersion.objects.filter(claim__in=[published, withdrawn]).delete()
    assert "published versions do not match" in verify_fails()

    call_command("publications_rebuild", stdout=StringIO())

    assert published.published_versions.count() == 1
    assert not withdrawn.published_versions.exists()
    assert "1 fact-check(s), 1 version(s)" in verify()
    assert ChangeEvent.objects.filter(claim=published).latest("id").type == "corrected"


def test_verify_publications_finds_a_claimreview_edited_by_hand(settings):
    claim = ClaimFactory(status=ClaimStatus.PUBLISHED)
    # Another process's configuration (make verify beside `PORT=9000 make run`) is fine.
    settings.SITE_URL = "http://127.0.0.1:9000"
    settings.FACTCHECK_ORG_NAME = "Another name"
    assert "1 fact-check(s)" in verify()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE claims_publication SET claimreview = REPLACE(claimreview, %s, %s) "
            "WHERE claim_id = %s",
            ['"alternateName":"False"', '"alternateName":"True"', claim.pk],
        )
    assert f"Claim {claim.pk}: its ClaimReview differs" in verify_fails()
