"""Vector tile benchmarks (issue: vector tile server). Needs `DEMO_SCALE=1 make run` first.

    .venv/bin/python scripts/bench/tiles.py [--seconds 10]

One run measures, on a fixed list of parcel tiles from z10 to z16:
- uncached: our app server (cache versions bumped before each round) against the exact SQL it
  runs, executed bare in PostgreSQL (the floor);
- throughput against django-vectortiles serving the same table (both uncached, and ours as
  deployed with its cache);
- low zoom: every tile of every public layer from z0 to z13 over the city (size, latency);
- cached: our server behind nginx against nginx serving the same tile bytes as static files;
- concurrency: 400 connections on a mixed tile list through nginx.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from common import ROOT, free_port, report, setup_django, start_gunicorn, summary, wait_http, wrk

# Ports of the helper servers this benchmark starts, chosen free at start-up.
PEER_PORT, UNCACHED_PORT, STATIC_PORT = free_port(), free_port(), free_port()

APP = "http://127.0.0.1:8001"  # gunicorn behind nginx, as make run starts it
FRONT = "http://127.0.0.1:8000"  # nginx
LIMIT_BYTES = 500 * 1024


def fetch(url: str, gzip_ok: bool = True) -> tuple[int, bytes, float]:
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip" if gzip_ok else "identity"})
    started = time.perf_counter()
    with urllib.request.urlopen(request) as response:
        body = response.read()
        status = response.status
    return status, body, (time.perf_counter() - started) * 1000


def tile_list(per_zoom: int = 8) -> list[tuple[int, int, int]]:
    """Tiles holding public parcels spread evenly through the table, z10 to z16."""
    import mercantile
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_X(p), ST_Y(p) FROM ("
            "  SELECT ST_PointOnSurface(geom) p, row_number() OVER (ORDER BY id) n"
            "  FROM layers_landparcel WHERE is_public AND deleted_at IS NULL) s "
            "WHERE n %% (SELECT greatest(count(*) / %s, 1) FROM layers_landparcel WHERE is_public) = 0 "
            "LIMIT %s",
            [per_zoom, per_zoom],
        )
        points = cursor.fetchall()
    tiles = []
    for z in range(10, 17):
        for lon, lat in points:
            t = mercantile.tile(lon, lat, z)
            if (z, t.x, t.y) not in tiles:
                tiles.append((z, t.x, t.y))
    return tiles


def floor_query(z: int, x: int, y: int):
    """The SQL our renderer runs for this anonymous parcel tile, as a callable."""
    from django.contrib.auth.models import AnonymousUser
    from django.db import connection

    from tiles import sql
    from tiles.config import TILE_LAYERS, aggregate_level
    from tiles.render import detail_tolerance, tile_where

    layer = TILE_LAYERS["parcels"]
    where, params = tile_where(layer, AnonymousUser(), {}, z)
    params.update(z=z, x=x, y=y, name="parcels")
    if z >= layer.detail_minzoom:
        params["tolerance"] = detail_tolerance(layer, z)
        statements = [(sql.detail(layer, where, params["tolerance"]), params)]
    else:
        level = aggregate_level(z)
        count_sql = sql.division_counts(layer, where, level)

        def run() -> None:
            with connection.cursor() as cursor:
                cursor.execute(count_sql, params)
                counts = dict(cursor.fetchall())
                cursor.execute(
                    sql.aggregate(level),
                    {**params, "level": level, "codes": list(counts), "counts": list(counts.values())},
                )
                cursor.fetchone()

        return run

    def run() -> None:
        with connection.cursor() as cursor:
            for statement, values in statements:
                cursor.execute(statement, values)
                cursor.fetchone()

    return run


def uncached_vs_floor(tiles: list[tuple[int, int, int]], rounds: int = 10) -> dict:
    import http.client
    from urllib.parse import urlsplit

    from tiles.cache import bump

    # One kept-alive connection to the app server, as nginx's upstream pool holds them in front.
    app = urlsplit(APP)
    conn = http.client.HTTPConnection(app.hostname, app.port)

    def kept(path: str) -> float:
        started = time.perf_counter()
        conn.request("GET", path, headers={"Accept-Encoding": "gzip"})
        conn.getresponse().read()
        return (time.perf_counter() - started) * 1000

    ours: dict[int, list[float]] = {}
    floor: dict[int, list[float]] = {}
    # What one request costs this client and server before any tile work: the same HTTP hop to a
    # view that does nothing (the SQL floor has no hop at all).
    hop = [kept("/healthz/live") for _ in range(200)]
    for _ in range(rounds):
        bump()
        for z, x, y in tiles:
            ours.setdefault(z, []).append(kept(f"/tiles/parcels/{z}/{x}/{y}.mvt"))
        for z, x, y in tiles:
            run = floor_query(z, x, y)
            started = time.perf_counter()
            run()
            floor.setdefault(z, []).append((time.perf_counter() - started) * 1000)
    per_zoom = {
        z: {
            "ours_p50_ms": round(statistics.median(ours[z]), 2),
            "floor_p50_ms": round(statistics.median(floor[z]), 2),
            "overhead": round(statistics.median(ours[z]) / statistics.median(floor[z]) - 1, 3),
            "added_ms": round(statistics.median(ours[z]) - statistics.median(floor[z]), 2),
        }
        for z in sorted(ours)
    }
    detail = [z for z in ours if z >= 12]
    all_ours = [v for z in detail for v in ours[z]]
    all_floor = [v for z in detail for v in floor[z]]
    conn.close()
    return {
        "http_hop_p50_ms": round(statistics.median(hop), 2),
        "per_zoom": per_zoom,
        "detail_z12_16": {
            "ours": summary(all_ours),
            "floor": summary(all_floor),
            "overhead_p50": round(statistics.median(all_ours) / statistics.median(all_floor) - 1, 3),
        },
        "all_z10_16": {
            "ours": summary([v for vs in ours.values() for v in vs]),
            "floor": summary([v for vs in floor.values() for v in vs]),
        },
    }


def low_zoom_sweep() -> dict:
    """Every tile over the city for each public layer and the map's composite, z0 to z13, uncached."""
    import mercantile

    from tiles.cache import bump
    from tiles.config import TILE_LAYERS
    from tiles.style import city_bounds

    bump()
    bounds = city_bounds()
    layers = [name for name, t in TILE_LAYERS.items() if t.spec.public] + [
        "parcels,buildings,parks,amenities"
    ]
    biggest: dict[str, dict] = {}
    low_latency: list[float] = []
    count = 0
    for name in layers:
        for t in mercantile.tiles(*bounds, zooms=range(0, 14)):
            status, body, ms = fetch(f"{APP}/tiles/{name}/{t.z}/{t.x}/{t.y}.mvt", gzip_ok=False)
            count += 1
            if t.z <= 11:
                low_latency.append(ms)
            if len(body) > biggest.get(name, {}).get("bytes", -1):
                biggest[name] = {"bytes": len(body), "tile": f"{t.z}/{t.x}/{t.y}", "ms": round(ms, 1)}
    largest = max(v["bytes"] for v in biggest.values())
    return {
        "tiles_requested": count,
        "largest_per_layer": biggest,
        "largest_bytes": largest,
        "all_under_500KB": largest <= LIMIT_BYTES,
        "z0_11_uncached": summary(low_latency),
    }


