"""Email digests: the ledger fan-out, opening due digests, sending them (docs/digests.md).

Three steps, each safe to run in several processes at once:

1. `ledger_extend` reads the sequenced change log past `DigestCursor.last_seq` under that
   row's lock and writes one `DigestEntry` per (matching active subscription, event), one
   INSERT ... SELECT per event: set-based, no Python loop over subscribers.
2. `digests_open_due` opens one `Digest` per due subscription that is owed something,
   fixing the range of unsent entries it carries, then moves the subscription's due time
   past *now*.
3. `digest_send` sends an open digest through the outbox (factcheck/outbox.py): a
   lease on it (a conditional UPDATE, no transaction open during SMTP), the send, then
   it and its entries marked sent (the subscription's `sent_seq` moves to the digest's
   last change). A crash between the SMTP server's accept and "sent" leaves it open:
   once the lease runs out it is sent again, with the same entries and the same
   Message-ID (at-least-once, recognisable).
   `digests_send` (one process, many digests) leases and reads SEND_BATCH at a time but
   still marks each sent right after its accept: a crash leaves the rest of the batch
   leased and unsent, taken again when the lease runs out.
"""

import datetime
import json
import logging
import smtplib
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import get_connection
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    Min,
    Model,
    OuterRef,
    Q,
    QuerySet,
)
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from claims.models import Claim
from factcheck import emails
from factcheck.outbox import Outbox, failure_text
from newsrooms import schedule, tokens
from newsrooms.models import (
    Digest,
    DigestCursor,
    DigestEntry,
    DigestFrequency,
    DigestState,
    Subscription,
    SubscriptionState,
)
from publishing.changelog import last_sequenced
from publishing.documents import public_path, publication_slug
from publishing.models import ChangeEvent, ChangeType

logger = logging.getLogger(__name__)

# Change events read per fan-out transaction (each is one INSERT ... SELECT). Small
# enough that one transaction's rows (events x subscribers) and their deferred
# foreign-key checks stay modest with 10,000 subscribers.
FANOUT_BATCH = 50
# Subscriptions opened per transaction; keeps memory flat in the number of subscribers.
OPEN_CHUNK = 500
# Attempts at one digest (temporary failures) before its entries are handed to the
# subscriber's next digest instead.
DIGEST_MAX_ATTEMPTS = 8
# A preview with no unsent entries shows this many of the latest ones instead.
PREVIEW_LATEST = 5
# Digests `digests_send` leases, reads and renders together (see there).
SEND_BATCH = 100
# Rendered fragments kept per worker process (see DigestRenderer).
RENDER_CACHE_SIZE = 2000
# Each open digest is an email owed, sent at least once (factcheck/outbox.py). Out of
# attempts it is still leased (an open digest nobody sends would hold back the
# subscriber's next one): a temporary failure at the last attempt then gives it up.
DIGESTS = Outbox(Digest, owed={"state": DigestState.OPEN}, max_attempts=DIGEST_MAX_ATTEMPTS)


# --- Fan-out: the ledger --------------------------------------------------------------


def ledger_extend() -> int:
    """Write the ledger rows for every sequenced change event not read yet. Returns how
    many rows were written. Only sequenced events are read: their numbers follow commit
    order without gaps, so an event that committed late is never passed over."""
    DigestCursor.objects.get_or_create(pk=1)
    written = 0
    while True:
        with transaction.atomic():
            # The lock makes fan-out runs take turns; the cursor moves in the same
            # transaction as the rows it stands for, so a crash writes neither.
            cursor = DigestCursor.objects.select_for_update().get(pk=1)
            _jit_off()
            _skip_to_first_owed(cursor)
            events = list(
                ChangeEvent.objects.filter(seq__gt=cursor.last_seq)
                .order_by("seq")
                .values_list("pk", "seq", "type", "claim_id", "document")[:FANOUT_BATCH]
            )
            for event in events:
                written += _fan_out_event(*event)
            if events:
                cursor.last_seq = events[-1][1]
                cursor.save(update_fields=["last_seq"])
        if len(events) < FANOUT_BATCH:
            return written


