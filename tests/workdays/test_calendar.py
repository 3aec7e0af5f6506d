"""Working days as Chinese offices count them: holidays off, 调休 make-up days on, overrides win."""

from __future__ import annotations

from datetime import date

import pytest

from workdays.calendar import add_workdays, is_workday, workdays_between
from workdays.models import DayOverride

pytestmark = pytest.mark.django_db


def test_national_day_is_off_and_its_make_up_saturday_is_on():
    assert not is_workday(date(2026, 10, 1))
    assert is_workday(date(2026, 10, 10))  # 调休: a Saturday worked
    assert not is_workday(date(2026, 11, 7))  # an ordinary Saturday


def test_counting_skips_the_holiday():
    # From Wednesday 30 September 2026, five working days land after the National Day week.
    assert add_workdays(date(2026, 9, 30), 5) > date(2026, 10, 8)
    assert workdays_between(date(2026, 11, 2), date(2026, 11, 9)) == 5


def test_an_override_wins_and_covers_unpublished_years():
    DayOverride.objects.create(day=date(2026, 11, 9), is_workday=False, name="防汛停工")
    assert not is_workday(date(2026, 11, 9))
    assert is_workday(date(2027, 3, 3))  # not published yet: Monday to Friday
    DayOverride.objects.create(day=date(2027, 2, 6), is_workday=True, name="调休上班")
    assert is_workday(date(2027, 2, 6))


def test_the_index_agrees_with_counting_day_by_day():
    from datetime import timedelta

    from workdays.calendar import WorkdayIndex

    DayOverride.objects.create(day=date(2026, 11, 9), is_workday=False)
    index = WorkdayIndex(date(2026, 9, 1), date(2026, 12, 31))
    for offset in range(0, 90, 7):
        start = date(2026, 9, 1) + timedelta(days=offset)
        for n in (1, 5, 20):
            assert index.add(start, n) == add_workdays(start, n), (start, n)
        end = start + timedelta(days=30)
        assert index.between(start, end) == workdays_between(start, end), start
