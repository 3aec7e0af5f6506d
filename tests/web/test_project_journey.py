"""One project's whole journey through the staff pages, in Debian's Chromium against a live server:
an investor's lead (from the investment map's API) becomes a project in a district officer's hands;
it moves through 首谈 and 在谈 (the county leader approves), is filed (评审备案: the city sends it
back once, the officer resubmits), signs for the parcel the investor looked at (the county leader,
then the city's re-check with the signing date), the parcel turns 已出让 on the public map, and the
project goes on to 达产. Every step is a click on the pages by the role that takes it, logged in
at /login/; each stage's documents are PDFs picked in the checklist's file inputs. Screenshots:
test-artifacts/web/journey-*.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from rest_framework.test import APIClient

from accounts.roles import Role
from layers.models import LandParcel, SupplyStatus
from pipeline.models import Lead, LeadStatus
from projects.models import Project
from tests.builders import PASSWORD, PDF, build_city, make_record

from .conftest import not_blank
from .test_workspace import restore_stage_rules

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def city():
    restore_stage_rules()
    return build_city()


@pytest.fixture
def parcel(city):
    return make_record(
        "parcels",
        city,
        city.inside(0, 0.03, 0.03),
        is_public=True,
        name="新能源产业地块",
        code="YF-2026-01",
        supply_status=SupplyStatus.AVAILABLE,
    )


@pytest.fixture
def lead(parcel):
    """An expression of interest from the investment map, about the parcel (through its API)."""
    response = APIClient().post(
        "/api/pipeline/leads/",
        {
            "investor_name": "王经理",
            "company": "华南储能科技有限公司",
            "phone": "13812345678",
            "industry": "新能源",
            "investment_wan": "60000",
            "carriers": [f"parcels:{parcel.pk}"],
            "consent": True,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    return Lead.objects.get(reference=response.json()["reference"])


def log_in(open_page, base: str, user) -> object:
    """A browser of the user's own, logged in through the login page."""
    p = open_page(1400, 1000)
    page = p.page
    page.goto(f"{base}/login/?next=/staff/")
    page.fill("#id_username", user.get_username())
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.wait_for_selector(".board")
    return p


def current_stage(page) -> str:
    return page.inner_text(".stage-steps li.current")


def upload_documents(page, stage: str) -> None:
    """Picks a PDF for every document the checklist still asks for, one at a time."""
    todo = '#checklist .check-item.todo[data-check^="attachments."]'
    while page.locator(todo).count():
        row = page.locator(todo).first
        kind = row.get_attribute("data-check")
        row.locator("input[type=file]").set_input_files(
            files=[{"name": f"{stage}-{kind}.pdf", "mimeType": "application/pdf", "buffer": PDF}]
        )
        page.wait_for_selector(f'#checklist [data-check="{kind}"].done')


def act(page, name: str, fields: dict[str, str] | None = None) -> None:
    """Takes an action from the action bar and waits for the page to show its outcome."""
    before = page.locator("#timeline .event").count()
    page.click(f'.action-bar [data-action="{name}"]')
    for field, value in (fields or {}).items():
        page.fill(f"#act-{name}-{field}", value)
    page.click(f'[data-confirm="{name}"]')
    page.wait_for_selector(".staff-dialog[open]", state="detached")
    page.wait_for_function(f"() => document.querySelectorAll('#timeline .event').length > {before}")


def open_project(p, base: str, pk: int) -> None:
    p.page.goto(f"{base}/staff/projects/{pk}/")
    p.page.wait_for_selector(".action-bar")


