"""Prometheus metrics: ``GET /metrics`` and the middleware that measures requests.

gunicorn runs several processes, and each keeps its own counters, so prometheus_client runs in
multiprocess mode: every process writes its values to files in ``PROMETHEUS_MULTIPROC_DIR``
(settings; gunicorn empties it at start and marks a dead worker's files, deploy/gunicorn.conf.py),
and a scrape, answered by whichever process, adds them up. The environment variable must be set
before prometheus_client is imported, which is why this module sets it from settings first.

What is measured where:

- request latency by route, method and status class: ``MetricsMiddleware`` (the route is the URL
  pattern the resolver matched, never the raw path, so the label set stays small);
- tile cache hits and misses: counted by the tile view (``tiles.views.vector_tile``), which knows
  whether it rendered the tile; a 304 is a hit;
- open live streams (``core.sse``): the middleware wraps every ``text/event-stream`` body;
- job queues, live workers and the last verified backup: computed at scrape time
  (``ScrapeCollector``), not stored.

Only loopback, ``METRICS_ALLOWED_IPS`` or an administrator (session or token) may read ``/metrics``
(``policy.resources.METRICS``): the figures say what is down and how busy the platform is.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from django.conf import settings

os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(settings.PROMETHEUS_MULTIPROC_DIR))
Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)

from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.translation import gettext as _  # noqa: E402
from prometheus_client import (  # noqa: E402
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily  # noqa: E402
from prometheus_client.registry import Collector  # noqa: E402

from core.auth import BadCredentials, viewer  # noqa: E402
from core.errors import json_error  # noqa: E402
from policy.predicates import may_read_metrics  # noqa: E402

log = logging.getLogger(__name__)

REQUEST_LATENCY = Histogram(
    "geoportal_http_request_duration_seconds",
    "Time to answer a request, by URL pattern, method and status class.",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
TILE_HITS = Counter("geoportal_tile_cache_hits", "Vector tiles answered from the cache (or 304).")
TILE_MISSES = Counter("geoportal_tile_cache_misses", "Vector tiles rendered from PostGIS.")
SSE_CONNECTIONS = Gauge(
    "geoportal_sse_connections", "Live streams (Server-Sent Events) open now.", multiprocess_mode="livesum"
)

WORKERS_CACHE_SECONDS = 15.0
WORKERS_PING_TIMEOUT = 0.5
_workers_lock = threading.Lock()
_workers_seen: tuple[float, float] = (-1e9, 0.0)  # (monotonic time, workers) of the last ping


def route_of(request: HttpRequest) -> str:
    """The URL pattern the request matched ("tiles/<str:layers>/<int:z>/…"), or a fixed label."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "<unmatched>"
    return match.route or match.view_name or "<unnamed>"


def _counted_stream(content: Iterable[Any]) -> Iterator[Any]:
    """The stream's body, counted as an open connection from its first byte to its close."""
    SSE_CONNECTIONS.inc()
    try:
        yield from content
    finally:
        SSE_CONNECTIONS.dec()


