"""GPS logs: GPX tracks and waypoints, NMEA logs, and CSV with lon, lat and time.

Each track segment becomes a patrol track (a multi-line of one part) with one timestamp per vertex;
waypoints become field points. Bad fixes are dropped and counted, never silently: zero coordinates
(a receiver without a fix), coordinates out of range, fixes with no time, duplicate timestamps, time
going backwards and impossible speed jumps (faster than ``max_speed_kmh`` from the last good fix).
NMEA and CSV logs are split into tracks where the receiver was off for more than
``track_gap_minutes``.

Coordinates may be declared in another CRS (``crs``: gcj02, bd09, a Gauss-Krüger zone...); they
are converted with ``layers.crs`` before the speed check, so speeds are ground speeds.
"""

from __future__ import annotations

import re
import uuid
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from django.contrib.gis.geos import GEOSGeometry, Point
from django.utils import timezone
from django.utils.translation import gettext as _

from layers.crs import CRS, in_lonlat_range, parse_crs, to_storage
from layers.geometry import GEOGRAPHIC_INPUTS, GeometryError, repair
from layers.models import FieldPoint, FieldPointCategory, PatrolTrack

from . import tabular
from .report import IngestError, Report
from .sniff import FileType
from .tabular import normalise
from .xmlsafe import iterparse_screened

EARTH_RADIUS_M = 6371008.8
DEFAULT_MAX_SPEED_KMH = 200.0
DEFAULT_GAP_MINUTES = 30.0
TRACK_NAMES = ("track", "trackid", "segment", "trk", "轨迹", "轨迹号")


@dataclass
class Segment:
    number: int  # 1-based, in file order
    lon: list[float] = field(default_factory=list)
    lat: list[float] = field(default_factory=list)
    t: list[float] = field(default_factory=list)  # POSIX seconds, NaN when missing
    name: str = ""


@dataclass
class Waypoint:
    number: int
    lon: float
    lat: float
    t: float
    name: str = ""
    note: str = ""
    type: str = ""


@dataclass
class Parsed:
    segments: list[Segment]
    waypoints: list[Waypoint]
    unit: str = "track"


def _epoch(text: str | None) -> float:
    """ISO 8601 time as POSIX seconds; GPX times without a zone are UTC (GPX 1.1)."""
    if not text:
        return float("nan")
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        try:
            value = datetime.fromisoformat(text.strip())
        except ValueError:
            return float("nan")
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


# --- GPX ---------------------------------------------------------------------------------------------


def parse_gpx(path: Path, report: Report) -> Parsed:
    """Tracks (one Segment per trkseg) and waypoints, streamed: elements are cleared as they end."""
    segments: list[Segment] = []
    waypoints: list[Waypoint] = []
    names: dict[str, str] | None = None
    lon: list[float] = []
    lat: list[float] = []
    t: list[float] = []
    routes = 0
    for _event, el in iterparse_screened(path, events=("end",)):
        tag = el.tag
        if names is None:
            ns = tag[: tag.index("}") + 1] if tag.startswith("{") else ""
            names = {
                k: ns + k
                for k in ("trkpt", "trkseg", "trk", "wpt", "time", "name", "desc", "cmt", "type", "rte")
            }
            trkpt, trkseg, time_tag = names["trkpt"], names["trkseg"], names["time"]
        if tag == trkpt:
            attrib = el.attrib
            lon.append(_float(attrib.get("lon")))
            lat.append(_float(attrib.get("lat")))
            t.append(_epoch(el.findtext(time_tag)))
            el.clear()
        elif tag == trkseg:
            segments.append(Segment(len(segments) + 1, lon, lat, t))
            lon, lat, t = [], [], []
            el.clear()
        elif tag == names["wpt"]:
            texts = {k: (el.findtext(names[k]) or "").strip() for k in ("name", "desc", "cmt", "type")}
            waypoints.append(
                Waypoint(
                    len(waypoints) + 1,
                    _float(el.get("lon")),
                    _float(el.get("lat")),
                    _epoch(el.findtext(time_tag)),
                    texts["name"],
                    "\n".join(v for v in (texts["desc"], texts["cmt"]) if v),
                    texts["type"],
                )
            )
            el.clear()
        elif tag == names["rte"]:
            routes += 1
            el.clear()
        elif tag == names["trk"]:
            el.clear()
    if lon:  # trkpt outside any trkseg: lenient
        segments.append(Segment(len(segments) + 1, lon, lat, t))
    if routes:
        report.warn(
            _("%(n)s planned route(s) (rte) were ignored: only recorded tracks and waypoints are imported")
            % {"n": routes}
        )
    return Parsed(segments, waypoints)


