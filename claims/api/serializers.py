"""Serializers of claims/ endpoints. The fact-check document is rendered once at publish
time (claims/publishing.py); its serializer here describes it for the OpenAPI schema,
and the tests check every stored document against that schema."""

from rest_framework import serializers

from claims.models import ChangeType, EvidenceStance, Rating, Topic


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
    corrections = CorrectionSerializer(many=True)
    history = VersionSerializer(many=True, help_text="Every published version, oldest first.")
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
    document = FactCheckSerializer(allow_null=True, help_text="Null for a withdrawal.")


class ChangePageSerializer(serializers.Serializer):
    results = ChangeSerializer(many=True)
    last_seq = serializers.IntegerField(
        min_value=0, help_text="The newest sequence number in the log."
    )
    next = serializers.URLField(help_text="Poll this URL for what comes after this page.")


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
