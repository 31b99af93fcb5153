"""The reviewer profile's form: languages typed as tags, not as JSON."""

from django import forms
from django.utils.translation import gettext_lazy as _

from reviewers.models import ReviewerProfile


class LanguageTagsField(forms.CharField):
    """Language tags separated by commas or spaces ("en, uk, pt-BR"), as a list.

    The model field is JSON, but a reviewer types tags: the default JSON form field
    made them write `["en"]` and let a hostile document (2,000 nested arrays, Infinity,
    a NUL) reach the JSON parser and the database. The model's validator checks each
    tag."""

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(str(tag) for tag in value)
        return value

    def to_python(self, value):
        text = super().to_python(value)
        return [tag for tag in text.replace(",", " ").split() if tag]


class ReviewerProfileForm(forms.ModelForm):
    languages = LanguageTagsField(
        label=_("languages"),
        required=False,
        max_length=400,
        help_text=_("Language tags separated by commas, such as en, uk, ru."),
    )

    class Meta:
        model = ReviewerProfile
        fields = ["user", "topics", "languages", "capacity", "active"]
