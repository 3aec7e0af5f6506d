"""The grid worker's phone app (/m/): first load on slow 3G, a cached start offline, its bundle, the
server's sync throughput, and a day's catch-up after coming back online.

    node frontend/build.mjs          # the bundles measured and served are those in static-build/
    make bench-mobile                # or: .venv/bin/python scripts/bench/mobile.py [--only load ...]

Needs PostgreSQL and Redis (`make setup` or `make run`) and Debian's Chromium; `make run` itself is
not needed. Everything runs against a database of its own (``bench_mobile``, created, migrated and
dropped here) holding the tests' small city (``tests.builders.build_city``: a grid worker bound to a
cell, a patrol task, a few open events), served by a gunicorn started here as `make run` starts
one (production settings, 4 × 16 gthread, static files collected into a temporary folder), with
its own media folder, cache prefix and Celery queue, all removed at the end. The login throttle
is raised on that server only, since every run signs in. The phone is Chromium with a Pixel 5's
screen and touch (``tests.web.phone``). Prints JSON:

1. **First load on slow 3G** (CDP ``Network.emulateNetworkConditions``: 400 kbit/s each way,
   400 ms latency; a fresh context each run: no cache, no service worker): milliseconds from
   navigation until the sign-in form is usable (``#login-username`` drawn, so the app's script has
   run and read IndexedDB), target ≤ 5 s, median of ``--runs-load``; then, after the tap on 登录,
   until the signed-in home is drawn (``.m-tabs`` and the cell's card, after the device login and
   the area, tasks, events and inbox requests). Floor: the bytes the server actually sends for the
   shell and its scripts and styles, at 400 kbit/s, plus two round trips (the page, then its files
   in parallel: the emulation adds its latency once per request). Peer: the dispatcher's desk
   (``/staff/events/``, same kit, signed in by session) until its event list is drawn, under the
   same throttling. The emulation is the page's: the service worker's own requests (its precache
   of the map library) are not throttled.
2. **Cached start, offline**: after one online visit (signed in, the service worker controlling,
   the cell's tiles kept), the context goes offline and the page is reloaded ``--runs-offline``
   times: milliseconds until the home is drawn from IndexedDB (target ≤ 1.5 s). Floor: the same
   reload's ``DOMContentLoaded`` (the shell from the service worker and the script run, before the
   app reads its store). Peer: the same reload online, unthrottled.
3. **App bundle**: mobile.js + mobile.css gzip -9 (target ≤ 150 KB); for reference the shared
   staff.css the shell also loads, the service worker, the map library loaded on demand, and the
   desk's bundle as a peer.
4. **Sync throughput**: ``--batches`` batches of 100 ``field_point.create`` operations (points in
   the worker's cell, with the device token) posted to ``/api/sync/`` over one keep-alive
   connection, ops/s per batch (target ≥ 500), then the same batches again (every answer the stored
   one). Floor: the same rows' bare ``INSERT`` (``executemany`` through Django's connection, one
   transaction a batch, committed, then deleted). Peer: the same points through the layer API,
   ``POST /api/field_points/`` one at a time.
5. **Catch-up**: ``--catch-up-ops`` operations, ``--catch-up-photos`` of them with a ~1 MB JPEG,
   written into the phone's IndexedDB offline exactly as store.js and photos.js keep them; the
   page is reloaded offline, the network comes back, and the wall time until the queue says 0 open
   (``.m-sync-line[data-open="0"]``); the server must hold every record and photo. Peer: the same
   amount (new ids and photos) sent by a plain Python client (http.client, the app's chunk size and
   order: each photo's progress asked, then its chunks, then the batches).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import io
import json
import math
import os
import re
import secrets
import shutil
import statistics
import tempfile
import time
import urllib.parse
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from common import (
    ROOT,
    Wsgi,
    bench_env,
    drop_cache_keys,
    own_server,
    report,
    session_cookie,
    setup_django,
    sizes,
)

from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.web.phone import phone_context, ready_offline, sign_in, tab, wait_synced

DB_NAME = "bench_mobile"
KBIT_S = 400
SLOW_3G = {
    "offline": False,
    "latency": 400,
    "downloadThroughput": KBIT_S * 1000 / 8,
    "uploadThroughput": KBIT_S * 1000 / 8,
}
LOAD_TARGET_MS = 5000
OFFLINE_TARGET_MS = 1500
BUNDLE_TARGET_BYTES = 150 * 1024
OPS_TARGET = 500
BATCH = 100
EVENTS = 5
PHOTO_BYTES = 1024 * 1024
# Each mark is the page's performance.now() (ms from navigation start) when all its selectors are
# first in the document; ``tap`` when the sign-in button is pressed.
MARKS = {
    "login": ["#login-username"],
    "home": [".m-tabs", ".m-home .m-map"],
    "map": [".m-map .map-box[data-ready='true']"],
    "desk": ["table.data tr[data-row]"],
}
MARKER = """
(() => {
  const checks = CHECKS;
  const marks = (window.__bench = {});
  const look = () => {
    for (const [name, selectors] of Object.entries(checks)) {
      const all = selectors.every((s) => document.querySelector(s));
      if (!(name in marks) && all) marks[name] = performance.now();
    }
  };
  new MutationObserver(look).observe(document, { subtree: true, childList: true, attributes: true });
  document.addEventListener('click', (e) => {
    const tapped = e.target.closest && e.target.closest('.m-login button.primary');
    if (!('tap' in marks) && tapped) marks.tap = performance.now();
  }, true);
  const ready = navigator.serviceWorker && navigator.serviceWorker.ready;
  if (ready) ready.then(() => { marks.worker = performance.now(); });
})();
""".replace("CHECKS", json.dumps(MARKS))
ITEMS = [{"key": "extinguisher", "label": "灭火器有效", "type": "yes_no", "required": True}]


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 1)


def _ratio(ours: float, other: float) -> float | None:
    return round(ours / other, 2) if other else None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --- the bench database ----------------------------------------------------------------------


def _database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    return f"postgis://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def _seed() -> dict[str, Any]:
    """The tests' city, the categories the phone offers, a patrol task and a few open events in the
    worker's cell, committed (the gunicorn reads them)."""
    from django.utils import timezone

    from accounts.roles import Role
    from grid.models import EventCategory
    from grid.opening import open_event
    from layers.models import FieldPointCategory
    from patrols.models import AreaKind, ChecklistTemplate, PatrolTask
    from tests.builders import X0, Y0, build_city

    city = build_city()
    FieldPointCategory.objects.get_or_create(
        key="hazard", defaults={"name_zh": "安全隐患", "name_en": "Hazard"}
    )
    category, _ = EventCategory.objects.get_or_create(
        key="road", defaults={"name_zh": "道路破损", "name_en": "Damaged road"}
    )
    worker, staff = city.users[Role.GRID_WORKER], city.users[Role.GRID_STAFF]
    now = timezone.now()
    task = PatrolTask(
        title="第1网格消防巡查",
        worker=worker,
        template=ChecklistTemplate.objects.create(key="fire", name="消防安全检查", items=ITEMS),
        area_kind=AreaKind.CELL,
        grid_cell=city.cells[0],
        due_from=now - timedelta(hours=1),
        due_until=now + timedelta(days=1),
        created_by=staff,
    )
    task.locate([])
    task.save()
    for n in range(EVENTS):
        open_event(
            reporter=staff, category=category, title=f"基准事件 {n}", geom=city.inside(0, dy=0.01 + n * 0.01)
        )
    where = city.inside(0, dx=0.01, dy=0.02)
    # The worker's cell, a margin inside its edges: every point the bench makes is in it.
    cell = (X0 + 0.002, Y0 + 0.002, X0 + 0.048, Y0 + 0.098)
    return {"worker": worker, "staff": staff, "lon": where.x, "lat": where.y, "cell": cell}


