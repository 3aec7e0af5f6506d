"""The leak sweep: every role calls every endpoint of ``/api/schema/`` about records in the
neighbouring county, and nothing of them comes back to a role whose scope stops short of it.

Every text field of those records carries a marker, and their phone numbers a known number, so a
leak shows as the marker (a row or a field) or the unmasked number anywhere in a response body.
Writes aimed at them must fail and change nothing. An endpoint the sweep does not know how to
call fails the test, so a new endpoint joins the sweep when it is added.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.gis.geos import Point
from django.db import models, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from accounts.roles import Role
from editing.changesets import feature_json
from editing.models import ChangeItem, Changeset
from exports.models import ExportJob
from grid.models import Department, EventCategory, GridEvent
from inbox.models import Message
from ingest.models import IngestJob
from layers.models.base import PUBLISHED_CONTACT_FIELDS
from layers.registry import LAYERS
from patrols.models import ChecklistTemplate, PatrolRun, PatrolTask
from pipeline.models import Lead
from policy.predicates import may_see_personal_data
from projects.models import Inspection, Project, ProjectAttachment, ProjectEvent, ReportJob, SavedView
from projects.reports import REPORTS
from spatial.models import Finding, OverlayCheck
from tests.builders import build_city, make_record

MARKER = "ZZLEAKZZ"
PHONE = "13912345678"
ANON = "anonymous"
# Roles whose scope reaches the neighbouring county (the rest must see nothing of it).
REACH_NEIGHBOUR = {Role.CITY_OFFICER, Role.CITY_LEADER, Role.ADMIN, Role.DISPLAY}
ROLES = [ANON, *Role.values]


def _mark(record: models.Model) -> None:
    """Put the marker in every free-text field and the known number in every phone field."""
    values: dict[str, Any] = {}
    for field in record._meta.concrete_fields:
        if not isinstance(field, models.CharField | models.TextField) or field.choices or field.primary_key:
            continue
        # A published investment contact's office number is public by design (not personal data).
        if "phone" in field.name and field.name not in PUBLISHED_CONTACT_FIELDS:
            values[field.name] = PHONE
        elif not field.max_length or field.max_length >= len(MARKER) + 6:
            values[field.name] = f"{MARKER}{record.pk}"
    type(record)._base_manager.filter(pk=record.pk).update(**values)


@pytest.fixture(scope="module")
def neighbour(django_db_setup, django_db_blocker):
    """The city, and one unpublished record of every kind in county 1 (the neighbour of county 0,
    where the district officer, leader, park manager and grid worker work)."""
    with django_db_blocker.unblock(), transaction.atomic():
        city = build_city()
        where = city.inside(county=1)
        records: dict[str, models.Model] = {}
        for layer in LAYERS:
            if layer == "grid_cells":
                record = city.cells[2]
            elif layer == "divisions":
                record = city.villages[1]
            else:
                record = make_record(layer, city, where)
            record.is_public = False
            record.save()
            records[layer] = record
        code = city.villages[1].code
        records["leads"] = Lead.objects.create(investor_name="张三", phone=PHONE, division_code=code)
        check = OverlayCheck.objects.create(kind="parcel_overlap", division=city.villages[1])
        records["checks"] = check
        records["findings"] = Finding.objects.create(
            check_run=check,
            geom=records["parcels"].geom,
            overlap_area_m2=10.0,
            subject_layer="parcels",
            subject_id=records["parcels"].pk,
            object_layer="parcels",
            object_id=records["parcels"].pk,
            division_code=code,
        )
        # Signed, with a transfer request in its timeline, so every report and KPI counts it.
        records["projects"] = Project.objects.create(
            name="邻县项目",
            division=city.counties[1],
            owner=city.users[Role.CITY_OFFICER],
            stage="signed",
            signing_date=timezone.localdate(),
        )
        ProjectEvent.objects.create(
            project=records["projects"],
            user=city.users[Role.CITY_OFFICER],
            kind="submit",
            from_stage="signed",
            to_stage="signed",
            review="city",
            comment="流转",
        )
        records["report_jobs"] = ReportJob.objects.create(
            report_name="new_projects", created_by=city.users[Role.CITY_OFFICER]
        )
        records["inspections"] = Inspection.objects.create(
            project=records["projects"], problem="邻县问题", reported_by=city.users[Role.CITY_OFFICER]
        )
        records["attachments"] = ProjectAttachment.objects.create(
            project=records["projects"],
            kind="contract",
            version=1,
            file="projects/sweep/contract/v1-x.pdf",
            filename="x.pdf",
            content_type="pdf",
            size=1,
            sha256="sweep",
            stage="lead",
            uploaded_by=city.users[Role.CITY_OFFICER],
        )
        # A saved view is its owner's alone: nobody else's list of views shows it.
        records["saved_views"] = SavedView.objects.create(owner=city.users[Role.CITY_OFFICER], name="视图")
        # A message is its recipient's alone, whatever the reader's reach.
        records["messages"] = Message.objects.create(
            recipient=city.users[Role.CITY_OFFICER], kind="review", title="待审核", key="sweep"
        )
        # Categories are city-wide configuration, not a county's records: not marked, not a leak.
        category = EventCategory.objects.create(key="sweep", name_zh="类别", name_en="x")
        records["departments"] = Department.objects.create(name="邻县部门", division=city.counties[1])
        records["events"] = GridEvent.objects.create(
            category=category,
            title="邻县事件",
            geom=where,
            division_code=code,
            reporter=city.users[Role.CITY_OFFICER],
        )
        # A patrol of the neighbour's cell by its own worker, missed, walked once with a problem found.
        # Templates are city-wide configuration, like event categories: not marked.
        template = ChecklistTemplate.objects.create(
            key="sweep", name="模板", items=[{"key": "ok", "label": "正常", "type": "yes_no"}]
        )
        walker = User.objects.create_user(
            username="u-sweep-walker", role=Role.GRID_WORKER, grid_cell=city.cells[2]
        )
        now = timezone.now()
        task = PatrolTask(
            title="邻县巡查",
            worker=walker,
            template=template,
            area_kind="cell",
            grid_cell=city.cells[2],
            state="missed",
            due_from=now - timedelta(days=2),
            due_until=now + timedelta(hours=1),
        )
        task.locate()
        task.save()
        records["patrol_tasks"] = task
        run = PatrolRun.objects.create(
            task=task,
            worker=walker,
            template=template,
            track=records["patrol_tracks"],
            finished_at=now,
            coverage=0.1,
        )
        run.events.add(records["events"])
        records["patrol_runs"] = run
        records["jobs"] = IngestJob.objects.create(
            kind="vector", layer="parcels", sha256="sweep", options_hash="o", file="x", division_code=code
        )
        # An export of the neighbour's parcels, by a city officer (issue 18): only theirs to see.
        records["exports"] = ExportJob.objects.create(
            kind="csv",
            source="layer",
            layer="parcels",
            created_by=city.users[Role.CITY_OFFICER],
            division_code=code,
        )
        # A park's changeset awaiting review (issue 17), about the neighbour's parcel.
        records["changesets"] = Changeset.objects.create(park=records["parks"], state="submitted")
        for record in records.values():
            _mark(record)
        parcel = type(records["parcels"])._base_manager.get(pk=records["parcels"].pk)
        records["change_items"] = ChangeItem.objects.create(
            changeset=records["changesets"],
            layer="parcels",
            record_id=parcel.pk,
            action="update",
            base_version=parcel.version,
            before=feature_json("parcels", parcel),
            after=feature_json("parcels", parcel),
        )
        yield city, records, where
        transaction.set_rollback(True)


def _schema() -> dict[str, Any]:
    client = APIClient()
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return json.loads(response.content)


def _near(where: Point) -> dict[str, Any]:
    x, y = where.x, where.y
    d = 0.003
    ring = [[x - d, y - d], [x + d, y - d], [x + d, y + d], [x - d, y + d], [x - d, y - d]]
    return {"type": "Polygon", "coordinates": [ring]}


def _calls(path: str, method: str, records: dict[str, models.Model], where: Point) -> list[tuple[str, Any]]:
    """The requests to make for one operation: (url, body). Empty for operations that are about
    the caller's own things (tokens, logout) or create new records (the matrix covers those)."""
    lon_lat = f"lon={where.x}&lat={where.y}"
    layer = path.split("/")[2]
    if path in {
        "/api/auth/token/",
        "/api/auth/device/",
        "/api/auth/logout/",
        "/api/auth/tokens/",
        "/api/auth/tokens/{id}/",
    }:
        return []  # the caller's own credentials
    if method == "post" and path in {
        "/api/ingest/jobs/",
        "/api/ingest/jobs/preview/",
        "/api/exports/jobs/",
        "/api/pipeline/leads/",
    }:
        return []  # creating: the matrix and the ingest tests cover who may
    if method == "post" and path in {
        "/api/spatial/checks/",
        "/api/projects/",
        "/api/inspections/",
        "/api/projects/views/",
        "/api/events/",
        "/api/events/categories/",
        "/api/patrols/templates/",
        "/api/patrols/tasks/",
    }:
        return []
    if method == "post" and re.fullmatch(r"/api/\w+/", path) and layer in LAYERS:
        return []
    if path == "/api/sync/" or path.startswith("/api/sync/photos/"):
        return []  # the phone's own operations and photos, each checked as its record's API does
    simple_get = {
        "/api/layers/": "",
        "/api/meta/": "",
        "/api/search/": f"q={MARKER[:6]}",  # matches the marked names, does not echo the marker
        "/api/wall/points/": "",
        "/api/wall/summary/": "",
        "/api/wall/events/": "",
        "/api/audit/entries/": "",
        "/api/spatial/locate": lon_lat,
        "/api/spatial/nearby": f"layer=amenities&{lon_lat}",
        "/api/spatial/rollup": "layer=parcels&level=county",
        "/api/spatial/checks/": "",
        "/api/ingest/jobs/": "",
        "/api/exports/jobs/": "all=true",
        "/api/exports/jobs/sources/": "",
        "/api/pipeline/leads/": "page_size=500",
        "/api/projects/": "page_size=500",
        "/api/projects/board/": "",
        "/api/projects/views/": "",
        "/api/inbox/": "",
        "/api/events/": "",
        "/api/events/categories/": "",
        "/api/events/departments/": "",
        "/api/events/stats/": "",
        "/api/events/map/": "",
        "/api/events/people/": "",
        "/api/projects/reports/": "",
        "/api/projects/kpis/": "status=all",
        "/api/inspections/": "",
        "/api/inspections/export.xlsx": "",
        "/api/patrols/templates/": "",
        "/api/patrols/tasks/": "page_size=500",
        "/api/patrols/runs/": "page_size=500",
        "/api/patrols/monitor/": "",
        "/api/patrols/places/report/": "",
        "/api/sync/area/": "",  # the caller's cells, their points and places
        # Chains count enterprises and name only the chain leaders (none here); the targets name
        # the counties of the caller's scope.
        "/api/industries/": "",
        "/api/industries/gaps/": f"layer=parcels&id={records['parcels'].pk}",
        "/api/industries/targets/": "",
    }
    if method == "post" and path == "/api/inbox/read-all/":
        return [(path, {})]  # marks the caller's own messages only
    if method == "get" and path.startswith("/api/projects/reports/{name}/"):
        return [(path.replace("{name}", name) + "?status=all&page_size=1000", None) for name in REPORTS]
    if method == "get" and path.startswith("/api/projects/report-jobs/{"):
        return [(re.sub(r"\{\w+\}", str(records["report_jobs"].pk), path), None)]
    if method == "get" and path == "/api/projects/carried/":
        return [
            (f"{path}?parcel={records['parcels'].pk}", None),
            (f"{path}?building={records['buildings'].pk}", None),
        ]
    if method == "get" and path == "/api/patrols/worklog/":
        return [(f"{path}?worker={records['patrol_tasks'].worker_id}", None)]
    editing = _editing_calls(path, method, records, where)
    if editing is not None:
        return editing
    if method == "get" and path in simple_get:
        return [(f"{path}?{simple_get[path]}", None)]
    if method == "get" and path == "/api/audit/entries/export.{kind}":
        return [("/api/audit/entries/export.csv", None)]
    geometry = _near(where)
    spatial_posts = {
        "/api/spatial/judge": {"point": {"lon": where.x, "lat": where.y}, "shape": {"polygon": geometry}},
        "/api/spatial/query": {"layer": "parcels", "shape": {"polygon": geometry}},
        "/api/spatial/match": {"area_mu": {"min": 0, "max": 100000}},
    }
    if method == "post" and path in spatial_posts:
        return [(path, spatial_posts[path])]
    if method == "get" and re.fullmatch(r"/api/\w+/", path) and layer in LAYERS:
        return [(f"{path}?page_size=1000", None)]
    ids = {
        "/api/spatial/checks/": records["checks"].pk,
        "/api/ingest/jobs/": records["jobs"].pk,
        "/api/exports/jobs/": records["exports"].pk,
        "/api/pipeline/leads/": records["leads"].pk,
        "/api/projects/views/": records["saved_views"].pk,
        "/api/inbox/": records["messages"].pk,
        "/api/events/categories/": category_pk(),
        "/api/events/departments/": records["departments"].pk,
        "/api/events/": records["events"].pk,
        "/api/projects/": records["projects"].pk,
        "/api/inspections/": records["inspections"].pk,
        "/api/patrols/templates/": ChecklistTemplate.objects.get(key="sweep").pk,
        "/api/patrols/tasks/": records["patrol_tasks"].pk,
        "/api/patrols/runs/": records["patrol_runs"].pk,
    }
    for prefix, pk in ids.items():
        if path.startswith(prefix + "{id}"):
            url = (
                path.replace("{id}", str(pk))
                .replace("{fid}", str(records["findings"].pk))
                .replace("{name}", "end")
            )
            body = {"status": "confirmed", "name": "x"} if method == "patch" else {"reason": "x"}
            return [(url, body if method in {"patch", "post"} else None)]
    if layer in LAYERS and "{id}" in path:
        url = path.replace("{id}", str(records[layer].pk))
        body = {"properties": {"name": "x"}} if method in {"put", "patch"} else {"version": 1}
        return [(url, body if method != "get" and method != "delete" else None)]
    raise AssertionError(f"the leak sweep does not know how to call {method.upper()} {path}: teach it")


