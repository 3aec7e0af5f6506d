"""Front-end benchmark: first map render with data, bundle sizes, live-feed latency, wall memory.

    make run                                   # or DEMO_SCALE=1 make run for the reference numbers
    .venv/bin/python scripts/bench/frontend.py [--url http://127.0.0.1:8000] [--runs 7] [--minutes 30]

- **First render with data**: Debian's Chromium (Playwright, headless, software WebGL) opens the
  investment map (``/``, 1440 × 900) and the wall (``/wall/?token=…``, 3840 × 2160) in a fresh browser
  context each run (no HTTP cache) and reads the page's own mark: ``performance.now()`` when
  ``queryRenderedFeatures`` first finds data, i.e. milliseconds from navigation start. Median of
  ``--runs``; the first run is also reported alone (cold browser cache). The wall is measured as it
  runs (software GL: the map drawn at 1920 × 1080 and scaled) and at full resolution
  (``?pixelratio=1``), for comparison.
- **Bundles**: the pages' JavaScript and CSS in static-build/, raw and gzip -9 (what nginx and
  WhiteNoise send precompressed).
- **Live feed**: synthetic field-point events published on the live channel (straight to Redis:
  nothing is written to the database) until they show in the wall's feed, median of 10.
- **Wall memory**: the wall rotates its themes every ``--rotate`` seconds for ``--minutes`` while a
  synthetic event arrives every 3 s. JS heap (after a forced GC), DOM nodes and event listeners are
  read over CDP at the start, every minute, and at the end.

The page must be served by this checkout's code and build: if ``--url`` does not serve the current
bundles (a ``make run`` started before the last front-end build), the script starts its own gunicorn
(production settings, static files collected into a temporary folder) on a free port against the
same database, and stops it at the end. Prints JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import statistics
import time
import urllib.request
from pathlib import Path
from typing import Any

from common import ROOT, own_server, report, setup_django, sizes

from tests.browser import CHROMIUM, CHROMIUM_ARGS

TARGET_MS = 2000
# A function, not an expression: the pages' CSP forbids the eval Playwright needs for one.
READY = "() => window.__geoportal && window.__geoportal.firstDataRender"
SOURCE_MAP = re.compile(rb"\n?//# sourceMappingURL=\S+\s*$")


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as res:
        return res.read()


def serves_current_build(url: str) -> bool:
    """Whether ``url`` serves the web pages with the bundles now in static-build/."""
    try:
        html = _get(url + "/")
        script = re.search(rb'src="(/static/web/map[^"]*\.js)"', html)
        if not script:
            return False
        served = _get(url + script.group(1).decode())
    except OSError:
        return False
    built = (ROOT / "static-build/web/map.js").read_bytes()
    # collectstatic rewrites the source-map comment to the hashed name; the code is the same.
    return SOURCE_MAP.sub(b"", served) == SOURCE_MAP.sub(b"", built)


BENCH_TOKEN_NAME = "bench-frontend"


def display_token() -> str:
    """A display token of the bench's own for the display user. Keys are stored only as hashes,
    so the one `manage.py wall_token` printed cannot be read back; the bench's earlier tokens are
    revoked, the wall's own URL is left alone."""
    from django.contrib.auth import get_user_model

    from accounts import tokens
    from accounts.models import TokenKind
    from accounts.roles import Role

    user = get_user_model().objects.filter(role=Role.DISPLAY, is_active=True, is_superuser=False).first()
    if user is None:
        raise SystemExit("no display (大屏) user: load the demo city (make run) or create one")
    for old in tokens.live_tokens(user).filter(kind=TokenKind.DISPLAY, name=BENCH_TOKEN_NAME):
        tokens.revoke(old)
    return tokens.issue(user, TokenKind.DISPLAY, name=BENCH_TOKEN_NAME)[1]


def bundles() -> dict[str, dict[str, int]]:
    out = {}
    for path in [
        *sorted((ROOT / "static-build/web").glob("*")),
        *(ROOT / "static-build/vendor/pannellum").glob("*"),
    ]:
        if path.suffix in {".js", ".css"}:
            out[str(path.relative_to(ROOT / "static-build"))] = sizes(path)
    return out


