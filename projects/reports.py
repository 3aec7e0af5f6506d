"""招商项目报表与指标: the project reports and KPIs (issue 14 "Reports"; seed 001 L494–L535,
L580–L605; seed 003 L120).

Every figure starts from the same projects: those the caller may read (``policy.visible``, so
本级及下级), narrowed by the project list's filters (``projects.listing``: ``stage``, ``division``,
``industry``, ``status`` — live projects unless ``status=all`` or ``ended`` —, and the rest). Each
report is one SQL statement over those projects, so counting, paging and exporting it read the
same rows, and the KPIs are one aggregate statement (and a read of the targets and of the county
names) whatever the number of projects.

When a project entered a stage is the first ``ProjectEvent`` into that stage (``to_stage`` that
stage, ``from_stage`` another); a project without that event (imported, or seeded) falls back to
``stage_entered_at`` for the stage it is in now. Dates are local (``TIME_ZONE``), and durations are
calendar days.

**Introduced (新引进)** means signed: a project at or after 签约 was introduced on its
``signing_date`` (the date the city's re-check set), or else on the day it entered 签约. The annual
targets (``CountyTarget.new_projects`` and ``investment_wan``) count introduced projects.

Reports (``REPORTS``; ``from`` / ``to``, both optional and inclusive, bound the date named here)
====================  ========================================================================
``new_projects``      新引进项目清单: introduced projects, one row each (introduction date)
``started_completed`` 开工竣工: projects that started, with their start, completion and
                      production dates (start or completion date in the period)
``transfers``         流转项目: every transfer request, with origin, destination, status and
                      reason; scoped by where the project is now (request date)
``filings``           遴选备案: projects filed by the city's review, one row each (filing date)
``negotiating``       在谈项目概况: the projects in negotiation now, summed per county (the date
                      they entered negotiation)
``offices``           全市驻点招商机构新引进项目汇总: introduced projects summed per out-of-town
                      investment office (``Project.office``; introduction date)
====================  ========================================================================

The problem ledger (问题台账) is ``projects.ledger``'s, at ``/api/inspections/export.xlsx``; the
catalogue links it instead of repeating it.

KPIs (``kpis(user, params, year, month)``; amounts in 万元, rates as fractions: 0.75 is 75 %)
- ``year``, ``month``, ``division``: what was asked (``division`` the filter's code, or null).
- ``counts``: ``projects`` (every project of the scope now), ``in_reserve`` (备选库),
  ``by_stage`` (stage → count, every stage listed), ``introduced`` (introduced in the year).
- ``investment``: ``planned_wan``, the planned investment of the year's introduced projects;
  ``annual_wan``, the annual planned investment (``annual_investment_wan``, the current year's
  plan) of every project at or after 签约.
- ``billion_projects``: ``count`` and ``investment_wan`` of the year's introduced projects of
  ¥1 bn or more (``investment_wan`` ≥ 100000).
- ``foreign_capital``: ``count`` and ``investment_wan`` of the year's introduced foreign-capital
  projects.
- ``expected``: ``output_wan`` and ``tax_wan``, the expected annual output and tax of the year's
  introduced projects.
- ``signed_not_registered`` (已签约未注册): projects at or after 签约 whose enterprise is missing or
  has no registration date. ``completed_not_producing`` (已竣工未投产): projects at 竣工 now.
  ``producing_below_target`` (已投产未达产): projects at 投产 now.
- ``median_days``: ``signed_to_production``, ``completed_to_production``, ``production_to_target``,
  each ``{"days": median or null, "projects": how many}``, over the projects whose later moment
  falls in the year (those that went into production, or reached target output, that year).
- ``target``: ``new_projects`` and ``investment_wan``, the sum of the annual targets shown in
  ``by_county`` (null when none is set); ``completion``: ``new_projects`` and ``investment``, the
  year's introduced count and investment over that target (null without a target).
- ``by_county``: one row per county with introduced projects or a target the caller may read,
  by code: ``division`` (the county's code; the city's own for city-direct projects), ``name``,
  ``introduced``, ``investment_wan``, ``target`` (``new_projects``, ``investment_wan``, or null) and
  ``completion`` (``new_projects``, ``investment``: rates, null without a target).
- ``by_industry``: one row per industry of the year's introduced projects, largest investment
  first: ``industry`` (may be ""), ``label``, ``introduced``, ``investment_wan``, and
  ``completion``: its share of the ``target`` (null without one).
- ``periods``: ``this_month``, ``last_month`` and ``same_month_last_year``, each ``introduced``
  and ``investment_wan`` of the projects introduced in that month; ``month_on_month`` and
  ``year_on_year``, each the change in ``introduced`` and ``investment_wan`` as a rate (0.6 is
  +60 %), null when the earlier month had none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.db import models
from django.db.models import Field, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from rest_framework.exceptions import ValidationError

from core.months import change, month_start
from geoportal.replicas import read_chunked_cursor, read_cursor
from layers.models import Division, Enterprise, ProjectStage
from policy.actions import Action
from policy.predicates import visible
from policy.resources import PROJECTS
from policy.rules import allows

from .listing import filter_projects
from .models import CountyTarget, EventKind, Project, ProjectEvent, Review

BILLION_WAN = 100_000  # ¥1 bn in 万元
STAGES: tuple[str, ...] = tuple(ProjectStage.values)
SIGNED_OR_LATER: tuple[str, ...] = STAGES[STAGES.index(ProjectStage.SIGNED) :]
# The stages whose entry dates the reports and KPIs read.
ENTRY_STAGES: tuple[str, ...] = (
    ProjectStage.NEGOTIATING,
    ProjectStage.REVIEW,
    ProjectStage.SIGNED,
    ProjectStage.STARTED,
    ProjectStage.COMPLETED,
    ProjectStage.PRODUCTION,
    ProjectStage.TARGET_OUTPUT,
)
# The project columns the statements read (``p`` in ``_frame``).
COLUMNS = (
    "id",
    "code",
    "name",
    "industry",
    "division_id",
    "division_code",
    "stage",
    "stage_entered_at",
    "investment_wan",
    "annual_investment_wan",
    "expected_output_wan",
    "expected_tax_wan",
    "foreign_capital",
    "city_direct",
    "office",
    "progress_percent",
    "enterprise_id",
    "signing_date",
    "in_reserve",
    "pending",
    "pending_division_id",
)
EVENTS = ProjectEvent._meta.db_table
HISTORY = Project.history.model._meta.db_table
DIVISIONS = Division._meta.db_table
ENTERPRISES = Enterprise._meta.db_table
# The county a project belongs to: its division code cut to the county's six digits (the city's
# own code for city-direct projects).
COUNTY = "rpad(left({t}.division_code, 6), 12, '0')"


class TransferStatus(models.TextChoices):
    """Where a transfer request (流转申请) stands."""

    CITY = "city", _lazy("待市级审核")
    RECEIVING = "receiving", _lazy("待接收区县确认")
    TRANSFERRED = "transferred", _lazy("已流转")
    RETURNED = "returned", _lazy("已退回")


def _label(name: str) -> Any:
    """A project field's own label (its verbose name, translated when shown)."""
    return cast(Field, Project._meta.get_field(name)).verbose_name


