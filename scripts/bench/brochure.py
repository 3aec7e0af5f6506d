"""The brochure (园区云名片, web/brochure.py): time to a one-page PDF of a parcel and of a park over
HTTP, against the floor and a peer measured in the same run.

- **ours:** ``GET /brochure/<layer>/<id>.pdf`` through nginx (target ≤ 2 s);
- **floor:** ``GET /api/<layer>/<id>/``, the same record as GeoJSON: what any answer about it costs;
- **peer:** headless Chromium printing the record's page to PDF (``page.pdf()``), the way an
  HTML-to-PDF service would make the same sheet.

Prints JSON. Needs `make run`.
"""

from __future__ import annotations

import os
import urllib.request

from common import ratio, report, setup_django, summary, timed

BASE = os.environ.get("GEOPORTAL_URL", f"http://127.0.0.1:{os.environ.get('GEOPORTAL_PORT', '8000')}")
RUNS = 20


def fetch(path: str) -> bytes:
    with urllib.request.urlopen(f"{BASE}{path}", timeout=30) as response:
        return response.read()


def main() -> None:
    setup_django()
    from layers.models import LandParcel, Park

    parcel = LandParcel.objects.filter(is_public=True, supply_status="available").order_by("id").first()
    park = Park.objects.filter(is_public=True).order_by("id").first()
    results = {}
    for layer, record in (("parcels", parcel), ("parks", park)):
        pdf = fetch(f"/brochure/{layer}/{record.pk}.pdf")
        ours = summary(timed(lambda layer=layer, pk=record.pk: fetch(f"/brochure/{layer}/{pk}.pdf"), RUNS))
        floor = summary(timed(lambda layer=layer, pk=record.pk: fetch(f"/api/{layer}/{pk}/"), RUNS))
        results[layer] = {"ours": ours, "floor": floor, "vs_floor": ratio(ours, floor), "pdf_bytes": len(pdf)}

    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page()

        def print_page() -> None:
            page.goto(f"{BASE}/?sel=parcels:{parcel.pk}", wait_until="networkidle")
            page.pdf(format="A4")

        peer = summary(timed(print_page, 5, warmup=1))
        browser.close()
    results["parcels"]["peer_chromium_print"] = peer
    results["parcels"]["vs_peer"] = ratio(results["parcels"]["ours"], peer)
    report("brochure", {"target_ms": 2000, **results})


if __name__ == "__main__":
    main()
