"""巡查异常监测 and 巡查未整改监测 (001 L91), and the grid worker's work log (网格员工作日志).

- ``sweep_missed`` (beat: ``patrols.sweep_missed``): a task whose due time has passed with no
  finished run becomes *missed*, and its worker and the staff who assigned it hear it once (the
  state change and the inbox key both make a second run a no-op). A run still under way at the
  due time does not save the task: it is late; finishing it later still records the walk.
- ``watch``: what needs a look in the caller's area — missed tasks, finished runs below
  ``PATROL_COVERAGE_THRESHOLD``, and problems found on patrol whose events are still open.
- ``places_due``: the places whose class asks for a patrol every so many days
  (``PlaceClass.patrol_every_days``) that no run has reached within them, or ever.
- ``worklog``: one worker's day.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import (
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    Max,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from grid.models import GridEvent
from grid.workflow import OPEN
from inbox.models import MessageKind
from inbox.send import notify
from layers.models import FieldPoint, PatrolTrack, Place
from policy.predicates import read_filter, visible_events, visible_tasks

from .models import PatrolRun, PatrolTask, TaskState

PENDING = (TaskState.PLANNED, TaskState.IN_PROGRESS)
# The most rows of each list ``watch`` returns (the newest first).
WATCH_LIMIT = 200


def sweep_missed(now: datetime | None = None) -> int:
    """Mark the tasks past their due time missed and tell the people concerned; returns how many."""
    now = now or timezone.now()
    late = list(
        PatrolTask.objects.filter(state__in=PENDING, due_until__lt=now).select_related("worker", "created_by")
    )
    marked = 0
    for task in late:
        with transaction.atomic():
            changed = PatrolTask.objects.filter(pk=task.pk, state__in=PENDING).update(
                state=TaskState.MISSED, missed_at=now, lock_holder=None, lock_expires_at=None
            )
            if not changed:
                continue  # finished in the meantime
            marked += 1
            notify(
                [u for u in (task.worker, task.created_by) if u is not None],
                kind=MessageKind.WARNING,
                title=_("巡查逾期未完成：%(title)s") % {"title": task.title},
                body=_("截止时间 %(until)s。")
                % {"until": timezone.localtime(task.due_until).strftime("%Y-%m-%d %H:%M")},
                link=f"{reverse('web:events')}?tab=patrols",
                about=task,
                key=f"patrol-missed:{task.pk}",
            )
    return marked


def patrol_events(user: Any) -> QuerySet[GridEvent]:
    """The events opened from patrol runs that the user reads."""
    return visible_events(user).filter(patrol_runs__isnull=False).distinct()


def watch(user: Any, tasks: QuerySet[PatrolTask], since: date | None = None) -> dict[str, Any]:
    """The missed tasks, the low-coverage runs and the unrectified problems among ``tasks`` (the
    caller's, already filtered), the newest first."""
    missed = tasks.filter(state=TaskState.MISSED).order_by("-due_until", "-id")
    runs = PatrolRun.objects.filter(
        task__in=tasks, finished_at__isnull=False, coverage__lt=settings.PATROL_COVERAGE_THRESHOLD
    ).order_by("-finished_at", "-id")
    open_events = (
        patrol_events(user).filter(state__in=OPEN, patrol_runs__task__in=tasks).order_by("-created_at")
    )
    if since is not None:
        start = _day_start(since)
        missed = missed.filter(due_until__gte=start)
        runs = runs.filter(finished_at__gte=start)
        open_events = open_events.filter(created_at__gte=start)
    return {
        "missed": missed[:WATCH_LIMIT],
        "low_coverage": runs[:WATCH_LIMIT],
        "unrectified": open_events[:WATCH_LIMIT],
    }


def places_due(user: Any, now: datetime | None = None) -> QuerySet[Place]:
    """The places the user reads that are due a patrol: never reached, or last reached longer ago
    than their class's ``patrol_every_days``; the longest waiting first (``last_visited_at``)."""
    every = ExpressionWrapper(
        F("place_class__patrol_every_days") * Value(timedelta(days=1)), output_field=DurationField()
    )
    return (
        Place.objects.filter(read_filter(user, "places"), place_class__patrol_every_days__gt=0)
        .annotate(
            last_visited_at=Max("patrol_visits__visited_at"),
            due_since=ExpressionWrapper(Value(now or timezone.now()) - every, output_field=DateTimeField()),
        )
        .filter(Q(last_visited_at__isnull=True) | Q(last_visited_at__lt=F("due_since")))
        .select_related("place_class")
        .order_by(F("last_visited_at").asc(nulls_first=True), "pk")
    )


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def worklog(user: Any, worker: Any, day: date) -> dict[str, Any]:
    """网格员工作日志: the tasks the worker walked or was due to walk that day (of those ``user``
    reads), the runs, the distance walked (all their tracks of the day), the points they tagged and
    the events they reported."""
    start = _day_start(day)
    end = start + timedelta(days=1)
    runs = PatrolRun.objects.filter(worker=worker, started_at__gte=start, started_at__lt=end).order_by(
        "started_at"
    )
    tasks = (
        visible_tasks(user)
        .filter(Q(worker=worker, due_from__lt=end, due_until__gte=start) | Q(runs__in=runs))
        .distinct()
        .order_by("due_until", "id")
    )
    tracks = PatrolTrack.objects.filter(worker=worker, started_at__gte=start, started_at__lt=end)
    return {
        "worker": worker,
        "date": day,
        "tasks": tasks,
        "runs": runs,
        "distance_m": round(tracks.aggregate(total=Sum("length_m"))["total"] or 0.0, 1),
        "points": FieldPoint.objects.filter(
            reporter=worker, reported_at__gte=start, reported_at__lt=end
        ).count(),
        "events": GridEvent.objects.filter(
            reporter=worker, created_at__gte=start, created_at__lt=end
        ).count(),
    }
