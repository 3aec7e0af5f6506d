"""The audit log: append-only in the database, a chain that names tampering, one entry per act."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from accounts.roles import Role
from audit.models import AuditAction, Entry, Outcome
from audit.verify import verify
from audit.writer import record
from core.context import acting_as
from layers.models import LandParcel
from tests.builders import PASSWORD, X0, Y0, box, feature, make_record


def _tamper(sql: str, params: list | None = None) -> None:
    """As a database superuser would: with the append-only trigger out of the way."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params or [])
        cursor.execute("SET LOCAL session_replication_role = origin")


def _chain(n: int, user=None) -> list[Entry]:
    return [record(AuditAction.EXPORT, object_type="test", object_id=i, user=user) for i in range(n)]


@pytest.mark.django_db
def test_entries_form_a_chain_that_verifies():
    entries = _chain(5)
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert entries[1].prev_mac == entries[0].mac
    report = verify()
    assert report.ok, report.problems
    assert report.checked == 5


@pytest.mark.django_db
@pytest.mark.parametrize("statement", ["UPDATE audit_entry SET username = 'x'", "DELETE FROM audit_entry"])
def test_the_database_refuses_to_change_or_remove_an_entry(statement):
    _chain(2)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert Entry.objects.count() == 2


@pytest.mark.django_db
def test_verify_names_the_changed_entry():
    entries = _chain(6)
    _tamper("UPDATE audit_entry SET username = 'someone-else' WHERE id = %s", [entries[3].id])
    report = verify()
    assert report.first.kind == "changed"
    assert report.first.seq == 4
    with pytest.raises(CommandError, match="entry 4"):
        call_command("audit", "verify")


@pytest.mark.django_db
def test_verify_names_the_removed_entries():
    entries = _chain(6)
    _tamper("DELETE FROM audit_entry WHERE id IN (%s, %s)", [entries[2].id, entries[3].id])
    report = verify()
    assert (report.first.kind, report.first.seq) == ("removed", 3)
    assert "3–4" in report.first.message


@pytest.mark.django_db
def test_verify_notices_the_newest_entries_removed():
    entries = _chain(4)
    _tamper("DELETE FROM audit_entry WHERE id = %s", [entries[-1].id])
    assert (verify().first.kind, verify().first.seq) == ("removed", 4)


@pytest.mark.django_db
def test_verify_names_an_inserted_entry():
    entries = _chain(4)
    forged = entries[1]
    columns = (
        "role, user_agent, channel, action, object_type, object_id, division, outcome, request_id, detail"
    )
    _tamper(
        f"INSERT INTO audit_entry (seq, at, username, {columns}, prev_mac, mac) "
        f"SELECT seq, at, 'intruder', {columns}, prev_mac, mac FROM audit_entry WHERE id = %s",
        [forged.id],
    )
    report = verify()
    assert report.first.kind == "inserted"
    assert report.first.seq == 2
    assert report.first.entry_id != forged.id


@pytest.mark.django_db
def test_verify_command_reports_an_intact_chain(capsys):
    _chain(3)
    call_command("audit", "verify")
    assert "intact: 3 entries" in capsys.readouterr().out


@pytest.mark.django_db
def test_sm3_and_sha256_entries_verify_in_one_chain(settings):
    _chain(2)
    settings.AUDIT_MAC_ALGORITHM = "sm3"
    entries = _chain(2)
    assert entries[0].mac.startswith("sm3:")
    assert verify().ok


# --- one entry per act -------------------------------------------------------------------------


def _entries(**filters) -> list[Entry]:
    return list(Entry.objects.filter(**filters).order_by("seq"))


def test_a_write_through_the_api_is_one_entry_with_who_and_where(api, city):
    # Edits of a park whose managers are reviewed go through the editor (issue 17); not this test's point.
    city.park.edits_need_approval = False
    city.park.save()
    user = city.users[Role.PARK_MANAGER]
    response = api.as_user(user).post(
        "/api/parcels/",
        feature(box(X0 + 0.01, Y0 + 0.01), code="A-1", land_use="industrial"),
        format="json",
        HTTP_USER_AGENT="pytest-agent",
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )
    assert response.status_code == 201, response.content
    parcel = LandParcel.objects.get(code="A-1")
    [entry] = _entries(object_type="layers.landparcel")
    assert (entry.action, entry.object_id, entry.outcome) == (
        AuditAction.CREATE,
        str(parcel.pk),
        Outcome.SUCCESS,
    )
    assert (entry.username, entry.role, entry.channel) == (user.username, Role.PARK_MANAGER, "api")
    assert entry.client_address == "203.0.113.9"
    assert entry.user_agent == "pytest-agent"
    assert entry.division == parcel.division_code
    assert entry.request_id == response.headers["X-Request-ID"]


