"""事件统计 (issue 15 "Statistics"): grid events by division, category and status, with the on-time
rate, the median time of each step, and the overdue and escalated counts.

Every figure starts from the same events: those of the caller's area (``policy.visible`` over
``GRID_EVENTS``, so 本级及下级 — an event dispatched to a department elsewhere is that area's
figure, not the department's), narrowed by ``division`` (a 12-digit code inside the area),
``category`` (a key) and ``since`` / ``until`` (the local dates of report, inclusive). The counts are
one aggregate statement over those events and the medians one over their steps, each grouped by
``GROUPING SETS`` (the whole, each division, each category, each status), whatever the number of
events; the rest is a read of the division and category names.

**By division** means per division one level below the one looked at: ``division``, or else the
caller's own (a city user's counties, a county user's towns, a town user's villages; a village, or
a grid worker's cell, is shown as its village). Every such division is listed, with zeros when it
has no events; events outside every village (no ``division_code``) are a row with an empty code.

Each row (``totals`` and every row of ``by_division``, ``by_category``, ``by_status``):

- ``count``: events reported; ``open``: not yet closed, rejected or merged (``OPEN_STATES``);
  ``closed``: 已结案.
- ``overdue``: open events the deadline sweep (``grid.deadlines``) found past due in the state they
  are in now (an ``EventWarning`` "overdue" for their current stay: a step taken since clears it,
  even before the next sweep resets the card).
- ``escalated``: events escalated at least once (``escalation`` > 0), whatever their state.
- ``on_time_rate``: of the closed events, the share never overdue in any state (no "overdue"
  ``EventWarning`` at all), a fraction (0.75 is 75 %); null without closed events. Chosen over a
  per-step rate because a warning is the sweep's own verdict in working days, kept for good, so
  the rate needs no working-day arithmetic of its own and agrees with the warnings people got.
- ``median_hours`` and ``median_workdays``: for each step of ``STEPS``, the median time the events
  took over it (``percentile_cont(0.5)``), null when none took it. A step is timed from entering
  the state it starts in to the action that completes it: the workflow writes when it started on
  the action that completes it (``EventAction.step_started_at``, ``grid.models.TIMED_STEPS``), so
  the statistics read one column instead of ordering every event's history:

  ==========  ================================================  ============================
  step        from                                              to
  ==========  ================================================  ============================
  accept      the report (or the action before, if any)         受理 (accept)
  dispatch    受理                                              分拨 (dispatch)
  handle      the latest 分拨 or 转派 into 已派遣               反馈 (feedback)
  verify      反馈                                              核查通过 (verify)
  ==========  ================================================  ============================

  An event that went round twice (核查未通过) counts each round. Working days count as the
  deadlines do (``workdays.calendar``): the working days after the day the step started, up to and
  including the day it ended, so a step done the same day is 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from rest_framework.exceptions import ValidationError

from layers.api.filters import LookedAt, looked_at
from layers.models import Division, EventStatus
from layers.models.divisions import PREFIX_LENGTH
from policy.predicates import visible
from policy.resources import GRID_EVENTS
from workdays.calendar import WorkdayIndex

from .models import TIMED_STEPS, EventAction, EventCategory, EventWarning, GridEvent

S = EventStatus
# Open: everything not yet at an end (verified events still wait to be closed).
OPEN_STATES: tuple[str, ...] = tuple(s for s in S.values if s not in (S.CLOSED, S.REJECTED, S.MERGED))
# The timed steps, and the action that completes each.
STEPS: tuple[str, ...] = ("accept", "dispatch", "handle", "verify")
STEP_LABELS = {
    "accept": _lazy("受理"),
    "dispatch": _lazy("分拨"),
    "handle": _lazy("处置"),
    "verify": _lazy("核查"),
}
# The actions that complete a timed step.
TIMED_ACTIONS: tuple[str, ...] = tuple(TIMED_STEPS)
EVENTS = GridEvent._meta.db_table
ACTIONS = EventAction._meta.db_table
WARNINGS = EventWarning._meta.db_table
COLUMNS = ("id", "division_code", "category_id", "state", "state_entered_at", "escalation", "created_at")


@dataclass(frozen=True)
class Filters:
    """What the statistics are about: the division looked at (its children are the rows of
    ``by_division``), the optional category and the dates of report."""

    place: LookedAt
    category: EventCategory | None = None
    since: date | None = None
    until: date | None = None

    @property
    def division(self) -> Division | None:
        return self.place.division

    @property
    def child_level(self) -> str:
        return self.place.rows

    @property
    def asked(self) -> bool:
        return self.place.asked

    def narrow(self, events: QuerySet[GridEvent]) -> QuerySet[GridEvent]:
        if self.asked and self.division is not None:
            events = events.filter(division_code__startswith=self.division.prefix)
        if self.category is not None:
            events = events.filter(category=self.category)
        # Local dates (the current time zone, TIME_ZONE).
        if self.since:
            events = events.filter(created_at__date__gte=self.since)
        if self.until:
            events = events.filter(created_at__date__lte=self.until)
        return events


def _date(params: Mapping[str, Any], name: str) -> date | None:
    raw = str(params.get(name, "")).strip()
    try:
        found = parse_date(raw) if raw else None
    except ValueError:  # well formed, but no such day (2026-13-01)
        found = None
    if raw and found is None:
        raise ValidationError({name: [_("Give the date as YYYY-MM-DD, such as 2026-01-31.")]})
    return found


def filters_from(user: Any, params: Mapping[str, Any]) -> Filters:
    """``division``, ``category``, ``since`` and ``until`` from the query; a 400 naming the parameter,
    or a 403 for a division outside the caller's area."""
    place = looked_at(user, str(params.get("division", "")).strip())
    key = str(params.get("category", "")).strip()
    category = EventCategory.objects.filter(key=key).first() if key else None
    if key and category is None:
        raise ValidationError({"category": [_("No event category with this key.")]})
    since, until = _date(params, "since"), _date(params, "until")
    if since and until and since > until:
        raise ValidationError({"until": [_("The end date comes before the start date; swap them.")]})
    return Filters(place, category, since, until)


