"""Every role × every layer × read/create/update/delete, in scope, in a neighbouring county and
outside the city. The expected table is written out by hand from SPEC section 9, not derived
from the policy declarations, so a wrong rule there fails here."""

from __future__ import annotations

import copy

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.geos import Point

from accounts.roles import Role
from layers.registry import LAYERS
from policy.predicates import (
    can_create,
    can_delete,
    can_read,
    can_update,
    leads_filter,
    may_hold_device_token,
    may_read_leads,
    may_watch_wall,
    read_filter,
)
from policy.resources import REVIEWED_LAYERS
from tests.builders import X0, Y0, build_city, make_record, rect

ANON = "anonymous"
PLACES = ("own", "neighbour", "outside")
# Reference data kept by the officers alone (amenities, roads and rivers): nobody else reads what
# is not yet published.
OFFICERS_ONLY = {"amenities", "transport"}

# role -> layer -> actions allowed on an *unpublished* record in the user's own scope.
IN_SCOPE: dict[str, dict[str, str]] = {
    ANON: {},
    Role.INVESTOR: {},
    Role.GRID_WORKER: {"grid_cells": "R", "field_points": "RCU", "patrol_tracks": "RC", "places": "RCU"},
    Role.GRID_STAFF: {
        "grid_cells": "R",
        "field_points": "R",
        "patrol_tracks": "R",
        "places": "RCU",
    },
    Role.PARK_MANAGER: {
        "parks": "RU",
        "parcels": "RCUD",
        "buildings": "RCUD",
        "project_sites": "R",
        "enterprises": "RCUD",
        "panoramas": "RCUD",
    },
    Role.DISTRICT_OFFICER: {name: "RCUD" for name in LAYERS if name != "divisions"},
    Role.DISTRICT_LEADER: {name: "R" for name in LAYERS if name not in {"divisions", *OFFICERS_ONLY}},
    Role.CITY_OFFICER: {name: "RCUD" for name in LAYERS if name != "divisions"},
    Role.CITY_LEADER: {name: "R" for name in LAYERS if name not in {"divisions", *OFFICERS_ONLY}},
    Role.ADMIN: {name: "RCUD" for name in LAYERS},
    Role.DISPLAY: {name: "R" for name in LAYERS if name not in {"divisions", *OFFICERS_ONLY}},
    Role.AUDITOR: {},
}
# Which places each role's scope covers.
REACH = {
    ANON: set(),
    Role.INVESTOR: set(),
    Role.GRID_WORKER: {"own"},
    Role.GRID_STAFF: {"own"},
    Role.PARK_MANAGER: {"own"},
    Role.DISTRICT_OFFICER: {"own"},
    Role.DISTRICT_LEADER: {"own"},
    Role.CITY_OFFICER: {"own", "neighbour"},
    Role.CITY_LEADER: {"own", "neighbour"},
    Role.ADMIN: set(PLACES),
    Role.DISPLAY: set(PLACES),
    Role.AUDITOR: set(),
}