def _points(n: int, cell: tuple[float, float, float, float], seed: int) -> list[tuple[float, float]]:
    import numpy as np

    rng = np.random.default_rng(seed)
    west, south, east, north = cell
    return [
        (float(x), float(y))
        for x, y in zip(rng.uniform(west, east, n), rng.uniform(south, north, n), strict=True)
    ]


def _field_point_op(lon: float, lat: float, n: int, photos: list[str] | None = None) -> dict[str, Any]:
    """One operation as sync.js sends it."""
    data = {"category": "hazard", "note": f"基准打点 {n}", "lon": lon, "lat": lat, "accuracy": 8.0}
    return {
        "id": str(uuid.uuid4()),
        "type": "field_point.create",
        "at": _now(),
        "base_version": None,
        "data": {**data, "photos": photos or []},
    }


def _jpegs(count: int, seed: int, target: int = PHOTO_BYTES) -> list[bytes]:
    """``count`` distinct JPEGs of about ``target`` bytes (noise, so the size holds after compression)."""
    import numpy as np
    from PIL import Image

    def encode(rng: Any, width: int, height: int) -> bytes:
        out = io.BytesIO()
        Image.fromarray(rng.integers(0, 255, (height, width, 3), dtype=np.uint8)).save(
            out, "JPEG", quality=85
        )
        return out.getvalue()

    # The size of noise at this quality is proportional to the pixels: two tries find the frame.
    width = 1200
    for _ in range(2):
        got = len(encode(np.random.default_rng(seed), width, width * 3 // 4))
        width = int(width * math.sqrt(target / got))
    return [encode(np.random.default_rng(seed + n), width, width * 3 // 4) for n in range(count)]


# --- a plain HTTP client ---------------------------------------------------------------------


class Client:
    """One keep-alive connection with the device token: what a plain Python client would do."""

    def __init__(self, base: str) -> None:
        parts = urllib.parse.urlsplit(base)
        self.conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=300)
        self.token = ""

    def call(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        sent = {"Accept": "application/json", **(headers or {})}
        if self.token:
            sent["Authorization"] = f"Token {self.token}"
        if json_body is not None:
            body = json.dumps(json_body).encode()
            sent["Content-Type"] = "application/json"
        try:
            self.conn.request(method, path, body=body, headers=sent)
            response = self.conn.getresponse()
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            # The server closed the idle connection (gunicorn's keep-alive is a few seconds).
            self.conn.close()
            self.conn.request(method, path, body=body, headers=sent)
            response = self.conn.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else None

    def sign_in(self, username: str, password: str, device: str) -> None:
        status, answer = self.call(
            "POST",
            "/api/auth/device/",
            json_body={"username": username, "password": password, "device": device},
        )
        if status != 200:
            raise RuntimeError(f"POST /api/auth/device/ -> {status}: {answer}")
        self.token = answer["token"]

    def sync(self, operations: list[dict[str, Any]]) -> list[dict[str, Any]]:
        status, answer = self.call(
            "POST", "/api/sync/", json_body={"device_now": _now(), "operations": operations}
        )
        if status != 200:
            raise RuntimeError(f"POST /api/sync/ -> {status}: {answer}")
        return answer["operations"]

    def upload(self, data: bytes, chunk: int) -> str:
        """One photo as photos.js sends it: its progress asked, then its chunks; its SHA-256."""
        import hashlib

        sha = hashlib.sha256(data).hexdigest()
        url = f"/api/sync/photos/{sha}/"
        self.call("GET", url)
        for start in range(0, len(data), chunk):
            end = min(start + chunk, len(data))
            status, answer = self.call(
                "PUT",
                url,
                body=data[start:end],
                headers={
                    "Content-Type": "application/octet-stream",
                    "Content-Range": f"bytes {start}-{end - 1}/{len(data)}",
                },
            )
            if status not in (200, 201):
                raise RuntimeError(f"PUT {url} -> {status}: {answer}")
        return sha

    def close(self) -> None:
        self.conn.close()


# --- 3. bundle -------------------------------------------------------------------------------


def bundle() -> dict[str, Any]:
    web = ROOT / "static-build/web"
    files = {
        name: sizes(web / name)
        for name in ("mobile.js", "mobile.css", "staff.css", "mobile-sw.js", "staff-map.js")
    }
    app = files["mobile.js"]["gzip_bytes"] + files["mobile.css"]["gzip_bytes"]
    desk = sizes(web / "events.js")["gzip_bytes"] + files["staff.css"]["gzip_bytes"]
    sources = [*ROOT.glob("frontend/src/mobile/*.js"), ROOT / "frontend/css/mobile.css"]
    stale = max(p.stat().st_mtime for p in sources) > (web / "mobile.js").stat().st_mtime
    return {
        "files": files,
        "app_gzip_bytes": app,
        "app_gzip_kb": round(app / 1024, 1),
        "target": "mobile.js + mobile.css <= 150 KB gzip",
        "meets_target": app <= BUNDLE_TARGET_BYTES,
        "shell_gzip_bytes_with_staff_css": app + files["staff.css"]["gzip_bytes"],
        "peer_desk_gzip_bytes": desk,
        "ours_vs_peer": _ratio(app, desk),
        "build_older_than_sources": stale,
    }


# --- 1. first load ---------------------------------------------------------------------------


def _wire_bytes(base: str, path: str, cookie: str = "") -> tuple[int, bytes]:
    """The body bytes the server sends for ``path`` to a browser that accepts gzip, and the body."""
    parts = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    headers = {"Accept-Encoding": "gzip, deflate", **({"Cookie": cookie} if cookie else {})}
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    raw = response.read()
    conn.close()
    if response.status != 200:
        raise RuntimeError(f"GET {path} -> {response.status}")
    if response.getheader("Content-Encoding") == "gzip":
        import gzip

        return len(raw), gzip.decompress(raw)
    return len(raw), raw


def _floor(base: str, path: str, cookie: str = "") -> dict[str, Any]:
    """The page and the scripts and styles it names, as sent, at 400 kbit/s plus two round trips."""
    sent, html = _wire_bytes(base, path, cookie)
    files = {path: sent}
    for found in re.findall(rb'(?:src|href)="(/static/[^"]+\.(?:js|css))"', html):
        files[found.decode()] = _wire_bytes(base, found.decode())[0]
    total = sum(files.values())
    return {
        "wire_bytes": files,
        "total_wire_bytes": total,
        "floor_ms": round(2 * SLOW_3G["latency"] + total * 8 / KBIT_S, 1),
    }


def _throttled(browser: Any, lon: float, lat: float, cookie: str = "", base: str = "") -> tuple[Any, Any]:
    context = phone_context(browser, lon=lon, lat=lat)
    if cookie:
        name, value = cookie.split("=", 1)
        context.add_cookies([{"name": name, "value": value, "url": base}])
    context.add_init_script(MARKER)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    return context, page


def _marks(page: Any) -> dict[str, float]:
    return {k: round(v, 1) for k, v in page.evaluate("window.__bench").items()}


def _bytes_before(page: Any, mark: float) -> int:
    """What the browser received until ``mark``: the page and every resource finished by then."""
    return page.evaluate(
        """(mark) => [...performance.getEntriesByType('navigation'),
                      ...performance.getEntriesByType('resource')]
            .filter((e) => e.responseEnd <= mark).reduce((sum, e) => sum + e.transferSize, 0)""",
        mark,
    )


def first_load(browser: Any, url: str, seeded: dict[str, Any], runs: int) -> dict[str, Any]:
    from tests.builders import PASSWORD
    from web.mobile import SHELL_FILES

    worker, lon, lat = seeded["worker"], seeded["lon"], seeded["lat"]
    login, home, home_nav, received = [], [], [], []
    worker_active = None
    for run in range(runs):
        context, page = _throttled(browser, lon, lat)
        page.set_default_timeout(120_000)
        sign_in(page, url, worker.username, PASSWORD)
        page.wait_for_function("() => window.__bench.home")
        if run == 0:
            # Whether the page's emulation held back the worker's precache (the map library too).
            page.wait_for_function("() => window.__bench.worker")
        marks = _marks(page)
        worker_active = worker_active or marks["worker"]
        login.append(marks["login"])
        home.append(round(marks["home"] - marks["tap"], 1))
        home_nav.append(marks["home"])
        received.append(_bytes_before(page, marks["login"]))
        context.close()
    precache = sum(sizes(ROOT / "static-build" / name)["gzip_bytes"] for name in SHELL_FILES)
    cookie = session_cookie(seeded["staff"])
    desk = []
    for _ in range(runs):
        context, page = _throttled(browser, lon, lat, cookie, url)
        page.goto(f"{url}/staff/events/", timeout=120_000)
        page.wait_for_function("() => window.__bench.desk", timeout=120_000)
        desk.append(_marks(page)["desk"])
        context.close()
    floor = _floor(url, "/m/")
    median, peer = _median(login), _median(desk)
    return {
        "network": {"kbit_s": KBIT_S, "latency_ms": SLOW_3G["latency"]},
        "sign_in_form_ms": login,
        "median_ms": median,
        "target_ms": LOAD_TARGET_MS,
        "meets_target": median <= LOAD_TARGET_MS,
        "floor": floor,
        "ours_vs_floor": _ratio(median, floor["floor_ms"]),
        "browser_received_bytes_until_form": received,
        "peer_staff_desk_ms": desk,
        "peer_median_ms": peer,
        "peer_floor": _floor(url, "/staff/events/", cookie),
        "ours_vs_peer": _ratio(median, peer),
        "service_worker": {
            "active_ms_first_run": worker_active,
            "precache_gzip_bytes": precache,
            "precache_ms_if_throttled": round(precache * 8 / KBIT_S),
            # Active sooner than its files could arrive at 400 kbit/s: the page's emulation did not
            # reach the worker's own requests (its precache came unthrottled, beside the page).
            "precache_throttled": bool(worker_active and worker_active >= precache * 8 / KBIT_S),
        },
        "signed_in_home": {
            "after_tap_ms": home,
            "median_ms": _median(home),
            "from_navigation_median_ms": _median(home_nav),
            "note": "device login, then the area, tasks, templates, events and inbox, then the home drawn",
        },
    }


# --- 2. cached start, offline ----------------------------------------------------------------


def _reloads(page: Any, runs: int) -> dict[str, list[float]]:
    home, floor, drawn = [], [], []
    for _ in range(runs):
        page.reload()
        page.wait_for_function("() => window.__bench.home")
        home.append(_marks(page)["home"])
        floor.append(
            round(page.evaluate("performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd"), 1)
        )
        try:
            page.wait_for_function("() => window.__bench.map", timeout=30_000)
            drawn.append(_marks(page)["map"])
        except Exception:  # noqa: BLE001 - the map is reported, not required
            pass
    return {"home": home, "floor": floor, "map": drawn}


def cached_start(browser: Any, url: str, seeded: dict[str, Any], runs: int) -> dict[str, Any]:
    from tests.builders import PASSWORD

    context = phone_context(browser, lon=seeded["lon"], lat=seeded["lat"])
    context.add_init_script(MARKER)
    page = context.new_page()
    page.set_default_timeout(60_000)
    sign_in(page, url, seeded["worker"].username, PASSWORD)
    ready_offline(page)
    tiles = int(page.get_attribute("[data-tiles-total]", "data-tiles-total") or 0)
    context.set_offline(True)
    offline = _reloads(page, runs)
    controlled = page.evaluate("!!navigator.serviceWorker.controller")
    context.set_offline(False)
    online = _reloads(page, runs)
    context.close()
    median, floor, peer = _median(offline["home"]), _median(offline["floor"]), _median(online["home"])
    return {
        "tiles_kept": tiles,
        "service_worker_controlling": controlled,
        "home_drawn_offline_ms": offline["home"],
        "median_ms": median,
        "target_ms": OFFLINE_TARGET_MS,
        "meets_target": median <= OFFLINE_TARGET_MS,
        "floor_dom_content_loaded_ms": offline["floor"],
        "floor_median_ms": floor,
        "ours_vs_floor": _ratio(median, floor),
        "peer_online_reload_ms": online["home"],
        "peer_median_ms": peer,
        "ours_vs_peer": _ratio(median, peer),
        "map_drawn_offline_ms": offline["map"],
        "map_drawn_offline_median_ms": _median(offline["map"]) if offline["map"] else None,
    }


# --- 4. sync throughput ----------------------------------------------------------------------


def _insert_floor(batches: list[list[int]]) -> list[float]:
    """Seconds to INSERT each batch's rows again (new uuids), bare, committed; then removed."""
    from django.db import connection, transaction

    from layers.models import FieldPoint

    table = FieldPoint._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute"
            " WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
            [table],
        )
        columns = [(name, kind) for name, kind in cursor.fetchall() if name != "id"]
    names = [name for name, _ in columns]
    insert = (
        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(f'%s::{kind}' for _, kind in columns)})"
    )
    samples, made = [], []
    for pks in batches:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {', '.join(f'{n}::text' for n in names)} FROM {table} WHERE id = ANY(%s)", [pks]
            )
            rows = [list(row) for row in cursor.fetchall()]
        for row in rows:
            row[names.index("uuid")] = str(uuid.uuid4())
            made.append(row[names.index("uuid")])
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(insert, rows)
        samples.append(time.perf_counter() - started)
    FieldPoint.objects.filter(uuid__in=made).delete()
    return samples


