"""Backups at the demo city's scale (issue 19): backup time, RTO of a logical restore and of a
point-in-time recovery, against the bare client programs, and a worker killed mid-backup.

Against what `make run` started (run it with DEMO_SCALE=1 for the reference figures, and PITR=1
for the PITR step). In order:

1. **backup:** `manage.py backup`'s job (snapshot, dump, media, verification), twice: the second
   copies no media file again. The floor is a bare `pg_dump -Fc` of the same database.
2. **worker killed mid-backup:** a worker of its own queue takes a backup job and is killed with
   SIGKILL in the middle; the recovery sweep (beat) gives the job to `make run`'s worker. The job
   must end succeeded, once: one manifest under its name, no scratch database left.
3. **logical restore (RTO):** `backups.restore` of the latest backup over the live database
   (fetch, pg_restore into a new database, checks, media, swap), against a bare
   `pg_restore --jobs=2` of the same dump into an empty database.
4. **PITR (RTO):** with ``--pitr``, `scripts/pitr.sh restore` to a moment just before a marker row
   was written: the marker is gone afterwards, and the time is the RTO.

Prints JSON. Disruptive: the restore replaces the database (with itself, as of the backup).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from common import ROOT, setup_django

VENV = ROOT / ".venv" / "bin"
QUEUE = "bench-backup"


def seconds(fn) -> tuple[float, object]:
    started = time.monotonic()
    result = fn()
    return round(time.monotonic() - started, 2), result


def backup_job():
    from backups.models import BackupJob
    from jobs.runner import run

    job = BackupJob.objects.create()
    run(job._meta.label, job.pk, hint="bench")
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    return job


def bare_dump(target: Path) -> None:
    from backups import conf, database

    subprocess.run(
        [conf.program("pg_dump"), "--format=custom", f"--file={target}"], env=database.libpq_env(), check=True
    )


def bare_restore(dump: Path) -> None:
    from backups import database

    scratch = database.current_name() + "_bench_floor"
    database.drop_database(scratch)
    database.create_database(scratch)
    try:
        database.restore_dump(dump, scratch)
    finally:
        database.drop_database(scratch)


def worker_killed_mid_backup() -> dict:
    from backups import database
    from backups import manifest as manifests
    from backups.models import BackupJob
    from backups.store import default_store
    from backups.verify import scratch_name
    from jobs.runner import enqueue

    env = {**os.environ, "CELERY_QUEUE": QUEUE, "PYTHONPATH": str(ROOT)}
    env.setdefault("DJANGO_SETTINGS_MODULE", "geoportal.settings.prod")
    worker = subprocess.Popen(
        [str(VENV / "celery"), "-A", "geoportal", "worker", "--concurrency", "1", "--queues", QUEUE]
        + ["--hostname", "bench-backup@%h", "--without-gossip", "--without-mingle"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    job = BackupJob.objects.create()
    enqueue(job)  # onto QUEUE (this process's CELERY_QUEUE): only that worker takes it
    deadline = time.monotonic() + 120
    stage = ""
    while time.monotonic() < deadline:
        row = BackupJob.objects.filter(pk=job.pk).values("status", "stage").first()
        if row["status"] == "running" and row["stage"] in ("dump", "upload", "media", "verify"):
            stage = row["stage"]
            break
        time.sleep(0.05)
    killed_at = time.monotonic()
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()
    while time.monotonic() < killed_at + 900:
        job.refresh_from_db()
        if job.finished:
            break
        time.sleep(1)
    store = default_store()
    name = manifests.name_for(job.created_at, job.pk)
    leftover = database.database_exists(scratch_name(database.current_name(), f"verify_{job.pk}"))
    return {
        "killed_during": stage,
        "status": job.status,
        "attempts": job.attempts,
        "finished_after_kill_s": round(time.monotonic() - killed_at, 1),
        "manifests_for_the_job": sum(n == name for n in manifests.names(store)),
        "scratch_database_left": leftover,
    }


def pitr(marker_table: str) -> dict:
    from backups import database

    with database.connect(autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {marker_table}")
        conn.execute(f"CREATE TABLE {marker_table} (at timestamptz)")
        time.sleep(1.5)
        before = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f+00")
        time.sleep(1.5)
        conn.execute(f"INSERT INTO {marker_table} VALUES (now())")
        conn.execute("SELECT pg_switch_wal()")
    time.sleep(3)  # the segment is archived
    took, rc = seconds(
        lambda: (
            subprocess.run(
                ["bash", str(ROOT / "scripts" / "pitr.sh"), "restore", before], cwd=ROOT
            ).returncode
        )
    )
    with database.connect(autocommit=True) as conn:
        rows = conn.execute(f"SELECT count(*) FROM {marker_table}").fetchone()[0]
        conn.execute(f"DROP TABLE {marker_table}")
    return {"rto_s": took, "rc": rc, "marker_rows_after": rows, "restored_to": before}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pitr", action="store_true", help="also time a point-in-time recovery")
    args = parser.parse_args()
    # Jobs this process queues go to the drill's own worker; the sweep re-queues on the usual queue.
    os.environ["CELERY_QUEUE"] = QUEUE
    setup_django()
    report: dict[str, object] = {}
    try:
        run_all(report, pitr_too=args.pitr)
    finally:
        print(json.dumps(report, indent=2, default=str))


def run_all(report: dict, *, pitr_too: bool) -> None:
    from backups import manifest as manifests
    from backups.restore import restore
    from backups.store import default_store

    took, first = seconds(backup_job)
    took_again, second = seconds(backup_job)
    report["backup"] = {
        "tables": first.tables,
        "rows": first.rows,
        "dump_mb": round(first.dump_bytes / 2**20, 1),
        "media_files": first.media_files,
        "media_mb": round(first.media_bytes / 2**20, 1),
        "seconds": took,
        "steps_s": first.report.get("seconds"),
        # The dump step alone against the bare pg_dump (the rest is verification).
        "dump_step_ratio_to_floor": None,
        "second_backup_s": took_again,
        "second_backup_media_copied": second.media_copied,
    }
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / "floor.dump"
        report["backup"]["floor_pg_dump_s"], _ = seconds(lambda: bare_dump(dump))
        floor = max(report["backup"]["floor_pg_dump_s"], 0.01)
        report["backup"]["ratio_to_floor"] = round(took / floor, 2)
        report["backup"]["dump_step_ratio_to_floor"] = round(first.report["seconds"]["dump"] / floor, 2)
        floor_restore, _ = seconds(lambda: bare_restore(dump))
    report["worker_killed_mid_backup"] = worker_killed_mid_backup()
    store = default_store()
    took, result = seconds(lambda: restore("latest", store=store, keep_previous=False))
    report["logical_restore"] = {
        "backup": result["name"],
        "rto_s": took,
        "steps_s": result["seconds"],
        "floor_pg_restore_s": floor_restore,
        "ratio_to_floor": round(took / max(floor_restore, 0.01), 2),
        "backups_in_store": len(manifests.names(store)),
    }
    if pitr_too:
        report["pitr"] = pitr("bench_pitr_marker")


if __name__ == "__main__":
    sys.exit(main())