def _events(user: Any, filters: Filters) -> tuple[str, list[Any]]:
    """``WITH e``: the scoped events, each with the code of the division it counts under
    (``division_key``)."""
    events = filters.narrow(visible(user, GRID_EVENTS)).order_by()
    sql, params = events.values(*COLUMNS).query.sql_with_params()
    digits = PREFIX_LENGTH[filters.child_level]
    # Collated "C": it is grouped (sorted) by, and a code needs no language's collation.
    key = (
        f"CASE WHEN s.division_code = '' THEN '' ELSE rpad(left(s.division_code, {digits}), 12, '0') END"
        ' COLLATE "C"'
    )
    return f"WITH e AS (SELECT s.*, {key} AS division_key FROM ({sql}) s)", list(params)


# The whole and the three groupings.
GROUPS = "GROUPING SETS ((), ({k}division_key), ({k}category_id), ({k}state))"


def _which(row: Mapping[str, Any]) -> str | None:
    """Which grouping a row is (GROUPING() is 1 for a column the row is not grouped by)."""
    if not row["g_division"]:
        return "division"
    if not row["g_category"]:
        return "category"
    if not row["g_state"]:
        return "status"
    return None


def _key(row: Mapping[str, Any], which: str | None) -> Any:
    columns = {"division": "division_key", "category": "category_id", "status": "state"}
    return row[columns[which]] if which else None


def _grouping(prefix: str) -> str:
    return (
        f"GROUPING({prefix}division_key) AS g_division, GROUPING({prefix}category_id) AS g_category, "
        f"GROUPING({prefix}state) AS g_state, {prefix}division_key, {prefix}category_id, {prefix}state"
    )


