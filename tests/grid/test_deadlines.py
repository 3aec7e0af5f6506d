"""Deadlines in working days: a reminder to the holder, an overdue warning to the control centre of
the level above, escalation level by level, each once; tested with a fixed date, never by sleeping."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from accounts.roles import Role
from grid.deadlines import division_at, sweep
from grid.models import DeadlineCard, Department, EventCategory, EventWarning, GridEvent
from inbox.models import Message
from tests.builders import assert_error

pytestmark = pytest.mark.django_db
MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def event(city):
    category = EventCategory.objects.create(
        key="road",
        name_zh="道路破损",
        name_en="Road",
        deadlines={"accept": 2},
        urgent_deadlines={"accept": 1},
        escalate_after_days=2,
    )
    made = GridEvent(
        category=category,
        title="路面塌陷",
        geom=city.inside(0),
        reporter=city.users[Role.GRID_WORKER],
        state_entered_at=MONDAY,
    )
    made.locate()
    made.save()
    return made


@pytest.fixture
def centres(city, event):
    """A control centre at the town and at the county above the event, each with one member."""
    made = {}
    for level, user in (("town", Role.DISTRICT_LEADER), ("county", Role.CITY_LEADER)):
        from layers.models import Division

        division = Division.objects.get(code=division_at(event.division_code, level))
        centre = Department.objects.create(name=f"{level}控制中心", division=division, is_control_centre=True)
        centre.members.add(city.users[user])
        made[level] = city.users[user]
    return made


def _titles(user):
    return sorted(Message.objects.filter(recipient=user).values_list("title", flat=True))


def test_reminder_overdue_and_escalation_each_once(city, event, centres):
    officer = city.users[Role.DISTRICT_OFFICER]
    assert sweep(date(2026, 11, 3))["due_soon"] == 1  # due Wednesday 4th: a working day ahead
    assert _titles(officer) == ["即将到期：路面塌陷"], "the staff who accept it"
    assert _titles(city.users[Role.GRID_STAFF]) == ["即将到期：路面塌陷"], "the town's grid staff too"
    event.refresh_from_db()
    assert (event.card, event.due_on) == (DeadlineCard.DUE_SOON, date(2026, 11, 4))
    assert sweep(date(2026, 11, 5))["overdue"] == 1
    assert _titles(centres["town"]) == ["已逾期：路面塌陷"], "the control centre one level up"
    # Two working days late: up to the town, whose own level above (the county) hears it is late.
    assert sweep(date(2026, 11, 6)) == {"due_soon": 0, "overdue": 1, "escalated": 1}
    event.refresh_from_db()
    assert event.escalation == 1 and event.card == DeadlineCard.OVERDUE
    assert "逾期升级：路面塌陷" in _titles(centres["town"]) and "已逾期：路面塌陷" in _titles(
        centres["county"]
    )
    assert sweep(date(2026, 11, 6)) == {"due_soon": 0, "overdue": 0, "escalated": 0}, (
        "a second run raises nothing"
    )
    assert EventWarning.objects.filter(event=event).count() == 4
    (auto,) = event.actions.filter(step="escalate")
    assert auto.user is None and "自动升级" in auto.comment, "the timeline shows the automatic escalation"
    sweep(date(2026, 11, 10))  # four working days late: the county
    event.refresh_from_db()
    assert event.escalation == 2 and "逾期升级：路面塌陷" in _titles(centres["county"])


def test_the_urgent_channel_has_its_shorter_limit(event):
    event.urgent = True
    event.save()
    sweep(date(2026, 11, 3))
    event.refresh_from_db()
    assert (event.card, event.due_on) == (DeadlineCard.DUE_SOON, date(2026, 11, 3))


def test_a_step_taken_clears_the_card_until_the_next_sweep_sets_the_new_one(api, city, event):
    sweep(date(2026, 11, 5))
    api.as_user(city.users[Role.DISTRICT_OFFICER]).post(
        f"/api/events/{event.pk}/actions/accept/", {}, format="json"
    )
    event.refresh_from_db()
    assert event.card == DeadlineCard.NONE and event.due_on is None, "the old stay's card is gone"
    sweep(date(2026, 11, 5))
    event.refresh_from_db()
    assert event.card == DeadlineCard.NONE and event.due_on is None, "accepted: no dispatch limit set"


def test_staff_escalate_by_hand_with_a_reason(api, city, event, centres):
    client = api.as_user(city.users[Role.DISTRICT_OFFICER])
    assert_error(client.post(f"/api/events/{event.pk}/actions/escalate/", {}, format="json"), 400, "comment")
    done = client.post(f"/api/events/{event.pk}/actions/escalate/", {"comment": "涉及多部门"}, format="json")
    assert done.status_code == 200 and GridEvent.objects.get(pk=event.pk).escalation == 1
    assert "升级办理：路面塌陷" in _titles(centres["town"])


def test_the_same_warning_about_several_events_is_one_message_for_them_all(city, event, centres):
    """A control centre whose villages have several events late reads one line, linked to the list."""
    for n in range(2):
        GridEvent.objects.create(
            category=event.category,
            title=f"井盖缺失{n}",
            geom=event.geom,
            division_code=event.division_code,
            reporter=event.reporter,
            state_entered_at=MONDAY,
        )
    assert sweep(date(2026, 11, 5))["overdue"] == 3
    (message,) = Message.objects.filter(recipient=centres["town"])
    assert message.title == "已逾期：路面塌陷 等 3 件事件" and message.link.endswith("?card=overdue")
    assert sweep(date(2026, 11, 5))["overdue"] == 0
    assert Message.objects.filter(recipient=centres["town"]).count() == 1, "a second run tells nobody again"
