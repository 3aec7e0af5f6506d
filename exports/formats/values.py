"""Values as each kind of file wants them: typed arrays for GDAL, cells for CSV and Excel.

Times are written in the site's time zone (the staff's) as text and in workbooks; GDAL's typed
date-time fields get UTC with its flag (``gdal_tz_offsets``), as GeoPackage requires, so the
instant stays exact and a reader shows it in its own zone.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
from django.utils import timezone
from django.utils.translation import gettext as _

# Cells starting with these are formulas (or DDE) to a spreadsheet (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
INTEGER_KINDS = frozenset({"int", "fk"})
FLOAT_KINDS = frozenset({"float", "decimal"})


def neutralised(text: str) -> str:
    """A text cell a spreadsheet will not run: a leading apostrophe before a formula start."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def dangerous(text: str) -> bool:
    return text.startswith(FORMULA_STARTS)


def json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def local(value: datetime) -> datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


def text(kind: str, value: Any) -> str | None:
    """A value as text (CSV, KML, a Shapefile's text fields): None stays None."""
    if value is None:
        return None
    if kind == "bool":
        return str(_("是") if value else _("否"))
    if kind == "datetime" and isinstance(value, datetime):
        return local(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if kind in ("json", "array") or isinstance(value, (dict, list, tuple)):
        return json_text(value)
    return str(value)


def cell(kind: str, value: Any) -> Any:
    """A value for an Excel cell: numbers stay numbers, times become naive local times."""
    if value is None:
        return None
    if kind in FLOAT_KINDS or isinstance(value, Decimal):
        return float(value)
    if kind in INTEGER_KINDS and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind == "datetime" and isinstance(value, datetime):
        return local(value).replace(tzinfo=None)
    if kind == "date" and isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return text(kind, value)


def _offset(value: datetime) -> int:
    """GDAL's time zone flag: 100 is UTC, each step 15 minutes (RFC 56)."""
    delta = value.utcoffset()
    return 100 + int(delta.total_seconds() // 900) if delta is not None else 0


def ogr_array(
    kind: str, values: Sequence[Any], *, dates: bool = True
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """``(data, mask, tz offsets)`` for ``pyogrio.raw.write``; ``dates=False`` writes times as text
    (a Shapefile's dBase has dates but no times)."""
    n = len(values)
    missing = np.fromiter((v is None for v in values), dtype=bool, count=n)
    mask = missing if missing.any() else None
    if kind in INTEGER_KINDS and all(isinstance(v, int) for v in values if v is not None):
        return np.array([0 if v is None else int(v) for v in values], dtype=np.int64), mask, None
    if kind in FLOAT_KINDS:
        return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64), mask, None
    if kind == "bool":
        return np.array([bool(v) for v in values], dtype=bool), mask, None
    if kind == "date" and dates:
        data = np.array([np.datetime64("NaT") if v is None else np.datetime64(v, "D") for v in values])
        return data.astype("datetime64[D]"), mask, None
    if kind == "datetime" and dates:
        # In UTC, flagged as UTC: GeoPackage stores times in UTC (with a Z), and readers convert.
        stamps = [None if v is None else (v.astimezone(UTC) if timezone.is_aware(v) else v) for v in values]
        data = np.array(
            [
                np.datetime64("NaT") if v is None else np.datetime64(v.replace(tzinfo=None), "ms")
                for v in stamps
            ]
        ).astype("datetime64[ms]")
        offsets = np.array([0 if v is None else _offset(v) for v in stamps], dtype=np.int32)
        return data, mask, offsets
    return np.array([text(kind, v) for v in values], dtype=object), mask, None
