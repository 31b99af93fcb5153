"""`make bench-seed BENCH_ARGS="--factchecks N"` (`manage.py bench_seed` with
`bench.settings`): fill the database with N published
fact-checks for the API benchmark (bench/api_throughput.py, docs/BENCHMARKS.md).

The rows a published claim implies (claim, appearance, evidence, topics, an approved
verdict written by one user and approved by another) are inserted with bulk_create,
a batch at a time; each batch is then rendered and stored by the real publishing code
(`publications_render` + `publications_store`) in the same transaction, so the
Publication rows and change events are exactly what publishing writes. The change
events are numbered after each commit, as in production.

Everything it creates hangs off claimants whose slug starts with `bench-`, so a re-run
tops up to N bench fact-checks (it never duplicates one) and `--reset` removes the
bench claims first. The workflow services are not called: one service call per claim
would take hours for 100,000, and the benchmark measures reads, not the workflow. So
the bench claims have no audit history rows.
"""

import random
import time
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from claims.models import (
    Appearance,
    Claim,
    Claimant,
    ClaimantKind,
    ClaimOrigin,
    ClaimStatus,
    Evidence,
    EvidenceKind,
    EvidenceStance,
    Rating,
    Topic,
    Verdict,
    VerdictStatus,
)
from publishing.changelog import change_events_sequence
from publishing.documents import publications_render
from publishing.models import Publication
from publishing.services import publications_store

PREFIX = "bench-"
CLAIMANTS = 300
TOPICS = 24
AUTHOR, APPROVER = "bench-author", "bench-approver"
LANGUAGES = ["en"] * 6 + ["uk", "uk", "ru", "pl", "de", "fr"]
SUBJECTS = [
    "unemployment",
    "inflation",
    "grain exports",
    "gas prices",
    "defence spending",
    "hospital waiting lists",
    "school funding",
    "refugee arrivals",
    "electricity output",
    "public debt",
]
VERBS = ["rose by", "fell by", "doubled to", "reached", "stayed under"]


def _claim_texts(rng: random.Random, n: int) -> tuple[str, str]:
    subject, verb = rng.choice(SUBJECTS), rng.choice(VERBS)
    figure = rng.randint(2, 950)
    text = (
        f"Claim {n}: {subject.capitalize()} {verb} {figure}% last year, "
        f"the highest figure in a decade."
    )
    return text, f"{subject.capitalize()} {verb} {figure}% last year ({n})"[:75]