def _queries_per_op(token: str, points: list[tuple[float, float]]) -> float:
    """The SQL statements one new operation costs (a batch run in this process, counted)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ops = [_field_point_op(lon, lat, n) for n, (lon, lat) in enumerate(points)]
    body = json.dumps({"device_now": _now(), "operations": ops}).encode()
    with CaptureQueriesContext(connection) as captured:
        Wsgi()("POST", "/api/sync/", body=body, headers={"Authorization": f"Token {token}"})
    return round(len(captured.captured_queries) / len(ops), 1)


def throughput(url: str, seeded: dict[str, Any], batches: int) -> dict[str, Any]:
    from tests.builders import PASSWORD

    client = Client(url)
    client.sign_in(seeded["worker"].username, PASSWORD, "bench-throughput")
    points = _points((batches + 1) * BATCH, seeded["cell"], seed=1)
    ops = [_field_point_op(lon, lat, n) for n, (lon, lat) in enumerate(points)]
    warm, ops = ops[:BATCH], ops[BATCH:]
    client.sync(warm)
    chunks = [ops[i : i + BATCH] for i in range(0, len(ops), BATCH)]
    first, again, pks = [], [], []
    for chunk in chunks:
        started = time.perf_counter()
        answers = client.sync(chunk)
        first.append(time.perf_counter() - started)
        states = {a["state"] for a in answers}
        if states != {"applied"}:
            raise RuntimeError(f"sync answered {states}: {answers[0]}")
        pks.append([a["result"]["id"] for a in answers])
    for chunk, ids in zip(chunks, pks, strict=True):
        started = time.perf_counter()
        answers = client.sync(chunk)
        again.append(time.perf_counter() - started)
        if [a["result"]["id"] for a in answers] != ids:
            raise RuntimeError("a replay was not answered with the stored results")
    floor = _insert_floor(pks)
    queries = _queries_per_op(client.token, _points(10, seeded["cell"], seed=5))
    # The peer: the same kind of point through the layer API, one request each.
    peer_points = _points(2 * BATCH, seeded["cell"], seed=2)
    started = time.perf_counter()
    for n, (lon, lat) in enumerate(peer_points):
        status, answer = client.call(
            "POST",
            "/api/field_points/",
            json_body={
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {
                    "uuid": str(uuid.uuid4()),
                    "category": "hazard",
                    "note": f"基准 {n}",
                    "accuracy_m": 8.0,
                },
            },
        )
        if status != 201:
            raise RuntimeError(f"POST /api/field_points/ -> {status}: {answer}")
    peer = len(peer_points) / (time.perf_counter() - started)
    client.close()

    def rates(seconds: list[float]) -> list[float]:
        return [round(BATCH / s, 1) for s in seconds]

    ours, replay, bare = _median(rates(first)), _median(rates(again)), _median(rates(floor))
    return {
        "batches": len(chunks),
        "batch_size": BATCH,
        "ops_per_s": rates(first),
        "median_ops_per_s": ours,
        "target": ">= 500 ops/s",
        "meets_target": ours >= OPS_TARGET,
        "replay_ops_per_s": rates(again),
        "replay_median_ops_per_s": replay,
        "replay_vs_first": _ratio(ours, replay),
        "sql_queries_per_operation": queries,
        "floor_bare_insert_ops_per_s": bare,
        "ours_vs_floor": _ratio(bare, ours),
        "peer_layer_api_one_by_one_ops_per_s": round(peer, 1),
        "ours_vs_peer": _ratio(peer, ours),
        "ratios": "time per operation, ours / theirs (above 1: slower)",
    }


# --- 5. catch-up -----------------------------------------------------------------------------

WRITE_OPS = """
async (ops) => {
  const db = await new Promise((ok, fail) => {
    const open = indexedDB.open('geoportal-mobile', 1);
    open.onsuccess = () => ok(open.result);
    open.onerror = () => fail(open.error);
  });
  await new Promise((ok, fail) => {
    const tx = db.transaction('ops', 'readwrite');
    for (const op of ops) tx.objectStore('ops').put(op);
    tx.oncomplete = ok;
    tx.onerror = () => fail(tx.error);
  });
  db.close();
}
"""
# As photos.js keepPhoto writes it: the JPEG as a Blob, nothing of it uploaded yet.
WRITE_PHOTO = """
async ({ sha, b64, position, at }) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const blob = new Blob([bytes], { type: 'image/jpeg' });
  const db = await new Promise((ok, fail) => {
    const open = indexedDB.open('geoportal-mobile', 1);
    open.onsuccess = () => ok(open.result);
    open.onerror = () => fail(open.error);
  });
  await new Promise((ok, fail) => {
    const tx = db.transaction('photos', 'readwrite');
    tx.objectStore('photos').put({ sha, blob, size: blob.size, received: 0, done: false, position, at });
    tx.oncomplete = ok;
    tx.onerror = () => fail(tx.error);
  });
  db.close();
}
"""

# When the queue's line first shows each phase of the sync round, and 0 open.
PHASES = """
() => {
  const line = document.querySelector('.m-sync-line');
  const seen = (window.__phases = { start: performance.now() });
  new MutationObserver(() => {
    const now = performance.now();
    if (!(line.dataset.phase in seen)) seen[line.dataset.phase] = now;
    if (line.dataset.open === '0' && !('done' in seen)) seen.done = now;
  }).observe(line, { attributes: true });
}
"""


def _queue(
    count: int, photos: list[bytes], cell: tuple[float, float, float, float], seed: int
) -> tuple[list[dict[str, Any]], list[str]]:
    """``count`` operations, the first ``len(photos)`` each with one photo; and the photos' hashes."""
    import hashlib

    shas = [hashlib.sha256(data).hexdigest() for data in photos]
    ops = []
    for n, (lon, lat) in enumerate(_points(count, cell, seed)):
        named = [f"photos/{shas[n]}.jpg"] if n < len(shas) else []
        ops.append(_field_point_op(lon, lat, n, named))
    return ops, shas


