"""Email digests against handing pre-rendered messages to the same SMTP server.

    .venv/bin/python -m bench.digest_throughput [--subscribers N] [--sizes 2500,5000]
                                                [--rounds R] [--json FILE] [--profile FILE]

Needs PostgreSQL on 127.0.0.1:5432 (trust auth, user postgres): it uses the database
`bench_digest` (BENCH_DATABASE_URL), creating and migrating it when missing and keeping
it afterwards (the seeding is reused by the next run). Redis: BENCH_REDIS_URL (default
db 11 of 127.0.0.1:6379; the services enqueue nothing, it is only the cache).

Seeding (once): N confirmed subscribers (`bench-digest-<i>@example.org`, daily, most of
them filtered on one or two topics, some on claimants or ratings and language, a tenth
with no filter), then 200 new verdicts published through `bench_seed` (the real
publishing code, numbered change events). An SMTP server (aiosmtpd) runs in a process of
its own for the whole run; it counts the messages and bytes it accepts and discards them.

Each round, in a fresh Python process each (so that its peak RSS is its own):

- phase A, digests: the ledger, digests and fan-out cursor are reset to "200 verdicts
  published, nothing fanned out, every subscriber due"; then timed: `ledger_extend()`,
  `digests_open_due(now)` and `digests_send(ids)` (one SMTP connection, one fragment
  renderer): fan-out, building and handing every digest to the sink;
- phase B, baseline (the target's): as many pre-rendered Django messages as phase A
  handed over (`EmailMultiAlternatives`, text and HTML split as phase A's, of phase A's
  mean size on the wire), all built before the clock starts, handed to Django's SMTP
  backend over one connection (`get_connection().send_messages(...)`): the issue's
  delivery path ("through Django's email backend over SMTP") minus making the digests;
- phase C, floor (not the target): the same number of messages of the same size,
  serialised once before the clock starts, sent with smtplib's `sendmail` over one
  connection: SMTP alone, no per-message MIME work.

Medians of R rounds (default 3) at N subscribers (default 10,000), the ratio A / B (the
target) and A / C (reported, not judged).
Memory: the peak RSS of each phase's process, and tracemalloc's peak over phase A in one
more run per size (tracing slows Python down, so that run is not timed); with
`--sizes` the digest phase also runs at those numbers of subscribers (the others are
left unsubscribed for it) to show that memory does not grow with them.
"""

import argparse
import contextlib
import cProfile
import json
import multiprocessing
import os
import pstats
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", f"{PG_SERVER}/bench_digest")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
VERDICTS = 200
EMAIL_PREFIX = "bench-digest-"
TARGET = 3.0  # phase A may take at most this many times phase B


# --- The SMTP sink, in a process of its own --------------------------------------------------


class CountingHandler:
    """Accepts every message, keeps nothing but the counts (shared with the parent)."""

    def __init__(self, messages, octets) -> None:
        self.messages, self.octets = messages, octets

    async def handle_DATA(self, server, session, envelope) -> str:
        with self.messages.get_lock():
            self.messages.value += 1
        with self.octets.get_lock():
            self.octets.value += len(envelope.content)
        return "250 OK"


def sink_main(port: int, messages, octets, ready) -> None:
    from aiosmtpd.controller import Controller

    controller = Controller(
        CountingHandler(messages, octets),
        hostname="127.0.0.1",
        port=port,
        data_size_limit=64 * 2**20,
    )
    controller.start()
    ready.set()
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


class Sink:
    def __init__(self, port: int) -> None:
        ctx = multiprocessing.get_context("spawn")  # nothing of the parent's state
        self.port = port
        self.messages, self.octets = ctx.Value("q", 0), ctx.Value("q", 0)
        ready = ctx.Event()
        self.process = ctx.Process(
            target=sink_main, args=(port, self.messages, self.octets, ready), daemon=True
        )
        self.process.start()
        if not ready.wait(30):
            raise RuntimeError("the SMTP sink did not start")

    def counts(self) -> tuple[int, int]:
        return self.messages.value, self.octets.value

    def stop(self) -> None:
        self.process.terminate()
        self.process.join(10)


# --- The driver: every measurement in a child process ----------------------------------------


def bench_env(args: argparse.Namespace) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-secret-key-" + "d" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": "https://factcheck.example.org",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(args.port),
        "EMAIL_TIMEOUT": "60",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }


