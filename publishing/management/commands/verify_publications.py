"""Recompute every published version's hash chain and every public document from the
rows they were rendered from; exit non-zero naming each break (publishing/integrity.py)."""

from django.core.management.base import BaseCommand, CommandError

from publishing.integrity import publications_verify


class Command(BaseCommand):
    help = (
        "Verify the public record: the hash chain of every fact-check's published "
        "versions, their verdicts, the public documents, ClaimReviews and change log."
    )

    def handle(self, *args, **options) -> None:
        claims, versions, problems = publications_verify()
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(
                f"{len(problems)} problem(s) in the public record of {claims} fact-check(s)."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"The public record holds: {claims} fact-check(s), {versions} version(s) verified."
            )
        )