def _rows(sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [c.name for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _counts(events: str, args: list[Any]) -> dict[tuple[str | None, Any], dict[str, Any]]:
    """The counts of every group in one statement over ``t``: the events with whether each was ever
    overdue, and whether it is now (``late``: its overdue warnings)."""
    sql = (
        f"{events}, "
        "late AS (SELECT w.event_id, bool_or(w.state_entered_at = e.state_entered_at) AS now_late"
        f" FROM {WARNINGS} w JOIN e ON e.id = w.event_id WHERE w.kind = 'overdue' GROUP BY w.event_id), "
        "t AS (SELECT e.*, late.event_id IS NOT NULL AS ever_late,"
        " COALESCE(late.now_late, false) AS now_late FROM e LEFT JOIN late ON late.event_id = e.id) "
        f"SELECT {_grouping('t.')}, count(*) AS count,"
        " count(*) FILTER (WHERE t.state = ANY(%s)) AS open,"
        " count(*) FILTER (WHERE t.state = %s) AS closed,"
        " count(*) FILTER (WHERE t.state = ANY(%s) AND t.now_late) AS overdue,"
        " count(*) FILTER (WHERE t.escalation > 0) AS escalated,"
        " count(*) FILTER (WHERE t.state = %s AND NOT t.ever_late) AS closed_on_time,"
        " min(t.created_at) AS first_report, max(t.state_entered_at) AS last_change"
        f" FROM t GROUP BY {GROUPS.format(k='t.')}"
    )
    rows = _rows(sql, [*args, list(OPEN_STATES), S.CLOSED, list(OPEN_STATES), S.CLOSED])
    return {(_which(r), _key(r, _which(r))): r for r in rows}


def _workdays(start: date, end: date) -> list[int]:
    """For each day from ``start`` to ``end``, the working days after ``start`` up to it."""
    return WorkdayIndex(start, max(start, end)).counted


def _medians(
    events: str, args: list[Any], first: date, last: date
) -> dict[tuple[str | None, Any], dict[str, Any]]:
    """The median hours and working days of each step, per group, in one statement over the scoped
    events' ``TIMED_ACTIONS`` (each with when its step started). A step's working days are read
    from an array of the working days counted up to each day since ``first`` (``_workdays``), by
    the day's offset."""
    counted = _workdays(first, last)
    # The day's offset into ``counted`` (a constant array: the same one for every row).
    day = "(%s::int[])[(({t}) AT TIME ZONE %s)::date - %s::date + 1]"
    sql = (
        f"{events}, "
        "b AS (SELECT e.division_key, e.category_id, e.state, x.at AS ended, x.step_started_at AS started,"
        " CASE x.step WHEN 'feedback' THEN 'handle' ELSE x.step END AS step"  # TIMED_STEPS
        f" FROM {ACTIONS} x JOIN e ON e.id = x.event_id"
        " WHERE x.step = ANY(%s) AND x.step_started_at IS NOT NULL), "
        "d AS (SELECT b.division_key, b.category_id,"
        ' b.state COLLATE "C" AS state, b.step COLLATE "C" AS step,'
        " extract(epoch FROM b.ended - b.started) / 3600 AS hours,"
        f" {day.format(t='b.ended')} - {day.format(t='b.started')} AS workdays"
        " FROM b WHERE b.started IS NOT NULL) "
        f"SELECT {_grouping('d.')}, d.step,"
        " percentile_cont(0.5) WITHIN GROUP (ORDER BY d.hours) AS hours,"
        " percentile_cont(0.5) WITHIN GROUP (ORDER BY d.workdays) AS workdays"
        f" FROM d GROUP BY {GROUPS.format(k='d.')}, d.step"
    )
    zone = settings.TIME_ZONE
    rows = _rows(sql, [*args, list(TIMED_ACTIONS), counted, zone, first, counted, zone, first])
    found: dict[tuple[str | None, Any], dict[str, Any]] = {}
    for r in rows:
        which = _which(r)
        medians = found.setdefault((which, _key(r, which)), {"hours": {}, "workdays": {}})
        medians["hours"][r["step"]] = round(r["hours"], 1)
        medians["workdays"][r["step"]] = round(r["workdays"], 1) if r["workdays"] is not None else None
    return found


def _row(counts: Mapping[str, Any] | None, medians: Mapping[str, Any] | None) -> dict[str, Any]:
    c = counts or {}
    m = medians or {"hours": {}, "workdays": {}}
    closed = c.get("closed", 0)
    return {
        "count": c.get("count", 0),
        "open": c.get("open", 0),
        "closed": closed,
        "overdue": c.get("overdue", 0),
        "escalated": c.get("escalated", 0),
        "on_time_rate": round(c["closed_on_time"] / closed, 4) if closed else None,
        "median_hours": {step: m["hours"].get(step) for step in STEPS},
        "median_workdays": {step: m["workdays"].get(step) for step in STEPS},
    }


def statistics(user: Any, params: Mapping[str, Any]) -> dict[str, Any]:
    """The statistics (every key in the module docstring): two aggregate statements over the scoped
    events and their steps, and a read of the division and category names."""
    filters = filters_from(user, params)
    events, args = _events(user, filters)
    counts = _counts(events, args)
    whole = counts.get((None, None))
    # The working days span from the first report to the last step taken (the latest state entry).
    medians = (
        _medians(
            events, args, timezone.localdate(whole["first_report"]), timezone.localdate(whole["last_change"])
        )
        if whole and whole["first_report"]
        else {}
    )

    def row(which: str | None, key: Any) -> dict[str, Any]:
        return _row(counts.get((which, key)), medians.get((which, key)))

    divisions = filters.place.children()
    listed = {code for code, _name in divisions}
    # Events outside every listed division (no village found for their place) keep their own row.
    others = sorted(k for (which, k) in counts if which == "division" and k not in listed)
    names = dict(Division.objects.filter(code__in=others).values_list("code", "name"))
    used = {k for (which, k) in counts if which == "category"}
    categories = EventCategory.objects.filter(pk__in=used) | EventCategory.objects.filter(active=True)
    if filters.category is not None:
        categories = EventCategory.objects.filter(pk=filters.category.pk)
    division = filters.division
    english = (get_language() or "").startswith("en")
    return {
        "division": (
            {"code": division.code, "name": division.name, "level": division.level} if division else None
        ),
        "by": filters.child_level,
        "category": filters.category.key if filters.category else None,
        "since": filters.since,
        "until": filters.until,
        "steps": [{"key": step, "label": str(STEP_LABELS[step])} for step in STEPS],
        "totals": row(None, None),
        "by_division": [
            {"division": code, "name": name, **row("division", code)}
            for code, name in [*divisions, *((k, names.get(k, "")) for k in others)]
        ],
        "by_category": [
            {"category": c.key, "name": c.name_en if english else c.name_zh, **row("category", c.pk)}
            for c in categories.distinct().order_by("key")
        ],
        "by_status": [
            {"state": value, "label": str(label), **row("status", value)} for value, label in S.choices
        ],
    }


# --- the workbook ----------------------------------------------------------------------------------

DIMENSION_LABELS = {
    "totals": _lazy("合计"),
    "by_division": _lazy("区划"),
    "by_category": _lazy("事件类别"),
    "by_status": _lazy("状态"),
}


def sheet_header() -> list[str]:
    """The workbook's columns: the grouping, the group's code and name, the counts, the rate, and
    the medians of each step in hours and in working days."""
    return [
        _("分组"),
        _("代码"),
        _("名称"),
        _("事件数"),
        _("在办"),
        _("已结案"),
        _("逾期"),
        _("已升级"),
        _("按时办结率"),
        *(_("%(step)s中位时长（小时）") % {"step": STEP_LABELS[s]} for s in STEPS),
        *(_("%(step)s中位时长（工作日）") % {"step": STEP_LABELS[s]} for s in STEPS),
    ]


def sheet_rows(found: Mapping[str, Any]) -> list[list[Any]]:
    """The statistics as the workbook's rows: the totals first, then every group, in the JSON's order."""
    groups: list[tuple[str, str, str, Mapping[str, Any]]] = [("totals", "", "", found["totals"])]
    groups += [("by_division", r["division"], r["name"], r) for r in found["by_division"]]
    groups += [("by_category", r["category"], r["name"], r) for r in found["by_category"]]
    groups += [("by_status", r["state"], r["label"], r) for r in found["by_status"]]
    return [
        [
            str(DIMENSION_LABELS[group]),
            code,
            name,
            r["count"],
            r["open"],
            r["closed"],
            r["overdue"],
            r["escalated"],
            r["on_time_rate"],
            *(r["median_hours"][s] for s in STEPS),
            *(r["median_workdays"][s] for s in STEPS),
        ]
        for group, code, name, r in groups
    ]
