"""Builders for a tiny, fully nested city: two counties, each with one town, one village and
two grid cells, a park in the first village, and one user per role bound to the right place.

Coordinates are simple squares near Yunfu so that every spatial derivation is easy to predict.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.contrib.gis.geos import LineString, MultiLineString, MultiPolygon, Point, Polygon
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from layers import models as m

X0, Y0 = 112.0, 22.9  # south-west corner of the city


def square(x: float, y: float, size: float) -> MultiPolygon:
    return MultiPolygon(Polygon.from_bbox((x, y, x + size, y + size)), srid=4326)


def rect(x0: float, y0: float, x1: float, y1: float) -> MultiPolygon:
    return MultiPolygon(Polygon.from_bbox((x0, y0, x1, y1)), srid=4326)


@dataclass
class City:
    city: m.Division
    counties: list[m.Division]
    towns: list[m.Division]
    villages: list[m.Division]
    cells: list[m.GridCell]
    park: m.Park
    users: dict[str, User] = field(default_factory=dict)

    def inside(self, county: int = 0, dx: float = 0.01, dy: float = 0.01) -> Point:
        """A point inside the first grid cell of a county's village (and, for county 0, the park)."""
        return Point(X0 + county * 0.1 + dx, Y0 + dy, srid=4326)


def build_city() -> City:
    city = m.Division.objects.create(
        code="445300000000", name="测试市", level="city", geom=rect(X0, Y0, X0 + 0.2, Y0 + 0.1)
    )
    counties, towns, villages, cells = [], [], [], []
    for i in range(2):
        x = X0 + i * 0.1
        county = m.Division.objects.create(
            code=f"44530{i + 2}000000",
            name=f"测试区{i}",
            level="county",
            parent=city,
            geom=rect(x, Y0, x + 0.1, Y0 + 0.1),
        )
        town = m.Division.objects.create(
            code=f"44530{i + 2}001000",
            name=f"测试镇{i}",
            level="town",
            parent=county,
            geom=rect(x, Y0, x + 0.1, Y0 + 0.1),
        )
        village = m.Division.objects.create(
            code=f"44530{i + 2}001001",
            name=f"测试村{i}",
            level="village",
            parent=town,
            geom=rect(x, Y0, x + 0.1, Y0 + 0.1),
        )
        for j in range(2):
            cells.append(
                m.GridCell.objects.create(
                    code=f"{village.code}{j + 1:03d}",
                    name=f"第{j + 1}网格",
                    geom=rect(x + j * 0.05, Y0, x + (j + 1) * 0.05, Y0 + 0.1),
                )
            )
        counties.append(county)
        towns.append(town)
        villages.append(village)
    park = m.Park.objects.create(
        name="测试园区",
        level="provincial",
        geom=rect(X0, Y0, X0 + 0.04, Y0 + 0.04),
        contact_phone="13812345678",
        is_public=True,
    )
    c = City(city, counties, towns, villages, cells, park)
    c.users = build_users(c)
    return c


PASSWORD = "pw-for-tests-only"  # every built user's


def build_users(c: City) -> dict[str, User]:
    bindings: dict[str, dict[str, Any]] = {
        Role.INVESTOR: {},
        Role.GRID_WORKER: {"grid_cell": c.cells[0]},
        Role.GRID_STAFF: {"division": c.towns[0]},
        Role.PARK_MANAGER: {"park": c.park},
        Role.DISTRICT_OFFICER: {"division": c.counties[0]},
        Role.DISTRICT_LEADER: {"division": c.counties[0]},
        Role.CITY_OFFICER: {"division": c.city},
        Role.CITY_LEADER: {"division": c.city},
        Role.ADMIN: {},
        Role.DISPLAY: {},
        Role.AUDITOR: {},
    }
    return {
        role: User.objects.create_user(username=f"u-{role}", password=PASSWORD, role=role, **binding)
        for role, binding in bindings.items()
    }