def expected(role: str, layer: str, place: str) -> str:
    return IN_SCOPE[role].get(layer, "") if place in REACH[role] else ""


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The city and one unpublished record per layer and place, built once for the module."""
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        city = build_city()
        points = {
            "own": city.inside(county=0),
            "neighbour": city.inside(county=1),
            "outside": Point(113.8, 24.1, srid=4326),
        }
        records = {}
        for layer in LAYERS:
            for place, where in points.items():
                # Boundaries are the city's own; a new one at these points would overlap them.
                if layer == "grid_cells" and place != "outside":
                    record = city.cells[0] if place == "own" else city.cells[2]
                elif layer == "divisions":
                    record = {"own": city.villages[0], "neighbour": city.villages[1]}.get(
                        place
                    ) or make_record(layer, city, where, code="441802001001", name="邻市村")
                elif layer == "parks" and place == "own":
                    record = city.park
                else:
                    record = make_record(layer, city, where)
                if layer == "field_points" and place == "own":
                    record.reporter = city.users[Role.GRID_WORKER]
                record.is_public = False
                record.save()
                records[(layer, place)] = record
        yield city, records
        transaction.set_rollback(True)


CASES = [(role, layer, place) for role in IN_SCOPE for layer in LAYERS for place in PLACES]


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "layer", "place"), CASES, ids=["-".join(map(str, c)) for c in CASES])
def test_matrix(world, role, layer, place):
    city, records = world
    user = AnonymousUser() if role == ANON else city.users[role]
    spec = LAYERS[layer]
    record = type(records[(layer, place)]).all_objects.get(pk=records[(layer, place)].pk)
    want = expected(role, layer, place)

    in_db = spec.model.objects.filter(read_filter(user, spec), pk=record.pk).exists()
    assert can_read(user, spec, record) == ("R" in want)
    assert in_db == ("R" in want), "the database filter and the record predicate disagree"

    fresh = copy.copy(record)
    fresh.pk = None
    assert can_create(user, spec, fresh) == ("C" in want)
    assert can_update(user, spec, record, copy.copy(record)) == ("U" in want)
    assert can_delete(user, spec, record) == ("D" in want)


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "layer", "place"), CASES, ids=["-".join(map(str, c)) for c in CASES])
def test_ogc_matrix(world, role, layer, place):
    """OGC API Features answers as the table says: an item is read exactly when the role may read
    it, and a DELETE (Part 4) goes through exactly when the role may delete it."""
    from rest_framework.test import APIClient

    city, records = world
    client = APIClient()
    if role != ANON:
        client.force_authenticate(city.users[role])
    record = records[(layer, place)]
    want = expected(role, layer, place)
    url = f"/ogc/collections/{layer}/items/{record.pk}"
    assert client.get(url).status_code == (200 if "R" in want else 404)
    deleted = client.delete(url, HTTP_IF_MATCH=f'"{record.version}"').status_code
    if "D" not in want:
        assert deleted in {401, 403, 404}
    elif role == Role.PARK_MANAGER and layer in REVIEWED_LAYERS and record.park_id:
        assert deleted == 409  # the park's edits wait for review (the editor's changesets)
    else:
        assert deleted == 204


@pytest.mark.django_db
def test_published_public_records_are_readable_by_everyone(world):
    city, records = world
    anonymous = AnonymousUser()
    for layer, spec in LAYERS.items():
        record = records[(layer, "neighbour")]
        record.is_public = True
        assert can_read(anonymous, spec, record) == spec.public
        assert can_read(city.users[Role.INVESTOR], spec, record) == spec.public


@pytest.mark.django_db
def test_nobody_moves_a_record_out_of_their_scope(world):
    city, records = world
    manager = city.users[Role.PARK_MANAGER]
    parcel = records[("parcels", "own")]
    moved = copy.copy(parcel)
    moved.geom = records[("parcels", "neighbour")].geom
    moved.derive()
    assert can_update(manager, LAYERS["parcels"], parcel, copy.copy(parcel))
    assert not can_update(manager, LAYERS["parcels"], parcel, moved)


@pytest.mark.django_db
def test_grid_worker_edits_only_their_own_reports(world):
    city, records = world
    worker = city.users[Role.GRID_WORKER]
    point = records[("field_points", "own")]
    colleague_point = copy.copy(point)
    colleague_point.reporter = city.users[Role.CITY_OFFICER]
    assert can_update(worker, LAYERS["field_points"], point, copy.copy(point))
    assert not can_update(worker, LAYERS["field_points"], colleague_point, copy.copy(colleague_point))


@pytest.mark.django_db
def test_a_scoped_role_must_be_bound(world):
    from django.core.exceptions import ValidationError

    from accounts.models import User

    unbound = User(username="u-unbound", role=Role.PARK_MANAGER)
    with pytest.raises(ValidationError) as caught:
        unbound.full_clean(exclude=["password"])
    assert "所属园区" in str(caught.value.message_dict["park"])


# Leads (pipeline) and the wall's data, which are not layers: who may read, and which places.
LEAD_REACH = {
    ANON: set(),
    Role.INVESTOR: set(),
    Role.GRID_WORKER: set(),
    Role.PARK_MANAGER: set(),
    Role.DISTRICT_OFFICER: {"own"},
    Role.DISTRICT_LEADER: {"own"},
    Role.CITY_OFFICER: {"own", "neighbour"},
    Role.CITY_LEADER: {"own", "neighbour"},
    Role.ADMIN: set(PLACES),
    Role.DISPLAY: set(),
}
WALL_WATCHERS = {
    Role.DISTRICT_OFFICER,
    Role.DISTRICT_LEADER,
    Role.CITY_OFFICER,
    Role.CITY_LEADER,
    Role.ADMIN,
    Role.DISPLAY,
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(LEAD_REACH), ids=str)
def test_leads_and_wall_matrix(world, role):
    from pipeline.models import Lead

    city, _records = world
    user = AnonymousUser() if role == ANON else city.users[role]
    codes = {"own": city.villages[0].code, "neighbour": city.villages[1].code, "outside": "441802001001"}
    leads = {
        place: Lead.objects.create(investor_name="张三", phone="13812345678", division_code=code)
        for place, code in codes.items()
    }
    assert may_read_leads(user) == bool(LEAD_REACH[role])
    visible = set(Lead.objects.filter(leads_filter(user)).values_list("pk", flat=True))
    assert {place for place, lead in leads.items() if lead.pk in visible} == LEAD_REACH[role]
    assert may_watch_wall(user) == (role in WALL_WATCHERS)


# --- the resources that are not layers: role × action × place, filter and predicate agreeing ------

OFFICER_REACH = {
    Role.DISTRICT_OFFICER: {"own"},
    Role.CITY_OFFICER: {"own", "neighbour"},
    Role.ADMIN: set(PLACES),
}
LEADER_REACH = {Role.DISTRICT_LEADER: {"own"}, Role.CITY_LEADER: {"own", "neighbour"}}


def _agree(user, resource, action, record) -> bool:
    from policy.rules import allowed_q, allows

    in_db = type(record).objects.filter(allowed_q(user, resource, action), pk=record.pk).exists()
    assert allows(user, resource, action, record) == in_db, "the database filter and the predicate disagree"
    return in_db


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(IN_SCOPE), ids=str)
def test_ingest_jobs_matrix(world, role):
    from ingest.models import IngestJob
    from policy.actions import Action
    from policy.resources import INGEST_JOBS

    city, records = world
    user = AnonymousUser() if role == ANON else city.users[role]
    someone = city.users[Role.CITY_OFFICER if role != Role.CITY_OFFICER else Role.DISTRICT_OFFICER]
    codes = {"own": city.villages[0].code, "neighbour": city.villages[1].code, "outside": "441802001001"}
    jobs = {
        place: IngestJob.objects.create(
            kind="vector",
            layer="parcels",
            sha256=f"{role}-{place}",
            options_hash="o",
            file="x",
            division_code=code,
            created_by=someone,
        )
        for place, code in codes.items()
    }
    reach = OFFICER_REACH.get(role, set())
    for place, job in jobs.items():
        assert _agree(user, INGEST_JOBS, Action.READ, job) == (place in reach), place
        assert _agree(user, INGEST_JOBS, Action.CANCEL, job) == (role == Role.ADMIN), place
    if role != ANON:
        mine = IngestJob.objects.create(
            kind="vector",
            layer="parcels",
            sha256=f"{role}-mine",
            options_hash="o",
            file="x",
            division_code=codes["outside"],
            created_by=user,
        )
        assert _agree(user, INGEST_JOBS, Action.READ, mine), "everyone sees the jobs they submitted"
        assert _agree(user, INGEST_JOBS, Action.CANCEL, mine)


# Who may ask for exports (issue 18): every logged-in person; not anonymous visitors, not a wall.
EXPORTERS = {role for role in IN_SCOPE if role not in {ANON, Role.DISPLAY}}


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(IN_SCOPE), ids=str)
def test_export_jobs_matrix(world, role):
    """An export is its owner's alone (administrators: all), wherever its owner works: nobody else
    follows, downloads or cancels it, an officer of the owner's county included."""
    from exports.models import ExportJob
    from policy.actions import Action
    from policy.predicates import can_cancel_export, can_download_export, may_export
    from policy.resources import EXPORT_JOBS

    city, _records = world
    user = AnonymousUser() if role == ANON else city.users[role]
    assert may_export(user) == (role in EXPORTERS)
    owners = {
        "own": city.users[Role.GRID_WORKER if role != Role.GRID_WORKER else Role.PARK_MANAGER],
        "neighbour": city.users[Role.CITY_OFFICER if role != Role.CITY_OFFICER else Role.DISTRICT_OFFICER],
    }
    for place, owner in owners.items():
        theirs = ExportJob.objects.create(
            kind="csv", source="layer", layer="parcels", created_by=owner, division_code=city.villages[0].code
        )
        assert _agree(user, EXPORT_JOBS, Action.READ, theirs) == (role == Role.ADMIN), place
        assert can_download_export(user, theirs) == (role == Role.ADMIN), place
        assert can_cancel_export(user, theirs) == (role == Role.ADMIN), place
    if role != ANON:
        mine = ExportJob.objects.create(kind="csv", source="layer", layer="parcels", created_by=user)
        expected = role in EXPORTERS | {Role.ADMIN}
        assert _agree(user, EXPORT_JOBS, Action.READ, mine) == expected
        assert _agree(user, EXPORT_JOBS, Action.CREATE, mine) == expected
        assert can_cancel_export(user, mine) == expected


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(IN_SCOPE), ids=str)
def test_overlay_checks_matrix(world, role):
    from policy.actions import Action
    from policy.resources import OVERLAY_CHECKS
    from spatial.models import OverlayCheck

    city, records = world
    user = AnonymousUser() if role == ANON else city.users[role]
    checks = {
        place: OverlayCheck.objects.create(kind="parcel_overlap", division=records[("divisions", place)])
        for place in PLACES
    }
    runs = OFFICER_REACH.get(role, set())
    reads = runs | LEADER_REACH.get(role, set())
    for place, check in checks.items():
        assert _agree(user, OVERLAY_CHECKS, Action.READ, check) == (place in reads), place
        assert _agree(user, OVERLAY_CHECKS, Action.CREATE, check) == (place in runs), place
        assert _agree(user, OVERLAY_CHECKS, Action.REVIEW, check) == (place in runs), place


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(IN_SCOPE), ids=str)
def test_personal_data_and_url_tokens(world, role):
    from policy.predicates import may_carry_url_token, may_see_personal_data

    city, _records = world
    user = AnonymousUser() if role == ANON else city.users[role]
    staff = {Role.DISTRICT_OFFICER, Role.CITY_OFFICER, Role.DISTRICT_LEADER, Role.CITY_LEADER, Role.ADMIN}
    assert may_see_personal_data(user) == (role in staff)
    assert may_carry_url_token(user) == (role == Role.DISPLAY)


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(IN_SCOPE), ids=str)
def test_industry_targets_cover_the_readers_division(world, role):
    """招商靶向 (INDUSTRY_TARGETS): officers and leaders read their division's counties, the wall
    and administrators the whole city, nobody else any."""
    from policy.predicates import industry_targets_prefix

    city, _records = world
    user = AnonymousUser() if role == ANON else city.users[role]
    expected = {
        Role.DISTRICT_OFFICER: city.counties[0].prefix,
        Role.DISTRICT_LEADER: city.counties[0].prefix,
        Role.CITY_OFFICER: city.city.prefix,
        Role.CITY_LEADER: city.city.prefix,
        Role.DISPLAY: "",
        Role.ADMIN: "",
    }
    assert industry_targets_prefix(user) == expected.get(role)


