"""The filters of claims/: each one a condition on an indexed Publication column."""

from datetime import UTC, datetime

import django_filters
from django import forms
from django.db import connection
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django_filters.fields import IsoDateTimeField

from publishing.models import Publication, PublicationTopic


def full_text(queryset: QuerySet, q: str) -> QuerySet:
    """PostgreSQL: web-search syntax over the GIN index on to_tsvector('simple',
    search_text) (migration 0008). SQLite: every word, case-insensitively."""
    if connection.vendor == "postgresql":
        match = RawSQL(
            "to_tsvector('simple'::regconfig, search_text) "
            "@@ websearch_to_tsquery('simple'::regconfig, %s)",
            [q],
            output_field=BooleanField(),
        )
        return queryset.filter(match)
    condition = Q()
    for word in q.split():
        condition &= Q(search_text__icontains=word)
    return queryset.filter(condition)


class UTCDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time in ASCII digits (`\\d` in Django's parser also takes "٢"),
    as the UTC instant it names. RFC 3339 allows 9999-12-31T23:59:59-14:00, which is in
    the year 10000 in UTC, and 0001-01-01T00:00:00+14:00, in the year 0: beyond what a
    datetime holds (SQLite's adapter raised OverflowError), they are taken as the last
    and the first instant there is."""

    def to_python(self, value):
        if isinstance(value, str) and not value.isascii():
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(UTC)
        except OverflowError:
            return (datetime.max if parsed.year == datetime.max.year else datetime.min).replace(
                tzinfo=UTC
            )


class UTCDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UTCDateTimeField


class PublicationFilter(django_filters.FilterSet):
    rating = django_filters.CharFilter(help_text="A rating slug, e.g. false.")
    claimant = django_filters.CharFilter(help_text="A claimant slug.")
    topic = django_filters.CharFilter(method="filter_topic", help_text="A topic slug.")
    language = django_filters.CharFilter(help_text="A BCP 47 language tag, e.g. en.")
    q = django_filters.CharFilter(method="filter_q", help_text="Full-text search.")
    updated_since = UTCDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text="ISO 8601 date-time: fact-checks published or corrected since then.",
    )

    class Meta:
        model = Publication
        fields = ["rating", "claimant", "topic", "language", "q", "updated_since"]

    def filter_topic(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        ids = PublicationTopic.objects.filter(topic=value).values("publication_id")
        return queryset.filter(id__in=ids)

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        return full_text(queryset, value) if value else queryset
