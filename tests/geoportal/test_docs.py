"""/api/docs/ serves Swagger UI from our own static files (drf-spectacular-sidecar), not from a public
CDN at ``@latest`` with no integrity check: it works offline and nobody else can change the script
that runs beside a logged-in session (issue 13, Low)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db

# Every URL the page loads: src/href attributes and the quoted URLs of its inline set-up script.
LOADED = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|["']((?:https?:)?//[^"']+)["']""")


def test_swagger_ui_is_served_from_our_own_static_files(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200, response.content
    page = response.content.decode()
    urls = [a or b for a, b in LOADED.findall(page)]
    assert urls, page
    external = [url for url in urls if re.match(r"(?:https?:)?//", url)]
    assert not external, f"the docs page loads from other hosts: {external}"
    assets = [url for url in urls if url.startswith(settings.STATIC_URL)]
    assert any("swagger-ui-bundle" in url for url in assets), urls
    assert any("swagger-ui.css" in url for url in assets), urls
    for url in assets:
        name = url.removeprefix(settings.STATIC_URL).split("?")[0]
        assert finders.find(name), f"{url} is not among our static files"