@pytest.mark.django_db
def test_scope_is_computed_once_per_user_object(world, django_assert_num_queries):
    from policy.scope import scope_of

    city, _records = world
    for role in (Role.GRID_WORKER, Role.PARK_MANAGER, Role.DISTRICT_OFFICER):
        user = type(city.users[role]).objects.get(pk=city.users[role].pk)
        with django_assert_num_queries(1):
            first = scope_of(user)
            for _ in range(100):
                assert scope_of(user) is first


# --- places that define scope: who may redraw them, where ------------------------------------------

# role -> layer -> places whose boundary the role may redraw (within the place itself), by hand from
# the rule "only a role scoped above it, within its own scope": officers above parks and grid cells of
# their division, administrators everywhere; a park manager does not redraw their own park.
REDRAW: dict[str, dict[str, set[str]]] = {
    Role.DISTRICT_OFFICER: {"parks": {"own"}, "grid_cells": {"own"}},
    Role.CITY_OFFICER: {"parks": {"own", "neighbour"}, "grid_cells": {"own", "neighbour"}},
    Role.ADMIN: {layer: set(PLACES) for layer in ("parks", "grid_cells", "divisions")},
}
SCOPE_PLACES = ("divisions", "parks", "grid_cells")
REDRAW_CASES = [(role, layer, place) for role in IN_SCOPE for layer in SCOPE_PLACES for place in PLACES]