def _jit_off() -> None:
    """PostgreSQL JIT-compiles each fan-out INSERT ... SELECT (its estimated cost is over
    `jit_above_cost`), and compiling costs far more than the query saves (figures in
    docs/BENCHMARKS.md). LOCAL: only this transaction; other databases have no such
    setting."""
    if db_connection.vendor == "postgresql":
        with db_connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")


def _skip_to_first_owed(cursor: DigestCursor) -> None:
    """Changes at or before every active subscriber's start owe nobody anything: skip
    them (the first run on a long change log). A subscription confirmed later starts
    after them too (see `subscription_start_seq`)."""
    first = Subscription.objects.filter(state=SubscriptionState.ACTIVE).aggregate(
        first=Min("start_seq")
    )["first"]
    if first is not None and first > cursor.last_seq:
        cursor.last_seq = first
        cursor.save(update_fields=["last_seq"])


def subscription_start_seq() -> int:
    """The `start_seq` of a subscription confirmed now: call it in the confirming
    transaction. It takes the fan-out cursor's lock (waiting for a fan-out in progress)
    and holds it until the confirmation commits, so every change numbered after the
    value returned is fanned out after the subscription is active: none slips between
    reading the newest number and committing."""
    DigestCursor.objects.get_or_create(pk=1)
    DigestCursor.objects.select_for_update().get(pk=1)
    return last_sequenced()[0]


def _fan_out_event(event_id: int, seq: int, type: str, claim_id: int, document: str | None) -> int:
    owed = _subscriptions_owed(seq, type, claim_id, document)
    if owed is None:
        return 0
    select_sql, params = owed.order_by().values(owed_id=F("pk")).query.sql_with_params()
    quote = db_connection.ops.quote_name
    now = db_connection.ops.adapt_datetimefield_value(timezone.now())
    # "WHERE true" lets SQLite parse ON CONFLICT after INSERT ... SELECT. The conflict
    # clause is a backstop only: the cursor lock already keeps runs apart.
    sql = (
        f"INSERT INTO {quote(DigestEntry._meta.db_table)} "  # noqa: S608 - no user input
        "(subscription_id, event_id, claim_id, seq, created_at) "
        f"SELECT owed.owed_id, %s, %s, %s, %s FROM ({select_sql}) owed WHERE true "
        "ON CONFLICT (subscription_id, seq) DO NOTHING"
    )
    with db_connection.cursor() as cursor:
        cursor.execute(sql, [event_id, claim_id, seq, now, *params])
        return max(cursor.rowcount, 0)


def _subscriptions_owed(
    seq: int, type: str, claim_id: int, document: str | None
) -> QuerySet | None:
    """The active subscriptions owed this event (a query, not evaluated), or None."""
    subscribed = Subscription.objects.filter(state=SubscriptionState.ACTIVE, start_seq__lt=seq)
    had_claim = Exists(
        DigestEntry.objects.filter(subscription_id=OuterRef("pk"), claim_id=claim_id)
    )
    if type == ChangeType.WITHDRAWN:
        # Only news to someone who was told about the claim and asked to hear of changes.
        return subscribed.filter(had_claim, notify_changes=True)
    if document is None:
        return None  # withdrawn since: its content is no longer public
    try:
        passes = _filters_pass(json.loads(document))
    except (ValueError, KeyError, TypeError):
        # Not a document publishing writes: one such event must not stop every
        # subscriber's digests behind it. It cannot be shown either.
        logger.exception("Change %s has no readable document; no digest carries it", seq)
        return None
    matching = subscribed.filter(passes)
    if type == ChangeType.CORRECTED:
        # A correction of a verdict the subscriber never got is a new verdict to them.
        matching = matching.filter(Q(notify_changes=True) | ~had_claim)
    return matching


def _filters_pass(document: dict[str, Any]) -> Q:
    """Every non-empty filter of the subscription matches the fact-check."""
    language = document.get("language") or ""
    topics = [t["slug"] for t in document["topics"]]
    return (
        _m2m_pass(Subscription.ratings.through, rating__slug=document["rating"]["slug"])
        & _m2m_pass(Subscription.claimants.through, claimant__slug=document["claimant"]["slug"])
        & _m2m_pass(Subscription.topics.through, topic__slug__in=topics)
        & (Q(language="") | Q(language__iexact=language))
    )


