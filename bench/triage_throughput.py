"""Triage throughput against a no-op task, one worker, the same broker, the same run.

    .venv/bin/python -m bench.triage_throughput [--claims N] [--repeats R] [--no-analyze]
        [--database-name NAME]

Creates a PostgreSQL database (`bench_factcheck` on 127.0.0.1:5432, user postgres, or
NAME) and an embedded Redis on a unix socket under /tmp/bench-redis, then runs R rounds
of:

- phase A (baseline): N `bench.noop` messages on the `intake` queue, published while no
  worker runs; then one worker starts and the time from its first message to an empty
  queue (no message waiting, none unacknowledged) is taken;
- phase B (triage): N received claims bulk-inserted (templated texts, 200 claimants,
  about 5% re-submissions of an earlier claim), the table analysed (as autovacuum
  would; not with --no-analyze), and one `claims.triage` message each, published while
  no worker runs; then the same worker command, timed from its first message until no
  claim is `received`.

The worker is `celery -A factcheck worker -Q intake,default --concurrency 1` (prefork,
one pool process, plus --without-gossip/--without-mingle/--without-heartbeat) for
both phases, with DEBUG off as on a server. Its pool process's RSS is sampled with
psutil during each drain. Prints a table of medians and a JSON summary; stops every
process and drops the database at the end, also on error or Ctrl-C.
"""

import argparse
import contextlib
import datetime
import json
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
# --database-name (or BENCH_DB_NAME) and BENCH_REDIS_DIR keep two runs on one machine
# apart. The database is dropped and created again: never name one you keep.
DB_NAME = os.environ.get("BENCH_DB_NAME", "bench_factcheck")
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
REDIS_DIR = Path(os.environ.get("BENCH_REDIS_DIR", "/tmp/bench-redis"))  # noqa: S108 - ours
QUEUE = "intake"
POLL = 0.05  # seconds between progress polls
SAMPLE = 0.5  # seconds between RSS samples
CLAIMANTS = 200
RESUBMITTED = 0.05  # share of claims that repeat an earlier claim, reformatted


# --- Claims that look like claims --------------------------------------------------------

TEMPLATES = [
    "{name} says {a:,} people lost their jobs in {year} because of the new tax.",
    "According to the ministry, {a:,} schools were damaged and {b} hospitals destroyed.",
    "{name}: more than {a:,} soldiers were killed since the offensive began on {day} June.",
    "A poll released this week shows {p}% of voters support the plan, against {q}% in {year}.",
    "Unemployment fell to {p}% last month, the lowest level since {year}, {name} claims.",
    "{name} said the government spent ${m} billion on defence, {p} percent more than planned.",
    "Inflation reached {p}% in {year}, the highest in {b} years.",
    "The country imported {a:,} tonnes of grain and exported {c:,} tonnes in {year}.",
    "За даними міністерства, з {year} року було зруйновано {a:,} будинків і {b} шкіл.",
    "{name} заявив, що {p}% українців підтримують вступ до ЄС.",
    "Уряд витратив {m} млрд гривень на відновлення енергетики у {year} році.",
    "По данным министерства, в {year} году в страну въехали {a:,} беженцев.",
    "{name} утверждает, что зарплаты выросли на {p}% за последние {b} лет.",
    "Według sondażu {p}% Polaków popiera wysyłanie broni, a {q}% jest przeciw.",
    "Laut einer Studie haben {a:,} Menschen im Jahr {year} das Land verlassen.",
    "Selon le rapport, {p} % des jeunes n'ont pas trouvé d'emploi en {year}.",
    "Nobody needs this war, and everybody knows who started it, {name} insists.",
    "The opposition wants to sell our land to foreigners, {name} told the crowd.",
    "Ukraine will never join NATO, the alliance has already decided it, {name} says.",
    "Vaccines cause more harm than the disease itself, claims a viral post by {name}.",
]


def claim_texts(count: int, claimant_ids: list[int], seed: int = 7) -> list[tuple[int, str]]:
    """(claimant id, text) pairs: templates with varied names and figures, and a share
    of re-submissions of an earlier claim (same claimant, figures written another way)
    that triage should merge."""
    rng = random.Random(seed)
    pairs: list[tuple[int, str]] = []
    for _ in range(count):
        if pairs and rng.random() < RESUBMITTED:
            claimant_id, text = rng.choice(pairs)
            pairs.append((claimant_id, text.replace(",", " ").replace("%", " percent")))
            continue
        claimant_id = rng.choice(claimant_ids)
        text = rng.choice(TEMPLATES).format(
            name=f"Speaker {claimant_id}",
            a=rng.randint(1, 900) * 1000 + rng.randint(0, 999),
            b=rng.randint(2, 99),
            c=rng.randint(1, 900) * 1000,
            p=rng.randint(1, 99),
            q=rng.randint(1, 99),
            m=f"{rng.randint(1, 90)}.{rng.randint(1, 9)}",
            year=rng.randint(1995, 2024),
            day=rng.randint(1, 30),
        )
        pairs.append((claimant_id, text))
    return pairs


