"""Browser fixtures: Debian's Chromium driven by Playwright (never a downloaded browser), a small
seeded city, and screenshots kept under test-artifacts/web/."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.test import Client

from tests.browser import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "web"
# Console messages that are not errors of ours: Chromium's software GL complaining about speed.
IGNORED_CONSOLE = ("GL Driver Message", "GPU stall", "WebGL-")


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: scripts/provision.sh installs Debian's chromium")
    for bundle in ("web/map.js", "web/wall.js"):
        if not (ROOT / "static-build" / bundle).exists():
            pytest.fail(f"static-build/{bundle} is missing: run scripts/build_frontend.sh")
    # Playwright's sync API keeps an event loop in this thread; the ORM calls the tests make
    # between page actions are ordinary blocking calls and safe here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Page:
    """A browser page that records console errors and failed requests."""

    page: object
    errors: list[str] = field(default_factory=list)

    def shot(self, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path


@pytest.fixture
def open_page(browser):
    contexts = []

    def make(width: int = 1280, height: int = 800, **options) -> Page:
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN", **options)
        contexts.append(context)
        page = context.new_page()
        wrapped = Page(page)

        def console(msg):
            if msg.type == "error" and not any(s in msg.text for s in IGNORED_CONSOLE):
                wrapped.errors.append(f"console: {msg.text}")

        page.on("console", console)
        page.on("pageerror", lambda exc: wrapped.errors.append(f"pageerror: {exc}"))
        page.on(
            "response",
            lambda res: wrapped.errors.append(f"{res.status} {res.url}") if res.status >= 400 else None,
        )
        page.set_default_timeout(15000)
        return wrapped

    yield make
    for context in contexts:
        context.close()


def not_blank(path: Path) -> bool:
    """A screenshot with a real picture in it: many colours, not one flat fill."""
    from PIL import Image

    img = Image.open(path).convert("RGB").resize((320, 200))
    colours = img.getcolors(maxcolors=320 * 200)
    return colours is not None and len(colours) > 40


def log_in(p, base: str, user) -> None:
    """The browser of ``p`` logged in as ``user`` (a session made by Django's test client)."""
    client = Client()
    client.force_login(user)
    p.page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}]
    )