def _float(value: str | None) -> float:
    try:
        return float(value) if value is not None else float("nan")
    except ValueError:
        return float("nan")


# --- NMEA --------------------------------------------------------------------------------------------

SENTENCE = re.compile(r"^\$([A-Z]{2})([A-Z]{3}),(.*)\*([0-9A-Fa-f]{2})$")


def _checksum_ok(line: str) -> bool:
    star = line.rindex("*")
    value = 0
    for ch in line[1:star].encode("ascii", "replace"):
        value ^= ch
    return f"{value:02X}" == line[star + 1 : star + 3].upper()


def _nmea_angle(value: str, hemi: str, degree_digits: int) -> float:
    if not value:
        return float("nan")
    deg = float(value[:degree_digits])
    minutes = float(value[degree_digits:])
    out = deg + minutes / 60.0
    return -out if hemi in ("S", "W") else out


def _nmea_time(hhmmss: str) -> time | None:
    if len(hhmmss) < 6:
        return None
    try:
        seconds = float(hhmmss[4:])
        return time(
            int(hhmmss[:2]), int(hhmmss[2:4]), int(seconds), int(round((seconds % 1) * 1e6)) % 1000000
        )
    except ValueError:
        return None


def parse_nmea(path: Path, options: dict[str, Any], report: Report) -> Parsed:
    data = Path(path).read_bytes().decode("ascii", "replace")
    lines = [line.strip() for line in data.splitlines() if line.strip()]
    rmc: list[tuple[float, float, float]] = []
    gga: list[tuple[time, float, float, date | None]] = []
    day: date | None = _option_date(options)
    valid = bad_checksum = not_nmea = no_fix = 0
    first_bad = ""
    for lineno, line in enumerate(lines, start=1):
        m = SENTENCE.match(line)
        if not m:
            not_nmea += 1
            first_bad = first_bad or _("line %(n)s: %(text)r") % {"n": lineno, "text": line[:40]}
            continue
        if not _checksum_ok(line):
            bad_checksum += 1
            first_bad = first_bad or _("line %(n)s has a wrong checksum: %(text)r") % {
                "n": lineno,
                "text": line[:40],
            }
            continue
        valid += 1
        kind, fields = m.group(2), m.group(3).split(",")
        try:
            if kind == "RMC" and len(fields) >= 9:
                moment = _nmea_time(fields[0])
                if fields[1] != "A" or moment is None or len(fields[8]) != 6:
                    no_fix += 1
                    continue
                d = fields[8]
                day = date(2000 + int(d[4:6]), int(d[2:4]), int(d[:2]))
                lat = _nmea_angle(fields[2], fields[3], 2)
                lon = _nmea_angle(fields[4], fields[5], 3)
                rmc.append((lon, lat, datetime.combine(day, moment, tzinfo=UTC).timestamp()))
            elif kind == "GGA" and len(fields) >= 6:
                moment = _nmea_time(fields[0])
                if fields[5] in ("", "0") or moment is None:
                    no_fix += 1
                    continue
                gga.append(
                    (moment, _nmea_angle(fields[3], fields[4], 3), _nmea_angle(fields[1], fields[2], 2), day)
                )
            elif kind == "ZDA" and len(fields) >= 4:
                day = date(int(fields[3]), int(fields[2]), int(fields[1]))
        except (ValueError, IndexError):
            valid -= 1
            not_nmea += 1
    report.counts["nmea_lines"] = len(lines)
    report.drop("bad_checksum", bad_checksum)
    report.drop("not_nmea", not_nmea)
    report.drop("no_fix", no_fix)
    if valid == 0:
        raise IngestError(
            _(
                "The file has no valid NMEA sentence: of %(n)s lines, %(bad)s have a wrong checksum and "
                "%(other)s "
                "are not NMEA sentences (%(first)s). The log is damaged or is not NMEA 0183; export it "
                "again from "
                "the receiver."
            )
            % {"n": len(lines), "bad": bad_checksum, "other": not_nmea, "first": first_bad or "-"},
            code="invalid_file",
        )
    if bad_checksum or not_nmea:
        report.warn(
            _("%(n)s lines were skipped (wrong checksum or not NMEA), e.g. %(first)s")
            % {"n": bad_checksum + not_nmea, "first": first_bad}
        )
    if rmc:
        fixes = rmc
    elif gga:
        undated = [g for g in gga if g[3] is None]
        if undated:
            raise IngestError(
                _(
                    "The NMEA log has GGA positions but no RMC or ZDA sentence giving the date. Record RMC "
                    "sentences too, or give the date with the date option (e.g. 2024-05-01)."
                ),
                field="date",
            )
        fixes = [
            (lon, lat, datetime.combine(d, moment, tzinfo=UTC).timestamp()) for moment, lon, lat, d in gga
        ]
    else:
        raise IngestError(
            _(
                "The NMEA log has no position fix (no RMC or GGA sentence with a valid fix). Check the "
                "receiver had a fix."
            ),
            code="invalid_file",
        )
    segment = Segment(1, [f[0] for f in fixes], [f[1] for f in fixes], [f[2] for f in fixes])
    return Parsed(_split_by_gap([segment], options), [], unit="track")


