"""What is checked: claimants, claims, appearances, evidence, the rating scale, verdicts."""

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from factcheck.text import UserInputModel

# BCP 47 language tags as newsrooms use them: "en", "uk", "pt-BR", "zh-Hant".
bcp47_validator = RegexValidator(
    r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$", _("Enter a BCP 47 language tag such as en or pt-BR.")
)


class Topic(UserInputModel, models.Model):
    one_line_fields = ("name",)

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")

    def __str__(self) -> str:
        return self.name


class ClaimantKind(models.TextChoices):
    PERSON = "person", _("Person")
    ORGANIZATION = "organization", _("Organisation")


class Claimant(UserInputModel, models.Model):
    # Claimants are matched on the normalised name (newsrooms.services): no look-alikes.
    one_line_fields = ("name", "description")

    name = models.CharField(_("name"), max_length=200)
    # ClaimReview names the claim's author as a schema.org Person or Organization.
    kind = models.CharField(
        _("kind"), max_length=12, choices=ClaimantKind.choices, default=ClaimantKind.PERSON
    )
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    wikidata_id = models.CharField(
        _("Wikidata id"),
        max_length=20,
        blank=True,
        validators=[RegexValidator(r"^Q[1-9][0-9]*$", _("A Wikidata id looks like Q12345."))],
    )
    # Reach (followers, office) feeds the triage priority; 0 = unknown.
    reach = models.PositiveIntegerField(_("reach"), default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("claimant")
        verbose_name_plural = _("claimants")

    def __str__(self) -> str:
        return self.name

    @property
    def same_as(self) -> str:
        return f"https://www.wikidata.org/wiki/{self.wikidata_id}" if self.wikidata_id else ""


class ClaimantAlias(UserInputModel, models.Model):
    """Other spellings of a claimant's name (transliterations, titles), for search."""

    one_line_fields = ("name",)

    claimant = models.ForeignKey(Claimant, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(_("alias"), max_length=200)

    class Meta:
        verbose_name = _("alias")
        verbose_name_plural = _("aliases")
        constraints = [
            models.UniqueConstraint(fields=["claimant", "name"], name="claimant_alias_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Rating(UserInputModel, models.Model):
    """One step of the rating scale. `value` is None for ratings off the scale."""

    one_line_fields = ("label",)
    text_fields = ("description",)

    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    label = models.CharField(_("label"), max_length=100)
    value = models.PositiveSmallIntegerField(
        _("value"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        constraints = [
            # ClaimReview requires worstRating >= 1.
            models.CheckConstraint(
                condition=Q(value__isnull=True) | Q(value__gte=1), name="rating_value_at_least_1"
            ),
        ]

    def __str__(self) -> str:
        return self.label


class ClaimStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    QUEUED = "queued", _("Queued")
    IN_REVIEW = "in_review", _("In review")
    IN_APPROVAL = "in_approval", _("In approval")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    REJECTED = "rejected", _("Rejected")
    DUPLICATE = "duplicate", _("Duplicate")


class ClaimOrigin(models.TextChoices):
    ADMIN = "admin", _("Entered in the admin")
    API = "api", _("API submission")
    IMPORT = "import", _("Article import")


class Claim(UserInputModel, models.Model):
    one_line_fields = ("claim_reviewed",)
    text_fields = ("text", "status_note")

    text = models.TextField(_("claim as made"))
    claim_reviewed = models.CharField(
        _("claim reviewed"),
        max_length=75,
        help_text=_("A short neutral summary of the claim, never the verdict."),
    )
    claimant = models.ForeignKey(
        Claimant, on_delete=models.PROTECT, related_name="claims", verbose_name=_("claimant")
    )
    language = models.CharField(
        _("language"), max_length=35, default="en", validators=[bcp47_validator]
    )
    topics = models.ManyToManyField(Topic, blank=True, related_name="claims")
    claim_date = models.DateField(_("claim date"), null=True, blank=True)
    origin = models.CharField(
        _("origin"), max_length=10, choices=ClaimOrigin.choices, default=ClaimOrigin.ADMIN
    )
    priority = models.IntegerField(_("priority"), default=0)
    # The text as triage normalised it (whitespace, quotes, numbers): what similarity
    # search compares.
    normalized_text = models.TextField(_("normalised text"), blank=True, editable=False)
    # How many times the claim was asked for (newsroom submissions merged into it).
    requests_count = models.PositiveIntegerField(_("requests"), default=1)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ClaimStatus.choices, default=ClaimStatus.RECEIVED
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_claims",
        verbose_name=_("assignee"),
    )
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("duplicate of"),
    )
    # Why the claim was rejected, withdrawn (public) or merged.
    status_note = models.TextField(_("status note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    status_changed_at = models.DateTimeField(_("status changed at"), auto_now_add=True)
    # Optimistic locking: every save (admin form or workflow service) raises it by one, and
    # a form rendered at an older version is refused (claims/admin/locking.py).
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-priority", "created_at"]
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        indexes = [
            # The review queues: claims in a state, highest priority and oldest first.
            models.Index(fields=["status", "-priority", "created_at"], name="claim_queue_idx"),
            # The reconciler and the deadline sweeps: claims in a state for too long.
            models.Index(fields=["status", "status_changed_at"], name="claim_status_age_idx"),
            models.Index(fields=["status", "due_at"], name="claim_status_due_idx"),
            # Triage batches take the oldest received claims: read in id order from this
            # small index instead of every received claim sorted (claims.triage.batch).
            models.Index(
                fields=["id"], condition=Q(status=ClaimStatus.RECEIVED), name="claim_received_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(status=ClaimStatus.DUPLICATE) & Q(duplicate_of__isnull=False))
                | (~Q(status=ClaimStatus.DUPLICATE) & Q(duplicate_of__isnull=True)),
                name="claim_duplicate_iff_duplicate_of",
            ),
            models.CheckConstraint(
                condition=~Q(duplicate_of=F("pk")), name="claim_not_duplicate_of_itself"
            ),
        ]

    def __str__(self) -> str:
        return self.claim_reviewed


class Appearance(UserInputModel, models.Model):
    """Where the claim was made or repeated."""

    one_line_fields = ("outlet",)
    text_fields = ("quote",)
    web_url_fields = ("url",)

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="appearances")
    url = models.URLField(_("URL"), max_length=500)
    outlet = models.CharField(_("outlet"), max_length=200, blank=True)
    date = models.DateField(_("date"), null=True, blank=True)
    quote = models.TextField(_("quote"), blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["date", "pk"]
        verbose_name = _("appearance")
        verbose_name_plural = _("appearances")

    def __str__(self) -> str:
        return self.outlet or self.url


class EvidenceKind(models.TextChoices):
    PRIMARY_SOURCE = "primary_source", _("Primary source")
    OFFICIAL_DATA = "official_data", _("Official data")
    EXPERT = "expert", _("Expert")
    MEDIA_REPORT = "media_report", _("Media report")
    RESEARCH = "research", _("Research")
    OTHER = "other", _("Other")


class EvidenceStance(models.TextChoices):
    SUPPORTS = "supports", _("Supports")
    REFUTES = "refutes", _("Refutes")
    CONTEXT = "context", _("Context")


class Evidence(UserInputModel, models.Model):
    one_line_fields = ("title", "publisher")
    text_fields = ("quote",)
    web_url_fields = ("url",)

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="evidence")
    url = models.URLField(_("URL"), max_length=500)
    title = models.CharField(_("title"), max_length=300)
    publisher = models.CharField(_("publisher"), max_length=200, blank=True)
    quote = models.TextField(_("quote"), blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=EvidenceKind.choices)
    stance = models.CharField(_("stance"), max_length=10, choices=EvidenceStance.choices)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["added_at", "pk"]
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")

    def __str__(self) -> str:
        return self.title


class VerdictStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PROPOSED = "proposed", _("Proposed")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class VerdictQuerySet(models.QuerySet):
    def approved(self) -> "VerdictQuerySet":
        return self.filter(status=VerdictStatus.APPROVED)

    def open(self) -> "VerdictQuerySet":
        return self.filter(status__in=[VerdictStatus.DRAFT, VerdictStatus.PROPOSED])


class Verdict(UserInputModel, models.Model):
    """One version of a claim's verdict. Approved versions are never edited again: a
    correction is a new version, so every earlier verdict stays readable."""

    text_fields = ("summary", "explanation", "correction_note", "review_note")

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="verdicts")
    version = models.PositiveIntegerField(_("version"))
    rating = models.ForeignKey(
        Rating, on_delete=models.PROTECT, related_name="verdicts", verbose_name=_("rating")
    )
    summary = models.TextField(_("summary"), help_text=_("One or two sentences."))
    explanation = models.TextField(_("explanation"), help_text=_("The analysis and method."))
    status = models.CharField(
        _("status"), max_length=10, choices=VerdictStatus.choices, default=VerdictStatus.DRAFT
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="authored_verdicts",
        verbose_name=_("author"),
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="approved_verdicts",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    # Public: why this version replaces the previous one.
    correction_note = models.TextField(_("correction note"), blank=True)
    # Internal: why an editor sent this version back.
    review_note = models.TextField(_("review note"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = VerdictQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["claim", "version"]
        verbose_name = _("verdict")
        verbose_name_plural = _("verdicts")
        constraints = [
            models.UniqueConstraint(fields=["claim", "version"], name="verdict_version_unique"),
            # At most one version in the works per claim.
            models.UniqueConstraint(
                fields=["claim"],
                condition=Q(status__in=["draft", "proposed"]),
                name="verdict_one_open_per_claim",
            ),
            # Four eyes: nobody approves their own verdict, whatever code writes the row.
            models.CheckConstraint(condition=~Q(approved_by=F("author")), name="verdict_four_eyes"),
            models.CheckConstraint(
                condition=~Q(status=VerdictStatus.APPROVED)
                | (Q(approved_by__isnull=False) & Q(approved_at__isnull=False)),
                name="verdict_approved_has_approver",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim} v{self.version}: {self.rating}"


class ClaimNote(UserInputModel, models.Model):
    """An internal note on a claim: the desk's discussion. Never published."""

    text_fields = ("text",)

    claim = models.ForeignKey(
        Claim, on_delete=models.CASCADE, related_name="notes", verbose_name=_("claim")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("author"),
    )
    text = models.TextField(_("note"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("internal note")
        verbose_name_plural = _("internal notes")

    def __str__(self) -> str:
        return self.text[:60]
