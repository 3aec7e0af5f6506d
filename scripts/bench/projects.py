"""Investment projects at the issue's scale (20,000 projects in the demo city).

    make run   # the demo city (DEMO_SCALE=1 for the reference numbers)
    .venv/bin/python scripts/bench/projects.py [--projects 20000] [--runs 30]

Inside one transaction that is rolled back, so the demo database keeps nothing:
- **sweep**: ``projects.warnings.sweep`` over every open project (target ≤ 10 s), against the floor
  of reading the same rows;
- **list**: ``GET /api/projects/?stage=negotiating&page_size=50`` as a city officer, in-process, p50
  and p95 (target p95 ≤ 300 ms), against the bare SQL of that page;
- **board**: ``GET /api/projects/board/`` (each stage's count and 50 latest cards), against its two
  bare queries (target p95 ≤ 300 ms);
- **kpis**: the all-county KPI report, ``GET /api/projects/kpis/?year=…&month=…`` as a city officer,
  in-process (target ≤ 1 s), against the floor (the bare SQL aggregates over the same projects and
  events, from a cursor) and a peer (one query fetching the projects with their stage events, then
  pandas pivots and groups them). The three run interleaved, one call of each per round, so a noisy
  neighbour slows them alike; the peer's answer is checked against ours.

The projects get the fields the KPIs read (industry, investment, office, foreign capital, signing
date) and an event for every stage they entered, a few weeks apart, ending on ``stage_entered_at``;
the two tables are analysed before anything is measured. (ANALYZE's row counts in ``pg_class`` are
not rolled back: the demo database's planner over-counts those two tables until autovacuum
analyses them again.)
"""

from __future__ import annotations

import argparse
import json
import random
import time
from datetime import timedelta
from typing import Any

from common import Wsgi, ratio, report, session_cookie, setup_django, summary, timed

