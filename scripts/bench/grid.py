"""Grid governance at the issue's scale: 100,000 events and 10,000 patrols in the demo city.

    make run   # the demo city (DEMO_SCALE=1 for the reference numbers)
    .venv/bin/python scripts/bench/grid.py [--events 100000] [--patrols 10000] [--runs 30]

Inside one transaction that is rolled back, so the demo database keeps nothing:
- **list**: ``GET /api/events/?state=dispatched,handling&card=any&order=due`` (a page of 50) as a
  county's grid staff, in-process, p50/p95 (target p95 ≤ 300 ms), against the bare SQL of that page
  and a peer: the same page from a plain DRF ``ModelSerializer`` list with ``django-filter``-style
  ``filter()`` calls but no ``select_related`` (what a first version would ship);
- **stats**: ``GET /api/events/stats/`` as a city user (every county, target ≤ 500 ms), against the
  floor (its aggregate SQL without names or JSON) and a peer (the events and their actions fetched
  in one query each, then grouped and medianed by pandas), interleaved one call of each per round;
- **sweep**: ``grid.deadlines.sweep`` over every open event, first run (cards, reminders, overdue
  warnings, escalations and their inbox messages) and second run (nothing new), target ≤ 10 s,
  against the floor of reading the open events;
- **coverage**: the coverage of one 5 km patrol through a village with its places
  (``patrols.coverage``), target ≤ 50 ms, against the bare ``ST_DWithin`` count and a peer
  (shapely: the track buffered in a metric projection, places tested in Python).

Then, committed and removed afterwards (a second process must see it):
- **notification latency**: a dispatcher's POST of a dispatch step to one gunicorn, until the
  message appears on the handler's open ``/api/stream/inbox/`` (target ≤ 2 s), ten times.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import threading
import time
import urllib.request
from datetime import timedelta
from typing import Any

from common import (
    Wsgi,
    free_port,
    ratio,
    report,
    session_cookie,
    setup_django,
    start_gunicorn,
    summary,
    timed,
)

STATES = ["reported", "accepted", "dispatched", "handling", "replied", "verified", "closed"]
# The step that leads into each state after the first.
INTO = {"accepted": "accept", "dispatched": "dispatch", "handling": "start", "replied": "feedback",
        "verified": "verify", "closed": "close"}  # fmt: skip


def _events(cursor: Any, n: int, reporter: int, departments: list[int]) -> None:
    """``n`` events over the demo villages, their step history and some overdue warnings, in
    three INSERT … SELECT statements (a Python loop would take minutes)."""
    cursor.execute(
        """
        CREATE TEMP TABLE bench_villages ON COMMIT DROP AS
        SELECT row_number() OVER (ORDER BY code) AS i, code, ST_PointOnSurface(geom) AS at
        FROM layers_division WHERE level = 'village';
        CREATE TEMP TABLE bench_categories ON COMMIT DROP AS
        SELECT row_number() OVER (ORDER BY id) AS i, id FROM grid_eventcategory;
        """
    )
    cursor.execute(
        """
        WITH r AS (
          SELECT g, 1 + floor(random() * (SELECT count(*) FROM bench_villages))::int AS v,
                 1 + floor(random() * (SELECT count(*) FROM bench_categories))::int AS c,
                 floor(random() * 7)::int AS s, now() - random() * interval '120 days' AS t
          FROM generate_series(1, %(n)s) g)
        INSERT INTO grid_gridevent (code, uuid, category_id, title, description, photos, geom,
          division_code, source, urgent, state, state_entered_at, reporter_id, department_id, due_on,
          card, escalation, feedback, feedback_photos, version, created_at, updated_at, closed_at)
        SELECT 'SJB-' || lpad(g::text, 7, '0'), gen_random_uuid(), bc.id, '基准事件 ' || g, '', '[]',
          ST_Translate(bv.at, (random() - 0.5) * 0.002, (random() - 0.5) * 0.002), bv.code, 'staff',
          random() < 0.1, (%(states)s::text[])[s + 1], t + s * interval '20 hours', %(reporter)s,
          CASE WHEN s >= 2 THEN (%(departments)s::int[])[1 + g %% %(nd)s] END, NULL,
          CASE WHEN s < 6 AND random() < 0.2 THEN 'overdue' ELSE '' END,
          CASE WHEN s < 6 AND random() < 0.05 THEN 1 ELSE 0 END, '', '[]', 1 + s,
          t, t + s * interval '20 hours', CASE WHEN s = 6 THEN t + s * interval '20 hours' END
        FROM r JOIN bench_villages bv ON bv.i = r.v JOIN bench_categories bc ON bc.i = r.c
        """,
        {
            "n": n,
            "states": STATES,
            "reporter": reporter,
            "departments": departments,
            "nd": len(departments),
        },
    )
    cursor.execute(
        """
        INSERT INTO grid_eventaction (event_id, at, user_id, step, from_state, to_state, comment,
          step_started_at)
        SELECT e.id, e.created_at + k * interval '20 hours', %(reporter)s,
          CASE WHEN k = 0 THEN 'report' ELSE (%(steps)s::text[])[k] END,
          (%(states)s::text[])[greatest(k, 1)], (%(states)s::text[])[k + 1], '',
          -- as the workflow writes it: the stay it ends, handling from the dispatch (k = 2)
          CASE WHEN k IN (1, 2, 5) THEN e.created_at + (k - 1) * interval '20 hours'
               WHEN k = 4 THEN e.created_at + 2 * interval '20 hours' END
        FROM grid_gridevent e
        CROSS JOIN LATERAL generate_series(0, array_position(%(states)s::text[], e.state) - 1) k
        WHERE e.code LIKE 'SJB-%%'
        """,
        {"reporter": reporter, "states": STATES, "steps": [INTO[s] for s in STATES[1:]]},
    )
    cursor.execute(
        """
        INSERT INTO grid_eventwarning (event_id, kind, state_entered_at, level, created_at)
        SELECT id, 'overdue', state_entered_at, 0, state_entered_at + interval '3 days'
        FROM grid_gridevent WHERE code LIKE 'SJB-%%' AND card = 'overdue'
        """
    )
    cursor.execute("ANALYZE grid_gridevent; ANALYZE grid_eventaction; ANALYZE grid_eventwarning")


LIST_QUERY = "state=dispatched,handling&card=any&order=due&page_size=50"


def _list(staff: Any, prefix: str, runs: int) -> dict[str, Any]:
    from django.db import connection
    from rest_framework import serializers
    from rest_framework.test import APIRequestFactory, force_authenticate
    from rest_framework.views import APIView

    from grid.models import GridEvent

    wsgi = Wsgi(cookie=session_cookie(staff))
    ours = timed(lambda: wsgi("GET", "/api/events/", LIST_QUERY), runs)

    def page_sql() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT * FROM grid_gridevent WHERE division_code LIKE %s AND state IN "
                "('dispatched', 'handling') AND card IN ('due_soon', 'overdue') "
                "ORDER BY due_on ASC NULLS LAST, id ASC LIMIT 50",
                [prefix + "%"],
            )
            cursor.fetchall()

    class Plain(serializers.ModelSerializer):
        class Meta:
            model = GridEvent
            fields = "__all__"

    class PlainList(APIView):
        def get(self, request: Any) -> Any:
            from rest_framework.response import Response

            rows = GridEvent.objects.filter(
                division_code__startswith=prefix,
                state__in=["dispatched", "handling"],
                card__in=["due_soon", "overdue"],
            ).order_by("due_on", "id")[:50]
            data = [
                {**Plain(e).data, "category": e.category.name_zh, "department": str(e.department)}
                for e in rows
            ]
            return Response(data)

    factory, view = APIRequestFactory(), PlainList.as_view()

    def peer() -> None:
        request = factory.get("/peer/")
        force_authenticate(request, staff)
        view(request).render()

    floor = timed(page_sql, runs)
    plain = timed(peer, runs)
    return {
        "query": LIST_QUERY,
        "ours": summary(ours),
        "floor": summary(floor),
        "peer_plain_drf": summary(plain),
        "ours_vs_floor": ratio(summary(ours), summary(floor)),
        "ours_vs_peer": ratio(summary(ours), summary(plain)),
        "target": "p95 <= 300 ms",
    }


def _stats(city_user: Any, runs: int) -> dict[str, Any]:
    import pandas as pd
    from django.db import connection

    wsgi = Wsgi(cookie=session_cookie(city_user))

    def ours() -> Any:
        return wsgi("GET", "/api/events/stats/", "")

    def floor() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT left(division_code, 6), category_id, state, count(*),
                  count(*) FILTER (WHERE escalation > 0)
                FROM grid_gridevent GROUP BY GROUPING SETS ((1), (2), (3), ())
                """
            )
            cursor.fetchall()
            cursor.execute(
                """
                WITH a AS (SELECT step, at - lag(at) OVER (PARTITION BY event_id ORDER BY at, id) AS took
                           FROM grid_eventaction)
                SELECT step, percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM took))
                FROM a WHERE took IS NOT NULL GROUP BY step
                """
            )
            cursor.fetchall()

    def peer() -> dict[str, Any]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT id, division_code, category_id, state, escalation FROM grid_gridevent")
            events = pd.DataFrame(cursor.fetchall(), columns=["id", "division", "category", "state", "esc"])
            cursor.execute("SELECT event_id, step, at FROM grid_eventaction")
            actions = pd.DataFrame(cursor.fetchall(), columns=["event", "step", "at"])
        events["county"] = events["division"].str[:6]
        counts = {
            key: events.groupby(key).agg(n=("id", "size"), escalated=("esc", lambda s: int((s > 0).sum())))
            for key in ("county", "category", "state")
        }
        actions = actions.sort_values(["event", "at"])
        actions["took"] = actions.groupby("event")["at"].diff().dt.total_seconds()
        medians = actions.dropna().groupby("step")["took"].median()
        return {"counts": counts, "medians": medians}

    samples: dict[str, list[float]] = {"ours": [], "floor": [], "peer": []}
    for fn in (ours, floor, peer):
        fn()  # warm-up
    status, body = ours()
    assert status == 200, body[:300]
    for _ in range(runs):
        for name, fn in (("ours", ours), ("floor", floor), ("peer", peer)):
            started = time.perf_counter()
            fn()
            samples[name].append((time.perf_counter() - started) * 1000)
    got = {name: summary(values) for name, values in samples.items()}
    return {
        "ours": got["ours"],
        "floor": got["floor"],
        "peer_pandas": got["peer"],
        "ours_vs_floor": ratio(got["ours"], got["floor"]),
        "ours_vs_peer": ratio(got["ours"], got["peer"]),
        "counties": len(json.loads(body)["by_division"]),
        "target": "<= 500 ms",
    }