def first_render(browser: Any, url: str, runs: int, viewport: dict[str, int]) -> dict[str, Any]:
    times, marks = [], []
    for _ in range(runs):
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        page.goto(url)
        page.wait_for_function(READY, timeout=60000)
        times.append(round(page.evaluate("window.__geoportal.firstDataRender")))
        marks.append(
            page.evaluate(
                "Object.fromEntries(performance.getEntriesByType('mark')"
                ".map(m => [m.name.replace('geoportal:', ''), Math.round(m.startTime)]))"
            )
        )
        context.close()
    median = statistics.median(times)
    return {
        "viewport": f"{viewport['width']}x{viewport['height']}",
        "first_data_render_ms": times,
        "median_ms": median,
        "cold_ms": times[0],
        "target_ms": TARGET_MS,
        "meets_target": median <= TARGET_MS,
        "marks_of_last_run_ms": marks[-1],
    }


FILTER_TO_RESULTS = """async (value) => {
  const map = window.__geoportal.map;
  const input = document.querySelector('#filter-form input[name="price_max"]');
  const listed = new Promise((resolve) => {
    const watch = new MutationObserver(() => { watch.disconnect(); resolve(performance.now()); });
    watch.observe(document.getElementById('results-items'), { childList: true });
  });
  const drawn = new Promise((resolve) => map.once('idle', () => resolve(performance.now())));
  const started = performance.now();
  input.value = value;
  input.dispatchEvent(new Event('change', { bubbles: true }));
  const [list, tiles] = await Promise.all([listed, drawn]);
  return { list: list - started, map: tiles - started, both: Math.max(list, tiles) - started };
}"""


