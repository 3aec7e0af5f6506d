"""Zero-downtime reload: requests keep flowing while `make reload` (scripts/reload.sh) runs.

Against the platform `make run` started: CLIENTS threads request a mix of public URLs (the map
page, TileJSON, parcel tiles at several places, a GeoJSON page, readiness) for the whole run;
after a warm-up, scripts/reload.sh migrates, HUPs gunicorn and swaps the Celery worker. Every
answer that is not a 2xx/3xx and every connection error counts as failed. The peer is the same
load with no reload, in the same run, for the latency it costs.

Prints JSON: requests, failed (target 0), p50/p95 during the reload against the quiet baseline.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from common import summary

ROOT = Path(__file__).resolve().parents[2]
BASE = f"http://{os.environ.get('GEOPORTAL_HOST', '127.0.0.1')}:{os.environ.get('GEOPORTAL_PORT', '8000')}"
PATHS = ["/", "/healthz/ready", "/tiles/parcels.json", "/api/parcels/?page_size=50"]


def tile_paths() -> list[str]:
    """Parcel tiles around the centre the TileJSON gives, at three zooms."""
    import mercantile

    with urllib.request.urlopen(BASE + "/tiles/parcels.json", timeout=30) as response:
        lon, lat = json.load(response)["center"][:2]
    tiles = [mercantile.tile(lon, lat, z) for z in (12, 13, 14)]
    return [f"/tiles/parcels/{t.z}/{t.x}/{t.y}.mvt" for t in tiles]


def hammer(stop: threading.Event, samples: list[float], failures: list[str]) -> None:
    for path in itertools.cycle(PATHS):
        if stop.is_set():
            return
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(BASE + path, timeout=30) as response:
                response.read()
                ok = response.status < 400
                status = str(response.status)
        except urllib.error.HTTPError as exc:
            ok, status = False, str(exc.code)
        except OSError as exc:
            ok, status = False, exc.__class__.__name__
        samples.append((time.perf_counter() - started) * 1000)
        if not ok:
            failures.append(f"{path} {status}")


def load(seconds: float, clients: int, during: list[str] | None = None) -> dict:
    stop = threading.Event()
    samples: list[float] = []
    failures: list[str] = []
    threads = [threading.Thread(target=hammer, args=(stop, samples, failures)) for _ in range(clients)]
    for thread in threads:
        thread.start()
    reload_seconds = None
    if during:
        time.sleep(2)
        started = time.perf_counter()
        subprocess.run(during, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        reload_seconds = round(time.perf_counter() - started, 1)
        time.sleep(2)
    else:
        time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    return {
        "requests": len(samples),
        "failed": len(failures),
        "failures": sorted(set(failures))[:10],
        **summary(samples),
        **({"reload_seconds": reload_seconds} if reload_seconds is not None else {}),
    }


def main() -> None:
    PATHS.extend(tile_paths())
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--quiet-seconds", type=float, default=15)
    args = parser.parse_args()
    quiet = load(args.quiet_seconds, args.clients)
    reloading = load(0, args.clients, during=["bash", "scripts/reload.sh"])
    print(
        json.dumps(
            {
                "clients": args.clients,
                "quiet": quiet,
                "during_reload": reloading,
                "p50_ratio_during_vs_quiet": round(reloading["p50_ms"] / quiet["p50_ms"], 2),
            },
            indent=2,
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
