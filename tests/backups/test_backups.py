"""Backups end to end on the real test database: back up, verify, change, restore, compare.

These tests commit (pg_dump and pg_restore are other processes, they see only committed rows), so
they run with ``transaction=True``; the restore swaps the test database itself for its restored copy.
"""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db.migrations.recorder import MigrationRecorder

from accounts.roles import Role
from backups import database
from backups import manifest as manifests
from backups.media import object_key
from backups.models import BackupJob
from backups.restore import restore
from backups.store import LocalStore, default_store
from core.files import file_digest
from inbox.models import DeliveryStatus, Message
from jobs.models import JobStatus
from layers import models as m
from tests.builders import build_city, make_record

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def store() -> LocalStore:
    store = default_store()
    assert isinstance(store, LocalStore)
    return store


def photo(name: str, content: bytes) -> str:
    path = Path(settings.MEDIA_ROOT) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return name


def back_up() -> BackupJob:
    call_command("backup", stdout=io.StringIO())
    return BackupJob.objects.latest("id")


def test_restore_drill_brings_every_row_and_file_back(store: LocalStore) -> None:
    city = build_city()
    name = photo("photos/drill/front.jpg", b"\xff\xd8 the front gate")
    parcel = make_record("parcels", city, city.inside(), photos=[name], name="一号地块")
    first = back_up()
    assert first.status == JobStatus.SUCCEEDED, first.error
    report = first.report
    assert report["verification"]["ok"], report["verification"]["problems"]
    assert report["verification"]["referenced_media"] == 1
    manifest = manifests.load(store, first.name)
    assert manifest["tables"]["public.layers_landparcel"]["rows"] == 1
    assert store.exists(object_key(file_digest(Path(settings.MEDIA_ROOT) / name)[0]))

    # Unchanged media are not copied again.
    second = back_up()
    assert second.status == JobStatus.SUCCEEDED, second.error
    assert (first.media_copied, second.media_copied) == (1, 0)

    # Change and delete data, and lose the file.
    m.Division.objects.filter(pk=city.counties[0].pk).update(name="改错的名字")
    m.LandParcel.objects.filter(pk=parcel.pk).delete()
    city.users[Role.INVESTOR].delete()
    (Path(settings.MEDIA_ROOT) / name).unlink()

    result = restore(first.name, keep_previous=False)

    assert result["media"] == {"restored": 1, "unchanged": 0}
    assert m.LandParcel.objects.get(pk=parcel.pk).photos == [name]
    assert m.Division.objects.get(pk=city.counties[0].pk).name == city.counties[0].name
    assert (Path(settings.MEDIA_ROOT) / name).read_bytes() == b"\xff\xd8 the front gate"
    # To the row: every table as it was at the backup, but the two the restore itself writes to.
    with database.connect() as conn:
        now = database.fingerprints(conn)
    written = {"public.backups_backupjob", "public.audit_entry", "public.audit_chainhead"}
    assert {t: v for t, v in now.items() if t not in written} == {
        t: v for t, v in manifest["tables"].items() if t not in written
    }
    assert BackupJob.objects.get(pk=first.pk).status == JobStatus.SUCCEEDED
    assert not BackupJob.objects.filter(pk=second.pk).exists()
    assert not database.database_exists(result["database"] + "_pre_x")
    assert database.current_name() == result["database"]


def test_a_backup_that_does_not_verify_fails_alerts_and_is_not_kept(
    store: LocalStore, celery_worker: str
) -> None:
    city = build_city()
    # A row naming a file that is not on disk: the backup cannot hold it. And a database that
    # lacks a migration of the code: a restore of it would not serve this code.
    make_record("parcels", city, city.inside(), photos=["photos/gone.jpg"])
    applied = MigrationRecorder.Migration.objects.get(app="audit", name="0003_restore_action")
    applied.delete()
    try:
        with pytest.raises(CommandError, match="0003_restore_action"):
            back_up()
    finally:
        applied.save()
    job = BackupJob.objects.latest("id")
    problems = job.report["verification"]["problems"]
    assert any("migrations not applied: audit.0003_restore_action" in p for p in problems), problems
    assert "media file photos/gone.jpg is named by a row but not in the backup" in problems

    assert job.status == JobStatus.FAILED
    assert job.report["failure"]["code"] == "verification_failed"
    assert manifests.names(store) == []
    assert not store.exists(manifests.dump_key(manifests.name_for(job.created_at, job.pk)))
    admin = city.users[Role.ADMIN]
    alert = Message.objects.get(recipient=admin, key=f"backups.failed.{job.pk}")
    # The alert also goes out on the outside channels, through the real worker; it is sent before
    # the test ends (and its rows are flushed under the worker's feet).
    deadline = time.monotonic() + 30
    while alert.deliveries.filter(status=DeliveryStatus.PENDING).exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert set(alert.deliveries.values_list("status", flat=True)) == {DeliveryStatus.SENT}