def child(env: dict[str, str], *argv: str) -> dict:
    """Run this module with --child ARGV in a fresh process; its last line is JSON."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.digest_throughput", "--child", *argv],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    server = url.rsplit("/", 1)[0]
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def measured(sink: Sink, env: dict[str, str], *argv: str) -> dict:
    before = sink.counts()
    result = child(env, *argv)
    after = sink.counts()
    result["sink_messages"] = after[0] - before[0]
    result["sink_bytes"] = after[1] - before[1]
    return result


def run(args: argparse.Namespace) -> dict:
    env = bench_env(args)
    ensure_database(args.database_url)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"], cwd=ROOT, env=env, check=True
    )
    seeded = child(env, "seed", str(args.subscribers))
    print(f"seeded: {seeded}", flush=True)
    sink = Sink(args.port)
    try:
        rounds: list[dict] = []
        for number in range(1, args.rounds + 1):
            a = measured(sink, env, "digests", str(args.subscribers))
            check_phase_a(a)
            count = str(a["sink_messages"])
            size = str(round(a["sink_bytes"] / a["sink_messages"]))
            b = measured(sink, env, "baseline", count, size, str(a["html_share"]))
            c = measured(sink, env, "floor", count, size)
            assert b["sink_messages"] == c["sink_messages"] == a["sink_messages"], (a, b, c)
            rounds.append(
                {
                    "digests": a,
                    "baseline": b,
                    "floor": c,
                    "ratio": a["seconds"] / b["seconds"],
                    "ratio_floor": a["seconds"] / c["seconds"],
                }
            )
            print(f"round {number}: {json.dumps(rounds[-1])}", flush=True)
        memory: dict[int, dict] = {}
        for size in sorted({*args.sizes, args.subscribers}):
            timed = (
                measured(sink, env, "digests", str(size))
                if size != args.subscribers
                else statistics_low_rss(rounds)
            )
            check_phase_a(timed)
            traced = measured(sink, env, "digests", str(size), "--tracemalloc")
            check_phase_a(traced)
            memory[size] = {
                "seconds": timed["seconds"],
                "digests": timed["sent"],
                "ledger_rows": timed["ledger_rows"],
                "mb_per_digest": round(timed["sink_bytes"] / timed["sink_messages"] / 1e6, 4),
                "peak_rss_mb": timed["peak_rss_mb"],
                "tracemalloc_peak_mb": traced["tracemalloc_peak_mb"],
            }
            print(f"memory at {size}: {json.dumps(memory[size])}", flush=True)
    finally:
        sink.stop()
    median = {
        "digests_s": statistics.median(r["digests"]["seconds"] for r in rounds),
        **{
            f"{part}_s": statistics.median(r["digests"][f"{part}_s"] for r in rounds)
            for part in ("fanout", "open", "send")
        },
        "baseline_s": statistics.median(r["baseline"]["seconds"] for r in rounds),
        "floor_s": statistics.median(r["floor"]["seconds"] for r in rounds),
        "ratio": statistics.median(r["ratio"] for r in rounds),
        "ratio_floor": statistics.median(r["ratio_floor"] for r in rounds),
    }
    return {
        "subscribers": args.subscribers,
        "verdicts": VERDICTS,
        "seeded": seeded,
        "rounds": rounds,
        "medians": median,
        "memory": memory,
        "target_met": median["ratio"] <= TARGET,
    }


def profile_only(args: argparse.Namespace) -> int:
    env = bench_env(args)
    ensure_database(args.database_url)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"], cwd=ROOT, env=env, check=True
    )
    child(env, "seed", str(args.subscribers))
    sink = Sink(args.port)
    try:
        result = measured(
            sink, env, "digests", str(args.subscribers), "--profile", str(args.profile.resolve())
        )
    finally:
        sink.stop()
    check_phase_a(result)
    print(json.dumps(result))
    stats = pstats.Stats(str(args.profile))
    stats.sort_stats("tottime").print_stats(30)
    stats.sort_stats("cumulative").print_stats(45)
    return 0


def statistics_low_rss(rounds: list[dict]) -> dict:
    """The median round's phase A at the full size (it was run already)."""
    ordered = sorted(rounds, key=lambda r: r["digests"]["seconds"])
    return ordered[len(ordered) // 2]["digests"]


def check_phase_a(result: dict) -> None:
    """Every digest opened was handed over, nothing else, and nothing is left."""
    assert result["sent"] == result["opened"] == result["handed"] == result["sink_messages"], result
    assert result["left_open"] == 0 and result["unsent"] == 0, result


def report(result: dict) -> None:
    m = result["medians"]
    print(f"\n{result['subscribers']} subscribers, {result['verdicts']} new verdicts")
    first = result["rounds"][0]["digests"]
    print(
        f"digests: {first['sent']} emails, {first['ledger_rows']} ledger rows, "
        f"{first['sink_bytes'] / first['sink_messages'] / 1000:.1f} kB each"
    )
    print(f"{'phase':>9} {'median s':>9} {'msgs/s':>8}   rounds")
    for key, name in (("digests", "digests"), ("baseline", "baseline"), ("floor", "floor")):
        secs = [r[key]["seconds"] for r in result["rounds"]]
        rate = first["sent"] / statistics.median(secs)
        print(
            f"{name:>9} {statistics.median(secs):>9.2f} {rate:>8.0f}   "
            + ", ".join(f"{s:.2f}" for s in secs)
        )
    ratios = ", ".join(f"{r['ratio']:.2f}" for r in result["rounds"])
    met = "met" if result["target_met"] else "NOT met"
    print(f"ratio digests / baseline: {m['ratio']:.2f} (target <= {TARGET:g}: {met}); {ratios}")
    floors = ", ".join(f"{r['ratio_floor']:.2f}" for r in result["rounds"])
    print(f"ratio digests / floor (raw smtplib, not the target): {m['ratio_floor']:.2f}; {floors}")
    split = ", ".join(f"{part} {m[part + '_s']:.2f} s" for part in ("fanout", "open", "send"))
    print(f"digests split (medians): {split}")
    print(
        f"\n{'subscribers':>11} {'digests':>8} {'seconds':>8} "
        f"{'peak RSS MB':>12} {'tracemalloc MB':>15}"
    )
    for size, mem in sorted(result["memory"].items()):
        print(
            f"{size:>11} {mem['digests']:>8} {mem['seconds']:>8.2f} "
            f"{mem['peak_rss_mb']:>12.1f} {mem['tracemalloc_peak_mb']:>15.1f}"
        )


# --- Children: run with Django set up ---------------------------------------------------------


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def child_seed(subscribers: int) -> dict:
    """The subscribers, then VERDICTS new fact-checks through bench_seed; idempotent."""
    import datetime
    import random

    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from claims.models import Claimant, Rating, Topic
    from newsrooms.models import DigestFrequency, Subscription, SubscriptionState
    from publishing.changelog import change_events_sequence, last_sequenced
    from publishing.models import Publication

    # The bench's topics and claimants exist before the subscribers filter on them.
    if not Publication.objects.filter(claimant__startswith="bench-").exists():
        call_command("bench_seed", "--factchecks", "0", "--force", verbosity=0)
    have = Subscription.objects.filter(email__startswith=EMAIL_PREFIX).count()
    topics = list(Topic.objects.filter(slug__startswith="bench-").order_by("pk"))
    claimants = list(Claimant.objects.filter(slug__startswith="bench-").order_by("pk"))
    ratings = list(Rating.objects.order_by("pk"))
    rng = random.Random(17)
    start_seq = last_sequenced()[0]
    now = timezone.now()
    through = {
        name: getattr(Subscription, name).through for name in ("topics", "claimants", "ratings")
    }
    batch = 1000
    for first in range(have, subscribers, batch):
        with transaction.atomic():
            subs = Subscription.objects.bulk_create(
                Subscription(
                    email=f"{EMAIL_PREFIX}{i}@example.org",
                    frequency=DigestFrequency.DAILY,
                    state=SubscriptionState.ACTIVE,
                    start_seq=start_seq,
                    confirmed_at=now,
                    next_digest_at=now - datetime.timedelta(hours=1),
                    language="en" if i % 20 == 3 else "",
                )
                for i in range(first, min(first + batch, subscribers))
            )
            rows = {name: [] for name in through}
            for sub in subs:
                kind = rng.random()
                if kind < 0.65:  # most: one or two topics
                    for topic in rng.sample(topics, rng.choice([1, 2])):
                        rows["topics"].append(
                            through["topics"](subscription_id=sub.pk, topic_id=topic.pk)
                        )
                elif kind < 0.80:  # a few claimants they follow
                    for claimant in rng.sample(claimants, 20):
                        rows["claimants"].append(
                            through["claimants"](subscription_id=sub.pk, claimant_id=claimant.pk)
                        )
                elif kind < 0.90:  # two ratings (and, for some, a language)
                    for rating in rng.sample(ratings, 2):
                        rows["ratings"].append(
                            through["ratings"](subscription_id=sub.pk, rating_id=rating.pk)
                        )
                # the last tenth: no filter, every verdict
            for name, objs in rows.items():
                through[name].objects.bulk_create(objs)
    published = Publication.objects.filter(claimant__startswith="bench-").count()
    if published < VERDICTS:
        call_command("bench_seed", "--factchecks", str(VERDICTS), "--force", verbosity=0)
    change_events_sequence()
    return {
        "subscribers": Subscription.objects.filter(email__startswith=EMAIL_PREFIX).count(),
        "verdicts": Publication.objects.filter(claimant__startswith="bench-").count(),
        "last_seq": last_sequenced()[0],
    }


def reset_for(subscribers: int) -> None:
    """Nothing fanned out, no digest, the first `subscribers` bench subscribers active
    and due, the others unsubscribed."""
    import datetime

    from django.db import connection, transaction
    from django.db.models import Min
    from django.utils import timezone

    from newsrooms.models import Digest, DigestCursor, DigestEntry, Subscription
    from publishing.models import ChangeEvent

    bench_events = ChangeEvent.objects.filter(claim__claimant__slug__startswith="bench-")
    start = bench_events.aggregate(first=Min("seq"))["first"] - 1
    now = timezone.now()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"TRUNCATE {DigestEntry._meta.db_table}, {Digest._meta.db_table}"  # noqa: S608
            )
        DigestCursor.objects.update_or_create(pk=1, defaults={"last_seq": start})
        DigestCursor.objects.exclude(pk=1).delete()
        bench = Subscription.objects.filter(email__startswith=EMAIL_PREFIX)
        ids = list(bench.order_by("pk").values_list("pk", flat=True))
        cut = ids[subscribers - 1] if subscribers else 0
        bench.update(start_seq=start, sent_seq=0)  # owed every bench verdict, whenever seeded
        bench.filter(pk__lte=cut).update(
            state="active", next_digest_at=now - datetime.timedelta(hours=1), ended_at=None
        )
        bench.filter(pk__gt=cut).update(state="unsubscribed", next_digest_at=None, ended_at=now)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def child_digests(subscribers: int, trace: bool, profile: str | None = None) -> dict:
    """Phase A: fan out, open every due digest, send each over one SMTP connection."""
    from django.db import connection
    from django.db.models import F
    from django.utils import timezone

    from newsrooms import digests
    from newsrooms.models import Digest, DigestEntry

    reset_for(subscribers)
    connection.close()  # the phase opens its own, as a worker would
    if trace:
        tracemalloc.start()
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    started = time.perf_counter()
    digests.ledger_extend()
    fanned_out = time.perf_counter()
    ids = digests.digests_open_due(now=timezone.now())
    opened = time.perf_counter()
    # One SMTP connection and one fragment renderer for all of them.
    handed = digests.digests_send(ids)
    finished = time.perf_counter()
    seconds = finished - started
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile)
    traced_peak = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
    if trace:
        tracemalloc.stop()
    return {
        "html_share": html_share(),
        "seconds": seconds,
        "fanout_s": fanned_out - started,
        "open_s": opened - fanned_out,
        "send_s": finished - opened,
        "opened": len(ids),
        "handed": handed,
        "sent": Digest.objects.filter(state="sent").count(),
        "left_open": Digest.objects.filter(state="open").count(),
        "ledger_rows": DigestEntry.objects.count(),
        "unsent": DigestEntry.objects.filter(seq__gt=F("subscription__sent_seq")).count(),
        "peak_rss_mb": peak_rss_mb(),
        "tracemalloc_peak_mb": traced_peak,
    }