def _m2m_pass(through: type[Model], **match: Any) -> Q:
    """No rows in the filter (any is fine), or a row that matches."""
    mine = through.objects.filter(subscription_id=OuterRef("pk"))
    return ~Exists(mine) | Exists(mine.filter(**match))


# --- Opening due digests --------------------------------------------------------------


def digests_open_due(*, now: datetime.datetime | None = None) -> list[int]:
    """Open a digest for each due subscription that is owed something; move every due
    subscription's next digest past `now`. Returns the ids of the digests to send: the
    ones opened now and open ones whose sender is gone (lease run out, or never taken)."""
    now = now or timezone.now()
    opened: list[int] = []
    after = 0
    while True:
        chunk = list(
            _due(now).filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)[:OPEN_CHUNK]
        )
        if chunk:
            opened += _digests_open(chunk, now)
            after = chunk[-1]
        if len(chunk) < OPEN_CHUNK:
            break
    fresh = set(opened)
    return opened + [pk for pk in digests_abandoned(now=now) if pk not in fresh]


def _due(now: datetime.datetime) -> QuerySet:
    """Active subscriptions whose digest is due. An immediate one is due at every run,
    so it is only looked at when it is owed something: 10,000 of them owed nothing
    cost one indexed query a run, not 10,000 locked rows."""
    unsent = DigestEntry.objects.filter(
        subscription_id=OuterRef("pk"), seq__gt=OuterRef("sent_seq")
    )
    return Subscription.objects.filter(
        Q(Exists(unsent)) | ~Q(frequency=DigestFrequency.IMMEDIATE),
        # An active subscription without a due time (set by hand, say) is due now
        # rather than never.
        Q(next_digest_at__lte=now) | Q(next_digest_at__isnull=True),
        state=SubscriptionState.ACTIVE,
    )


@transaction.atomic
def _digests_open(subscription_ids: list[int], now: datetime.datetime) -> list[int]:
    # Locked in id order (no deadlock between two runs) and re-checked as due: a run
    # that waited for another's locks finds those subscriptions moved on and skips them.
    # NO KEY UPDATE: a concurrent fan-out's INSERTs take KEY SHARE locks on these rows
    # (the entries' foreign key); a plain FOR UPDATE would deadlock with it.
    due = list(
        _due(now)
        .select_for_update(no_key=True)
        .filter(pk__in=subscription_ids)
        .order_by("pk")
        .values_list("pk", "frequency", "sent_seq")
    )
    # The newest unsent entry of each: a digest carries (sent_seq, newest]. Entries
    # after it are written later by the fan-out, always with a higher number.
    owed = dict(
        DigestEntry.objects.filter(
            subscription_id__in=[pk for pk, _f, _s in due], seq__gt=F("subscription__sent_seq")
        )
        .values("subscription_id")
        .annotate(last=Max("seq"))
        .values_list("subscription_id", "last")
    )
    # A digest still in flight keeps its entries; new ones wait for the next digest.
    busy = set(
        Digest.objects.filter(subscription_id__in=owed, state=DigestState.OPEN).values_list(
            "subscription_id", flat=True
        )
    )
    digests = Digest.objects.bulk_create(
        Digest(subscription_id=pk, first_seq=sent_seq + 1, last_seq=owed[pk])
        for pk, _frequency, sent_seq in due
        if pk in owed and pk not in busy
    )
    _due_times_advance([(pk, frequency) for pk, frequency, _s in due], now)
    return [d.pk for d in digests]


def _due_times_advance(due: list[tuple[int, str]], now: datetime.datetime) -> None:
    """Next due strictly after now, not after the missed time: after an outage of several
    periods the subscriber gets one digest, not one per period. One UPDATE per frequency
    (and no history row for each tick of the clock)."""
    by_frequency: dict[str, list[int]] = {}
    for pk, frequency in due:
        # Due again at the next run anyway: no write needed.
        if frequency != DigestFrequency.IMMEDIATE:
            by_frequency.setdefault(frequency, []).append(pk)
    for frequency, ids in by_frequency.items():
        Subscription.objects.filter(pk__in=ids).update(
            next_digest_at=schedule.next_due(frequency, now)
        )