def test_an_update_and_a_delete_are_one_entry_each(api, city):
    parcel = make_record("parcels", city, city.inside())
    client = api.as_user(city.users[Role.CITY_OFFICER])
    version = client.get(f"/api/parcels/{parcel.pk}/").headers["ETag"]
    assert (
        client.patch(
            f"/api/parcels/{parcel.pk}/",
            {"properties": {"name": "改名"}},
            format="json",
            HTTP_IF_MATCH=version,
        ).status_code
        == 200
    )
    version = client.get(f"/api/parcels/{parcel.pk}/").headers["ETag"]
    assert client.delete(f"/api/parcels/{parcel.pk}/", HTTP_IF_MATCH=version).status_code == 204
    assert [e.action for e in _entries(object_type="layers.landparcel")] == [
        AuditAction.UPDATE,
        AuditAction.DELETE,
    ]


def test_a_write_in_a_job_is_logged_for_the_user_it_runs_for(city):
    user = city.users[Role.DISTRICT_OFFICER]
    with acting_as(user, via="ingest job 7"):
        parcel = make_record("parcels", city, city.inside())
    [entry] = _entries(object_type="layers.landparcel", object_id=str(parcel.pk))
    assert (entry.username, entry.channel, entry.detail["via"]) == (user.username, "job", "ingest job 7")


def test_writes_outside_any_request_or_job_are_not_acts(city):
    make_record("parcels", city, city.inside())
    assert not _entries(object_type="layers.landparcel")


def test_logins_failures_and_logouts_through_the_admin(client, city):
    admin = city.users[Role.ADMIN]
    admin.is_staff = True
    admin.save()
    client.post("/admin/login/", {"username": admin.username, "password": "wrong-password"})
    client.post("/admin/login/", {"username": admin.username, "password": PASSWORD})
    client.post("/admin/logout/")
    actions = [(e.action, e.outcome) for e in _entries(action__in=["login", "login_failed", "logout"])]
    assert actions == [
        (AuditAction.LOGIN_FAILED, Outcome.FAILURE),
        (AuditAction.LOGIN, Outcome.SUCCESS),
        (AuditAction.LOGOUT, Outcome.SUCCESS),
    ]
    failed = _entries(action="login_failed")[0]
    assert failed.detail == {"username": admin.username}
    assert "wrong-password" not in str(failed.detail)


def test_a_denial_is_logged(api, city):
    response = api.as_user(city.users[Role.INVESTOR]).post(
        "/api/parcels/", feature(box(X0 + 0.01, Y0 + 0.01), code="A-9", land_use="industrial"), format="json"
    )
    assert response.status_code == 403
    [entry] = _entries(action="denied")
    assert (entry.outcome, entry.username) == (Outcome.DENIED, city.users[Role.INVESTOR].username)
    assert entry.detail["status"] == 403
    assert entry.object_type == "/api/parcels/"


def test_a_denied_tile_is_logged(client, city):
    response = client.get("/tiles/patrol_tracks/14/13000/7000.mvt")
    assert response.status_code == 401
    [entry] = _entries(action="denied")
    assert entry.object_type.startswith("/tiles/patrol_tracks/")


def test_reading_unmasked_phones_is_one_entry_per_response(api, city):
    from pipeline.models import Lead

    leads = [
        Lead.objects.create(
            investor_name=f"张{i}", phone=f"1381234567{i}", division_code=city.villages[0].code
        )
        for i in range(3)
    ]
    officer = city.users[Role.CITY_OFFICER]
    response = api.as_user(officer).get("/api/pipeline/leads/")
    assert response.status_code == 200
    assert response.json()["results"][0]["phone"].startswith("1381234567")
    [entry] = _entries(action="read_personal")
    assert (entry.username, entry.object_type) == (officer.username, "pipeline.lead")
    assert sorted(entry.detail["ids"]) == sorted(lead.pk for lead in leads)
    assert entry.detail["fields"] == ["phone"]


