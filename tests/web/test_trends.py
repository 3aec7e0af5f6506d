"""The wall's month-by-month trends: 环比 and 同比 of each month, this month marked as under way."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings

from layers.models import FieldPoint
from tests.builders import make_record
from web import trends

TODAY = date(2026, 12, 3)


def test_series_quotes_each_month_against_the_one_before_and_a_year_before():
    values = {
        date(2025, 11, 1): 10.0,
        date(2026, 10, 1): 8.0,
        date(2026, 11, 1): 12.0,
        date(2026, 12, 1): 3.0,
    }
    months = trends.series(values, TODAY)
    assert [m["month"] for m in months] == [f"2026-{n:02}" for n in range(1, 13)]
    november, december = months[-2], months[-1]
    assert (november["value"], november["mom"], november["yoy"]) == (12.0, 0.5, 0.2)
    assert november["partial"] is False and december["partial"] is True
    # Nothing in September: October's 环比 is not a number, and nor is any 同比 before 2025-11.
    assert months[-3]["mom"] is None and months[-3]["yoy"] is None


def test_counts_by_month_reads_local_months_back_far_enough_for_the_first_yoy(city):
    tz = ZoneInfo(settings.TIME_ZONE)
    for moment in (
        datetime(2025, 1, 15, 9, tzinfo=tz),  # the first month a series reads (2026-01's 同比)
        datetime(2024, 12, 31, 23, tzinfo=tz),  # before it: not read
        datetime(2026, 12, 1, 0, 30, tzinfo=tz),  # still November in UTC: a local month is December
    ):
        point = make_record("field_points", city, city.inside(0))
        FieldPoint.objects.filter(pk=point.pk).update(reported_at=moment)
    counts = trends.counts_by_month(FieldPoint.objects.all(), "reported_at", TODAY)
    assert counts == {date(2025, 1, 1): 1.0, date(2026, 12, 1): 1.0}
    assert trends.series(counts, TODAY)[0]["yoy"] == -1.0