def _sweep() -> dict[str, Any]:
    from django.db import connection

    from grid.deadlines import sweep

    started = time.perf_counter()
    raised = sweep()
    first = time.perf_counter() - started
    started = time.perf_counter()
    again = sweep()
    second = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, category_id, state, state_entered_at, urgent, escalation, card, due_on "
            "FROM grid_gridevent WHERE state IN ('reported', 'accepted', 'dispatched', 'handling', 'replied')"
        )
        open_events = len(cursor.fetchall())
    floor = time.perf_counter() - started
    return {
        "open_events": open_events,
        "first_run_s": round(first, 2),
        "second_run_s": round(second, 2),
        "floor_read_s": round(floor, 3),
        "raised": {str(k): v for k, v in raised.items()},
        "raised_again": {str(k): v for k, v in again.items()},
        "target": "<= 10 s over every open event",
    }


def _patrols(n: int, worker: Any) -> None:
    """``n`` finished patrols (a task, a run and a 1 km track each) spread over the grid cells, so
    the coverage query runs against a table of that size."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            CREATE TEMP TABLE bench_cells ON COMMIT DROP AS
            SELECT row_number() OVER (ORDER BY id) AS i, id, ST_PointOnSurface(geom) AS at
            FROM layers_gridcell WHERE parent_id IS NULL;
            INSERT INTO layers_patroltrack (worker_id, started_at, ended_at, timestamps, length_m,
              checklist_results, geom, grid_cell_id, division_code, is_public, version, created_at,
              updated_at)
            SELECT %(worker)s, now() - g * interval '1 hour',
              now() - g * interval '1 hour' + interval '20 minutes',
              '{}', 1000, '{}', ST_Multi(ST_MakeLine(c.at, ST_Translate(c.at, 0.009, 0.002))), c.id, '',
              false, 1, now(), now()
            FROM generate_series(1, %(n)s) g
            JOIN bench_cells c ON c.i = 1 + g %% (SELECT count(*) FROM bench_cells)
            """,
            {"worker": worker.pk, "n": n},
        )


