"""seed_demo: the synthetic city's divisions tile, derived fields match save(), and it is reproducible."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models import F
from django.test import Client

from accounts.roles import Role
from grid.models import EventCategory
from layers import models as m
from layers.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD
from layers.demo.load import flush_demo
from layers.demo.parcels import OVERLAP_MARK
from layers.derivation import derive_many
from patrols.models import ChecklistTemplate

SCALE, SEED = 0.002, 7


def seed(**options: object) -> str:
    out = io.StringIO()
    call_command("seed_demo", scale=SCALE, seed=SEED, flush=True, stdout=out, **options)
    return out.getvalue()


def rows(sql: str, params: list | None = None) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(sql, params or [])
        return cur.fetchall()


# What the demo adds that a flush keeps (configuration, like the admin's own).
DEMO_CONFIGURATION = [EventCategory, ChecklistTemplate]


@pytest.fixture(scope="module")
def demo_city(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    """Seeded once for the module and committed; each test still runs in a transaction that is rolled
    back, so the tests that reseed or flush leave the shared city as it was."""
    with django_db_blocker.unblock():
        kept = {model: set(model.objects.values_list("pk", flat=True)) for model in DEMO_CONFIGURATION}
        output = seed()
    yield output
    with django_db_blocker.unblock(), transaction.atomic():
        flush_demo(lambda line: None)
        # The demo's configuration survives a flush by design (a reseed keeps it); the tests after
        # this module must not find it, so what the seed added goes too.
        for model, before in kept.items():
            model.objects.exclude(pk__in=before).delete()


# (parent level, child table, how a child names its parent)
TILINGS = [
    ("city", "layers_division c", "c.level = 'county' AND c.parent_id = p.id"),
    ("county", "layers_division c", "c.level = 'town' AND c.parent_id = p.id"),
    ("town", "layers_division c", "c.level = 'village' AND c.parent_id = p.id"),
    ("village", "layers_gridcell c", "left(c.code, 12) = p.code"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("level", "children", "join"), TILINGS)
def test_children_tile_their_parent(demo_city: str, level: str, children: str, join: str) -> None:
    # Planar areas: on the ellipsoid, the extra vertices that clipping puts on a parent's long edges
    # bend those edges into slightly different geodesics, which alone moves areas by ~0.03 %.
    found = rows(
        f"SELECT p.code, count(*), ST_Area(p.geom), ST_Area(ST_Union(c.geom)), sum(ST_Area(c.geom))"
        f" FROM layers_division p JOIN {children} ON {join} WHERE p.level = %s GROUP BY p.id",
        [level],
    )
    assert len(found) == m.Division.objects.filter(level=level).count()
    for code, n, parent, union, total in found:
        assert n >= 2, code
        assert union == pytest.approx(parent, rel=1e-3), f"{code}: children do not cover the parent"
        assert total == pytest.approx(union, rel=1e-3), f"{code}: children overlap"


@pytest.mark.django_db
def test_division_codes_nest(demo_city: str) -> None:
    prefix = m.PREFIX_LENGTH
    for d in m.Division.objects.select_related("parent").exclude(level=m.DivisionLevel.CITY):
        assert len(d.code) == 12 and d.code.isdigit()
        assert d.code[: prefix[d.parent.level]] == d.parent.prefix, d
        assert d.division_code == d.code
    assert all(len(c) == 15 for c in m.GridCell.objects.values_list("code", flat=True))


LAYER_TABLES = [
    "layers_landparcel",
    "layers_building",
    "layers_projectsite",
    "layers_amenity",
    "layers_fieldpoint",
    "layers_patroltrack",
    "layers_panorama",
    "layers_park",
    "layers_gridcell",
]


@pytest.mark.django_db
@pytest.mark.parametrize("table", LAYER_TABLES)
def test_division_code_is_the_village_at_the_point_on_surface(demo_city: str, table: str) -> None:
    total, wrong = rows(
        f"SELECT count(*), count(*) FILTER (WHERE t.division_code = '' OR NOT EXISTS ("
        f" SELECT 1 FROM layers_division d WHERE d.level = 'village' AND d.code = t.division_code"
        f" AND ST_Intersects(d.geom, ST_PointOnSurface(t.geom)))) FROM {table} t"
    )[0]
    assert total > 0
    assert wrong == 0


@pytest.mark.django_db
@pytest.mark.parametrize("model", [m.LandParcel, m.Building, m.ProjectSite, m.Panorama])
def test_park_is_the_smallest_park_at_the_point(demo_city: str, model: type[m.LayerFeature]) -> None:
    table = model._meta.db_table
    mismatched = rows(
        f"SELECT t.id FROM {table} t WHERE t.park_id IS DISTINCT FROM (SELECT p.id FROM layers_park p"
        f" WHERE ST_Intersects(p.geom, ST_PointOnSurface(t.geom)) ORDER BY p.area_m2 LIMIT 1)"
    )
    assert mismatched == []
    if model is m.LandParcel:
        assert model.objects.filter(park__isnull=False).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("table", ["layers_landparcel", "layers_park"])
def test_area_is_geodesic(demo_city: str, table: str) -> None:
    worst_m2, worst_mu = rows(
        f"SELECT max(abs(area_m2 - ST_Area(geom::geography)) / ST_Area(geom::geography)),"
        f" max(abs(area_mu - area_m2 / (2000.0 / 3)) / area_mu) FROM {table}"
    )[0]
    assert worst_m2 < 1e-4
    assert worst_mu < 1e-4


@pytest.mark.django_db
def test_parcel_sizes_and_codes(demo_city: str) -> None:
    parcels = m.LandParcel.objects.all()
    assert parcels.count() == pytest.approx(200_000 * SCALE, rel=0.1)
    assert all(2_000 < a < 65_000 for a in parcels.values_list("area_m2", flat=True))
    codes = list(parcels.values_list("code", flat=True))
    assert len(set(codes)) == len(codes)
    assert all(c.startswith("YF-4453") for c in codes)
    share_public = parcels.filter(is_public=True).count() / len(codes)
    assert 0.45 < share_public < 0.75


@pytest.mark.django_db
def test_demo_places_and_carriers_have_english_names(demo_city: str) -> None:
    for model in (m.Division, m.Park, m.Building):
        assert not model.objects.filter(name_en="").exists(), model
    assert m.Division.objects.get(level="city").name_en == "Yunfu City"


DERIVED = ("division_code", "park_id", "grid_cell_id", "area_m2", "area_mu", "length_m")


@pytest.mark.django_db
def test_bulk_derived_fields_equal_what_save_and_ingest_derive(demo_city: str) -> None:
    """The demo loader, save() and ingest run one derivation (layers.derivation): same values, exactly."""
    for model in (
        m.LandParcel,
        m.Building,
        m.ProjectSite,
        m.Amenity,
        m.FieldPoint,
        m.PatrolTrack,
        m.Park,
        m.GridCell,
        m.Division,
    ):
        records = list(model.objects.order_by("id"))
        assert records, model.__name__
        fields = [f for f in DERIVED if hasattr(records[0], f)]
        loaded = [{f: getattr(r, f) for f in fields} for r in records]
        derive_many(records)  # the ingest path, over every record
        for record, stored in zip(records, loaded, strict=True):
            assert {f: getattr(record, f) for f in fields} == stored, (model.__name__, record.pk)
        for record, stored in list(zip(records, loaded, strict=True))[:: max(1, len(records) // 15)]:
            record.derive()  # the save path
            assert {f: getattr(record, f) for f in fields} == stored, (model.__name__, record.pk)


@pytest.mark.django_db
def test_same_seed_same_city(demo_city: str) -> None:
    def fingerprint() -> list[tuple]:
        each = "md5(string_agg({key} || md5(ST_AsEWKB(geom)), ',' ORDER BY {key}, ST_AsEWKB(geom)))"
        return rows(
            f"SELECT {each.format(key='code')} FROM layers_landparcel"
            f" UNION ALL SELECT {each.format(key='code')} FROM layers_division"
            f" UNION ALL SELECT {each.format(key='name')} FROM layers_building"
        )

    first = fingerprint()
    seed()
    assert fingerprint() == first
    out = io.StringIO()
    call_command("seed_demo", scale=SCALE, seed=SEED + 1, flush=True, stdout=out)
    assert fingerprint() != first


@pytest.mark.django_db
def test_demo_accounts_exist_and_can_log_in(demo_city: str) -> None:
    User = get_user_model()
    for account in DEMO_ACCOUNTS:
        user = User.objects.get(username=account.username)
        assert user.role == account.role
        assert authenticate(username=account.username, password=DEMO_PASSWORD) == user
        user.full_clean()  # the scope binding a role requires is there
        assert user.is_superuser == account.superuser
    assert Client().login(username="investor", password=DEMO_PASSWORD)

    grid = User.objects.get(username="grid")
    assert grid.grid_cell.field_points.exists()
    assert set(grid.grid_cell.field_points.values_list("reporter", flat=True)) == {grid.pk}
    assert grid.grid_cell.patrol_tracks.filter(worker=grid).exists()
    assert User.objects.get(username="park").park is not None
    for name, level in (
        ("district", "county"),
        ("district_leader", "county"),
        ("city", "city"),
        ("city_leader", "city"),
    ):
        assert User.objects.get(username=name).division.level == level
    # Every other field point was reported by the grid worker of its own cell.
    assert not m.FieldPoint.objects.exclude(reporter__grid_cell=F("grid_cell")).exists()
    assert not m.FieldPoint.objects.exclude(reporter__role=Role.GRID_WORKER).exists()


@pytest.mark.django_db
def test_if_empty_is_a_no_op_on_a_seeded_database(demo_city: str) -> None:
    before = [model.all_objects.count() for model in (m.Division, m.LandParcel, m.FieldPoint)]
    out = io.StringIO()
    call_command("seed_demo", scale=SCALE, seed=SEED + 1, if_empty=True, stdout=out)
    assert "already exist" in out.getvalue()
    assert [model.all_objects.count() for model in (m.Division, m.LandParcel, m.FieldPoint)] == before


@pytest.mark.django_db
def test_refuses_to_load_over_existing_data(demo_city: str) -> None:
    with pytest.raises(CommandError, match="--flush"):
        call_command("seed_demo", scale=SCALE, seed=SEED, stdout=io.StringIO())


@pytest.mark.django_db
def test_the_checks_have_something_to_find(demo_city: str) -> None:
    overlaps = rows(
        "SELECT a.code, b.code, a.park_id, b.park_id FROM layers_landparcel a JOIN layers_landparcel b"
        " ON a.id < b.id AND ST_Intersects(a.geom, b.geom) AND ST_Area(ST_Intersection(a.geom, b.geom)) > 0"
    )
    assert overlaps
    assert len({p for *_, pa, pb in overlaps for p in (pa, pb)}) == 1, "planted overlaps are in one park"
    planted = set(m.LandParcel.objects.filter(name__contains=OVERLAP_MARK).values_list("code", flat=True))
    assert all(a in planted or b in planted for a, b, *_ in overlaps), "no accidental overlaps"
    illegal = rows(
        "SELECT count(DISTINCT b.id) FROM layers_building b JOIN layers_landparcel p"
        " ON ST_Intersects(p.geom, ST_PointOnSurface(b.geom)) WHERE p.land_use IN ('agricultural', 'forest')"
    )[0][0]
    assert illegal >= 2


@pytest.mark.django_db
def test_every_layer_has_its_content(demo_city: str) -> None:
    for category in m.AmenityCategory.values:
        assert m.Amenity.objects.filter(category=category, is_public=True).count() >= 2, category
    assert set(m.FieldPointCategory.objects.values_list("key", flat=True)) >= {
        "hazard",
        "illegal_construction",
        "fire_risk",
        "environment",
        "other",
    }
    assert m.FieldPoint.objects.count() >= 20
    assert m.ProjectSite.objects.count() >= 10
    assert not m.ProjectSite.objects.filter(is_public=True).exists()
    assert m.ProjectSite.objects.filter(parcel__isnull=False).exists()
    assert m.Park.objects.filter(industries__len__gte=2).exists()
    # The incentives in English too, for the English pages and brochures: the same terms.
    park = m.Park.objects.exclude(policies_en="").first()
    assert park and not re.search(r"[\u4e00-\u9fff]", park.policies_en)
    share = re.compile(r"(\d+)%")
    assert share.search(park.policies).group(1) == share.search(park.policies_en).group(1)
    assert all(len(p) == 11 and p.isdigit() for p in m.Park.objects.values_list("contact_phone", flat=True))
    assert m.Building.objects.filter(kind=m.BuildingKind.STANDARD_FACTORY, park__isnull=False).exists()


@pytest.mark.django_db
def test_patrol_tracks_walk_inside_one_cell(demo_city: str) -> None:
    tracks = list(m.PatrolTrack.objects.select_related("grid_cell"))
    assert len(tracks) >= 5
    for track in tracks:
        assert 20 <= track.geom.num_points <= 200
        assert len(track.timestamps) == track.geom.num_points
        assert track.timestamps == sorted(track.timestamps)
        assert (track.started_at, track.ended_at) == (track.timestamps[0], track.timestamps[-1])
        assert track.grid_cell.geom.contains(track.geom)
        speed = track.length_m / (track.ended_at - track.started_at).total_seconds()
        assert 0.3 < speed < 2.0, "walking speed"


@pytest.mark.django_db
def test_panoramas_have_images_in_public_parcels(demo_city: str) -> None:
    panoramas = list(m.Panorama.objects.select_related("parcel"))
    assert len(panoramas) == 5
    for pano in panoramas:
        assert pano.parcel.is_public and pano.parcel.geom.contains(pano.geom)
        assert default_storage.exists(pano.image.name) and default_storage.exists(pano.thumbnail.name)
        assert pano.image.name.startswith("panoramas/") and pano.thumbnail.name.startswith(
            "panoramas/thumbs/"
        )


@pytest.mark.django_db
def test_demo_accounts_command_lists_every_account(demo_city: str) -> None:
    out = io.StringIO()
    call_command("demo_accounts", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == len(DEMO_ACCOUNTS) + 1
    for account, line in zip(DEMO_ACCOUNTS, lines[1:], strict=True):
        assert line.split()[:3] == [account.username, DEMO_PASSWORD, account.role]


@pytest.mark.django_db
def test_flush_also_empties_tables_that_point_at_layer_records(demo_city: str) -> None:
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TABLE demo_test_finding (id serial PRIMARY KEY, parcel_id bigint"
            " REFERENCES layers_landparcel (id) DEFERRABLE INITIALLY DEFERRED)"
        )
        cur.execute("INSERT INTO demo_test_finding (parcel_id) SELECT id FROM layers_landparcel LIMIT 3")
    assert "demo_test_finding" in seed()
    assert rows("SELECT count(*) FROM demo_test_finding") == [(0,)]


@pytest.mark.django_db
def test_the_park_manager_has_a_changeset_waiting_for_the_district(demo_city: str) -> None:
    from editing.models import Changeset, ChangesetState

    changeset = Changeset.objects.get()
    assert changeset.state == ChangesetState.SUBMITTED and changeset.items.count() == 3
    assert changeset.park == get_user_model().objects.get(username="park").park
    # Nothing of it is live: the plots keep their first version until the district approves.
    records = m.LandParcel.objects.filter(pk__in=changeset.items.values_list("record_id", flat=True))
    assert {r.version for r in records} == {1}
