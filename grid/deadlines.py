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

import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from inbox.models import MessageKind
from inbox.send import Notice, notify_all
from layers.models import EventStatus
from layers.models.divisions import DivisionLevel
from policy.predicates import in_charge_of
from policy.resources import EVENT_STAFF
from workdays.calendar import WorkdayIndex

from .models import LEVELS, DeadlineCard, Department, EventCategory, GridEvent

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


def control_centres(event: Any, level: str) -> list[Any]:
    """The members of the control centres of ``level`` above the event's place."""
    return Recipients().centres(event, level)


@dataclass(slots=True)
class Standing:
    """An open event as the sweep reads it: the columns it needs, no model instance (the sweep
    reads every open event of the city, and instances cost more than the arithmetic)."""

    pk: int
    category_id: int
    state: str
    state_entered_at: datetime
    urgent: bool
    escalation: int
    card: str
    due_on: date | None
    division_code: str
    department_id: int | None
    handler_id: int | None
    title: str


class Recipients:
    """Who hears about an event, read once per sweep rather than once per warning: the control
    centres' members by division, the staff in charge by place (``policy.predicates.in_charge``),
    the members of each department and the handlers (``grid.workflow.holders`` for one event)."""

    def __init__(self) -> None:
        self.by_division: dict[str, list[Any]] = {}
        centres = Department.objects.filter(is_control_centre=True).select_related("division")
        for centre in centres.prefetch_related("members"):
            self.by_division.setdefault(centre.division.code, []).extend(centre.members.all())

    @functools.cached_property
    def staff(self) -> Callable[[str], list[Any]]:
        return in_charge_of(EVENT_STAFF)

    @functools.cached_property
    def members(self) -> dict[int, list[Any]]:
        through = Department.members.through.objects.select_related("user")
        found: dict[int, list[Any]] = {}
        for row in through:
            found.setdefault(row.department_id, []).append(row.user)
        return found

    @functools.cache  # noqa: B019 - one Recipients per sweep
    def person(self, pk: int) -> Any:
        return get_user_model().objects.filter(pk=pk).first()

    def centres(self, event: Any, level: str) -> list[Any]:
        code = division_at(event.division_code, level) if event.division_code else ""
        return self.by_division.get(code, [])

    def holding(self, event: Standing) -> list[Any]:
        """Who holds the event now: those it is dispatched to, or the staff who must accept and
        send it."""
        if event.state not in (S.DISPATCHED, S.HANDLING):
            return self.staff(event.division_code)
        people = list(self.members.get(event.department_id, [])) if event.department_id else []
        handler = self.person(event.handler_id) if event.handler_id else None
        return [*people, handler] if handler is not None else people


def sweep(today: date | None = None) -> dict[str, int]:
    """Bring every open event's card up to date; returns how many of each warning were raised.

    Reads the open events (as ``Standing`` rows), the warnings of their current stay and the
    recipients once, then writes the cards in one UPDATE, the new warnings and the escalations'
    timeline rows in one INSERT each, and the messages through one ``notify_all``."""
    today = today or timezone.localdate()
    events = [
        Standing(*row)
        for row in GridEvent.objects.filter(state__in=list(STEP_OF))
        .order_by("id")
        .values_list("id", *(f.name for f in fields(Standing)[1:]))
    ]
    raised = {"due_soon": 0, "overdue": 0, "escalated": 0}
    if not events:
        return raised
    categories = {c.pk: c for c in EventCategory.objects.all()}
    first = min(timezone.localdate(e.state_entered_at) for e in events)
    days = WorkdayIndex(min(first, today), today + timedelta(days=90))
    run = _Run(Recipients(), _raised_in_current_stay())
    changed: list[Standing] = []
    for event in events:
        before = (event.card, event.due_on, event.escalation)
        category = categories[event.category_id]
        limit = category.limit(STEP_OF[event.state], urgent=event.urgent)
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
            run.warn(event, category, card, late)
        event.card, event.due_on = card, due
        if (event.card, event.due_on, event.escalation) != before:
            changed.append(event)
    _write(changed)
    _record(run.warnings)
    _timeline(run.escalations)
    notify_all(run.notices())
    for _event, kind, _level in run.warnings:
        raised[kind] += 1
    return raised