def _editing_calls(
    path: str, method: str, records: dict[str, models.Model], where: Point
) -> list[tuple[str, Any]] | None:
    """The editor's endpoints (issue 17), about the neighbour's park, parcel and changeset."""
    if not path.startswith("/api/editing/"):
        return None
    park, parcel = records["parks"].pk, records["parcels"].pk
    changeset, item = records["changesets"].pk, records["change_items"].pk
    item_body = {
        "layer": "parcels",
        "id": parcel,
        "action": "update",
        "version": 1,
        "properties": {"name": "x"},
    }
    line = {"type": "LineString", "coordinates": [[where.x, where.y - 0.01], [where.x, where.y + 0.01]]}
    calls: dict[tuple[str, str], tuple[str, Any]] = {
        ("get", "/api/editing/working/"): (f"{path}?park={park}&layer=parcels", None),
        ("get", "/api/editing/changesets/"): (f"{path}?state=submitted", None),
        ("post", "/api/editing/edits/"): (path, {"park": park, "items": [item_body]}),
        ("post", "/api/editing/split/"): (path, {"layer": "parcels", "id": parcel, "line": line}),
        ("post", "/api/editing/merge/"): (path, {"layer": "parcels", "ids": [parcel, 0]}),
        ("get", "/api/editing/changesets/{id}/"): (None, None),
        ("post", "/api/editing/changesets/{id}/submit/"): (None, {"title": "x"}),
        ("post", "/api/editing/changesets/{id}/approve/"): (None, {"x": 1}),
        ("post", "/api/editing/changesets/{id}/return/"): (None, {"comment": "x"}),
        ("delete", "/api/editing/changesets/{id}/items/{item_id}/"): (None, None),
    }
    if (method, path) not in calls:
        raise AssertionError(f"the leak sweep does not know how to call {method.upper()} {path}: teach it")
    url, body = calls[(method, path)]
    url = url or path.replace("{id}", str(changeset)).replace("{item_id}", str(item))
    return [(url, body)]