def _redraw_allowed(user, spec, record, after) -> bool:
    from policy.predicates import geometry_in_scope, may_redraw

    return (
        can_update(user, spec, record, after)
        and may_redraw(user, spec, record, after)
        and geometry_in_scope(user, spec, record, after)
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "layer", "place"), REDRAW_CASES, ids=["-".join(map(str, c)) for c in REDRAW_CASES]
)
def test_redraw_matrix(world, role, layer, place):
    from django.contrib.gis.geos import MultiPolygon

    city, records = world
    user = AnonymousUser() if role == ANON else city.users[role]
    spec = LAYERS[layer]
    record = type(records[(layer, place)]).all_objects.get(pk=records[(layer, place)].pk)
    shrunk = copy.copy(record)
    shrunk.geom = MultiPolygon(record.geom.buffer(-0.0005), srid=4326)
    shrunk.derive()
    want = place in REDRAW.get(role, {}).get(layer, set())
    assert _redraw_allowed(user, spec, record, shrunk) == want
    # Attribute edits that keep the boundary follow the plain update rule.
    assert can_update(user, spec, record, copy.copy(record)) == ("U" in expected(role, layer, place))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.DISTRICT_OFFICER, False),
        (Role.CITY_OFFICER, True),
        (Role.ADMIN, True),
        (Role.PARK_MANAGER, False),
    ],
    ids=str,
)
def test_a_park_redrawn_across_counties_needs_a_scope_covering_both(world, role, allowed):
    city, _records = world
    spec = LAYERS["parks"]
    park = type(city.park).all_objects.get(pk=city.park.pk)
    wider = copy.copy(park)
    wider.geom = rect(X0, Y0, X0 + 0.15, Y0 + 0.04)
    wider.derive()
    assert _redraw_allowed(city.users[role], spec, park, wider) == allowed


