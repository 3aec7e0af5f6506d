"""Drone orthophotos: validate, reproject to Web Mercator, convert to a Cloud-Optimized GeoTIFF.

Decisions:
- The COG is stored in EPSG:3857, the CRS of the XYZ tiles it is served as: a source already in
  EPSG:3857 is converted as it is, any other (CGCS2000 Gauss-Krüger, UTM, WGS 84...) is reprojected
  once here (bilinear) rather than on every tile request. Areas outside the source become
  transparent (an alpha band or the source's nodata).
- Compression is DEFLATE (lossless) by default; ``compress: "jpeg"`` gives files ~5-10x smaller for
  8-bit RGB at some loss. Overviews are averaged.
- Only 8-bit imagery is accepted (grey, grey+alpha, RGB, RGBA): that is what a drone mosaic is and
  what a browser can show; multispectral or 16-bit rasters are refused with the reason.
- The footprint is the outline of the valid-data mask (read at <= 1024 px), or the bounds when every
  pixel is valid, converted to EPSG:4326 with ``layers.crs``. The resolution is the ground sampling
  distance in metres at the image centre.
"""

from __future__ import annotations

import contextlib
import math
import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _
from shapely.geometry import box, mapping, shape

from layers.crs import parse_crs, to_storage
from layers.geometry import GeometryError, clean_geometry
from layers.models import Orthophoto

from . import conf
from .report import IngestError, Report

TARGET_CRS = "EPSG:3857"
COMPRESSIONS = {"deflate": "deflate", "jpeg": "jpeg", "lzw": "lzw", "zstd": "zstd", "webp": "webp"}
MASK_PX = 1024
GDAL_CONFIG = {"GDAL_NUM_THREADS": "ALL_CPUS", "GDAL_TIFF_INTERNAL_MASK": "TRUE"}


@dataclass
class OrthophotoOutput:
    record: Orthophoto
    files: list[str]


def _damaged(exc: Exception) -> IngestError:
    return IngestError(
        _(
            "The TIFF cannot be read: it is damaged or cut short (%(reason)s). Upload it again, or export "
            "the "
            "mosaic again from the photogrammetry software."
        )
        % {"reason": str(exc)[:200]},
        code="damaged_file",
    )


def validate(src: Any) -> None:
    import rasterio  # local: rasterio and rio-cogeo add ~50 MB to every worker that never sees a TIFF

    if src.crs is None or src.transform == rasterio.Affine.identity():
        gcps, _gcp_crs = src.gcps
        if gcps:
            raise IngestError(
                _(
                    "The TIFF has ground control points but is not rectified. Warp it to a map projection "
                    "first "
                    "(e.g. gdalwarp) and upload the result."
                ),
                code="no_georeference",
            )
        raise IngestError(
            _(
                "The TIFF has no georeferencing (no coordinate system and geotransform), so it cannot be "
                "placed on "
                "the map. Export the orthophoto as a GeoTIFF with its coordinate system."
            ),
            code="no_georeference",
        )
    if src.width * src.height > conf.max_raster_pixels():
        raise IngestError(
            _("The orthophoto has %(mp).0f megapixels; at most %(max).0f are accepted. Split it into tiles.")
            % {"mp": src.width * src.height / 1e6, "max": conf.max_raster_pixels() / 1e6}
        )
    if src.count not in (1, 2, 3, 4) or any(dtype != "uint8" for dtype in src.dtypes):
        raise IngestError(
            _(
                "The orthophoto has %(n)s band(s) of type %(dtype)s; only 8-bit grey or RGB imagery (with an "
                "optional alpha band) can be served as map tiles. Export an 8-bit RGB orthophoto."
            )
            % {"n": src.count, "dtype": ", ".join(sorted(set(src.dtypes)))},
            code="unsupported_raster",
        )


def _captured_on(src: Any, options: dict[str, Any]) -> date | None:
    if options.get("captured_on"):
        return date.fromisoformat(str(options["captured_on"]))
    stamp = src.tags().get("TIFFTAG_DATETIME")
    if stamp:
        try:
            return datetime.strptime(stamp.strip(), "%Y:%m:%d %H:%M:%S").date()
        except ValueError:
            return None
    return None


def _has_alpha(ds: Any) -> bool:
    from rasterio.enums import ColorInterp  # local: rasterio is heavy (see validate)

    return ColorInterp.alpha in ds.colorinterp


def convert(src: Any, dst: Path, compress: str) -> None:
    """Write ``src`` as a COG in EPSG:3857 at ``dst``."""
    # Local: rasterio and rio-cogeo are heavy (see validate).
    from rasterio.enums import ColorInterp, Resampling
    from rasterio.vrt import WarpedVRT
    from rio_cogeo.cogeo import cog_translate
    from rio_cogeo.profiles import cog_profiles

    profile = dict(cog_profiles.get(COMPRESSIONS[compress]))
    needs_warp = src.crs.to_string() != TARGET_CRS
    add_alpha = needs_warp and src.nodata is None and not _has_alpha(src)
    source = (
        WarpedVRT(src, crs=TARGET_CRS, resampling=Resampling.bilinear, add_alpha=add_alpha)
        if needs_warp
        else src
    )
    try:
        indexes = None
        add_mask = False
        if compress == "jpeg" and _has_alpha(source):
            # JPEG cannot hold an alpha band: keep the colours and turn alpha into an internal mask.
            indexes = [i for i, ci in enumerate(source.colorinterp, start=1) if ci != ColorInterp.alpha]
            add_mask = True
        if compress == "jpeg" and len(indexes or range(source.count)) != 3:
            profile = dict(cog_profiles.get("deflate"))
        cog_translate(
            source,
            str(dst),
            profile,
            indexes=indexes,
            add_mask=add_mask,
            overview_resampling="average",
            in_memory=False,
            quiet=True,
            config=GDAL_CONFIG,
        )
    finally:
        if source is not src:
            source.close()


