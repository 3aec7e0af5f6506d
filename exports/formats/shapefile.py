"""Shapefiles in a zip, for desktop tools that read nothing else.

What the format imposes, and what this writer does about it (the manifest lists the result):

- **Field names** are at most 10 characters (dBase). A longer name is cut to 10; when two cut
  names collide, the later one ends in ``_1``, ``_2``… (cut further to stay within 10). The
  manifest's ``columns`` give each column's ``short_name``.
- **One geometry type per file.** A layer that holds points and polygons (buildings, project
  sites, places) becomes one Shapefile per kind (``buildings_point.shp``, ``buildings_polygon.shp``)
  in the same zip; single and multi parts share a file (promoted to multi). Features without a
  geometry go into the first file.
- **Encoding.** Text is UTF-8 by default, declared in a ``.cpg`` file; ``encoding=gbk`` writes
  GBK (code page 936) for older Chinese desktop tools that ignore ``.cpg``.
- **Times.** dBase has dates but no times: date-times are written as text in local time
  (``YYYY-MM-DD HH:MM:SS``). Texts longer than 254 bytes are cut by dBase.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from ..tables import Column, Table
from .ogr import BATCH, crs_text, write_batch

Progress = Callable[[int], None]
ENCODINGS = {"utf-8": "UTF-8", "gbk": "GBK"}
FAMILIES = {
    "Point": "point",
    "MultiPoint": "point",
    "LineString": "line",
    "MultiLineString": "line",
    "Polygon": "polygon",
    "MultiPolygon": "polygon",
}
FAMILY_TYPES = {"point": "MultiPoint", "line": "MultiLineString", "polygon": "MultiPolygon"}
# shapely's type ids: 0 Point, 1 LineString, 3 Polygon, 4 MultiPoint, 5 MultiLineString, 6 MultiPolygon
FAMILY_OF_ID = {0: "point", 4: "point", 1: "line", 5: "line", 3: "polygon", 6: "polygon"}


def short_names(names: list[str]) -> list[str]:
    """dBase field names: at most 10 characters, unique (case-insensitively, as dBase compares)."""
    out: list[str] = []
    taken: set[str] = set()
    for name in names:
        short = name[:10]
        n = 0
        while short.lower() in taken:
            n += 1
            suffix = f"_{n}"
            short = name[: 10 - len(suffix)] + suffix
        taken.add(short.lower())
        out.append(short)
    return out


def families(table: Table) -> list[str]:
    found: list[str] = []
    for t in table.geometry_types:
        family = FAMILIES.get(t)
        if family and family not in found:
            found.append(family)
    return found or ["polygon"]


def write(
    table: Table, zip_path: Path, workdir: Path, *, encoding: str, progress: Progress
) -> dict[str, Any]:
    """Write the table as Shapefiles under ``workdir`` and zip them to ``zip_path``; returns what
    the manifest says of them (files, short field names, encoding)."""
    folder = workdir / "shp"
    folder.mkdir(parents=True, exist_ok=True)
    kinds = families(table)
    stems = {f: table.name if len(kinds) == 1 else f"{table.name}_{f}" for f in kinds}
    columns: list[Column] = table.columns
    names = short_names([c.name for c in columns])
    crs = crs_text(table)
    started: set[str] = set()
    written = 0
    gdal_encoding = ENCODINGS[encoding]
    for batch in table.batches(BATCH):
        geoms = shapely.from_wkb(np.array(batch.wkb, dtype=object))
        ids = shapely.get_type_id(geoms)
        family_of = np.array([FAMILY_OF_ID.get(int(i), kinds[0]) for i in ids], dtype=object)
        for family in kinds:
            select = np.flatnonzero(family_of == family)
            if not len(select):
                continue
            written += write_batch(
                folder / f"{stems[family]}.shp",
                batch,
                columns,
                driver="ESRI Shapefile",
                layer=stems[family],
                geometry_type=FAMILY_TYPES[family],
                crs=crs,
                append=family in started,
                dates=False,
                names=names,
                select=select,
                promote_to_multi=True,
                encoding=gdal_encoding,
            )
            started.add(family)
        progress(written)
    if not started:  # no rows: an empty Shapefile of the first kind, with the fields
        write_empty(
            folder / f"{stems[kinds[0]]}.shp", table, names, FAMILY_TYPES[kinds[0]], crs, gdal_encoding
        )
    files = sorted(p for p in folder.iterdir() if p.is_file())
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in files:
            zf.write(path, path.name)
    return {
        "rows": written,
        "files": [p.name for p in files],
        "encoding": gdal_encoding,
        "short_names": dict(zip([c.name for c in columns], names, strict=True)),
    }


def write_empty(
    path: Path, table: Table, names: list[str], geometry_type: str, crs: str | None, encoding: str
) -> None:
    import warnings

    from pyogrio.raw import write as ogr_write

    from .values import ogr_array

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ogr_write(
            str(path),
            np.array([], dtype=object),
            [ogr_array(c.kind, [], dates=False)[0] for c in table.columns],
            names,
            layer=path.stem,
            driver="ESRI Shapefile",
            geometry_type=geometry_type,
            crs=crs,
            encoding=encoding,
        )
