"""The staff pages' shell: logging in (with the lockout's message), the audit page's gate."""

from __future__ import annotations

import pytest

from accounts.roles import Role
from tests.builders import PASSWORD


def test_the_audit_page_sends_anonymous_visitors_to_log_in(client, city):
    response = client.get("/audit/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/audit/"


def test_the_audit_page_is_for_auditors(client, city):
    client.force_login(city.users[Role.CITY_OFFICER])
    response = client.get("/audit/")
    assert response.status_code == 403
    assert "审计员" in response.content.decode()


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.ADMIN])
def test_the_audit_page_hands_its_bundle_the_labels(client, city, role):
    client.force_login(city.users[role])
    response = client.get("/audit/")
    assert response.status_code == 200
    config = response.context["config"]
    assert config["title"] == "审计日志"
    assert {"value": "login_failed", "label": "登录失败"} in config["choices"]["action"]
    assert [f["name"] for f in config["filters"]][:2] == ["user", "action"]
    assert 'name="geoportal-watermark"' in response.content.decode()


def test_logging_in_and_out(client, city):
    response = client.post("/login/?next=/audit/", {"username": "u-auditor", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/audit/"
    assert client.get("/audit/").status_code == 200
    assert client.post("/logout/").status_code == 302
    assert client.get("/audit/").status_code == 302


def test_a_locked_out_login_says_when_it_lifts(client, city, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    for _ in range(2):
        client.post("/login/", {"username": "u-auditor", "password": "wrong"})
    response = client.post("/login/", {"username": "u-auditor", "password": PASSWORD})
    assert response.status_code == 200
    errors = " ".join(response.context["form"].non_field_errors())
    assert "锁定" in errors or "locked" in errors.lower(), errors


def test_the_workspace_is_for_project_staff(client, city):
    client.force_login(city.users[Role.INVESTOR])
    assert client.get("/staff/").status_code == 403
    client.force_login(city.users[Role.DISTRICT_LEADER])
    assert client.get("/staff/").status_code == 200
