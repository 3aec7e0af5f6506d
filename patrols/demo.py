"""The demo city's patrols (``manage.py seed_demo``, after the grid): three checklist templates, and
for the demo grid worker and a few workers of the same town, tasks in every state — walked (some
well, some below the coverage threshold, some finding problems that opened events), under way,
planned, shared and locked, and missed, marked by the same sweep the beat runs.

There are no streets in the demo city, so a walk is a wandering line through its cell's places (or
round the cell, for a cell without places), timed at walking speed with a pause at each place.
Runs are started and finished through ``patrols.runs``, as the API does, so coverage, visits,
events and inbox notices are what a real week would leave."""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Point, Polygon
from django.db.models import Q
from django.utils import timezone

from accounts.roles import Role
from grid.models import EventCategory
from layers.models import GridCell, Place

from . import locks, runs
from .models import AreaKind, ChecklistTemplate, PatrolRun, PatrolTask, TaskState
from .monitor import sweep_missed

Say = Callable[[str], None]
TEMPLATES: list[tuple[str, str, list[dict[str, Any]]]] = [
    (
        "fire_safety",
        "消防安全检查",
        [
            {"key": "extinguisher", "label": "灭火器在有效期内", "type": "yes_no", "required": True},
            {"key": "exits_clear", "label": "安全出口畅通", "type": "yes_no", "required": True},
            {
                "key": "wiring",
                "label": "电气线路",
                "type": "choice",
                "required": True,
                "choices": ["规范", "老化", "私拉乱接"],
            },
            {"key": "note", "label": "其他情况", "type": "text", "required": False},
            {"key": "photo", "label": "现场照片", "type": "photo", "required": False},
        ],
    ),
    (
        "rental_house",
        "出租屋巡查",
        [
            {"key": "registered", "label": "租住人员已登记", "type": "yes_no", "required": True},
            {"key": "tenants", "label": "在住人数", "type": "number", "required": True},
            {"key": "smoke_alarm", "label": "烟感报警器", "type": "yes_no", "required": False},
            {"key": "note", "label": "备注", "type": "text", "required": False},
        ],
    ),
    (
        "key_place",
        "重点场所巡查",
        [
            {
                "key": "risk",
                "label": "现场风险",
                "type": "choice",
                "required": True,
                "choices": ["无", "一般", "较大", "重大"],
            },
            {"key": "duty", "label": "值班人员在岗", "type": "yes_no", "required": True},
            {"key": "photo", "label": "现场照片", "type": "photo", "required": True},
        ],
    ),
]
GOOD_RESULTS = {
    "fire_safety": {"extinguisher": True, "exits_clear": True, "wiring": "规范"},
    "rental_house": {"registered": True, "tenants": 3, "smoke_alarm": True},
    "key_place": {"risk": "无", "duty": True, "photo": ["demo/patrol.jpg"]},
}
FOUND_RESULTS = {
    "fire_safety": {
        "extinguisher": False,
        "exits_clear": False,
        "wiring": "私拉乱接",
        "note": "楼道堆放杂物",
    },
    "rental_house": {"registered": False, "tenants": 6, "note": "未登记人员 2 名"},
    "key_place": {"risk": "较大", "duty": False, "photo": ["demo/patrol.jpg"]},
}
OTHER_WORKERS = 4  # workers of the demo town besides the demo grid worker
M_PER_DEG = 111_320.0


def _templates() -> dict[str, ChecklistTemplate]:
    """The current version of each demo template (configuration a reseed keeps)."""
    out = {}
    for key, name, items in TEMPLATES:
        current = ChecklistTemplate.objects.filter(key=key).order_by("-version").first()
        out[key] = current or ChecklistTemplate.objects.create(key=key, name=name, items=items)
    return out


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    dx = (b[0] - a[0]) * M_PER_DEG * math.cos(math.radians(a[1]))
    return math.hypot(dx, (b[1] - a[1]) * M_PER_DEG)


