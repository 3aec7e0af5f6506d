"""Fault drill against a running `make run` platform (issue 19): Redis killed, PostgreSQL restarted.

Under a light load of uncached tile and API requests it:

1. kills Redis (``redis-cli shutdown nosave``, as scripts/services.sh stops it) and records what the
   platform answers: tiles (200 from PostGIS), an upload (503 JSON, no job kept), /healthz (503
   naming the broker);
2. starts Redis again (``scripts/services.sh start``) and shows recovery (tiles, an accepted
   upload, /healthz);
3. restarts PostgreSQL (``pg_ctl restart``, run as the postgres user like the services script) and
   reports the status codes, the maximum request latency, and that requests succeed again with
   no restart of the app.

Prints one JSON document. Usage: ``make drill`` (or ``python scripts/drill.py --base URL``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
REDIS_PORT = os.environ.get("GEOPORTAL_REDIS_PORT", "63790")
DEMO_PASSWORD = "Geoportal-demo-2025"


def request(
    base: str, path: str, *, data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, float, bytes]:
    started = time.monotonic()
    req = urllib.request.Request(base + path, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read()
    except OSError:
        status, body = 0, b""
    return status, time.monotonic() - started, body


class Load(threading.Thread):
    """A few requests a second: uncached parcel tiles (a random filter makes each one new) and an
    API read, recorded per phase."""

    def __init__(self, base: str, center: tuple[float, float]) -> None:
        super().__init__(daemon=True)
        self.base, self.center = base, center
        self.phase = "baseline"
        self.seen: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
        self.latency: dict[str, float] = defaultdict(float)
        self.halt = threading.Event()

    def run(self) -> None:
        import math

        lon, lat = self.center
        z = 14
        n = 2**z
        x0 = int((lon + 180) / 360 * n)
        y0 = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
        while not self.halt.is_set():
            x, y = x0 + random.randint(-2, 2), y0 + random.randint(-2, 2)
            gte = random.randint(0, 10**6) / 1000
            for kind, path in (
                ("tile", f"/tiles/parcels/{z}/{x}/{y}.mvt?area_m2__gte={gte}"),
                ("api", "/api/parcels/?page_size=5"),
            ):
                phase = self.phase
                status, seconds, _ = request(self.base, path)
                self.seen[phase][kind][str(status)] += 1
                self.latency[phase] = max(self.latency[phase], seconds)
            time.sleep(0.1)


def token(base: str) -> str:
    body = json.dumps({"username": "admin", "password": DEMO_PASSWORD}).encode()
    headers = {"Content-Type": "application/json"}
    status, _, raw = request(base, "/api/auth/token/", data=body, headers=headers)
    if status != 200:
        raise SystemExit(f"could not log in as admin ({status}): is `make run` up with the demo city?")
    return json.loads(raw)["token"]


def upload(base: str, key: str) -> dict[str, Any]:
    """A tiny GeoJSON, unique each time (so never an earlier job's duplicate)."""
    geojson = json.dumps({"type": "FeatureCollection", "features": [], "drill": uuid.uuid4().hex}).encode()
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nvector\r\n',
        f'--{boundary}\r\nContent-Disposition: form-data; name="layer"\r\n\r\nparcels\r\n',
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="drill.geojson"\r\n'
        "Content-Type: application/geo+json\r\n\r\n",
    ]
    data = "".join(parts).encode() + geojson + f"\r\n--{boundary}--\r\n".encode()
    headers = {"Authorization": f"Token {key}", "Content-Type": f"multipart/form-data; boundary={boundary}"}
    status, seconds, raw = request(base, "/api/ingest/jobs/", data=data, headers=headers)
    try:
        body = json.loads(raw)
    except ValueError:
        body = {"raw": raw[:200].decode(errors="replace")}
    return {"status": status, "seconds": round(seconds, 3), "error": body.get("error"), "job": body.get("id")}


def health(base: str) -> dict[str, Any]:
    status, _, raw = request(base, "/healthz")
    try:
        failed = json.loads(raw).get("failed")
    except ValueError:
        failed = None
    return {"status": status, "failed": failed}


def sh(command: str) -> int:
    return subprocess.run(["bash", "-c", command], cwd=ROOT, capture_output=True).returncode


def pg_data_dir() -> str:
    # The scripts' own rule (scripts/lib.sh pg_data_dir).
    out = subprocess.run(
        ["bash", "-c", "source scripts/lib.sh; pg_data_dir"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


def wait_for(check, seconds: float) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if check():
            return round(time.monotonic() - started, 2)
        time.sleep(0.2)
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default=f"http://127.0.0.1:{os.environ.get('GEOPORTAL_PORT', '8000')}")
    parser.add_argument("--outage", type=float, default=6, help="seconds Redis stays down")
    args = parser.parse_args()
    base = args.base.rstrip("/")

    key = token(base)
    status, _, raw = request(base, "/tiles/parcels.json")
    center = tuple(json.loads(raw)["center"][:2]) if status == 200 else (112.05719, 22.93149)
    load = Load(base, center)
    load.start()
    report: dict[str, Any] = {"base": base}
    time.sleep(2)

    # 1. Redis killed under load.
    load.phase = "redis_down"
    sh(f"redis-cli -p {REDIS_PORT} shutdown nosave")
    time.sleep(0.5)
    report["redis_down"] = {"upload": upload(base, key), "healthz": health(base)}
    time.sleep(args.outage)

    # 2. Redis back: everything recovers by itself.
    sh("scripts/services.sh start")
    load.phase = "redis_back"
    report["redis_back"] = {
        "healthz_ok_after_s": wait_for(lambda: health(base)["status"] == 200, 60),
        "upload": upload(base, key),
    }
    time.sleep(2)

    # 3. PostgreSQL restarted under load.
    load.phase = "pg_restart"
    data_dir = pg_data_dir()
    started = time.monotonic()
    # With a log file: a postmaster started without one keeps our output pipe open for good.
    pg_ctl = f"runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D '{data_dir}'"
    rc = sh(f"{pg_ctl} -l '{data_dir}/server.log' -m fast -w restart")
    report["pg_restart"] = {"pg_ctl_rc": rc, "restart_s": round(time.monotonic() - started, 2)}
    load.phase = "pg_back"
    report["pg_restart"]["api_ok_after_s"] = wait_for(
        lambda: request(base, "/api/parcels/?page_size=1")[0] == 200, 60
    )
    time.sleep(2)
    load.halt.set()
    load.join(timeout=35)

    report["load"] = {
        phase: {
            "status_codes": {kind: dict(codes) for kind, codes in kinds.items()},
            "max_latency_s": round(load.latency[phase], 3),
        }
        for phase, kinds in load.seen.items()
    }
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
