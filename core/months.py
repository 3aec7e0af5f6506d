"""Calendar months, the unit of the KPIs' 同比/环比 and of the wall's trends."""

from __future__ import annotations

from datetime import date


def month_start(year: int, month: int, shift: int = 0) -> date:
    """The first day of the month ``shift`` months after ``year``-``month`` (negative: before)."""
    index = year * 12 + month - 1 + shift
    return date(index // 12, index % 12 + 1, 1)


def change(now: float, before: float) -> float | None:
    """``now`` against ``before`` as a fraction (0.25 is +25 %): 同比 or 环比. Null when ``before``
    is nothing, where a percentage would say nothing."""
    return round((now - before) / before, 4) if before else None
