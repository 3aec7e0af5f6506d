"""360° panoramas: position, heading and time from the photo, a thumbnail, and phone-sized tiles.

- Position: EXIF GPS (WGS 84, as phones and 360° cameras record it), or the ``lon``/``lat`` options
  (with ``crs`` if they were picked on a GCJ-02 or BD-09 map). Options win over EXIF; a photo with no
  EXIF position is accepted only if the user gives one.
- Heading (the compass direction of the image centre, the viewer's ``northOffset``): the ``heading``
  option, else GPano XMP ``PoseHeadingDegrees``, else EXIF ``GPSImgDirection``, else 0 with a warning.
- Tiles: a Pannellum "multires" cube (``config.json`` in the tile folder): six faces of at most
  2048 px cut into 512 px tiles at every level, plus 1024 px fallback faces. No texture a phone has
  to load is larger than 1024 px, far below the WebGL limit (4096 on most phones).
- The panorama is linked to the nearest land parcel and the nearest building within ``tolerance_m``
  metres (geodesic, default 50) that the user may see.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import piexif
from django.contrib.gis.geos import Point, Polygon
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image

from layers.geometry import GeometryError, clean_geometry
from layers.models import Panorama
from layers.registry import LAYERS
from policy.predicates import read_filter

from .report import IngestError, Report
from .xmlsafe import fromstring

GPANO = "{http://ns.google.com/photos/1.0/panorama/}"
TILE = 512
MAX_FACE = 2048
FALLBACK = 1024
THUMB = (512, 256)
MAX_PIXELS = 16384 * 8192
DEFAULT_TOLERANCE_M = 50.0
# Pannellum's face names and the direction each looks at: (yaw, pitch) in degrees.
FACES = {"f": (0, 0), "r": (90, 0), "b": (180, 0), "l": (-90, 0), "u": (0, 90), "d": (0, -90)}


@dataclass
class PhotoMeta:
    lon: float | None = None
    lat: float | None = None
    heading: float | None = None
    heading_source: str = ""
    captured_at: datetime | None = None


# --- metadata ---------------------------------------------------------------------------------------


def _rational(value: Any) -> float:
    num, den = value
    return num / den if den else float("nan")


def _dms(values: Any, ref: bytes) -> float:
    deg, minutes, seconds = (_rational(v) for v in values)
    out = deg + minutes / 60 + seconds / 3600
    return -out if ref in (b"S", b"W") else out


def read_exif(img: Image.Image, meta: PhotoMeta, report: Report) -> None:
    raw = img.info.get("exif")
    if not raw:
        return
    try:
        exif = piexif.load(raw)
    except Exception:  # piexif raises plain ValueError/struct.error/KeyError on damaged EXIF
        report.warn(_("the EXIF block is damaged and was ignored"))
        return
    gps = exif.get("GPS") or {}
    try:
        if piexif.GPSIFD.GPSLatitude in gps and piexif.GPSIFD.GPSLongitude in gps:
            lat = _dms(gps[piexif.GPSIFD.GPSLatitude], gps.get(piexif.GPSIFD.GPSLatitudeRef, b"N"))
            lon = _dms(gps[piexif.GPSIFD.GPSLongitude], gps.get(piexif.GPSIFD.GPSLongitudeRef, b"E"))
            if math.isfinite(lat) and math.isfinite(lon) and not (lat == 0 and lon == 0):
                meta.lon, meta.lat = lon, lat
        if piexif.GPSIFD.GPSImgDirection in gps:
            heading = _rational(gps[piexif.GPSIFD.GPSImgDirection])
            if math.isfinite(heading):
                meta.heading, meta.heading_source = heading % 360, "EXIF GPSImgDirection"
                if gps.get(piexif.GPSIFD.GPSImgDirectionRef) == b"M":
                    report.warn(_("the EXIF heading is magnetic, not true north; it was used as it is"))
    except (TypeError, ValueError, ZeroDivisionError):
        report.warn(_("the EXIF GPS block is damaged and was ignored"))
    original = (exif.get("Exif") or {}).get(piexif.ExifIFD.DateTimeOriginal)
    if original:
        try:
            moment = datetime.strptime(original.decode("ascii").strip("\x00 "), "%Y:%m:%d %H:%M:%S")
            offset = (exif.get("Exif") or {}).get(piexif.ExifIFD.OffsetTimeOriginal)
            if offset:
                moment = datetime.fromisoformat(moment.isoformat() + offset.decode("ascii").strip("\x00 "))
            meta.captured_at = moment if timezone.is_aware(moment) else timezone.make_aware(moment)
        except (ValueError, UnicodeDecodeError):
            report.warn(
                _("the EXIF capture time %(value)r is not a date and was ignored") % {"value": original[:30]}
            )


def read_xmp_heading(img: Image.Image, meta: PhotoMeta) -> None:
    """GPano PoseHeadingDegrees, as attribute or element (both forms exist in the wild)."""
    raw = img.info.get("xmp")
    if not raw:
        return
    root = fromstring(raw)  # defusedxml: an entity bomb in XMP fails the job with its own message
    for el in root.iter():
        value = el.get(f"{GPANO}PoseHeadingDegrees")
        if value is None and el.tag == f"{GPANO}PoseHeadingDegrees":
            value = el.text
        if value is not None:
            with contextlib.suppress(ValueError):
                meta.heading, meta.heading_source = float(value) % 360, "GPano PoseHeadingDegrees"
            return


# --- cube faces and tiles -----------------------------------------------------------------------------


def _lonlat(yaw: float, pitch: float, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Direction of face pixel (x right, y down, both -1..1) as longitude/latitude in radians."""
    yaw, pitch = math.radians(yaw), math.radians(pitch)
    ps, pc, ys, yc = math.sin(pitch), math.cos(pitch), math.sin(yaw), math.cos(yaw)
    # forward F, right R, up U of a camera at (yaw, pitch); a pixel looks along F + x R - y U.
    dx = pc * yc - x * ys + y * ps * yc
    dy = pc * ys + x * yc + y * ps * ys
    dz = ps - y * pc
    return np.arctan2(dy, dx), np.arctan2(dz, np.hypot(dx, dy))