def static_floor_dir(tiles: list[tuple[int, int, int]]) -> Path:
    root = Path(tempfile.mkdtemp(prefix="tiles-static-"))
    root.chmod(0o755)  # nginx workers run as nobody
    for z, x, y in tiles:
        status, body, _ms = fetch(f"{APP}/tiles/parcels/{z}/{x}/{y}.mvt")
        path = root / "tiles" / "parcels" / str(z) / str(x) / f"{y}.mvt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body if status == 200 else gzip.compress(b""))
    conf = root / "nginx.conf"
    conf.write_text(f"""
worker_processes auto; pid {root}/nginx.pid; error_log {root}/error.log; daemon on;
events {{ worker_connections 8192; }}
http {{
  access_log off; sendfile on; tcp_nopush on; keepalive_requests 100000;
  client_body_temp_path {root}/tmp; proxy_temp_path {root}/tmp;
  fastcgi_temp_path {root}/tmp; uwsgi_temp_path {root}/tmp; scgi_temp_path {root}/tmp;
  server {{
    listen 127.0.0.1:{STATIC_PORT} backlog=4096;
    root {root};
    location /tiles/ {{ default_type application/vnd.mapbox-vector-tile; add_header Content-Encoding gzip; }}
  }}
}}
""")
    (root / "tmp").mkdir()
    subprocess.run(["nginx", "-c", str(conf)], check=True)
    return root


