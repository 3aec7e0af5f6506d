"""One writer per export format, behind one call (``write``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.exports import XLSX

from ..models import ExportFormat
from ..tables import Table
from . import csv, geojson, ogr, shapefile, xlsx


@dataclass(frozen=True)
class Format:
    extension: str
    content_type: str


FORMATS: dict[str, Format] = {
    ExportFormat.GEOJSON: Format("geojson", "application/geo+json"),
    ExportFormat.GPKG: Format("gpkg", "application/geopackage+sqlite3"),
    ExportFormat.KML: Format("kml", "application/vnd.google-earth.kml+xml"),
    ExportFormat.SHAPEFILE: Format("zip", "application/zip"),
    ExportFormat.CSV: Format("csv", "text/csv; charset=utf-8"),
    ExportFormat.XLSX: Format("xlsx", XLSX),
}


@dataclass
class Written:
    rows: int
    info: dict[str, Any] = field(default_factory=dict)


def write(
    kind: str,
    table: Table,
    path: Path,
    *,
    workdir: Path,
    options: dict[str, Any],
    progress: Callable[[int], None],
    total: int,
    watermark: str,
    author: str,
) -> Written:
    """Write ``table`` to ``path`` in format ``kind``; ``progress`` gets the rows written so far."""
    if kind == ExportFormat.GEOJSON:
        return Written(geojson.write(table, path, progress=progress, total=total))
    if kind == ExportFormat.GPKG:
        metadata = {"DESCRIPTION": watermark, "watermark": watermark, "exported_by": author}
        return Written(ogr.write(table, path, driver="GPKG", progress=progress, layer_metadata=metadata))
    if kind == ExportFormat.KML:
        return Written(ogr.write_through_geopackage(table, path, driver="KML", progress=progress))
    if kind == ExportFormat.SHAPEFILE:
        encoding = str(options.get("encoding") or "utf-8")
        info = shapefile.write(table, path, workdir, encoding=encoding, progress=progress)
        rows = int(info.pop("rows"))
        return Written(rows, info)
    if kind == ExportFormat.CSV:
        return Written(csv.write(table, path, progress=progress))
    if kind == ExportFormat.XLSX:
        result = xlsx.write(table, path, watermark=watermark, author=author, progress=progress)
        return Written(
            result["rows"], {"sheets": result["sheets"], "geometry_too_long": result["geometry_too_long"]}
        )
    raise ValueError(f"no writer for {kind}")