def _option_date(options: dict[str, Any]) -> date | None:
    text = options.get("date")
    if not text:
        return None
    try:
        return date.fromisoformat(str(text))
    except ValueError as exc:
        raise IngestError(_("date must look like 2024-05-01."), field="date") from exc


def _split_by_gap(segments: list[Segment], options: dict[str, Any]) -> list[Segment]:
    gap = float(options.get("track_gap_minutes") or DEFAULT_GAP_MINUTES) * 60
    out: list[Segment] = []
    for seg in segments:
        t = np.asarray(seg.t, dtype=float)
        cuts = (np.flatnonzero(np.diff(t) > gap) + 1).tolist() if len(t) > 1 else []
        bounds = [0, *cuts, len(t)]
        for a, b in zip(bounds, bounds[1:], strict=False):
            out.append(Segment(len(out) + 1, seg.lon[a:b], seg.lat[a:b], seg.t[a:b], seg.name))
    return out


# --- CSV ---------------------------------------------------------------------------------------------


def _csv_time(value: Any) -> float:
    if value is None or (isinstance(value, str) and not value.strip()):
        return float("nan")
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, int | float) or re.fullmatch(r"\d{9,13}(\.\d+)?", str(value).strip()):
        seconds = float(value)
        return seconds / 1000 if seconds > 1e11 else seconds  # epoch milliseconds
    else:
        text = str(value).strip().replace("/", "-")
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return float("nan")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)  # local time, like the phone that wrote it
    return moment.timestamp()


