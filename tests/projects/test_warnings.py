"""黄牌 / 红牌: reminders, yellow and red cards in working days, raised once, cleared on advancing."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from accounts.roles import Role
from projects.models import Card, Project, StageRule, StageWarning
from projects.warnings import sweep

pytestmark = pytest.mark.django_db
MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # an ordinary week


@pytest.fixture
def project(city):
    StageRule.objects.update_or_create(
        stage="first_talk", defaults={"time_limit_days": 5, "remind_days": 2, "red_grace_days": 3}
    )
    return Project.objects.create(
        name="预警项目",
        division=city.counties[0],
        owner=city.users[Role.DISTRICT_OFFICER],
        stage="first_talk",
        stage_entered_at=MONDAY,
    )


def _card(project):
    project.refresh_from_db()
    return project.card


@pytest.mark.parametrize(
    ("today", "card"),
    [
        (date(2026, 11, 4), Card.NONE),
        (date(2026, 11, 5), Card.DUE_SOON),  # two working days before Monday 9th
        (date(2026, 11, 9), Card.DUE_SOON),  # due today
        (date(2026, 11, 12), Card.YELLOW),  # three working days late: the grace
        (date(2026, 11, 13), Card.RED),  # four: past it
    ],
)
def test_cards_follow_the_working_days(project, today, card):
    sweep(today)
    assert _card(project) == card
    assert project.due_on == date(2026, 11, 9)


def test_a_sweep_run_twice_raises_each_warning_once(project):
    assert sweep(date(2026, 11, 5)) == {Card.DUE_SOON: 1, Card.YELLOW: 0, Card.RED: 0}
    assert sweep(date(2026, 11, 5)) == {Card.DUE_SOON: 0, Card.YELLOW: 0, Card.RED: 0}
    sweep(date(2026, 11, 10))
    sweep(date(2026, 11, 20))
    sweep(date(2026, 11, 20))
    assert sorted(StageWarning.objects.values_list("kind", "notify")) == [
        ("due_soon", "owner"),
        ("red", "city"),
        ("yellow", "county"),
    ]


def test_advancing_the_stage_clears_the_card(project):
    sweep(date(2026, 11, 20))
    assert _card(project) == Card.RED
    project.stage, project.stage_entered_at = (
        "negotiating",
        datetime(2026, 11, 20, 9, tzinfo=ZoneInfo("Asia/Shanghai")),
    )
    project.save()
    sweep(date(2026, 11, 20))
    assert _card(project) == Card.NONE


def test_ended_projects_carry_no_card(project):
    from django.utils import timezone

    project.ended_at, project.end_reason = timezone.now(), "撤资"
    project.save()
    sweep(date(2026, 11, 20))
    assert _card(project) == Card.NONE and not StageWarning.objects.exists()


@pytest.mark.parametrize(
    ("today", "progress", "card", "predicted"),
    [
        # 20 working days into a 40-day window: half the time, a tenth of the build.
        (date(2026, 11, 30), 10, Card.RED, True),
        (date(2026, 11, 30), 60, Card.NONE, False),  # on pace
        (date(2026, 11, 6), 1, Card.NONE, False),  # a week in: too early to say
        (date(2026, 11, 30), None, Card.NONE, False),  # no progress reported: nothing to project
    ],
)
def test_a_build_behind_its_pace_is_flagged_red_before_it_is_late(project, today, progress, card, predicted):
    """插旗预警 (seed 003 L120): progress so far, extended at its pace, misses the window."""
    StageRule.objects.update_or_create(
        stage="construction", defaults={"time_limit_days": 40, "remind_days": 2, "red_grace_days": 5}
    )
    project.stage, project.progress_percent = "construction", progress
    project.save()
    sweep(today)
    assert _card(project) == card
    warning = StageWarning.objects.filter(project=project).first()
    assert (warning is not None and warning.predicted) == predicted
    if predicted:
        assert warning.notify == "city" and warning.due_on == date(2026, 12, 28)


def test_a_stage_rule_names_only_real_fields_and_attachment_kinds():
    from django.core.exceptions import ValidationError

    rule = StageRule(
        stage="signed", required_fields=["investment_wan", "colour"], required_attachments=["memo"]
    )
    with pytest.raises(ValidationError) as caught:
        rule.full_clean(validate_unique=False)
    assert set(caught.value.message_dict) == {"required_fields", "required_attachments"}