def catch_up(
    browser: Any, url: str, seeded: dict[str, Any], count: int, photo_count: int, chunk: int
) -> dict[str, Any]:
    from layers.models import FieldPoint
    from sync.models import PhotoUpload
    from tests.builders import PASSWORD

    worker = seeded["worker"]
    photos = _jpegs(photo_count, seed=100)
    ops, shas = _queue(count, photos, seeded["cell"], seed=3)
    position = {"lon": seeded["lon"], "lat": seeded["lat"], "acc": 8, "t": _now()}
    kept = [
        {**op, "photos": op["data"]["photos"], "label": "安全隐患 · " + op["data"]["note"], "user": worker.pk,
         "state": "pending", "seq": time.time() * 1000 + n / 1000, "result": None}
        for n, op in enumerate(ops)
    ]  # fmt: skip

    context = phone_context(browser, lon=seeded["lon"], lat=seeded["lat"])
    page = context.new_page()
    page.set_default_timeout(60_000)
    sign_in(page, url, worker.username, PASSWORD)
    page.wait_for_function(
        "() => navigator.serviceWorker && navigator.serviceWorker.controller", timeout=60_000
    )
    context.set_offline(True)
    page.evaluate(WRITE_OPS, kept)
    for sha, data in zip(shas, photos, strict=True):
        page.evaluate(
            WRITE_PHOTO,
            {"sha": sha, "b64": base64.b64encode(data).decode(), "position": position, "at": _now()},
        )
    page.reload()
    tab(page, "queue")
    page.wait_for_selector(f'.m-sync-line[data-open="{count}"]')
    page.evaluate(PHASES)
    started = time.perf_counter()
    context.set_offline(False)
    wait_synced(page, timeout=1_800_000)
    browser_s = time.perf_counter() - started
    phases = page.evaluate("window.__phases")
    states = page.locator("[data-op-state]").evaluate_all("els => els.map((e) => e.dataset.opState)")
    context.close()
    ids = [op["id"] for op in ops]
    stored = FieldPoint.objects.filter(uuid__in=ids)
    held = {
        "records": stored.count(),
        "records_with_photo": stored.exclude(photos=[]).count(),
        "photos": PhotoUpload.objects.filter(sha256__in=shas).exclude(path="").count(),
        "op_states_on_phone": {s: states.count(s) for s in set(states)},
    }

    peer_photos = _jpegs(photo_count, seed=10_000)
    peer_ops, peer_shas = _queue(count, peer_photos, seeded["cell"], seed=4)
    client = Client(url)
    client.sign_in(worker.username, PASSWORD, "bench-python-client")
    started = time.perf_counter()
    for data in peer_photos:
        client.upload(data, chunk)
    uploaded = time.perf_counter()
    answers = [a for i in range(0, count, BATCH) for a in client.sync(peer_ops[i : i + BATCH])]
    peer_s = time.perf_counter() - started
    client.close()
    peer_held = {
        "records": FieldPoint.objects.filter(uuid__in=[op["id"] for op in peer_ops]).count(),
        "photos": PhotoUpload.objects.filter(sha256__in=peer_shas).exclude(path="").count(),
        "states": {s: [a["state"] for a in answers].count(s) for s in {a["state"] for a in answers}},
    }
    return {
        "operations": count,
        "photos": photo_count,
        "photo_bytes_each": round(statistics.mean(len(p) for p in photos)),
        "chunk_bytes": chunk,
        "browser_wall_s": round(browser_s, 2),
        # From the page's own clock: the network back until the first chunk is up, the photos,
        # the batches (each phase from when the queue's line first shows it).
        "browser_phases_s": {
            "until_first_chunk": round((phases["photos"] - phases["start"]) / 1000, 2),
            "photos": round((phases["ops"] - phases["photos"]) / 1000, 2),
            "operations": round((phases["done"] - phases["ops"]) / 1000, 2),
        },
        "server_holds": held,
        "all_held": held["records"] == count and held["photos"] == photo_count,
        "peer_python_client_s": round(peer_s, 2),
        "peer_phases_s": {
            "photos": round(uploaded - started, 2),
            "operations": round(started + peer_s - uploaded, 2),
        },
        "peer_server_holds": peer_held,
        "ours_vs_peer": _ratio(browser_s, peer_s),
    }


