"""A real streaming replica of the test cluster (pg_basebackup) serves the GeoJSON pages; when it
stops, the same reads fall back to the primary.

Served by the replica is shown, not assumed: with the replica's WAL replay paused, a parcel saved
on the primary is missing from the list (read on the replica) but found by its detail view (the
ORM, on the primary); once replay resumes, the list has it too.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.db import connections

from geoportal import replicas
from layers.models import LandParcel
from tests.builders import X0, Y0

# The replica alias is allowed in the test; as a mirror of default it is not flushed afterwards
# (a read-only replica could not be).
pytestmark = pytest.mark.django_db(transaction=True, databases=["default", replicas.REPLICA])

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_CTL = str(PG_BIN / "pg_ctl")
REPLICA_PORT = 55301


def _as_postgres(*args: str, **env: str) -> None:
    done = subprocess.run(
        ["runuser", "-u", "postgres", "--", "env", *(f"{k}={v}" for k, v in env.items()), *args],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def replica(django_db_setup) -> Iterator[dict]:
    """A streaming replica of the test database's cluster on its own port, as the ``replica``
    alias; stopped and removed afterwards. Module-scoped, so the alias exists before the test's
    database access is set up (which checks the aliases a test names)."""
    if shutil.which("runuser") is None or not (PG_BIN / "pg_basebackup").exists():
        pytest.skip("needs runuser and PostgreSQL 15's pg_basebackup")
    primary = connections["default"].settings_dict
    data = Path(tempfile.mkdtemp(prefix="geoportal-replica-"))
    shutil.chown(data, "postgres", "postgres")
    data.chmod(0o700)
    _as_postgres(
        str(PG_BIN / "pg_basebackup"),
        *("-h", primary["HOST"], "-p", str(primary["PORT"]), "-U", primary["USER"]),
        *("-D", str(data), "-R", "-X", "stream", "-c", "fast"),
        PGPASSWORD=primary["PASSWORD"],
    )
    options = f"-p {REPLICA_PORT} -k {data} -c listen_addresses=127.0.0.1 -c shared_buffers=128MB"
    alias = {
        **primary,
        "PORT": str(REPLICA_PORT),
        "OPTIONS": {"connect_timeout": 2},
        "TEST": {**primary["TEST"], "MIRROR": "default"},
    }
    try:
        _as_postgres(PG_CTL, "-D", str(data), "-o", options, "-l", str(data / "log"), "-w", "start")
        settings.DATABASES[replicas.REPLICA] = alias
        connections.settings[replicas.REPLICA] = connections.configure_settings(
            {"default": primary, replicas.REPLICA: alias}
        )[replicas.REPLICA]
        replicas._down_until = 0.0
        yield {"data": data}
    finally:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", PG_CTL, "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
        )
        with contextlib.suppress(Exception):
            connections[replicas.REPLICA].close()
        with contextlib.suppress(AttributeError, KeyError):
            del connections[replicas.REPLICA]
        connections.settings.pop(replicas.REPLICA, None)
        settings.DATABASES.pop(replicas.REPLICA, None)
        replicas._down_until = 0.0
        shutil.rmtree(data, ignore_errors=True)


def _on_replica(sql: str) -> list[tuple]:
    with connections[replicas.REPLICA].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall() if cursor.description else []


def _caught_up() -> None:
    """Wait until the replica has replayed everything the primary has written so far."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        target = cursor.fetchone()[0]
    for _ in range(200):
        if _on_replica(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn")[0][0]:
            return
        time.sleep(0.05)
    raise AssertionError("the replica did not catch up within 10 s")


def _parcel(code: str, i: int) -> LandParcel:
    x = X0 + i * 0.002
    geom = MultiPolygon(Polygon.from_bbox((x, Y0, x + 0.001, Y0 + 0.001)), srid=4326)
    return LandParcel.objects.create(code=code, land_use="industrial", is_public=True, geom=geom)


def _listed(api) -> set[str]:
    response = api.get("/api/parcels/", {"page_size": 100}, HTTP_ACCEPT="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    return {
        f["properties"]["code"] for f in body.get("features", body.get("results", {}).get("features", []))
    }


def test_reads_are_served_by_the_replica_and_fall_back_when_it_stops(replica, city, api):
    first = _parcel("R-1", 0)
    _caught_up()
    assert replicas.read_alias() == replicas.REPLICA
    assert _listed(api) == {"R-1"}

    # Replay paused: what the primary saves now exists only there.
    _on_replica("SELECT pg_wal_replay_pause()")
    second = _parcel("R-2", 1)
    assert _listed(api) == {"R-1"}  # the list was read on the replica
    detail = api.get(f"/api/parcels/{second.pk}/", HTTP_ACCEPT="application/json")
    assert detail.status_code == 200  # the ORM (and so read-your-writes) stays on the primary
    _on_replica("SELECT pg_wal_replay_resume()")
    _caught_up()
    assert _listed(api) == {"R-1", "R-2"}

    # The replica stops: the same reads go to the primary, quickly and without an error.
    subprocess.run(
        [
            "runuser",
            "-u",
            "postgres",
            "--",
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(replica["data"]),
            "-m",
            "fast",
            "stop",
        ],
        check=True,
        capture_output=True,
    )
    third = _parcel("R-3", 2)
    started = time.monotonic()
    assert _listed(api) == {"R-1", "R-2", "R-3"}
    assert time.monotonic() - started < 5
    assert replicas.read_alias() == "default"
    assert {first.pk, second.pk, third.pk} <= set(LandParcel.objects.values_list("pk", flat=True))