# --- Environment: database, Redis, worker ------------------------------------------------


def bench_env(redis_url: str, db_name: str = DB_NAME) -> dict[str, str]:
    return dict(
        os.environ,
        # As on a server: with DEBUG on, Django keeps the SQL of every statement in
        # memory (up to 9,000, with their values interpolated) and formats each one.
        DEBUG="false",
        SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        DATABASE_URL=f"{PG_SERVER}/{db_name}",
        REDIS_URL=redis_url,
        FACTCHECK_EXTRA_TASK_MODULES="bench.tasks",
        FACTCHECK_VAR_DIR=str(REDIS_DIR),
        LOG_LEVEL="WARNING",
    )


def _admin_sql(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


@contextlib.contextmanager
def database(env: dict[str, str], db_name: str = DB_NAME) -> Iterator[None]:
    _admin_sql(f"DROP DATABASE IF EXISTS {db_name} WITH (FORCE)")
    _admin_sql(f"CREATE DATABASE {db_name}")
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        yield
    finally:
        from django.db import connections

        connections.close_all()
        _admin_sql(f"DROP DATABASE IF EXISTS {db_name} WITH (FORCE)")


@contextlib.contextmanager
def worker(env: dict[str, str], log: Path) -> Iterator[psutil.Process]:
    """One worker for one drain, in its own process group; stopped at the end."""
    command = [
        str(Path(sys.executable).parent / "celery"), "-A", "factcheck", "worker",
        "-Q", "intake,default", "--concurrency", "1", "--loglevel", "WARNING",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
        "--hostname", "bench@%h",
    ]  # fmt: skip
    with open(log, "a") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        yield psutil.Process(process.pid)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# --- Measuring ----------------------------------------------------------------------------


@dataclass
class Drain:
    seconds: float
    startup: float  # worker start to its first message
    rss_mb: list[tuple[float, float]] = field(default_factory=list)  # (share done, MB)

    def rate(self, count: int) -> float:
        return count / self.seconds


def waiting(client) -> int:
    """Messages on the queue plus those delivered and not acknowledged yet."""
    return client.llen(QUEUE) + client.hlen("unacked")


def drain(
    env: dict[str, str], log: Path, client, count: int, remaining: Callable[[], int]
) -> Drain:
    """Start a worker, wait until `remaining()` is 0, sampling its pool process's RSS."""
    started = time.monotonic()
    samples: list[tuple[float, float]] = []
    done = threading.Event()
    left = [count]
    with worker(env, log) as main:
        while client.llen(QUEUE) >= count:
            if main.status() == psutil.STATUS_ZOMBIE or not main.is_running():
                raise RuntimeError(f"the worker exited; see {log}")
            time.sleep(POLL / 5)
        first = time.monotonic()

        def sample() -> None:
            while not done.is_set():
                with contextlib.suppress(psutil.Error):
                    pool = main.children()
                    if pool:
                        mb = pool[0].memory_info().rss / 2**20
                        samples.append((1 - left[0] / count, mb))
                done.wait(SAMPLE)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        deadline = first + max(600.0, count * 0.2)
        while (left := [remaining()])[0] > 0:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{left[0]} of {count} not done in time; see {log}")
            time.sleep(POLL)
        finished = time.monotonic()
        done.set()
        sampler.join()
    return Drain(finished - first, first - started, samples)


def publish(app, name: str, ids: list[int]) -> float:
    started = time.monotonic()
    with app.producer_or_acquire() as producer:
        for claim_id in ids:
            app.send_task(name, args=[claim_id], queue=QUEUE, producer=producer)
    return time.monotonic() - started


def make_claimants() -> list[int]:
    from claims.models import Claimant

    rng = random.Random(11)
    Claimant.objects.bulk_create(
        Claimant(name=f"Speaker {i}", slug=f"speaker-{i}", reach=rng.choice([0, 10**3, 10**6]))
        for i in range(CLAIMANTS)
    )
    return list(Claimant.objects.values_list("pk", flat=True))


def make_received_claims(
    count: int, claimant_ids: list[int], seed: int, analyze: bool = True
) -> list[int]:
    """What claim_register saves (a received claim), inserted in bulk: the benchmark
    times triage, not the API. The 'create' audit rows are not written."""
    from django.db import connection

    from claims.models import Claim, ClaimOrigin, ClaimStatus

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE claims_claim, claims_historicalclaim CASCADE")
    today = datetime.date.today()
    rng = random.Random(seed)
    claims = [
        Claim(
            text=text,
            claim_reviewed=text[:75],
            claimant_id=claimant_id,
            claim_date=today - datetime.timedelta(days=rng.randint(0, 40)),
            origin=ClaimOrigin.API,
            status=ClaimStatus.RECEIVED,
        )
        for claimant_id, text in claim_texts(count, claimant_ids, seed)
    ]
    created = Claim.objects.bulk_create(claims, batch_size=1000)
    if analyze:
        with connection.cursor() as cursor:
            # What autovacuum does within a minute of a bulk insert in a running system:
            # without statistics the planner takes N received claims for a handful
            # (docs/BENCHMARKS.md); --no-analyze measures that case.
            cursor.execute("ANALYZE claims_claim")
    return [claim.pk for claim in created]


def rss_summary(samples: list[tuple[float, float]]) -> dict[str, float]:
    def at(share: float) -> float:
        return min(samples, key=lambda s: abs(s[0] - share))[1]

    return {
        "start": samples[0][1],
        "at_10%": at(0.1),
        "middle": at(0.5),
        "end": samples[-1][1],
        "max": max(mb for _, mb in samples),
    }


# --- The run ----------------------------------------------------------------------------


def run(count: int, repeats: int, log: Path, analyze: bool = True) -> dict:
    import redis
    from django.db.models import Count

    from claims.models import Claim, ClaimStatus
    from factcheck.celery import app

    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    claimant_ids = make_claimants()
    rounds = []
    for round_no in range(repeats):
        client.flushdb()
        publish(app, "bench.noop", list(range(count)))
        noop = drain(os.environ, log, client, count, lambda: waiting(client))
        print(f"round {round_no + 1} no-op:  {noop.rate(count):8.1f}/s", flush=True)

        client.flushdb()
        ids = make_received_claims(count, claimant_ids, seed=round_no, analyze=analyze)
        publish(app, "claims.triage", ids)
        received = Claim.objects.filter(status=ClaimStatus.RECEIVED)
        triage = drain(os.environ, log, client, count, received.count)
        outcomes = dict(Claim.objects.values_list("status").annotate(n=Count("pk")))
        print(f"round {round_no + 1} triage: {triage.rate(count):8.1f}/s {outcomes}", flush=True)
        rounds.append(
            {
                "noop_rate": noop.rate(count),
                "triage_rate": triage.rate(count),
                "noop_seconds": noop.seconds,
                "triage_seconds": triage.seconds,
                "noop_startup": noop.startup,
                "triage_startup": triage.startup,
                "noop_rss": rss_summary(noop.rss_mb),
                "triage_rss": rss_summary(triage.rss_mb),
                "triage_rss_samples": triage.rss_mb,
                "outcomes": outcomes,
            }
        )
    client.flushdb()
    client.close()
    noop_rate = statistics.median(r["noop_rate"] for r in rounds)
    triage_rate = statistics.median(r["triage_rate"] for r in rounds)
    return {
        "claims": count,
        "repeats": repeats,
        "noop_rate_median": noop_rate,
        "triage_rate_median": triage_rate,
        "ratio": triage_rate / noop_rate,
        "target_met": triage_rate >= noop_rate / 3,
        "rounds": rounds,
    }


def report(result: dict) -> None:
    print()
    print(f"{result['claims']} messages, {result['repeats']} rounds, medians:")
    print(f"  no-op   {result['noop_rate_median']:8.1f} tasks/s")
    print(f"  triage  {result['triage_rate_median']:8.1f} claims/s")
    print(f"  ratio   {result['ratio']:8.3f} (target >= 0.333: {result['target_met']})")
    for number, r in enumerate(result["rounds"], 1):
        rss = r["triage_rss"]
        print(
            f"  round {number}: no-op {r['noop_seconds']:.1f} s, triage "
            f"{r['triage_seconds']:.1f} s; triage pool RSS MB start {rss['start']:.0f}, "
            f"10% {rss['at_10%']:.0f}, middle {rss['middle']:.0f}, end {rss['end']:.0f}, "
            f"max {rss['max']:.0f}; no-op pool RSS max {r['noop_rss']['max']:.0f}"
        )


def _database_name(name: str) -> str:
    """A plain identifier: the name is written into DROP and CREATE DATABASE."""
    if not name.isidentifier() or not name.isascii():
        raise argparse.ArgumentTypeError(f"not a plain database name: {name!r}")
    return name


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=10_000, help="messages per phase")
    parser.add_argument("--repeats", type=int, default=3, help="rounds of both phases")
    parser.add_argument("--json", type=Path, help="also write the full result here")
    parser.add_argument(
        "--no-analyze",
        dest="analyze",
        action="store_false",
        help="do not ANALYZE the claims after inserting them (statistics left stale)",
    )
    parser.add_argument(
        "--database-name",
        default=DB_NAME,
        type=_database_name,
        help="the PostgreSQL database to create, use and drop (default: %(default)s)",
    )
    args = parser.parse_args(argv)

    from factcheck import embedded_redis

    redis_process = embedded_redis.start(REDIS_DIR)
    log = REDIS_DIR / "worker.log"
    log.write_text("")
    os.environ.update(bench_env(f"{embedded_redis.url(REDIS_DIR)}?db=0", args.database_name))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")
    try:
        with database(dict(os.environ), args.database_name):
            import django

            django.setup()
            result = run(args.claims, args.repeats, log, analyze=args.analyze)
    finally:
        embedded_redis.stop(redis_process)
    report(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
