"""Month-by-month series for the wall's trend charts, each month beside 环比 (the month before) and
同比 (the same month a year before).

A series covers the ``MONTHS_SHOWN`` months up to this one; the counts are read for twice as many,
so the first month shown has its 同比 too. A change is null where the earlier month has nothing
(the data starts later, or nothing happened): "+∞ %" says nothing to a command centre."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from core.months import change, month_start

MONTHS_SHOWN = 12


def first_month_read(today: date | None = None) -> date:
    """The first month whose counts a series needs: a year before the first month shown."""
    return _shift(today or timezone.localdate(), -(MONTHS_SHOWN - 1) - 12)


def counts_by_month(queryset: QuerySet, field: str, today: date | None = None) -> dict[date, float]:
    """How many rows of ``queryset`` fall in each local month, by ``field`` (a date-time), over the
    months a series needs."""
    since = first_month_read(today)
    start = timezone.make_aware(datetime(since.year, since.month, 1))
    rows = (
        queryset.filter(**{f"{field}__gte": start})
        .annotate(month=TruncMonth(field, tzinfo=timezone.get_current_timezone()))
        .values("month")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {_as_date(r["month"]): float(r["n"]) for r in rows}


def _shift(day: date, months: int) -> date:
    return month_start(day.year, day.month, months)


def _as_date(value: Any) -> date:
    return value.date() if hasattr(value, "date") else value


def series(values: Mapping[date, float], today: date | None = None) -> list[dict[str, Any]]:
    """The months shown, oldest first: ``month`` (YYYY-MM), ``value``, ``mom`` (环比) and ``yoy``
    (同比) as fractions (0.25 is +25 %), null where the earlier month has nothing, and ``partial``
    for this month, which is still under way (the wall quotes the last whole month's changes)."""
    today = today or timezone.localdate()
    out = []
    for shift in range(-(MONTHS_SHOWN - 1), 1):
        month = _shift(today, shift)
        value = values.get(month, 0.0)
        out.append(
            {
                "month": month.strftime("%Y-%m"),
                "value": round(value, 2),
                "mom": change(value, values.get(_shift(month, -1), 0.0)),
                "yoy": change(value, values.get(_shift(month, -12), 0.0)),
                "partial": shift == 0,
            }
        )
    return out
