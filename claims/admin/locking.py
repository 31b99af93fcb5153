"""No lost edits: a version column checked on save.

The claim form carries the version it was rendered at in a hidden field. The form's
clean() compares it with the row, so the common conflict is caught early with the input
kept; the check that counts is the service's (`claims.services.claim_update` and the
content services lock the row and refuse a `stale` version), inside the admin's
transaction. Either way the message lists who changed what since, and nothing is written.
"""

from typing import Any

from django import forms
from django.db import models
from django.http import HttpRequest
from django.utils import formats
from django.utils.text import Truncator
from django.utils.translation import gettext as _

LOCK_FIELD = "lock_version"
# Bookkeeping that every save moves: not worth telling people about.
IGNORED_FIELDS = ["version", "updated_at", "status_changed_at", "normalized_text"]


def _show(value: Any) -> str:
    return Truncator(str(value) if value not in (None, "") else "—").chars(80)


def _label(model: type[models.Model], name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name)
    except Exception:  # noqa: BLE001 - a field of the history model only
        return name


def changes_since(
    model: type[models.Model], pk: Any, version: int | None, outcome: str | None = None
) -> str | None:
    """None when the row is still at `version`; otherwise a message for the person whose
    form is stale, naming who changed what since that version (from the audit history)."""
    current = model._default_manager.filter(pk=pk).values_list("version", flat=True).first()
    if current is None or current == version:
        return None
    history = model.history.filter(id=pk)
    seen = history.filter(version=version).order_by("history_date").last() if version else None
    later = history.filter(version__gt=version or 0).order_by("history_date")
    latest = later.last()
    who = sorted({str(r.history_user) for r in later if r.history_user_id})
    parts = []
    if seen is not None and latest is not None:
        delta = latest.diff_against(seen, excluded_fields=IGNORED_FIELDS)
        for change in delta.changes:
            old, new = (
                _display(latest, change.field, change.old),
                _display(latest, change.field, change.new),
            )
            parts.append(f"{_label(model, change.field)}: {old} → {new}")
        parts += _related_changes(model, pk, seen.history_date)
    when = formats.date_format(latest.history_date, "DATETIME_FORMAT") if latest else ""
    message = _("Someone else saved this %(model)s after you opened it (%(who)s, %(when)s), ") % {
        "model": model._meta.verbose_name,
        "who": ", ".join(who) or _("the system"),
        "when": when,
    }
    message += outcome or _("so your changes were NOT saved and nothing was overwritten.")
    if parts:
        message += " " + _("Changed since you opened it: %(changes)s.") % {
            "changes": "; ".join(parts)
        }
    return (
        message + " " + _("Open the claim again to see the current version, then redo your edit.")
    )


def _display(record: models.Model, field: str, value: Any) -> str:
    """Choices as their labels, foreign keys as the object's name."""
    model_field = record.instance_type._meta.get_field(field)
    if model_field.choices:
        return _show(dict(model_field.flatchoices).get(value, value))
    if model_field.is_relation and value is not None:
        target = model_field.related_model._default_manager.filter(pk=value).first()
        return _show(target or value)
    return _show(value)


def _related_changes(model: type[models.Model], pk: Any, since: Any) -> list[str]:
    """Rows of the inlines (evidence, appearances...) written after `since`."""
    found = []
    for relation in model._meta.related_objects:
        related = relation.related_model
        if not hasattr(related, "history") or relation.many_to_many:
            continue
        records = related.history.filter(
            **{f"{relation.field.attname}": pk, "history_date__gt": since}
        ).order_by("history_date")
        for record in records:
            kind = {"+": _("added"), "~": _("changed"), "-": _("deleted")}[record.history_type]
            found.append(f"{related._meta.verbose_name} “{_show(record.instance)}” {kind}")
    return found


class OptimisticLockMixin:
    """For a ModelAdmin of a model with a `version` field and simple-history."""

    def get_fields(self, request: HttpRequest, obj: models.Model | None = None) -> list:
        # The hidden field is rendered by the change_form template, not in a fieldset.
        return [f for f in super().get_fields(request, obj) if f != LOCK_FIELD]

    def get_form(self, request: HttpRequest, obj: models.Model | None = None, **kwargs: Any):
        form = super().get_form(request, obj, **kwargs)
        if obj is None:
            return form

        class LockedForm(form):
            lock_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

            def __init__(self, *args: Any, **kw: Any) -> None:
                super().__init__(*args, **kw)
                self.fields[LOCK_FIELD].initial = self.instance.version

            def clean(self) -> dict:
                cleaned = super().clean()
                conflict = changes_since(
                    type(self.instance), self.instance.pk, cleaned.get(LOCK_FIELD)
                )
                if conflict:
                    raise forms.ValidationError(conflict, code="edit_conflict")
                return cleaned

        LockedForm.__name__ = form.__name__
        return LockedForm
