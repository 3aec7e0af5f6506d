"""The UI speaks Chinese first and English second (Accept-Language, the language cookie or /i18n/setlang/).

Model labels are written in Chinese and translated into English by locale/en; API errors are written in
English and translated into Chinese by locale/zh_Hans. The .mo files are build output
(scripts/compile_messages.sh), so this module compiles them itself when they are missing or stale.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

LOCALE_DIR = Path(settings.LOCALE_PATHS[0])
CATALOGUES = {
    "en": LOCALE_DIR / "en/LC_MESSAGES/django.po",
    "zh_Hans": LOCALE_DIR / "zh_Hans/LC_MESSAGES/django.po",
}
CJK = re.compile(r"[\u3400-\u9fff]")
ENTRY = re.compile(r'^((?:#.*\n)*)msgid ((?:".*"\n)+)msgstr ((?:".*"\n?)+)', re.MULTILINE)


def _stale(po: Path) -> bool:
    mo = po.with_suffix(".mo")
    return not mo.exists() or po.stat().st_mtime > mo.stat().st_mtime


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogues() -> None:
    if any(_stale(po) for po in CATALOGUES.values()):
        call_command("compilemessages", verbosity=0)
        # Catalogues already loaded by this process do not know about the new .mo files: changing
        # LOCALE_PATHS (here to itself) makes Django drop its translation caches.
        with override_settings(LOCALE_PATHS=list(settings.LOCALE_PATHS)):
            pass


def _po_entries(path: Path) -> list[tuple[str, str, str]]:
    """(comments, msgid, msgstr) of every entry but the header."""

    def text(quoted: str) -> str:
        return "".join(ast.literal_eval(line) for line in quoted.splitlines() if line.strip())

    entries = [(c, text(i), text(s)) for c, i, s in ENTRY.findall(path.read_text(encoding="utf-8"))]
    return [e for e in entries if e[1]]


def _parcels(client, **headers) -> dict:
    response = client.get("/api/layers/", **headers)
    assert response.status_code == 200, response.content
    return next(layer for layer in response.json()["layers"] if layer["name"] == "parcels")


def _field(layer: dict, name: str) -> dict:
    return next(f for f in layer["fields"] if f["name"] == name)


def _choice(field: dict, value: str) -> str:
    return next(c["label"] for c in field["choices"] if c["value"] == value)


@pytest.mark.django_db
def test_catalogue_is_in_english_for_accept_language_en(client):
    parcels = _parcels(client, HTTP_ACCEPT_LANGUAGE="en")
    assert parcels["title"] == "Land parcels"
    land_use = _field(parcels, "land_use")
    assert land_use["title"] == "Land use"
    assert _choice(land_use, "industrial") == "Industrial land"
    assert _choice(_field(parcels, "supply_status"), "sold") == "Transferred"
    assert _field(parcels, "area_mu")["title"] == "Area (mu)"


@pytest.mark.django_db
def test_catalogue_is_in_chinese_by_default(client):
    parcels = _parcels(client)
    assert parcels["title"] == "地块"
    land_use = _field(parcels, "land_use")
    assert land_use["title"] == "用地性质"
    assert _choice(land_use, "industrial") == "工业用地"


@pytest.mark.django_db
def test_language_cookie_selects_english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert _field(_parcels(client), "land_use")["title"] == "Land use"


@pytest.mark.django_db
def test_api_error_is_in_chinese_by_default(client):
    response = client.get("/api/parcels/?division=999999999999")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["fields"]["division"] == ["未知的行政区划代码 999999999999。"]
    assert error["message"] == "输入有误。division: 未知的行政区划代码 999999999999。"


@pytest.mark.django_db
def test_api_error_is_in_english_for_accept_language_en(client):
    response = client.get("/api/parcels/?division=999999999999", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["fields"]["division"] == ["unknown division code 999999999999."]
    assert error["message"] == "Invalid input. division: unknown division code 999999999999."


@pytest.mark.parametrize("language", sorted(CATALOGUES))
def test_every_message_is_translated_into_the_other_language(language):
    """en translates every Chinese msgid, zh_Hans every English one; nothing is left fuzzy."""
    entries = _po_entries(CATALOGUES[language])
    assert entries
    source_is_chinese = language == "en"
    missing = [i for _c, i, s in entries if bool(CJK.search(i)) == source_is_chinese and not s]
    fuzzy = [i for c, i, _s in entries if re.search(r"^#,.*\bfuzzy\b", c, re.MULTILINE)]
    assert not missing, f"untranslated in {language} (run makemessages, then translate): {missing}"
    assert not fuzzy, f"fuzzy in {language}: {fuzzy}"