class MetricsMiddleware:
    """Time every request and label it by its route pattern; count open streams."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        route = route_of(request)
        request.metrics_route = route  # type: ignore[attr-defined]  # the JSON log reads it
        request.metrics_duration = elapsed  # type: ignore[attr-defined]
        try:
            REQUEST_LATENCY.labels(route, request.method or "", f"{response.status_code // 100}xx").observe(
                elapsed
            )
            if response.streaming and response.get("Content-Type", "").startswith("text/event-stream"):
                response.streaming_content = _counted_stream(response.streaming_content)
        except Exception:  # noqa: BLE001 - a metric must never fail the request
            log.warning("could not record request metrics", exc_info=True)
        return response


def _queued_jobs() -> Iterator[tuple[str, int, float]]:
    """(model label, queued rows, age in seconds of the oldest) for every job model."""
    from django.db.models import Count, Min

    from jobs.models import JobStatus
    from jobs.registry import job_models

    now = timezone.now()
    for model in sorted(job_models(), key=lambda m: m._meta.label):
        row = model.objects.filter(status=JobStatus.QUEUED).aggregate(n=Count("pk"), oldest=Min("created_at"))
        age = (now - row["oldest"]).total_seconds() if row["oldest"] else 0.0
        yield model._meta.label, row["n"], max(age, 0.0)


def celery_queue_length() -> float | None:
    """Messages waiting in the default Celery queue (Redis LLEN), None when the broker is down."""
    try:
        import redis

        client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=1, socket_timeout=1)
        try:
            return float(client.llen(settings.CELERY_TASK_DEFAULT_QUEUE))
        finally:
            client.close()
    except Exception:  # noqa: BLE001 - Redis down: the figure is absent, the scrape still answers
        return None


def live_workers() -> float:
    """Celery workers answering a ping, asked at most every 15 s (a ping waits for its timeout)."""
    global _workers_seen
    with _workers_lock:
        seen_at, count = _workers_seen
        if time.monotonic() - seen_at < WORKERS_CACHE_SECONDS:
            return count
        try:
            from geoportal.celery import app

            count = float(len(app.control.inspect(timeout=WORKERS_PING_TIMEOUT).ping() or {}))
        except Exception:  # noqa: BLE001 - broker down: no worker can be reached
            count = 0.0
        _workers_seen = (time.monotonic(), count)
        return count


class ScrapeCollector(Collector):
    """Figures read at scrape time from the database, the broker and the workers."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        length = GaugeMetricFamily(
            "geoportal_job_queue_length", "Jobs queued, by job model.", labels=["model"]
        )
        age = GaugeMetricFamily(
            "geoportal_job_queue_oldest_age_seconds",
            "Age of the oldest queued job, by job model.",
            labels=["model"],
        )
        try:
            for label, count, oldest in _queued_jobs():
                length.add_metric([label], count)
                age.add_metric([label], oldest)
        except Exception:  # noqa: BLE001 - database down: report the rest
            log.warning("could not count queued jobs", exc_info=True)
        yield length
        yield age
        yield _last_backup()
        broker = GaugeMetricFamily(
            "geoportal_celery_queue_length",
            "Messages waiting in the Celery queue (Redis LLEN).",
            labels=["queue"],
        )
        waiting = celery_queue_length()
        if waiting is not None:
            broker.add_metric([settings.CELERY_TASK_DEFAULT_QUEUE], waiting)
        yield broker
        yield GaugeMetricFamily(
            "geoportal_broker_up", "1 when Redis answered LLEN.", value=float(waiting is not None)
        )
        yield GaugeMetricFamily(
            "geoportal_celery_workers", "Celery workers answering a ping.", value=live_workers()
        )


def _last_backup() -> GaugeMetricFamily:
    """When the newest verified backup finished (alert when ``time() - this`` passes a day and a
    bit: the daily backup failed or did not run); absent before the first."""
    from django.db.models import Max

    from backups.models import BackupJob
    from jobs.models import JobStatus

    gauge = GaugeMetricFamily(
        "geoportal_backup_last_success_timestamp_seconds",
        "Unix time the newest verified logical backup finished.",
    )
    try:
        newest = BackupJob.objects.filter(status=JobStatus.SUCCEEDED).aggregate(at=Max("finished_at"))["at"]
    except Exception:  # noqa: BLE001 - database down: report the rest
        log.warning("could not read the last backup", exc_info=True)
        return gauge
    if newest is not None:
        gauge.add_metric([], newest.timestamp())
    return gauge


def _client_address(request: HttpRequest) -> str:
    """The caller's address: behind our own nginx (a loopback peer that sent X-Forwarded-For) the
    address nginx appended, so a proxied outside caller never counts as local."""
    peer = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and _is_loopback(peer):
        return forwarded.split(",")[-1].strip()
    return peer


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def may_scrape(request: HttpRequest) -> bool:
    address = _client_address(request)
    if _is_loopback(address):
        return True
    try:
        ip = ipaddress.ip_address(address)
        for allowed in getattr(settings, "METRICS_ALLOWED_IPS", []):
            if ip in ipaddress.ip_network(allowed, strict=False):
                return True
    except ValueError:
        pass
    try:
        user = viewer(request)
    except BadCredentials:
        return False
    return may_read_metrics(user)


def registry() -> CollectorRegistry:
    """All processes' values (multiprocess files) plus the scrape-time figures."""
    reg = CollectorRegistry()
    multiprocess.MultiProcessCollector(reg)
    reg.register(ScrapeCollector())
    return reg


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not may_scrape(request):
        return json_error(
            403,
            "permission_denied",
            _("指标仅对本机、METRICS_ALLOWED_IPS 中的地址或管理员开放；请从这些地址抓取或以管理员令牌访问。"),
            **{"Cache-Control": "no-store"},
        )
    return HttpResponse(
        generate_latest(registry()), content_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"}
    )
