"""`make run`: everything on one laptop, in the foreground, until Ctrl-C.

Starts the embedded Redis (when REDIS_URL is unset), migrates, loads the demo, then runs
the web server, one Celery worker and beat as child processes. Ctrl-C or SIGTERM stops
every process it started; if any of them dies, the others are stopped too.

Written by hand because no maintained tool does this without a second install
(honcho/foreman would still leave the Redis start, migrate and seed steps to us).
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from factcheck import embedded_redis

BASE_DIR = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Stop(Exception):
    pass


def _raise_stop(signum: int, frame: object) -> None:
    raise Stop(signal.Signals(signum).name)


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    # A laptop: DEBUG on unless said otherwise (it also allows the dev SECRET_KEY).
    env.setdefault("DEBUG", "true")
    env.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")
    # Links in published documents and ClaimReview point at this server.
    env.setdefault("SITE_URL", f"http://127.0.0.1:{env.get('PORT', '8000')}")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _spawn(name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen:
    # Each child leads its own process group, so that stopping it also stops the
    # processes it forks (gunicorn and Celery pool workers), and so that the terminal's
    # Ctrl-C reaches only us: we stop the children in order.
    print(f"  starting {name}: {' '.join(command)}", flush=True)
    return subprocess.Popen(command, cwd=BASE_DIR, env=env, start_new_session=True)


def _stop_all(children: dict[str, subprocess.Popen], timeout: float = 15.0) -> None:
    """Stop in reverse start order, so Redis goes last, after the worker let go of it."""
    for process in reversed(children.values()):
        _signal_group(process, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout)
        # Whatever is left of the group (a pool child that ignored TERM) is killed.
        _signal_group(process, signal.SIGKILL)
        process.wait()


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


def _manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([str(BIN / "python"), "manage.py", *args], cwd=BASE_DIR, env=env, check=True)


def _print_banner(port: str) -> None:
    import django

    django.setup()
    from demo.data import DEMO_USERS

    base = f"http://127.0.0.1:{port}"
    print("\nThe fact-check service is running:")
    print(f"  admin (reviewers' workspace)  {base}/admin/")
    print(f"  public fact-checks            {base}/factchecks/")
    print(f"  API (newsrooms)               {base}/api/v1/claims/")
    print(f"  API docs                      {base}/api/v1/docs/")
    print(f"  health                        {base}/healthz")
    print("Demo logins (demo data only):")
    for username, role, password in DEMO_USERS:
        print(f"  {username:<8} {role:<9} password: {password}")
    print("Press Ctrl-C to stop everything.\n", flush=True)


def main() -> int:
    for sig in STOP_SIGNALS:
        signal.signal(sig, _raise_stop)
    env = _environment()
    os.environ.update(env)
    port = env.get("PORT", "8000")
    children: dict[str, subprocess.Popen] = {}
    try:
        if not env.get("REDIS_URL"):
            redis_process = embedded_redis.start()
            if redis_process is not None:
                children["redis"] = redis_process
            env["REDIS_URL"] = os.environ["REDIS_URL"] = embedded_redis.url()
        _manage("migrate", "--noinput", "-v", "0", env=env)
        _manage("seed_demo", env=env)
        _manage("publications_rebuild", env=env)
        children["web"] = _spawn("web", [
            str(BIN / "gunicorn"), "factcheck.wsgi", "--bind", f"127.0.0.1:{port}",
            "--workers", "2", "--access-logfile", "-",
        ], env)  # fmt: skip
        children["worker"] = _spawn("worker", [
            str(BIN / "celery"), "-A", "factcheck", "worker", "--loglevel", "INFO",
            "--concurrency", "1", "--queues", "intake,default,email,webhooks,fetch",
        ], env)  # fmt: skip
        children["beat"] = _spawn("beat", [
            str(BIN / "celery"), "-A", "factcheck", "beat", "--loglevel", "INFO",
            "--schedule", str(embedded_redis.VAR_DIR / "celerybeat-schedule"),
        ], env)  # fmt: skip
        _print_banner(port)
        while True:
            for name, process in children.items():
                if process.poll() is not None:
                    print(f"{name} exited with {process.returncode}; stopping.", file=sys.stderr)
                    return 1
            time.sleep(0.5)
    except Stop as stop:
        print(f"\nReceived {stop}; stopping.", flush=True)
        return 0
    except subprocess.CalledProcessError as exc:
        print(f"Setup failed: {exc}", file=sys.stderr)
        return 1
    finally:
        # Signals during shutdown must not interrupt it half-way.
        for sig in STOP_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)
        _stop_all(children)
        print("Stopped.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