class Command(BaseCommand):
    help = "Fill the database with N published fact-checks for the API benchmark."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--factchecks", type=int, required=True, help="How many in all.")
        parser.add_argument("--batch", type=int, default=1000, help="Claims per transaction.")
        parser.add_argument(
            "--reset", action="store_true", help="Delete the bench fact-checks first."
        )
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (writes many rows)."
        )
        parser.add_argument("--seed", type=int, default=5, help="Random seed (default 5).")

    def handle(self, *args: object, **options: object) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "DEBUG is off: refusing to write thousands of benchmark rows. "
                "Use --force on a database made for the benchmark."
            )
        target, batch = int(options["factchecks"]), int(options["batch"])
        if target < 0 or batch < 1:
            raise CommandError("--factchecks must be 0 or more and --batch 1 or more.")
        started = time.monotonic()
        if options["reset"]:
            removed = self._reset(batch)
            self.stdout.write(f"Removed {removed} bench claims.")
        self.rng = random.Random(int(options["seed"]))
        self._reference_rows()
        have = Publication.objects.filter(claimant__startswith=PREFIX).count()
        todo = max(target - have, 0)
        self.stdout.write(f"{have} bench fact-checks exist; creating {todo}.")
        done = 0
        while done < todo:
            size = min(batch, todo - done)
            with transaction.atomic():
                ids = self._claims(size, first_number=have + done + 1)
                publications_store(publications_render(ids))
            done += size
            rate = done / max(time.monotonic() - started, 1e-9)
            self.stdout.write(f"  {done}/{todo} published ({rate:.0f}/s)")
        # Publishing numbers events on commit; this catches any a failed callback left.
        change_events_sequence()
        elapsed = time.monotonic() - started
        self.stdout.write(f"Done: {have + todo} bench fact-checks, {done} new, in {elapsed:.1f} s.")

    def _reset(self, batch: int) -> int:
        removed = 0
        bench = Claim.objects.filter(claimant__slug__startswith=PREFIX)
        while ids := list(bench.values_list("pk", flat=True)[:batch]):
            with transaction.atomic():
                Claim.objects.filter(pk__in=ids).delete()
            removed += len(ids)
        return removed

    def _reference_rows(self) -> None:
        """Users, claimants and topics: created once, found again on a re-run."""
        users = get_user_model()
        self.author, _ = users.objects.get_or_create(username=AUTHOR)
        self.approver, _ = users.objects.get_or_create(username=APPROVER)
        Claimant.objects.bulk_create(
            [
                Claimant(
                    name=f"Bench Claimant {i}",
                    slug=f"{PREFIX}claimant-{i}",
                    kind=ClaimantKind.ORGANIZATION if i % 5 == 0 else ClaimantKind.PERSON,
                    description=f"Public figure number {i}",
                    wikidata_id=f"Q{100000 + i}",
                )
                for i in range(CLAIMANTS)
            ],
            ignore_conflicts=True,
        )
        Topic.objects.bulk_create(
            [Topic(name=f"Bench topic {i}", slug=f"{PREFIX}topic-{i}") for i in range(TOPICS)],
            ignore_conflicts=True,
        )
        self.claimants = list(Claimant.objects.filter(slug__startswith=PREFIX))
        self.topics = list(Topic.objects.filter(slug__startswith=PREFIX))
        self.ratings = list(Rating.objects.all())
        if not self.ratings:
            raise CommandError("No ratings: run `python manage.py migrate` first.")

    def _claims(self, size: int, first_number: int) -> list[int]:
        """Insert `size` claims with everything publishing needs; return their ids."""
        rng, now = self.rng, timezone.now()
        claims = []
        for n in range(first_number, first_number + size):
            text, reviewed = _claim_texts(rng, n)
            claims.append(
                Claim(
                    text=text,
                    claim_reviewed=reviewed,
                    normalized_text=text.lower(),
                    claimant=rng.choice(self.claimants),
                    language=rng.choice(LANGUAGES),
                    claim_date=(now - timedelta(days=rng.randint(1, 700))).date(),
                    origin=ClaimOrigin.IMPORT,
                    status=ClaimStatus.PUBLISHED,
                    assignee=self.author,
                )
            )
        claims = Claim.objects.bulk_create(claims)
        Appearance.objects.bulk_create(
            Appearance(
                claim=c,
                url=f"https://news.example.org/{c.pk}",
                outlet="Example News",
                date=c.claim_date,
            )
            for c in claims
        )
        Evidence.objects.bulk_create(
            Evidence(
                claim=c,
                url=f"https://stats.example.org/tables/{c.pk % 997}",
                title="National statistics table",
                publisher="Statistics Office",
                kind=EvidenceKind.OFFICIAL_DATA,
                stance=EvidenceStance.REFUTES,
                added_by=self.author,
            )
            for c in claims
        )
        through = Claim.topics.through
        through.objects.bulk_create(
            through(claim_id=c.pk, topic_id=t.pk)
            for c in claims
            for t in rng.sample(self.topics, rng.randint(1, 3))
        )
        Verdict.objects.bulk_create(
            Verdict(
                claim=c,
                version=1,
                rating=rng.choice(self.ratings),
                summary=f"The official figures do not support claim {c.pk}.",
                explanation="We compared the claim with the statistics office's tables. " * 4,
                status=VerdictStatus.APPROVED,
                author=self.author,
                approved_by=self.approver,
                approved_at=now,
            )
            for c in claims
        )
        return [c.pk for c in claims]
