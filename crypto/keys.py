"""The SM4 keys for personal data at rest: parsed once, when the settings load.

A key is 128 bits, written as 32 hex digits or as base64, optionally preceded by an id and a colon
(``k2:00112233…``). Without an id a key is named by its fingerprint, so a single key needs no
bookkeeping. Several keys are a key ring: the first encrypts, all of them decrypt, so that after a
rotation the values still under an older key stay readable until ``rotate_key`` has rewritten them.

Keys come from ``PERSONAL_DATA_KEYS`` (entries separated by commas) or from the file named by
``PERSONAL_DATA_KEY_FILE`` (one entry a line, ``#`` comments), never from the database: a copy of
the database alone then reveals nothing. This module is imported by the settings, so it must not
import anything that needs them.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from django.core.exceptions import ImproperlyConfigured

KEY_BYTES = 16
# The id is stored in every ciphertext, between colons, so it is kept short and colon-free.
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
_HEX_KEY = re.compile(r"^[0-9A-Fa-f]{32}$")


@dataclass(frozen=True)
class DataKey:
    id: str
    secret: bytes

    def __repr__(self) -> str:
        # Never the secret: settings and keys end up in tracebacks and debug pages.
        return f"DataKey({self.id!r})"


def fingerprint(secret: bytes) -> str:
    """A short public name for a key: the first 4 bytes of SM3 over a label and the key."""
    digest = hashes.Hash(hashes.SM3())
    digest.update(b"geoportal personal-data key id\x00" + secret)
    return "k" + digest.finalize()[:4].hex()


def _secret(text: str, where: str) -> bytes:
    if _HEX_KEY.match(text):
        return bytes.fromhex(text)
    try:
        secret = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        secret = b""
    if len(secret) != KEY_BYTES:
        raise ImproperlyConfigured(
            f"{where}: a key is 128 bits, written as 32 hex digits or as base64 of 16 bytes "
            "(make one with: python -c 'import secrets; print(secrets.token_hex(16))')."
        )
    return secret


def parse_entry(entry: str, where: str) -> DataKey:
    """``ID:KEY`` or ``KEY``; ``where`` names the variable or file line in errors (never the key)."""
    key_id, sep, text = entry.strip().rpartition(":")
    if not sep:
        secret = _secret(text, where)
        return DataKey(fingerprint(secret), secret)
    if not _KEY_ID.match(key_id):
        raise ImproperlyConfigured(
            f"{where}: a key id is 1 to 16 letters, digits, '-' or '_', got {key_id!r}."
        )
    return DataKey(key_id, _secret(text, where))


def parse_keys(inline: str, path: str, *, required: bool) -> tuple[DataKey, ...]:
    """The key ring from ``PERSONAL_DATA_KEYS`` (``inline``) or ``PERSONAL_DATA_KEY_FILE`` (``path``).

    Raises ImproperlyConfigured, naming the variable, for a malformed key, an unreadable file, both
    sources at once (which one would win is a guess nobody should have to make), a repeated id, or
    no key at all while ``required`` (NATIONAL_CRYPTO is on).
    """
    if inline.strip() and path.strip():
        raise ImproperlyConfigured("Set PERSONAL_DATA_KEYS or PERSONAL_DATA_KEY_FILE, not both.")
    keys: list[DataKey] = []
    if inline.strip():
        for n, entry in enumerate(inline.split(","), start=1):
            if entry.strip():
                keys.append(parse_entry(entry, f"PERSONAL_DATA_KEYS entry {n}"))
    elif path.strip():
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ImproperlyConfigured(f"PERSONAL_DATA_KEY_FILE {path}: {exc.strerror}.") from exc
        for n, line in enumerate(lines, start=1):
            entry = line.split("#", 1)[0].strip()
            if entry:
                keys.append(parse_entry(entry, f"PERSONAL_DATA_KEY_FILE {path} line {n}"))
    ids = [key.id for key in keys]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise ImproperlyConfigured(f"Personal-data key ids must be unique; repeated: {', '.join(repeated)}.")
    if required and not keys:
        raise ImproperlyConfigured(
            "NATIONAL_CRYPTO is on, so personal data is encrypted with SM4: "
            "set PERSONAL_DATA_KEYS or PERSONAL_DATA_KEY_FILE."
        )
    return tuple(keys)
