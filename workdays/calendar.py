"""Working days (工作日) as Chinese offices count them: weekends off, public holidays off, and the
调休 make-up Saturdays and Sundays on. ``chinese_calendar`` carries the State Council's calendar
for the years it has published; a ``DayOverride`` in the database wins over it, and a year it does
not cover yet falls back to Monday to Friday plus the overrides.

Deadlines everywhere (project stages, grid events) count with these functions, so they all agree.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar

from .models import DayOverride


@lru_cache(maxsize=8192)
def _published(day: date) -> bool | None:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # a year not published yet
        return None


Overrides = dict[date, bool]


def overrides(start: date | None = None, end: date | None = None) -> Overrides:
    """The database's overrides (between two dates): load them once for a batch of deadlines."""
    days = DayOverride.objects.all()
    if start is not None:
        days = days.filter(day__gte=start)
    if end is not None:
        days = days.filter(day__lte=end)
    return dict(days.values_list("day", "is_workday"))


def is_workday(day: date, known: Overrides | None = None) -> bool:
    found = (known if known is not None else overrides(day, day)).get(day)
    if found is not None:
        return found
    published = _published(day)
    return published if published is not None else day.weekday() < 5


def add_workdays(start: date, days: int, known: Overrides | None = None) -> date:
    """The date ``days`` working days after ``start`` (``start`` itself not counted)."""
    known = known if known is not None else overrides(start, start + timedelta(days=days * 2 + 40))
    day, left = start, days
    while left > 0:
        day += timedelta(days=1)
        if is_workday(day, known):
            left -= 1
    return day


def workdays_between(start: date, end: date, known: Overrides | None = None) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when ``end`` is not later)."""
    if end <= start:
        return 0
    known = known if known is not None else overrides(start, end)
    return sum(1 for n in range(1, (end - start).days + 1) if is_workday(start + timedelta(days=n), known))


class WorkdayIndex:
    """Working-day arithmetic over a span of dates in O(1) a question, for batches of deadlines (the
    project sweeper asks two questions of each of 20,000 projects): the working days of the span
    are counted once, cumulatively."""

    def __init__(self, start: date, end: date, known: Overrides | None = None) -> None:
        known = known if known is not None else overrides(start, end)
        self.start = start
        self.days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
        self.counted: list[int] = []  # working days after ``start`` up to and including each day
        total = 0
        for n, day in enumerate(self.days):
            if n and is_workday(day, known):
                total += 1
            self.counted.append(total)
        self.workdays = [day for n, day in enumerate(self.days) if n and is_workday(day, known)]

    def _at(self, day: date) -> int:
        return self.counted[(day - self.start).days]

    def covers(self, day: date) -> bool:
        return 0 <= (day - self.start).days < len(self.days)

    def add(self, start: date, days: int) -> date:
        """``add_workdays``, within the span (beyond it, counted day by day)."""
        position = self._at(start) + days
        if self.covers(start) and 0 < position <= len(self.workdays):
            return self.workdays[position - 1]
        return add_workdays(start, days)

    def between(self, start: date, end: date) -> int:
        """``workdays_between``, within the span."""
        if end <= start:
            return 0
        if self.covers(start) and self.covers(end):
            return self._at(end) - self._at(start)
        return workdays_between(start, end)
