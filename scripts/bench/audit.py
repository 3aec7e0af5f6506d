"""What the audit log costs (issue: security and audit).

    make run   # with DEMO_SCALE=1 for the reference numbers
    .venv/bin/python scripts/bench/audit.py [--runs 300] [--entries 50000]

Everything runs in-process through Django's WSGI handler, inside one transaction that is rolled
back at the end: the demo database keeps no benchmark writes and no benchmark audit entries
(the log is append-only, so they could not be removed afterwards).

- **write**: ``PATCH /api/parcels/<id>/`` as a city officer, with the audit receivers connected
  (ours) and disconnected (floor: the same write, unaudited), interleaved. Target: ≤ 10 % at p50.
- **personal-data read**: ``GET /api/pipeline/leads/?page_size=50`` as a city officer, who sees the
  phone numbers unmasked, with and without the read being audited. Target: ≤ 2 ms added.
- **verify**: ``audit verify`` over ``--entries`` chained entries, against the floor of reading
  the same rows without checking them. Target: ≥ 20,000 entries/s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

from common import Wsgi, report, session_cookie, setup_django, summary


def _interleaved(ours: Any, floor: Any, runs: int) -> tuple[list[float], list[float]]:
    a: list[float] = []
    b: list[float] = []
    for i in range(runs + 5):
        for fn, out in ((ours, a), (floor, b)):
            started = time.perf_counter()
            fn()
            if i >= 5:
                out.append((time.perf_counter() - started) * 1000)
    return a, b


def main() -> None:  # noqa: PLR0915 - one benchmark after another
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--entries", type=int, default=50_000)
    args = parser.parse_args()
    setup_django()

    from django.contrib.auth import get_user_model
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections, connection, transaction
    from django.db.models.signals import post_save
    from django.utils.crypto import get_random_string
    from psycopg.types.json import Jsonb

    from accounts.roles import Role
    from audit import chain, receivers
    from audit.models import AuditAction, Entry
    from audit.verify import _SELECT, verify
    from audit.writer import record
    from core.signals import personal_data_shown
    from layers.models import Division, LandParcel
    from pipeline.models import Lead

    # The whole benchmark is one transaction, rolled back: Django must not close the connection
    # between the in-process requests.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)

    result: dict[str, Any] = {}
    with transaction.atomic():
        city = Division.objects.get(level="city")
        officer = get_user_model().objects.create_user(
            username=f"bench-{get_random_string(6)}", role=Role.CITY_OFFICER, division=city
        )
        csrf = get_random_string(32)
        wsgi = Wsgi(cookie=f"{session_cookie(officer)}; csrftoken={csrf}")

        # --- write ---------------------------------------------------------------------------
        parcel = LandParcel.objects.filter(deleted_at__isnull=True).order_by("id").first()
        assert parcel is not None, "load the demo city first (make run)"
        state = {"n": 0}

        def patch() -> None:
            state["n"] += 1
            version = LandParcel.objects.values_list("version", flat=True).get(pk=parcel.pk)
            wsgi(
                "PATCH",
                f"/api/parcels/{parcel.pk}/",
                body=json.dumps({"properties": {"name": f"bench {state['n']}"}}).encode(),
                headers={"X-CSRFToken": csrf, "If-Match": f'"{version}"', "Referer": "http://127.0.0.1/"},
            )

        def unaudited(fn: Any, signal: Any, receiver: Any) -> Any:
            """``fn`` with one audit receiver disconnected: the same work, not logged."""

            def run() -> None:
                signal.disconnect(receiver)
                try:
                    fn()
                finally:
                    signal.connect(receiver)

            return run

        before = Entry.objects.count()
        ours, floor = _interleaved(patch, unaudited(patch, post_save, receivers._saved), args.runs)
        written = Entry.objects.count() - before
        result["write"] = {
            "ours": summary(ours),
            "floor_unaudited": summary(floor),
            "overhead_p50": round(statistics.median(ours) / statistics.median(floor) - 1, 3),
            "audit_entries_written": written,
            "target": "overhead <= 10 % at p50",
        }

        # --- personal-data read --------------------------------------------------------------
        for i in range(50 - Lead.objects.count()):
            Lead.objects.create(investor_name=f"测试{i}", phone=f"1380000{i:04d}", division=city)

        def leads() -> None:
            wsgi("GET", "/api/pipeline/leads/", "page_size=50")

        leads_unaudited = unaudited(leads, personal_data_shown, receivers._personal_data)
        ours, floor = _interleaved(leads, leads_unaudited, args.runs)
        result["personal_data_read"] = {
            "ours": summary(ours),
            "floor_unaudited": summary(floor),
            "added_p50_ms": round(statistics.median(ours) - statistics.median(floor), 3),
            "target": "<= 2 ms added",
        }

        # --- record() alone and verify -------------------------------------------------------
        started = time.perf_counter()
        for i in range(2000):
            record(AuditAction.EXPORT, object_type="bench", object_id=i, user=officer)
        result["record_per_s"] = round(2000 / (time.perf_counter() - started))

        with connection.cursor() as cursor:
            base = record(AuditAction.EXPORT, object_type="bench", user=officer)
            seq, prev = base.seq, base.mac
            values = {name: getattr(base, name) for name in chain.COVERED}
            rows = []
            for _ in range(args.entries):
                seq += 1
                values["seq"] = seq
                values["object_id"] = str(seq)
                mac = chain.compute(values, prev)
                rows.append([values[name] for name in chain.COVERED] + [prev, mac])
                prev = mac
            detail = chain.COVERED.index("detail")
            for row in rows:
                row[detail] = Jsonb(row[detail])
            columns = ", ".join(chain.COVERED) + ", prev_mac, mac"
            with cursor.connection.cursor().copy(f"COPY audit_entry ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute("UPDATE audit_chainhead SET seq = %s, mac = %s WHERE id = 1", [seq, prev])

        checked = verify()
        assert checked.ok, checked.problems[:3]
        started = time.perf_counter()
        with transaction.atomic(), connection.chunked_cursor() as cursor:
            cursor.execute(_SELECT)
            while cursor.fetchmany(5000):
                pass
        floor_s = time.perf_counter() - started
        result["verify"] = {
            "entries": checked.checked,
            "seconds": round(checked.seconds, 3),
            "entries_per_s": round(checked.checked / checked.seconds),
            "floor_read_only_per_s": round(checked.checked / floor_s),
            "ratio_vs_floor": round(checked.seconds / floor_s, 2),
            "algorithm": base.mac.split(":")[0],
            "target": ">= 20,000 entries/s",
        }
        transaction.set_rollback(True)
    report("audit", result)


if __name__ == "__main__":
    main()
