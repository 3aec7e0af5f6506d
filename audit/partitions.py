"""The audit table's monthly partitions: made ahead of time, so the DEFAULT partition stays empty.

A month's partition can only be created while no row of that month sits in DEFAULT; one that
arrived there (beat down for months) stays there, still verifiable, and the month is reported.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone


def _month_start(year: int, month: int) -> datetime:
    return datetime(year, month, 1, tzinfo=ZoneInfo(settings.TIME_ZONE))


def _next(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def partition_name(year: int, month: int) -> str:
    return f"audit_entry_{year:04d}_{month:02d}"


def ensure_partitions(months_ahead: int = 3, today: date | None = None) -> dict[str, list[str]]:
    """Create this month's partition and the next ``months_ahead``; idempotent."""
    today = today or timezone.localdate()
    year, month = today.year, today.month
    made: list[str] = []
    blocked: list[str] = []
    for _ in range(months_ahead + 1):
        following = _next(year, month)
        name = partition_name(year, month)
        sql = (
            f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF audit_entry "  # noqa: S608 - generated name
            "FOR VALUES FROM (%s) TO (%s)"
        )
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT to_regclass(%s)", [name])
                if cursor.fetchone()[0] is None:
                    cursor.execute(sql, [_month_start(year, month), _month_start(*following)])
                    made.append(name)
        except DatabaseError:
            blocked.append(name)
        year, month = following
    return {"created": made, "blocked": blocked}