def parcels_version() -> str:
    """The parcels' data version, read from the TileJSON an anonymous map would load."""
    import json
    from urllib.parse import parse_qs, urlsplit

    _status, body, _ms = fetch(f"{FRONT}/tiles/parcels.json", gzip_ok=False)
    return parse_qs(urlsplit(json.loads(body)["tiles"][0]).query)["v"][0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    setup_django("geoportal.settings.prod")
    wait_http(f"{FRONT}/healthz")

    tiles = tile_list()
    paths = [f"/tiles/parcels/{z}/{x}/{y}.mvt" for z, x, y in tiles]
    result: dict = {"tiles": len(tiles)}
    result["uncached"] = uncached_vs_floor(tiles)
    result["low_zoom"] = low_zoom_sweep()

    peer = start_gunicorn(PEER_PORT, {"DJANGO_SETTINGS_MODULE": "peer.settings"}, str(ROOT / "scripts/bench"))
    uncached = start_gunicorn(UNCACHED_PORT, {"TILES_CACHE": "false"})
    try:
        peer_paths = [p.replace("/tiles/parcels/", "/vt/parcels/") for p in paths]
        peer_run = wrk(f"http://127.0.0.1:{PEER_PORT}", peer_paths, 16, args.seconds)
        ours_uncached = wrk(f"http://127.0.0.1:{UNCACHED_PORT}", paths, 16, args.seconds)
        ours_front = wrk(FRONT, paths, 16, args.seconds)
        result["vs_django_vectortiles"] = {
            "peer": peer_run,
            "ours_uncached": ours_uncached,
            "ours_as_deployed": ours_front,
            "ratio_uncached": round(ours_uncached["rps"] / peer_run["rps"], 2),
            "ratio_as_deployed": round(ours_front["rps"] / peer_run["rps"], 2),
        }
    finally:
        peer.terminate()
        uncached.terminate()

    static_root = static_floor_dir(tiles)
    # The URLs TileJSON hands out (issue 19): versioned, immutable, so nginx's cache holds them.
    versioned = [f"{path}?v={parcels_version()}" for path in paths]
    try:
        wrk(FRONT, versioned, 64, 2)  # warm nginx's cache and the Redis tile cache
        nginx_static = wrk(f"http://127.0.0.1:{STATIC_PORT}", paths, 64, args.seconds)
        ours_cached = wrk(FRONT, versioned, 64, args.seconds)
        django_cached = wrk(APP, paths, 64, args.seconds)
        result["cached"] = {
            "versioned_urls": True,
            "nginx_static_floor": nginx_static,
            "ours_through_nginx": ours_cached,
            "ours_django_redis_only": django_cached,
            "ratio_vs_nginx": round(ours_cached["rps"] / nginx_static["rps"], 2),
            "ratio_django_only_vs_nginx": round(django_cached["rps"] / nginx_static["rps"], 2),
        }
    finally:
        subprocess.run(["nginx", "-c", str(static_root / "nginx.conf"), "-s", "quit"], check=False)

    mixed = [
        f"/tiles/{layer}/{z}/{x}/{y}.mvt"
        for z, x, y in tiles
        for layer in ("parcels", "buildings", "parks", "amenities", "divisions")
    ]
    result["concurrency_400"] = wrk(FRONT, mixed, 400, max(args.seconds, 15))
    report("tiles", result)


if __name__ == "__main__":
    main()