def _coverage(worker: Any, runs: int) -> dict[str, Any]:
    """One 5 km patrol from place to place through the grid cell with the most places."""
    import pyproj
    import shapely
    from django.contrib.gis.geos import LineString, MultiLineString
    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone
    from shapely import wkb
    from shapely.ops import transform

    from layers.models import GridCell, PatrolTrack, Place
    from patrols.coverage import measure
    from patrols.models import AreaKind, ChecklistTemplate, PatrolRun, PatrolTask

    cell = GridCell.objects.filter(parent__isnull=True).annotate(n=Count("places")).order_by("-n").first()
    assert cell is not None
    # A walk from place to place through the cell (west to east), a GPS fix every ~5 m, cut at 5 km.
    stops = sorted(
        (
            p.point_on_surface.coords
            for p in Place.objects.filter(geom__intersects=cell.geom).values_list("geom", flat=True)
        ),
        key=lambda xy: xy[0],
    )
    path = shapely.segmentize(shapely.LineString(stops), 0.00005)
    points: list[tuple[float, float]] = []
    walked = 0.0
    for x, y in path.coords:
        walked += _length_m([points[-1], (x, y)]) if points else 0.0
        if walked > 5000:
            break
        points.append((x, y))
    line = LineString(points, srid=4326)
    now = timezone.now()
    track = PatrolTrack.objects.create(
        worker=worker,
        started_at=now,
        ended_at=now,
        geom=MultiLineString(line, srid=4326),
        timestamps=[now] * len(points),
    )
    template = ChecklistTemplate.objects.create(
        key="bench-cov",
        name="基准",
        items=[{"key": "ok", "label": "正常", "type": "yes_no", "required": True}],
    )
    task = PatrolTask.objects.create(
        title="基准巡查", worker=worker, template=template, area_kind=AreaKind.CELL, grid_cell=cell,
        due_from=now, due_until=now + timedelta(days=1),
    )  # fmt: skip
    run = PatrolRun.objects.create(task=task, worker=worker, template=template, track=track)
    ours = timed(lambda: measure(run), runs)

    def floor() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FILTER (WHERE ST_DWithin(p.geom::geography, t.geom::geography, 50)),"
                " count(*)"
                " FROM layers_place p, layers_gridcell g, layers_patroltrack t"
                " WHERE g.id = %s AND t.id = %s AND p.deleted_at IS NULL AND ST_Intersects(p.geom, g.geom)",
                [cell.pk, track.pk],
            )
            cursor.fetchall()

    utm = pyproj.Transformer.from_crs(4326, 32649, always_xy=True).transform

    def peer() -> float:
        places = Place.objects.filter(geom__intersects=cell.geom).values_list("geom", flat=True)
        buffer = transform(utm, wkb.loads(bytes(line.wkb))).buffer(50)
        shapes = [transform(utm, wkb.loads(bytes(g.wkb))) for g in places]
        return sum(1 for shape in shapes if shape.intersects(buffer)) / max(len(shapes), 1)

    found = measure(run)
    return {
        "track_m": round(_length_m(points)),
        "vertices": len(points),
        "places_in_cell": found.total,
        "coverage": found.fraction,
        "peer_coverage": round(peer(), 4),
        "ours": summary(ours),
        "floor": summary(timed(floor, runs)),
        "peer_shapely": summary(timed(peer, runs)),
        "target": "<= 50 ms",
    }


