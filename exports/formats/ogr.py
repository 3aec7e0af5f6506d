"""GeoPackage and KML through GDAL (``pyogrio.raw.write``), one batch at a time (``append``), so
memory stays flat whatever the number of features."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..tables import Column, Rows, Table
from .values import ogr_array

BATCH = 5000
Progress = Callable[[int], None]


def crs_text(table: Table) -> str | None:
    epsg = table.crs.epsg
    return f"EPSG:{epsg}" if epsg else None


def write_batch(
    path: Path,
    batch: Rows,
    columns: list[Column],
    *,
    driver: str,
    layer: str,
    geometry_type: str,
    crs: str | None,
    append: bool,
    dates: bool = True,
    names: list[str] | None = None,
    select: np.ndarray | None = None,
    **options: Any,
) -> int:
    """Write one batch (or the rows ``select`` picks of it); returns how many rows were written."""
    data, masks, offsets = [], [], {}
    out_names = names or [c.name for c in columns]
    for c, out_name in zip(columns, out_names, strict=True):
        values = batch.values[c.name]
        if select is not None:
            values = [values[i] for i in select]
        array, mask, tz = ogr_array(c.kind, values, dates=dates)
        data.append(array)
        masks.append(mask)
        if tz is not None:
            offsets[out_name] = tz
    wkb = batch.wkb if select is None else [batch.wkb[i] for i in select]
    if not wkb:
        return 0
    geometry = np.array(wkb, dtype=object)
    from pyogrio.raw import write as ogr_write  # local: pyogrio pulls in pandas/geopandas (~90 MB)

    with warnings.catch_warnings():
        # GDAL reports truncated dBase fields and the like as RuntimeWarnings; the manifest says
        # what each format keeps.
        warnings.simplefilter("ignore", RuntimeWarning)
        ogr_write(
            str(path),
            geometry,
            data,
            out_names,
            field_mask=masks if any(m is not None for m in masks) else None,
            layer=layer,
            driver=driver,
            geometry_type=geometry_type,
            crs=crs,
            append=append,
            gdal_tz_offsets=offsets or None,
            **options,
        )
    return len(wkb)


def write(
    table: Table,
    path: Path,
    *,
    driver: str,
    progress: Progress,
    layer_metadata: dict[str, str] | None = None,
    promote_to_multi: bool | None = None,
) -> int:
    """The whole table into one layer of a new file at ``path``; returns the rows written."""
    crs = crs_text(table)
    written = 0
    first = True
    for batch in table.batches(BATCH):
        extra: dict[str, Any] = {"layer_metadata": layer_metadata} if first and layer_metadata else {}
        written += write_batch(
            path,
            batch,
            table.columns,
            driver=driver,
            layer=table.name,
            geometry_type=table.geometry_type,
            crs=crs,
            append=not first,
            promote_to_multi=promote_to_multi,
            **extra,
        )
        first = False
        progress(written)
    if first:  # no rows: still a valid, empty layer with the table's fields
        _empty(table, path, driver, crs)
    return written


def _empty(table: Table, path: Path, driver: str, crs: str | None) -> None:
    from pyogrio.raw import write as ogr_write  # local: pyogrio pulls in pandas/geopandas (~90 MB)

    data = [ogr_array(c.kind, [])[0] for c in table.columns]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ogr_write(
            str(path),
            np.array([], dtype=object),
            data,
            [c.name for c in table.columns],
            layer=table.name,
            driver=driver,
            geometry_type=table.geometry_type,
            crs=crs,
        )