def _cells(size: int, polar: bool) -> np.ndarray:
    """Target rectangles of the mesh: 32 px, and 4 px around the zenith/nadir where lon turns fast."""
    step, fine, near = 32, 4, 128
    out = []
    for y0 in range(0, size, step):
        for x0 in range(0, size, step):
            centre = max(abs(x0 + step / 2 - size / 2), abs(y0 + step / 2 - size / 2))
            s = fine if polar and centre < near else step
            for yy in range(y0, min(y0 + step, size), s):
                for xx in range(x0, min(x0 + step, size), s):
                    out.append((xx, yy, min(xx + s, size), min(yy + s, size)))
    return np.array(out, dtype=np.float64)


def _mesh(name: str, size: int, width: int, height: int) -> list[tuple[tuple[int, ...], tuple[float, ...]]]:
    """Pillow MESH: each face rectangle and the source quadrilateral it samples from."""
    yaw, pitch = FACES[name]
    boxes = _cells(size, pitch != 0)
    cx = np.stack([boxes[:, 0], boxes[:, 0], boxes[:, 2], boxes[:, 2]], 1)  # UL, LL, LR, UR
    cy = np.stack([boxes[:, 1], boxes[:, 3], boxes[:, 3], boxes[:, 1]], 1)
    x, y = cx / size * 2 - 1, cy / size * 2 - 1
    lon, lat = _lonlat(yaw, pitch, x, y)
    if name == "b":  # the back face straddles the seam: read it all from beyond +180°
        lon = np.where(lon < 0, lon + 2 * math.pi, lon)
    # Keep each quad on one side of the ±180° seam; the source is padded on the right to match.
    lon = np.where(lon < lon.max(axis=1, keepdims=True) - math.pi, lon + 2 * math.pi, lon)
    pole = (np.hypot(x, y) < 1e-9) & (pitch != 0)
    if pole.any():  # the zenith/nadir has no longitude: take the cell's others
        mean = np.nanmean(np.where(pole, np.nan, lon), axis=1, keepdims=True)
        lon = np.where(pole, mean, lon)
    u = (lon / (2 * math.pi) + 0.5) * width
    v = (0.5 - lat / math.pi) * height
    quads = np.stack([u, v], axis=2).reshape(len(boxes), 8)
    return [
        (tuple(int(b) for b in box), tuple(q)) for box, q in zip(boxes.tolist(), quads.tolist(), strict=True)
    ]


