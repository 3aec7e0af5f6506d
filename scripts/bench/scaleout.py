"""Scale-out, shown: two web processes and two workers against the one PostGIS and Redis.

Beside what `make run` started (nginx, gunicorn on GEOPORTAL_APP_PORT, one worker, one beat), this
starts a second gunicorn, a second Celery worker, and an nginx of its own with both gunicorns as
an upstream pair (`proxy_next_upstream` retries an idempotent request on the other one). Then:

1. **throughput:** wrk against the pair with one member and with both, on a GeoJSON page and a
   parcel tile (cached in the shared Redis);
2. **web failover:** a threaded load through the pair while the second gunicorn is killed
   (SIGKILL, master and workers): every failed request is counted;
3. **shared state, both pairs alive:** a viewer's live feed on the second gunicorn receives every
   field point written through the first (SSE over Redis pub/sub); a tile rendered by the first
   is served by the second from the shared cache (no second cache entry); the daily backup task
   delivered twice at once, to both workers, makes one backup (periodic work runs once);
4. **worker failover:** JOBS CSV exports are queued and the second worker is killed with SIGKILL
   while it runs some of them. Each job must finish once: succeeded, with exactly one file in its
   directory and the same row count, however many attempts it took.

Prints JSON. Needs `make run` (and `make bench-deps` for wrk).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from common import ROOT, free_port, setup_django, wait_http, wrk

VENV = ROOT / ".venv" / "bin"
APP_PORT = int(os.environ.get("GEOPORTAL_APP_PORT", int(os.environ.get("GEOPORTAL_PORT", "8000")) + 1))
NGINX_CONF = """
worker_processes 2;
pid {run}/nginx.pid;
error_log {run}/error.log;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    upstream geoportal {{
        {servers}
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://geoportal;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host 127.0.0.1;
            proxy_next_upstream error timeout http_502 http_503;
            proxy_next_upstream_tries 2;
            proxy_connect_timeout 2s;
        }}
    }}
}}
"""


def nginx(run: Path, port: int, app_ports: list[int]) -> subprocess.Popen:
    run.mkdir(parents=True, exist_ok=True)
    servers = " ".join(f"server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in app_ports)
    conf = run / "nginx.conf"
    conf.write_text(NGINX_CONF.format(run=run, port=port, servers=servers))
    process = subprocess.Popen(["nginx", "-c", str(conf), "-g", "daemon off;"])
    wait_http(f"http://127.0.0.1:{port}/healthz/live")
    return process


def app_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "geoportal.settings.prod")
    env.setdefault("SECRET_KEY", (ROOT / ".data" / "secret_key").read_text().strip())
    env["PYTHONPATH"] = str(ROOT)
    env["MEDIA_ACCEL_REDIRECT"] = "/_protected_media/"
    return env


def second_gunicorn(port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            str(VENV / "gunicorn"),
            "-c",
            "deploy/gunicorn.conf.py",
            "geoportal.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
        ],
        cwd=ROOT,
        env=app_env(),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_http(f"http://127.0.0.1:{port}/healthz/ready", timeout=120)
    return process


def second_worker() -> subprocess.Popen:
    return subprocess.Popen(
        [
            str(VENV / "celery"),
            "-A",
            "geoportal",
            "worker",
            "--concurrency",
            "2",
            "--hostname",
            "scaleout@%h",
        ],
        cwd=ROOT,
        env=app_env(),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def kill_group(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def load_while(base: str, paths: list[str], seconds: float, action_at: float, action) -> dict:
    stop = threading.Event()
    counts = {"requests": 0, "failed": 0}
    failures: list[str] = []

    def client() -> None:
        i = 0
        while not stop.is_set():
            path = paths[i % len(paths)]
            i += 1
            try:
                with urllib.request.urlopen(base + path, timeout=30) as response:
                    response.read()
            except (urllib.error.HTTPError, OSError) as exc:
                counts["failed"] += 1
                failures.append(f"{path} {getattr(exc, 'code', exc.__class__.__name__)}")
            counts["requests"] += 1

    threads = [threading.Thread(target=client) for _ in range(16)]
    for thread in threads:
        thread.start()
    time.sleep(action_at)
    action()
    time.sleep(seconds - action_at)
    stop.set()
    for thread in threads:
        thread.join()
    return {**counts, "failures": sorted(set(failures))[:10]}


DEMO_PASSWORD = "Geoportal-demo-2025"


def api_token(base: str, username: str = "admin") -> str:
    body = json.dumps({"username": username, "password": DEMO_PASSWORD}).encode()
    req = urllib.request.Request(
        base + "/api/auth/token/", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=30) as response:
        return json.load(response)["token"]


def live_feed_across_processes(writer: str, viewer: str, count: int) -> dict:
    """Field points written through one gunicorn, watched on the other's live feed."""
    from layers.models import FieldPointCategory
    from tiles.style import city_bounds

    key = api_token(writer)
    auth = {"Authorization": f"Token {key}"}
    received: list[int] = []
    ready = threading.Event()

    def watch() -> None:
        req = urllib.request.Request(viewer + "/api/stream/field-points/", headers=auth)
        with urllib.request.urlopen(req, timeout=60) as stream:
            ready.set()
            for raw in stream:
                line = raw.decode().strip()
                if line.startswith("data:"):
                    item = json.loads(line[5:])
                    if isinstance(item, dict) and "id" in item:
                        received.append(int(item["id"]))
                if len(set(received) & set(created)) == count:
                    return

    created: list[int] = []
    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    ready.wait(30)
    time.sleep(1)  # subscribed
    category = FieldPointCategory.objects.values_list("key", flat=True).first()
    west, south, east, north = city_bounds()
    for n in range(count):
        lon = west + (east - west) * (0.3 + 0.4 * n / count)
        lat = south + (north - south) * 0.5
        body = json.dumps(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {"category": category, "note": f"scale-out {n}"},
            }
        ).encode()
        req = urllib.request.Request(
            writer + "/api/field_points/", data=body, headers={**auth, "Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=30) as response:
            created.append(int(json.load(response)["id"]))
    thread.join(timeout=30)
    return {
        "written_on_one_web": len(created),
        "received_on_the_other": len(set(received) & set(created)),
        "lost": len(set(created) - set(received)),
    }


def tile_cache_shared(first: str, second: str) -> dict:
    """A tile no one asked for yet, rendered by the first process, then asked of the second."""
    import mercantile
    from django.conf import settings
    from django.core.cache import cache

    from tiles.style import city_bounds

    west, south, east, north = city_bounds()
    tile = mercantile.tile(west + (east - west) * 0.61, south + (north - south) * 0.37, 17)
    address = f"/tiles/parcels/{tile.z}/{tile.x}/{tile.y}.mvt"
    client = cache._cache.get_client(write=True)
    pattern = f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:tiles:{tile.z}/{tile.x}/{tile.y}:*"
    for stale in client.scan_iter(pattern):
        client.delete(stale)

    def fetch(base: str) -> tuple[float, str]:
        started = time.perf_counter()
        with urllib.request.urlopen(base + address, timeout=30) as response:
            response.read()
            return (time.perf_counter() - started) * 1000, response.headers.get("ETag", "")

    first_ms, first_etag = fetch(first)
    entries_after_first = len(list(client.scan_iter(pattern)))
    second_ms, second_etag = fetch(second)
    return {
        "tile": address,
        "first_web_ms": round(first_ms, 1),
        "second_web_ms": round(second_ms, 1),
        "same_etag": first_etag == second_etag,
        "cache_entries_after_first": entries_after_first,
        "cache_entries_after_second": len(list(client.scan_iter(pattern))),
    }


def periodic_once() -> dict:
    """``backups.daily`` delivered twice at once (as two beats would), one to each worker."""
    from django.utils import timezone

    from backups.models import BackupJob, BackupTrigger
    from backups.tasks import daily

    today = timezone.localdate()
    BackupJob.objects.filter(scheduled_for=today).delete()
    results = [daily.apply_async() for _ in range(2)]
    answers = [r.get(timeout=120) for r in results]
    jobs = BackupJob.objects.filter(trigger=BackupTrigger.SCHEDULED, scheduled_for=today)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and jobs.filter(finished_at__isnull=True).exists():
        time.sleep(1)
    return {
        "deliveries": len(answers),
        "queued_by": [a["queued"] is not None for a in answers],
        "backups_for_today": jobs.count(),
        "status": list(jobs.values_list("status", flat=True)),
    }


def export_jobs(count: int, kill) -> dict:
    from accounts.models import User
    from exports import conf
    from exports.models import ExportJob
    from exports.submit import submit

    user = User.objects.get(username="city_leader")
    jobs = [submit(user, {"format": "csv", "source": "layer", "layer": "parcels"}) for _ in range(count)]
    # Kill the second worker once it is running one of these jobs.
    ids = [j.pk for j in jobs]
    on_second = ExportJob.objects.filter(pk__in=ids, status="running", lease_owner__contains="scaleout")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not on_second.exists():
        time.sleep(0.1)
    killed_running = on_second.count()
    kill()
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if not ExportJob.objects.filter(pk__in=ids, finished_at__isnull=True).exists():
            break
        time.sleep(1)
    done = list(ExportJob.objects.filter(pk__in=ids))
    root = conf.root()
    # A job's directory holds its file and the file's manifest, and nothing a killed attempt left.
    files = [sorted(p.name for p in (root / j.file).parent.iterdir()) if j.file else [] for j in done]
    return {
        "jobs": count,
        "running_on_the_killed_worker": killed_running,
        "succeeded": sum(j.status == "succeeded" for j in done),
        "exactly_one_file_each": all(
            names == sorted([Path(j.file).name, f"{Path(j.file).name}.manifest.json"])
            for names, j in zip(files, done, strict=True)
        ),
        "rows_each": sorted({j.rows for j in done}),
        "attempts": sorted(j.attempts for j in done),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--jobs", type=int, default=8)
    args = parser.parse_args()
    setup_django()
    import mercantile

    with urllib.request.urlopen(f"http://127.0.0.1:{APP_PORT}/tiles/parcels.json", timeout=30) as response:
        lon, lat = json.load(response)["center"][:2]
    tile = mercantile.tile(lon, lat, 14)
    paths = ["/api/parcels/?page_size=50", f"/tiles/parcels/{tile.z}/{tile.x}/{tile.y}.mvt"]

    result: dict = {}
    run = Path(tempfile.mkdtemp(prefix="geoportal-scaleout-"))
    port2 = free_port()
    web2 = second_gunicorn(port2)
    one_port, two_port = free_port(), free_port()
    one = nginx(run / "one", one_port, [APP_PORT])
    two = nginx(run / "two", two_port, [APP_PORT, port2])
    worker2 = None
    try:
        # Both gunicorns warm (every process has imported the tile and API code) before measuring.
        wrk(f"http://127.0.0.1:{two_port}", paths, connections=32, seconds=5)
        result["throughput"] = {
            "one_web": wrk(f"http://127.0.0.1:{one_port}", paths, connections=32, seconds=args.seconds),
            "two_web": wrk(f"http://127.0.0.1:{two_port}", paths, connections=32, seconds=args.seconds),
        }
        one_rps = result["throughput"]["one_web"]["rps"]
        two_rps = result["throughput"]["two_web"]["rps"]
        result["throughput"]["ratio_two_vs_one"] = round(two_rps / one_rps, 2)
        worker2 = second_worker()
        time.sleep(5)
        first, second = f"http://127.0.0.1:{APP_PORT}", f"http://127.0.0.1:{port2}"
        result["live_feed"] = live_feed_across_processes(first, second, count=20)
        result["tile_cache"] = tile_cache_shared(first, second)
        result["periodic_once"] = periodic_once()
        result["web_failover"] = load_while(
            f"http://127.0.0.1:{two_port}", paths, seconds=10, action_at=3, action=lambda: kill_group(web2)
        )
        result["worker_failover"] = export_jobs(args.jobs, kill=lambda: kill_group(worker2))
    finally:
        for process in (one, two):
            process.terminate()
        for process in (web2, worker2):
            if process is not None and process.poll() is None:
                kill_group(process)
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    sys.exit(main())
