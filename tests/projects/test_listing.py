"""The project list's filters, saved views, the project map, and the sites following the stage."""

from __future__ import annotations

import pytest

from accounts.roles import Role
from layers.models import ProjectSite
from projects.models import Card, Project
from tests.builders import assert_error, attach_required, make_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def projects(city):
    officer = city.users[Role.DISTRICT_OFFICER]
    made = {
        "red": Project.objects.create(
            name="红牌项目", division=city.counties[0], owner=officer, stage="signed", card=Card.RED
        ),
        "reserve": Project.objects.create(
            name="备选项目", division=city.counties[0], owner=officer, stage="negotiating", in_reserve=True
        ),
        "neighbour": Project.objects.create(
            name="邻县项目", division=city.counties[1], owner=city.users[Role.CITY_OFFICER], stage="signed"
        ),
    }
    return made


def _names(api, user, query=""):
    response = api.as_user(user).get(f"/api/projects/?{query}")
    assert response.status_code == 200, response.content
    return sorted(p["name"] for p in response.json()["results"])


def test_filters_narrow_the_callers_own_area(api, city, projects):
    officer, city_officer = city.users[Role.DISTRICT_OFFICER], city.users[Role.CITY_OFFICER]
    assert _names(api, officer) == ["备选项目", "红牌项目"], "本级及下级 only"
    assert _names(api, officer, "card=any") == ["红牌项目"]
    assert _names(api, officer, "reserve=true") == ["备选项目"]
    assert _names(api, officer, "q=红牌") == ["红牌项目"]
    assert _names(api, city_officer, "stage=signed") == ["红牌项目", "邻县项目"]
    assert _names(api, city_officer, f"stage=signed&division={city.counties[1].code}") == ["邻县项目"]
    projects["red"].ended_at = projects["red"].created_at
    projects["red"].save()
    assert _names(api, officer, "status=ended") == ["红牌项目"]


@pytest.mark.parametrize(
    ("query", "field"),
    [("stage=won", "stage"), ("card=green", "card"), ("division=999", "division"), ("order=random", "order")],
)
def test_a_filter_the_list_cannot_use_is_named(api, city, projects, query, field):
    assert_error(api.as_user(city.users[Role.DISTRICT_OFFICER]).get(f"/api/projects/?{query}"), 400, field)


def test_saved_views_are_their_owners_and_checked_like_the_list(api, city):
    officer, leader = city.users[Role.DISTRICT_OFFICER], city.users[Role.DISTRICT_LEADER]
    client = api.as_user(officer)
    made = client.post("/api/projects/views/", {"name": "红牌", "query": {"card": "red"}}, format="json")
    assert made.status_code == 201, made.content
    assert_error(client.post("/api/projects/views/", {"name": "红牌", "query": {}}, format="json"), 409)
    assert_error(
        client.post("/api/projects/views/", {"name": "坏", "query": {"card": "green"}}, format="json"), 400
    )
    assert_error(
        client.post("/api/projects/views/", {"name": "坏", "query": {"colour": "x"}}, format="json"), 400
    )
    assert api.as_user(leader).get("/api/projects/views/").json() == [], "nobody else's"
    assert api.as_user(leader).delete(f"/api/projects/views/{made.json()['id']}/").status_code == 404
    assert api.as_user(city.users[Role.INVESTOR]).get("/api/projects/views/").status_code == 403
    assert api.as_user(officer).delete(f"/api/projects/views/{made.json()['id']}/").status_code == 204


def test_the_map_shows_the_sites_and_carriers_and_sites_follow_the_stage(api, city):
    officer = city.users[Role.DISTRICT_OFFICER]
    parcel = make_record("parcels", city, city.inside(0))
    project = Project.objects.create(name="地图项目", division=city.counties[0], owner=officer)
    project.parcels.add(parcel)
    for n in range(2):  # a project may have several sites
        make_record("project_sites", city, city.inside(0, dx=0.01 + n * 0.001), project_code=project.code)
    features = api.as_user(officer).get(f"/api/projects/{project.pk}/map/").json()["features"]
    assert sorted(f["properties"]["layer"] for f in features) == ["parcels", "project_sites", "project_sites"]
    attach_required(api, officer, project.pk)
    api.as_user(officer).post(f"/api/projects/{project.pk}/actions/submit/", {}, format="json")
    assert set(ProjectSite.objects.filter(project_code=project.code).values_list("stage", flat=True)) == {
        "first_talk"
    }


def test_a_plot_shows_the_enterprises_and_projects_it_carries_to_those_who_may_read_them(api, city):
    parcel = make_record("parcels", city, city.inside(0))
    enterprise = make_record("enterprises", city, city.inside(0), name="云浮新材料有限公司")
    enterprise.parcels.add(parcel)
    project = Project.objects.create(
        name="新材料项目", division=city.counties[0], owner=city.users[Role.DISTRICT_OFFICER], stage="started"
    )
    project.parcels.add(parcel)
    url = f"/api/projects/carried/?parcel={parcel.pk}"
    seen = api.as_user(city.users[Role.DISTRICT_LEADER]).get(url).json()
    assert [e["name"] for e in seen["enterprises"]] == ["云浮新材料有限公司"]
    assert [(p["name"], p["stage"]) for p in seen["projects"]] == [("新材料项目", "started")]
    assert api.as_user(city.users[Role.INVESTOR]).get(url).json() == {"enterprises": [], "projects": []}
    assert_error(api.get("/api/projects/carried/?parcel=x"), 400, "parcel")
