"""The admin site: Django's, with one guard in front of every admin view.

Django's admin trusts the ids and a few values it reads from a request: an object id
in the URL, the rows selected for a bulk action, the date drill-down of a changelist.
Junk there (letters for a number, a number past 64 bits, a NUL that PostgreSQL cannot
store) reaches the ORM and ends in a 500. The guard checks them once, for every model
admin of every app, and answers a clear 400 (or 404 for an id) before the view runs, so
no view holds a copy of the check.
"""

from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

# What a date drill-down parameter may be: the range datetime() accepts.
_DATE_PARTS = {"year": (1, 9999), "month": (1, 12), "day": (1, 31)}


def value_fits(field: models.Field, raw: str) -> bool:
    """Whether `raw`, as sent in a request, is a value `field` can hold: it parses,
    carries no NUL, and an integer has ASCII digits and fits the column."""
    if "\x00" in raw:
        return False
    try:
        value = field.to_python(raw)
    except (ValidationError, ValueError, TypeError, OverflowError):
        return False
    if isinstance(field, models.IntegerField):
        if not raw.strip().lstrip("+-").isascii():
            return False  # int() reads Arabic-Indic and other digits; an id never has them
        low, high = connection.ops.integer_field_range(field.get_internal_type())
        return (low is None or value >= low) and (high is None or value <= high)
    return True


def _has_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path:
        return True
    for data in (request.GET, request.POST):
        for key, values in data.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                return True
    return False


def _date_drilldown_fits(model_admin: admin.ModelAdmin, request: HttpRequest) -> bool:
    field = model_admin.date_hierarchy
    if not field:
        return True
    for part, (low, high) in _DATE_PARTS.items():
        raw = request.GET.get(f"{field}__{part}")
        if raw is None:
            continue
        if not (raw.isascii() and raw.isdigit() and low <= int(raw) <= high):
            return False
    return True


_MANAGEMENT = ("-TOTAL_FORMS", "-INITIAL_FORMS", "-MIN_NUM_FORMS", "-MAX_NUM_FORMS")


def _management_forms_fit(request: HttpRequest) -> bool:
    """Whether the inline counts a page posts are what a page can post: non-negative
    numbers, and no more initial rows than rows. Django reads them unchecked: an
    INITIAL_FORMS of -1 made an existing row a new one, saved again (an IntegrityError)."""
    counts: dict[str, dict[str, int]] = {}
    for key, value in request.POST.items():
        suffix = next((s for s in _MANAGEMENT if key.endswith(s)), None)
        if suffix is None:
            continue
        if value == "" and suffix in ("-MIN_NUM_FORMS", "-MAX_NUM_FORMS"):
            continue  # optional in Django's management form
        if not (value.isascii() and value.isdigit()):
            return False
        counts.setdefault(key.removesuffix(suffix), {})[suffix] = int(value)
    return all(c.get("-INITIAL_FORMS", 0) <= c.get("-TOTAL_FORMS", 0) for c in counts.values())


def _refusal(request: HttpRequest, model_admin: admin.ModelAdmin | None) -> str | None:
    """The first thing in the request the admin cannot use, as a message, or None."""
    if _has_nul(request):
        return _("The request contains a NUL character, which no field accepts.")
    if model_admin is None:
        return None
    pk = model_admin.model._meta.pk
    selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
    if any(not value_fits(pk, value) for value in selected):
        return _("The selection names rows that cannot exist: reload the list and select again.")
    if not _management_forms_fit(request):
        return _("The form's rows were changed outside the page: reload it and try again.")
    if not _date_drilldown_fits(model_admin, request):
        return _("The date in the address is not a date: pick one from the list.")
    return None


def _model_admin_of(view) -> admin.ModelAdmin | None:
    """The model admin a view is a method of, through decorators such as require_POST
    (a bound method answers `__wrapped__` for its function, so look at each layer)."""
    while view is not None:
        owner = getattr(view, "__self__", None)
        if isinstance(owner, admin.ModelAdmin):
            return owner
        view = getattr(view, "__wrapped__", None)
    return None


class AdminSite(admin.AdminSite):
    def admin_view(self, view, cacheable=False):
        model_admin = _model_admin_of(view)

        def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            object_id = kwargs.get("object_id")
            pk = model_admin.model._meta.pk if model_admin is not None else None
            if pk is not None and object_id is not None and not value_fits(pk, unquote(object_id)):
                raise Http404(_("No such object."))
            message = _refusal(request, model_admin)
            if message is not None:
                return self.bad_request(request, message)
            return view(request, *args, **kwargs)

        guarded.__name__ = getattr(view, "__name__", "admin_view")
        guarded.__wrapped__ = view
        return super().admin_view(guarded, cacheable)

    def bad_request(self, request: HttpRequest, message: str) -> HttpResponse:
        context = {**self.each_context(request), "title": _("Bad request"), "message": message}
        return TemplateResponse(request, "admin/bad_request.html", context, status=400)


class _DropUnparsable:
    """An autocomplete widget re-rendering a form that failed on a junk id (letters for
    a number, a number past 64 bits) would query the junk and answer a 500: it shows
    only the values the target field can hold, and the form shows its error."""

    def optgroups(self, name, value, attr=None):
        target = self.field.target_field
        value = [v for v in value if v in self.field.empty_values or value_fits(target, str(v))]
        return super().optgroups(name, value, attr)


class GuardedAutocompleteSelect(_DropUnparsable, AutocompleteSelect):
    pass


class GuardedAutocompleteSelectMultiple(_DropUnparsable, AutocompleteSelectMultiple):
    pass


class GuardedAutocompleteMixin:
    """For model admins with `autocomplete_fields`: the widgets above instead of
    Django's."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = GuardedAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = GuardedAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)