def digests_abandoned(*, now: datetime.datetime) -> list[int]:
    """Open digests nobody is sending: the lease ran out (the sender crashed or failed
    for now), or it was never taken for a whole lease (its task was lost)."""
    lease = datetime.timedelta(seconds=settings.FACTCHECK_DIGEST_LEASE)
    return list(
        Digest.objects.filter(state=DigestState.OPEN)
        .filter(Q(locked_until__lt=now) | Q(locked_until__isnull=True, created_at__lt=now - lease))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


# --- Sending --------------------------------------------------------------------------


def digest_send(
    digest_id: int,
    *,
    connection: Any = None,
    renderer: "DigestRenderer | None" = None,
) -> bool:
    """Send one open digest. Returns True when it was sent now; False when it was not
    ours to send (sent, leased by another sender), had nothing to show, or failed for
    good. A temporary SMTP failure raises `emails.TemporaryEmailError`: the digest stays
    open and is sent later with the same entries."""
    leased = _digests_lease([digest_id])
    if not leased:
        return False
    [(digest, rows)] = leased
    return _digest_deliver(digest, rows, connection, renderer or process_renderer())


def _digest_deliver(
    digest: Digest, rows: list[tuple], connection: Any, renderer: "DigestRenderer"
) -> bool:
    """Render and send a leased digest from its entry rows (see `_digests_lease`), then
    mark it sent at once: a crash after this point resends this digest only."""
    subscription = digest.subscription
    if subscription.state != SubscriptionState.ACTIVE:
        _digest_finish(digest, DigestState.FAILED, error=_("The subscription has ended."))
        return False
    items = renderer.items_from(subscription, rows)
    if not items:
        _digest_finish(digest, DigestState.EMPTY)
        return False
    message = digest_message(subscription, items, key=f"digest-{digest.pk}")
    message.connection = connection
    failure = DIGESTS.send(
        digest.pk, message, attempts=digest.attempts, mark_sent=lambda: _digest_sent(digest)
    )
    if failure is not None:
        _digest_failed_send(digest, failure)
        return False
    return True


def _digests_lease(digest_ids: list[int]) -> list[tuple[Digest, list[tuple]]]:
    """Lease those of these digests that are open and not leased by another sender, in
    three statements whatever their number: one conditional UPDATE (`Outbox.lease`),
    one SELECT of the digests leased now with their subscriptions, one query for all
    their entries. Returns each leased digest (id order) with its entry rows
    (`_entry_rows`). The lease is longer than a send task may run, so a live send is
    never taken over."""
    leased = DIGESTS.lease(digest_ids, seconds=settings.FACTCHECK_DIGEST_LEASE)
    if not leased:
        return []
    digests = list(
        Digest.objects.select_related("subscription").filter(pk__in=leased).order_by("pk")
    )
    rows = _entry_rows(digests)
    return [(digest, rows.get(digest.pk, [])) for digest in digests]


def _entry_rows(digests: list[Digest]) -> dict[int, list[tuple]]:
    """The entry rows (`DigestRenderer.rows`) of each digest, by digest id, read in one
    query: each digest's range of its subscription's ledger (an index range scan each)."""
    in_range = Q()
    for digest in digests:
        in_range |= Q(
            subscription_id=digest.subscription_id, seq__range=(digest.first_seq, digest.last_seq)
        )
    by_subscription: dict[int, list[Digest]] = {}
    for digest in digests:
        by_subscription.setdefault(digest.subscription_id, []).append(digest)
    out: dict[int, list[tuple]] = {}
    for subscription_id, seq, *row in (
        DigestEntry.objects.filter(in_range)
        .order_by("subscription_id", "seq")
        .values_list("subscription_id", "seq", *DigestRenderer.ROW_FIELDS)
    ):
        for digest in by_subscription[subscription_id]:
            if digest.first_seq <= seq <= digest.last_seq:
                out.setdefault(digest.pk, []).append(tuple(row))
    return out


def _digest_sent(digest: Digest) -> None:
    """The SMTP server accepted the digest: it and its entries are done. Two UPDATEs,
    no read: the leased digest says what the subscription's needs."""
    _digest_finish(digest, DigestState.SENT, sent_at=timezone.now())


@transaction.atomic
def _digest_finish(
    digest: Digest, state: str, *, error: str = "", sent_at: datetime.datetime | None = None
) -> None:
    """End an open digest in `state`; a sent or empty one hands its entries over."""
    finished = DIGESTS.finish(digest.pk, state=state, error=error, sent_at=sent_at)
    if finished and state in (DigestState.SENT, DigestState.EMPTY):
        # Its entries are handed over: the next digest starts after them. update(), not
        # save(): no history row per digest. Its range was fixed when it was opened.
        Subscription.objects.filter(pk=digest.subscription_id, sent_seq__lt=digest.last_seq).update(
            sent_seq=digest.last_seq
        )


def _digest_failed_send(digest: Digest, exc: OSError) -> None:
    """Sort a send that failed for good (the outbox retries a temporary failure while
    attempts are left): give the entries to the next digest, or bounce."""
    error = failure_text(exc)
    if emails.is_temporary(exc):  # at the last attempt
        _digest_give_up(digest, error)
        return
    if _is_bounce(exc):
        digest_bounce(digest, reason=error)
        return
    # A permanent failure that is not about the address (configuration): keep the
    # digest open for the next run rather than end the subscription.
    logger.error("Digest %s could not be sent: %s", digest.pk, error)
    DIGESTS.release(digest.pk, error=error)
    raise exc


def _is_bounce(exc: OSError) -> bool:
    """A permanent (5xx) refusal of the recipient or the message, not of our sender."""
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return False
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return True
    return isinstance(exc, smtplib.SMTPResponseException) and 500 <= exc.smtp_code < 600


@transaction.atomic
def _digest_give_up(digest: Digest, error: str) -> None:
    """Out of attempts: this digest failed, but its entries are still owed, so the
    subscriber's next digest (which starts after `sent_seq`) carries them."""
    logger.warning("Digest %s gave up after %s attempts: %s", digest.pk, digest.attempts, error)
    _digest_finish(digest, DigestState.FAILED, error=error)


@transaction.atomic
def digest_bounce(digest: Digest, *, reason: str) -> None:
    """The address was refused for good: the digest failed, nothing more goes to it."""
    _digest_finish(digest, DigestState.FAILED, error=reason)
    subscription = Subscription.objects.select_for_update(no_key=True).get(
        pk=digest.subscription_id
    )
    if subscription.state != SubscriptionState.ACTIVE:
        return
    subscription.state = SubscriptionState.BOUNCED
    subscription.bounce_reason = reason
    subscription.ended_at = timezone.now()
    subscription.next_digest_at = None
    # save(), not update(): the bounce belongs in the subscription's history.
    subscription.save(update_fields=["state", "bounce_reason", "ended_at", "next_digest_at"])


# --- Running: the beat task's body ----------------------------------------------------


def digests_run(
    *,
    now: datetime.datetime | None = None,
    enqueue: Callable[[int], Any] | None = None,
) -> list[int]:
    """Fan out, open what is due, and hand each digest to `enqueue` (the beat task
    enqueues a send task per digest) or, without it, send them here over one SMTP
    connection with one renderer. Returns the digest ids handled."""
    ledger_extend()
    digest_ids = digests_open_due(now=now)
    if enqueue is not None:
        for digest_id in digest_ids:
            enqueue(digest_id)
        return digest_ids
    digests_send(digest_ids)
    return digest_ids


def digests_send(digest_ids: Iterable[int]) -> int:
    """Send digests in this process over one SMTP connection with one renderer; a
    temporary failure leaves that digest for later and goes on with the rest. Returns
    how many were sent.

    Leased, read and rendered SEND_BATCH at a time (three statements per batch instead
    of three per digest), but each is marked sent right after its SMTP accept. A crash
    resends at most the digest in flight; the others of its batch stay leased, unsent,
    and are taken again (by `digests_abandoned`) when their lease runs out."""
    digest_ids = list(digest_ids)
    if not digest_ids:
        return 0
    renderer = DigestRenderer()
    sent = 0
    with get_connection() as smtp:
        for start in range(0, len(digest_ids), SEND_BATCH):
            for digest, rows in _digests_lease(digest_ids[start : start + SEND_BATCH]):
                if digest.locked_until <= timezone.now():
                    # A slow server outlasted the lease while this one waited: another
                    # sender may have it now.
                    continue
                try:
                    sent += _digest_deliver(digest, rows, smtp, renderer)
                except (emails.TemporaryEmailError, OSError):
                    # The connection may be broken: start a fresh one for the next digest.
                    smtp.close()
                    smtp.open()
    return sent


# --- Rendering ------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One verdict of a digest, rendered."""

    text: str
    html: str


class DigestRenderer:
    """Renders each change event's fragment once and reuses it for every digest that
    carries the event: 10,000 digests of the same 200 verdicts render 200 fragments."""

    def __init__(self, max_size: int = RENDER_CACHE_SIZE) -> None:
        self.max_size = max_size
        self.fragments: OrderedDict[tuple, Item] = OrderedDict()

    def items_of(self, digest: Digest) -> list[Item]:
        return self.items_for(digest.subscription, digest.entries)

    # What `rows` reads of each entry: its event, when, its claim, whether it still has
    # a public document.
    ROW_FIELDS = (
        "event_id",
        "event__type",
        "event__at",
        "claim_id",
        ExpressionWrapper(Q(event__document__isnull=False), output_field=BooleanField()),
    )

    def items_for(self, subscription: Subscription, entries: QuerySet) -> list[Item]:
        return self.items_from(subscription, self.rows(entries))

    @classmethod
    def rows(cls, entries: QuerySet) -> list[tuple]:
        return list(entries.order_by("seq").values_list(*cls.ROW_FIELDS))

    def items_from(self, subscription: Subscription, rows: list[tuple]) -> list[Item]:
        """The items to show for these entry rows (oldest first), one per claim (its
        newest)."""
        told = _claims_received(subscription, [r[3] for r in rows if r[1] == ChangeType.WITHDRAWN])
        shown: dict[int, tuple] = {}
        for event_id, type, at, claim_id, has_document in rows:
            # A withdrawal is news only to whom the verdict went; any other event whose
            # document was taken out belongs to a claim withdrawn since: not shown.
            visible = claim_id in told if type == ChangeType.WITHDRAWN else has_document
            if visible:
                shown.pop(claim_id, None)  # keep the claim's newest, in its place
                shown[claim_id] = (event_id, type, at, claim_id)
            elif type == ChangeType.WITHDRAWN:
                shown.pop(claim_id, None)
        return self._render(list(shown.values()))

    def _render(self, rows: list[tuple]) -> list[Item]:
        language = translation.get_language()
        keys = [(event_id, at, language) for event_id, _type, at, _claim in rows]
        missing = [row for row, key in zip(rows, keys, strict=True) if key not in self.fragments]
        if missing:
            for key, item in _render_items(missing, language):
                self.fragments[key] = item
        items = []
        for key in keys:
            self.fragments.move_to_end(key)
            items.append(self.fragments[key])
        while len(self.fragments) > self.max_size:
            self.fragments.popitem(last=False)
        return items


_local = threading.local()


def process_renderer() -> DigestRenderer:
    """One renderer per worker process (per thread: its cache is not locked), for sends
    that come one task at a time. Keys carry the event's time as well as its id, so a
    reused id never hits a stale entry."""
    if not hasattr(_local, "renderer"):
        _local.renderer = DigestRenderer()
    return _local.renderer


def _claims_received(subscription: Subscription, claim_ids: list[int]) -> set[int]:
    """Of these claims, those the subscriber got in a digest that went out."""
    if not claim_ids:
        return set()
    # In a digest that went out, not one that had nothing to show.
    went_out = Digest.objects.filter(
        subscription_id=subscription.pk,
        state=DigestState.SENT,
        first_seq__lte=OuterRef("seq"),
        last_seq__gte=OuterRef("seq"),
    )
    return set(
        DigestEntry.objects.filter(subscription_id=subscription.pk, claim_id__in=claim_ids)
        .filter(Exists(went_out))
        .values_list("claim_id", flat=True)
    )


def _render_items(rows: list[tuple], language: str) -> list[tuple[tuple, Item]]:
    documents = dict(
        ChangeEvent.objects.filter(pk__in=[r[0] for r in rows]).values_list("pk", "document")
    )
    withdrawn_ids = [r[3] for r in rows if r[1] == ChangeType.WITHDRAWN]
    claims = Claim.objects.select_related("claimant").in_bulk(withdrawn_ids)
    out = []
    for event_id, type, at, claim_id in rows:
        if type == ChangeType.WITHDRAWN:
            ctx = _withdrawn_context(claims[claim_id])
        else:
            document = documents.get(event_id)
            if document is None:
                continue  # withdrawn between the two reads: not shown
            ctx = _verdict_context(json.loads(document), type)
        item = Item(
            text=render_to_string("emails/_digest_item.txt", ctx),
            html=render_to_string("emails/_digest_item.html", ctx),
        )
        out.append(((event_id, at, language), item))
    return out


def _verdict_context(document: dict[str, Any], type: str) -> dict[str, Any]:
    corrections = document.get("corrections") or []
    return {
        "corrected": type == ChangeType.CORRECTED,
        "claim_reviewed": document["claim_reviewed"],
        "rating": document["rating"]["label"],
        "claimant": document["claimant"]["name"],
        "summary": document["summary"],
        "url": document["public_url"],
        "correction_note": corrections[-1]["note"] if corrections else "",
    }


def _withdrawn_context(claim: Claim) -> dict[str, Any]:
    return {
        "withdrawn": True,
        "claim_reviewed": claim.claim_reviewed,
        "claimant": claim.claimant.name,
        "reason": claim.status_note,
        "url": settings.SITE_URL + public_path(claim.pk, publication_slug(claim)),
    }


# --- The email ------------------------------------------------------------------------


def digest_message(
    subscription: Subscription, items: list[Item], *, key: str, preview: bool = False, to=None
):
    """The digest email (not sent). `key` fixes its Message-ID: the same on every resend."""
    unsubscribe = tokens.unsubscribe_url(subscription.pk)
    ctx = {
        "subscription": subscription,
        "preview": preview,
        "count": len(items),
        "items_text": [i.text for i in items],
        "items_html": [mark_safe(i.html) for i in items],  # noqa: S308 - rendered escaped
        "unsubscribe_url": unsubscribe,
    }
    headers = {"Message-ID": emails.message_id(key)}
    if not preview:
        # RFC 8058 one-click: the mail client POSTs to the URL; no login, no cookie.
        headers["List-Unsubscribe"] = f"<{unsubscribe}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return emails.make_message("digest", to or [subscription.email], ctx, headers)


# --- Preview --------------------------------------------------------------------------


def digest_preview(*, subscription_id: int, to: str) -> bool:
    """Send `to` (an editor) what the subscription's next digest would show: its unsent
    entries, or the latest few when there are none. Touches no ledger row; the Message-ID
    is new each time. False when there is nothing to show; SMTP errors propagate (the
    admin action reports them)."""
    subscription = Subscription.objects.filter(pk=subscription_id).first()
    if subscription is None or not to:
        return False
    entries = DigestEntry.objects.filter(subscription=subscription)
    unsent = entries.filter(seq__gt=subscription.sent_seq)
    if not unsent.exists():
        latest = list(entries.order_by("-seq").values_list("pk", flat=True)[:PREVIEW_LATEST])
        unsent = entries.filter(pk__in=latest)
    items = DigestRenderer().items_for(subscription, unsent)
    if not items:
        return False
    key = f"digest-preview-{subscription.pk}-{uuid.uuid4().hex}"
    digest_message(subscription, items, key=key, preview=True, to=[to]).send()
    return True
