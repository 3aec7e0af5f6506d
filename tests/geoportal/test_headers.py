"""HTTP hardening: the Content-Security-Policy (core/headers.py) and Django's own security headers on
our pages, templates free of inline code, and `manage.py check --deploy` clean under production
settings."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from accounts.models import User
from core.headers import NONCE, build_policy

ROOT = Path(__file__).resolve().parents[2]
PAGES = ["/", "/wall/", "/admin/login/", "/api/docs/"]

pytestmark = [pytest.mark.django_db]


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in header.split("; ")}


@pytest.mark.parametrize("path", PAGES)
def test_pages_send_a_strict_policy_and_the_security_headers(path):
    response = Client().get(path)
    assert response.status_code in (200, 403)  # the wall refuses an anonymous viewer, with its page
    policy = _policy(response)
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"][0] == "'self'"
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] in ("same-origin", "no-referrer")


def test_admin_page_for_staff_has_no_nonce_to_spend():
    admin = User.objects.create_superuser("root7", password="x-Strong-pass-9")
    client = Client()
    client.force_login(admin)
    response = client.get("/admin/")
    assert response.status_code == 200
    # Nothing inline on the admin: the policy carries no nonce, so nothing inline could run.
    assert "nonce-" not in response["Content-Security-Policy"]
    assert b'name="geoportal-watermark"' in response.content and b"root7" in response.content


def test_api_docs_inline_blocks_carry_this_requests_nonce():
    first, second = Client().get("/api/docs/"), Client().get("/api/docs/")
    nonces = []
    for response in (first, second):
        (nonce,) = set(re.findall(r"'nonce-([^']+)'", response["Content-Security-Policy"]))
        body = response.content.decode()
        assert f'<style nonce="{nonce}">' in body and f'<script nonce="{nonce}">' in body
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


def test_a_policy_without_a_used_nonce_drops_the_placeholder():
    policy = {"script-src": ["'self'", NONCE]}
    assert build_policy(policy, None) == "script-src 'self'"
    assert build_policy(policy, "abc") == "script-src 'self' 'nonce-abc'"


TEMPLATE_DIRS = [ROOT / "web" / "templates", ROOT / "geoportal" / "templates", ROOT / "layers" / "templates"]
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*\bnonce=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"<style(?![^>]*\bnonce=)[^>]*>", re.I), "a <style> element"),
    (re.compile(r"\sstyle\s*=", re.I), 'a style="" attribute'),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an inline event handler"),
]


def test_templates_have_no_inline_code():
    found = []
    for folder in TEMPLATE_DIRS:
        for path in folder.rglob("*.html"):
            text = re.sub(r"{% comment %}.*?{% endcomment %}", "", path.read_text(), flags=re.S)
            found += [f"{path.relative_to(ROOT)}: {what}" for rx, what in INLINE if rx.search(text)]
    assert found == []


def test_front_end_sets_no_style_attributes_in_markup():
    found = []
    for path in (ROOT / "frontend" / "src").rglob("*.js"):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if line.lstrip().startswith("//"):
                continue
            if re.search(r"style=|setAttribute\(\s*['\"]style|\.cssText\s*=|\son[a-z]+=[\"'$]", line):
                found.append(f"{path.relative_to(ROOT)}:{n}")
    assert found == []


def _prod_env(https: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        DJANGO_SETTINGS_MODULE="geoportal.settings.prod",
        SECRET_KEY=secrets.token_urlsafe(50),
        HTTPS="true" if https else "false",
    )
    return env


def test_deploy_check_is_clean_under_production_settings():
    run = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_prod_env(https=True),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "System check identified no issues" in run.stdout


@pytest.mark.parametrize("https", [True, False])
def test_hsts_only_behind_https(https):
    code = (
        "from django.conf import settings as s; "
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE)"
    )
    run = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=_prod_env(https=https),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    expected = "31536000 True True" if https else "0 False False"
    assert run.stdout.strip().splitlines()[-1] == expected
