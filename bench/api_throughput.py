"""API read throughput against a bare Django view, the same gunicorn, the same run.

    .venv/bin/python -m bench.api_throughput [--seed N] [--duration S] [--rounds R]

Needs a PostgreSQL database filled by `python manage.py bench_seed --factchecks N
--force` (`--seed N` runs that first) and Debian's `wrk` (`make bench-api` installs
it). Starts gunicorn with factcheck/gunicorn.conf.py (WEB_CONCURRENCY workers, DEBUG
off, settings `bench.settings`: production settings plus the bare view) and measures,
with wrk (fixed threads, connections and duration), in rounds that interleave the
scenarios:

- first: `GET /api/v1/claims/?page_size=50`;
- deep: the same with the cursor of the page that starts past 92% of the list (checked
  to hold 50 fact-checks);
- 304: the first page with `If-None-Match` of its ETag (checked to answer 304);
- bare: `GET /bench/bare/`, a view returning `{"ok": true}` (JsonResponse).

Anonymous rate limits are lifted (FACTCHECK_ANON_RATE=100000000/min) so that they do
not interfere. Prints requests/s, the ratio to the bare view and p50/p99 latency
(medians of the rounds) and a JSON summary; stops gunicorn at the end, also on error.
"""

import argparse
import base64
import contextlib
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_api")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
LIST = "/api/v1/claims/?page_size=50"
DEEP_AT = 0.92  # the deep page starts this far down the list
TARGETS = {"first": 0.35, "deep": 0.35, "304": 0.7}


def bench_env(args: argparse.Namespace) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-secret-key-" + "b" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "FACTCHECK_ANON_RATE": "100000000/min",
        "FACTCHECK_TOKEN_RATE": "100000000/min",
        # The bare view is a page to the page rate limit (factcheck/ratelimit.py).
        "FACTCHECK_PAGE_RATE": "100000000/min",
        "PORT": str(args.port),
        "WEB_CONCURRENCY": str(args.workers),
        # More than 1 makes gunicorn use its gthread worker (for every scenario alike).
        "GUNICORN_CMD_ARGS": f"--threads {args.gunicorn_threads}",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }


def manage(env: dict[str, str], *argv: str) -> None:
    subprocess.run([sys.executable, "manage.py", *argv], cwd=ROOT, env=env, check=True)