def footprint(ds: Any) -> Any:
    """The valid-data outline in the dataset's CRS (a shapely (Multi)Polygon)."""
    # Local: rasterio is heavy (see validate).
    import rasterio
    from rasterio.enums import MaskFlags
    from rasterio.features import shapes

    flags = ds.mask_flag_enums
    if all(MaskFlags.all_valid in band for band in flags):
        return box(*ds.bounds)
    scale = max(ds.width, ds.height) / MASK_PX
    width, height = max(1, round(ds.width / max(scale, 1))), max(1, round(ds.height / max(scale, 1)))
    mask = ds.dataset_mask(out_shape=(height, width))
    if not mask.any():
        raise IngestError(_("The orthophoto has no valid pixel: every pixel is nodata or transparent."))
    transform = ds.transform @ rasterio.Affine.scale(ds.width / width, ds.height / height)
    parts = [shape(geom) for geom, value in shapes(mask, mask=mask > 0, transform=transform) if value]
    merged = shapely.union_all(parts)
    pixel = max(abs(transform.a), abs(transform.e))
    merged = shapely.simplify(merged, pixel, preserve_topology=True)
    polys = [p for p in getattr(merged, "geoms", [merged]) if p.geom_type == "Polygon" and not p.is_empty]
    total = sum(p.area for p in polys)
    outlines = [shapely.Polygon(p.exterior) for p in polys if p.area >= 0.001 * total]
    return shapely.MultiPolygon(outlines) if len(outlines) > 1 else outlines[0]


def resolution_m(ds: Any) -> float:
    """Ground sampling distance at the image centre: Web Mercator metres shrink by cos(latitude)."""
    centre = shapely.Point((ds.bounds.left + ds.bounds.right) / 2, (ds.bounds.bottom + ds.bounds.top) / 2)
    lat = to_storage(centre, parse_crs(TARGET_CRS)).y
    return round(abs(ds.transform.a) * math.cos(math.radians(lat)), 4)


def process(
    path: Path, filename: str, options: dict[str, Any], report: Report, token: str, progress
) -> OrthophotoOutput:
    # Local: rasterio and rio-cogeo are heavy (see validate).
    import rasterio
    from rasterio.errors import RasterioError
    from rio_cogeo.cogeo import cog_validate

    name = f"orthophotos/{token}.tif"
    target = Path(default_storage.path(name))
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part.tif")
    compress = options.get("compress") or "deflate"
    try:
        with rasterio.Env(**GDAL_CONFIG), rasterio.open(path) as src:
            validate(src)
            report.info["source"] = {
                "crs": src.crs.to_string(),
                "width": src.width,
                "height": src.height,
                "bands": src.count,
                "resolution": [abs(src.transform.a), abs(src.transform.e)],
            }
            captured = _captured_on(src, options)
            progress(0.05)
            convert(src, partial, compress)
        progress(0.8)
        valid, errors, _warnings = cog_validate(str(partial), quiet=True)
        if not valid:
            raise IngestError(
                _("The converted file is not a valid COG: %(errors)s") % {"errors": "; ".join(errors)}
            )
        os.replace(partial, target)
        with rasterio.open(target) as cog:
            outline = footprint(cog)
            res = resolution_m(cog)
            report.info["cog"] = {
                "crs": cog.crs.to_string(),
                "width": cog.width,
                "height": cog.height,
                "overviews": cog.overviews(1),
                "compression": compress,
                "size_bytes": target.stat().st_size,
            }
    except IngestError:
        _remove(partial, target)
        raise
    except (RasterioError, OSError) as exc:
        _remove(partial, target)
        raise _damaged(exc) from exc
    except Exception:
        _remove(partial, target)
        raise
    progress(0.9)
    try:
        lonlat = to_storage(outline, parse_crs(TARGET_CRS))
        geom = clean_geometry(mapping(lonlat), ("MultiPolygon",), "EPSG:4326", multi=True)
    except GeometryError as exc:
        _remove(partial, target)
        raise IngestError(
            _("The orthophoto's footprint is not usable: %(reason)s") % {"reason": exc}
        ) from exc
    for warning in geom.warnings:
        report.warn(warning, unit="footprint")
    record = Orthophoto(
        title=str(options.get("title") or Path(filename).stem)[:100],
        resolution_m=res,
        captured_on=captured,
        cog=name,
        is_public=bool(options.get("is_public", False)),
        geom=geom.geom,
    )
    report.info["orthophoto"] = {
        "resolution_m": res,
        "captured_on": captured.isoformat() if captured else None,
        "bounds": list(np.round(geom.geom.extent, 7)),
    }
    report.counts["orthophotos"] = 1
    return OrthophotoOutput(record, [name])


def _remove(*paths: Path) -> None:
    for p in paths:
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
