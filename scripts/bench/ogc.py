"""OGC API Features and exports (issue 18): items as GeoJSON against the SQL floor and pygeoapi, the
deepest page, a GeoPackage export of every parcel against ogr2ogr, and the memory of a 1,000,000-row
CSV export.

    make bench-ogc                   # or: .venv/bin/python scripts/bench/ogc.py [--only items ...]

Needs PostgreSQL and Redis (`make setup` or `make run`), gdal-bin's ogr2ogr and PyPI (pip) for the
peer; `make run` itself is not needed. Everything runs against a database of its own (``bench_ogc``,
created, migrated and dropped here; ``--keep-db`` keeps it, and the next run reuses it and skips the
load) holding the demo city at ``--scale`` (default 1, the issue's: about 200,200 parcels; ``manage.py
seed_demo``, timed and reported), served by a gunicorn started here as `make run` starts one
(production settings, 4 × 16 gthread), with its own media folder, cache prefix and Celery queue, and
Celery workers of its own on that queue for the export jobs (``--pool solo``: the job runs in the
worker's main process, whose peak resident memory is read from ``/proc/<pid>/status``). Reads are
anonymous (published rows of public layers), exports are asked for by the demo ``admin``. Prints one
JSON document: medians of ``--runs`` runs after warm-ups, and ratios ours / theirs (above 1 is
slower). A part whose endpoint is not there yet says ``skipped`` and why.

1. **Items as GeoJSON** for a bbox of about 1,000 and one of about 10,000 public parcels
   (``layers_bbox.find_bbox``); the response bytes fetched over HTTP, nothing parsed in the timing:
   - floor: the same FeatureCollection of the first ``n`` by id built in one PostgreSQL query
     (``ST_AsGeoJSON`` and ``json_agg``: the query of ``layers_bbox.py`` with ``LIMIT n``), its text
     fetched through psycopg;
   - ours: ``GET /ogc/collections/parcels/items?bbox=…&limit=n``, and ``GET /api/parcels/?bbox=…
     &page_size=1000`` with its ``next`` links followed over the pages that hold those ``n`` (the
     time is the sum of the requests);
   - peer: pygeoapi from PyPI with its ``PostgreSQL`` provider on ``layers_landparcel`` (id field
     ``id``, geometry ``geom``), its Flask app under gunicorn (the same 4 × 16 gthread) on a free
     port, configured from ``.data/bench/pygeoapi-config.yml`` (written here). Its provider cannot
     hide unpublished rows, so it is asked with ``is_public=true``. It lives in its own venv,
     ``.data/bench/pygeoapi-venv``, installed with ``pip --ignore-requires-python`` and the
     platform's versions of the packages both use as constraints (the newest pyproj has wheels for
     Python 3.12 only). ``--pygeoapi`` (default 0.24.0, the issue's) is tried first; a release whose
     code does not compile on this Python is passed over for 0.23.5, the newest that runs on 3.11,
     and the JSON says which ran and why.
2. **The deepest page:** every ``next`` link of ``/ogc/collections/parcels/items?limit=1000`` is
   followed to the last page once; then the first page (which also counts ``numberMatched``), the
   second, the deepest full page and the last page are timed: keyset paging makes the deepest as
   fast as the second.
3. **GeoPackage export of all parcels:** ``POST /api/exports/jobs/`` (``layer`` parcels, ``format``
   gpkg), polled every 50 ms until the job has succeeded (the wall time; the worker's own time from
   the job's ``started_at`` to ``finished_at`` beside it), against ``ogr2ogr -f GPKG`` from the same
   table (``PG:``, the rows not deleted); the feature counts of both files (pyogrio) are reported.
4. **CSV export of 1,000,000 rows:** the demo city holds about 200,200 parcels at scale 1 and no
   table of it a million rows, so after the other parts the parcels of this bench database are
   copied in SQL (a suffix on the code, every other column the same) until the table holds
   ``--rows``; then ``POST /api/exports/jobs/`` (parcels, csv) on a fresh worker, whose peak resident
   memory (``VmHWM``) should stay under 300 MB. Its idle memory before the job is reported beside it
   (what the process holds once Django and every app are imported).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from common import (
    ROOT,
    bench_env,
    drop_cache_keys,
    free_port,
    own_server,
    ratio,
    report,
    setup_django,
    summary,
    timed,
    wait_http,
)
from editor import Client, _database_url, _load_demo, _part
from layers_bbox import FLOOR_SQL, find_bbox

DB_NAME = "bench_ogc"
PARTS = ("items", "deep", "gpkg", "csv")
BENCH_DIR = ROOT / ".data" / "bench"
PYGEOAPI_VENV = BENCH_DIR / "pygeoapi-venv"
PYGEOAPI_VERSION = "0.24.0"  # the issue's
# The newest release whose code runs on Python 3.11 (0.24.0 uses 3.12's f-string syntax in its maps API,
# which its OpenAPI generator and Flask app import); its PostgreSQL provider (provider/sql.py) differs
# from 0.24.0's only in the connection pool's options.
PYGEOAPI_FALLBACK = "0.23.5"
ITEMS_SIZES = (1000, 10000)
API_PAGE = 1000  # /api/parcels/'s largest page
DEEP_PAGE = 1000
CSV_ROWS = 1_000_000
RSS_LIMIT_MB = 300
GEOJSON = "application/geo+json"


# --- HTTP --------------------------------------------------------------------------------------


def _get(url: str, accept: str = GEOJSON) -> tuple[float, bytes]:
    """Milliseconds until the whole body is read, and the body (a fresh connection, as a GIS client
    opens; loopback, so its cost is a fraction of a millisecond)."""
    request = urllib.request.Request(url, headers={"Accept": accept})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=600) as response:  # noqa: S310 - our own servers
        body = response.read()
    return (time.perf_counter() - started) * 1000, body


def _next_link(document: dict[str, Any]) -> str | None:
    """The next page: OGC API's ``links`` (rel next), or DRF's ``next``."""
    if "links" in document:
        return next((link["href"] for link in document["links"] if link.get("rel") == "next"), None)
    return document.get("next")


def _walk(url: str, accept: str = GEOJSON, max_pages: int | None = None) -> dict[str, Any]:
    """The pages from ``url`` on by their next links (all, or the first ``max_pages``): the time spent
    in the requests (the parsing that finds the next link is not counted), pages, features and the
    URL and feature count of each page."""
    spent, pages, features, urls = 0.0, 0, 0, []
    while url and (max_pages is None or pages < max_pages):
        ms, body = _get(url, accept)
        spent += ms
        document = json.loads(body)
        pages += 1
        features += len(document.get("features", ()))
        urls.append((url, len(document.get("features", ()))))
        url = _next_link(document)
    return {"ms": spent, "pages": pages, "features": features, "urls": urls}


def _exists(url: str) -> str | None:
    """None when ``url`` answers 200, else why not (the part that needs it is skipped)."""
    try:
        _get(url, accept="application/json")
    except urllib.error.HTTPError as exc:
        return f"{url} answers {exc.code}"
    return None


# --- pygeoapi ------------------------------------------------------------------------------------


def _install_pygeoapi(version: str) -> None:
    """pygeoapi ``version`` into its own venv (made when missing). The packages it shares with the
    platform are pinned to the platform's versions, which have wheels for this Python (the newest
    pyproj has them for 3.12 only, and its sdist needs a newer PROJ than Debian's)."""
    python = PYGEOAPI_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run(
            [str(Path(sys.base_prefix) / "bin" / "python3"), "-m", "venv", str(PYGEOAPI_VENV)], check=True
        )
    frozen = subprocess.run(
        [str(ROOT / ".venv/bin/python"), "-m", "pip", "freeze", "--exclude-editable"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    constraints = BENCH_DIR / "pygeoapi-constraints.txt"
    constraints.write_text("\n".join(ln for ln in frozen.splitlines() if "@" not in ln) + "\n")
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "--ignore-requires-python"]
        + ["-c", str(constraints), f"pygeoapi=={version}", "geoalchemy2", "psycopg2-binary", "gunicorn"],
        check=True,
    )


