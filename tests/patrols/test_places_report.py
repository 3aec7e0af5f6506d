"""组织场所报表: places by class and subclass per division, never patrolled and overdue, scoped."""

from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
import pytest
from django.utils import timezone

from accounts.roles import Role
from audit.models import Entry
from layers.models import PlaceClass
from patrols.models import PatrolRun, PlaceVisit
from tests.builders import assert_error, make_record

pytestmark = pytest.mark.django_db
URL = "/api/patrols/places/report/"


@pytest.fixture
def places(city, make_task, template):
    trade = PlaceClass.objects.create(key="t_trade", name_zh="商贸场所", name_en="Trade")
    shop = PlaceClass.objects.create(
        key="t_shop", name_zh="商店", name_en="Shop", parent=trade, patrol_every_days=7
    )
    visited = make_record("places", city, city.inside(0), place_class=shop)
    stale = make_record("places", city, city.inside(0, dx=0.02), place_class=shop)
    make_record("places", city, city.inside(0, dx=0.03), place_class=trade)  # never, but no cycle
    make_record("places", city, city.inside(1), place_class=shop)  # the neighbouring county
    run = PatrolRun.objects.create(task=make_task(), worker=city.users[Role.GRID_WORKER], template=template)
    now = timezone.now()
    PlaceVisit.objects.create(run=run, place=visited, visited_at=now - timedelta(days=3))
    PlaceVisit.objects.create(run=run, place=stale, visited_at=now - timedelta(days=10))
    return trade, shop


def test_counts_by_class_and_subclass_per_town_with_the_unpatrolled(api, city, places):
    body = api.as_user(city.users[Role.DISTRICT_OFFICER]).get(URL).json()
    assert body["by"] == "town" and [r["division"] for r in body["rows"]] == [city.towns[0].code]
    row = body["rows"][0]
    assert row["total"] == 3 and row["by_class"] == {"t_trade": 3, "t_shop": 2}, "中类 holds its 小类"
    assert (row["never_patrolled"], row["overdue_patrol"]) == (1, 1), (
        "the stale shop; the trade place has no cycle"
    )
    assert body["totals"]["total"] == 3, "not the neighbouring county's"
    city_wide = api.as_user(city.users[Role.CITY_OFFICER]).get(URL).json()
    assert city_wide["by"] == "county" and city_wide["totals"]["total"] == 4


def test_the_workbook_holds_the_same_and_is_audited(api, city, places):
    response = api.as_user(city.users[Role.DISTRICT_OFFICER]).get(URL, {"format": "xlsx"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    assert rows[0][:5] == (city.towns[0].code, city.towns[0].name, 3, 1, 1)
    assert Entry.objects.filter(object_type="patrols.places_report").exists()


def test_outside_ones_area_is_403_and_investors_see_nothing(api, city, places):
    client = api.as_user(city.users[Role.DISTRICT_OFFICER])
    assert_error(client.get(URL, {"division": city.counties[1].code}), 403)
    assert_error(api.as_user(city.users[Role.INVESTOR]).get(URL), 403)