def test_masked_output_is_not_a_personal_data_read(api, city):
    park = city.park
    park.contact_phone = "15900000361"
    park.save()
    response = api.as_user(city.users[Role.PARK_MANAGER]).get(f"/api/parks/{park.pk}/")
    assert response.json()["properties"]["contact_phone"] == "159****0361"
    assert not _entries(action="read_personal")
    api.as_user(city.users[Role.DISTRICT_OFFICER]).get(f"/api/parks/{park.pk}/history/")
    [entry] = _entries(action="read_personal")
    assert (entry.object_type, entry.object_id) == ("layers.park", str(park.pk))


def test_a_write_through_the_admin_is_one_entry(client, city):
    admin = city.users[Role.ADMIN]
    admin.is_staff = admin.is_superuser = True
    admin.save()
    parcel = make_record("parcels", city, city.inside())
    client.force_login(admin)
    page = client.get(f"/admin/layers/landparcel/{parcel.pk}/change/")
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update(name="后台改名", version=parcel.version)
    data["geom"] = parcel.geom.ewkt
    response = client.post(f"/admin/layers/landparcel/{parcel.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    [entry] = _entries(object_type="layers.landparcel")
    assert (entry.action, entry.channel, entry.username) == (AuditAction.UPDATE, "admin", admin.username)


def test_an_import_is_one_entry_for_the_user_who_queued_it(city, api):
    from fixtures import ingest_inputs as fx
    from tests.ingest.conftest import run_job, upload

    officer = city.users[Role.CITY_OFFICER]
    response = upload(
        api.as_user(officer), fx.parcels_geojson(3), "p.geojson", kind="vector", layer="parcels"
    )
    job = run_job(response.json()["id"])
    assert job.status == "succeeded", job.report
    [entry] = _entries(action="import")
    assert (entry.username, entry.channel, entry.object_id) == (officer.username, "job", str(job.pk))
    assert entry.detail["created"] == {"parcels": 3}
    assert not _entries(object_type="layers.landparcel"), "bulk inserts are the job's one entry"


@pytest.mark.django_db
def test_an_old_month_is_archived_to_a_file_and_the_chain_still_verifies(tmp_path):
    import gzip
    import json
    from datetime import date, datetime
    from unittest import mock
    from zoneinfo import ZoneInfo

    from audit.partitions import ensure_partitions

    ensure_partitions(months_ahead=0, today=date(2025, 1, 15))
    old = datetime(2025, 1, 20, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    _chain(2)
    with mock.patch("django.utils.timezone.now", return_value=old):
        archived = _chain(3)
    _chain(2)
    with pytest.raises(CommandError, match="--yes"):
        call_command("audit", "archive", "--month", "2025-01", "--to", str(tmp_path))
    call_command("audit", "archive", "--month", "2025-01", "--to", str(tmp_path), "--yes")
    with gzip.open(tmp_path / "audit_entry_2025_01.jsonl.gz", "rt") as archive:
        lines = archive.read().splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [e.seq for e in archived]
    assert not Entry.objects.filter(seq__in=[e.seq for e in archived]).exists()
    report = verify()
    assert report.ok, report.problems
    [note] = _entries(action="config", object_type="audit.partition")
    assert note.detail["runs"] == [[archived[0].seq, archived[-1].seq, archived[-1].mac]]


@pytest.mark.django_db
def test_a_month_inside_the_retention_is_not_archived(tmp_path):
    from django.utils import timezone

    month = timezone.localdate().strftime("%Y-%m")
    with pytest.raises(CommandError, match="AUDIT_RETENTION_DAYS"):
        call_command("audit", "archive", "--month", month, "--to", str(tmp_path), "--yes")


def test_an_admin_page_showing_a_phone_is_a_personal_data_read(client, city):
    admin = city.users[Role.ADMIN]
    admin.is_staff = admin.is_superuser = True
    admin.save()
    park = city.park
    park.contact_phone = "15900000361"
    park.save()
    client.force_login(admin)
    assert client.get(f"/admin/layers/park/{park.pk}/change/").status_code == 200
    [entry] = _entries(action="read_personal")
    assert (entry.object_type, entry.object_id, entry.channel) == ("layers.park", str(park.pk), "admin")
