"""Helpers for export tests: parcels in both counties, submitting through the API and running the job
in this process (on_commit never fires inside a test transaction, so nothing was queued)."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.roles import Role
from tests.builders import make_record

URL = "/api/exports/jobs/"


@pytest.fixture(autouse=True)
def _export_root(request, settings, tmp_path):
    """Files of in-process runs go to the test's own folder (a rolled-back test leaves no rows, but
    files stay). A real worker writes where its own settings say, so its tests keep the default."""
    if request.node.get_closest_marker("worker") is None:
        settings.EXPORT_ROOT = str(tmp_path / "exports")


def run_job(job_id: int) -> Any:
    from exports.models import ExportJob
    from jobs.runner import run

    run("exports.ExportJob", job_id)
    return ExportJob.objects.get(pk=job_id)


@pytest.fixture
def parcels(city):
    """Three unpublished parcels in county 0 (one with a formula-like name), two in county 1, and one
    published parcel in county 1."""
    made = []
    for i in range(3):
        made.append(
            make_record(
                "parcels", city, city.inside(0, dx=0.01 + i * 0.005), is_public=False, name=f"地块{i}"
            )
        )
    made[0].name = '=HYPERLINK("http://evil","点我")'
    made[0].save()
    for i in range(2):
        made.append(make_record("parcels", city, city.inside(1, dx=0.01 + i * 0.005), is_public=False))
    made.append(make_record("parcels", city, city.inside(1, dx=0.03), is_public=True, name="公开地块"))
    return made


@pytest.fixture
def exporter(city, api):
    """submit(role, format, **body) -> response; job(role, format, **body) -> the finished job."""

    class Exporter:
        def client(self, role: str = Role.ADMIN):
            return api.as_user(city.users[role])

        def submit(self, fmt: str, role: str = Role.ADMIN, **body: Any):
            body.setdefault("source", "layer")
            return self.client(role).post(URL, {"format": fmt, **body}, format="json")

        def job(self, fmt: str, role: str = Role.ADMIN, **body: Any):
            response = self.submit(fmt, role, **body)
            assert response.status_code == 202, response.json()
            return run_job(response.json()["id"])

        def detail(self, job_id: int, role: str = Role.ADMIN):
            return self.client(role).get(f"{URL}{job_id}/")

        def download(self, job_id: int, role: str = Role.ADMIN):
            link = self.detail(job_id, role).json()["download"]
            assert link, "no download link"
            return self.client(role).get(link)

    return Exporter()