INDUSTRIES = ["新材料", "电子信息", "食品", "生物医药", "装备制造", "新能源", ""]
OFFICES = ["驻深圳招商联络处", "驻广州招商联络处", "驻上海招商联络处"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    setup_django()

    from django.contrib.auth import get_user_model
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections, connection, transaction
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from accounts.roles import Role
    from layers.models import Division, ProjectStage
    from projects.models import EventKind, Project, ProjectEvent
    from projects.warnings import sweep

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    rng = random.Random(7)
    result: dict[str, Any] = {}
    with transaction.atomic():
        city = Division.objects.get(level="city")
        counties = list(Division.objects.filter(level="county"))
        officer = get_user_model().objects.create_user(
            username=f"bench-{get_random_string(6)}", role=Role.CITY_OFFICER, division=city
        )
        now = timezone.now()
        order = list(ProjectStage.values)
        stages = order[1:]
        signed = order.index(ProjectStage.SIGNED)
        projects, entries = [], []
        for i in range(args.projects):
            county = rng.choice(counties)
            stage = rng.choice(stages)
            entered = now - timedelta(days=rng.randint(0, 400))
            # Every stage up to this one, a few weeks apart, the last on stage_entered_at.
            moments = [(stage, entered)]
            for earlier in reversed(order[1 : order.index(stage)]):
                moments.insert(0, (earlier, moments[0][1] - timedelta(days=rng.randint(10, 90))))
            reached_signing = order.index(stage) >= signed
            investment = rng.choice([rng.randint(500, 99_000), rng.randint(100_000, 500_000)])
            projects.append(
                Project(
                    name=f"项目{i}",
                    division=county,
                    division_code=county.code,
                    owner=officer,
                    stage=stage,
                    stage_entered_at=entered,
                    code=f"XMB-{i:06d}",
                    industry=rng.choice(INDUSTRIES),
                    investment_wan=investment,
                    annual_investment_wan=investment // 4,
                    expected_output_wan=investment * 2,
                    expected_tax_wan=investment // 10,
                    foreign_capital=rng.random() < 0.1,
                    office=rng.choice(OFFICES) if rng.random() < 0.2 else "",
                    signing_date=(
                        timezone.localtime(dict(moments)[ProjectStage.SIGNED]).date()
                        if reached_signing and rng.random() < 0.8
                        else None
                    ),
                )
            )
            entries.append(moments)
        Project.objects.bulk_create(projects, batch_size=2000)
        events = [
            ProjectEvent(project=project, kind=EventKind.ADVANCE, from_stage=before, to_stage=stage, at=at)
            for project, moments in zip(projects, entries, strict=True)
            for before, (stage, at) in zip(
                [ProjectStage.LEAD, *(m[0] for m in moments)], moments, strict=False
            )
        ]
        ProjectEvent.objects.bulk_create(events, batch_size=5000)
        with connection.cursor() as cursor:
            # The statistics a live database has: autovacuum never sees this transaction's rows, and
            # a planner that takes 20,000 projects for a handful chooses nested loops over them.
            cursor.execute("ANALYZE projects_project, projects_projectevent")
        result["projects"] = Project.objects.count()
        result["events"] = ProjectEvent.objects.count()

        started = time.perf_counter()
        raised = sweep()
        first = time.perf_counter() - started
        started = time.perf_counter()
        sweep()
        second = time.perf_counter() - started
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, stage, stage_entered_at, card, due_on FROM projects_project "
                "WHERE ended_at IS NULL"
            )
            cursor.fetchall()
        floor = time.perf_counter() - started
        result["sweep"] = {
            "first_run_s": round(first, 2),
            "second_run_s": round(second, 2),
            "floor_read_s": round(floor, 3),
            "raised": {str(k): v for k, v in raised.items()},
            "target": "<= 10 s over every open project",
        }

        wsgi = Wsgi(cookie=session_cookie(officer))
        ours = timed(lambda: wsgi("GET", "/api/projects/", "stage=negotiating&page_size=50"), args.runs)

        def page_sql() -> None:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT * FROM projects_project WHERE division_code LIKE %s AND stage = %s "
                    "ORDER BY updated_at DESC, id DESC LIMIT 50",
                    [city.code[:4] + "%", "negotiating"],
                )
                cursor.fetchall()

        floor_list = timed(page_sql, args.runs)
        result["list"] = {"ours": summary(ours), "floor": summary(floor_list), "target": "p95 <= 300 ms"}
        board = timed(lambda: wsgi("GET", "/api/projects/board/", ""), args.runs)

        def board_sql() -> None:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT stage, count(*) FROM projects_project WHERE ended_at IS NULL GROUP BY stage"
                )
                cursor.fetchall()
                cursor.execute(
                    "SELECT * FROM (SELECT id, code, name, stage, card, row_number() OVER (PARTITION BY "
                    "stage ORDER BY updated_at DESC, id DESC) AS rank FROM projects_project "
                    "WHERE ended_at IS NULL) ranked WHERE rank <= 50"
                )
                cursor.fetchall()

        result["board"] = {
            "ours": summary(board),
            "floor": summary(timed(board_sql, args.runs)),
            "target": "p95 <= 300 ms",
        }
        result["kpis"] = _kpis(wsgi, connection, args.runs)
        transaction.set_rollback(True)
    report("projects", result)


