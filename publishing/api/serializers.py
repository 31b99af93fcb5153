"""Serializers of claims/ endpoints. The fact-check document is rendered once at publish
time (publishing/documents.py); its serializer here describes it for the OpenAPI schema,
and the tests check every stored document against that schema."""

from rest_framework import serializers

from claims.models import EvidenceStance, Rating, Topic
from publishing.models import ChangeType

# The hash chain (publishing.documents.content_hash): SHA-256 in lower-case hex.
SHA256_HEX = r"^[0-9a-f]{64}$"
CONTENT_HASH = (
    "SHA-256 (hex) of the RFC 8785 canonical JSON of the version's document without "
    '`history` and `content_hash` (docs/api.md, "Verifying the record").'
)
PREVIOUS_HASH = "`content_hash` of the version before; null for the first version."


def _hash_field(help_text: str, *, allow_null: bool = False) -> serializers.RegexField:
    return serializers.RegexField(SHA256_HEX, allow_null=allow_null, help_text=help_text)


class ClaimantRefSerializer(serializers.Serializer):
    name = serializers.CharField()
    slug = serializers.SlugField()
    description = serializers.CharField(allow_blank=True)
    same_as = serializers.URLField(allow_null=True, help_text="Wikidata page, when known.")


class AppearanceSerializer(serializers.Serializer):
    url = serializers.URLField()
    outlet = serializers.CharField(allow_blank=True)
    date = serializers.DateField(allow_null=True)


class DocumentRatingSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    label = serializers.CharField()
    value = serializers.IntegerField(allow_null=True, help_text="Null for Unverifiable.")
    best = serializers.IntegerField()
    worst = serializers.IntegerField()


class RatingRefSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    label = serializers.CharField()


class EvidenceSerializer(serializers.Serializer):
    url = serializers.URLField()
    title = serializers.CharField()
    publisher = serializers.CharField(allow_blank=True)
    stance = serializers.ChoiceField(choices=EvidenceStance.choices)
    quote = serializers.CharField(allow_blank=True)


class TopicRefSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()


class CorrectionSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    note = serializers.CharField(allow_blank=True)
    previous_rating = RatingRefSerializer()


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1)
    published_at = serializers.DateTimeField()
    rating = RatingRefSerializer()
    summary = serializers.CharField()
    content_hash = _hash_field(CONTENT_HASH)
    previous_hash = _hash_field(PREVIOUS_HASH, allow_null=True)


class FactCheckSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField()
    claim = serializers.CharField(help_text="The statement as made.")
    claim_reviewed = serializers.CharField(max_length=75)
    claimant = ClaimantRefSerializer()
    appearances = AppearanceSerializer(many=True)
    claim_date = serializers.DateField(allow_null=True)
    rating = DocumentRatingSerializer()
    summary = serializers.CharField()
    explanation = serializers.CharField()
    evidence = EvidenceSerializer(many=True)
    topics = TopicRefSerializer(many=True)
    language = serializers.CharField(help_text="BCP 47.")
    published_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    version = serializers.IntegerField(min_value=1)
    previous_hash = _hash_field(PREVIOUS_HASH, allow_null=True)
    content_hash = _hash_field(CONTENT_HASH)
    corrections = CorrectionSerializer(many=True)
    history = VersionSerializer(
        many=True, help_text="Every published version, oldest first; the last is this one."
    )
    claimreview_url = serializers.URLField()
    public_url = serializers.URLField()


class FactCheckPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = FactCheckSerializer(many=True)


class ChangeSerializer(serializers.Serializer):
    seq = serializers.IntegerField(min_value=1)
    type = serializers.ChoiceField(choices=ChangeType.choices)
    claim_id = serializers.IntegerField()
    at = serializers.DateTimeField()
    content_hash = _hash_field(
        "`content_hash` of the version published; null for a withdrawal.", allow_null=True
    )
    previous_hash = _hash_field(
        "`content_hash` of the version before (for a withdrawal: the last one published); "
        "null for a first publication.",
        allow_null=True,
    )
    reason = serializers.CharField(
        allow_null=True,
        help_text="The public note: why it was corrected or withdrawn; null for a first "
        "publication.",
    )
    document = FactCheckSerializer(
        allow_null=True,
        help_text="Null for a withdrawal, and for every event of a withdrawn fact-check.",
    )


class ChangePageSerializer(serializers.Serializer):
    results = ChangeSerializer(many=True)
    last_seq = serializers.IntegerField(
        min_value=0, help_text="The newest sequence number in the log."
    )
    next = serializers.URLField(help_text="Poll this URL for what comes after this page.")


class WithdrawnDetailSerializer(serializers.Serializer):
    # Not a one-choice enum: drf-spectacular would name its component "CodeEnum", and a
    # second error code with choices would collide with it.
    code = serializers.CharField(help_text="`withdrawn`.")
    message = serializers.CharField()
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), help_text="Empty."
    )
    reason = serializers.CharField(
        allow_null=True, help_text="The editors' public reason for the withdrawal."
    )
    withdrawn_at = serializers.DateTimeField()


class WithdrawnSerializer(serializers.Serializer):
    """The error format, with what the public may know of a withdrawal."""

    error = WithdrawnDetailSerializer()


class RatingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Rating
        fields = ["slug", "label", "value", "description"]


class TopicSerializer(serializers.ModelSerializer):
    class Meta:
        model = Topic
        fields = ["slug", "name"]


class ClaimantSerializer(serializers.Serializer):
    name = serializers.CharField()
    slug = serializers.SlugField()
    description = serializers.CharField(allow_blank=True)
    kind = serializers.CharField()
    same_as = serializers.URLField(allow_null=True)
    fact_checks = serializers.IntegerField(help_text="Published fact-checks of this claimant.")
    track_record = serializers.DictField(
        child=serializers.IntegerField(), help_text="Published fact-checks per rating slug."
    )
    claims_url = serializers.URLField()


class ClaimantPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ClaimantSerializer(many=True)


class RatingListSerializer(serializers.Serializer):
    results = RatingSerializer(many=True)


class TopicListSerializer(serializers.Serializer):
    results = TopicSerializer(many=True)
