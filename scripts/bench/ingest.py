"""Ingest benchmarks (issue: ingest pipeline). Needs PostgreSQL and Redis up (`make setup` or `make run`).

    .venv/bin/python scripts/bench/ingest.py [--runs 3] [--gpx-points 1000000] [--cog-size 8000] \
        [--panoramas 5] [--only cog|gpx|panorama|tiles]

Everything runs against a throw-away database (``test_bench_ingest``, created and dropped here) and a
temporary media folder; inputs are generated into a temporary directory and deleted afterwards.

- COG: our conversion (rio-cogeo, as an orthophoto job runs it) of a generated 8000 x 8000 RGB
  GeoTIFF against ``gdal_translate -of COG`` on the same file with the same compression, overview
  resampling and threads; the full orthophoto job (validation, COG, footprint, row) besides.
- GPX: a generated 1,000,000-point GPX through the whole job (parse, filter, derive, insert, commit)
  in points per second, against PostgreSQL ``COPY`` of the same points (the floor).
- Panoramas: 8K (8192 x 4096) JPEGs through the whole job (EXIF/XMP, thumbnail, cube faces, 126
  multires tiles, nearest carrier, row), in images per second.
- Raster tiles: our tile view (URL routing, auth, permission query, rio-tiler, PNG) called through
  Django's test client against rio-tiler's Reader.tile + render on the same COG and tiles.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, report, setup_django, summary

DB_NAME = "bench_ingest"


def median_s(samples: list[float]) -> float:
    return round(statistics.median(samples), 3)


def make_job(user, path: Path, kind: str, layer: str, options: dict, name: str):
    """A job row for a local file, as the API would create it (without queueing it)."""
    import hashlib

    from django.core.files import File

    from ingest.models import IngestJob
    from ingest.options import options_hash

    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    job = IngestJob(
        kind=kind,
        layer=layer,
        filename=name,
        size_bytes=path.stat().st_size,
        sha256=digest.hexdigest(),
        options=options,
        options_hash=options_hash(kind, options),
        created_by=user,
        language="en",
    )
    with open(path, "rb") as f:
        job.file.save(name, File(f), save=False)
    job.save()
    return job


def run_job(job) -> float:
    from ingest.models import IngestJob
    from jobs.runner import run

    started = time.perf_counter()
    run("ingest.IngestJob", job.pk)
    seconds = time.perf_counter() - started
    job = IngestJob.objects.get(pk=job.pk)
    if job.status != "succeeded":
        raise RuntimeError(f"job {job.pk} {job.status}: {job.error}")
    return seconds


# --- COG ---------------------------------------------------------------------------------------------


def bench_cog(tmp: Path, size: int, runs: int, user) -> tuple[dict, object]:
    import rasterio

    from fixtures import ingest_inputs as fx
    from ingest import orthophoto

    src = fx.geotiff(tmp / "ortho.tif", size, size, crs="EPSG:3857", pixel_m=0.1, datetime_tag=None)
    ours, gdal, gdal_default = [], [], []
    for i in range(runs):
        out = tmp / f"ours-{i}.tif"
        started = time.perf_counter()
        with rasterio.open(src) as ds:
            orthophoto.convert(ds, out, "deflate")
        ours.append(time.perf_counter() - started)
        out.unlink()
        peer = tmp / f"gdal-{i}.tif"
        started = time.perf_counter()
        subprocess.run(
            [
                "gdal_translate",
                "-q",
                "-of",
                "COG",
                "-co",
                "COMPRESS=DEFLATE",
                "-co",
                "BLOCKSIZE=512",
                "-co",
                "OVERVIEW_RESAMPLING=AVERAGE",
                "-co",
                "NUM_THREADS=ALL_CPUS",
                str(src),
                str(peer),
            ],
            check=True,
        )
        gdal.append(time.perf_counter() - started)
        peer.unlink()
        started = time.perf_counter()
        subprocess.run(["gdal_translate", "-q", "-of", "COG", str(src), str(peer)], check=True)
        gdal_default.append(time.perf_counter() - started)
        peer.unlink()
    jobs = []
    for i in range(runs):
        job = make_job(
            user, src, "orthophoto", "orthophotos", {"title": f"bench {i}", "is_public": True}, "ortho.tif"
        )
        jobs.append(run_job(job))
    from layers.models import Orthophoto

    ortho = Orthophoto.objects.order_by("-pk").first()
    version = (
        subprocess.run(["gdalinfo", "--version"], capture_output=True, text=True).stdout.split(",")[0].strip()
    )
    result = {
        "input": f"{size} x {size} RGB uint8 GeoTIFF, EPSG:3857, {src.stat().st_size // (1 << 20)} MB "
        "uncompressed",
        "ours_convert_s": median_s(ours),
        "gdal_translate_same_options_s": median_s(gdal),
        "ratio_vs_gdal_translate": round(median_s(ours) / median_s(gdal), 2),
        "gdal_translate_defaults_s": median_s(gdal_default),
        "ratio_vs_gdal_translate_defaults": round(median_s(ours) / median_s(gdal_default), 2),
        "whole_orthophoto_job_s": median_s(jobs),
        "peer": f"gdal_translate -of COG -co COMPRESS=DEFLATE -co BLOCKSIZE=512 -co "
        "OVERVIEW_RESAMPLING=AVERAGE "
        f"-co NUM_THREADS=ALL_CPUS (system {version}); ours: rio-cogeo {_version('rio_cogeo')} on "
        f"rasterio's GDAL {rasterio.__gdal_version__}",
        "runs": runs,
    }
    return result, ortho


def tile_source(tmp: Path, size: int, user):
    from fixtures import ingest_inputs as fx
    from layers.models import Orthophoto

    src = fx.geotiff(tmp / "ortho.tif", size, size, crs="EPSG:3857", pixel_m=0.1, datetime_tag=None)
    run_job(make_job(user, src, "orthophoto", "orthophotos", {"title": "tiles", "is_public": True}, "o.tif"))
    return Orthophoto.objects.order_by("-pk").first()


def _version(module: str) -> str:
    import importlib

    return getattr(importlib.import_module(module), "__version__", "?")


# --- GPX ---------------------------------------------------------------------------------------------


def bench_gpx(tmp: Path, points: int, runs: int, user) -> dict:
    from django.db import connection

    from fixtures import ingest_inputs as fx
    from ingest import gps
    from ingest.models import IngestJob
    from ingest.report import Report
    from layers.models import PatrolTrack

    path = fx.gpx_file(tmp / "patrols.gpx", points, per_track=10_000)
    jobs, parse = [], []
    for i in range(runs):
        started = time.perf_counter()
        gps.parse_gpx(path, Report())
        parse.append(time.perf_counter() - started)
        job = make_job(user, path, "gps", "patrol_tracks", {"max_speed_kmh": 200 + i}, "patrols.gpx")
        jobs.append(run_job(job))
        kept = IngestJob.objects.get(pk=job.pk).report["counts"]["points_kept"]
        assert kept == points, kept
        PatrolTrack.objects.all().delete()
    # The floor: COPY of the same points (lon, lat, time) from memory into a table.
    parsed = gps.parse_gpx(path, Report())
    buffer = io.StringIO()
    for seg in parsed.segments:
        for lon, lat, t in zip(seg.lon, seg.lat, seg.t, strict=True):
            buffer.write(f"{seg.number}\t{lon}\t{lat}\t{t}\n")
    text = buffer.getvalue()
    copies = []
    for _ in range(runs):
        with connection.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS bench_points")
            cur.execute(
                "CREATE UNLOGGED TABLE bench_points (track int, lon float8, lat float8, t_epoch float8)"
            )
            started = time.perf_counter()
            with cur.copy("COPY bench_points FROM STDIN") as copy:
                copy.write(text)
            copies.append(time.perf_counter() - started)
            cur.execute("DROP TABLE bench_points")
    ours = median_s(jobs)
    floor = median_s(copies)
    return {
        "input": f"GPX, {points:,} track points in {len(parsed.segments)} tracks, "
        f"{path.stat().st_size // (1 << 20)} MB",
        "ours_whole_job_s": ours,
        "ours_points_per_s": round(points / ours),
        "of_which_parse_s": median_s(parse),
        "copy_floor_s": floor,
        "copy_points_per_s": round(points / floor),
        "ratio_vs_copy": round(ours / floor, 2),
        "runs": runs,
    }


# --- panoramas ---------------------------------------------------------------------------------------


def bench_panoramas(tmp: Path, count: int, user) -> dict:
    from fixtures import ingest_inputs as fx

    paths = []
    for i in range(count):
        path = tmp / f"pano-{i}.jpg"
        path.write_bytes(fx.panorama(8192, 4096, quality=85, seed=i + 10, lon=112.01 + i * 0.0001))
        paths.append(path)
    seconds = []
    for path in paths:
        job = make_job(user, path, "panorama", "panoramas", {}, path.name)
        seconds.append(run_job(job))
    per = median_s(seconds)
    return {
        "input": f"{count} generated 8192 x 4096 JPEGs (~{paths[0].stat().st_size // (1 << 20)} MB each)",
        "median_s_per_image": per,
        "images_per_s": round(1 / per, 3),
        "output_per_image": "1 thumbnail, 6 faces of 2048 px cut into 126 tiles of 512 px, 6 fallback faces",
        "runs": count,
    }


# --- raster tiles ------------------------------------------------------------------------------------


def bench_tiles(ortho, runs: int) -> dict:
    import mercantile
    from django.core.files.storage import default_storage
    from django.test import Client
    from rio_tiler.io import Reader

    path = default_storage.path(ortho.cog.name)
    west, south, east, north = ortho.geom.extent
    tiles = []
    for z in (14, 16, 18, 19):
        for t in mercantile.tiles(west, south, east, north, [z]):
            tiles.append((t.z, t.x, t.y))
    tiles = tiles[:: max(1, len(tiles) // 40)][:40]
    client = Client(HTTP_HOST="127.0.0.1")

    def ours() -> None:
        for z, x, y in tiles:
            response = client.get(f"/tiles/raster/{ortho.pk}/{z}/{x}/{y}.png")
            assert response.status_code in (200, 204), response.status_code

    def direct() -> None:
        for z, x, y in tiles:
            with Reader(path) as src:
                img = src.tile(x, y, z)
            img.render(img_format="PNG", add_mask=True)

    # Alternate the two so that both see the same load on this shared machine.
    ours()
    direct()
    a_samples, b_samples = [], []
    for _ in range(runs):
        for fn, samples in ((ours, a_samples), (direct, b_samples)):
            started = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - started) * 1000 / len(tiles))
    a, b = summary(a_samples), summary(b_samples)
    return {
        "tiles": f"{len(tiles)} PNG tiles at z14-z19 over the orthophoto",
        "ours_ms_per_tile": a,
        "rio_tiler_direct_ms_per_tile": b,
        "ratio_vs_rio_tiler": round(a["p50_ms"] / b["p50_ms"], 2),
        "note": "ours through Django's test client (routing, token/session auth, permission query, ETag), "
        "no network; rio-tiler opens the COG and renders the same tiles",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--gpx-points", type=int, default=1_000_000)
    parser.add_argument("--cog-size", type=int, default=8000)
    parser.add_argument("--panoramas", type=int, default=5)
    parser.add_argument("--only", choices=["cog", "gpx", "panorama", "tiles"], action="append")
    args = parser.parse_args()

    os.environ["TEST_DATABASE_NAME"] = DB_NAME
    os.environ["CELERY_QUEUE"] = f"geoportal-{DB_NAME}"
    setup_django("geoportal.settings.test")
    from django.conf import settings
    from django.test.utils import setup_databases, teardown_databases

    sys.path.insert(0, str(ROOT))
    media = Path(settings.MEDIA_ROOT)
    old = setup_databases(verbosity=0, interactive=False)
    tmp = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    results: dict = {}
    try:
        from accounts.models import User
        from accounts.roles import Role

        user = User.objects.create_superuser("bench", password="bench-password-123", role=Role.ADMIN)
        wanted = set(args.only or ["cog", "gpx", "panorama", "tiles"])
        ortho = None
        if "cog" in wanted:
            results["cog_conversion"], ortho = bench_cog(tmp, args.cog_size, args.runs, user)
        elif "tiles" in wanted:
            ortho = tile_source(tmp, args.cog_size, user)
        if "gpx" in wanted:
            results["gpx_ingest"] = bench_gpx(tmp, args.gpx_points, args.runs, user)
        if "panorama" in wanted:
            results["panorama_ingest"] = bench_panoramas(tmp, args.panoramas, user)
        if "tiles" in wanted and ortho is not None:
            results["raster_tiles"] = bench_tiles(ortho, max(args.runs * 3, 10))
        results["machine"] = {
            "cpus": os.cpu_count(),
            "load_average_at_end": [round(v, 2) for v in os.getloadavg()],
        }
    finally:
        teardown_databases(old, verbosity=0)
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(media, ignore_errors=True)
    report("ingest", results)


if __name__ == "__main__":
    main()