def parse_csv(path: Path, kind: FileType, options: dict[str, Any], report: Report) -> Parsed:
    table = tabular.read_xlsx(path, options.get("sheet")) if kind == FileType.XLSX else tabular.read_csv(path)
    cols = tabular.coordinate_columns(table.headers, options)
    if not (cols.x and cols.y):
        raise IngestError(
            _("A GPS table needs a longitude and a latitude column (lon, lat); its columns are: %(cols)s.")
            % {"cols": ", ".join(table.headers)},
            code="missing_columns",
        )
    time_col = tabular.find_column(table.headers, options.get("time_field"), tabular.TIME_NAMES, "time_field")
    if not time_col:
        raise IngestError(
            _(
                "A GPS table needs a time column (time, timestamp, datetime, 时间) so that each point of the "
                "track has its time; its columns are: %(cols)s. Name it, or give time_field."
            )
            % {"cols": ", ".join(table.headers)},
            code="missing_columns",
        )
    track_col = tabular.find_column(table.headers, options.get("track_field"), TRACK_NAMES, "track_field")
    xi, yi, ti = table.column(cols.x), table.column(cols.y), table.column(time_col)
    tk = table.column(track_col) if track_col else None
    groups: dict[Any, Segment] = {}
    for number, row in table.rows:
        values = list(row) + [None] * (len(table.headers) - len(row))

        def cell(i: int | None, values: list[Any] = values) -> Any:
            return values[i] if i is not None else None

        try:
            x = tabular.number(cell(xi))
        except ValueError as exc:
            report.error(
                _("longitude (%(col)s) %(why)s") % {"col": cols.x, "why": exc}, number, "row", cols.x
            )
            continue
        try:
            y = tabular.number(cell(yi))
        except ValueError as exc:
            report.error(_("latitude (%(col)s) %(why)s") % {"col": cols.y, "why": exc}, number, "row", cols.y)
            continue
        key = cell(tk) if tk is not None else None
        seg = groups.setdefault(key, Segment(len(groups) + 1, name=str(key or "")))
        seg.lon.append(x)
        seg.lat.append(y)
        seg.t.append(_csv_time(cell(ti)))
    segments = list(groups.values())
    if track_col is None:
        segments = _split_by_gap(segments, options)
    return Parsed(segments, [], unit="track")


# --- cleaning ---------------------------------------------------------------------------------------


