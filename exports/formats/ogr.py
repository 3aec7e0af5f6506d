"""GeoPackage and KML through GDAL (``pyogrio.raw.write``), one batch at a time (``append``), so
memory stays flat whatever the number of features."""

from __future__ import annotations

import contextlib
import itertools
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .. import columnar
from ..tables import Column, FeatureTable, Rows, Table
from . import ogr_child
from .values import ogr_array

BATCH = 5000
# A GeoPackage is written in large batches: each call of the writer opens the file, starts a
# transaction and, after the first, updates the spatial index row by row; fewer calls cost less.
GPKG_BATCH = 25000
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
    if driver == "GPKG" and isinstance(table, FeatureTable):
        return _write_columns(table, path, driver, progress, crs, layer_metadata, promote_to_multi)
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


class Pipe:
    """``pyogrio.raw.write`` calls run in order by a child process (``ogr_child``), so that GDAL
    writes one batch while this process reads the next (see there why)."""

    def __init__(self, cwd: Path) -> None:
        self.errors = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen(  # noqa: S603 - our own script, run by our own interpreter
            [sys.executable, str(Path(__file__).with_name("ogr_child.py"))],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=self.errors,
            cwd=cwd,
        )

    def write(self, *args: Any, **kwargs: Any) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(ogr_child.frame(args, kwargs))
        except BrokenPipeError:  # the child stopped on an error: finish() says which
            self.finish()
            raise

    def finish(self) -> None:
        """Wait for the last batch to be written; raises with GDAL's error if one failed."""
        assert self.proc.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            self.proc.stdin.close()
        if self.proc.wait() != 0:
            self.errors.seek(0)
            lines = self.errors.read().decode("utf-8", "replace").strip().splitlines()
            raise RuntimeError(
                f"GDAL could not write the file: {lines[-1] if lines else self.proc.returncode}"
            )

    def close(self) -> None:
        """Stop the child if it still runs (the export failed or was cancelled)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.errors.close()


class InProcess:
    """``Pipe``'s calls in this process: for a table of one batch, which a child would only slow
    down (starting it and importing pyogrio there take a few tenths of a second)."""

    def write(self, *args: Any, **kwargs: Any) -> None:
        from pyogrio.raw import write as ogr_write  # local: pyogrio pulls in pandas/geopandas (~90 MB)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            ogr_write(*args, **kwargs)

    def finish(self) -> None:
        pass

    def close(self) -> None:
        pass


def _write_columns(
    table: FeatureTable,
    path: Path,
    driver: str,
    progress: Progress,
    crs: str | None,
    layer_metadata: dict[str, str] | None,
    promote_to_multi: bool | None,
) -> int:
    """A layer's features through typed columns (``exports.columnar``): the same file as the
    per-value path, without its Python work per value. A table of more than one batch is written
    by a child process (``Pipe``), reading and writing at the same time."""
    batches = table.column_batches(GPKG_BATCH)
    head = list(itertools.islice(batches, 2))
    writer: Pipe | InProcess = Pipe(path.parent) if len(head) > 1 else InProcess()
    written = 0
    try:
        for batch in itertools.chain(head, batches):
            first = written == 0
            data, masks, offsets = [], [], {}
            for c in batch.columns:
                array, mask, tz = columnar.arrays(c, batch.values[c.name], first=first)
                data.append(array)
                masks.append(mask)
                if tz is not None:
                    offsets[c.name] = tz
            options: dict[str, Any] = {"layer_metadata": layer_metadata} if first and layer_metadata else {}
            writer.write(
                str(path),
                np.array(batch.wkb, dtype=object),
                data,
                [c.name for c in batch.columns],
                field_mask=masks if any(m is not None for m in masks) else None,
                layer=table.name,
                driver=driver,
                geometry_type=table.geometry_type,
                crs=crs,
                append=not first,
                gdal_tz_offsets=offsets or None,
                promote_to_multi=promote_to_multi,
                **options,
            )
            written += len(batch)
            progress(written)  # handed to the writer; finish() waits for it
        if not written:  # no rows: still a valid, empty layer with the table's fields
            args, kwargs = _empty_call(table, path, driver, crs)
            writer.write(*args, **kwargs)
        writer.finish()
    finally:
        writer.close()
    return written


def _empty_call(
    table: Table, path: Path, driver: str, crs: str | None
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The write of an empty layer with the table's fields."""
    data = [ogr_array(c.kind, [])[0] for c in table.columns]
    args = (str(path), np.array([], dtype=object), data, [c.name for c in table.columns])
    return args, {"layer": table.name, "driver": driver, "geometry_type": table.geometry_type, "crs": crs}


def _empty(table: Table, path: Path, driver: str, crs: str | None) -> None:
    from pyogrio.raw import write as ogr_write  # local: pyogrio pulls in pandas/geopandas (~90 MB)

    args, kwargs = _empty_call(table, path, driver, crs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ogr_write(*args, **kwargs)


def write_through_geopackage(table: Table, path: Path, *, driver: str, progress: Progress) -> int:
    """A KML file, by way of a temporary GeoPackage.

    GDAL's LIBKML writer keeps the document in memory and rewrites it on every append: batch by
    batch, 50,000 buildings took more than 20 minutes, and even one LIBKML pass over them took
    more than ten. The rows go to a GeoPackage by the fast path above, then one ``ogr2ogr`` pass
    with GDAL's streaming KML driver (gdal-bin, which the platform installs) writes the KML:
    1.3 s for those buildings. 64-bit integers (ids) become text, which KML's SimpleData is.
    """
    staging = path.with_name(f"{path.stem}.staging.gpkg")
    try:
        written = write(table, staging, driver="GPKG", progress=progress)
        done = subprocess.run(
            ["ogr2ogr", "-f", driver, str(path), str(staging), "-nln", table.name]
            + ["-mapFieldType", "Integer64=String"],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"ogr2ogr -f {driver}: {done.stderr.strip()[:500]}")
    finally:
        staging.unlink(missing_ok=True)
    return written
