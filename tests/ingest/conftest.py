"""Helpers for ingest tests: upload through the API and run the job in this process."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.roles import Role

URL = "/api/ingest/jobs/"


def upload(
    client,
    data: bytes,
    name: str,
    kind: str | None = None,
    layer: str | None = None,
    options: dict | None = None,
    preview: bool = False,
    language: str = "en",
):
    form: dict[str, Any] = {"file": SimpleUploadedFile(name, data)}
    if kind:
        form["kind"] = kind
    if layer:
        form["layer"] = layer
    if options is not None:
        form["options"] = json.dumps(options)
    if preview:
        form["preview"] = "true"
    return client.post(URL, form, format="multipart", HTTP_ACCEPT_LANGUAGE=language)


def run_job(job_id: int):
    """Run the job here (on_commit never fires inside a test transaction, so nothing was queued)."""
    from ingest.models import IngestJob
    from jobs.runner import run

    run("ingest.IngestJob", job_id)
    return IngestJob.objects.get(pk=job_id)


@pytest.fixture
def ingest(city, api):
    """submit(user_role, data, name, ...) -> response; run(response) -> finished job."""

    class Ingest:
        def __init__(self) -> None:
            self.city = city
            self.api = api

        def client(self, role: str = Role.ADMIN):
            return api.as_user(city.users[role])

        def submit(self, data: bytes, name: str, role: str = Role.ADMIN, **kwargs: Any):
            return upload(self.client(role), data, name, **kwargs)

        def run(self, response):
            assert response.status_code in (200, 202), response.json()
            return run_job(response.json()["id"])

        def job(self, data: bytes, name: str, role: str = Role.ADMIN, **kwargs: Any):
            return self.run(self.submit(data, name, role, **kwargs))

    return Ingest()


@pytest.fixture
def categories(db):
    from layers.models import FieldPointCategory

    for key, zh, en in (("hazard", "安全隐患", "Hazard"), ("other", "其他", "Other")):
        FieldPointCategory.objects.get_or_create(key=key, defaults={"name_zh": zh, "name_en": en})