# The floor: what the database must do for the KPI report at the least (each live project's first
# entry into the stages it reports on, one aggregate, the county and industry groupings), from a
# cursor, with no scope filter, frame or JSON.
FLOOR_SQL = [
    """
    WITH en AS (
      SELECT project_id,
        min(at) FILTER (WHERE to_stage = 'signed') AS signed,
        min(at) FILTER (WHERE to_stage = 'completed') AS done,
        min(at) FILTER (WHERE to_stage = 'production') AS prod,
        min(at) FILTER (WHERE to_stage = 'target_output') AS target
      FROM projects_projectevent WHERE from_stage <> to_stage GROUP BY project_id),
    t AS (
      SELECT p.*, e.registered_on,
        CASE WHEN p.stage = ANY(%(later)s)
          THEN COALESCE(p.signing_date, (en.signed AT TIME ZONE 'Asia/Shanghai')::date) END AS intro,
        (en.done AT TIME ZONE 'Asia/Shanghai')::date AS done,
        (en.prod AT TIME ZONE 'Asia/Shanghai')::date AS prod,
        (en.target AT TIME ZONE 'Asia/Shanghai')::date AS target
      FROM projects_project p LEFT JOIN en ON en.project_id = p.id
      LEFT JOIN layers_enterprise e ON e.id = p.enterprise_id WHERE p.ended_at IS NULL)
    SELECT count(*), count(*) FILTER (WHERE in_reserve),
      count(*) FILTER (WHERE intro >= %(y0)s AND intro < %(y1)s),
      sum(investment_wan) FILTER (WHERE intro >= %(y0)s AND intro < %(y1)s),
      sum(annual_investment_wan) FILTER (WHERE stage = ANY(%(later)s)),
      count(*) FILTER (WHERE intro >= %(y0)s AND intro < %(y1)s AND investment_wan >= 100000),
      count(*) FILTER (WHERE intro >= %(y0)s AND intro < %(y1)s AND foreign_capital),
      sum(expected_output_wan) FILTER (WHERE intro >= %(y0)s AND intro < %(y1)s),
      sum(expected_tax_wan) FILTER (WHERE intro >= %(y0)s AND intro < %(y1)s),
      count(*) FILTER (WHERE stage = ANY(%(later)s) AND registered_on IS NULL),
      count(*) FILTER (WHERE stage = 'completed'), count(*) FILTER (WHERE stage = 'production'),
      percentile_cont(0.5) WITHIN GROUP (ORDER BY prod - intro)
        FILTER (WHERE prod >= %(y0)s AND prod < %(y1)s),
      percentile_cont(0.5) WITHIN GROUP (ORDER BY prod - done)
        FILTER (WHERE prod >= %(y0)s AND prod < %(y1)s),
      percentile_cont(0.5) WITHIN GROUP (ORDER BY target - prod)
        FILTER (WHERE target >= %(y0)s AND target < %(y1)s),
      count(*) FILTER (WHERE intro >= %(m0)s AND intro < %(m1)s)
    FROM t
    """,
    """
    WITH en AS (SELECT project_id, min(at) AS signed FROM projects_projectevent
                WHERE from_stage <> to_stage AND to_stage = 'signed' GROUP BY project_id),
    t AS (SELECT p.*, COALESCE(p.signing_date, (en.signed AT TIME ZONE 'Asia/Shanghai')::date) AS intro
          FROM projects_project p LEFT JOIN en ON en.project_id = p.id
          WHERE p.ended_at IS NULL AND p.stage = ANY(%(later)s))
    SELECT left(division_code, 6), industry, count(*), sum(investment_wan) FROM t
    WHERE intro >= %(y0)s AND intro < %(y1)s
    GROUP BY GROUPING SETS ((1), (2))
    """,
]
# The peer's one query: every live project with its stage events (a row per event).
PEER_SQL = """
    SELECT p.id, p.stage, p.division_code, p.industry, p.investment_wan, p.annual_investment_wan,
      p.expected_output_wan, p.expected_tax_wan, p.foreign_capital, p.in_reserve, p.signing_date,
      e.registered_on, ev.to_stage, ev.at
    FROM projects_project p
    LEFT JOIN layers_enterprise e ON e.id = p.enterprise_id
    LEFT JOIN projects_projectevent ev ON ev.project_id = p.id AND ev.from_stage <> ev.to_stage
    WHERE p.ended_at IS NULL
"""
PEER_COLUMNS = [
    "id", "stage", "division_code", "industry", "investment_wan", "annual_investment_wan",
    "expected_output_wan", "expected_tax_wan", "foreign_capital", "in_reserve", "signing_date",
    "registered_on", "to_stage", "at",
]  # fmt: skip
LATER = ["signed", "started", "construction", "completed", "production", "target_output"]


def _peer(connection: Any, year: int, month: int) -> dict[str, Any]:
    """The KPI report as a pandas developer would write it over one query's rows."""
    import pandas as pd

    with connection.cursor() as cursor:
        cursor.execute(PEER_SQL)
        rows = pd.DataFrame(cursor.fetchall(), columns=PEER_COLUMNS)
    rows["at"] = pd.to_datetime(rows["at"], utc=True).dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
    entered = rows.pivot_table(index="id", columns="to_stage", values="at", aggfunc="min")
    projects = rows.drop_duplicates("id").set_index("id").drop(columns=["to_stage", "at"])
    for column in ["investment_wan", "annual_investment_wan", "expected_output_wan", "expected_tax_wan"]:
        projects[column] = projects[column].astype(float)
    day = {s: entered[s].dt.normalize() if s in entered else pd.NaT for s in LATER}
    t = projects.join(pd.DataFrame(day))
    later = t["stage"].isin(LATER)
    t["intro"] = pd.to_datetime(t["signing_date"]).where(t["signing_date"].notna(), t["signed"]).where(later)
    y0, y1 = pd.Timestamp(year, 1, 1), pd.Timestamp(year + 1, 1, 1)
    m0 = pd.Timestamp(year, month, 1)
    m1 = m0 + pd.offsets.MonthBegin(1)
    year_in = t[(t["intro"] >= y0) & (t["intro"] < y1)]
    in_production = t[(t["production"] >= y0) & (t["production"] < y1)]
    return {
        "projects": len(t),
        "by_stage": t.groupby("stage").size().to_dict(),
        "introduced": len(year_in),
        "planned_wan": round(year_in["investment_wan"].sum(), 2),
        "annual_wan": round(t.loc[later, "annual_investment_wan"].sum(), 2),
        "billion": int((year_in["investment_wan"] >= 100_000).sum()),
        "foreign": int(year_in["foreign_capital"].sum()),
        "output_wan": round(year_in["expected_output_wan"].sum(), 2),
        "not_registered": int((later & t["registered_on"].isna()).sum()),
        "signed_to_production": (in_production["production"] - in_production["intro"]).dt.days.median(),
        "completed_to_production": (
            in_production["production"] - in_production["completed"]
        ).dt.days.median(),
        "by_county": year_in.groupby(year_in["division_code"].str[:6]).agg(
            n=("investment_wan", "size"), wan=("investment_wan", "sum")
        ),
        "by_industry": year_in.groupby("industry").agg(
            n=("investment_wan", "size"), wan=("investment_wan", "sum")
        ),
        "this_month": int(((t["intro"] >= m0) & (t["intro"] < m1)).sum()),
    }


