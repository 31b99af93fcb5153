"""/healthz: 200 when the database and the broker answer, 503 naming what is down."""

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # noqa: BLE001 - any failure means "down"
        return False


def _broker_ok() -> bool:
    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL,
            socket_connect_timeout=settings.REDIS_TIMEOUT,
            socket_timeout=settings.REDIS_TIMEOUT,
        )
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:  # noqa: BLE001
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


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Database or broker down: 503. A stale worker heartbeat is reported, and is a 503
    only with ?strict=1: a web replica is healthy without workers and a load balancer
    must not take it out of service for that; monitoring asks strictly."""
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
