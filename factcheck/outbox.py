"""Send an email at least once: the one implementation behind reviewer notices
(reviewers/services.py), digests (newsrooms/digests.py) and subscription confirmations
(newsrooms/subscriptions.py).

Each email owed is a row, written in the transaction that makes it due. A sender

1. **leases** the row with a conditional UPDATE: only a row still owed whose lease is
   free (never taken, or run out) is taken, and the UPDATE sets the lease's end and
   counts the attempt. No transaction stays open during SMTP; a second sender (a
   redelivered task, a second run) finds the lease held and leaves the row alone;
2. **sends** the message;
3. **marks the row sent** right after the SMTP server accepted it.

A crash between the accept and the mark leaves the row owed and leased: once the lease
runs out, the sweep of its app hands it to a sender again, and the same email (same
Message-ID, which the caller derives from the row) goes once more. At least once, and
recognisably so. A temporary SMTP failure (`emails.is_temporary`: a 4xx answer, the
network) with attempts left ends the lease at once and raises `TemporaryEmailError`,
which the send task retries with backoff; what to do with a failure for good (mark the
row failed, bounce the address) is the caller's.
"""

import datetime
import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection, models
from django.utils import timezone

from factcheck import emails

# How every send task retries (@shared_task(..., **SEND_TASK_RETRY)): a temporary SMTP
# failure (TemporaryEmailError) again after 30 s, 60 s, 120 s, ... at most 10 minutes
# apart, jittered. Where the row counts its attempts (`max_attempts`) that bounds them
# across redeliveries and later runs too; the task's max_retries is its own backstop.
SEND_TASK_RETRY: dict[str, Any] = {
    "autoretry_for": (emails.TemporaryEmailError,),
    "retry_backoff": 30,
    "retry_backoff_max": 600,
    "retry_jitter": True,
}


def task_lease_seconds() -> int:
    """A lease longer than a task may run (its hard time limit), so that a live send is
    never taken over and a dead one's row is taken again soon after."""
    return settings.CELERY_TASK_TIME_LIMIT + 30


def failure_text(exc: BaseException) -> str:
    """How a failed send is recorded on its row."""
    return f"{type(exc).__name__}: {exc}"


@dataclass(frozen=True)
class Outbox:
    """The rows of `model` that stand for emails owed.

    `owed` names the rows still owed their email, as field values (None: the field is
    null): only those are leased, released and marked. `lease_field` holds the end of
    the lease (after a failed attempt, the time of that attempt); `attempts_field`, if
    any, counts the leases taken; `error_field`, if any, keeps the last failure.
    `max_attempts` is the attempts at one email: a temporary failure at the last one is
    a failure for good (None: no limit here; the task's retries and the app's sweep
    bound them). With `lease_spent` False, a row out of attempts is not leased again
    (its app's sweep gives it up); digests keep it True, since an open digest that
    nobody sends would hold back its subscriber's next one."""

    model: type[models.Model]
    owed: Mapping[str, object]
    lease_field: str = "locked_until"
    attempts_field: str | None = "attempts"
    error_field: str | None = "error"
    max_attempts: int | None = None
    lease_spent: bool = True

    def lease(
        self, ids: Iterable[int], *, seconds: float, match: Mapping[str, object] | None = None
    ) -> list[int]:
        """Lease those of these rows that are owed (and `match`) and not leased by
        another sender, for `seconds`; returns the ids leased by this call, in no order.

        One statement whatever the number of rows: UPDATE ... RETURNING (PostgreSQL,
        and SQLite since 3.35), because the ORM's update() only counts rows and two
        senders racing for one batch must each learn which rows are theirs. Every
        condition is on the updated row itself, so PostgreSQL checks them again after
        waiting for a concurrent lease of the row: one of two racing senders gets it."""
        ids = list(ids)
        if not ids:
            return []
        now = timezone.now()
        until = now + datetime.timedelta(seconds=seconds)
        lease, pk = self._column(self.lease_field), self._column(self.model._meta.pk.name)
        sets, params = [f"{lease} = %s"], [self._prep(self.lease_field, until)]
        if self.attempts_field:
            attempts = self._column(self.attempts_field)
            sets.append(f"{attempts} = {attempts} + 1")
        where = [f"{pk} IN ({', '.join(['%s'] * len(ids))})", f"({lease} IS NULL OR {lease} < %s)"]
        params += [*ids, self._prep(self.lease_field, now)]
        for name, value in {**self.owed, **(match or {})}.items():
            if value is None:
                where.append(f"{self._column(name)} IS NULL")
            else:
                where.append(f"{self._column(name)} = %s")
                params.append(self._prep(name, value))
        if not self.lease_spent and self.attempts_field and self.max_attempts is not None:
            where.append(f"{self._column(self.attempts_field)} < %s")
            params.append(self.max_attempts)
        table = connection.ops.quote_name(self.model._meta.db_table)
        sql = (
            f"UPDATE {table} SET {', '.join(sets)} "  # noqa: S608 - names from the model
            f"WHERE {' AND '.join(where)} RETURNING {pk}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [row[0] for row in cursor.fetchall()]

    def send(
        self,
        pk: int,
        message: EmailMessage,
        *,
        mark_sent: Callable[[], object],
        attempts: int = 0,
        match: Mapping[str, object] | None = None,
    ) -> OSError | None:
        """Send the message of a row this sender leased (`attempts`: the row's count,
        this one included, where it keeps one), then `mark_sent()` at once. Returns
        None when it was sent, or the error when it failed for good (the caller records
        it). A temporary failure with attempts left ends the lease now, keeps the error
        on the row and raises `TemporaryEmailError`, which the send task retries."""
        try:
            message.send()
        except OSError as exc:  # smtplib.SMTPException is an OSError, so are network errors
            if emails.is_temporary(exc) and (
                self.max_attempts is None or attempts < self.max_attempts
            ):
                self.release(pk, error=failure_text(exc), match=match)
                raise emails.TemporaryEmailError(failure_text(exc)) from exc
            return exc
        mark_sent()
        return None

    def release(
        self, pk: int, *, error: str = "", match: Mapping[str, object] | None = None
    ) -> None:
        """End the lease now, the error kept: the row may be leased again at once (by
        the task's retry, a later run), and the lease's time says when it was tried."""
        values: dict[str, object] = {self.lease_field: timezone.now()}
        if self.error_field:
            values[self.error_field] = error
        self.model.objects.filter(pk=pk, **self.owed, **(match or {})).update(**values)

    def finish(
        self, pk: int, *, match: Mapping[str, object] | None = None, **values: object
    ) -> bool:
        """End the row's lease and record its outcome (`values`) if it is still owed
        (and `match`); returns whether it was. update(), not save(): no history row
        per email."""
        values = {self.lease_field: None, **values}
        rows = self.model.objects.filter(pk=pk, **self.owed, **(match or {}))
        return bool(rows.update(**values))

    def _column(self, name: str) -> str:
        return connection.ops.quote_name(self.model._meta.get_field(name).column)

    def _prep(self, name: str, value: object) -> object:
        # Raw SQL: a choice's value, not the enum member, goes to the driver.
        if isinstance(value, enum.Enum):
            value = value.value
        return self.model._meta.get_field(name).get_db_prep_value(value, connection)
