"""/healthz: 200 when the database and the broker answer, 503 otherwise.

Only operators learn which component is down (docs/security.md, "Health endpoint"):
what is down, since when the workers are silent, tells an attacker when to strike and
what to strike. Everyone else gets the status code and `{"status": "ok"}` or
`{"status": "down"}`, which is all a load balancer or the image's HEALTHCHECK reads.
"""

import ipaddress
import secrets

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from factcheck.redis import redis_client

TOKEN_HEADER = "X-Health-Token"
# A proxy adds one of these: a request that carries one came from somewhere else, even
# when the proxy on this host connected from 127.0.0.1.
FORWARDING_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # noqa: BLE001 - any failure means "down"
        return False


def _broker_ok() -> bool:
    try:
        return bool(redis_client().ping())
    except Exception:  # noqa: BLE001 - any failure means "down"
        return False


def _worker_heartbeat() -> dict:
    from ops.selectors import last_heartbeat

    try:
        latest, stale = last_heartbeat()
    except DatabaseError:  # e.g. not migrated yet: the web answers, workers unknown
        return {"worker": "unknown", "last_heartbeat": None}
    return {
        "worker": "stale" if stale else "ok",
        "last_heartbeat": latest.isoformat() if latest else None,
    }


def is_operator(request: HttpRequest) -> bool:
    """The request carries the health token, or (unless FACTCHECK_HEALTH_LOOPBACK is
    off) it was made on this host and not forwarded by a proxy."""
    token = settings.FACTCHECK_HEALTH_TOKEN
    given = request.headers.get(TOKEN_HEADER, "")
    if token and secrets.compare_digest(given.encode(), token.encode()):
        return True
    if not settings.FACTCHECK_HEALTH_LOOPBACK:
        return False
    if any(name in request.headers for name in FORWARDING_HEADERS):
        return False
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:  # a unix socket has no address: not known to be the host
        return False


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Database or broker down: 503. A stale worker heartbeat is reported, and is a 503
    only with ?strict=1: a web replica is healthy without workers and a load balancer
    must not take it out of service for that; monitoring asks strictly. Only operators
    get the detail, and only they may ask strictly (its 503 would name the workers)."""
    if not is_operator(request):
        # Both checked, not stopping at the first failure: how fast the answer comes
        # should not say which one it was.
        up = all([_database_ok(), _broker_ok()])
        return JsonResponse({"status": "ok" if up else "down"}, status=200 if up else 503)
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    down = [name for name, ok in checks.items() if not ok]
    body: dict = {
        "status": "ok",
        "checks": {k: "ok" if v else "down" for k, v in checks.items()},
    }
    if checks["database"]:
        heartbeat = _worker_heartbeat()
        body["checks"]["worker"] = heartbeat["worker"]
        body["last_heartbeat"] = heartbeat["last_heartbeat"]
        if heartbeat["worker"] == "stale":
            body["status"] = "degraded"
            if request.GET.get("strict") == "1":
                down.append("worker")
    if down:
        body["status"] = "down"
        body["down"] = down
    return JsonResponse(body, status=503 if down else 200)