def _raised_in_current_stay() -> set[tuple[int, str, int]]:
    """(event, kind, level) of the warnings already raised for each open event's current stay."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT w.event_id, w.kind, w.level FROM grid_eventwarning w"
            " JOIN grid_gridevent e ON e.id = w.event_id AND e.state_entered_at = w.state_entered_at"
            " WHERE e.state = ANY(%s)",
            [list(STEP_OF)],
        )
        return set(cursor.fetchall())


# What each kind of warning says: about one event, and about several at once.
TITLES = {
    "due_soon": (_lazy("即将到期：%(title)s"), _lazy("即将到期：%(title)s 等 %(n)s 件事件")),
    "overdue": (_lazy("已逾期：%(title)s"), _lazy("已逾期：%(title)s 等 %(n)s 件事件")),
    "escalated": (_lazy("逾期升级：%(title)s"), _lazy("逾期升级：%(title)s 等 %(n)s 件事件")),
}


class _Run:
    """The warnings one sweep raises, each once (``seen``: those raised before), and who hears.

    The people told the same kind of thing in one sweep get one message for all their events (a
    control centre whose villages have forty events late reads one line, "…等 40 件", linked to
    the list of them), and a single event is a message of its own, linked to it."""

    def __init__(self, recipients: Recipients, seen: set[tuple[int, str, int]]) -> None:
        self.recipients, self.seen = recipients, seen
        self.warnings: list[tuple[Standing, str, int]] = []
        self.escalations: list[tuple[Standing, int, int]] = []
        self.told: dict[tuple[str, int, frozenset[int]], tuple[list[Any], list[Standing]]] = {}

    def once(self, event: Standing, kind: str, level: int, people: Callable[[], list[Any]]) -> bool:
        if (event.pk, kind, level) in self.seen:
            return False
        self.seen.add((event.pk, kind, level))
        self.warnings.append((event, kind, level))
        who = [user for user in people() if user.is_active]
        if who:
            group = self.told.setdefault((kind, level, frozenset(u.pk for u in who)), (who, []))
            group[1].append(event)
        return True

    def warn(self, event: Standing, category: EventCategory, card: str, late: int) -> None:
        """The warnings this standing calls for: a reminder to the holder, escalation level by
        level, and the level above the one now holding it told that it is late."""
        if card == DeadlineCard.DUE_SOON:
            self.once(event, "due_soon", 0, functools.partial(self.recipients.holding, event))
        if card != DeadlineCard.OVERDUE:
            return
        after = category.escalate_after_days
        while after and event.escalation < len(LEVELS) - 1 and late >= after * (event.escalation + 1):
            event.escalation += 1
            level = LEVELS[event.escalation]
            centres = functools.partial(self.recipients.centres, event, level)
            if self.once(event, "escalated", event.escalation, centres):
                self.escalations.append((event, late, event.escalation))
        above = LEVELS[min(event.escalation + 1, len(LEVELS) - 1)]
        self.once(
            event, "overdue", event.escalation, functools.partial(self.recipients.centres, event, above)
        )

    def notices(self) -> list[Notice]:
        late_list = f"{reverse('web:events')}?card="
        made = []
        for (kind, level, _ids), (people, events) in self.told.items():
            one, many = TITLES[kind]
            first = events[0]
            # The same events raise the same key: a sweep run again tells nobody twice.
            marks = ",".join(f"{e.pk}@{e.state_entered_at.isoformat()}" for e in events)
            digest = hashlib.sha1(marks.encode()).hexdigest()[:20]
            made.append(
                Notice(
                    people,
                    kind=MessageKind.WARNING,
                    title=(one if len(events) == 1 else many) % {"title": first.title, "n": len(events)},
                    link=GridEvent(pk=first.pk).get_absolute_url()
                    if len(events) == 1
                    else late_list + ("due_soon" if kind == "due_soon" else DeadlineCard.OVERDUE),
                    about=GridEvent(pk=first.pk) if len(events) == 1 else None,
                    key=f"grid-deadline:{kind}:{level}:{digest}",
                )
            )
        return made


def _timeline(escalations: list[tuple[Standing, int, int]]) -> None:
    """Each automatic escalation in the event's timeline, as a hand escalation is (no user), in
    one INSERT from arrays (a backlog's first sweep escalates tens of thousands)."""
    if not escalations:
        return
    comment = _("逾期 %(days)s 个工作日，自动升级到%(level)s")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO grid_eventaction (event_id, at, step, from_state, to_state, comment)"
            " SELECT v.event_id, %s, 'escalate', v.state, v.state, v.comment"
            " FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS v(event_id, state, comment)",
            [
                timezone.now(),
                [event.pk for event, _late, _level in escalations],
                [event.state for event, _late, _level in escalations],
                [
                    comment % {"days": late, "level": DivisionLevel(LEVELS[level]).label}
                    for _event, late, level in escalations
                ],
            ],
        )


def _record(warnings: list[tuple[Standing, str, int]]) -> None:
    """The new warnings in one INSERT from arrays; one raised meanwhile by another sweep stays."""
    if not warnings:
        return
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO grid_eventwarning (event_id, kind, state_entered_at, level, created_at)"
            " SELECT v.event_id, v.kind, v.entered, v.level, %s"
            " FROM unnest(%s::bigint[], %s::text[], %s::timestamptz[], %s::smallint[])"
            " AS v(event_id, kind, entered, level)"
            " ON CONFLICT DO NOTHING",
            [
                now,
                [e.pk for e, _k, _l in warnings],
                [k for _e, k, _l in warnings],
                [e.state_entered_at for e, _k, _l in warnings],
                [lvl for _e, _k, lvl in warnings],
            ],
        )


def _write(changed: list[Standing]) -> None:
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
