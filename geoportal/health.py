"""``/healthz``: is every part the platform needs answering right now?

Each probe returns a small dict with ``ok``; the view answers 503 and names the failed parts
when any probe fails, so a load balancer and a person read the same answer.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.gis.gdal import gdal_full_version
from django.contrib.gis.geos import geos_version
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from kombu import Connection

from .celery import app as celery_app

Probe = Callable[[], dict[str, Any]]


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


PROBES: dict[str, Probe] = {
    "database": probe_database,
    "cache": probe_cache,
    "broker": probe_broker,
    "workers": probe_workers,
}


def run_probe(probe: Probe) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        result = probe()
    except Exception as exc:  # a health check reports every failure rather than raising it
        result = {"ok": False, "error": f"{exc.__class__.__name__}: {exc}"}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def healthz(request: HttpRequest) -> JsonResponse:
    checks = {name: run_probe(probe) for name, probe in PROBES.items()}
    if not checks["broker"]["ok"]:
        checks["workers"] = {"ok": False, "live": 0, "error": "broker unreachable"}
    failed = [name for name, result in checks.items() if not result["ok"]]
    body = {"status": "ok" if not failed else "fail", "failed": failed, "checks": checks}
    return JsonResponse(body, status=503 if failed else 200)