@dataclass(frozen=True)
class Column:
    """One column of a report: its key in JSON, its translated label, its kind (how a value is
    shown: text, number, integer, date, datetime, bool, stage or transfer) and its SQL."""

    key: str
    label: Any
    kind: str
    sql: str


@dataclass(frozen=True)
class Period:
    """The inclusive dates a report's rows are bounded by (either may be open)."""

    start: date | None = None
    end: date | None = None

    def sql(self, expression: str) -> tuple[str, list[Any]]:
        """`` AND``-conditions keeping ``expression`` (a date) within the period."""
        parts, params = [], []
        if self.start:
            parts.append(f" AND {expression} >= %s")
            params.append(self.start)
        if self.end:
            parts.append(f" AND {expression} <= %s")
            params.append(self.end)
        return "".join(parts), params


@dataclass(frozen=True)
class Report:
    """A report: its columns, the ``FROM … WHERE …`` part of its statement for a period (over the
    frame's tables), and its order."""

    name: str
    title: Any
    columns: tuple[Column, ...]
    source: Callable[[Period], tuple[str, list[Any]]]
    order: str

    def header(self) -> list[str]:
        return [str(c.label) for c in self.columns]


# --- the shared frame: scoped projects with their stage dates -------------------------------------


def scoped_projects(user: Any, params: Mapping[str, Any]) -> QuerySet[Project]:
    """The projects the caller may read (本级及下级), narrowed by the project list's filters."""
    return filter_projects(visible(user, PROJECTS), params, user).order_by()


