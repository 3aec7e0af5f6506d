"""附件资料: versions by kind, the type judged by content, the size limit, replays, and who reads them."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.test import Client

from accounts.roles import Role
from projects.models import Project, ProjectAttachment
from tests.builders import PDF, assert_error, attach, document

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(city):
    return Project.objects.create(
        name="附件项目", division=city.counties[0], owner=city.users[Role.DISTRICT_OFFICER]
    )


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def test_uploads_of_a_kind_are_versions_and_the_same_bytes_add_nothing(api, city, project):
    officer = city.users[Role.DISTRICT_OFFICER]
    first = attach(api, officer, project.pk, "contract")
    assert first.status_code == 201 and first.json()["version"] == 1
    again = attach(api, officer, project.pk, "contract")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"], "a replay adds nothing"
    second = attach(api, officer, project.pk, "contract", document("合同.docx", _docx()))
    assert second.status_code == 201 and second.json()["version"] == 2
    assert second.json()["content_type"] == "docx", "judged by content"
    listed = api.as_user(officer).get(f"/api/projects/{project.pk}/attachments/").json()
    assert [a["version"] for a in listed] == [2, 1], "every version is kept, newest first"
    assert list(project.events.values_list("kind", flat=True)) == ["attach", "attach"]


def test_a_file_that_is_no_document_is_refused_whatever_its_name(api, city, project):
    officer = city.users[Role.DISTRICT_OFFICER]
    fake = document("合同.pdf", b"MZ\x90\x00 an executable, not a PDF")
    error = assert_error(attach(api, officer, project.pk, "contract", fake), 400, "file")
    assert error["code"] == "wrong_type"
    assert_error(attach(api, officer, project.pk, "no_such_kind"), 400, "file")
    assert not ProjectAttachment.objects.exists()


def test_a_file_over_the_limit_is_413(api, city, project, settings):
    settings.PROJECT_ATTACHMENT_MAX_MB = 0.0001  # about 100 bytes
    big = document("扫描件.pdf", PDF + b"0" * 500)
    error = assert_error(attach(api, city.users[Role.DISTRICT_OFFICER], project.pk, "contract", big), 413)
    assert error["code"] == "file_too_large"
    assert not ProjectAttachment.objects.exists()


def test_the_file_is_read_by_whoever_reads_the_project(api, city, project):
    url = attach(api, city.users[Role.DISTRICT_OFFICER], project.pk, "contract").json()["url"]
    browser = Client()  # /media/ is a plain view: a session, as in a browser
    browser.force_login(city.users[Role.DISTRICT_LEADER])
    assert browser.get(url).status_code == 200
    browser.force_login(city.users[Role.INVESTOR])
    assert browser.get(url).status_code == 404
    neighbour = Project.objects.create(
        name="邻县", division=city.counties[1], owner=city.users[Role.CITY_OFFICER]
    )
    assert attach(api, city.users[Role.DISTRICT_OFFICER], neighbour.pk, "contract").status_code == 404
    assert attach(api, city.users[Role.DISTRICT_LEADER], project.pk, "contract").status_code == 403


def test_the_checklist_names_what_the_next_stage_asks_for(api, city, project):
    officer = city.users[Role.DISTRICT_OFFICER]
    checklist = api.as_user(officer).get(f"/api/projects/{project.pk}/").json()["checklist"]
    assert checklist["stage"] == "first_talk"
    assert [(a["kind"], a["done"]) for a in checklist["attachments"]] == [("first_talk_form", False)]
    attach(api, officer, project.pk, "first_talk_form")
    checklist = api.as_user(officer).get(f"/api/projects/{project.pk}/").json()["checklist"]
    assert checklist["attachments"][0]["done"] and checklist["attachments"][0]["version"] == 1
