"""Importing a corrected survey (issue 17): match by key, preview the diff, commit as a changeset.

The survey is a zipped Shapefile of six plots, SHP-1 to SHP-6, built in code; SHP-1 to SHP-4 are
in the layer already: SHP-1 with another name, SHP-2 drawn elsewhere, SHP-3 with another land use,
SHP-4 as the file has it (within a hair's breadth). So the file holds 3 updates, 2 creates and 1
unchanged record.
"""

from __future__ import annotations

import json
import time

import pytest
from shapely.geometry import Polygon

from accounts.roles import Role
from editing.models import ChangeAction, ChangeItem, Changeset, ChangesetSource, ChangesetState
from fixtures import ingest_inputs as fx
from ingest.models import IngestJob
from layers.models import LandParcel
from tests.builders import survey_parcels, survey_shapefile

MAPPING = {"code": "DKBH", "name": "DKMC", "land_use": "YDXZ"}
UPSERT = {"mode": "upsert", "mapping": MAPPING}


@pytest.fixture
def survey(city, tmp_path):
    """The stored plots and the corrected survey file (bytes)."""
    stored = survey_parcels(city)
    return stored, survey_shapefile(tmp_path)


def _preview(
    ingest,
    data: bytes,
    role: str,
    options: dict | None = None,
    name: str = "survey.zip",
    layer: str = "parcels",
) -> dict:
    response = ingest.submit(
        data, name, role=role, kind="vector", layer=layer, preview=True, options=options or UPSERT
    )
    assert response.status_code == 200, response.json()
    return response.json()["preview"]


def _live() -> dict[str, tuple]:
    return {p.code: (p.version, p.name, p.land_use, p.geom.wkt) for p in LandParcel.objects.all()}


def test_the_preview_shows_3_updates_2_creates_and_1_unchanged(ingest, survey):
    stored, data = survey
    before = _live()
    preview = _preview(ingest, data, Role.PARK_MANAGER)
    assert preview["mode"] == "upsert" and preview["match_field"] == "code"
    assert preview["counts"] == {"create": 2, "update": 3, "unchanged": 1, "error": 0}
    assert preview["reviewed"] is True  # a park manager of a park whose edits need approval
    assert len(preview["features"]) == 6
    by_code = {f["properties"]["code"]: f for f in preview["features"]}
    assert {c: f["match"]["action"] for c, f in by_code.items()} == {
        "SHP-1": "update",
        "SHP-2": "update",
        "SHP-3": "update",
        "SHP-4": "unchanged",
        "SHP-5": "create",
        "SHP-6": "create",
    }
    one = by_code["SHP-1"]["match"]
    assert one["record"] == stored["SHP-1"].pk and one["version"] == 1
    assert one["changes"] == [{"field": "name", "label": "Parcel name", "old": "旧名称", "new": "地块1"}]
    assert one["geometry_changed"] is False
    two = by_code["SHP-2"]["match"]
    assert two["changes"] == [] and two["geometry_changed"] is True
    three = by_code["SHP-3"]["match"]
    assert [(c["field"], c["old"], c["new"]) for c in three["changes"]] == [
        ("land_use", "warehouse", "industrial")
    ]
    assert by_code["SHP-5"]["match"] == {
        "action": "create",
        "record": None,
        "version": None,
        "changes": [],
        "geometry_changed": False,
    }
    assert all(f["allowed"] and not f["errors"] for f in preview["features"])
    assert by_code["SHP-2"]["geometry"]["type"] == "MultiPolygon"  # drawn on the map as it will be
    assert _live() == before and not IngestJob.objects.exists() and not Changeset.objects.exists()


