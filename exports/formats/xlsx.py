"""Excel workbooks with xlsxwriter in constant-memory mode: each row goes to disk as it is written.

- **Sheets.** Excel holds 1,048,576 rows per sheet; the watermark and the header repeat at the top
  of every sheet and count towards it, so a sheet takes ``max_rows - 2`` data rows and the next
  rows start a new sheet (``名称 (2)``, ``名称 (3)``…).
- **Watermark** (``core.exports.watermark_text``): the first row of every sheet, the printed page
  header, and the file's properties (author, comments), as the platform's other workbooks.
- **No formulas.** Text is written as text (``write_string``), never parsed as a formula, number or
  link; a text that starts like a formula also gets Excel's hidden quote prefix, so retyping the
  cell does not turn it into one.
- **Geometry** (a layer's) is the last column, ``WKT``; a geometry longer than a cell holds (32,767
  characters) is left empty and counted in the manifest's warnings.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from ..conf import XLSX_MAX_ROWS
from ..tables import Table
from .csv import header as csv_header
from .values import cell, dangerous

BATCH = 5000
CELL_MAX = 32_767
HEAD_ROWS = 2  # the watermark, then the header
Progress = Callable[[int], None]
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def sheet_name(title: str, n: int) -> str:
    base = _SHEET_BAD.sub("_", title).strip("'") or "Sheet"
    if n == 1:
        return base[:31]
    suffix = f" ({n})"
    return base[: 31 - len(suffix)] + suffix


class Sheets:
    """A workbook that starts a new sheet whenever the current one is full."""

    def __init__(
        self,
        path: Path,
        *,
        title: str,
        header: Sequence[str],
        kinds: Sequence[str],
        watermark: str,
        author: str,
        max_rows: int = XLSX_MAX_ROWS,
    ) -> None:
        if max_rows <= HEAD_ROWS:
            raise ValueError("a sheet needs room for the watermark, the header and a row")
        from xlsxwriter import Workbook  # local: not loaded by every worker that never writes a workbook

        self.book = Workbook(
            str(path),
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
                "default_date_format": "yyyy-mm-dd",
            },
        )
        self.book.set_properties(
            {"title": title, "author": author, "comments": watermark, "subject": watermark}
        )
        self.title = title
        self.header = list(header)
        self.kinds = list(kinds)
        self.watermark = watermark
        self.per_sheet = max_rows - HEAD_ROWS
        self.bold = self.book.add_format({"bold": True})
        self.grey = self.book.add_format({"italic": True, "font_color": "#808080"})
        self.date = self.book.add_format({"num_format": "yyyy-mm-dd"})
        self.datetime = self.book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        self.quoted = self.book.add_format({"quote_prefix": True})
        self.sheets = 0
        self.row = 0
        self.in_sheet = self.per_sheet  # full: the first row opens the first sheet
        self.too_long = 0

    def _new_sheet(self) -> None:
        self.sheets += 1
        sheet = self.book.add_worksheet(sheet_name(self.title, self.sheets))
        # Page header codes use & as an escape; a name with & must double it.
        sheet.set_header("&C" + self.watermark.replace("&", "&&"))
        sheet.write_string(0, 0, self.watermark, self.grey)
        for col, name in enumerate(self.header):
            sheet.write_string(1, col, name, self.bold)
        sheet.freeze_panes(HEAD_ROWS, 0)
        self.sheet = sheet
        self.in_sheet = 0

    def append(self, values: Iterable[Any]) -> None:
        if self.in_sheet >= self.per_sheet:
            self._new_sheet()
        r = HEAD_ROWS + self.in_sheet
        sheet = self.sheet
        for col, value in enumerate(values):
            if value is None:
                continue
            if isinstance(value, bool):
                sheet.write_boolean(r, col, value)
            elif isinstance(value, (int, float)):
                if isinstance(value, float) and not np.isfinite(value):
                    continue
                sheet.write_number(r, col, value)
            elif isinstance(value, datetime):
                sheet.write_datetime(r, col, value, self.datetime)
            elif isinstance(value, date):
                sheet.write_datetime(r, col, datetime(value.year, value.month, value.day), self.date)
            else:
                text = str(value)
                if len(text) > CELL_MAX:
                    self.too_long += 1
                    continue
                sheet.write_string(r, col, text, self.quoted if dangerous(text) else None)
        self.in_sheet += 1
        self.row += 1

    def close(self) -> None:
        if self.sheets == 0:
            self._new_sheet()  # an empty export still has its watermark and header
        self.book.close()


def write(
    table: Table,
    path: Path,
    *,
    watermark: str,
    author: str,
    progress: Progress,
    max_rows: int = XLSX_MAX_ROWS,
) -> dict[str, int]:
    """The table as a workbook; returns the rows, sheets and over-long geometries."""
    kinds = [c.kind for c in table.columns]
    book = Sheets(
        path,
        title=table.title or table.name,
        header=csv_header(table),
        kinds=kinds,
        watermark=watermark,
        author=author,
        max_rows=max_rows,
    )
    written = 0
    for batch in table.batches(BATCH):
        columns = [(c.kind, batch.values[c.name]) for c in table.columns]
        wkt: list[str | None] = []
        if table.geographic:
            geoms = shapely.from_wkb(np.array(batch.wkb, dtype=object))
            wkt = [None if g is None else shapely.to_wkt(g, trim=True) for g in geoms]
        for i in range(len(batch.ids)):
            row = [cell(kind, values[i]) for kind, values in columns]
            if table.geographic:
                row.append(wkt[i])
            book.append(row)
        written += len(batch.ids)
        progress(written)
    book.close()
    return {"rows": written, "sheets": book.sheets, "geometry_too_long": book.too_long}


def write_rows(
    path: Path,
    rows: Iterable[Sequence[Any]],
    *,
    title: str,
    header: Sequence[str],
    watermark: str,
    author: str = "",
    max_rows: int = XLSX_MAX_ROWS,
) -> dict[str, int]:
    """Plain rows straight into a workbook (the writer without a table, for large generated
    inputs)."""
    book = Sheets(
        path,
        title=title,
        header=header,
        kinds=["text"] * len(header),
        watermark=watermark,
        author=author,
        max_rows=max_rows,
    )
    for row in rows:
        book.append(row)
    book.close()
    return {"rows": book.row, "sheets": book.sheets, "geometry_too_long": book.too_long}
