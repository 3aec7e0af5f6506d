"""A grid worker's phone in Chromium: a Pixel-class screen with touch, a scripted position, the
network switched off and on, photos made in code; and the app's steps (sign in, tag a point,
walk a patrol, wait for the queue to drain). Shared by tests/web/test_mobile.py and
scripts/bench/mobile.py."""

from __future__ import annotations

import io
import math
from collections.abc import Iterator
from typing import Any

# A Pixel 5 as Playwright describes it (its device list needs the Playwright object, which the
# shared browser fixture does not hand out).
PIXEL = {
    "viewport": {"width": 393, "height": 851},
    "screen": {"width": 393, "height": 851},
    "device_scale_factor": 2.75,
    "is_mobile": True,
    "has_touch": True,
    "user_agent": (
        "Mozilla/5.0 (Linux; Android 11; Pixel 5) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.0.0 Mobile Safari/537.36"
    ),
}
METRES_PER_DEGREE = 111_320.0


def phone_context(browser: Any, *, lon: float, lat: float, lang: str = "zh-CN") -> Any:
    return browser.new_context(
        **PIXEL,
        locale=lang,
        permissions=["geolocation"],
        geolocation={"longitude": lon, "latitude": lat, "accuracy": 8},
        service_workers="allow",
    )


def photo(seed: int, size: tuple[int, int] = (640, 480), *, noise: bool = False) -> dict[str, Any]:
    """A picture as the camera would hand it over: distinct per ``seed``; ``noise`` makes one that
    stays large after JPEG compression (for the chunked, resumable upload)."""
    from PIL import Image

    if noise:
        import numpy as np

        rng = np.random.default_rng(seed)
        image = Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))
    else:
        image = Image.new("RGB", size, ((seed * 37) % 255, (seed * 91) % 255, (seed * 53) % 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return {"name": f"IMG_{seed:04d}.png", "mimeType": "image/png", "buffer": out.getvalue()}


def walk(lon: float, lat: float, *, metres: float, step_m: float = 25.0) -> Iterator[tuple[float, float]]:
    """A scripted path of ``metres`` from (lon, lat): east, then north, then back west, so it stays
    in a small square, one fix each ``step_m``."""
    legs = [(1, 0), (0, 1), (-1, 0), (0, -1)]
    side = metres / len(legs)
    x, y = lon, lat
    per_lon = METRES_PER_DEGREE * math.cos(math.radians(lat))
    yield x, y
    for dx, dy in legs:
        for _ in range(int(side // step_m)):
            x += dx * step_m / per_lon
            y += dy * step_m / METRES_PER_DEGREE
            yield x, y


def sign_in(page: Any, base: str, username: str, password: str, *, lang: str = "") -> None:
    page.goto(f"{base}/m/{'?lang=' + lang if lang else ''}")
    page.fill("#login-username", username)
    page.fill("#login-password", password)
    page.click(".m-login button.primary")
    page.wait_for_selector(".m-tabs")


def ready_offline(page: Any) -> None:
    """Waits until the phone holds what it needs with no network: the service worker controls
    the page, and the area, the tasks and every tile of the cell are kept."""
    page.wait_for_function(
        "() => navigator.serviceWorker && navigator.serviceWorker.controller", timeout=30000
    )
    page.wait_for_function(
        "() => { const el = document.querySelector('[data-tiles-total]');"
        " return el && Number(el.dataset.tilesTotal) > 0 && el.dataset.tiles === el.dataset.tilesTotal; }",
        timeout=180000,
    )


def tab(page: Any, name: str) -> None:
    page.click(f'.m-tabs [data-tab="{name}"]')


def tag_point(
    page: Any, category: str, note: str, picture: dict[str, Any], *, accuracy: int | None = None
) -> None:
    """Tags one point; ``accuracy``: wait until the app has the position set with it (the
    position comes to the page asynchronously)."""
    tab(page, "tag")
    if accuracy is not None:
        page.wait_for_selector(f'.m-tag [data-acc="{accuracy}"]')
    page.select_option("#tag-category", category)
    page.fill("#tag-note", note)
    before = page.locator(".m-tag .m-thumb").count()
    page.set_input_files('.m-tag input[name="photos"]', files=[picture])
    page.wait_for_function(f"() => document.querySelectorAll('.m-tag .m-thumb').length > {before}")
    page.click(".m-tag button.primary")
    page.wait_for_function("() => !document.querySelector('.m-tag .m-thumb')")


def open_ops(page: Any) -> int:
    return int(page.get_attribute(".m-sync-line", "data-open") or 0)


def wait_synced(page: Any, timeout: float = 120000) -> None:
    """Waits until no operation is left to send (the queue's line says 0 open)."""
    tab(page, "queue")
    page.wait_for_function(
        "() => { const el = document.querySelector('.m-sync-line'); return el && el.dataset.open === '0'; }",
        timeout=timeout,
    )


def op_states(page: Any) -> list[str]:
    return page.locator("[data-op-state]").evaluate_all("els => els.map((e) => e.dataset.opState)")