def test_a_reviewed_park_manager_commits_a_changeset_and_nothing_live_changes(ingest, survey):
    stored, data = survey
    before = _live()
    job = ingest.job(
        data, "survey.zip", role=Role.PARK_MANAGER, kind="vector", layer="parcels", options=UPSERT
    )
    assert job.status == "succeeded", (job.error, job.report)
    changeset = Changeset.objects.get()
    assert changeset.source == ChangesetSource.IMPORT and changeset.import_job == job
    assert changeset.park == ingest.city.park and changeset.state == ChangesetState.OPEN
    items = list(changeset.items.order_by("pk"))
    assert len(items) == 5
    assert sorted(i.action for i in items) == ["create", "create", "update", "update", "update"]
    updates = {i.record_id: i for i in items if i.action == ChangeAction.UPDATE}
    assert set(updates) == {stored[c].pk for c in ("SHP-1", "SHP-2", "SHP-3")}
    assert all(i.base_version == 1 for i in updates.values())
    first = updates[stored["SHP-1"].pk]
    assert first.before["properties"]["name"] == "旧名称" and first.after["properties"]["name"] == "地块1"
    creates = [i for i in items if i.action == ChangeAction.CREATE]
    assert {i.after["properties"]["code"] for i in creates} == {"SHP-5", "SHP-6"}
    assert _live() == before, "nothing reaches the live layer before approval"
    counts = job.report["counts"]
    assert (counts["staged"], counts["created"], counts["updated"], counts["unchanged"]) == (5, 0, 0, 1)
    assert job.report["match"] == {
        "mode": "upsert",
        "match_field": "code",
        "create": 2,
        "update": 3,
        "unchanged": 1,
    }
    assert job.report["changesets"] == [
        {
            "id": changeset.pk,
            "park": ingest.city.park.pk,
            "park_name": ingest.city.park.name,
            "create": 2,
            "update": 3,
            "link": f"/editor/?changeset={changeset.pk}",
        }
    ]
    body = ingest.client(Role.PARK_MANAGER).get(f"/api/ingest/jobs/{job.pk}/").json()
    assert body["links"]["changesets"] == [f"/api/editing/changesets/{changeset.pk}/"]


def test_approving_the_imported_changeset_applies_it(ingest, survey):
    from editing import changesets

    stored, data = survey
    job = ingest.job(
        data, "survey.zip", role=Role.PARK_MANAGER, kind="vector", layer="parcels", options=UPSERT
    )
    assert job.status == "succeeded", job.error
    changeset = Changeset.objects.get()
    # The items' Features are the editor's (the batch serialisation is feature_json's, many at once).
    from editing.changesets import features_json
    from layers.registry import LAYERS

    new = LandParcel(code="NEW", land_use="industrial", geom=stored["SHP-4"].geom)
    new.derive()
    assert features_json(LAYERS["parcels"], [stored["SHP-4"], new]) == [
        changesets.feature_json("parcels", stored["SHP-4"]),
        changesets.feature_json("parcels", new),
    ]
    changesets.submit(ingest.city.users[Role.PARK_MANAGER], changeset.pk, title="2024 复测")
    changesets.approve(ingest.city.users[Role.DISTRICT_OFFICER], changeset.pk)
    live = {p.code: p for p in LandParcel.objects.all()}
    assert set(live) == {f"SHP-{i}" for i in range(1, 7)}
    assert live["SHP-1"].name == "地块1" and live["SHP-1"].version == 2
    assert live["SHP-3"].land_use == "industrial"
    assert abs(live["SHP-2"].geom.extent[0] - (fx.X0 + 0.005 + 0.003)) < 1e-9  # where the file drew it
    assert live["SHP-4"].version == 1