def _frame(projects: QuerySet[Project]) -> tuple[str, list[Any]]:
    """``WITH`` the scoped projects (``p``), each one's first entry into each stage (``entered``),
    and ``t``: the projects with those entries as local dates (``<stage>_on``) and the date they
    were introduced (``introduced_on``). One pass over the events of the scoped projects.

    Stage codes are the model's constants, never input, so they are written into the text."""
    sql, params = projects.values(*COLUMNS).query.sql_with_params()
    firsts = ", ".join(f"min(e.at) FILTER (WHERE e.to_stage = '{s}') AS {s}_at" for s in ENTRY_STAGES)
    dates = ", ".join(
        f"(COALESCE(en.{s}_at, CASE WHEN p.stage = '{s}' THEN p.stage_entered_at END)"
        f" AT TIME ZONE z.tz)::date AS {s}_on"
        for s in ENTRY_STAGES
    )
    text = (
        "WITH z AS (SELECT %s::text AS tz), "
        f"p AS ({sql}), "
        f"entered AS (SELECT e.project_id, {firsts} FROM {EVENTS} e JOIN p ON p.id = e.project_id "
        "WHERE e.from_stage <> e.to_stage GROUP BY e.project_id), "
        f"s AS (SELECT p.*, {dates} FROM p CROSS JOIN z LEFT JOIN entered en ON en.project_id = p.id), "
        # Materialized: its dates are read many times per row, and inlined they would be recomputed
        # (time-zone conversions) at every reference.
        "t AS MATERIALIZED (SELECT s.*, CASE WHEN s.stage = ANY(%s)"
        " THEN COALESCE(s.signing_date, s.signed_on) END AS introduced_on FROM s)"
    )
    return text, [settings.TIME_ZONE, *params, list(SIGNED_OR_LATER)]


# --- the reports -----------------------------------------------------------------------------------

CODE = Column("code", _label("code"), "text", "t.code")
NAME = Column("name", _label("name"), "text", "t.name")
DIVISION = Column("division", _label("division"), "text", "d.name")
INDUSTRY = Column("industry", _label("industry"), "text", "t.industry")
INVESTMENT = Column("investment_wan", _label("investment_wan"), "number", "t.investment_wan")
ANNUAL = Column("annual_investment_wan", _label("annual_investment_wan"), "number", "t.annual_investment_wan")
FOREIGN = Column("foreign_capital", _label("foreign_capital"), "bool", "t.foreign_capital")
STAGE = Column("stage", _label("stage"), "stage", "t.stage")
WITH_DIVISION = f"FROM t JOIN {DIVISIONS} d ON d.id = t.division_id"


def _new_projects(period: Period) -> tuple[str, list[Any]]:
    where, params = period.sql("t.introduced_on")
    return (
        f"{WITH_DIVISION} LEFT JOIN {ENTERPRISES} ent ON ent.id = t.enterprise_id "
        f"WHERE t.introduced_on IS NOT NULL{where}",
        params,
    )


def _started_completed(period: Period) -> tuple[str, list[Any]]:
    started, params = period.sql("t.started_on")
    completed, more = period.sql("t.completed_on")
    return (
        f"{WITH_DIVISION} WHERE (t.started_on IS NOT NULL{started})"
        f" OR (t.completed_on IS NOT NULL{completed})",
        params + more,
    )


def _transfers(period: Period) -> tuple[str, list[Any]]:
    """Every transfer request (the originating county's ``submit`` for the city's review: stage
    moves are first reviewed by the county). Origin and destination are the project's division
    and requested one as its history recorded them at the request; the outcome is the first
    transfer or return after it. Projects without history (bulk-loaded) fall back to what the
    project row still says."""
    where, params = period.sql("(e.at AT TIME ZONE z.tz)::date")
    return (
        f"FROM {EVENTS} e JOIN p t ON t.id = e.project_id CROSS JOIN z "
        f"LEFT JOIN LATERAL (SELECT h.division_id, h.pending_division_id FROM {HISTORY} h "
        "  WHERE h.id = e.project_id AND h.history_date <= e.at"
        "  ORDER BY h.history_date DESC, h.history_id DESC LIMIT 1) h ON TRUE "
        f"LEFT JOIN LATERAL (SELECT o.kind, o.at FROM {EVENTS} o "
        "  WHERE o.project_id = e.project_id AND (o.at, o.id) > (e.at, e.id)"
        f"  AND (o.kind = '{EventKind.TRANSFER}'"
        f"       OR (o.kind = '{EventKind.RETURN}' AND o.review IN ('{Review.CITY}', '{Review.RECEIVING}')))"
        "  ORDER BY o.at, o.id LIMIT 1) o ON TRUE "
        f"LEFT JOIN {DIVISIONS} fd ON fd.id = COALESCE(h.division_id,"
        "  CASE WHEN o.kind IS NULL THEN t.division_id END) "
        f"LEFT JOIN {DIVISIONS} td ON td.id = COALESCE(h.pending_division_id,"
        f"  CASE WHEN o.kind = '{EventKind.TRANSFER}' THEN t.division_id"
        "       WHEN o.kind IS NULL THEN t.pending_division_id END) "
        f"WHERE e.kind = '{EventKind.SUBMIT}' AND e.review = '{Review.CITY}'{where}",
        params,
    )


