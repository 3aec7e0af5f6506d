"""Backups to S3-compatible object storage, against moto's S3 server over HTTP."""

from __future__ import annotations

import io
import socket
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from backups import manifest as manifests
from backups.models import BackupJob
from backups.store import S3Store, default_store
from jobs.models import JobStatus
from tests.builders import build_city, make_record

BUCKET = "city-backups"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    for name, value in {
        "AWS_ACCESS_KEY_ID": "k",
        "AWS_SECRET_ACCESS_KEY": "s",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=BUCKET)
    with override_settings(
        BACKUP_S3_BUCKET=BUCKET, BACKUP_S3_PREFIX="demo-city", BACKUP_S3_ENDPOINT_URL=endpoint
    ):
        yield endpoint
    server.stop()


@pytest.mark.django_db(transaction=True)
def test_a_backup_goes_to_the_bucket_and_verifies_from_there(s3: str) -> None:
    city = build_city()
    photo = Path(settings.MEDIA_ROOT) / "photos/s3/gate.jpg"
    photo.parent.mkdir(parents=True, exist_ok=True)
    photo.write_bytes(b"gate")
    make_record("parcels", city, city.inside(), photos=["photos/s3/gate.jpg"])

    call_command("backup", stdout=io.StringIO())
    job = BackupJob.objects.latest("id")

    assert job.status == JobStatus.SUCCEEDED, job.error
    store = default_store()
    assert isinstance(store, S3Store)
    assert manifests.names(store) == [job.name]
    keys = {o["Key"] for o in boto3.client("s3", endpoint_url=s3).list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert f"demo-city/dumps/{job.name}.dump" in keys
    contents = {entry["sha256"] for entry in manifests.load(store, job.name)["media"].values()}
    assert sum(k.startswith("demo-city/media/") for k in keys) == len(contents) == job.media_files == 1
    out = io.StringIO()
    call_command("verify_backup", "latest", stdout=out)
    assert f"backup {job.name}: verified" in out.getvalue()
