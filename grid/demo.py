"""The demo city's grid governance (``manage.py seed_demo``): departments and control centres,
event categories (one per field-point category, hazards opening events by themselves), and events
in every state, some late and escalated by the same sweep the beat runs.

Events are opened and moved through ``grid.opening`` and ``grid.workflow``, as the API does, so the
timelines, the field points' statuses and the inboxes are what a real day would leave."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Point
from django.utils import timezone

from layers.models import Division, EventStatus, FieldPoint, FieldPointCategory

from . import workflow
from .deadlines import sweep
from .models import Department, EventCategory, EventSource, GridEvent
from .opening import from_field_point, open_event

Say = Callable[[str], None]
# field-point category → (time limits in working days, urgent limits)
LIMITS = {
    "hazard": ({"accept": 1, "dispatch": 1, "handle": 3, "verify": 1}, {"accept": 1, "handle": 1}),
    "fire_risk": ({"accept": 1, "dispatch": 1, "handle": 2, "verify": 1}, {"handle": 1}),
    "illegal_construction": ({"accept": 2, "dispatch": 2, "handle": 10, "verify": 2}, {}),
    "environment": ({"accept": 2, "dispatch": 2, "handle": 5, "verify": 2}, {}),
    "other": ({"accept": 3, "dispatch": 3, "handle": 10, "verify": 3}, {}),
}
DEPARTMENTS = ("城市管理局", "住房和城乡建设局", "应急管理局", "生态环境分局")
# How far along each demo event goes (the rest stay reported).
PATHS: list[list[tuple[str, dict[str, Any]]]] = [
    [],
    [("accept", {})],
    [("reject", {"comment": "不属于网格事项，已告知当事人向相关部门反映"})],
    [("accept", {}), ("dispatch", {})],
    [("accept", {}), ("dispatch", {}), ("start", {})],
    [("accept", {}), ("dispatch", {}), ("start", {}), ("feedback", {"feedback": "已现场处置完毕"})],
    [("accept", {}), ("dispatch", {}), ("start", {}), ("feedback", {"feedback": "已处置"}), ("verify", {})],
    [
        ("accept", {}),
        ("dispatch", {}),
        ("start", {}),
        ("feedback", {"feedback": "已处置"}),
        ("verify", {}),
        ("close", {"comment": "办结"}),
        ("evaluate", {"score": 5}),
    ],
]


def _repeat_reports(officer: Any) -> None:
    """The same thing reported twice, a few metres and minutes apart: one is merged into the
    first, the other waits on the desk as a suspected duplicate."""
    firsts = GridEvent.objects.filter(state=EventStatus.REPORTED, source=EventSource.FIELD_POINT)
    firsts = firsts.order_by("id")
    for n, first in enumerate(firsts[:2]):
        repeat, _created = open_event(
            reporter=officer,
            category=first.category,
            title=first.title,
            geom=Point(first.geom.x + 0.0001, first.geom.y, srid=4326),
            description="群众电话反映，与网格员上报为同一处",
            source=EventSource.STAFF,
        )
        GridEvent.objects.filter(pk=repeat.pk).update(created_at=first.created_at + timedelta(minutes=40))
        if n == 0:
            workflow.take(repeat, officer, "merge", {"into": first.pk})


def load_grid(say: Say, as_of: datetime | None = None, seed: int = 2026) -> dict[str, int]:
    """Call inside a transaction, after the layers and the demo accounts are loaded."""
    as_of = as_of or timezone.now()
    rng = random.Random(seed)
    users = get_user_model().objects
    officer, city, worker = (
        users.get(username="district"),
        users.get(username="city"),
        users.get(username="grid"),
    )
    categories = []
    for point_category in FieldPointCategory.objects.all():
        normal, urgent = LIMITS.get(point_category.key, LIMITS["other"])
        # Categories are configuration a reseed keeps (the flush empties only the layers' data).
        category, _created = EventCategory.objects.get_or_create(
            key=point_category.key,
            defaults={
                "name_zh": point_category.name_zh,
                "name_en": point_category.name_en,
                "opens_from": point_category if point_category.key == "hazard" else None,
                "deadlines": normal,
                "urgent_deadlines": urgent,
            },
        )
        categories.append(category)
    departments: dict[int, list[Department]] = {}
    for division in Division.objects.filter(level__in=("city", "county", "town")):
        centre = Department.objects.create(name="综合指挥调度中心", division=division, is_control_centre=True)
        centre.members.add(city if division.level == "city" else officer)
        if division.level == "county":
            made = [Department.objects.create(name=name, division=division) for name in DEPARTMENTS]
            for department in made:
                department.members.add(worker)  # the demo grid worker handles what is sent to them
            departments[division.pk] = made
    county_of = {d.prefix: d for d in Division.objects.filter(level="county")}
    # The demo grid worker's latest points became events ("上报为事件"; hazards would by themselves).
    points = list(
        FieldPoint.objects.filter(reporter=worker).select_related("category").order_by("-reported_at")[:40]
    )
    by_key = {c.key: c for c in categories}
    opened = 0
    for n, point in enumerate(points):
        event, created = from_field_point(point, by_key.get(point.category.key, categories[0]))
        if not created:
            continue
        opened += 1
        county = next((d for p, d in county_of.items() if event.division_code.startswith(p)), None)
        targets = departments.get(county.pk, []) if county else []
        start = as_of - timedelta(days=rng.uniform(1, 12))
        GridEvent.objects.filter(pk=event.pk).update(
            created_at=start, state_entered_at=start, urgent=n % 7 == 0
        )
        event.refresh_from_db()
        for step, data in PATHS[n % len(PATHS)]:
            if step == "dispatch":
                if not targets:
                    break
                data = {"department": rng.choice(targets).pk}
            actor = worker if step in {"start", "feedback", "verify"} else officer
            if step == "evaluate":
                actor = worker
            event = workflow.take(event, actor, step, data)
        # Some wait where they are since days ago, so the sweep finds them late.
        GridEvent.objects.filter(pk=event.pk).update(state_entered_at=start)
    _repeat_reports(officer)
    raised = sweep(timezone.localdate(as_of))
    counts = {state: GridEvent.objects.filter(state=state).count() for state in EventStatus.values}
    say(
        f"  {'grid events':<16} {opened:>9,} events, {len(categories)} categories, "
        f"{Department.objects.count()} departments; "
        + ", ".join(f"{state} {n}" for state, n in counts.items() if n)
        + "; warnings "
        + ", ".join(f"{k} {v}" for k, v in raised.items())
    )
    return {"grid events": opened}