def test_an_officer_applies_the_survey_directly_with_history(ingest, survey):
    stored, data = survey
    stored["SHP-1"].history.all().delete()  # as if bulk-loaded: no history yet
    officer = ingest.city.users[Role.DISTRICT_OFFICER]
    job = ingest.job(
        data, "survey.zip", role=Role.DISTRICT_OFFICER, kind="vector", layer="parcels", options=UPSERT
    )
    assert job.status == "succeeded", (job.error, job.report)
    assert not Changeset.objects.exists()
    live = {p.code: p for p in LandParcel.objects.all()}
    assert set(live) == {f"SHP-{i}" for i in range(1, 7)}
    assert live["SHP-1"].name == "地块1" and live["SHP-3"].land_use == "industrial"
    assert [live[c].version for c in ("SHP-1", "SHP-2", "SHP-3", "SHP-4")] == [2, 2, 2, 1]
    assert live["SHP-1"].updated_by == officer and live["SHP-4"].updated_by is None
    moved = live["SHP-2"]
    assert abs(moved.geom.extent[0] - (fx.X0 + 0.005 + 0.003)) < 1e-9
    assert moved.park == ingest.city.park and moved.division_code == "445302001001"
    for code in ("SHP-1", "SHP-2", "SHP-3"):
        rows = list(live[code].history.order_by("history_date", "history_id"))
        assert [(r.history_type, r.version) for r in rows] == [("+", 1), ("~", 2)]
        assert (rows[0].history_change_reason == "baseline") == (code == "SHP-1")
        assert rows[1].history_user == officer
        assert rows[1].history_change_reason == f"import job #{job.pk}"
    assert rows[0].geom.equals(stored["SHP-3"].geom) and rows[0].land_use == "warehouse"
    assert live["SHP-4"].history.count() == 1, "an unchanged record is not written"
    assert live["SHP-5"].created_by == officer and live["SHP-5"].park == ingest.city.park
    counts = job.report["counts"]
    assert (counts["created"], counts["updated"], counts["unchanged"], counts["staged"]) == (2, 3, 1, 0)
    assert job.report["updated"]["parcels"]["ids"] == sorted(
        stored[c].pk for c in ("SHP-1", "SHP-2", "SHP-3")
    )
    from audit.models import Entry

    entry = Entry.objects.filter(action="import", object_id=str(job.pk)).get()
    assert entry.detail["updated"] == {"parcels": 3} and entry.detail["created"] == {"parcels": 2}

    # The same survey again: every feature is unchanged, and a job of it writes nothing.
    again = _preview(ingest, data, Role.DISTRICT_OFFICER)
    assert again["counts"] == {"create": 0, "update": 0, "unchanged": 6, "error": 0}
    after = _live()
    rerun = ingest.job(
        data,
        "survey.zip",
        role=Role.DISTRICT_OFFICER,
        kind="vector",
        layer="parcels",
        options={**UPSERT, "crs": "EPSG:4326"},  # other options: another job, not the first one's answer
    )
    assert rerun.pk != job.pk and rerun.status == "succeeded", rerun.error
    assert rerun.report["match"]["unchanged"] == 6 and rerun.report["counts"]["updated"] == 0
    assert _live() == after


def test_the_same_upsert_twice_is_one_job(ingest, survey):
    _stored, data = survey
    first = ingest.submit(
        data, "survey.zip", role=Role.DISTRICT_OFFICER, kind="vector", layer="parcels", options=UPSERT
    )
    # The default key written out is the same import.
    second = ingest.submit(
        data,
        "survey.zip",
        role=Role.DISTRICT_OFFICER,
        kind="vector",
        layer="parcels",
        options={**UPSERT, "match_field": "code"},
    )
    assert first.status_code == 202 and second.status_code == 200
    assert second.json()["duplicate"] is True and second.json()["id"] == first.json()["id"]


@pytest.mark.parametrize(
    ("layer", "options", "words"),
    [
        ("parcels", {"mode": "upsert", "match_field": "colour"}, "match_field colour"),
        ("parcels", {"mode": "upsert", "match_field": "area_m2"}, "match_field area_m2"),
        ("parcels", {"mode": "upsert", "match_field": "is_public"}, "cannot tell records apart"),
        ("parcels", {"match_field": "code"}, "used only when updating existing records"),
        ("buildings", {"mode": "upsert"}, "match_field"),
        ("parcels", {"mode": "replace"}, "mode"),
    ],
)
def test_a_bad_match_field_or_mode_is_a_400_naming_it(ingest, layer, options, words):
    response = ingest.submit(fx.parcels_geojson(1), "p.geojson", kind="vector", layer=layer, options=options)
    assert response.status_code == 400, response.json()
    assert words in json.dumps(response.json(), ensure_ascii=False)
    if "match_field" in options and options.get("mode") == "upsert":
        assert response.json()["error"]["code"] == "unknown_match_field"
        assert "match_field" in response.json()["error"]["fields"]


