"""Settings come from the environment through geoportal/settings/env.py; a bad value stops start-up
with ImproperlyConfigured naming the variable, never a silent default."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from geoportal.settings import env
from ingest import conf

ROOT = Path(__file__).resolve().parents[2]

START = (
    "import django; django.setup(); from ingest import conf; "
    "print(conf.max_upload_bytes(), conf.zip_max_ratio())"
)


def start(**variables: str) -> subprocess.CompletedProcess:
    """Start Django the way the web server and the workers do, with these environment variables."""
    return subprocess.run(
        [sys.executable, "-c", START],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "geoportal.settings.test", **variables},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_ingest_settings_are_read_from_the_environment():
    result = start(INGEST_MAX_UPLOAD_MB="3", INGEST_ZIP_MAX_RATIO="7.5")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(3 * 1024 * 1024), "7.5"]


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("INGEST_ZIP_MAX_MB", "lots", "INGEST_ZIP_MAX_MB must be a number, got 'lots'."),
        ("INGEST_MAX_UPLOAD_MB", "-1", "INGEST_MAX_UPLOAD_MB must be greater than 0, got '-1'."),
        ("INGEST_MAX_REPORT_ITEMS", "2.5", "INGEST_MAX_REPORT_ITEMS must be a whole number, got '2.5'."),
        ("INGEST_ZIP_MAX_ENTRIES", "0", "INGEST_ZIP_MAX_ENTRIES must be at least 1, got '0'."),
        ("WEB_STREAM_SLOTS", "many", "WEB_STREAM_SLOTS must be a whole number, got 'many'."),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(variable, value, message):
    result = start(**{variable: value})
    assert result.returncode != 0
    assert f"django.core.exceptions.ImproperlyConfigured: {message}" in result.stderr


def test_env_readers(monkeypatch):
    monkeypatch.setenv("X_NUMBER", "0.25")
    assert env.env_float("X_NUMBER", 1.0, positive=True) == 0.25
    monkeypatch.setenv("X_NUMBER", "inf")
    with pytest.raises(ImproperlyConfigured, match="X_NUMBER must be a finite number"):
        env.env_float("X_NUMBER", 1.0)
    monkeypatch.setenv("X_NUMBER", "")
    assert env.env_float("X_NUMBER", 1.5) == 1.5
    assert env.env_int("X_NUMBER", 4) == 4
    monkeypatch.delenv("X_NUMBER")
    assert env.env_int("X_NUMBER", 4, minimum=1) == 4


def test_settings_overrides_still_work_and_are_checked(settings):
    settings.INGEST_ZIP_MAX_RATIO = 2
    settings.INGEST_MAX_UPLOAD_MB = 0.01
    assert conf.zip_max_ratio() == 2.0
    assert conf.max_upload_bytes() == int(0.01 * conf.MB)
    settings.INGEST_MAX_UPLOAD_MB = "big"
    with pytest.raises(ImproperlyConfigured, match="INGEST_MAX_UPLOAD_MB must be a number greater than 0"):
        conf.max_upload_bytes()
