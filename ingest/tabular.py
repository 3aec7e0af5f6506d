"""Tables with coordinate columns: CSV (UTF-8 or GB18030, any common delimiter) and XLSX.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from .report import IngestError
from .safezip import open_checked

X_NAMES = ("lon", "lng", "long", "longitude", "x", "经度", "东经", "pointx", "gpslon", "gpslongitude")
Y_NAMES = ("lat", "latitude", "y", "纬度", "北纬", "pointy", "gpslat", "gpslatitude")
WKT_NAMES = ("wkt", "geometry", "geom", "thegeom", "shape", "几何", "坐标串")
TIME_NAMES = ("time", "timestamp", "datetime", "date_time", "utc", "gpstime", "时间", "定位时间", "采集时间")


def normalise(name: Any) -> str:
    return re.sub(r"[\s_\-()（）°]", "", str(name or "")).lower()


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, list[Any]]]  # (spreadsheet row number, values)

    def column(self, name: str) -> int:
        return self.headers.index(name)


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise IngestError(
        _("The CSV is neither UTF-8 nor GBK/GB18030 text. Save it again as 'CSV UTF-8' and upload it."),
        code="invalid_file",
    )


def read_csv(path: str | Path, limit: int | None = None) -> Table:
    text = _decode(Path(path).read_bytes())
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    headers: list[str] | None = None
    rows: list[tuple[int, list[Any]]] = []
    try:
        for number, values in enumerate(reader, start=1):
            if headers is None:
                if not any(v.strip() for v in values):
                    continue
                headers = [v.strip() for v in values]
                continue
            if not any(v.strip() for v in values):
                continue
            rows.append((number, values))
            if limit is not None and len(rows) >= limit:
                break
    except csv.Error as exc:
        raise IngestError(
            _("The CSV cannot be read near line %(line)s (%(reason)s). Check its quotes and save it again.")
            % {"line": reader.line_num, "reason": exc},
            code="invalid_file",
        ) from exc
    if headers is None:
        raise IngestError(_("The CSV has no header row. Put the column names in the first row."))
    return Table(headers, rows)


def read_xlsx(path: str | Path, sheet: str | None = None, limit: int | None = None) -> Table:
    # An XLSX is a zip of XML: the archive limits apply, and openpyxl parses through defusedxml.
    archive, _infos = open_checked(path)
    archive.close()
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise IngestError(
            _("The Excel workbook cannot be opened (%(reason)s). Save it again as .xlsx and upload it.")
            % {"reason": exc},
            code="damaged_file",
        ) from exc
    try:
        if sheet:
            if sheet not in book.sheetnames:
                raise IngestError(
                    _("The workbook has no sheet %(sheet)r; its sheets are: %(names)s.")
                    % {"sheet": sheet, "names": ", ".join(book.sheetnames)},
                    field="sheet",
                )
            ws = book[sheet]
        else:
            ws = book.worksheets[0]
        headers: list[str] | None = None
        rows: list[tuple[int, list[Any]]] = []
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            if not any(v not in (None, "") for v in values):
                continue
            if headers is None:
                headers = [str(v).strip() if v is not None else "" for v in values]
                continue
            rows.append((number, list(values)))
            if limit is not None and len(rows) >= limit:
                break
    finally:
        book.close()
    if headers is None:
        raise IngestError(
            _("The worksheet is empty. Put the column names in the first row and the data below.")
        )
    return Table(headers, rows)


def find_column(headers: list[str], wanted: str | None, names: tuple[str, ...], option: str) -> str | None:
    """The header named by an option, or the first header matching one of ``names``."""
    if wanted:
        if wanted not in headers:
            raise IngestError(
                _("The column %(name)r given in %(option)s is not in the table; its columns are: %(cols)s.")
                % {"name": wanted, "option": option, "cols": ", ".join(headers)},
                field=option,
            )
        return wanted
    by_norm = {normalise(h): h for h in reversed(headers)}
    for candidate in names:
        if candidate in by_norm:
            return by_norm[candidate]
    return None


@dataclass
class Coordinates:
    x: str | None
    y: str | None
    wkt: str | None


def coordinate_columns(headers: list[str], options: dict[str, Any]) -> Coordinates:
    x = find_column(headers, options.get("x_field"), X_NAMES, "x_field")
    y = find_column(headers, options.get("y_field"), Y_NAMES, "y_field")
    wkt = find_column(headers, options.get("wkt_field"), WKT_NAMES, "wkt_field")
    if (x and y) or wkt:
        return Coordinates(x if x and y else None, y if x and y else None, wkt)
    missing = []
    if not x:
        missing.append(_("a longitude column (lon, lng, longitude, x, 经度)"))
    if not y:
        missing.append(_("a latitude column (lat, latitude, y, 纬度)"))
    raise IngestError(
        _(
            "The table has no coordinate columns: it needs %(missing)s, or a WKT column (wkt, geometry). "
            "Its columns are: %(cols)s. Rename the columns, or name them with the x_field and y_field "
            "options."
        )
        % {"missing": _(" and ").join(missing), "cols": ", ".join(h for h in headers if h) or "-"},
        code="missing_columns",
    )


def number(value: Any) -> float:
    """A coordinate cell as a float; raises ValueError with a readable reason."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError(_("is empty"))
    if isinstance(value, bool):
        raise ValueError(_("%(value)r is not a number") % {"value": value})
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip().replace("，", ".")
    try:
        out = float(text)
    except ValueError:
        raise ValueError(_("%(value)r is not a number") % {"value": str(value)[:40]}) from None
    if out != out or out in (float("inf"), float("-inf")):
        raise ValueError(_("%(value)r is not a finite number") % {"value": str(value)[:40]})
    return out


def rows_as_dicts(table: Table) -> Iterator[tuple[int, dict[str, Any]]]:
    for number_, values in table.rows:
        yield number_, {h: (values[i] if i < len(values) else None) for i, h in enumerate(table.headers) if h}
