"""Scale-out, shown: two web processes and two workers against the one PostGIS and Redis.

Beside what `make run` started (nginx, gunicorn on GEOPORTAL_APP_PORT, one worker, one beat), this
starts a second gunicorn, a second Celery worker, and an nginx of its own with both gunicorns as
an upstream pair (`proxy_next_upstream` retries an idempotent request on the other one). Then:

1. **throughput:** wrk against the pair with one member and with both, on a GeoJSON page and a
   parcel tile (cached in the shared Redis);
2. **web failover:** a threaded load through the pair while the second gunicorn is killed
   (SIGKILL, master and workers): every failed request is counted;
3. **worker failover:** JOBS CSV exports are queued and the second worker is killed with SIGKILL
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
        result["web_failover"] = load_while(
            f"http://127.0.0.1:{two_port}", paths, seconds=10, action_at=3, action=lambda: kill_group(web2)
        )
        worker2 = second_worker()
        time.sleep(5)
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