def _kpis(wsgi: Any, connection: Any, runs: int) -> dict[str, Any]:
    from datetime import date

    from django.utils import timezone

    today = timezone.localdate()
    year, month = today.year, today.month
    query = f"year={year}&month={month}"
    bounds = {
        "y0": date(year, 1, 1),
        "y1": date(year + 1, 1, 1),
        "m0": date(year, month, 1),
        "m1": date(year + month // 12, month % 12 + 1, 1),
        "later": LATER,
    }

    def ours() -> Any:
        return wsgi("GET", "/api/projects/kpis/", query)

    def floor() -> None:
        with connection.cursor() as cursor:
            for sql in FLOOR_SQL:
                cursor.execute(sql, bounds)
                cursor.fetchall()

    def peer() -> Any:
        return _peer(connection, year, month)

    variants = {"ours": ours, "floor": floor, "peer": peer}
    for fn in variants.values():  # warm-up
        fn()
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(runs):
        for name, fn in variants.items():
            started = time.perf_counter()
            fn()
            samples[name].append((time.perf_counter() - started) * 1000)
    answer = json.loads(ours()[1])
    theirs = peer()
    agree = {
        "projects": answer["counts"]["projects"] == theirs["projects"],
        "by_stage": {k: v for k, v in answer["counts"]["by_stage"].items() if v} == theirs["by_stage"],
        "introduced": answer["counts"]["introduced"] == theirs["introduced"],
        "planned_wan": abs(answer["investment"]["planned_wan"] - theirs["planned_wan"]) < 0.01,
        "annual_wan": abs(answer["investment"]["annual_wan"] - theirs["annual_wan"]) < 0.01,
        "billion": answer["billion_projects"]["count"] == theirs["billion"],
        "foreign": answer["foreign_capital"]["count"] == theirs["foreign"],
        "output_wan": abs(answer["expected"]["output_wan"] - theirs["output_wan"]) < 0.01,
        "not_registered": answer["signed_not_registered"] == theirs["not_registered"],
        "signed_to_production": answer["median_days"]["signed_to_production"]["days"]
        == theirs["signed_to_production"],
        "completed_to_production": answer["median_days"]["completed_to_production"]["days"]
        == theirs["completed_to_production"],
        "by_county": sorted(
            (c["division"][:6], c["introduced"]) for c in answer["by_county"] if c["introduced"]
        )
        == sorted((k, int(v)) for k, v in theirs["by_county"]["n"].items()),
        "by_industry": sorted((i["industry"], i["introduced"]) for i in answer["by_industry"])
        == sorted((k, int(v)) for k, v in theirs["by_industry"]["n"].items()),
        "this_month": answer["periods"]["this_month"]["introduced"] == theirs["this_month"],
    }
    stats = {name: summary(values) for name, values in samples.items()}
    return {
        "year": year,
        "month": month,
        "introduced": answer["counts"]["introduced"],
        "ours": stats["ours"],
        "floor": stats["floor"],
        "peer_pandas": stats["peer"],
        "ours_vs_floor": ratio(stats["ours"], stats["floor"]),
        "ours_vs_peer": ratio(stats["ours"], stats["peer"]),
        "peer_agrees": {key: bool(same) for key, same in agree.items()},  # numpy's booleans, as JSON's
        "target": "<= 1 s",
    }


if __name__ == "__main__":
    main()