def _length_m(points: list[tuple[float, float]]) -> float:
    import pyproj

    geod = pyproj.Geod(ellps="WGS84")
    return sum(geod.inv(a[0], a[1], b[0], b[1])[2] for a, b in zip(points, points[1:], strict=False))


def _latency(samples: int = 10) -> dict[str, Any]:
    """A real gunicorn, a real browser-like SSE reader: POST dispatch as one user, wait for the
    message on the other's stream."""
    from django.contrib.auth import get_user_model
    from django.contrib.gis.geos import Point
    from django.utils.crypto import get_random_string

    from accounts.roles import Role
    from grid.models import Department, EventCategory, GridEvent
    from grid.opening import open_event
    from inbox.models import Message
    from layers.models import Division

    User = get_user_model()
    county = Division.objects.filter(level="county").order_by("code").first()
    assert county is not None, "run make run first: the demo city is needed"
    tag = get_random_string(6)
    dispatcher = User.objects.create_user(username=f"bench-d-{tag}", role=Role.GRID_STAFF, division=county)
    handler = User.objects.create_user(username=f"bench-h-{tag}", role=Role.GRID_STAFF, division=county)
    department = Department.objects.create(name="基准测试部门", division=county)
    department.members.add(handler)
    category = EventCategory.objects.order_by("id").first()
    village = Division.objects.filter(level="village", code__startswith=county.prefix).first()
    assert category is not None and village is not None
    where = village.geom.point_on_surface
    events = []
    for n in range(samples):
        event, _ = open_event(
            reporter=dispatcher,
            category=category,
            title=f"延迟测试 {n}",
            geom=Point(where.x, where.y, srid=4326),
        )
        GridEvent.objects.filter(pk=event.pk).update(state="accepted")
        events.append(event.pk)
    port = free_port()
    proc = start_gunicorn(port, {"DJANGO_SETTINGS_MODULE": "geoportal.settings.prod"})
    base = f"http://127.0.0.1:{port}"
    arrived: dict[str, float] = {}
    stop = threading.Event()

    def listen() -> None:
        request = urllib.request.Request(
            base + "/api/stream/inbox/", headers={"Cookie": session_cookie(handler)}
        )
        with urllib.request.urlopen(request, timeout=60) as stream:
            for raw in stream:
                line = raw.decode()
                if line.startswith("data:"):
                    title = json.loads(line[5:]).get("title", "")
                    arrived.setdefault(title, time.perf_counter())
                if stop.is_set():
                    return

    reader = threading.Thread(target=listen, daemon=True)
    reader.start()
    time.sleep(1.5)  # the stream is open and subscribed
    csrf = get_random_string(32)
    cookie = f"{session_cookie(dispatcher)}; csrftoken={csrf}"
    got = []
    try:
        for n, pk in enumerate(events):
            body = json.dumps({"department": department.pk}).encode()
            request = urllib.request.Request(
                f"{base}/api/events/{pk}/actions/dispatch/",
                data=body,
                method="POST",
                headers={
                    "Cookie": cookie,
                    "Content-Type": "application/json",
                    "X-CSRFToken": csrf,
                    "Referer": base + "/",
                },
            )
            started = time.perf_counter()
            with urllib.request.urlopen(request, timeout=30) as response:
                assert response.status == 200
            wanted = f"新派事件：延迟测试 {n}"
            while wanted not in arrived and time.perf_counter() - started < 10:
                time.sleep(0.005)
            got.append(round((arrived.get(wanted, float("inf")) - started) * 1000, 1))
    finally:
        stop.set()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # the open stream holds a worker: it has had its chance
            proc.kill()
        Message.objects.filter(recipient__in=[dispatcher, handler]).delete()
        GridEvent.objects.filter(pk__in=events).delete()
        department.delete()
        User.objects.filter(pk__in=[dispatcher.pk, handler.pk]).update(is_active=False)
    return {"post_to_inbox_ms": got, "median_ms": statistics.median(got), "target": "<= 2000 ms"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--patrols", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--no-latency", action="store_true", help="skip the gunicorn latency check")
    args = parser.parse_args()
    setup_django()

    from django.contrib.auth import get_user_model
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections, connection, transaction
    from django.utils.crypto import get_random_string

    from accounts.roles import Role
    from grid.models import Department, GridEvent
    from layers.models import Division, PatrolTrack

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    result: dict[str, Any] = {}
    with transaction.atomic():
        city = Division.objects.get(level="city")
        county = Division.objects.filter(level="county").order_by("code").first()
        assert county is not None
        User = get_user_model()
        tag = get_random_string(6)
        city_staff = User.objects.create_user(
            username=f"bench-c-{tag}", role=Role.CITY_OFFICER, division=city
        )
        county_staff = User.objects.create_user(
            username=f"bench-s-{tag}", role=Role.GRID_STAFF, division=county
        )
        departments = list(Department.objects.values_list("pk", flat=True)) or [
            Department.objects.create(name="基准部门", division=county).pk
        ]
        with connection.cursor() as cursor:
            _events(cursor, args.events, city_staff.pk, departments)
        result["events"] = GridEvent.objects.count()
        result["list"] = _list(county_staff, county.prefix, args.runs)
        result["stats"] = _stats(city_staff, max(10, args.runs // 3))
        result["sweep"] = _sweep()
        _patrols(args.patrols, county_staff)
        result["patrol_tracks"] = PatrolTrack.objects.count()
        result["coverage"] = _coverage(county_staff, args.runs)
        for name in ("list", "stats", "coverage"):
            part = result[name]
            part["ours_vs_floor"] = ratio(part["ours"], part["floor"])
        transaction.set_rollback(True)
    if not args.no_latency:
        result["notification_latency"] = _latency()
    report("grid", result)


if __name__ == "__main__":
    main()
