"""Keys from the environment or a key file, and early failure on a malformed one."""

from __future__ import annotations

import base64
import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from crypto.keys import DataKey, fingerprint, parse_keys
from tests.conftest import ROOT

HEX = "00112233445566778899aabbccddeeff"


def test_hex_and_base64_keys_with_and_without_ids():
    b64 = base64.b64encode(bytes.fromhex(HEX)).decode()
    keys = parse_keys(f"k2:{HEX.upper()}, k1:{b64}", "", required=True)
    assert [k.id for k in keys] == ["k2", "k1"]
    assert keys[0].secret == keys[1].secret == bytes.fromhex(HEX)
    [anonymous] = parse_keys(HEX, "", required=True)
    assert anonymous.id == fingerprint(bytes.fromhex(HEX)) and anonymous.id.startswith("k")


def test_key_file_with_comments(tmp_path):
    path = tmp_path / "personal-data.keys"
    path.write_text(f"# current first\nnew:{HEX}\n\nold:{'ab' * 16}  # until the next backup expires\n")
    assert [k.id for k in parse_keys("", str(path), required=True)] == ["new", "old"]


@pytest.mark.parametrize(
    ("inline", "message"),
    [
        ("k1:0011", "a key is 128 bits"),
        ("k1:" + "zz" * 16, "a key is 128 bits"),
        (base64.b64encode(b"x" * 24).decode(), "a key is 128 bits"),
        ("bad id:" + HEX, "a key id is"),
        (f"k1:{HEX},k1:{'ab' * 16}", "repeated: k1"),
    ],
)
def test_malformed_keys_are_refused_without_showing_them(inline, message):
    with pytest.raises(ImproperlyConfigured, match=message) as err:
        parse_keys(inline, "", required=False)
    assert HEX not in str(err.value)


def test_sources_and_requirement():
    with pytest.raises(ImproperlyConfigured, match="not both"):
        parse_keys(HEX, "/etc/keys", required=False)
    with pytest.raises(ImproperlyConfigured, match="NATIONAL_CRYPTO is on"):
        parse_keys("", "", required=True)
    with pytest.raises(ImproperlyConfigured, match="PERSONAL_DATA_KEY_FILE /nonexistent/keys"):
        parse_keys("", "/nonexistent/keys", required=True)
    assert parse_keys("", "", required=False) == ()


def test_a_key_never_shows_in_its_repr():
    assert HEX not in repr(DataKey("k1", bytes.fromhex(HEX)))


def _settings_with(env: dict[str, str]) -> subprocess.CompletedProcess:
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.PASSWORD_HASHERS[0], [k.id for k in settings.PERSONAL_DATA_KEYS])"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "geoportal.settings.base", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_settings_turn_it_on_and_fail_early_on_a_bad_key():
    on = _settings_with({"NATIONAL_CRYPTO": "true", "PERSONAL_DATA_KEYS": f"k1:{HEX}"})
    assert on.returncode == 0, on.stderr
    assert on.stdout.split() == ["crypto.hashers.PBKDF2SM3PasswordHasher", "['k1']"]
    bad = _settings_with({"NATIONAL_CRYPTO": "true", "PERSONAL_DATA_KEYS": "k1:0011"})
    assert bad.returncode != 0 and "ImproperlyConfigured" in bad.stderr
    assert "PERSONAL_DATA_KEYS entry 1: a key is 128 bits" in bad.stderr
    missing = _settings_with({"NATIONAL_CRYPTO": "true", "PERSONAL_DATA_KEYS": ""})
    assert missing.returncode != 0 and "set PERSONAL_DATA_KEYS or PERSONAL_DATA_KEY_FILE" in missing.stderr