def html_share(sample: int = 50) -> float:
    """The HTML part's share of the body in the first `sample` digests sent (untimed):
    the baseline's messages are split the same way."""
    from newsrooms.digests import DigestRenderer, digest_message
    from newsrooms.models import Digest

    renderer = DigestRenderer()
    text = html = 0
    sent = Digest.objects.filter(state="sent").select_related("subscription").order_by("pk")
    for digest in sent[:sample]:
        message = digest_message(digest.subscription, renderer.items_of(digest), key="sample")
        text += len(message.body)
        html += len(message.alternatives[0][0])
    return html / (text + html)


def child_baseline(count: int, size: int, html_share: float) -> dict:
    """Phase B, the target's baseline: `count` pre-rendered Django messages (text and
    HTML alternatives, `size` bytes on the wire, `html_share` of the body HTML, as phase
    A's digests) built before the clock starts, then handed to Django's SMTP backend
    over one connection: what is timed is what the backend does for any message
    (MIME, serialising, SMTP), not what making a digest costs."""
    from django.core.mail import get_connection

    text, html = baseline_bodies(size, html_share)
    messages = [baseline_message(i, text, html) for i in range(count)]
    wire = len(messages[0].message().as_bytes(linesep="\r\n"))
    started = time.perf_counter()
    handed = get_connection().send_messages(messages)
    seconds = time.perf_counter() - started
    assert handed == count, (handed, count)
    return {"seconds": seconds, "size": wire, "peak_rss_mb": peak_rss_mb()}