TRANSFER_STATUS = (
    f"CASE WHEN o.kind = '{EventKind.TRANSFER}' THEN '{TransferStatus.TRANSFERRED}'"
    f" WHEN o.kind = '{EventKind.RETURN}' THEN '{TransferStatus.RETURNED}'"
    f" WHEN t.pending = '{Review.RECEIVING}' THEN '{TransferStatus.RECEIVING}'"
    f" ELSE '{TransferStatus.CITY}' END"
)


def _filings(period: Period) -> tuple[str, list[Any]]:
    where, params = period.sql("t.review_on")
    return f"{WITH_DIVISION} WHERE t.review_on IS NOT NULL{where}", params


def _negotiating(period: Period) -> tuple[str, list[Any]]:
    where, params = period.sql("t.negotiating_on")
    county = COUNTY.format(t="t")
    return (
        f"FROM t LEFT JOIN {DIVISIONS} c ON c.code = {county} "
        f"WHERE t.stage = '{ProjectStage.NEGOTIATING}'{where} GROUP BY {county}, c.name",
        params,
    )


def _offices(period: Period) -> tuple[str, list[Any]]:
    where, params = period.sql("t.introduced_on")
    return f"FROM t WHERE t.office <> '' AND t.introduced_on IS NOT NULL{where} GROUP BY t.office", params


PROJECTS_N = _lazy("项目数（个）")
INVESTMENT_SUM = Column(
    "investment_wan", _label("investment_wan"), "number", "COALESCE(sum(t.investment_wan), 0)"
)
BILLION_N = Column(
    "billion",
    _lazy("10亿元以上项目（个）"),
    "integer",
    f"count(*) FILTER (WHERE t.investment_wan >= {BILLION_WAN})",
)
FOREIGN_N = Column(
    "foreign_capital", _lazy("外资项目（个）"), "integer", "count(*) FILTER (WHERE t.foreign_capital)"
)