def test_a_file_without_the_key_column_is_refused_in_the_preview(ingest, survey):
    _stored, data = survey
    response = ingest.submit(
        data,
        "survey.zip",
        kind="vector",
        layer="parcels",
        preview=True,
        options={"mode": "upsert", "mapping": {"name": "DKMC"}},
    )
    assert response.status_code == 400
    assert "No column of the file is mapped to code" in response.json()["error"]["message"]


def test_matches_outside_the_scope_or_held_by_a_changeset_are_errors(ingest, survey, city):
    stored, data = survey
    # SHP-5 is another county's plot (the park manager's key would collide with it).
    LandParcel.objects.create(code="SHP-5", land_use="industrial", geom=_far())
    # SHP-1 has a change of the park's own editor changeset waiting for review.
    editing = Changeset.objects.create(park=city.park, created_by=city.users[Role.PARK_MANAGER])
    ChangeItem.objects.create(
        changeset=editing, layer="parcels", record_id=stored["SHP-1"].pk, action="update", base_version=1
    )
    preview = _preview(ingest, data, Role.PARK_MANAGER)
    by_code = {f["properties"]["code"]: f for f in preview["features"]}
    assert preview["counts"] == {"create": 1, "update": 2, "unchanged": 1, "error": 2}
    assert "outside your area" in " ".join(by_code["SHP-5"]["errors"])
    assert by_code["SHP-5"]["match"]["action"] == "error" and not by_code["SHP-5"]["allowed"]
    held = " ".join(by_code["SHP-1"]["errors"])
    assert f"changeset #{editing.pk}" in held and not by_code["SHP-1"]["allowed"]
    # The job refuses the whole file, with the same reasons per feature.
    job = ingest.job(
        data, "survey.zip", role=Role.PARK_MANAGER, kind="vector", layer="parcels", options=UPSERT
    )
    assert job.status == "failed"
    assert {e["where"] for e in job.report["errors"]} == {"feature 1", "feature 5"}
    assert Changeset.objects.count() == 1


def test_an_insert_by_a_reviewed_park_manager_is_staged_too(ingest, city):
    job = ingest.job(
        fx.parcels_geojson(2), "p.geojson", role=Role.PARK_MANAGER, kind="vector", layer="parcels"
    )
    assert job.status == "succeeded", (job.error, job.report)
    assert not LandParcel.objects.exists(), "no import goes around the review"
    changeset = Changeset.objects.get()
    assert changeset.source == ChangesetSource.IMPORT and changeset.import_job == job
    assert [i.action for i in changeset.items.all()] == ["create", "create"]
    assert job.report["counts"]["staged"] == 2 and job.report["counts"]["created"] == 0


def test_a_park_manager_of_a_park_without_review_imports_live(ingest, city):
    city.park.edits_need_approval = False
    city.park.save()
    job = ingest.job(
        fx.parcels_geojson(2), "p.geojson", role=Role.PARK_MANAGER, kind="vector", layer="parcels"
    )
    assert job.status == "succeeded", job.error
    assert LandParcel.objects.count() == 2 and not Changeset.objects.exists()