@contextlib.contextmanager
def gunicorn(env: dict[str, str], base: str, log: Path) -> Iterator[None]:
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "factcheck/gunicorn.conf.py"]
            + ["factcheck.wsgi:application"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/bench/bare/", timeout=10).read()  # noqa: S310
                break
            except OSError:  # refused, reset or timed out while it boots
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not start; see {log}") from None
                time.sleep(0.2)
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def deep_cursor_path(env: dict[str, str]) -> tuple[str, int]:
    """The list URL whose page starts past DEEP_AT of the list, and the list's length.
    DRF's cursor is base64 of `p=<last id of the previous page>` (ordering -id)."""
    code = (
        "import django; django.setup()\n"
        "from publishing.models import Publication\n"
        "ids = list(Publication.objects.order_by('-id').values_list('id', flat=True))\n"
        f"print(len(ids), ids[int(len(ids) * {DEEP_AT}) - 1])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout.split()
    total, position = int(out[0]), int(out[1])
    cursor = base64.b64encode(urlencode({"p": position}).encode()).decode()
    return f"{LIST}&{urlencode({'cursor': cursor})}", total


def check_scenarios(base: str, deep: str) -> str:
    """Each URL answers what it should; returns the first page's ETag."""
    status, headers, body = fetch(base + LIST)
    assert status == 200, status
    assert len(json.loads(body)["results"]) == 50
    etag = headers["ETag"]
    status, _headers, body = fetch(base + deep)
    assert status == 200, status
    assert len(json.loads(body)["results"]) == 50, "the deep page must hold 50 fact-checks"
    status, _headers, _body = fetch(base + LIST, {"If-None-Match": etag})
    assert status == 304, f"the poll answered {status}, not 304"
    status, _headers, body = fetch(base + "/bench/bare/")
    assert status == 200 and json.loads(body) == {"ok": True}
    return etag


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(number) * UNITS[unit]


def wrk(url: str, args: argparse.Namespace, headers: dict[str, str], seconds: int) -> dict:
    command = ["wrk", "-t", str(args.threads), "-c", str(args.connections)]
    command += ["-d", f"{seconds}s", "--latency", "--timeout", "10s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run([*command, url], check=True, capture_output=True, text=True).stdout
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    if bad or errors:
        raise RuntimeError(f"wrk saw failed requests for {url}:\n{out}")
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": _ms(re.search(r"\s50%\s+(\S+)", out).group(1)),
        "p99_ms": _ms(re.search(r"\s99%\s+(\S+)", out).group(1)),
    }


def run(args: argparse.Namespace) -> dict:
    env = bench_env(args)
    if args.seed:
        manage(env, "migrate", "--verbosity", "0")
        manage(env, "bench_seed", "--factchecks", str(args.seed), "--force")
    deep, total = deep_cursor_path(env)
    base = f"http://127.0.0.1:{args.port}"
    log = Path(args.log)
    with gunicorn(env, base, log):
        etag = check_scenarios(base, deep)
        scenarios = {
            "first": (LIST, {}),
            "deep": (deep, {}),
            "304": (LIST, {"If-None-Match": etag}),
            "bare": ("/bench/bare/", {}),
        }
        for path, headers in scenarios.values():  # warm every worker and cache
            wrk(base + path, args, headers, 2)
        rounds: dict[str, list[dict]] = {name: [] for name in scenarios}
        for number in range(1, args.rounds + 1):
            for name, (path, headers) in scenarios.items():
                result = wrk(base + path, args, headers, args.duration)
                rounds[name].append(result)
                print(f"round {number} {name:>5}: {result}", flush=True)
    medians = {
        name: {key: statistics.median(r[key] for r in results) for key in results[0]}
        for name, results in rounds.items()
    }
    bare = medians["bare"]["rps"]
    for figures in medians.values():
        figures["ratio"] = round(figures["rps"] / bare, 3)
    return {
        "fact_checks": total,
        "deep_path": deep,
        "workers": args.workers,
        "gunicorn_threads": args.gunicorn_threads,
        "wrk": {"threads": args.threads, "connections": args.connections, "s": args.duration},
        "rounds": rounds,
        "medians": medians,
        "targets_met": {k: medians[k]["ratio"] >= v for k, v in TARGETS.items()},
    }


def report(result: dict) -> None:
    print(f"\n{result['fact_checks']} fact-checks, {result['workers']} gunicorn workers")
    print(f"{'scenario':>8} {'req/s':>9} {'ratio':>6} {'target':>7} {'p50 ms':>8} {'p99 ms':>8}")
    for name, m in result["medians"].items():
        target = f">={TARGETS[name]}" if name in TARGETS else ""
        print(
            f"{name:>8} {m['rps']:>9.1f} {m['ratio']:>6.3f} {target:>7} "
            f"{m['p50_ms']:>8.2f} {m['p99_ms']:>8.2f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DATABASE_URL)
    parser.add_argument("--redis-url", default=REDIS_URL)
    parser.add_argument("--seed", type=int, default=0, help="run bench_seed to N first")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn WEB_CONCURRENCY")
    parser.add_argument(
        "--gunicorn-threads", type=int, default=1, help="threads per worker (1: sync)"
    )
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--log", default="/tmp/bench-api-gunicorn.log")  # noqa: S108
    parser.add_argument("--json", type=Path, help="also write the full result here")
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        parser.error("wrk is not installed: `make bench-api` installs Debian's wrk")
    result = run(args)
    report(result)
    print(json.dumps(result["medians"]))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
