"""Give every published claim that has no Publication row one, with its `published`
change event, and every one published before versions were kept (migration claims/0010)
its hash chain, with a `corrected` event for its document that gained the hashes: for
databases older than either. Safe to run at every start (`make run` does); claims that
are up to date are left alone."""

from django.core.management.base import BaseCommand
from django.db import transaction

from claims.models import Claim, ClaimStatus
from factcheck.errors import DomainError
from publishing.changelog import change_events_sequence
from publishing.documents import publications_render
from publishing.services import publications_store


class Command(BaseCommand):
    help = "Render the public Publication of published claims that have none."

    def handle(self, *args, **options) -> None:
        published = Claim.objects.filter(status=ClaimStatus.PUBLISHED)
        unchained = published.filter(published_versions__isnull=True)
        missing = sorted(
            set(published.filter(publication__isnull=True).values_list("pk", flat=True))
            | set(unchained.values_list("pk", flat=True))
        )
        done, refused = 0, []
        # One transaction per claim: a claim whose ClaimReview breaks a rule is
        # reported and does not hold the others back.
        for claim_id in missing:
            try:
                with transaction.atomic():
                    publications_store(publications_render([claim_id]))
                done += 1
            except DomainError as exc:
                refused.append(f"claim {claim_id}: {exc.message}")
        change_events_sequence()
        for line in refused:
            self.stderr.write(line)
        self.stdout.write(f"Publications rendered: {done}; refused: {len(refused)}.")