def make_record(layer: str, c: City, where: Point, **overrides: Any) -> m.LayerFeature:
    """One saved record of ``layer`` at ``where`` (its derived fields filled by save())."""
    x, y = where.x, where.y
    small = rect(x - 0.001, y - 0.001, x + 0.001, y + 0.001)
    category, _ = m.FieldPointCategory.objects.get_or_create(
        key="hazard", defaults={"name_zh": "安全隐患", "name_en": "Hazard"}
    )
    now = timezone.now()
    factories = {
        "divisions": lambda: m.Division(
            code=f"4453020019{uuid.uuid4().int % 100:02d}",
            name="新村",
            level="village",
            parent=c.towns[0],
            geom=small,
        ),
        "parks": lambda: m.Park(name="新园区", level="municipal", geom=small),
        "parcels": lambda: m.LandParcel(code=f"T-{uuid.uuid4().hex[:8]}", land_use="industrial", geom=small),
        "buildings": lambda: m.Building(kind="standard_factory", name="1号厂房", geom=small),
        "amenities": lambda: m.Amenity(category="hospital", name="人民医院", geom=where),
        "transport": lambda: m.TransportLine(
            name="新路",
            kind="county_road",
            geom=MultiLineString(LineString((x, y), (x + 0.001, y)), srid=4326),
        ),
        "grid_cells": lambda: m.GridCell(code=f"G{uuid.uuid4().hex[:10]}", name="新网格", geom=small),
        "project_sites": lambda: m.ProjectSite(
            project_code=f"P-{uuid.uuid4().hex[:8]}", project_name="新项目", geom=where
        ),
        "enterprises": lambda: m.Enterprise(name="新企业", geom=where),
        "places": lambda: m.Place(
            name="新场所",
            place_class=m.PlaceClass.objects.get_or_create(
                key="test_shop", defaults={"name_zh": "商店", "name_en": "Shop"}
            )[0],
            geom=where,
        ),
        "field_points": lambda: m.FieldPoint(category=category, geom=where),
        "patrol_tracks": lambda: m.PatrolTrack(
            started_at=now,
            ended_at=now,
            timestamps=[now, now],
            geom=MultiLineString(LineString((x, y), (x + 0.001, y)), srid=4326),
        ),
        "panoramas": lambda: m.Panorama(title="全景", geom=where),
        "orthophotos": lambda: m.Orthophoto(title="航飞", geom=small),
    }
    record = factories[layer]()
    for key, value in overrides.items():
        setattr(record, key, value)
    record.save()
    return record


# --- documents the project tests attach -------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def document(name: str = "协议.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    """An uploaded file (a small PDF unless ``content`` says otherwise)."""
    return SimpleUploadedFile(name, content)


def attach(api: Any, user: Any, project_id: int, kind: str, upload: SimpleUploadedFile | None = None) -> Any:
    return api.as_user(user).post(
        f"/api/projects/{project_id}/attachments/",
        {"kind": kind, "file": upload or document()},
        format="multipart",
    )


def attach_required(api: Any, user: Any, project_id: int) -> None:
    """Upload a document for each attachment the project's next stage still asks for."""
    checklist = api.as_user(user).get(f"/api/projects/{project_id}/").json()["checklist"]
    for item in checklist["attachments"]:
        if not item["done"]:
            assert attach(api, user, project_id, item["kind"]).status_code == 201


# --- GeoJSON bodies and error checks the API tests share ---------------------------------------


def feature(geometry: dict | None, **properties: Any) -> dict:
    """A GeoJSON Feature to send (without a geometry when ``geometry`` is None)."""
    body: dict = {"type": "Feature", "properties": properties}
    if geometry is not None:
        body["geometry"] = geometry
    return body


def polygon(x0: float, y0: float, x1: float, y1: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def box(x: float, y: float, size: float = 0.002) -> dict:
    """A square GeoJSON polygon with its south-west corner at (x, y)."""
    return polygon(x, y, x + size, y + size)


def assert_error(response: Any, status: int, field: str | None = None) -> dict:
    """The response is the platform's error shape with this status (naming ``field``)."""
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] and error["message"]
    if field:
        assert field in error.get("fields", {}), error
    return error


# --- grid events through the API ---------------------------------------------------------------


def report_event(api: Any, user: Any, city: City, category: Any, county: int = 0, **extra: Any) -> Any:
    """POST /api/events/ as ``user``: an event of ``category`` inside the county."""
    where = city.inside(county)
    body = {"category": category.key, "title": "路面塌陷", "lon": where.x, "lat": where.y, **extra}
    return api.as_user(user).post("/api/events/", body, format="json")


def event_step(api: Any, user: Any, pk: int, step: str, **body: Any) -> Any:
    """POST one step of grid.workflow on event ``pk`` as ``user``."""
    return api.as_user(user).post(f"/api/events/{pk}/actions/{step}/", body, format="json")