def _tour(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The points in nearest-neighbour order from the first."""
    left, out = points[1:], points[:1]
    while left:
        nearest = min(left, key=lambda p: _metres(out[-1], p))
        left.remove(nearest)
        out.append(nearest)
    return out


def _inward(point: tuple[float, float], cell: GridCell) -> tuple[float, float]:
    """``point``, or a point towards the cell's middle that is inside it (a walk keeps to its cell)."""
    centre = cell.geom.point_on_surface
    x, y = point
    for _half in range(12):
        if cell.geom.prepared.contains(Point(x, y, srid=4326)):
            break
        x, y = (x + centre.x) / 2, (y + centre.y) / 2
    else:
        x, y = centre.x, centre.y
    return x, y


def _walk(
    stops: list[tuple[float, float]], start: datetime, rng: random.Random, cell: GridCell, pause: bool
) -> tuple[dict[str, Any], list[str]]:
    """A wandering line through ``stops`` inside ``cell`` (20 to 200 vertices, a few metres off the
    straight way), with a time per vertex at 1.0–1.4 m/s and, with ``pause``, a stop of 30–120 s at
    each place."""
    stops = [_inward(p, cell) for p in stops]
    total = sum(_metres(a, b) for a, b in zip(stops, stops[1:], strict=False))
    spacing = max(total / 180, min(25.0, total / 20), 0.5)
    coords, stamps, now = [stops[0]], [start], start
    for a, b in zip(stops, stops[1:], strict=False):
        steps = max(1, math.ceil(_metres(a, b) / spacing))
        for i in range(1, steps + 1):
            f = i / steps
            jitter = 0 if i == steps else min(6.0, spacing / 4) / M_PER_DEG
            point = _inward(
                (
                    a[0] + (b[0] - a[0]) * f + rng.gauss(0, jitter),
                    a[1] + (b[1] - a[1]) * f + rng.gauss(0, jitter),
                ),
                cell,
            )
            now += timedelta(seconds=_metres(coords[-1], point) / rng.uniform(1.0, 1.4) + 0.5)
            coords.append(point)
            stamps.append(now)
        if pause:
            now += timedelta(seconds=rng.uniform(30, 120))
    return (
        {"type": "LineString", "coordinates": [[round(x, 7), round(y, 7)] for x, y in coords]},
        [t.isoformat() for t in stamps],
    )


def _stops(cell: GridCell, places: list[Place], share: float) -> tuple[list[tuple[float, float]], bool]:
    """Where a walk goes: a share of the cell's places in tour order, or round the cell's middle
    (or the one place), and whether it stops at places."""
    if places:
        points = _tour([(p.geom.point_on_surface.x, p.geom.point_on_surface.y) for p in places])
        points = points[: max(1, math.ceil(len(points) * share))]
        if len(points) > 1:
            return points, True
        x, y = points[0]
    else:
        centre = cell.geom.point_on_surface
        x, y = centre.x, centre.y
    return _loop(x, y, 150 * max(share, 0.2) / M_PER_DEG), False


def _loop(x: float, y: float, radius: float) -> list[tuple[float, float]]:
    return [(x + radius * math.cos(a / 4), y + radius * math.sin(a / 4)) for a in range(26)]


class Walker:
    """One demo worker's week of patrols in their cell."""

    def __init__(self, worker: Any, staff: Any, templates: dict[str, ChecklistTemplate], as_of: datetime):
        self.worker, self.staff, self.templates, self.as_of = worker, staff, templates, as_of
        self.cell = worker.grid_cell
        self.places = list(Place.objects.filter(grid_cell__in=[self.cell, *self.cell.sub_cells.all()]))

    def task(self, title: str, template: str, days: tuple[float, float], **fields: Any) -> PatrolTask:
        fields.setdefault("area_kind", AreaKind.CELL)
        fields.setdefault("grid_cell", self.cell)
        places = fields.pop("places", [])
        made = PatrolTask(
            title=title,
            worker=fields.pop("worker", self.worker),
            template=self.templates[template],
            due_from=self.as_of + timedelta(days=days[0]),
            due_until=self.as_of + timedelta(days=days[1]),
            created_by=self.staff,
            **fields,
        )
        made.locate(places)
        made.save()
        made.places.set(places)
        PatrolTask.objects.filter(pk=made.pk).update(created_at=made.due_from - timedelta(days=1))
        return made

    def walk(
        self,
        task: PatrolTask,
        ago_days: float,
        rng: random.Random,
        share: float = 1.0,
        problems: list[dict[str, Any]] | None = None,
        found: bool = False,
        stops: list[tuple[float, float]] | None = None,
    ) -> PatrolRun:
        started = self.as_of - timedelta(days=ago_days)
        run, _new = runs.start(task, self.worker, uuid.UUID(int=rng.getrandbits(128)))
        path, pause = (stops, False) if stops else _stops(self.cell, self.places, share)
        geometry, stamps = _walk(path, started, rng, self.cell, pause)
        results = (FOUND_RESULTS if found else GOOD_RESULTS)[task.template.key]
        run, _done = runs.finish(
            run,
            self.worker,
            {"geometry": geometry, "timestamps": stamps, "results": results, "problems": problems or []},
        )
        PatrolRun.objects.filter(pk=run.pk).update(
            started_at=started, finished_at=datetime.fromisoformat(stamps[-1])
        )
        return run


def _problems(walker: Walker, category: EventCategory, rng: random.Random) -> list[dict[str, Any]]:
    """Two problems at the first places of the cell (at its middle when it has none)."""
    spots = [p.geom.point_on_surface for p in walker.places[:2]] or [walker.cell.geom.point_on_surface]
    return [
        {
            "uuid": str(uuid.UUID(int=rng.getrandbits(128))),
            "title": title,
            "description": "巡查发现，需整改",
            "lon": spot.x,
            "lat": spot.y,
            "category": category.key,
            "photos": [],
        }
        for spot, title in zip(spots, ("楼道堆放杂物堵塞安全出口", "电动车违规室内充电"), strict=False)
    ]


def load_patrols(say: Say, as_of: datetime | None = None, seed: int = 2026) -> dict[str, int]:
    """Call inside a transaction, after the grid's demo (its event categories and accounts)."""
    as_of = as_of or timezone.now()
    rng = random.Random(seed)
    users = get_user_model().objects.select_related("grid_cell")
    demo, staff = users.get(username="grid"), users.get(username="town")
    assert demo.grid_cell is not None, "the demo grid worker is bound to the demo cell"
    templates = _templates()
    category = (
        EventCategory.objects.filter(active=True)
        .filter(Q(key="fire_risk") | Q(key="hazard"))
        .order_by("key")
        .first()
        or EventCategory.objects.filter(active=True).order_by("key").first()
    )
    cell = demo.grid_cell
    town = cell.division_code[:9]
    others = list(
        users.filter(role=Role.GRID_WORKER, grid_cell__division_code__startswith=town)
        .exclude(pk=demo.pk)
        .order_by("grid_cell__code")[:OTHER_WORKERS]
    )
    walker = Walker(demo, staff, templates, as_of)
    # Walked: well, twice; below the threshold (part of the cell); finding problems.
    walker.walk(walker.task("第一周消防安全检查", "fire_safety", (-7, -5)), 6, rng)
    walker.walk(walker.task("出租屋月度巡查", "rental_house", (-5, -2)), 4, rng)
    walker.walk(walker.task("重点场所巡查（部分）", "key_place", (-4, -1)), 3, rng, share=0.3)
    if category is not None:
        problem_task = walker.task("消防安全复查", "fire_safety", (-3, 0.5))
        walker.walk(problem_task, 1, rng, problems=_problems(walker, category, rng), found=True)
    # A drawn area (covered by surface when no place lies in it): a loop round its middle.
    centre = cell.geom.point_on_surface
    half = 0.002
    square = Polygon.from_bbox((centre.x - half, centre.y - half, centre.x + half, centre.y + half))
    square.srid = 4326
    area_task = walker.task(
        "河道沿线巡查", "key_place", (-2, 1), area_kind=AreaKind.POLYGON, grid_cell=None, area=square
    )
    walker.walk(area_task, 0.5, rng, stops=_loop(centre.x, centre.y, half * 0.6))
    # Missed (the sweep below marks it), under way, planned, shared (one free, one locked).
    walker.task("上周出租屋巡查", "rental_house", (-9, -7))
    under_way = walker.task("今日消防安全检查", "fire_safety", (-0.2, 0.8))
    run, _new = runs.start(under_way, demo, uuid.UUID(int=rng.getrandbits(128)))
    PatrolRun.objects.filter(pk=run.pk).update(started_at=as_of - timedelta(minutes=40))
    walker.task("下周重点场所巡查", "key_place", (5, 7))
    walker.task("网格共享巡查：沿街商铺", "fire_safety", (0, 3), worker=None, shared=True)
    locked = walker.task("网格共享巡查：出租屋", "rental_house", (0, 2), worker=None, shared=True)
    locks.lock(locked, demo, now=as_of - timedelta(minutes=30))
    # The town's other workers: a good walk, a short one, and one missed.
    for worker in others:
        other = Walker(worker, staff, templates, as_of)
        other.walk(other.task("消防安全检查", "fire_safety", (-6, -4)), 5, rng)
        other.walk(other.task("出租屋巡查", "rental_house", (-3, -1)), 2, rng, share=0.3)
        other.task("重点场所巡查", "key_place", (-4, -2))
    missed = sweep_missed(as_of)
    counts = {state: PatrolTask.objects.filter(state=state).count() for state in TaskState.values}
    finished = PatrolRun.objects.filter(finished_at__isnull=False)
    say(
        f"  {'patrols':<16} {PatrolTask.objects.count():>9,} tasks, {finished.count()} runs walked, "
        f"{len(templates)} templates; "
        + ", ".join(f"{state} {n}" for state, n in counts.items() if n)
        + f"; {missed} marked missed by the sweep"
    )
    return {"patrol tasks": PatrolTask.objects.count()}
