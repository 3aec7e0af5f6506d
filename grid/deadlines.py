"""Deadlines and escalation of open grid events, in working days (004 L230: 逾期前提醒处理人，逾期后提醒
控制中心; 001 L209: the levels 村 → 镇 → 县 → 市).

Each open state has the time limit of its step in the event's category (``EventCategory.limit``,
the urgent channel's when the event is urgent), counted from the day it entered the state:

- due tomorrow or today: *due soon*, a reminder to whoever holds it (the handler and the
  department for a dispatched event, the staff of its division before that);
- past due: *overdue*, a warning to the control centre (控制中心) of the level above the one
  handling it;
- overdue by the category's ``escalate_after_days``, and again after each further such span: the
  event climbs one level (village → town → county → city), and that level's control centre is told.

``sweep`` (beat: ``grid.sweep_deadlines``) sets each event's ``card`` and ``due_on`` and records each
warning once per state entry and level (``EventWarning``), so running it twice warns and escalates
nobody twice. A step taken gives the event a new state entry; its card clears at the next sweep.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Role
from inbox.models import MessageKind
from inbox.send import notify
from layers.models import EventStatus
from policy.predicates import in_charge
from workdays.calendar import WorkdayIndex

from .models import LEVELS, DeadlineCard, Department, EventWarning, GridEvent
from .workflow import holders

S = EventStatus
# The step whose limit runs in each open state.
STEP_OF: dict[str, str] = {
    S.REPORTED: "accept",
    S.ACCEPTED: "dispatch",
    S.DISPATCHED: "handle",
    S.HANDLING: "handle",
    S.REPLIED: "verify",
}
REMIND_DAYS = 1  # a working day ahead
PREFIX = {"village": 12, "town": 9, "county": 6, "city": 4}


def division_at(code: str, level: str) -> str:
    """The 12-digit code of the division at ``level`` that holds the village ``code``."""
    return code[: PREFIX[level]].ljust(12, "0")


def control_centres(event: GridEvent, level: str) -> list[Any]:
    """The members of the control centres of ``level`` above the event's place."""
    code = division_at(event.division_code, level) if event.division_code else ""
    centres = Department.objects.filter(is_control_centre=True, division__code=code)
    return [user for centre in centres for user in centre.members.all()]


def _holders(event: GridEvent) -> list[Any]:
    """Who holds the event now: those it is dispatched to, or the staff who must accept and send it."""
    if event.state in (S.DISPATCHED, S.HANDLING):
        return holders(event)
    return in_charge((Role.DISTRICT_OFFICER, Role.CITY_OFFICER), event.division_code)


def _tell(event: GridEvent, people: list[Any], title: str, key: str) -> None:
    notify(
        people,
        kind=MessageKind.WARNING,
        title=title % {"title": event.title},
        link=reverse("event-detail", args=[event.pk]),
        about=event,
        key=key,
    )


def sweep(today: date | None = None) -> dict[str, int]:
    """Bring every open event's card up to date; returns how many of each warning were raised."""
    today = today or timezone.localdate()
    events = list(
        GridEvent.objects.filter(state__in=list(STEP_OF)).select_related("category", "department", "handler")
    )
    raised = {"due_soon": 0, "overdue": 0, "escalated": 0}
    if not events:
        return raised
    first = min(timezone.localdate(e.state_entered_at) for e in events)
    days = WorkdayIndex(min(first, today), today + timedelta(days=90))
    seen = set(
        EventWarning.objects.filter(event__in=events).values_list(
            "event_id", "state_entered_at", "kind", "level"
        )
    )
    changed: list[GridEvent] = []
    for event in events:
        before = (event.card, event.due_on, event.escalation)
        limit = event.category.limit(STEP_OF[event.state], urgent=event.urgent)
        if not limit:
            card, due = DeadlineCard.NONE, None
        else:
            due = days.add(timezone.localdate(event.state_entered_at), limit)
            late = days.between(due, today) if today > due else 0
            card = (
                DeadlineCard.OVERDUE
                if late
                else DeadlineCard.DUE_SOON
                if days.between(today, due) <= REMIND_DAYS
                else DeadlineCard.NONE
            )
            raised_now = _warn(event, card, late, seen)
            for kind in raised_now:
                raised[kind] += 1
        event.card, event.due_on = card, due
        if (event.card, event.due_on, event.escalation) != before:
            changed.append(event)
    _write(changed)
    return raised


def _warn(event: GridEvent, card: str, late: int, seen: set[tuple[Any, ...]]) -> list[str]:
    """Record and send the warnings this standing calls for, each once."""
    entered, done = event.state_entered_at, []

    def once(kind: str, level: int) -> bool:
        if (event.pk, entered, kind, level) in seen:
            return False
        EventWarning.objects.get_or_create(event=event, state_entered_at=entered, kind=kind, level=level)
        seen.add((event.pk, entered, kind, level))
        done.append(kind)
        return True

    key = f"grid-deadline:{event.pk}:{entered.isoformat()}"
    if card == DeadlineCard.DUE_SOON and once("due_soon", 0):
        _tell(event, _holders(event), _("即将到期：%(title)s"), f"{key}:due_soon")
    if card != DeadlineCard.OVERDUE:
        return done
    after = event.category.escalate_after_days
    while after and event.escalation < len(LEVELS) - 1 and late >= after * (event.escalation + 1):
        event.escalation += 1
        if once("escalated", event.escalation):
            level = LEVELS[event.escalation]
            _tell(
                event,
                control_centres(event, level),
                _("逾期升级：%(title)s"),
                f"{key}:escalated:{event.escalation}",
            )
    # Then the level above the one now holding it hears that it is late (once per level).
    above = LEVELS[min(event.escalation + 1, len(LEVELS) - 1)]
    if once("overdue", event.escalation):
        _tell(
            event, control_centres(event, above), _("已逾期：%(title)s"), f"{key}:overdue:{event.escalation}"
        )
    return done


def _write(changed: list[GridEvent]) -> None:
    """One UPDATE from arrays (bookkeeping, not a step: no version, no timeline row)."""
    if not changed:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE grid_gridevent e SET card = v.card, due_on = v.due_on, escalation = v.escalation"
            " FROM unnest(%s::bigint[], %s::text[], %s::date[], %s::smallint[])"
            " AS v(id, card, due_on, escalation)"
            " WHERE e.id = v.id",
            [
                [e.pk for e in changed],
                [e.card for e in changed],
                [e.due_on for e in changed],
                [e.escalation for e in changed],
            ],
        )