REPORTS: dict[str, Report] = {
    r.name: r
    for r in [
        Report(
            "new_projects",
            _lazy("新引进项目清单"),
            (
                CODE,
                NAME,
                DIVISION,
                INDUSTRY,
                INVESTMENT,
                ANNUAL,
                FOREIGN,
                Column(
                    "expected_output_wan", _label("expected_output_wan"), "number", "t.expected_output_wan"
                ),
                Column("expected_tax_wan", _label("expected_tax_wan"), "number", "t.expected_tax_wan"),
                Column("office", _label("office"), "text", "t.office"),
                Column("introduced_on", _lazy("引进（签约）日期"), "date", "t.introduced_on"),
                Column(
                    "registered_on",
                    _lazy("企业注册日期"),
                    "date",
                    "ent.registered_on",
                ),
                STAGE,
            ),
            _new_projects,
            "ORDER BY t.introduced_on DESC, t.id DESC",
        ),
        Report(
            "started_completed",
            _lazy("开工竣工项目"),
            (
                CODE,
                NAME,
                DIVISION,
                INDUSTRY,
                INVESTMENT,
                ANNUAL,
                STAGE,
                Column("started_on", _lazy("开工日期"), "date", "t.started_on"),
                Column("completed_on", _lazy("竣工日期"), "date", "t.completed_on"),
                Column("production_on", _lazy("投产日期"), "date", "t.production_on"),
                Column("progress_percent", _label("progress_percent"), "integer", "t.progress_percent"),
            ),
            _started_completed,
            "ORDER BY COALESCE(t.completed_on, t.started_on) DESC, t.id DESC",
        ),
        Report(
            "transfers",
            _lazy("流转项目"),
            (
                CODE,
                NAME,
                Column("from_division", _lazy("流出区县"), "text", "fd.name"),
                Column("to_division", _lazy("接收区县"), "text", "td.name"),
                Column("status", _lazy("流转状态"), "transfer", TRANSFER_STATUS),
                Column("reason", _lazy("流转原因"), "text", "e.comment"),
                Column("requested_at", _lazy("申请时间"), "datetime", "e.at"),
                Column("decided_at", _lazy("办结时间"), "datetime", "o.at"),
                STAGE,
            ),
            _transfers,
            "ORDER BY e.at DESC, e.id DESC",
        ),
        Report(
            "filings",
            _lazy("遴选备案项目"),
            (
                CODE,
                NAME,
                DIVISION,
                INDUSTRY,
                INVESTMENT,
                FOREIGN,
                Column("city_direct", _label("city_direct"), "bool", "t.city_direct"),
                Column("filed_on", _lazy("备案日期"), "date", "t.review_on"),
                STAGE,
            ),
            _filings,
            "ORDER BY t.review_on DESC, t.id DESC",
        ),
        Report(
            "negotiating",
            _lazy("在谈项目概况"),
            (
                Column("division", _lazy("区县"), "text", "COALESCE(c.name, '')"),
                Column("projects", PROJECTS_N, "integer", "count(*)"),
                Column(
                    "in_reserve", _lazy("其中备选库（个）"), "integer", "count(*) FILTER (WHERE t.in_reserve)"
                ),
                Column(
                    "city_direct",
                    _lazy("其中市直首谈（个）"),
                    "integer",
                    "count(*) FILTER (WHERE t.city_direct)",
                ),
                FOREIGN_N,
                BILLION_N,
                INVESTMENT_SUM,
            ),
            _negotiating,
            f"ORDER BY {COUNTY.format(t='t')}",
        ),
        Report(
            "offices",
            _lazy("全市驻点招商机构新引进项目汇总"),
            (
                Column("office", _label("office"), "text", "t.office"),
                Column("projects", PROJECTS_N, "integer", "count(*)"),
                INVESTMENT_SUM,
                BILLION_N,
                FOREIGN_N,
                Column(
                    "expected_output_wan",
                    _label("expected_output_wan"),
                    "number",
                    "COALESCE(sum(t.expected_output_wan), 0)",
                ),
                Column(
                    "expected_tax_wan",
                    _label("expected_tax_wan"),
                    "number",
                    "COALESCE(sum(t.expected_tax_wan), 0)",
                ),
            ),
            _offices,
            "ORDER BY projects DESC, t.office",
        ),
    ]
}


def period_from(params: Mapping[str, Any]) -> Period:
    """``from`` and ``to`` (YYYY-MM-DD, inclusive); a 400 naming the parameter otherwise."""
    found: dict[str, date | None] = {}
    for name in ("from", "to"):
        raw = str(params.get(name, "")).strip()
        try:
            found[name] = parse_date(raw) if raw else None
        except ValueError:  # well formed, but no such day (2026-13-01)
            found[name] = None
        if raw and found[name] is None:
            raise ValidationError({name: [_("Give the date as YYYY-MM-DD, such as 2026-01-31.")]})
    start, end = found["from"], found["to"]
    if start and end and start > end:
        raise ValidationError({"to": [_("The end date comes before the start date; swap them.")]})
    return Period(start, end)


def _statement(report: Report, user: Any, params: Mapping[str, Any], period: Period) -> tuple[str, list[Any]]:
    frame, args = _frame(scoped_projects(user, params))
    source, more = report.source(period)
    select = ", ".join(f"{c.sql} AS {c.key}" for c in report.columns)
    return f"{frame} SELECT {select} {source} {report.order}", [*args, *more]


def count(report: Report, user: Any, params: Mapping[str, Any], period: Period) -> int:
    """How many rows the report has for these filters (groups, for the summaries)."""
    frame, args = _frame(scoped_projects(user, params))
    source, more = report.source(period)
    with read_cursor() as cursor:
        cursor.execute(f"{frame} SELECT count(*) FROM (SELECT 1 {source}) r", [*args, *more])
        return int(cursor.fetchone()[0])


def page(
    report: Report, user: Any, params: Mapping[str, Any], period: Period, limit: int, offset: int
) -> list[dict[str, Any]]:
    """One page of the report's rows as JSON values, keyed by column."""
    sql, args = _statement(report, user, params, period)
    with read_cursor() as cursor:
        cursor.execute(f"{sql} LIMIT %s OFFSET %s", [*args, limit, offset])
        return [
            {c.key: _json_value(c.kind, v) for c, v in zip(report.columns, row, strict=True)}
            for row in cursor.fetchall()
        ]


