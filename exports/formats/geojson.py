"""GeoJSON, streamed: a FeatureCollection written as the source yields its Features' text.

When the source builds the Features in SQL (``FeatureSource.chunks``), Python only joins their
texts; otherwise (extra columns, such as a nearby search's distance) each Feature is built here from
its batch. Outside EPSG:4326 the collection names its CRS (the 2008 ``crs`` member, which GDAL and
QGIS read); RFC 7946 itself knows only WGS 84.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from ..tables import Table
from .values import json_text, text

CHUNK = 500
Progress = Callable[[int], None]


def _header(table: Table) -> str:
    head: dict[str, Any] = {"type": "FeatureCollection", "name": table.name}
    if table.crs.epsg and table.crs.epsg != 4326:
        head["crs"] = {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{table.crs.epsg}"}}
    return json.dumps(head, ensure_ascii=False)[:-1] + ', "features": ['


def _plain(kind: str, value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if kind in ("json", "array") or isinstance(value, (dict, list)):
        return json.loads(json_text(value))
    return text(kind, value)


def _features(table: Table) -> Iterator[tuple[str, int]]:
    for batch in table.batches(CHUNK):
        geoms = shapely.from_wkb(np.array(batch.wkb, dtype=object))
        parts = []
        for i, pk in enumerate(batch.ids):
            props = {c.name: _plain(c.kind, batch.values[c.name][i]) for c in table.columns if c.name != "id"}
            geom = geoms[i]
            geometry = shapely.to_geojson(geom) if geom is not None else "null"
            parts.append(
                f'{{"type": "Feature", "id": {pk}, "geometry": {geometry}, "properties": {json_text(props)}}}'
            )
        yield ", ".join(parts), len(parts)


def write(table: Table, path: Path, *, progress: Progress, total: int) -> int:
    """Write the collection; ``total`` is the row count read in the same snapshot (the processor
    reads in one repeatable-read transaction), which numbers the SQL-built chunks: each holds
    ``CHUNK`` Features but the last."""
    written = 0
    chunks = table.chunks(CHUNK)
    with open(path, "w", encoding="utf-8") as out:
        out.write(_header(table))
        first = True
        if chunks is not None:
            pieces: Iterator[tuple[str, int]] = ((c, CHUNK) for c in chunks)
        else:
            pieces = _features(table)
        for piece, n in pieces:
            if not piece:
                continue
            out.write(piece if first else ", " + piece)
            first = False
            written = min(written + n, total) if chunks is not None else written + n
            progress(written)
        out.write("]}\n")
    return written