# role -> whether a MultiPolygon with one part in county 0 and one in county 1 may be created.
STRADDLING_CREATE = {
    Role.PARK_MANAGER: False,
    Role.DISTRICT_OFFICER: False,
    Role.CITY_OFFICER: True,
    Role.ADMIN: True,
}


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "allowed"), list(STRADDLING_CREATE.items()), ids=str)
def test_the_whole_geometry_must_lie_in_scope(world, role, allowed):
    from django.contrib.gis.geos import MultiPolygon

    from layers.models import LandParcel
    from policy.predicates import geometry_in_scope

    city, _records = world
    user = city.users[role]
    near = rect(X0 + 0.01, Y0 + 0.01, X0 + 0.012, Y0 + 0.012)
    far = rect(X0 + 0.15, Y0 + 0.01, X0 + 0.152, Y0 + 0.012)
    own = LandParcel(code="W-1", land_use="industrial", geom=near)
    straddling = LandParcel(code="W-2", land_use="industrial", geom=MultiPolygon(near[0], far[0], srid=4326))
    for record in (own, straddling):
        record.derive()
    # Filed by its representative point, the straddling parcel is in the writer's place ...
    assert can_create(user, LAYERS["parcels"], straddling)
    assert geometry_in_scope(user, LAYERS["parcels"], None, own)
    # ... but only a scope covering both counties holds all of it.
    assert geometry_in_scope(user, LAYERS["parcels"], None, straddling) == allowed


