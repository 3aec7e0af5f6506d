"""CSV in UTF-8 with a byte-order mark, so Excel opens Chinese text right.

A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to a
spreadsheet (OWASP: CSV injection); it is written with a leading apostrophe, which Excel shows as
text. Numbers are written as numbers (a negative number is not text). A layer's geometry is the
last column, ``WKT``, in the export's CRS (QGIS reads it as a delimited-text layer).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import numpy as np
import shapely

from ..tables import Table
from .values import neutralised, text

BATCH = 5000
Progress = Callable[[int], None]
WKT_COLUMN = "WKT"


def header(table: Table) -> list[str]:
    return [c.title or c.name for c in table.columns] + ([WKT_COLUMN] if table.geographic else [])


def write(table: Table, path: Path, *, progress: Progress) -> int:
    written = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        sink = csv.writer(out)
        sink.writerow([neutralised(h) for h in header(table)])
        for batch in table.batches(BATCH):
            columns = [(c.kind, batch.values[c.name]) for c in table.columns]
            wkt: list[str | None] = []
            if table.geographic:
                geoms = shapely.from_wkb(np.array(batch.wkb, dtype=object))
                wkt = [None if g is None else shapely.to_wkt(g, trim=True) for g in geoms]
            for i in range(len(batch.ids)):
                row: list[object] = []
                for kind, values in columns:
                    value = values[i]
                    if value is None:
                        row.append("")
                    elif isinstance(value, (int, float)) and not isinstance(value, bool):
                        row.append(value)
                    else:
                        row.append(neutralised(text(kind, value) or ""))
                if table.geographic:
                    row.append(wkt[i] or "")
                sink.writerow(row)
            written += len(batch.ids)
            progress(written)
    return written
