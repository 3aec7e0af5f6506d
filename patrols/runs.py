"""A run of a patrol task, from start to finish (SPEC "Patrol tasks"):

1. ``start``: the worker starts it with the phone's uuid (a shared task is locked to them);
2. the phone records the GPS track (a ``layers.PatrolTrack``: uploaded as a track, or sent with
   the finish as a line with a time per vertex, or a multi-line whose parts are the stretches
   recorded: the gap between two parts, where the screen locked and positions stopped, was not
   walked);
3. ``finish``: the checklist results, checked against the template version the run started with;
4. each problem found becomes a grid event at its place (``grid.opening.open_event``, source
   ``patrol``), idempotent by the problem's uuid; the coverage is measured (``patrols.coverage``).

Both steps are replay-safe: a start sent again with the same uuid is the run already started, a
finish sent again is the run already finished, and neither opens anything twice.

Offline work (``sync``) gives both the time the phone says it happened, corrected for the phone's
clock by the caller: the run starts then and finishes then (never after the server's now, a finish
never before its start), and every vertex time of the track sent moves by the same clock offset.
"""

from __future__ import annotations

import json
import uuid as uuidlib
from datetime import datetime, timedelta
from typing import Any

from django.contrib.gis.geos import GEOSException, GEOSGeometry, LineString, MultiLineString, Point
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from accounts.roles import Role
from core.refusals import Forbidden, Incomplete, NotAllowed
from grid.models import EventCategory, EventSource, GridEvent
from grid.opening import open_event
from layers.models import PatrolTrack
from policy.predicates import may_report_event, may_run_task, read_filter
from policy.scope import role_of

from . import coverage, locks
from .checklist import ChecklistError, check_results
from .models import PatrolRun, PatrolTask, TaskState


