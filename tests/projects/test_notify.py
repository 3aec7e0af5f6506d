"""What the pipeline puts in people's inboxes: reviews to take, results, hand-overs and cards."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from accounts.roles import Role
from inbox.models import Message, MessageKind
from projects.models import Project, StageRule
from projects.notify import deliver_warnings
from projects.warnings import sweep
from tests.builders import attach_required

pytestmark = pytest.mark.django_db


def act(api, user, pk, name, **body):
    return api.as_user(user).post(f"/api/projects/{pk}/actions/{name}/", body, format="json")


def _inbox(user):
    return list(Message.objects.filter(recipient=user).values_list("kind", "title"))


def test_reviewers_hear_of_a_step_and_the_submitter_of_its_result(api, city):
    officer, leader = city.users[Role.DISTRICT_OFFICER], city.users[Role.DISTRICT_LEADER]
    project = Project.objects.create(
        name="通知项目",
        division=city.counties[0],
        owner=officer,
        stage="first_talk",
        industry="x",
        investment_wan=1,
    )
    act(api, officer, project.pk, "submit")
    assert _inbox(leader) == [(MessageKind.REVIEW, "待审核：通知项目（在谈）")]
    assert not _inbox(city.users[Role.CITY_OFFICER]), "the county's step is the county leader's"
    act(api, officer, project.pk, "submit")  # replayed while pending: a 409, no second notice
    assert len(_inbox(leader)) == 1
    act(api, leader, project.pk, "send_back", reason="补充投资方背景")
    returned = Message.objects.get(recipient=officer)
    assert (returned.kind, returned.body) == (MessageKind.RETURNED, "补充投资方背景")
    assert returned.link == f"/staff/projects/{project.pk}/"
    attach_required(api, officer, project.pk)
    act(api, officer, project.pk, "submit")
    act(api, leader, project.pk, "approve", comment="同意")
    assert (MessageKind.RESULT, "审核通过：通知项目") in _inbox(officer)


def test_a_transfer_goes_to_the_receiving_countys_officers_and_the_new_owner(api, city):
    officer, city_officer = city.users[Role.DISTRICT_OFFICER], city.users[Role.CITY_OFFICER]
    project = Project.objects.create(name="流转项目", division=city.counties[1], owner=city_officer)
    act(api, city_officer, project.pk, "transfer", to=city.counties[0].pk, comment="用地不足")
    assert api.as_user(officer).get(f"/api/projects/{project.pk}/").status_code == 404, "not theirs yet"
    act(api, city_officer, project.pk, "approve")
    assert api.as_user(officer).get(f"/api/projects/{project.pk}/").status_code == 200, "asked to take it on"
    assert (MessageKind.REVIEW, "待审核：流转项目（流转或补充签约）") in _inbox(officer)
    act(api, officer, project.pk, "approve")
    assert (MessageKind.ASSIGNMENT, "项目交由您负责：流转项目") in _inbox(officer)


def test_cards_reach_the_owner_the_county_leader_and_the_city_once(city):
    StageRule.objects.update_or_create(
        stage="first_talk", defaults={"time_limit_days": 5, "remind_days": 2, "red_grace_days": 3}
    )
    officer, leader = city.users[Role.DISTRICT_OFFICER], city.users[Role.DISTRICT_LEADER]
    Project.objects.create(
        name="预警项目",
        division=city.counties[0],
        owner=officer,
        stage="first_talk",
        stage_entered_at=datetime(2026, 11, 2, 9, tzinfo=ZoneInfo("Asia/Shanghai")),
    )
    sweep(date(2026, 11, 5))
    sweep(date(2026, 11, 10))
    sweep(date(2026, 11, 20))
    assert deliver_warnings() == 3 and deliver_warnings() == 0
    assert [k for k, _t in _inbox(officer)] == [MessageKind.REMINDER]
    assert _inbox(leader) == [(MessageKind.WARNING, "黄牌：预警项目（首谈）")]
    assert _inbox(city.users[Role.CITY_OFFICER]) == [(MessageKind.WARNING, "红牌：预警项目（首谈）")]
    assert _inbox(city.users[Role.CITY_LEADER]) == [(MessageKind.WARNING, "红牌：预警项目（首谈）")]