def baseline_message(i: int, text: str, html: str):
    """A message with a digest's headers and the given bodies (shared, not copied: ten
    thousand of them stay small)."""
    from django.core.mail import EmailMultiAlternatives

    message = EmailMultiAlternatives(
        "Fact-check: 42 fact-check updates",
        text,
        to=[f"{EMAIL_PREFIX}{i}@example.org"],
        headers={
            "Auto-Submitted": "auto-generated",
            "Message-ID": f"<factcheck.digest-{i}@factcheck.example.org>",
            "List-Unsubscribe": f"<https://factcheck.example.org/subscriptions/unsubscribe/{i}/>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def baseline_bodies(size: int, html_share: float) -> tuple[str, str]:
    """Text and HTML bodies of ASCII lines (sent 7bit, as the digests' mostly-ASCII
    lines are sent 8bit: no transfer encoding either way) that make a message of about
    `size` bytes on the wire."""
    overhead = len(baseline_message(0, "", "").message().as_bytes(linesep="\r\n"))
    body = max(size - overhead, 0)
    html_lines = round(body * html_share) // 79  # "<p>" + 70 + "</p>" + CRLF
    text_lines = (body - html_lines * 79) // 76  # 74 + CRLF
    text = "\n".join(["x" * 74] * text_lines)
    html = "\n".join(["<p>" + "x" * 70 + "</p>"] * html_lines)
    return text, html


def child_floor(count: int, size: int, port: int) -> dict:
    """Phase C, the floor: `count` messages of `size` bytes, serialised once before the
    clock starts, handed to the same sink with smtplib's `sendmail` over one connection
    (no Django, no MIME work per message: only SMTP)."""
    import smtplib
    from email import policy
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = "factcheck@example.org"
    message["To"] = "bench-digest-0@example.org"
    message["Subject"] = "Your fact-check digest"
    message["Message-ID"] = "<factcheck.digest-0@factcheck.example.org>"
    head = len(message.as_bytes(policy=policy.SMTP))
    line = ("x" * 74 + "\r\n").encode()
    body = line * ((size - head) // len(line))
    message.set_content(body.decode(), cte="7bit")
    raw = message.as_bytes(policy=policy.SMTP)  # CRLF line ends, as Django sends them
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
        for i in range(count):
            smtp.sendmail("factcheck@example.org", [f"{EMAIL_PREFIX}{i}@example.org"], raw)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "size": len(raw), "peak_rss_mb": peak_rss_mb()}


def child_main(argv: list[str]) -> None:
    import django

    django.setup()
    what, rest = argv[0], argv[1:]
    if what == "seed":
        result = child_seed(int(rest[0]))
    elif what == "digests":
        profile = rest[rest.index("--profile") + 1] if "--profile" in rest else None
        result = child_digests(int(rest[0]), trace="--tracemalloc" in rest, profile=profile)
    elif what == "baseline":
        result = child_baseline(int(rest[0]), int(rest[1]), float(rest[2]))
    elif what == "floor":
        result = child_floor(int(rest[0]), int(rest[1]), int(os.environ["EMAIL_PORT"]))
    else:
        raise SystemExit(f"unknown child {what!r}")
    print(json.dumps(result), flush=True)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        child_main(argv[1:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DATABASE_URL)
    parser.add_argument("--redis-url", default=REDIS_URL)
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument(
        "--sizes",
        type=lambda s: [int(x) for x in s.split(",") if x],
        default=[2500, 5000],
        help="also run the digest phase at these numbers of subscribers (memory)",
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--port", type=int, default=8725, help="the SMTP sink's port")
    parser.add_argument("--json", type=Path, help="also write the full result here")
    parser.add_argument(
        "--profile",
        type=Path,
        help="only run the digest phase once under cProfile, write its stats here, print the top",
    )
    args = parser.parse_args(argv)
    if args.profile:
        return profile_only(args)
    if any(size > args.subscribers for size in args.sizes):
        parser.error("--sizes must not exceed --subscribers")
    result = run(args)
    report(result)
    print(json.dumps({"medians": result["medians"], "memory": result["memory"]}))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