# (layer, field naming who acted) -> roles that may name someone other than themselves.
ACTORS = {
    ("patrol_tracks", "worker"): {Role.DISTRICT_OFFICER, Role.CITY_OFFICER, Role.ADMIN},
    ("field_points", "reporter"): {Role.ADMIN},
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(IN_SCOPE), ids=str)
def test_who_may_act_in_another_name(world, role):
    from policy.predicates import actor_fields, may_name_actor

    city, _records = world
    user = AnonymousUser() if role == ANON else city.users[role]
    declared = {(layer, name) for layer in LAYERS for name in actor_fields(layer)}
    assert declared == set(ACTORS)
    for (layer, name), roles in ACTORS.items():
        assert may_name_actor(user, layer, name) == (role in roles), (layer, name)


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(IN_SCOPE), ids=str)
def test_audit_log_matrix(world, role):
    """Auditors and administrators read the whole audit log, city-wide; nobody else reads any of it.
    (Nobody writes to it either: the database refuses, tests/audit/test_log.py.)"""
    from audit.models import AuditAction
    from audit.writer import record
    from policy.actions import Action
    from policy.resources import AUDIT_LOG

    city, _records = world
    user = AnonymousUser() if role == ANON else city.users[role]
    entries = [
        record(AuditAction.EXPORT, object_type="test", division=code)
        for code in (city.counties[0].code, city.counties[1].code, "")
    ]
    readers = {Role.AUDITOR, Role.ADMIN}
    for entry in entries:
        assert _agree(user, AUDIT_LOG, Action.READ, entry) == (role in readers)


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(IN_SCOPE), ids=str)
def test_operations_matrix(world, role, client):
    """Backups (everything, unmasked) and /metrics are the administrators' alone; the backup jobs'
    admin pages follow the same rule."""
    from policy.predicates import may_manage_backups, may_read_metrics

    city, _records = world
    user = AnonymousUser() if role == ANON else city.users[role]
    assert may_manage_backups(user) == (role == Role.ADMIN)
    assert may_read_metrics(user) == (role == Role.ADMIN)
    if role != ANON:
        user.is_staff = True  # admin site access is not what decides
        user.save()
        client.force_login(user)
    page = client.get("/admin/backups/backupjob/")
    assert (page.status_code == 200) == (role == Role.ADMIN)


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(IN_SCOPE), ids=str)
def test_projects_matrix(world, role):
    """Read, create and edit projects by role and place; the database filter and the predicate agree.
    Who reviews which step is tested with the workflow (tests/projects)."""
    from policy.actions import Action
    from policy.resources import PROJECTS
    from projects.models import Project

    city, _records = world
    user = AnonymousUser() if role == ANON else city.users[role]
    owner = city.users[Role.CITY_OFFICER]
    projects = {
        "own": Project.objects.create(name="本县", division=city.counties[0], owner=owner, park=city.park),
        "neighbour": Project.objects.create(name="邻县", division=city.counties[1], owner=owner),
    }
    edits = {
        Role.DISTRICT_OFFICER: {"own"},
        Role.CITY_OFFICER: {"own", "neighbour"},
        Role.ADMIN: {"own", "neighbour"},
    }
    reads = {
        **edits,
        Role.DISTRICT_LEADER: {"own"},
        Role.CITY_LEADER: {"own", "neighbour"},
        Role.PARK_MANAGER: {"own"},  # the project on their park
    }
    for place, project in projects.items():
        assert _agree(user, PROJECTS, Action.READ, project) == (place in reads.get(role, set())), place
        assert _agree(user, PROJECTS, Action.UPDATE, project) == (place in edits.get(role, set())), place


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(IN_SCOPE), ids=str)
def test_inspections_matrix(world, role):
    """Officers report and edit problems in their area, leaders read them; who takes each step of the
    loop is tested with it (tests/projects/test_inspections.py)."""
    from policy.actions import Action
    from policy.resources import INSPECTIONS
    from projects.models import Inspection, Project

    city, _records = world
    user = AnonymousUser() if role == ANON else city.users[role]
    owner = city.users[Role.CITY_OFFICER]
    found = {
        place: Inspection.objects.create(
            project=Project.objects.create(name=place, division=county, owner=owner),
            problem="x",
            reported_by=owner,
        )
        for place, county in (("own", city.counties[0]), ("neighbour", city.counties[1]))
    }
    edits = {
        Role.DISTRICT_OFFICER: {"own"},
        Role.CITY_OFFICER: {"own", "neighbour"},
        Role.ADMIN: {"own", "neighbour"},
    }
    reads = {**edits, Role.DISTRICT_LEADER: {"own"}, Role.CITY_LEADER: {"own", "neighbour"}}
    for place, inspection in found.items():
        assert _agree(user, INSPECTIONS, Action.READ, inspection) == (place in reads.get(role, set())), place
        assert _agree(user, INSPECTIONS, Action.UPDATE, inspection) == (place in edits.get(role, set())), (
            place
        )


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(IN_SCOPE), ids=str)
def test_own_things_matrix(world, role):
    """Saved views and inbox messages are their owner's: the owner reads and changes them, nobody
    else does (administrators' own API views filter to their own as well, tests/inbox)."""
    from inbox.models import Message
    from policy.actions import Action
    from policy.resources import MESSAGES, SAVED_VIEWS
    from projects.models import SavedView

    city, _records = world
    user = AnonymousUser() if role == ANON else city.users[role]
    other = city.users[Role.CITY_OFFICER] if role != Role.CITY_OFFICER else city.users[Role.DISTRICT_OFFICER]
    staff = {
        Role.DISTRICT_OFFICER,
        Role.CITY_OFFICER,
        Role.DISTRICT_LEADER,
        Role.CITY_LEADER,
        Role.PARK_MANAGER,
    }
    if role != ANON:
        mine = SavedView.objects.create(owner=user, name="mine")
        assert _agree(user, SAVED_VIEWS, Action.UPDATE, mine) == (role in staff | {Role.ADMIN})
        message = Message.objects.create(recipient=user, kind="review", title="x", key=f"m-{role}")
        assert _agree(user, MESSAGES, Action.READ, message)
        assert _agree(user, MESSAGES, Action.UPDATE, message)
    theirs = SavedView.objects.create(owner=other, name=f"theirs-{role}")
    assert _agree(user, SAVED_VIEWS, Action.READ, theirs) == (role == Role.ADMIN)
    letter = Message.objects.create(recipient=other, kind="review", title="x", key=f"o-{role}")
    assert _agree(user, MESSAGES, Action.READ, letter) == (role == Role.ADMIN)


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(IN_SCOPE), ids=str)
def test_grid_events_matrix(world, role):
    """Grid workers report and read in their cell, officers run their division's events, leaders
    and the display read; whoever an event is dispatched to reads it wherever it is."""
    from grid.models import EventCategory, GridEvent
    from policy.actions import Action
    from policy.predicates import visible_events
    from policy.resources import GRID_EVENTS

    city, _records = world
    user = AnonymousUser() if role == ANON else city.users[role]
    category, _ = EventCategory.objects.get_or_create(
        key="matrix", defaults={"name_zh": "类", "name_en": "x"}
    )
    events = {}
    for place, where in (("own", city.inside(0)), ("neighbour", city.inside(1))):
        event = GridEvent(category=category, title=place, geom=where, reporter=city.users[Role.CITY_OFFICER])
        event.locate()
        event.save()
        events[place] = event
    reads = {
        Role.GRID_WORKER: {"own"},
        Role.GRID_STAFF: {"own"},
        Role.DISTRICT_OFFICER: {"own"},
        Role.DISTRICT_LEADER: {"own"},
        Role.CITY_OFFICER: {"own", "neighbour"},
        Role.CITY_LEADER: {"own", "neighbour"},
        Role.ADMIN: {"own", "neighbour"},
        Role.DISPLAY: {"own", "neighbour"},
    }
    staff = {
        Role.GRID_STAFF: {"own"},
        Role.DISTRICT_OFFICER: {"own"},
        Role.CITY_OFFICER: {"own", "neighbour"},
        Role.ADMIN: {"own", "neighbour"},
    }
    for place, event in events.items():
        assert _agree(user, GRID_EVENTS, Action.READ, event) == (place in reads.get(role, set())), place
        assert _agree(user, GRID_EVENTS, Action.REVIEW, event) == (place in staff.get(role, set())), place
    if role != ANON:
        events["neighbour"].handler = user
        events["neighbour"].save()
        assert events["neighbour"] in visible_events(user), "dispatched to them"


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(IN_SCOPE), ids=str)
def test_patrol_tasks_matrix(world, role):
    """Staff assign and edit the patrols of their division, leaders read them; a grid worker reads
    and walks the tasks assigned to them and the shared tasks of their cell, not a colleague's; the
    database filter and the predicates agree."""
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import User
    from patrols.models import ChecklistTemplate, PatrolTask
    from policy.actions import Action
    from policy.predicates import may_edit_task, may_run_task, visible_tasks
    from policy.resources import PATROL_TASKS, SHARED_PATROL_TASKS
    from policy.rules import allows

    city, _records = world
    user = AnonymousUser() if role == ANON else city.users[role]
    worker = city.users[Role.GRID_WORKER]
    colleague = User.objects.create_user(
        username=f"u-colleague-{role}", role=Role.GRID_WORKER, grid_cell=city.cells[0]
    )
    template, _ = ChecklistTemplate.objects.get_or_create(
        key="matrix", defaults={"name": "x", "items": [{"key": "ok", "label": "x", "type": "yes_no"}]}
    )
    now = timezone.now()
    tasks = {}
    for name, cell, assigned, shared in (
        ("mine", city.cells[0], worker, False),
        ("colleague", city.cells[0], colleague, False),
        ("shared", city.cells[0], None, True),
        ("neighbour", city.cells[2], None, True),
    ):
        task = PatrolTask(
            title=name,
            worker=assigned,
            shared=shared,
            template=template,
            area_kind="cell",
            grid_cell=cell,
            due_from=now,
            due_until=now + timedelta(days=1),
        )
        task.locate()
        task.save()
        tasks[name] = task
    town = {"mine", "colleague", "shared"}
    everything = town | {"neighbour"}
    reads = {
        Role.GRID_WORKER: {"mine", "shared"},
        Role.GRID_STAFF: town,
        Role.DISTRICT_OFFICER: town,
        Role.DISTRICT_LEADER: town,
        Role.CITY_OFFICER: everything,
        Role.CITY_LEADER: everything,
        Role.ADMIN: everything,
    }
    assigns = {
        Role.GRID_STAFF: town,
        Role.DISTRICT_OFFICER: town,
        Role.CITY_OFFICER: everything,
        Role.ADMIN: everything,
    }
    walks = {Role.GRID_WORKER: {"mine", "shared"}, Role.ADMIN: everything}
    visible = set(visible_tasks(user).values_list("title", flat=True))
    assert visible == reads.get(role, set())
    for name, task in tasks.items():
        in_memory = allows(user, PATROL_TASKS, Action.READ, task) or (
            task.shared and allows(user, SHARED_PATROL_TASKS, Action.READ, task)
        )
        assert in_memory == (name in visible), "the database filter and the predicate disagree"
        assert allows(user, PATROL_TASKS, Action.CREATE, task) == (name in assigns.get(role, set())), name
        assert may_edit_task(user, task) == (name in assigns.get(role, set())), name
        assert may_run_task(user, task) == (name in walks.get(role, set())), name


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(IN_SCOPE), ids=str)
def test_checklist_templates_matrix(world, role):
    """Checklist templates are the city's configuration: its officers keep them; county staff,
    leaders and grid workers read them; nobody else sees them."""
    from policy.actions import Action
    from policy.predicates import may_configure_checklists

    city, _records = world
    user = AnonymousUser() if role == ANON else city.users[role]
    readers = {
        Role.GRID_WORKER,
        Role.GRID_STAFF,
        Role.DISTRICT_OFFICER,
        Role.DISTRICT_LEADER,
        Role.CITY_OFFICER,
        Role.CITY_LEADER,
        Role.ADMIN,
    }
    keepers = {Role.CITY_OFFICER, Role.ADMIN}
    assert may_configure_checklists(user, Action.READ) == (role in readers)
    assert may_configure_checklists(user, Action.CREATE) == (role in keepers)
    assert may_configure_checklists(user, Action.UPDATE) == (role in keepers)


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(IN_SCOPE), ids=str)
def test_sync_matrix(world, role):
    """Every staff role may send the phone's operations and photos (each operation's handler then
    checks its record); investors and anonymous visitors may not, nor read or change anything there."""
    from policy.actions import Action
    from policy.resources import SYNC
    from policy.rules import role_allows

    city, _records = world
    user = AnonymousUser() if role == ANON else city.users[role]
    senders = {r for r in Role.values if r != Role.INVESTOR}
    assert role_allows(user, SYNC, Action.CREATE) == (role in senders)
    for action in (Action.READ, Action.UPDATE, Action.DELETE):
        assert role_allows(user, SYNC, action) == (role == Role.ADMIN), action
    # The phone app's device token goes to those who sync, and no one else.
    assert may_hold_device_token(user) == (role in senders)


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(IN_SCOPE), ids=str)
def test_sync_area_matrix(world, role):
    """The phone's offline area (GET /api/sync/area/) holds exactly the grid cells the role reads,
    and the field points and places it reads in them; roles that do not sync get none of it."""
    from rest_framework.test import APIClient

    city, records = world
    client = APIClient()
    if role != ANON:
        client.force_authenticate(city.users[role])
    response = client.get("/api/sync/area/")
    if role in (ANON, Role.INVESTOR):
        assert response.status_code == (401 if role == ANON else 403)
        return
    assert response.status_code == 200
    body = response.json()
    shown = {
        "grid_cells": {f["id"] for f in body["cells"]["features"]},
        "field_points": {f["id"] for f in body["features"]["field_points"]["features"]},
        "places": {f["id"] for f in body["features"]["places"]["features"]},
    }
    for layer, ids in shown.items():
        for place in PLACES:
            # Each place's points lie in that place's cell (outside the city too: a cell of its own).
            reads = "R" in expected(role, layer, place)
            assert (records[(layer, place)].pk in ids) == reads, (layer, place)


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(IN_SCOPE), ids=str)
def test_changesets_matrix(world, role):
    """A park's changesets (issue 17): its managers keep them (stage, submit, discard), officers of
    the park's division read and review them, leaders read them; nobody reviews their own."""
    from editing.models import Changeset
    from policy.actions import Action
    from policy.predicates import (
        edits_need_review,
        may_read_changeset,
        may_review_changeset,
        may_submit_changeset,
        visible_changesets,
    )
    from policy.resources import CHANGESETS

    city, records = world
    user = AnonymousUser() if role == ANON else city.users[role]
    parks = {"own": city.park, "neighbour": records[("parks", "neighbour")]}
    found = {place: Changeset.objects.create(park=park) for place, park in parks.items()}
    keeps = {Role.PARK_MANAGER: {"own"}, Role.ADMIN: {"own", "neighbour"}}
    reviews = {**OFFICER_REACH, Role.ADMIN: {"own", "neighbour"}}
    reads = {**keeps, **reviews, **LEADER_REACH}
    visible = set(visible_changesets(user).values_list("pk", flat=True))
    for place, changeset in found.items():
        assert _agree(user, CHANGESETS, Action.READ, changeset) == (place in reads.get(role, set())), place
        assert may_read_changeset(user, changeset) == (changeset.pk in visible)
        assert may_submit_changeset(user, changeset) == (place in keeps.get(role, set())), place
        assert may_review_changeset(user, changeset) == (place in reviews.get(role, set())), place
        if role != ANON:
            # Never one's own edits.
            assert not may_review_changeset(user, changeset, authors=[user.pk])
    # Whose edits wait for review: park managers' edits of parcels and buildings of a park that asks.
    for layer in LAYERS:
        want = role == Role.PARK_MANAGER and layer in {"parcels", "buildings"}
        assert edits_need_review(user, layer, city.park) == want, layer
    city.park.edits_need_approval = False
    assert not edits_need_review(user, "parcels", city.park)
    city.park.edits_need_approval = True