def _pygeoapi_runs(python: Path) -> str | None:
    """None when the installed pygeoapi compiles on this Python, else the first error (a release that
    only declares a newer Python may still run; one that uses its syntax cannot)."""
    site = subprocess.run(
        [str(python), "-c", "import os, pygeoapi; print(os.path.dirname(pygeoapi.__file__))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    compiled = subprocess.run([str(python), "-m", "compileall", "-q", site], capture_output=True, text=True)
    if compiled.returncode == 0:
        return None
    lines = [ln.strip() for ln in compiled.stdout.splitlines() if ln.strip()]
    return " ".join(lines[:4]).replace(site, "pygeoapi")


def _pygeoapi_venv(versions: list[str]) -> dict[str, Any]:
    """The first of ``versions`` that runs on this machine's Python, installed in its own venv;
    which one, and why the ones before it were passed over. A rejection is remembered in the venv
    (per Python version) so that the next run does not install it again to find out."""
    python = PYGEOAPI_VENV / "bin" / "python"
    memo = PYGEOAPI_VENV / "bench-rejected.json"
    rejected: dict[str, str] = {}
    if memo.exists():
        rejected = json.loads(memo.read_text())
    here = f"Python {sys.version_info.major}.{sys.version_info.minor}"
    passed_over = {}
    for version in versions:
        key = f"{version} on {here}"
        if key in rejected:
            passed_over[version] = rejected[key]
            continue
        probe = [
            str(python),
            "-c",
            "import pygeoapi, geoalchemy2, psycopg2, gunicorn; print(pygeoapi.__version__)",
        ]
        have = subprocess.run(probe, capture_output=True, text=True) if python.exists() else None
        installed = "kept from an earlier run"
        if have is None or have.returncode or have.stdout.strip() != version:
            started = time.perf_counter()
            _install_pygeoapi(version)
            installed = f"pip install --ignore-requires-python ({time.perf_counter() - started:.0f} s)"
        error = _pygeoapi_runs(python)
        if error:
            rejected[key] = f"does not compile on {here}: {error}"
            memo.write_text(json.dumps(rejected, indent=2))
            passed_over[version] = rejected[key]
            continue
        metadata = subprocess.run(
            [
                str(python),
                "-c",
                "from importlib.metadata import metadata; print(metadata('pygeoapi')['Requires-Python'])",
            ],
            capture_output=True,
            text=True,
        ).stdout.strip()
        return {
            "version": version,
            "requires_python": metadata,
            "python": subprocess.run(
                [str(python), "--version"], capture_output=True, text=True
            ).stdout.strip(),
            "venv": str(PYGEOAPI_VENV.relative_to(ROOT)),
            "installed": installed,
            "passed_over": passed_over,
        }
    raise RuntimeError(f"no pygeoapi of {versions} runs here: {passed_over}")


def _pygeoapi_config(port: int) -> dict[str, Any]:
    """The smallest configuration pygeoapi accepts: one collection, its PostgreSQL provider on the
    bench database's parcels."""
    from django.db import connection

    db = connection.settings_dict
    url = f"http://127.0.0.1:{port}"
    link = {"url": url}
    return {
        "server": {
            "bind": {"host": "127.0.0.1", "port": port},
            "url": url,
            "mimetype": "application/json; charset=UTF-8",
            "encoding": "utf-8",
            "languages": ["en-US"],
            "limits": {"default_items": 10, "max_items": max(ITEMS_SIZES)},
            "map": {"url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png", "attribution": "OSM"},
        },
        "logging": {"level": "ERROR"},
        "metadata": {
            "identification": {
                "title": "bench",
                "description": "bench_ogc parcels",
                "keywords": ["bench"],
                "keywords_type": "theme",
                "terms_of_service": url,
                **link,
            },
            "license": {"name": "none", **link},
            "provider": {"name": "bench", **link},
            "contact": {"name": "bench", "position": "bench", "email": "bench@example.org", **link},
        },
        "resources": {
            "parcels": {
                "type": "collection",
                "title": "parcels",
                "description": "layers_landparcel",
                "keywords": ["parcels"],
                "links": [],
                "extents": {
                    "spatial": {
                        "bbox": [-180, -90, 180, 90],
                        "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
                    }
                },
                "providers": [
                    {
                        "type": "feature",
                        "name": "PostgreSQL",
                        "data": {
                            "host": db["HOST"],
                            "port": int(db["PORT"]),
                            "dbname": db["NAME"],
                            "user": db["USER"],
                            "password": db["PASSWORD"],
                            "search_path": ["public"],
                        },
                        "id_field": "id",
                        "table": "layers_landparcel",
                        "geom_field": "geom",
                    }
                ],
            }
        },
    }


@contextmanager
def _pygeoapi() -> Iterator[str]:
    """pygeoapi's Flask app under gunicorn on a free port; yields its base URL, stops it after."""
    port = free_port()
    config = BENCH_DIR / "pygeoapi-config.yml"
    openapi = BENCH_DIR / "pygeoapi-openapi.yml"
    config.write_text(json.dumps(_pygeoapi_config(port), indent=2))  # JSON is YAML
    bin_dir = PYGEOAPI_VENV / "bin"
    env = {**os.environ, "PYGEOAPI_CONFIG": str(config), "PYGEOAPI_OPENAPI": str(openapi)}
    generate = [str(bin_dir / "pygeoapi"), "openapi", "generate", str(config), "--output-file", str(openapi)]
    subprocess.run(generate, env=env, check=True, capture_output=True, cwd=BENCH_DIR)
    log = (BENCH_DIR / "pygeoapi.log").open("w")
    proc = subprocess.Popen(
        [str(bin_dir / "gunicorn"), "pygeoapi.flask_app:APP", "--bind", f"127.0.0.1:{port}"]
        + ["--workers", "4", "--worker-class", "gthread", "--threads", "16", "--log-level", "warning"],
        env=env,
        cwd=BENCH_DIR,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/collections?f=json", timeout=120, accept_any_status=True)
        if proc.poll() is not None:
            raise RuntimeError(f"pygeoapi exited; see {BENCH_DIR / 'pygeoapi.log'}")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


# --- 1. items as GeoJSON ---------------------------------------------------------------------------


def _public_in(box: tuple[float, ...]) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM layers_landparcel WHERE deleted_at IS NULL AND is_public "
            "AND ST_Intersects(geom, ST_MakeEnvelope(%s, %s, %s, %s, 4326))",
            box,
        )
        return cursor.fetchone()[0]


def _floor(box: tuple[float, ...], limit: int) -> tuple[int, Any]:
    """The FeatureCollection of ``limit`` public parcels in ``box`` as one query's text: its length,
    and a callable that runs it again."""
    from django.db import connection

    sql = FLOOR_SQL.replace("LIMIT 1000", "LIMIT %s")

    def run() -> int:
        with connection.cursor() as cursor:
            cursor.execute(sql, [*box, *box, limit])
            return len(cursor.fetchone()[0])

    return run(), run


def _samples(fn: Any, runs: int, warmup: int = 8) -> list[float]:
    """``fn`` returns its own milliseconds (HTTP time without the parsing). Warm-up calls first, twice
    as many as the servers have worker processes (each opens its connections and, in pygeoapi,
    reflects the table on its first request)."""
    for _ in range(warmup):
        fn()
    return [fn() for _ in range(runs)]


def items(url: str, peer: str | None, peer_info: dict[str, Any], runs: int) -> dict[str, Any]:
    from django.db import connection

    ogc_missing = _exists(f"{url}/ogc/collections/parcels")
    out: dict[str, Any] = {}
    for size in ITEMS_SIZES:
        with connection.cursor() as cursor:
            box = find_bbox(cursor, size)
        bbox = ",".join(f"{v:.6f}" for v in box)
        hits = _public_in(box)
        floor_bytes, floor_fn = _floor(box, size)
        floor = summary(timed(floor_fn, runs))
        row: dict[str, Any] = {
            "bbox": [round(v, 6) for v in box],
            "public_parcels_in_bbox": hits,
            "floor_sql": {**floor, "bytes": floor_bytes},
        }
        if ogc_missing:
            row["ours_ogc_items"] = {"skipped": f"no OGC API yet ({ogc_missing})"}
        else:
            ogc_url = f"{url}/ogc/collections/parcels/items?bbox={bbox}&limit={size}"
            _, body = _get(ogc_url)
            document = json.loads(body)
            ogc = summary(_samples(lambda u=ogc_url: _get(u)[0], runs))
            row["ours_ogc_items"] = {
                **ogc,
                "url": ogc_url.removeprefix(url),
                "bytes": len(body),
                "number_returned": document.get("numberReturned", len(document.get("features", ()))),
                "number_matched": document.get("numberMatched"),
                "ratio_vs_floor": ratio(ogc, floor),
            }
        api_url = f"{url}/api/parcels/?bbox={bbox}&page_size={API_PAGE}"
        # The pages holding the same features as the floor's LIMIT (DRF offers no geo+json).
        pages = -(-min(hits, size) // API_PAGE)
        walked = _walk(api_url, "application/json", pages)
        api = summary(_samples(lambda u=api_url, n=pages: _walk(u, "application/json", n)["ms"], runs))
        row["ours_api_parcels"] = {
            **api,
            "url": api_url.removeprefix(url),
            "pages": walked["pages"],
            "features": walked["features"],
            "ratio_vs_floor": ratio(api, floor),
        }
        if peer is None:
            row["peer_pygeoapi"] = {"skipped": peer_info.get("error", "pygeoapi not started")}
        else:
            peer_url = f"{peer}/collections/parcels/items?bbox={bbox}&limit={size}&is_public=true&f=json"
            _, body = _get(peer_url, accept="application/geo+json")
            document = json.loads(body)
            peer_stats = summary(_samples(lambda u=peer_url: _get(u)[0], runs))
            row["peer_pygeoapi"] = {
                **peer_stats,
                "url": peer_url.removeprefix(peer),
                "bytes": len(body),
                "number_returned": document.get("numberReturned"),
                "ratio_vs_floor": ratio(peer_stats, floor),
            }
            if "p50_ms" in row["ours_ogc_items"]:
                row["ours_ogc_items"]["ratio_vs_pygeoapi"] = ratio(row["ours_ogc_items"], peer_stats)
            row["ours_api_parcels"]["ratio_vs_pygeoapi"] = ratio(api, peer_stats)
        out[f"about_{size}"] = row
    return out


# --- 2. the deepest page ----------------------------------------------------------------------------


def deepest_page(url: str, runs: int) -> dict[str, Any]:
    missing = _exists(f"{url}/ogc/collections/parcels")
    if missing:
        return {"skipped": f"no OGC API yet ({missing})"}
    walked = _walk(f"{url}/ogc/collections/parcels/items?limit={DEEP_PAGE}")
    urls = walked["urls"]
    first = urls[0][0]
    # The first page also counts numberMatched; the pages after it carry the count in their cursor, so
    # the second page is the like-for-like reference of the deepest.
    second = urls[1][0] if len(urls) > 1 else first
    deepest_full = next((u for u, n in reversed(urls) if n == DEEP_PAGE), urls[-1][0])
    last = urls[-1][0]
    first_stats = summary(_samples(lambda: _get(first)[0], runs))
    second_stats = summary(_samples(lambda: _get(second)[0], runs))
    deep_stats = summary(_samples(lambda: _get(deepest_full)[0], runs))
    last_stats = summary(_samples(lambda: _get(last)[0], runs))
    return {
        "pages": walked["pages"],
        "features": walked["features"],
        "walk_all_pages_ms": round(walked["ms"], 1),
        "first_page": {**first_stats, "url": first.removeprefix(url)},
        "second_page": {**second_stats, "url": second.removeprefix(url)},
        "deepest_full_page": {**deep_stats, "url": deepest_full.removeprefix(url)},
        "last_page": {**last_stats, "url": last.removeprefix(url), "features": urls[-1][1]},
        "ratio_deepest_full_vs_first": ratio(deep_stats, first_stats),
        "ratio_last_vs_first": ratio(last_stats, first_stats),
        "ratio_deepest_full_vs_second": ratio(deep_stats, second_stats),
    }


# --- 3 and 4. exports --------------------------------------------------------------------------------


@contextmanager
def _worker(env: dict[str, str]) -> Iterator[subprocess.Popen]:
    """A Celery worker on the bench's queue and database, one task at a time in its main process."""
    log = BENCH_DIR / f"{DB_NAME}-worker.log"
    log.unlink(missing_ok=True)
    proc = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/celery"),
            "-A",
            "geoportal",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
        ]
        + ["-Q", env["CELERY_QUEUE"], "--hostname", f"{DB_NAME}@%h", "--without-gossip", "--without-mingle"]
        + ["--logfile", str(log)],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # Ready: connected to the broker, consuming, every module imported (its idle memory is then
        # the worker's own, before any job).
        deadline = time.monotonic() + 120
        while not (log.exists() and " ready." in log.read_text(errors="replace")):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Celery worker did not start; see {log}")
            time.sleep(0.2)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _memory_mb(pid: int) -> dict[str, float]:
    """Resident memory now and at its peak (``VmRSS``, ``VmHWM``) in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = round(int(value.split()[0]) / 1024, 1)
    return fields


def _exports_missing(url: str) -> str | None:
    """Why the exports API cannot be measured yet, or None (its 401 to anonymous is an API)."""
    missing = _exists(f"{url}/api/exports/jobs/")
    if missing and not missing.endswith(("401", "403")):
        return f"no exports API yet ({missing})"
    return None


def _path(link: str) -> str:
    parts = urllib.parse.urlsplit(link)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _export(client: Client, body: dict[str, Any], timeout: float = 3600) -> dict[str, Any]:
    """One export job: POSTed, polled every 50 ms until it has finished; the wall time and the job."""
    started = time.perf_counter()
    job = client.ok("POST", "/api/exports/jobs/", json_body=body)
    while job["status"] not in ("succeeded", "failed", "cancelled"):
        if time.perf_counter() - started > timeout:
            raise RuntimeError(f"the export job {job['id']} did not finish in {timeout} s: {job}")
        time.sleep(0.05)
        job = client.ok("GET", _path(job["url"]))
    elapsed = time.perf_counter() - started
    if job["status"] != "succeeded":
        raise RuntimeError(f"the export job {job['id']} {job['status']}: {str(job)[:800]}")
    return {"seconds": round(elapsed, 2), "job": _job_summary(job)}


def _job_summary(job: dict[str, Any]) -> dict[str, Any]:
    """The job as reported: what it made and its own time from start to finish in the worker (the
    wall time beside it adds the queue and the polling)."""
    from django.utils.dateparse import parse_datetime

    started, finished = parse_datetime(job["started_at"]), parse_datetime(job["finished_at"])
    kept = ("id", "format", "layer", "status", "rows", "size_bytes", "sha256", "started_at", "finished_at")
    return {
        **{k: job.get(k) for k in kept},
        "worker_seconds": round((finished - started).total_seconds(), 2) if started and finished else None,
        "columns": [c["name"] for c in (job.get("manifest") or {}).get("columns", [])],
    }


def _download(client: Client, job_id: int, into: Path) -> Path:
    """The export's file, through the signed link a fresh GET of the job gives."""
    job = client.ok("GET", f"/api/exports/jobs/{job_id}/")
    status, data, _ = client.call("GET", _path(job["download"]))
    if status != 200:
        raise RuntimeError(f"the download of export {job_id} answered {status}")
    into.write_bytes(data)
    return into


def _features(path: Path) -> int | None:
    import pyogrio

    try:
        return int(pyogrio.read_info(path)["features"])
    except Exception:  # noqa: BLE001 - reported as unknown
        return None


def _ogr2ogr(out: Path) -> float:
    from django.db import connection

    db = connection.settings_dict
    pg = f"PG:host={db['HOST']} port={db['PORT']} dbname={db['NAME']} user={db['USER']}"
    pg += f" password={db['PASSWORD']}"
    out.unlink(missing_ok=True)
    started = time.perf_counter()
    subprocess.run(
        [
            "ogr2ogr",
            "-f",
            "GPKG",
            str(out),
            pg,
            "layers_landparcel",
            "-where",
            "deleted_at IS NULL",
            "-nln",
            "parcels",
        ],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def _all_parcels() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM layers_landparcel WHERE deleted_at IS NULL")
        return cursor.fetchone()[0]


def gpkg_export(url: str, env: dict[str, str], admin: Any, runs: int, tmp: Path) -> dict[str, Any]:
    theirs = [_ogr2ogr(tmp / "ogr2ogr.gpkg") for _ in range(runs)]
    theirs_s = statistics.median(theirs)
    out: dict[str, Any] = {
        "parcels": _all_parcels(),
        "ogr2ogr": {
            "median_s": round(theirs_s, 2),
            "runs_s": [round(s, 2) for s in theirs],
            "features": _features(tmp / "ogr2ogr.gpkg"),
            "bytes": (tmp / "ogr2ogr.gpkg").stat().st_size,
        },
    }
    missing = _exports_missing(url)
    if missing:
        return {**out, "ours": {"skipped": missing}}
    client = Client(url, admin)
    ours, jobs = [], []
    with _worker(env):
        for _ in range(runs):
            done = _export(client, {"layer": "parcels", "format": "gpkg"})
            ours.append(done["seconds"])
            jobs.append(done["job"])
    ours_file = _download(client, jobs[-1]["id"], tmp / "ours.gpkg")
    client.close()
    ours_s = statistics.median(ours)
    out["ours"] = {
        "median_s": round(ours_s, 2),
        "runs_s": [round(s, 2) for s in ours],
        "features": _features(ours_file),
        "bytes": ours_file.stat().st_size,
        "last_job": jobs[-1],
    }
    out["ratio_vs_ogr2ogr"] = round(ours_s / theirs_s, 2)
    return out


def _grow_parcels(target: int) -> dict[str, Any]:
    """Copies of the parcels (a suffix on the code, everything else the same) until the table holds
    ``target`` rows: no demo table is that large at scale 1."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM layers_landparcel")
        have = cursor.fetchone()[0]
        if have >= target:
            return {"rows": have, "generated": 0}
        cursor.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'layers_landparcel' "
            "AND column_name <> 'id' ORDER BY ordinal_position"
        )
        columns = [r[0] for r in cursor.fetchall()]
        chosen = ", ".join("p.code || '~' || g" if c == "code" else f"p.{c}" for c in columns)
        copies = -(-(target - have) // have)
        started = time.perf_counter()
        cursor.execute(
            f"INSERT INTO layers_landparcel ({', '.join(columns)}) "  # noqa: S608 - the table's own columns
            f"SELECT {chosen} FROM layers_landparcel p, generate_series(1, %s) g "
            "WHERE p.deleted_at IS NULL ORDER BY g, p.id LIMIT %s",
            [copies, target - have],
        )
        cursor.execute("ANALYZE layers_landparcel")
        return {
            "rows": target,
            "generated": target - have,
            "seconds": round(time.perf_counter() - started, 1),
        }


def csv_export(url: str, env: dict[str, str], admin: Any, rows: int) -> dict[str, Any]:
    missing = _exports_missing(url)
    if missing:
        return {"skipped": missing}
    grown = _grow_parcels(rows)
    client = Client(url, admin)
    with _worker(env) as proc:
        idle = _memory_mb(proc.pid)
        done = _export(client, {"layer": "parcels", "format": "csv"})
        after = _memory_mb(proc.pid)
    client.close()
    return {
        "source": "layers_landparcel of the bench database: the demo parcels and SQL copies of them",
        "table": grown,
        "seconds": done["seconds"],
        "worker_rss_mb": {
            # The worker's own start (Django and every app imported) before it took the job.
            "idle_before": idle["VmRSS"],
            "peak_before": idle["VmHWM"],
            "peak": after["VmHWM"],
            "after": after["VmRSS"],
            "peak_growth_during_export": round(after["VmHWM"] - idle["VmRSS"], 1),
        },
        "limit_mb": RSS_LIMIT_MB,
        "under_limit": after["VmHWM"] < RSS_LIMIT_MB,
        "job": done["job"],
    }


# --- main -----------------------------------------------------------------------------------------


def run(args: argparse.Namespace, wanted: set[str], media: Path, tmp: Path) -> dict[str, Any]:
    """The parts asked for, against a bench database created here and dropped at the end."""
    os.environ.update(bench_env(DB_NAME, media))
    if not (ROOT / ".data/secret_key").exists():
        # No `make run` key: one for this run, shared with the gunicorn and the worker.
        os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    setup_django()
    from django.contrib.auth import get_user_model
    from django.db import connection, connections
    from django.test.utils import setup_databases, teardown_databases

    connection.settings_dict["TEST"]["NAME"] = DB_NAME
    result: dict[str, Any] = {
        "database": f"{DB_NAME} ({'kept' if args.keep_db else 'created and dropped by this run'})",
        "cpus": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    old = setup_databases(verbosity=0, interactive=False, keepdb=args.keep_db, serialized_aliases=set())
    try:
        result["demo_city"] = _load_demo(args.scale)
        result["parcels"] = {"all": _all_parcels()}
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM layers_landparcel WHERE deleted_at IS NULL AND is_public")
            result["parcels"]["public"] = cursor.fetchone()[0]
        admin = get_user_model().objects.get(username="admin")
        env = {**bench_env(DB_NAME, media), "DATABASE_URL": _database_url()}
        with own_server(env) as url:
            result["server"] = "own gunicorn (prod settings, 4 × 16 gthread) on the bench database"
            if "items" in wanted:
                peer_info: dict[str, Any] = {}
                try:
                    peer_info = _pygeoapi_venv([args.pygeoapi, PYGEOAPI_FALLBACK])
                except Exception as exc:  # noqa: BLE001 - the peer is reported missing, ours still measured
                    peer_info = {"error": f"pygeoapi could not be installed: {exc}"}
                result["pygeoapi"] = peer_info
                if "error" in peer_info:
                    result["items_geojson"] = _part(lambda: items(url, None, peer_info, args.runs))
                else:
                    with _pygeoapi() as peer:
                        result["items_geojson"] = _part(lambda: items(url, peer, peer_info, args.runs))
            if "deep" in wanted:
                result["deepest_page"] = _part(lambda: deepest_page(url, args.runs))
            if "gpkg" in wanted:
                result["gpkg_export"] = _part(lambda: gpkg_export(url, env, admin, args.runs_export, tmp))
            if "csv" in wanted:  # last: it grows the parcels table
                result["csv_export_1m"] = _part(lambda: csv_export(url, env, admin, args.rows))
        result["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            if args.keep_db:  # the next run starts from the demo city again
                cursor.execute("DELETE FROM layers_landparcel WHERE code LIKE '%%~%%'")
        connections.close_all()
        if not args.keep_db:
            teardown_databases(old, verbosity=0)
        drop_cache_keys(DB_NAME)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="demo city scale (1: the issue's)")
    parser.add_argument("--runs", type=int, default=15, help="runs of each read (after two warm-ups)")
    parser.add_argument("--runs-export", type=int, default=3, help="runs of each GeoPackage export")
    parser.add_argument("--rows", type=int, default=CSV_ROWS, help="rows of the CSV export")
    parser.add_argument(
        "--pygeoapi",
        default=PYGEOAPI_VERSION,
        help=f"the pygeoapi version of the peer ({PYGEOAPI_FALLBACK} if it cannot run here)",
    )
    parser.add_argument(
        "--keep-db", action="store_true", help="keep the bench database (and reuse a kept one)"
    )
    parser.add_argument("--only", choices=PARTS, action="append", help="run only these parts")
    parser.add_argument("--out", help="also write the JSON here")
    args = parser.parse_args()
    wanted = set(args.only or PARTS)

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    media = Path(tempfile.mkdtemp(prefix="bench-ogc-media-"))
    tmp = Path(tempfile.mkdtemp(prefix="bench-ogc-"))
    try:
        result = run(args, wanted, media, tmp)
    finally:
        shutil.rmtree(media, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)
    report("ogc", result)
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
