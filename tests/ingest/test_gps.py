"""GPS logs: tracks become patrol tracks with per-vertex times, waypoints field points, bad fixes counted."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from accounts.roles import Role
from fixtures import ingest_inputs as fx
from ingest.gps import good_fixes
from ingest.report import Report
from layers.crs import parse_crs, wgs84_to_gcj02
from layers.models import FieldPoint, PatrolTrack


def _with_bad_fixes(n: int = 60):
    pts = fx.walk(n)
    t = pts[10][2]
    pts[10] = (0.0, 0.0, t)  # zero coordinates
    lon, lat, t = pts[20]
    pts[20] = (lon + 0.05, lat, t)  # a 5 km jump in one second
    pts.insert(31, (pts[30][0] + 0.000001, pts[30][1], pts[30][2]))  # the same second again
    return pts


def test_gpx_tracks_and_waypoints(ingest, categories):
    track = _with_bad_fixes()
    waypoints = [
        {
            "lon": 112.011,
            "lat": 22.911,
            "name": "井盖缺失",
            "desc": "北侧路口",
            "time": fx.T0,
            "type": "hazard",
        },
        {"lon": 112.012, "lat": 22.912, "name": "杂物堆放"},
    ]
    job = ingest.job(fx.gpx([track], waypoints, routes=1), "walk.gpx", role=Role.GRID_WORKER, kind="gps")
    assert job.status == "succeeded", job.error
    counts = job.report["counts"]
    assert counts["dropped"] == {"zero_coordinates": 1, "speed_jump": 1, "duplicate_timestamp": 1}
    assert counts["points"] == 61 and counts["points_kept"] == 58
    assert counts["tracks"] == 1 and counts["waypoints"] == 2
    assert "route" in job.report["warnings"][0]["reason"]
    t = PatrolTrack.objects.get()
    worker = ingest.city.users[Role.GRID_WORKER]
    assert t.worker == worker and t.created_by == worker
    assert [len(part) for part in t.geom] == [58] == [len(t.timestamps)], "one part, a time per vertex"
    assert t.started_at == fx.T0 and t.timestamps[0] == fx.T0
    assert t.ended_at == fx.T0 + timedelta(seconds=59)
    assert all(a < b for a, b in zip(t.timestamps, t.timestamps[1:], strict=False))
    assert t.grid_cell == ingest.city.cells[0]
    assert t.length_m > 50
    points = {p.note.split("\n")[0]: p for p in FieldPoint.objects.all()}
    assert points["井盖缺失"].category.key == "hazard"  # from the waypoint's <type>
    assert points["井盖缺失"].note == "井盖缺失\n北侧路口"
    assert points["井盖缺失"].reported_at == fx.T0
    assert points["杂物堆放"].category.key == "other"  # the default category
    assert all(p.reporter == worker for p in points.values())


def test_nmea_log_becomes_a_track_and_gaps_split_it(ingest):
    first = fx.walk(30)
    second = fx.walk(30, t0=fx.T0 + timedelta(hours=2))
    job = ingest.job(fx.nmea(first + second), "log.nmea", kind="gps")
    assert job.status == "succeeded", job.error
    tracks = list(PatrolTrack.objects.order_by("started_at"))
    assert [len(t.timestamps) for t in tracks] == [30, 30]
    assert [len(t.geom) for t in tracks] == [1, 1], "each piece its own track, not a part of one"
    assert tracks[1].started_at == fx.T0 + timedelta(hours=2)
    assert job.report["counts"]["nmea_lines"] == 120


def test_nmea_with_some_bad_checksums_keeps_the_good_sentences_and_says_so(ingest):
    good = fx.nmea(fx.walk(20), gga=False).decode().splitlines()
    good[5] = good[5][:-2] + "00"
    job = ingest.job("\r\n".join(good).encode(), "log.nmea", kind="gps")
    assert job.status == "succeeded", job.error
    assert job.report["counts"]["dropped"]["bad_checksum"] == 1
    assert "line 6 has a wrong checksum" in job.report["warnings"][0]["reason"]
    assert len(PatrolTrack.objects.get().timestamps) == 19


def test_csv_with_lon_lat_time_and_a_track_column(ingest):
    rows = [[lon, lat, t.isoformat(), "A"] for lon, lat, t in fx.walk(10)]
    rows += [
        [lon, lat, t.strftime("%Y-%m-%d %H:%M:%S"), "B"]
        for lon, lat, t in fx.walk(10, t0=fx.T0 + timedelta(days=1))
    ]
    job = ingest.job(fx.csv_text(["lon", "lat", "time", "track"], rows), "log.csv", kind="gps")
    assert job.status == "succeeded", job.error
    a, b = PatrolTrack.objects.order_by("started_at")
    assert a.started_at == fx.T0
    # Times without a zone are local (Asia/Shanghai), as a phone writes them.
    assert b.started_at == fx.T0 + timedelta(days=1) - timedelta(hours=8)


def test_gcj02_tracks_are_converted_to_wgs84(ingest):
    pts = fx.walk(5)
    mars = [(*wgs84_to_gcj02(lon, lat), t) for lon, lat, t in pts]
    job = ingest.job(fx.gpx([mars]), "amap.gpx", kind="gps", options={"crs": "gcj02"})
    assert job.status == "succeeded", job.error
    (coords,) = PatrolTrack.objects.get().geom.coords
    assert coords[0][0] == pytest.approx(pts[0][0], abs=1e-7)
    assert coords[0][1] == pytest.approx(pts[0][1], abs=1e-7)


def test_a_log_with_no_usable_fix_fails_with_the_counts(ingest):
    pts = [(0.0, 0.0, t) for _lon, _lat, t in fx.walk(5)]
    job = ingest.job(fx.gpx([pts]), "nofix.gpx", kind="gps")
    assert job.status == "failed"
    assert "No usable track or waypoint" in job.error and "zero_coordinates: 5" in job.error


def test_tracks_outside_a_grid_workers_cell_fail_the_job(ingest):
    far = fx.walk(10, start=(112.15, 22.95))  # county 1: not the worker's cell
    job = ingest.job(fx.gpx([fx.walk(10), far]), "walk.gpx", role=Role.GRID_WORKER, kind="gps")
    assert job.status == "failed"
    assert [e["where"] for e in job.report["errors"]] == ["track 2"]
    assert not PatrolTrack.objects.exists()


def test_good_fixes_drops_a_leading_outlier_rather_than_the_whole_track():
    pts = fx.walk(20)
    lon = np.array([p[0] for p in pts])
    lat = np.array([p[1] for p in pts])
    t = np.array([p[2].timestamp() for p in pts])
    lon[0] += 0.1
    report = Report()
    idx, _x, _y = good_fixes(lon, lat, t, parse_crs("EPSG:4326"), 200 / 3.6, report)
    assert idx.tolist() == list(range(1, 20))
    assert dict(report.dropped) == {"speed_jump": 1}


def test_time_going_back_is_dropped_and_counted():
    pts = fx.walk(10)
    lon = np.array([p[0] for p in pts])
    lat = np.array([p[1] for p in pts])
    t = np.array([p[2].timestamp() for p in pts])
    t[5] = t[2]
    report = Report()
    idx, _x, _y = good_fixes(lon, lat, t, parse_crs("EPSG:4326"), 200 / 3.6, report)
    assert 5 not in idx.tolist() and len(idx) == 9
    assert dict(report.dropped) == {"time_goes_back": 1}


def test_an_nmea_log_with_only_gga_needs_the_date_option(ingest):
    lines = [ln for ln in fx.nmea(fx.walk(10)).decode().splitlines() if "GGA" in ln]
    data = "\r\n".join(lines).encode()
    job = ingest.job(data, "gga.nmea", kind="gps")
    assert job.status == "failed" and "date option" in job.error
    job = ingest.job(data, "gga.nmea", kind="gps", options={"date": "2024-05-01"})
    assert job.status == "succeeded", job.error
    assert PatrolTrack.objects.get().started_at == fx.T0


def test_a_gps_csv_without_a_time_column_says_so(ingest):
    job = ingest.job(fx.csv_text(["lon", "lat"], [[112.01, 22.91], [112.011, 22.911]]), "log.csv", kind="gps")
    assert job.status == "failed"
    assert "needs a time column" in job.error