# --- main ------------------------------------------------------------------------------------

PARTS = ("bundle", "load", "offline", "throughput", "catchup")


def run(args: argparse.Namespace, wanted: set[str], media: Path) -> dict[str, Any]:
    """The parts asked for, against a bench database created here and dropped at the end."""
    os.environ.update(bench_env(DB_NAME, media, LOGIN_RATE_LIMIT="10000/min"))
    # Playwright's sync API keeps an event loop in this thread; the ORM calls between its steps
    # are plain blocking ones all the same.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    if not (ROOT / ".data/secret_key").exists():
        # No `make run` key: one for this run, shared with the gunicorn (sessions are signed by it).
        os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    setup_django()
    from django.db import connection, connections
    from django.test.utils import setup_databases, teardown_databases
    from playwright.sync_api import sync_playwright

    from web.mobile import CHUNK_BYTES

    connection.settings_dict["TEST"]["NAME"] = DB_NAME
    result: dict[str, Any] = {
        "database": f"{DB_NAME} (created and dropped by this run)",
        "cpus": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    if "bundle" in wanted:
        result["bundle"] = bundle()
    old = setup_databases(verbosity=0, interactive=False, serialized_aliases=set())
    try:
        seeded = _seed()
        env = {**bench_env(DB_NAME, media, LOGIN_RATE_LIMIT="10000/min"), "DATABASE_URL": _database_url()}
        with own_server(env) as url, sync_playwright() as p:
            result["server"] = "own gunicorn (prod settings, 4 × 16 gthread) on the bench database"
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            # The browser parts first, while the area holds only the seeded city (the throughput
            # part adds thousands of points to the worker's cell).
            if "load" in wanted:
                result["first_load_slow_3g"] = first_load(browser, url, seeded, args.runs_load)
            if "offline" in wanted:
                result["cached_start_offline"] = cached_start(browser, url, seeded, args.runs_offline)
            if "throughput" in wanted:
                result["sync_throughput"] = throughput(url, seeded, max(10, args.batches))
            if "catchup" in wanted:
                result["catch_up"] = catch_up(
                    browser, url, seeded, args.catch_up_ops, args.catch_up_photos, CHUNK_BYTES
                )
            browser.close()
        result["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    finally:
        # A gunicorn worker killed mid-request may leave its session behind for a moment; the
        # database is this run's alone.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        connections.close_all()
        teardown_databases(old, verbosity=0)
        drop_cache_keys(DB_NAME)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs-load", type=int, default=5, help="first loads on slow 3G")
    parser.add_argument("--runs-offline", type=int, default=7, help="reloads offline (and online)")
    parser.add_argument("--batches", type=int, default=20, help="sync batches of 100 (at least 10)")
    parser.add_argument("--catch-up-ops", type=int, default=500)
    parser.add_argument("--catch-up-photos", type=int, default=50)
    parser.add_argument("--only", choices=PARTS, action="append", help="run only these parts")
    parser.add_argument("--out", help="also write the JSON here")
    args = parser.parse_args()
    wanted = set(args.only or PARTS)

    media = Path(tempfile.mkdtemp(prefix="bench-mobile-media-"))
    try:
        result = run(args, wanted, media)
    finally:
        shutil.rmtree(media, ignore_errors=True)
    report("mobile", result)
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
