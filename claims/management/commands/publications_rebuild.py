"""Give every published claim that has no Publication row one, with its `published`
change event: for databases that published fact-checks before the read model existed.
Safe to run at every start (`make run` does); claims that have a row are left alone."""

from django.core.management.base import BaseCommand
from django.db import transaction

from claims.changelog import change_events_sequence
from claims.models import Claim, ClaimStatus
from claims.publishing import publications_render, publications_store
from claims.workflow import WorkflowError


class Command(BaseCommand):
    help = "Render the public Publication of published claims that have none."

    def handle(self, *args, **options) -> None:
        missing = list(
            Claim.objects.filter(status=ClaimStatus.PUBLISHED, publication__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        done, refused = 0, []
        # One transaction per claim: a claim whose ClaimReview breaks a rule is
        # reported and does not hold the others back.
        for claim_id in missing:
            try:
                with transaction.atomic():
                    publications_store(publications_render([claim_id]))
                done += 1
            except WorkflowError as exc:
                refused.append(f"claim {claim_id}: {exc.message}")
        change_events_sequence()
        for line in refused:
            self.stderr.write(line)
        self.stdout.write(f"Publications rendered: {done}; refused: {len(refused)}.")
