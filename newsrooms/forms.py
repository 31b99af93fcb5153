"""The public sign-up form for email digests."""

from django import forms
from django.utils.translation import gettext_lazy as _

from claims.models import bcp47_validator
from newsrooms.models import DigestFrequency
from newsrooms.selectors import subscription_form_choices


class SlugChoiceField(forms.ModelMultipleChoiceField):
    """Filters chosen on the page, handed to the service as slugs like the API's."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(
            queryset=None,
            to_field_name="slug",
            required=False,
            widget=forms.CheckboxSelectMultiple,
            **kwargs,
        )


class SubscribeForm(forms.Form):
    email = forms.EmailField(label=_("Your email address"), max_length=254)
    frequency = forms.ChoiceField(
        label=_("How often"),
        choices=DigestFrequency.choices,
        initial=DigestFrequency.DAILY,
        widget=forms.RadioSelect,
    )
    topics = SlugChoiceField(label=_("Topics"))
    claimants = SlugChoiceField(label=_("Claimants"))
    ratings = SlugChoiceField(label=_("Ratings"))
    language = forms.CharField(
        label=_("Language"),
        required=False,
        max_length=35,
        validators=[bcp47_validator],
        help_text=_("A language tag such as en or uk; leave empty for every language."),
    )
    notify_changes = forms.BooleanField(
        label=_("Tell me when a verdict I received is corrected or withdrawn"),
        required=False,
        initial=True,
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        for name, queryset in subscription_form_choices().items():
            self.fields[name].queryset = queryset
        self.fields["ratings"].label_from_instance = lambda rating: rating.label

    def service_arguments(self) -> dict[str, object]:
        """The cleaned data as subscription_create takes it."""
        data = dict(self.cleaned_data)
        for name in ("topics", "claimants", "ratings"):
            data[name] = [row.slug for row in data[name]]
        return data