def test_a_project_from_lead_to_full_output(live_server, open_page, city, parcel, lead):
    base = live_server.url
    officer_user, leader_user, city_user = (
        city.users[r] for r in (Role.DISTRICT_OFFICER, Role.DISTRICT_LEADER, Role.CITY_OFFICER)
    )
    officer, leader, reviewer = (log_in(open_page, base, u) for u in (officer_user, leader_user, city_user))
    page = officer.page

    # (1) The district officer converts the lead.
    page.goto(f"{base}/staff/projects/?tab=leads")
    page.click(f'[data-convert="{lead.reference}"]')
    # The dialog opens, then fills itself from the lead: wait for the values, not just the fields.
    expect(page.locator("#create-name")).to_have_value("华南储能科技有限公司")
    expect(page.locator("#create-industry")).to_have_value("新能源")
    officer.shot("journey-1-convert")
    page.click('[data-confirm="create"]')
    page.wait_for_selector("#project-name")
    project = Project.objects.get(lead=lead)
    assert page.url.endswith(f"/staff/projects/{project.pk}/")
    assert current_stage(page) == "线索"
    page.wait_for_selector('.map-box[data-ready="true"]', timeout=20000)
    assert "可供" in page.inner_text(f'.carrier-list [data-carrier="parcels.{parcel.pk}"]')
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONVERTED

    # (2) 首谈 (its form), then 在谈, which the county leader approves.
    upload_documents(page, "first_talk")
    act(page, "submit")
    assert current_stage(page) == "首谈"
    assert page.locator('#checklist [data-check="investment_wan"].done').count() == 1, "from the lead"
    act(page, "submit", {"comment": "已与企业完成首次洽谈"})
    assert "区县领导审核" in page.inner_text("#waiting")
    assert page.locator(".action-bar [data-action]").count() == 0, "nothing for the officer while it waits"

    leader.page.goto(f"{base}/staff/projects/")
    leader.page.click('.chip[data-view="待我审核"] .chip-pick')
    leader.page.click(f'a.project-link[href="/staff/projects/{project.pk}/"]')
    leader.page.wait_for_selector('[data-action="approve"]')
    leader.shot("journey-2-leader-review")
    act(leader.page, "approve", {"comment": "同意进入在谈"})
    assert current_stage(leader.page) == "在谈"

    # (3) Filed: the county leader, then the city, which sends it back once.
    open_project(officer, base, project.pk)
    upload_documents(page, "review")
    act(page, "submit")
    open_project(leader, base, project.pk)
    act(leader.page, "approve")
    open_project(reviewer, base, project.pk)
    assert "市级审核" in reviewer.page.inner_text("#waiting")
    act(reviewer.page, "send_back", {"reason": "请补充项目用地和能耗测算"})
    open_project(officer, base, project.pk)
    assert "请补充项目用地和能耗测算" in page.inner_text("#returned")
    officer.shot("journey-3-returned")
    act(page, "submit", {"comment": "已补充用地和能耗测算"})
    open_project(leader, base, project.pk)
    act(leader.page, "approve")
    open_project(reviewer, base, project.pk)
    act(reviewer.page, "approve", {"comment": "同意备案"})
    assert current_stage(reviewer.page) == "评审备案"

    # (4) Signing for the parcel: held (预留) while in review.
    open_project(officer, base, project.pk)
    upload_documents(page, "signed")
    act(page, "submit")
    open_project(officer, base, project.pk)
    page.wait_for_selector('.map-box[data-ready="true"]', timeout=20000)
    assert "预留" in page.inner_text(f'.carrier-list [data-carrier="parcels.{parcel.pk}"]')
    open_project(leader, base, project.pk)
    act(leader.page, "approve")

    # (5) The city's re-check, which sets the signing date.
    open_project(reviewer, base, project.pk)
    reviewer.page.click('[data-action="approve"]')
    reviewer.page.fill("#act-approve-signing_date", "2026-11-18")
    reviewer.shot("journey-5-recheck")
    reviewer.page.click('[data-confirm="approve"]')
    reviewer.page.wait_for_selector(".staff-dialog[open]", state="detached")
    reviewer.page.wait_for_function(
        "() => document.querySelector('.stage-steps li.current').textContent === '签约'"
    )
    project.refresh_from_db()
    assert (project.stage, str(project.signing_date)) == ("signed", "2026-11-18")

    # (6) The parcel is sold (已出让), on the project page and on the public map.
    assert LandParcel.objects.get(pk=parcel.pk).supply_status == SupplyStatus.SOLD
    public = open_page(1280, 800)
    public.page.goto(f"{base}/?sel=parcels:{parcel.pk}")
    public.page.wait_for_selector("#drawer:not([hidden]) .attrs")
    assert "已出让" in public.page.inner_text("#drawer .attrs")
    public.shot("journey-6-public-map-sold")
    open_project(officer, base, project.pk)
    page.wait_for_selector('.map-box[data-ready="true"]', timeout=20000)
    assert "已出让" in page.inner_text(f'.carrier-list [data-carrier="parcels.{parcel.pk}"]')

    # (7) 开工, 在建, 竣工, 投产 and 达产, each with what its stage asks for.
    for stage in ("开工", "在建", "竣工", "投产", "达产"):
        upload_documents(page, stage)
        act(page, "submit")
        assert current_stage(page) == stage
    assert "最后阶段" in page.inner_text("#checklist")
    assert "submit" not in page.locator(".action-bar").inner_html()
    assert not_blank(officer.shot("journey-7-target-output"))
    project.refresh_from_db()
    assert project.stage == "target_output" and project.attachments.count() == 7
    kinds = list(project.events.values_list("kind", flat=True))
    assert kinds.count("return") == 1 and kinds.count("approve") == 6
    page.goto(f"{base}/staff/")
    page.wait_for_selector(f'.board-column[data-stage="target_output"] [data-project="{project.pk}"]')
    officer.shot("journey-7-board")
    for p in (officer, leader, reviewer, public):
        assert p.errors == []
