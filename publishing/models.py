"""What is published: the read model of fact-checks (`Publication`), the change log and
its sequencer, the hash chain of published versions, and the transparency pages IFCN's
Code of Principles asks a fact-checker to keep public (methodology, corrections policy,
who we are and our funding).

The fact-check models moved here from claims/ with state-only migrations: their tables
keep their `claims_` names, so an existing database migrated without copying a row."""

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from claims.models import Claim, Verdict
from factcheck.text import UserInputModel


class PolicyKind(models.TextChoices):
    METHODOLOGY = "methodology", _("Methodology")
    CORRECTIONS_POLICY = "corrections_policy", _("Corrections policy")
    ABOUT = "about", _("Who we are and our funding")


# Where each page is public (publishing/urls.py).
PUBLIC_URL_NAMES = {
    PolicyKind.METHODOLOGY: "policy-methodology",
    PolicyKind.CORRECTIONS_POLICY: "policy-corrections",
    PolicyKind.ABOUT: "policy-about",
}


class PolicyPage(UserInputModel, models.Model):
    """One public policy page per kind. A data migration writes the three; editors
    change their text in the admin, and the history keeps every earlier wording."""

    one_line_fields = ("title",)
    text_fields = ("body",)

    kind = models.CharField(_("kind"), max_length=20, choices=PolicyKind.choices)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(
        _("text"),
        help_text=_(
            "Plain text. A blank line starts a new paragraph; HTML is shown as typed, "
            "never interpreted."
        ),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["kind"]
        verbose_name = _("policy page")
        verbose_name_plural = _("policy pages")
        constraints = [models.UniqueConstraint(fields=["kind"], name="policy_page_kind_unique")]

    def __str__(self) -> str:
        return self.get_kind_display()

    def get_absolute_url(self) -> str:
        return reverse(PUBLIC_URL_NAMES[PolicyKind(self.kind)])


class Publication(models.Model):
    """A published fact-check as the public reads it: its JSON document and ClaimReview,
    rendered once when it is published or corrected, with the columns the API filters
    on. The API, the public pages and the feeds read only these rows. A withdrawal
    deletes the row; the change log keeps the withdrawal."""

    claim = models.OneToOneField(Claim, on_delete=models.CASCADE, related_name="publication")
    slug = models.SlugField(_("slug"), max_length=80)
    version = models.PositiveIntegerField(_("version"))
    # JSON text, stored as rendered so that a list page joins strings and never
    # serialises a row again.
    document = models.TextField(_("document"))
    claimreview = models.TextField(_("ClaimReview"))
    # Strong validator of `document` (a hash of it): the detail endpoint's ETag.
    etag = models.CharField(max_length=64)
    rating = models.SlugField(_("rating"), max_length=50)
    claimant = models.SlugField(_("claimant"), max_length=200)
    language = models.CharField(_("language"), max_length=35)
    # What `q` searches: the claim, its summary and the claimant's names.
    search_text = models.TextField(blank=True)
    published_at = models.DateTimeField(_("first published"))
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        db_table = "claims_publication"
        # Newest first publication first; the primary key is the cursor's unique key.
        ordering = ["-id"]
        verbose_name = _("publication")
        verbose_name_plural = _("publications")
        indexes = [
            # claims/?rating=, ?claimant=, ?language=, each paged on -id.
            models.Index(fields=["rating", "-id"], name="publication_rating_idx"),
            models.Index(fields=["claimant", "-id"], name="publication_claimant_idx"),
            models.Index(fields=["language", "-id"], name="publication_language_idx"),
            # claims/?updated_since=
            models.Index(fields=["updated_at"], name="publication_updated_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.claim_id}-{self.slug} v{self.version}"


class PublicationTopic(models.Model):
    """The topics of a publication, for claims/?topic= (one indexed lookup)."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="topics")
    topic = models.SlugField(max_length=100)

    class Meta:
        db_table = "claims_publicationtopic"
        constraints = [
            models.UniqueConstraint(
                fields=["topic", "publication"], name="publication_topic_unique"
            )
        ]

    def __str__(self) -> str:
        return self.topic


class ChangeType(models.TextChoices):
    PUBLISHED = "published", _("Published")
    CORRECTED = "corrected", _("Corrected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ChangeEvent(models.Model):
    """One publish, correction or withdrawal, written in the transaction that made it.

    `seq` is given after commit by `publishing.changelog.change_events_sequence`, one at a
    time under a lock, so sequence numbers are gap-free and follow commit order: a
    client reading `seq > N` never misses an event that committed late. The id is not
    used for that: ids are handed out at insert and commit out of order."""

    seq = models.PositiveBigIntegerField(_("sequence number"), null=True, unique=True)
    type = models.CharField(_("type"), max_length=10, choices=ChangeType.choices)
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="change_events")
    # The fact-check document as it was published (JSON text); null for a withdrawal.
    document = models.TextField(null=True, blank=True)
    # The hash chain (PublishedVersion): the version this event published, and the one
    # before it; a withdrawal carries the last published version's hash as previous.
    content_hash = models.CharField(_("content hash"), max_length=64, blank=True)
    previous_hash = models.CharField(_("previous hash"), max_length=64, blank=True)
    # Public: why a fact-check was withdrawn (empty for other events).
    reason = models.TextField(_("reason"), blank=True)
    at = models.DateTimeField(_("at"))
    sequenced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "claims_changeevent"
        ordering = ["seq"]
        verbose_name = _("change event")
        verbose_name_plural = _("change events")
        indexes = [
            # The sequencer's work list: events still waiting for their number.
            models.Index(
                fields=["id"], condition=Q(seq__isnull=True), name="changeevent_unsequenced_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.seq or '?'} {self.type} claim {self.claim_id}"


class ChangeSequencer(models.Model):
    """A single row whose lock serialises the sequencer (see ChangeEvent)."""

    last_seq = models.PositiveBigIntegerField(default=0)

    class Meta:
        db_table = "claims_changesequencer"

    def __str__(self) -> str:
        return f"sequencer at {self.last_seq}"


class PublishedVersion(models.Model):
    """One published version of a fact-check exactly as it was published: its canonical
    document (RFC 8785 JSON), the SHA-256 of that document and the hash of the version
    before it, which the document includes, so the versions of a claim form a chain.

    Rows are written once, when a verdict is approved, and never changed: a database
    trigger refuses any UPDATE (migration claims/0010). `verify_publications` recomputes the
    chain and compares it with the verdict rows and the Publication."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="published_versions")
    verdict = models.OneToOneField(
        Verdict, on_delete=models.CASCADE, related_name="published_version"
    )
    number = models.PositiveIntegerField(_("version"))
    document = models.TextField(_("document"))
    content_hash = models.CharField(_("content hash"), max_length=64)
    previous_hash = models.CharField(_("previous hash"), max_length=64, blank=True)
    published_at = models.DateTimeField(_("published at"))

    class Meta:
        db_table = "claims_publishedversion"
        ordering = ["claim", "number"]
        verbose_name = _("published version")
        verbose_name_plural = _("published versions")
        constraints = [
            models.UniqueConstraint(
                fields=["claim", "number"], name="published_version_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim_id} v{self.number} {self.content_hash[:12]}"