def face_size(width: int) -> int:
    """Cube face resolution: a quarter of the panorama width (1:1 at the equator), at most 2048."""
    return max(TILE // 2, min(MAX_FACE, (width // 4) // 8 * 8))


@lru_cache(maxsize=16)
def _shifted_mesh(name: str, size: int, width: int, height: int, dx: float, dy: float) -> tuple:
    """The mesh for a source cut out of the panorama at (dx, dy); cached per image size."""
    out = []
    for box, quad in _mesh(name, size, width, height):
        out.append((box, tuple(v - (dx if i % 2 == 0 else dy) for i, v in enumerate(quad))))
    return tuple(out)


def _sources(img: Image.Image) -> dict[str, tuple[Image.Image, float, float]]:
    """For each face, the smallest part of the panorama it samples, and that part's offset.

    The side faces f, r, l look at longitudes -135°..135°: the image itself. The back face spans the
    ±180° seam and the zenith/nadir faces all longitudes: they read a strip with the image's left
    edge repeated on its right (quads are unwrapped across the seam in ``_mesh``).
    """
    width, height = img.size
    margin = 4  # bilinear sampling reads a pixel beyond a quad's edge
    out: dict[str, tuple[Image.Image, float, float]] = {name: (img, 0.0, 0.0) for name in ("f", "r", "l")}
    left = width * 7 // 8 - margin
    back = Image.new("RGB", (width - left + width // 8 + margin, height))
    back.paste(img.crop((left, 0, width, height)), (0, 0))
    back.paste(img.crop((0, 0, width // 8 + margin, height)), (width - left, 0))
    out["b"] = (back, float(left), 0.0)
    # Cube corners are 35.26° from the poles' horizon: the polar faces see latitudes beyond that.
    rows = math.ceil(height * (0.5 - 35.26 / 180)) + margin
    pad = width // 4
    for name, top in (("u", 0), ("d", height - rows)):
        strip = Image.new("RGB", (width + pad, rows))
        strip.paste(img.crop((0, top, width, top + rows)), (0, 0))
        strip.paste(img.crop((0, top, pad, top + rows)), (width, 0))
        out[name] = (strip, 0.0, float(top))
    return out


def cube_faces(img: Image.Image) -> dict[str, Image.Image]:
    width, height = img.size
    size = face_size(width)
    sources = _sources(img)

    def one(name: str) -> tuple[str, Image.Image]:
        source, dx, dy = sources[name]
        mesh = _shifted_mesh(name, size, width, height, dx, dy)
        return name, source.transform(
            (size, size), Image.Transform.MESH, mesh, resample=Image.Resampling.BILINEAR
        )

    with ThreadPoolExecutor(max_workers=2) as pool:  # Pillow releases the GIL while transforming
        return dict(pool.map(one, FACES))


def _jpeg(img: Image.Image, quality: int = 82) -> bytes:
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality)
    return out.getvalue()


def multires(faces: dict[str, Image.Image]) -> tuple[dict[str, bytes], dict[str, Any]]:
    """Pannellum multires tiles: path '/%l/%s%y_%x', level 1 is the smallest."""
    size = next(iter(faces.values())).size[0]
    max_level = max(1, math.ceil(math.log2(size / TILE)) + 1)
    files: dict[str, bytes] = {}
    for name, face in faces.items():
        for level in range(max_level, 0, -1):
            level_size = math.ceil(size / 2 ** (max_level - level))
            scaled = (
                face if level_size == size else face.resize((level_size, level_size), Image.Resampling.BOX)
            )
            for ty in range(math.ceil(level_size / TILE)):
                for tx in range(math.ceil(level_size / TILE)):
                    box = (
                        tx * TILE,
                        ty * TILE,
                        min((tx + 1) * TILE, level_size),
                        min((ty + 1) * TILE, level_size),
                    )
                    files[f"{level}/{name}{ty}_{tx}.jpg"] = _jpeg(scaled.crop(box))
        fallback = face if size <= FALLBACK else face.resize((FALLBACK, FALLBACK), Image.Resampling.BOX)
        files[f"fallback/{name}.jpg"] = _jpeg(fallback)
    config = {
        "type": "multires",
        "multiRes": {
            "path": "/%l/%s%y_%x",
            "fallbackPath": "/fallback/%s",
            "extension": "jpg",
            "tileResolution": TILE,
            "maxLevel": max_level,
            "cubeResolution": size,
        },
    }
    return files, config


# --- carriers -------------------------------------------------------------------------------------------


def nearest(layer: str, point: Point, tolerance_m: float, user: Any) -> tuple[Any, float] | None:
    """The nearest record of ``layer`` the user may read within ``tolerance_m`` (geodesic)."""
    spec = LAYERS[layer]
    model = spec.model
    # A generous lon/lat box so the spatial index does the first cut; the geodesic test decides.
    dlat = tolerance_m / 110_000 + 1e-6
    dlon = tolerance_m / (110_000 * max(math.cos(math.radians(point.y)), 0.01)) + 1e-6
    box = Polygon.from_bbox((point.x - dlon, point.y - dlat, point.x + dlon, point.y + dlat))
    box.srid = 4326
    table = model._meta.db_table
    distance = RawSQL(
        f'ST_Distance("{table}"."geom"::geography, ST_GeomFromEWKB(%s)::geography)', [bytes(point.ewkb)]
    )
    found = (
        model.objects.filter(read_filter(user, spec), geom__intersects=box)
        .annotate(distance_m=distance)
        .filter(distance_m__lte=tolerance_m)
        .order_by("distance_m", "pk")
        .first()
    )
    return (found, float(found.distance_m)) if found is not None else None


# --- the job ---------------------------------------------------------------------------------------------


@dataclass
class PanoramaOutput:
    record: Panorama
    files: list[str]


def open_image(path: Path) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(path)
            if img.width * img.height > MAX_PIXELS:
                raise IngestError(
                    _(
                        "The panorama is %(w)s x %(h)s pixels; at most 16384 x 8192 are accepted. Export it "
                        "smaller."
                    )
                    % {"w": img.width, "h": img.height}
                )
            img.load()
    except IngestError:
        raise
    except (
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombWarning,
        Image.DecompressionBombError,
    ) as exc:
        raise IngestError(
            _(
                "The JPEG cannot be decoded (%(reason)s): it is damaged or cut short. Copy it from the "
                "camera again."
            )
            % {"reason": exc},
            code="damaged_file",
        ) from exc
    return img


def process(
    path: Path, filename: str, options: dict[str, Any], report: Report, user: Any, token: str, progress
) -> PanoramaOutput:
    img = open_image(path)
    meta = PhotoMeta()
    read_exif(img, meta, report)
    read_xmp_heading(img, meta)
    width, height = img.size
    report.info["image"] = {"width": width, "height": height}
    if not 1.9 <= width / height <= 2.1:
        raise IngestError(
            _(
                "The photo is %(w)s x %(h)s pixels; a 360° panorama is an equirectangular image twice as "
                "wide as "
                "high (2:1). Export the full 360 x 180 degree equirectangular image from the camera software."
            )
            % {"w": width, "h": height},
            code="not_panorama",
        )
    if options.get("lon") is not None and options.get("lat") is not None:
        lon, lat, crs = float(options["lon"]), float(options["lat"]), options.get("crs")
        position_source = "options"
    elif meta.lon is not None:
        lon, lat, crs = meta.lon, meta.lat, "EPSG:4326"
        position_source = "EXIF GPS"
    else:
        raise IngestError(
            _(
                "The photo has no GPS position in its EXIF. Give the position where it was taken with the "
                "lon and "
                "lat options (and crs, e.g. gcj02, if you picked it on an AMap or Tencent map)."
            ),
            code="no_position",
            field="lon",
        )
    try:
        geom = clean_geometry({"type": "Point", "coordinates": [lon, lat]}, ("Point",), crs).geom
    except GeometryError as exc:
        raise IngestError(
            _("The position (%(lon)s, %(lat)s) from %(source)s is not usable: %(reason)s")
            % {"lon": lon, "lat": lat, "source": position_source, "reason": exc},
            code="bad_position",
        ) from exc
    if options.get("heading") is not None:
        meta.heading, meta.heading_source = float(options["heading"]) % 360, "options"
    if meta.heading is None:
        meta.heading, meta.heading_source = 0.0, "default"
        report.warn(_("the photo records no heading (GPano or EXIF); north is assumed at the image centre"))
    captured = (
        datetime.fromisoformat(options["captured_at"]) if options.get("captured_at") else meta.captured_at
    )
    progress(0.2)

    image_rgb = img.convert("RGB") if img.mode != "RGB" else img
    base = f"panoramas/tiles/{token}"
    written: list[str] = []

    def put(name: str, data: bytes) -> str:
        if default_storage.exists(name):
            default_storage.delete(name)  # a rerun of the same job overwrites, never duplicates
        saved = default_storage.save(name, ContentFile(data))
        written.append(saved)
        return saved

    try:
        image_name = put(f"panoramas/{token}.jpg", Path(path).read_bytes())
        thumb = image_rgb.resize(
            THUMB, Image.Resampling.BOX if width >= THUMB[0] * 2 else Image.Resampling.LANCZOS
        )
        thumb_name = put(f"panoramas/thumbs/{token}.jpg", _jpeg(thumb, 80))
        faces = cube_faces(image_rgb)
        progress(0.6)
        tiles, config = multires(faces)
        for name, data in tiles.items():
            put(f"{base}/{name}", data)
        config["northOffset"] = meta.heading
        put(f"{base}/config.json", json.dumps(config, indent=1).encode())
    except Exception:
        for name in written:
            default_storage.delete(name)
        raise
    progress(0.9)
    record = Panorama(
        title=str(options.get("title") or Path(filename).stem)[:100],
        heading_deg=round(meta.heading, 2),
        captured_at=captured,
        image=image_name,
        thumbnail=thumb_name,
        tiles_path=base,
        is_public=bool(options.get("is_public", False)),
        geom=geom,
    )
    tolerance = float(options.get("tolerance_m", DEFAULT_TOLERANCE_M))
    links: dict[str, Any] = {}
    for layer, attr in (("parcels", "parcel"), ("buildings", "building")):
        hit = nearest(layer, geom, tolerance, user)
        if hit:
            setattr(record, attr, hit[0])
            links[attr] = {"id": hit[0].pk, "distance_m": round(hit[1], 1)}
    if not links:
        report.warn(
            _(
                "no parcel or building you can see lies within %(tol)s m; the panorama is not linked to a "
                "carrier"
            )
            % {"tol": tolerance}
        )
    report.info["panorama"] = {
        "position": {"lon": round(geom.x, 7), "lat": round(geom.y, 7), "source": position_source},
        "heading_deg": round(meta.heading, 2),
        "heading_source": meta.heading_source,
        "captured_at": captured.isoformat() if hasattr(captured, "isoformat") else captured,
        "tiles": {
            "path": base,
            "count": len(tiles),
            "face_px": config["multiRes"]["cubeResolution"],
            "tile_px": TILE,
        },
        "links": links,
    }
    report.counts["panoramas"] = 1
    return PanoramaOutput(record, written)