def filter_to_results(browser: Any, url: str, runs: int) -> dict[str, Any]:
    """A price filter changed on the investment map, until the results list and the map show it;
    the floor is the list's own API request, timed from here."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.goto(f"{url}/?panel=filters&lu=industrial")
    page.wait_for_function(READY, timeout=60000)
    page.wait_for_function("() => document.getElementById('results-count').dataset.count !== undefined")
    samples = []
    floor = []
    for i in range(runs + 2):
        value = str(30 + 5 * (i % 8))
        samples.append(page.evaluate(FILTER_TO_RESULTS, value))
        query = f"land_use__in=industrial&price_wan_per_mu__lte={value}&page_size=10&page=1"
        query += "&ordering=price_wan_per_mu"
        started = time.perf_counter()
        _get(f"{url}/api/parcels/?{query}")
        floor.append((time.perf_counter() - started) * 1000)
    context.close()
    samples, floor = samples[2:], floor[2:]  # warm-up
    both = statistics.median(s["both"] for s in samples)
    api_floor = statistics.median(floor)
    return {
        "runs": runs,
        "list_p50_ms": round(statistics.median(s["list"] for s in samples)),
        "map_p50_ms": round(statistics.median(s["map"] for s in samples)),
        "both_p50_ms": round(both),
        "api_request_p50_ms": round(api_floor),
        "ratio_to_api_request": round(both / max(api_floor, 1), 2),
        "target_ms": 500,
        "meets_target": both <= 500,
    }


def synthetic_event(n: int, bounds: list[float]) -> dict[str, Any]:
    """A field point as web.stream.payload shapes it, with an id no real point has."""
    return {
        "id": 2_000_000_000 + n,
        "uuid": f"00000000-0000-0000-0000-{n:012d}",
        "category": "hazard",
        "category_zh": "安全隐患",
        "category_en": "Hazard",
        "note": f"基准测试事件 {n}",
        "status": "reported",
        "reported_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
        "lon": bounds[0] + (bounds[2] - bounds[0]) * ((n * 37) % 100) / 100,
        "lat": bounds[1] + (bounds[3] - bounds[1]) * ((n * 61) % 100) / 100,
        "division_code": "",
        "places": [],
        "grid_cell_id": None,
        "is_public": False,
    }


class Publisher:
    def __init__(self) -> None:
        from core.sse import _redis, channel
        from tiles.style import city_bounds

        self.client, self.channel, self.bounds, self.n = _redis(), channel(), city_bounds(), 0

    def publish(self) -> int:
        self.n += 1
        event = synthetic_event(self.n, self.bounds)
        self.client.publish(self.channel, json.dumps(event, ensure_ascii=False))
        return event["id"]


def open_wall(browser: Any, url: str) -> tuple[Any, Any]:
    context = browser.new_context(viewport={"width": 3840, "height": 2160})
    page = context.new_page()
    page.goto(url)
    page.wait_for_function(READY, timeout=60000)
    page.wait_for_selector("#live-status.on", timeout=30000)
    return context, page


def live_latency(browser: Any, url: str, publisher: Publisher, events: int = 10) -> dict[str, Any]:
    context, page = open_wall(browser, url)
    samples = []
    for _ in range(events):
        started = time.perf_counter()
        event_id = publisher.publish()
        page.wait_for_selector(f'#feed li[data-id="{event_id}"]', timeout=30000)
        samples.append(round((time.perf_counter() - started) * 1000, 1))
        time.sleep(0.5)
    context.close()
    return {"publish_to_feed_ms": samples, "median_ms": statistics.median(samples), "target_ms": TARGET_MS}


def soak(browser: Any, url: str, minutes: float, rotate: int, publisher: Publisher) -> dict[str, Any]:
    context, page = open_wall(browser, f"{url}&rotate={rotate}")
    cdp = context.new_cdp_session(page)
    cdp.send("Performance.enable")
    page.wait_for_timeout(5000)

    def sample(label: str) -> dict[str, Any]:
        cdp.send("HeapProfiler.collectGarbage")
        metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
        state = page.evaluate(
            "({events: window.__geoportal.events, rotations: window.__geoportal.rotations,"
            " feed: document.querySelectorAll('#feed li').length,"
            " markers: document.querySelectorAll('.maplibregl-marker').length,"
            " reloaded: !window.__benchSameDocument})"
        )
        return {
            "at": label,
            "js_heap_used_mb": round(metrics["JSHeapUsedSize"] / 2**20, 2),
            "js_heap_total_mb": round(metrics["JSHeapTotalSize"] / 2**20, 2),
            "dom_nodes": int(metrics["Nodes"]),
            "js_event_listeners": int(metrics["JSEventListeners"]),
            **state,
        }

    page.evaluate("window.__benchSameDocument = true")
    samples = [sample("start")]
    started = time.monotonic()
    next_sample = 60.0
    while (elapsed := time.monotonic() - started) < minutes * 60:
        publisher.publish()
        time.sleep(3)
        if elapsed >= next_sample:
            samples.append(sample(f"{int(elapsed // 60)} min"))
            next_sample += 60
    samples.append(sample(f"end ({(time.monotonic() - started) / 60:.1f} min)"))
    context.close()
    start, end = samples[0], samples[-1]
    return {
        "minutes": round((time.monotonic() - started) / 60, 2),
        "rotate_s": rotate,
        "viewport": "3840x2160",
        "start": start,
        "end": end,
        "heap_growth_mb": round(end["js_heap_used_mb"] - start["js_heap_used_mb"], 2),
        "samples": samples,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="make run's address")
    parser.add_argument("--runs", type=int, default=7, help="page loads per measurement")
    parser.add_argument("--minutes", type=float, default=30, help="length of the wall soak; 0 skips it")
    parser.add_argument("--rotate", type=int, default=10, help="seconds per wall theme during the soak")
    parser.add_argument("--out", help="also write the JSON here")
    args = parser.parse_args()
    setup_django()
    from playwright.sync_api import sync_playwright

    result: dict[str, Any] = {"bundles": bundles()}
    result["bundles_gzip_total"] = {
        page: sum(v["gzip_bytes"] for k, v in result["bundles"].items() if k.startswith(f"web/{page}"))
        for page in ("map", "wall")
    }
    reuse = serves_current_build(args.url)
    server = contextlib.nullcontext(args.url) if reuse else own_server()
    publisher = Publisher()
    token = display_token()
    with server as url, sync_playwright() as p:
        result["server"] = "make run" if reuse else "own gunicorn (prod settings, 4 × 16 gthread)"
        result["cpus"] = os.cpu_count()
        result["load_average_at_start"] = [round(x, 2) for x in os.getloadavg()]
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        wall = f"{url}/wall/?token={token}"
        result["investment_map"] = first_render(browser, f"{url}/", args.runs, {"width": 1440, "height": 900})
        result["filter_to_results"] = filter_to_results(browser, url, args.runs)
        result["wall"] = first_render(browser, wall, args.runs, {"width": 3840, "height": 2160})
        full = first_render(browser, f"{wall}&pixelratio=1", args.runs, {"width": 3840, "height": 2160})
        result["wall_full_resolution"] = full
        result["live_feed"] = live_latency(browser, wall, publisher)
        if args.minutes > 0:
            result["wall_memory"] = soak(browser, wall, args.minutes, args.rotate, publisher)
        browser.close()
    report("frontend", result)
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
