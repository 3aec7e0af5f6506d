"""Investment projects at the issue's scale (20,000 projects in the demo city).

    make run   # the demo city (DEMO_SCALE=1 for the reference numbers)
    .venv/bin/python scripts/bench/projects.py [--projects 20000] [--runs 30]

Inside one transaction that is rolled back, so the demo database keeps nothing:
- **sweep**: ``projects.warnings.sweep`` over every open project (target ≤ 10 s), against the floor
  of reading the same rows;
- **list**: ``GET /api/projects/?stage=negotiating&page_size=50`` as a city officer, in-process, p50
  and p95 (target p95 ≤ 300 ms), against the bare SQL of that page.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import timedelta
from typing import Any

from common import Wsgi, report, setup_django, summary, timed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    setup_django()

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections, connection, transaction
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from accounts.roles import Role
    from layers.models import Division, ProjectStage
    from projects.models import Project
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
        stages = [s for s in ProjectStage.values if s != ProjectStage.LEAD]
        projects = []
        for i in range(args.projects):
            county = rng.choice(counties)
            projects.append(
                Project(
                    name=f"项目{i}",
                    division=county,
                    division_code=county.code,
                    owner=officer,
                    stage=rng.choice(stages),
                    stage_entered_at=now - timedelta(days=rng.randint(0, 400)),
                    code=f"XMB-{i:06d}",
                )
            )
        Project.objects.bulk_create(projects, batch_size=2000)
        result["projects"] = Project.objects.count()

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

        session = SessionStore()
        session["_auth_user_id"] = str(officer.pk)
        session["_auth_user_backend"] = settings.AUTHENTICATION_BACKENDS[0]
        session["_auth_user_hash"] = officer.get_session_auth_hash()
        session.create()
        wsgi = Wsgi(cookie=f"sessionid={session.session_key}")
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
        transaction.set_rollback(True)
    report("projects", result)


if __name__ == "__main__":
    main()