def patrol_task(city: City, template: Any, **fields: Any) -> Any:
    """A patrol task of the first cell, for its grid worker, due within a day, made directly (the
    API's own creation is tested in tests/patrols/test_tasks.py); ``places`` are its places."""
    from patrols.models import AreaKind, PatrolTask

    now = timezone.now()
    values = {
        "title": "第1网格消防巡查",
        "worker": city.users[Role.GRID_WORKER],
        "template": template,
        "area_kind": AreaKind.CELL,
        "grid_cell": city.cells[0],
        "due_from": now - timedelta(hours=1),
        "due_until": now + timedelta(days=1),
        "created_by": city.users[Role.GRID_STAFF],
        **fields,
    }
    places = values.pop("places", [])
    task = PatrolTask(**values)
    task.locate(places)
    task.save()
    task.places.set(places)
    return task


# --- the park manager's editor (issue 17) -------------------------------------------------------


def park_parcel(city: City, x0: float, y0: float, x1: float, y1: float, **fields: Any) -> m.LandParcel:
    """A saved parcel with the given corners (degrees, inside the park when within X0..X0+0.04)."""
    values = {"code": f"E-{uuid.uuid4().hex[:8]}", "land_use": "industrial", "is_public": True, **fields}
    parcel = m.LandParcel(geom=rect(x0, y0, x1, y1), **values)
    parcel.save()
    return parcel


def edit(layer: str = "parcels", action: str = "update", record: Any = None, **fields: Any) -> dict:
    """One item of ``POST /api/editing/edits/``: ``record`` gives the id and the version read (a
    saved record, or an id such as "new-3"); ``geometry``, ``revision`` and ``history_id`` go in as
    they are, every other keyword is a property."""
    item: dict[str, Any] = {"layer": layer, "action": action}
    if record is not None:
        item["id"] = record if isinstance(record, str | int) else record.pk
        if not isinstance(record, str | int):
            item["version"] = type(record).all_objects.values_list("version", flat=True).get(pk=record.pk)
    for key in ("geometry", "revision", "history_id", "version"):
        if key in fields:
            item[key] = fields.pop(key)
    item["properties"] = fields
    return item


def save_edits(api: Any, user: Any, park: Any, *items: dict, dry_run: bool = False) -> Any:
    """POST /api/editing/edits/ as ``user`` for ``park``."""
    body = {"park": park.pk, "items": list(items), "dry_run": dry_run}
    return api.as_user(user).post("/api/editing/edits/", body, format="json")


# --- issue 17: a corrected survey to import ------------------------------------------------------


def survey_shapefile(tmp: Any, rows: list[dict] | None = None, geoms: list[Any] | None = None) -> bytes:
    """A zipped Shapefile of parcels (columns DKBH code, YDXZ land use, DKMC name; EPSG:4326).

    Without ``rows``: six plots SHP-1..SHP-6, 0.002° squares 0.003° apart from (112.005, 22.905),
    as ``fixtures.ingest_inputs.parcel_rows`` draws them (what ``survey_parcels`` stores a
    version of)."""
    import io
    import zipfile

    import geopandas as gpd

    from fixtures import ingest_inputs as fx

    if rows is None:
        rows, default = fx.parcel_rows(6)
        geoms = geoms or default
    folder = tmp / f"survey-{uuid.uuid4().hex[:8]}"
    folder.mkdir(parents=True)
    gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4326").to_file(
        folder / "survey.shp", driver="ESRI Shapefile", engine="pyogrio", encoding="UTF-8"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(folder.iterdir()):
            zf.write(f, f.name)
    return buffer.getvalue()


def survey_parcels(c: City) -> dict[str, m.LandParcel]:
    """The stored versions of ``survey_shapefile``'s first four plots, by code: SHP-1 named 旧名称,
    SHP-2 drawn 0.0005° further east, SHP-3 a warehouse plot, SHP-4 as the file has it but for a
    shift far below a centimetre. Against the file: 3 updates, 1 unchanged, and SHP-5, SHP-6 new."""
    from fixtures import ingest_inputs as fx

    rows, geoms = fx.parcel_rows(4)

    def multi(polygon: Any, dx: float = 0.0) -> MultiPolygon:
        ring = [(x + dx, y) for x, y in polygon.exterior.coords]
        return MultiPolygon(Polygon(ring), srid=4326)

    values = {
        "SHP-1": {"name": "旧名称", "geom": multi(geoms[0])},
        "SHP-2": {"name": "地块2", "geom": multi(geoms[1], 0.0005)},
        "SHP-3": {"name": "地块3", "land_use": "warehouse", "geom": multi(geoms[2])},
        "SHP-4": {"name": "地块4", "geom": multi(geoms[3], 2e-8)},
    }
    return {
        code: m.LandParcel.objects.create(code=code, **{"land_use": "industrial", **fields})
        for code, fields in values.items()
    }