def _haversine(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


def to_lonlat(lon: np.ndarray, lat: np.ndarray, crs: CRS) -> tuple[np.ndarray, np.ndarray]:
    """Convert coordinates to storage lon/lat with layers.crs (a no-op for EPSG:4326)."""
    if crs.key == "EPSG:4326" or len(lon) == 0:
        return lon, lat
    out = shapely.get_coordinates(to_storage(shapely.multipoints(np.column_stack([lon, lat])), crs))
    return out[:, 0], out[:, 1]


def good_fixes(
    lon: np.ndarray, lat: np.ndarray, t: np.ndarray, crs: CRS, max_speed_ms: float, report: Report
) -> np.ndarray:
    """Indices of the fixes to keep, in order; every dropped fix is counted by reason."""
    n = len(t)
    idx = np.arange(n)
    invalid = ~(np.isfinite(lon) & np.isfinite(lat))
    if crs.key in GEOGRAPHIC_INPUTS:
        with np.errstate(invalid="ignore"):
            invalid |= (np.abs(lon) > 180) | (np.abs(lat) > 90)
    no_time = ~np.isfinite(t) & ~invalid
    zero = ((lon == 0) | (lat == 0)) & ~invalid & ~no_time
    report.drop("out_of_range", int(np.count_nonzero(invalid)))
    report.drop("no_time", int(np.count_nonzero(no_time)))
    report.drop("zero_coordinates", int(np.count_nonzero(zero)))
    alive = ~(invalid | no_time | zero)
    idx = idx[alive]
    lon, lat, t = lon[alive], lat[alive], t[alive]
    lon, lat = to_lonlat(lon, lat, crs)
    out = (np.abs(lon) > 180) | (np.abs(lat) > 90) | ~np.isfinite(lon) | ~np.isfinite(lat)
    if out.any():
        report.drop("out_of_range", int(np.count_nonzero(out)))
        idx, lon, lat, t = idx[~out], lon[~out], lat[~out], t[~out]
    m = len(t)
    if m == 0:
        return idx[:0], lon, lat
    dist = _haversine(lon[:-1], lat[:-1], lon[1:], lat[1:])
    dt = np.diff(t)
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = (dt > 0) & (dist <= max_speed_ms * np.where(dt > 0, dt, 0))
    # A first fix that is itself the jump would make every later fix look impossible: skip it.
    start = 0
    while start + 2 < m and not ok[start] and dt[start] > 0 and ok[start + 1]:
        report.drop("speed_jump")
        start += 1
    keep = np.zeros(m, dtype=bool)
    keep[start] = True
    bad = (np.flatnonzero(~ok) + 1).tolist()  # i such that the step (i-1 -> i) is not fine
    lon_l, lat_l, t_l = lon.tolist(), lat.tolist(), t.tolist()
    last, i = start, start + 1
    while i < m:
        if last == i - 1:
            k = bisect_left(bad, i)
            nxt = bad[k] if k < len(bad) else m
            if nxt > i:
                keep[i:nxt] = True
                last, i = nxt - 1, nxt
                continue
        step = t_l[i] - t_l[last]
        if step == 0:
            report.drop("duplicate_timestamp")
        elif step < 0:
            report.drop("time_goes_back")
        else:
            d = _haversine(
                np.array(lon_l[last]), np.array(lat_l[last]), np.array(lon_l[i]), np.array(lat_l[i])
            )
            if float(d) > max_speed_ms * step:
                report.drop("speed_jump")
            else:
                keep[i] = True
                last = i
        i += 1
    return idx[keep], lon[keep], lat[keep]


def _aware(seconds: np.ndarray) -> list[datetime]:
    micros = np.round(seconds * 1e6).astype("int64").astype("datetime64[us]")
    return [d.replace(tzinfo=UTC) for d in micros.astype(object)]


@dataclass
class GpsRecords:
    tracks: list[PatrolTrack]
    track_rows: list[int]
    points: list[FieldPoint]
    point_rows: list[int]


def build(parsed: Parsed, options: dict[str, Any], report: Report, user: Any, token: str) -> GpsRecords:
    crs = parse_crs(options.get("crs"))
    max_speed = float(options.get("max_speed_kmh") or DEFAULT_MAX_SPEED_KMH) / 3.6
    tracks, track_rows = [], []
    total = kept = 0
    for seg in parsed.segments:
        lon = np.asarray(seg.lon, dtype=float)
        lat = np.asarray(seg.lat, dtype=float)
        t = np.asarray(seg.t, dtype=float)
        total += len(t)
        _idx, x, y = good_fixes(lon, lat, t, crs, max_speed, report)
        times = t[_idx]
        kept += len(times)
        if len(times) < 2 or not (np.any(x != x[0]) or np.any(y != y[0])):
            report.warn(
                _(
                    "the track has fewer than two usable fixes at different places (%(n)s of %(total)s "
                    "kept); skipped"
                )
                % {"n": len(times), "total": len(t)},
                seg.number,
                "track",
            )
            continue
        line = shapely.linestrings(np.column_stack([x, y]))
        if not in_lonlat_range(line):
            report.error(_("the track has coordinates out of range"), seg.number, "track")
            continue
        try:
            line, repairs = repair(line)
        except GeometryError as exc:
            report.error(str(exc), seg.number, "track")
            continue
        for warning in repairs:
            report.warn(warning, seg.number, "track")
        micros = np.round(times * 1e6).astype("int64")
        start, end = _aware(times[[0, -1]])
        # One part: each segment stays its own track, since nothing in a GPS log says that two
        # segments are one patrol (the parts of a track are the phone's, patrols.runs).
        walked = shapely.multilinestrings([line])
        track = PatrolTrack(
            worker=user,
            started_at=start,
            ended_at=end,
            timestamps=[],
            geom=GEOSGeometry(memoryview(shapely.to_wkb(walked)), srid=4326),
        )
        # One time per vertex, handed to the writer as integers (see writer.insert).
        track._timestamps_us = micros
        tracks.append(track)
        track_rows.append(seg.number)
    report.counts["points"] = total
    report.counts["points_kept"] = kept
    report.counts["tracks"] = len(tracks)
    points, point_rows = _waypoints(parsed.waypoints, options, crs, report, user, token)
    report.counts["waypoints"] = len(points)
    if not tracks and not points:
        raise IngestError(
            _(
                "No usable track or waypoint: %(total)s fixes were read and %(dropped)s dropped (%(why)s). "
                "Check "
                "that the receiver had a fix and that the crs option matches the coordinates."
            )
            % {
                "total": total + len(parsed.waypoints),
                "dropped": sum(report.dropped.values()),
                "why": ", ".join(f"{k}: {v}" for k, v in report.dropped.items()) or "-",
            },
            code="no_data",
        )
    return GpsRecords(tracks, track_rows, points, point_rows)


def _category(wanted: str) -> FieldPointCategory | None:
    table: dict[str, FieldPointCategory] = {}
    for c in FieldPointCategory.objects.filter(active=True):
        for name in (c.key, c.name_zh, c.name_en):
            table[normalise(name)] = c
    return table.get(normalise(wanted)) if wanted else None


def _waypoints(
    waypoints: list[Waypoint], options: dict[str, Any], crs: CRS, report: Report, user: Any, token: str
) -> tuple[list[FieldPoint], list[int]]:
    if not waypoints:
        return [], []
    default_key = options.get("category") or "other"
    default = _category(default_key)
    if default is None:
        raise IngestError(
            _(
                "The field-point category %(key)r does not exist or is retired; choose another with the "
                "category option."
            )
            % {"key": default_key},
            field="category",
        )
    lon = np.array([w.lon for w in waypoints], dtype=float)
    lat = np.array([w.lat for w in waypoints], dtype=float)
    t = np.array([w.t if np.isfinite(w.t) else 0.0 for w in waypoints], dtype=float)
    bad = ~np.isfinite(lon) | ~np.isfinite(lat) | (lon == 0) | (lat == 0)
    if crs.key in GEOGRAPHIC_INPUTS:
        bad |= (np.abs(lon) > 180) | (np.abs(lat) > 90)
    report.drop("waypoint_bad_position", int(np.count_nonzero(bad)))
    keep = np.flatnonzero(~bad)
    x, y = to_lonlat(lon[keep], lat[keep], crs)
    now = timezone.now()
    points, rows = [], []
    by_type: dict[str, FieldPointCategory | None] = {}
    for j, i in enumerate(keep.tolist()):
        w = waypoints[i]
        if not (-180 <= x[j] <= 180 and -90 <= y[j] <= 90):
            report.drop("waypoint_bad_position")
            continue
        if w.type not in by_type:
            by_type[w.type] = _category(w.type)
        category = by_type[w.type] or default
        note = "\n".join(v for v in (w.name, w.note) if v)
        reported = datetime.fromtimestamp(t[i], tz=UTC) if np.isfinite(w.t) else now
        points.append(
            FieldPoint(
                uuid=uuid.uuid5(uuid.NAMESPACE_URL, f"geoportal:ingest:{token}:wpt:{w.number}"),
                category=category,
                note=note,
                reporter=user,
                reported_at=reported,
                geom=Point(float(x[j]), float(y[j]), srid=4326),
            )
        )
        rows.append(w.number)
    return points, rows


def parse(path: Path, kind: FileType, options: dict[str, Any], report: Report) -> Parsed:
    if kind == FileType.GPX:
        return parse_gpx(path, report)
    if kind == FileType.NMEA:
        return parse_nmea(path, options, report)
    return parse_csv(path, kind, options, report)