def sheet_rows(report: Report, user: Any, params: Mapping[str, Any], period: Period) -> Iterator[list[Any]]:
    """Every row of the report as spreadsheet values, streamed from a server-side cursor (an
    export may be the whole city's projects)."""
    sql, args = _statement(report, user, params, period)
    with read_chunked_cursor() as cursor:
        cursor.execute(sql, args)
        while chunk := cursor.fetchmany(2000):
            for row in chunk:
                yield [_sheet_value(c.kind, v) for c, v in zip(report.columns, row, strict=True)]


def _json_value(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "number":
        return float(value)
    if kind == "date":
        return value.isoformat()
    if kind in {"datetime", "stage", "transfer"}:
        return _text(kind, value)
    return value


def _sheet_value(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "number":
        return float(value)
    if kind == "bool":
        return _("是") if value else _("否")
    if kind in {"datetime", "stage", "transfer"}:
        return _text(kind, value)
    return value


def _text(kind: str, value: Any) -> str:
    if kind == "datetime":
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if kind == "stage":
        return str(ProjectStage(value).label)
    return str(TransferStatus(value).label)


# --- the KPIs --------------------------------------------------------------------------------------


def _bounds(year: int, month: int) -> tuple[str, list[Any]]:
    """``b``: the year, the month, the month before and the same month a year before, each as a
    half-open range of dates."""
    values = [
        date(year, 1, 1),
        date(year + 1, 1, 1),
        month_start(year, month),
        month_start(year, month, 1),
        month_start(year, month, -1),
        month_start(year, month, -12),
        month_start(year, month, -11),
    ]
    return (
        ", b AS (SELECT %s::date AS y0, %s::date AS y1, %s::date AS m0, %s::date AS m1, %s::date AS lm0,"
        " %s::date AS ly0, %s::date AS ly1, %s::varchar[] AS later)",
        [*values, list(SIGNED_OR_LATER)],
    )


IN_YEAR = "t.introduced_on >= b.y0 AND t.introduced_on < b.y1"
IN_BILLION = f"{IN_YEAR} AND t.investment_wan >= {BILLION_WAN}"


def _within(column: str) -> str:
    return f"{column} >= b.y0 AND {column} < b.y1"


MEDIANS = {
    "signed_to_production": ("t.production_on", "t.introduced_on"),
    "completed_to_production": ("t.production_on", "t.completed_on"),
    "production_to_target": ("t.target_output_on", "t.production_on"),
}
MONTHS = {
    "this_month": "t.introduced_on >= b.m0 AND t.introduced_on < b.m1",
    "last_month": "t.introduced_on >= b.lm0 AND t.introduced_on < b.m0",
    "same_month_last_year": "t.introduced_on >= b.ly0 AND t.introduced_on < b.ly1",
}


@dataclass
class Aggregates:
    """What the one KPI statement returns: the scope's figures (``totals``, by column name), and
    the year's introduced projects (count, investment) per county code and per industry."""

    totals: dict[str, Any]
    counties: dict[str, tuple[int, float]]
    industries: list[tuple[str, int, float]]


def _aggregate(frame: str, args: list[Any]) -> Aggregates:
    """Every figure in one statement over ``t``, so the frame is built once: grouped by the empty
    set (the whole scope: counts by stage, the year's introduced projects, the states, the medians
    and the three months), by county and by industry (the groups read only the introduced count
    and investment)."""
    county = COUNTY.format(t="t")
    parts = [
        f"GROUPING({county}) AS by_county",
        "GROUPING(t.industry) AS by_industry",
        f"{county} AS county",
        "t.industry",
        "count(*) AS projects",
        "count(*) FILTER (WHERE t.in_reserve) AS in_reserve",
        *(f"count(*) FILTER (WHERE t.stage = '{s}') AS stage_{s}" for s in STAGES),
        f"count(*) FILTER (WHERE {IN_YEAR}) AS introduced",
        f"sum(t.investment_wan) FILTER (WHERE {IN_YEAR}) AS planned_wan",
        "sum(t.annual_investment_wan) FILTER (WHERE t.stage = ANY(b.later)) AS annual_wan",
        f"count(*) FILTER (WHERE {IN_BILLION}) AS billion",
        f"sum(t.investment_wan) FILTER (WHERE {IN_BILLION}) AS billion_wan",
        f"count(*) FILTER (WHERE {IN_YEAR} AND t.foreign_capital) AS foreign_n",
        f"sum(t.investment_wan) FILTER (WHERE {IN_YEAR} AND t.foreign_capital) AS foreign_wan",
        f"sum(t.expected_output_wan) FILTER (WHERE {IN_YEAR}) AS output_wan",
        f"sum(t.expected_tax_wan) FILTER (WHERE {IN_YEAR}) AS tax_wan",
        "count(*) FILTER (WHERE t.stage = ANY(b.later) AND ent.registered_on IS NULL) AS not_registered",
        f"count(*) FILTER (WHERE t.stage = '{ProjectStage.COMPLETED}') AS not_producing",
        f"count(*) FILTER (WHERE t.stage = '{ProjectStage.PRODUCTION}') AS below_target",
    ]
    for key, (later, earlier) in MEDIANS.items():
        among = f"{_within(later)} AND {earlier} IS NOT NULL"
        median = f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {later} - {earlier})"
        parts.append(f"{median} FILTER (WHERE {among}) AS {key}")
        parts.append(f"count(*) FILTER (WHERE {among}) AS {key}_n")
    for key, condition in MONTHS.items():
        parts.append(f"count(*) FILTER (WHERE {condition}) AS {key}")
        parts.append(f"sum(t.investment_wan) FILTER (WHERE {condition}) AS {key}_wan")
    sql = (
        f"{frame} SELECT {', '.join(parts)} FROM t CROSS JOIN b "
        f"LEFT JOIN {ENTERPRISES} ent ON ent.id = t.enterprise_id "
        f"GROUP BY GROUPING SETS ((), ({county}), (t.industry))"
    )
    with read_cursor() as cursor:
        cursor.execute(sql, args)
        names = [c.name for c in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    # GROUPING() is 1 for the column a row is not grouped by: the whole scope is (1, 1).
    totals = next(r for r in rows if r["by_county"] and r["by_industry"])
    groups = [r for r in rows if r["introduced"] and not (r["by_county"] and r["by_industry"])]
    industries = [
        (r["industry"], r["introduced"], _amount(r["planned_wan"])) for r in groups if not r["by_industry"]
    ]
    return Aggregates(
        totals,
        {r["county"]: (r["introduced"], _amount(r["planned_wan"])) for r in groups if not r["by_county"]},
        sorted(industries, key=lambda i: (-i[2], i[0])),
    )


def _visible_targets(user: Any, params: Mapping[str, Any], year: int) -> dict[str, CountyTarget]:
    """The year's county targets whose county the caller reads projects of (asked of the policy,
    with an unsaved project of that county), within the ``division`` filter."""
    targets = CountyTarget.objects.filter(year=year).select_related("division")
    code = str(params.get("division", "")).strip()
    if code:
        division = Division.objects.get(code=code)  # filter_projects has refused an unknown code
        targets = targets.filter(division__code__startswith=division.prefix)
    return {
        t.division.code: t
        for t in targets
        if allows(user, PROJECTS, Action.READ, Project(division_code=t.division.code))
    }


def _amount(value: Decimal | float | None) -> float:
    return round(float(value or 0), 2)


def _rate(part: float, whole: float | Decimal | None) -> float | None:
    return round(float(part) / float(whole), 4) if whole else None


def _completion(n: int, wan: float, target: tuple[int, Decimal] | None) -> dict[str, float | None]:
    """``n`` projects and ``wan`` of investment against a target (projects, investment)."""
    return {
        "new_projects": _rate(n, target[0]) if target else None,
        "investment": _rate(wan, target[1]) if target else None,
    }


def _changes(now: Mapping[str, Any], before: Mapping[str, Any]) -> dict[str, float | None]:
    return {key: change(float(now[key]), float(before[key])) for key in ("introduced", "investment_wan")}


def _by_county(
    counties: dict[str, tuple[int, float]], targets: dict[str, CountyTarget]
) -> list[dict[str, Any]]:
    """The year's introduced projects per county, beside each county's target (when the caller may
    read it)."""
    codes = sorted(set(counties) | set(targets))
    names = dict(Division.objects.filter(code__in=codes).values_list("code", "name"))
    rows = []
    for code in codes:
        n, wan = counties.get(code, (0, 0.0))
        target = targets.get(code)
        rows.append(
            {
                "division": code,
                "name": names.get(code, ""),
                "introduced": n,
                "investment_wan": wan,
                "target": (
                    {"new_projects": target.new_projects, "investment_wan": _amount(target.investment_wan)}
                    if target
                    else None
                ),
                "completion": _completion(
                    n, wan, (target.new_projects, target.investment_wan) if target else None
                ),
            }
        )
    return rows


def kpis(user: Any, params: Mapping[str, Any], year: int, month: int) -> dict[str, Any]:
    """The KPI report (every key in the module docstring): one aggregate statement over the scoped
    projects, one read of the targets and one of the county names."""
    frame, args = _frame(scoped_projects(user, params))
    bounds, more = _bounds(year, month)
    found = _aggregate(frame + bounds, [*args, *more])
    row = found.totals
    targets = _visible_targets(user, params, year)
    total = (
        (
            sum(t.new_projects for t in targets.values()),
            sum((t.investment_wan for t in targets.values()), Decimal(0)),
        )
        if targets
        else None
    )
    months = {key: {"introduced": row[key], "investment_wan": _amount(row[f"{key}_wan"])} for key in MONTHS}
    return {
        "year": year,
        "month": month,
        "division": str(params.get("division", "")).strip() or None,
        "counts": {
            "projects": row["projects"],
            "in_reserve": row["in_reserve"],
            "by_stage": {s: row[f"stage_{s}"] for s in STAGES},
            "introduced": row["introduced"],
        },
        "investment": {"planned_wan": _amount(row["planned_wan"]), "annual_wan": _amount(row["annual_wan"])},
        "billion_projects": {"count": row["billion"], "investment_wan": _amount(row["billion_wan"])},
        "foreign_capital": {"count": row["foreign_n"], "investment_wan": _amount(row["foreign_wan"])},
        "expected": {"output_wan": _amount(row["output_wan"]), "tax_wan": _amount(row["tax_wan"])},
        "signed_not_registered": row["not_registered"],
        "completed_not_producing": row["not_producing"],
        "producing_below_target": row["below_target"],
        "median_days": {
            key: {
                "days": round(row[key], 1) if row[key] is not None else None,
                "projects": row[f"{key}_n"],
            }
            for key in MEDIANS
        },
        "target": {"new_projects": total[0], "investment_wan": _amount(total[1])} if total else None,
        "completion": _completion(row["introduced"], _amount(row["planned_wan"]), total),
        "by_county": _by_county(found.counties, targets),
        "by_industry": [
            {
                "industry": industry,
                "label": industry or _("未分类"),
                "introduced": n,
                "investment_wan": wan,
                "completion": _completion(n, wan, total),
            }
            for industry, n, wan in found.industries
        ],
        "periods": {
            **months,
            "month_on_month": _changes(months["this_month"], months["last_month"]),
            "year_on_year": _changes(months["this_month"], months["same_month_last_year"]),
        },
    }


def introduced_by_month(projects: QuerySet[Project], since: date) -> dict[date, tuple[int, float]]:
    """The projects of ``projects`` introduced (signed, as the KPIs count it) in each month from
    ``since`` on: month → (count, planned investment in 万元). The wall's trend of signed investment."""
    frame, args = _frame(projects)
    sql = (
        f"{frame} SELECT date_trunc('month', t.introduced_on)::date AS month, count(*),"
        " sum(t.investment_wan) FROM t WHERE t.introduced_on >= %s GROUP BY 1"
    )
    with read_cursor() as cursor:
        cursor.execute(sql, [*args, since])
        return {month: (n, _amount(wan)) for month, n, wan in cursor.fetchall()}


def year_month(params: Mapping[str, Any], today: date | None = None) -> tuple[int, int]:
    """``year`` (default this year, 2000–2100) and ``month`` (default this month, 1–12); a 400
    naming the parameter otherwise."""
    today = today or timezone.localdate()
    ranges = {"year": (today.year, 2000, 2100), "month": (today.month, 1, 12)}
    found: dict[str, int] = {}
    for name, (default, low, high) in ranges.items():
        raw = str(params.get(name, "")).strip()
        value = default if not raw else int(raw) if raw.isdigit() else low - 1
        if not low <= value <= high:
            message = _("Give a whole number from %(low)s to %(high)s.") % {"low": low, "high": high}
            raise ValidationError({name: [message]})
        found[name] = value
    return found["year"], found["month"]


def catalogue_columns(report: Report) -> list[dict[str, str]]:
    """The report's columns for JSON: key, translated label, and type (how to show the value)."""
    return [{"key": c.key, "label": str(c.label), "type": c.kind} for c in report.columns]
