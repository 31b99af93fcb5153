"""`in` lookups that treat an integer the column cannot hold as matching no row.

Django (since 5.0) answers `exact`, `gt`, `lt` and the like with an integer outside the
column's range by matching nothing, but `in` still sends the value, and SQLite raises
OverflowError for anything past 64 bits. Every `pk__in` built from input (the admin's
selected rows, many-to-many form fields, changelist `__in` filters, the autocomplete
widget) would answer a 500. Extending Django's own rule to `in` fixes them all in one
place, on every database; a value of the wrong type still raises, as it should.
"""

from django.db import models
from django.db.models.fields.related import ForeignObject
from django.db.models.fields.related_lookups import RelatedIn
from django.db.models.lookups import In


def _integer_target(field):
    """The integer field whose range bounds `field`'s values, or None."""
    while getattr(field, "target_field", None) is not None and field.is_relation:
        field = field.target_field
    return field if isinstance(field, models.IntegerField) else None


class _DropOutOfRange:
    def process_rhs(self, compiler, connection):
        target = _integer_target(self.lhs.output_field)
        if target is not None and self.rhs_is_direct_value():
            low, high = connection.ops.integer_field_range(target.get_internal_type())
            self.rhs = [
                value
                for value in self.rhs
                if not isinstance(value, int)
                or ((low is None or value >= low) and (high is None or value <= high))
            ]
        return super().process_rhs(compiler, connection)


class IntegerFieldIn(_DropOutOfRange, In):
    pass


class RelatedIntegerIn(_DropOutOfRange, RelatedIn):
    pass


def register() -> None:
    models.IntegerField.register_lookup(IntegerFieldIn)
    ForeignObject.register_lookup(RelatedIntegerIn)
