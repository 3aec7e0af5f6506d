"""Health endpoints, for a load balancer, an orchestrator and a person alike.

- ``/healthz/live``: liveness. The process answers; nothing else is asked (no database, no Redis),
  so a restart is never triggered by a dependency that is down.
- ``/healthz/ready``: readiness. Database with PostGIS, cache and broker answer: this process can
  serve requests and queue jobs. Workers are not asked, so the web tier stays in service (and its
  container healthy) while no worker is up.
- ``/healthz``: the full report: database (PostgreSQL, PostGIS, GEOS, PROJ, GDAL versions), cache,
  broker, live Celery workers and the beat scheduler. 200 only when every part answers, including at
  least one worker and a beat scheduler that ticked in the last ``HEALTH_BEAT_MAX_AGE`` seconds;
  otherwise 503, with the failed parts named in ``failed``. Only staff (``is_staff``, by session or
  token) see the details; anyone else gets each part's ``ok`` alone, because component versions,
  error text and worker counts tell an attacker which known bugs to try and what is down.

Each probe returns a small dict with ``ok``; a failing probe reports its error instead of raising.

The beat scheduler cannot be pinged like a worker, so it leaves a heartbeat: ``HeartbeatScheduler``
(``CELERY_BEAT_SCHEDULER``) stores the time of its latest tick in the cache, and the probe reads it.
``python -m geoportal.health beat`` exits 0 when that heartbeat is fresh (the beat container's
health check).
"""

from __future__ import annotations

import contextlib
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

from celery.beat import PersistentScheduler
from django.conf import settings
from django.contrib.gis.gdal import gdal_full_version
from django.contrib.gis.geos import geos_version
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from kombu import Connection

from .celery import app as celery_app

Probe = Callable[[], dict[str, Any]]

BEAT_HEARTBEAT_KEY = "health:beat:last-tick"


def probe_database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('server_version'), postgis_lib_version(), "
            "postgis_geos_version(), postgis_proj_version()"
        )
        server, postgis, geos, proj = cursor.fetchone()
    return {
        "ok": True,
        "postgresql": server,
        "postgis": postgis,
        "geos": geos,
        "proj": proj,
        "gdal": gdal_full_version().decode(),
        "python_geos": geos_version().decode(),
    }


def probe_cache() -> dict[str, Any]:
    key = f"healthz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=5)
    ok = cache.get(key) == "1"
    cache.delete(key)
    return {"ok": ok}


def probe_broker() -> dict[str, Any]:
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return {"ok": True}


def probe_workers() -> dict[str, Any]:
    replies = celery_app.control.inspect(timeout=settings.HEALTH_WORKER_TIMEOUT).ping() or {}
    return {"ok": bool(replies), "live": len(replies)}


def probe_beat() -> dict[str, Any]:
    last = cache.get(BEAT_HEARTBEAT_KEY)
    if last is None:
        return {"ok": False, "error": "no beat scheduler has reported (celery -A geoportal beat)"}
    age = round(max(0.0, time.time() - float(last)), 1)
    result: dict[str, Any] = {"ok": age <= settings.HEALTH_BEAT_MAX_AGE, "last_tick_seconds_ago": age}
    if not result["ok"]:
        result["error"] = f"the beat scheduler last ticked {age:.0f} s ago"
    return result


# Readiness: what this web process needs to serve requests and queue jobs.
READY_PROBES: dict[str, Probe] = {
    "database": probe_database,
    "cache": probe_cache,
    "broker": probe_broker,
}

# The full report adds the processes that do the background work.
PROBES: dict[str, Probe] = {
    **READY_PROBES,
    "workers": probe_workers,
    "beat": probe_beat,
}


def run_probe(probe: Probe) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        result = probe()
    except Exception as exc:  # a health check reports every failure rather than raising it
        result = {"ok": False, "error": f"{exc.__class__.__name__}: {exc}"}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def _report(checks: dict[str, dict[str, Any]], detailed: bool) -> JsonResponse:
    failed = [name for name, result in checks.items() if not result["ok"]]
    shown = checks if detailed else {name: {"ok": result["ok"]} for name, result in checks.items()}
    body = {"status": "ok" if not failed else "fail", "failed": failed, "checks": shown}
    response = JsonResponse(body, status=503 if failed else 200)
    response["Cache-Control"] = "no-store"
    return response


def _detailed(request: HttpRequest) -> bool | JsonResponse:
    """Whether the caller sees the details (versions, errors, counts, timings): staff only. A bad
    credential is a 401, as on tiles."""
    # Imported here: core.auth loads the token model, which needs the app registry, and
    # ``python -m geoportal.health beat`` imports this module before django.setup().
    from core.auth import BadCredentials, viewer
    from core.errors import json_error

    try:
        return bool(viewer(request).is_staff)
    except BadCredentials as exc:
        return json_error(401, "authentication_failed", exc.message)
    except Exception:  # who the caller is lives in the database, which may be the part that is down
        return False


def healthz(request: HttpRequest) -> JsonResponse:
    """The full report: 503 when any part fails, no live worker and a silent beat included."""
    detailed = _detailed(request)
    if isinstance(detailed, JsonResponse):
        return detailed
    checks: dict[str, dict[str, Any]] = {}
    for name, probe in PROBES.items():
        if name == "workers" and not checks["broker"]["ok"]:
            checks[name] = {"ok": False, "live": 0, "error": "broker unreachable", "ms": 0.0}
        else:
            checks[name] = run_probe(probe)
    return _report(checks, detailed)


def healthz_ready(request: HttpRequest) -> JsonResponse:
    """Readiness: database with PostGIS, cache and broker; 503 naming the failed ones (details for
    staff only, as on the full report)."""
    detailed = _detailed(request)
    if isinstance(detailed, JsonResponse):
        return detailed
    return _report({name: run_probe(probe) for name, probe in READY_PROBES.items()}, detailed)


def healthz_live(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Touches nothing else."""
    response = JsonResponse({"status": "ok"})
    response["Cache-Control"] = "no-store"
    return response


def record_beat_tick() -> None:
    """Store the time of this beat tick for ``probe_beat``; a cache outage must not stop beat."""
    with contextlib.suppress(Exception):  # the next tick tries again; /healthz reports the silence
        cache.set(BEAT_HEARTBEAT_KEY, time.time(), timeout=None)


class HeartbeatScheduler(PersistentScheduler):
    """Celery beat's default scheduler (schedule state in ``CELERY_BEAT_SCHEDULE_FILENAME``) that
    also records each tick for ``/healthz``."""

    def tick(self, *args: Any, **kwargs: Any) -> float:
        record_beat_tick()
        return float(super().tick(*args, **kwargs))


def main(argv: list[str]) -> int:
    if argv[1:] != ["beat"]:
        print("usage: python -m geoportal.health beat", file=sys.stderr)
        return 2
    import django

    django.setup()
    result = run_probe(probe_beat)
    if not result["ok"]:
        print(f"error: {result['error']}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
