"""How Debian's Chromium is launched headless, for the browser tests and scripts/bench/frontend.py.
Playwright drives /usr/bin/chromium; it never downloads a browser."""

from __future__ import annotations

import os

CHROMIUM = os.environ.get("GEOPORTAL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