class Invalid(Exception):
    """Input that is wrong, by field name, each with its own message (a 400)."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


def start(
    task: PatrolTask, user: Any, client_uuid: uuidlib.UUID, at: datetime | None = None
) -> tuple[PatrolRun, bool]:
    """The run (new, or the one this uuid already started) and whether it is new; it started ``at``
    (an offline start: when the phone says), else now."""
    existing = PatrolRun.objects.filter(uuid=client_uuid).first()
    if existing is not None:
        if existing.task_id != task.pk or existing.worker_id != user.pk:
            raise Incomplete(_("这个编号已用于另一次巡查：请生成新的编号。"), fields=["uuid"])
        return existing, False
    if not may_run_task(user, task):
        raise Forbidden(_("只有任务指派的网格员或本网格的网格员可以开始巡查。"))
    now = timezone.now()
    try:
        with transaction.atomic():
            task = (
                PatrolTask.objects.select_for_update(of=("self",))
                .select_related("lock_holder")
                .get(pk=task.pk)
            )
            if task.state == TaskState.DONE:
                raise NotAllowed(_("任务已完成。"), allowed=[])
            under_way = task.runs.filter(finished_at__isnull=True).first()
            if under_way is not None:
                raise NotAllowed(
                    _("已有一次巡查正在进行（编号 %(id)s）：先结束它。") % {"id": under_way.pk},
                    allowed=["finish"],
                )
            if task.shared:
                # The lock runs from the server's now: it is about who may start the task from now on.
                locks.take(task, user, now)
            started = now if at is None else min(at, now)
            run = PatrolRun.objects.create(
                task=task, uuid=client_uuid, worker=user, template=task.template, started_at=started
            )
            if task.state == TaskState.PLANNED:
                task.state = TaskState.IN_PROGRESS
            task.save(update_fields=["state", "lock_holder", "lock_expires_at", "updated_at"])
    except IntegrityError:
        # The same start arrived twice at the same moment: the constraint kept the first.
        return PatrolRun.objects.get(uuid=client_uuid), False
    return run, True


def _parts(raw: Any) -> MultiLineString | None:
    """The track sent, as the parts walked: a GeoJSON LineString (one part) or MultiLineString, each
    part of two points at least; None when it is neither."""
    try:
        shape = GEOSGeometry(raw if isinstance(raw, str) else json.dumps(raw), srid=4326)
    except (GEOSException, ValueError, TypeError):
        return None
    if isinstance(shape, LineString):
        shape = MultiLineString(shape, srid=4326)
    if not isinstance(shape, MultiLineString) or shape.empty or any(part.num_points < 2 for part in shape):
        return None
    return shape


def _track(
    run: PatrolRun, user: Any, data: dict[str, Any], finished: datetime, offset: timedelta
) -> PatrolTrack:
    """The run's track: one of the worker's tracks the caller may read, or a new one from the
    geometry sent (``geometry`` a GeoJSON LineString or MultiLineString, ``timestamps`` one ISO time
    per vertex over all its parts in order, each moved by ``offset``; without them the vertices are
    spread evenly from the run's start to its finish)."""
    if data.get("track") is not None:
        track = PatrolTrack.objects.filter(read_filter(user, "patrol_tracks"), pk=data["track"]).first()
        if track is None or track.worker_id != run.worker_id:
            raise Invalid({"track": [_("没有这条轨迹，或它不是本次巡查人的轨迹。")]})
        return track
    raw = data.get("geometry")
    if raw is None:
        raise Invalid(
            {
                "track": [
                    _(
                        "请上传巡查轨迹：track（轨迹编号），或 geometry（GeoJSON LineString "
                        "或 MultiLineString）。"
                    )
                ]
            }
        )
    walked = _parts(raw)
    if walked is None:
        raise Invalid(
            {
                "geometry": [
                    _("轨迹是 GeoJSON LineString，或定位中断时分段的 MultiLineString；每段至少两个点。")
                ]
            }
        )
    vertices = walked.num_points
    stamps = data.get("timestamps")
    if stamps is None:
        span = (finished - run.started_at) / (vertices - 1)
        times = [run.started_at + span * i for i in range(vertices)]
    else:
        parsed = [parse_datetime(s) if isinstance(s, str) else None for s in stamps or []]
        if not isinstance(stamps, list) or len(parsed) != vertices or None in parsed:
            raise Invalid(
                {"timestamps": [_("每个轨迹点一个 ISO 时间，各段依次排列，共 %(n)s 个。") % {"n": vertices}]}
            )
        # One shift for all: a phone clock that is off moves the track in time but never reorders it.
        times = [
            (t if timezone.is_aware(t) else timezone.make_aware(t)) + offset for t in parsed if t is not None
        ]
        if any(b < a for a, b in zip(times, times[1:], strict=False)):
            raise Invalid({"timestamps": [_("轨迹点时间须按先后排列。")]})
    track = PatrolTrack(
        worker=run.worker,
        started_at=times[0],
        ended_at=times[-1],
        timestamps=times,
        checklist_results=run.results,
        geom=walked,
        created_by=user if getattr(user, "pk", None) else None,
    )
    track.save()
    return track


def _degrees(value: Any, limit: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not -limit <= value <= limit:
        return None
    return float(value)


def _problems(raw: Any) -> list[dict[str, Any]]:
    """The problems, each checked: uuid, title, lon/lat, an active event category."""
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        raise Invalid({"problems": [_("问题是一个列表：[{uuid, title, lon, lat, category, ...}]。")]})
    categories = {c.key: c for c in EventCategory.objects.filter(active=True)}
    errors: dict[str, list[str]] = {}
    out = []
    for n, problem in enumerate(raw):
        name = f"problems.{n}"
        if not isinstance(problem, dict):
            errors[name] = [_("每个问题是一个对象。")]
            continue
        try:
            client_uuid = uuidlib.UUID(str(problem.get("uuid")))
        except ValueError:
            errors[f"{name}.uuid"] = [_("每个问题要有手机生成的 uuid，重复提交时据此去重。")]
        if not str(problem.get("title") or "").strip():
            errors[f"{name}.title"] = [_("请填写问题标题。")]
        lon, lat = _degrees(problem.get("lon"), 180), _degrees(problem.get("lat"), 90)
        if lon is None or lat is None:
            errors[f"{name}.lon"] = [_("问题的位置：经度 lon、纬度 lat（度）。")]
        category = categories.get(str(problem.get("category")))
        if category is None:
            errors[f"{name}.category"] = [_("事件类别可选：%(keys)s。") % {"keys": "、".join(categories)}]
        photos = problem.get("photos") or []
        if not isinstance(photos, list) or not all(isinstance(p, str) for p in photos):
            errors[f"{name}.photos"] = [_("照片是地址列表。")]
        if not any(k.startswith(f"{name}.") for k in errors):
            out.append(
                {
                    "uuid": client_uuid,
                    "title": str(problem["title"]).strip(),
                    "description": str(problem.get("description") or ""),
                    "geom": Point(lon, lat, srid=4326),
                    "category": category,
                    "photos": photos,
                }
            )
    if errors:
        raise Invalid(errors)
    return out


def finish(
    run: PatrolRun,
    user: Any,
    data: dict[str, Any],
    at: datetime | None = None,
    clock_offset: timedelta = timedelta(0),
) -> tuple[PatrolRun, bool]:
    """The finished run and whether it was finished now (False: a replay, returned as it is). It
    finished ``at`` (an offline finish: when the phone says), else now; the phone's track times
    are moved by ``clock_offset`` (what its clock is behind the server's)."""
    if run.finished_at is not None:
        return run, False
    if run.worker_id != user.pk and role_of(user) != Role.ADMIN:
        raise Forbidden(_("只有巡查人本人可以结束这次巡查。"))
    try:
        results = check_results(run.template.items, data.get("results") or {})
    except ChecklistError as exc:
        raise Invalid(exc.errors) from exc
    problems = _problems(data.get("problems"))
    for n, problem in enumerate(problems):
        draft = GridEvent(geom=problem["geom"], reporter=run.worker)
        draft.locate()
        if not may_report_event(run.worker, draft):
            raise Forbidden(
                _("第 %(n)s 个问题不在巡查人的辖区内：请在辖区内上报，或由所在地的工作人员登记。")
                % {"n": n + 1}
            )
    with transaction.atomic():
        run = (
            PatrolRun.objects.select_for_update(of=("self",))
            .select_related("task", "template")
            .get(pk=run.pk)
        )
        if run.finished_at is not None:
            return run, False
        now = timezone.now()
        finished = now if at is None else min(max(at, run.started_at), now)
        run.results = results
        run.track = _track(run, user, data, finished, clock_offset)
        run.length_m = run.track.length_m
        run.finished_at = finished
        run.save(update_fields=["results", "track", "length_m", "finished_at"])
        for problem in problems:
            event, _new = open_event(
                reporter=run.worker,
                category=problem["category"],
                title=problem["title"],
                geom=problem["geom"],
                description=problem["description"],
                photos=problem["photos"],
                source=EventSource.PATROL,
                client_uuid=problem["uuid"],
            )
            run.events.add(event)
        coverage.record(run)
        task = PatrolTask.objects.select_for_update().get(pk=run.task_id)
        task.state = TaskState.DONE
        if task.lock_holder_id == run.worker_id:
            locks.release(task)
        task.save(update_fields=["state", "lock_holder", "lock_expires_at", "updated_at"])
        run.task = task
    return run, True