def category_pk() -> int:
    return EventCategory.objects.values_list("pk", flat=True).get(key="sweep")


def _client(city, role: str) -> APIClient:
    client = APIClient()
    if role != ANON:
        client.force_authenticate(city.users[role])
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES, ids=str)
def test_no_endpoint_leaks_the_neighbours_records(neighbour, role):
    city, records, where = neighbour
    client = _client(city, role)
    user = city.users.get(role)
    blind = role not in REACH_NEIGHBOUR
    unmasked_allowed = user is not None and may_see_personal_data(user)
    versions = {
        layer: type(r)._base_manager.values_list("version", flat=True).get(pk=r.pk)
        for layer, r in records.items()
        if layer in LAYERS
    }
    called = shown = 0
    for path, operations in _schema()["paths"].items():
        for method in operations:
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            for url, body in _calls(path, method, records, where):
                called += 1
                response = (
                    getattr(client, method)(url, body, format="json")
                    if body
                    else getattr(client, method)(url)
                )
                content = (
                    b"".join(response.streaming_content) if response.streaming else response.content
                ).decode("utf-8", "replace")
                where_ = f"{role} {method.upper()} {url} -> {response.status_code}"
                assert response.status_code < 500, where_
                shown += MARKER in content
                if blind:
                    assert MARKER not in content, f"{where_} shows a record outside the caller's scope"
                if not unmasked_allowed:
                    assert PHONE not in content, f"{where_} shows a phone number unmasked"
                if blind and method in {"put", "patch", "delete", "post"} and "{id}" in path:
                    assert response.status_code >= 400, (
                        f"{where_} changed a record outside the caller's scope"
                    )
    assert called > 60
    # The control: the marker does come back to a role that may see the neighbour, so its absence
    # above means something.
    assert shown > 10 if not blind else shown == 0
    if blind:
        for layer, version in versions.items():
            record = records[layer]
            assert (
                type(record)._base_manager.values_list("version", flat=True).get(pk=record.pk) == version
            ), layer