def test_buildings_are_matched_by_the_field_the_user_picks(ingest, city):
    from layers.models import Building

    x, y = fx.X0 + 0.01, fx.Y0 + 0.01
    Building.objects.create(kind="standard_factory", name="1号厂房", floors=1, geom=_multi(x, y))
    doc = {
        "type": "FeatureCollection",
        "features": [
            fx.feature({"type": "Polygon", "coordinates": fx.square(x, y, 0.001)}, name="1号厂房", floors=3),
            fx.feature(
                {"type": "Polygon", "coordinates": fx.square(x + 0.002, y, 0.001)},
                name="2号厂房",
                floors=2,
                kind="standard_factory",
            ),
        ],
    }
    preview = _preview(
        ingest,
        json.dumps(doc).encode(),
        Role.DISTRICT_OFFICER,
        {"mode": "upsert", "match_field": "name"},
        name="b.geojson",
        layer="buildings",
    )
    assert preview["counts"] == {"create": 1, "update": 1, "unchanged": 0, "error": 0}, preview["features"]
    first = preview["features"][0]["match"]
    assert [(c["field"], c["old"], c["new"]) for c in first["changes"]] == [("floors", 1, 3)]


def test_a_5000_feature_shapefile_preview_counts_every_row(ingest, city, tmp_path, capsys):
    n = 5000
    polygons = [
        Polygon(fx.square(fx.X0 + 0.001 + (i % 70) * 0.0005, fx.Y0 + 0.001 + (i // 70) * 0.0005, 0.0004)[0])
        for i in range(n)
    ]
    rows = [{"DKBH": f"B-{i}", "YDXZ": "工业用地", "DKMC": f"地块{i}"} for i in range(n)]
    data = survey_shapefile(tmp_path, rows=rows, geoms=polygons)
    # Half of them stored already, so the preview matches and compares as much as it creates.
    from django.contrib.gis.geos import GEOSGeometry, MultiPolygon

    from layers.derivation import derive_many

    stored = [
        LandParcel(
            code=f"B-{i}",
            land_use="industrial",
            name=f"地块{i}" if i % 4 else "旧",
            geom=MultiPolygon(GEOSGeometry(polygons[i].wkt, srid=4326), srid=4326),
        )
        for i in range(0, n, 2)
    ]
    derive_many(stored)
    LandParcel.objects.bulk_create(stored)
    started = time.perf_counter()
    preview = _preview(ingest, data, Role.DISTRICT_OFFICER)
    elapsed = time.perf_counter() - started
    with capsys.disabled():
        print(f"\n[upsert preview] {n} features: {elapsed:.2f} s, counts {preview['counts']}")
    assert preview["counts"]["create"] == n // 2 and preview["counts"]["error"] == 0
    assert preview["counts"]["update"] == n // 4 and preview["counts"]["unchanged"] == n // 4
    # The 5 s target is a figure to read here (printed above), not a pass mark: a timing assertion
    # fails a loaded 2-core CI machine while the code is unchanged (speed belongs in benchmarks).


def _multi(x: float, y: float, size: float = 0.001):
    from django.contrib.gis.geos import MultiPolygon
    from django.contrib.gis.geos import Polygon as GeosPolygon

    return MultiPolygon(GeosPolygon(fx.square(x, y, size)[0]), srid=4326)


def _far():
    return _multi(fx.X0 + 0.15, fx.Y0 + 0.05)


def test_a_key_twice_in_the_file_is_one_error_for_its_second_feature(ingest, city):
    doc = json.loads(fx.parcels_geojson(3))
    doc["features"][2]["properties"]["code"] = "GJ-1"
    options = {"mode": "upsert"}
    preview = _preview(ingest, json.dumps(doc).encode(), Role.DISTRICT_OFFICER, options, name="p.geojson")
    assert preview["counts"] == {"create": 2, "update": 0, "unchanged": 0, "error": 1}
    assert "also in feature 1" in preview["features"][2]["errors"][0]
    job = ingest.job(
        json.dumps(doc).encode(),
        "p.geojson",
        role=Role.DISTRICT_OFFICER,
        kind="vector",
        layer="parcels",
        options=options,
    )
    assert job.status == "failed"
    assert [e["where"] for e in job.report["errors"]] == ["feature 3"]
    assert not LandParcel.objects.exists()
