"""SM4-GCM envelopes for personal data at rest: ``sm4g1:<key id>:<nonce>:<ciphertext+tag>``.

- ``sm4g1`` names the algorithm and the layout, so a later scheme can sit beside this one and a
  value is told from legacy plain text by its prefix (no phone number or e-mail address has one).
- The key id says which key of the ring decrypts it, so keys can be rotated without a flag day.
- The nonce is 96 random bits, new for every write: equal plain texts give different ciphertexts,
  so the database shows neither values nor which rows share one.
- GCM's 128-bit tag authenticates the ciphertext and, as additional data, the ``sm4g1:<key id>``
  header: a changed byte, a swapped key id or a wrong key is an error, never garbage.

Nonce and ciphertext are standard base64 (no colons). The header is not bound to a table or
column, so renaming either needs no re-encryption.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Iterable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .keys import DataKey

VERSION = "sm4g1"
PREFIX = VERSION + ":"
NONCE_BYTES = 12
TAG_BYTES = 16


class DecryptionError(Exception):
    """A stored value that cannot be decrypted: unknown key id, wrong key, or altered data."""


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def key_id_of(value: str) -> str:
    """The id of the key a sealed value is under (its second part)."""
    return value.split(":", 2)[1]


def seal(plaintext: str, key: DataKey) -> str:
    nonce = os.urandom(NONCE_BYTES)
    header = f"{VERSION}:{key.id}"
    encryptor = Cipher(algorithms.SM4(key.secret), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(header.encode())
    body = encryptor.update(plaintext.encode()) + encryptor.finalize() + encryptor.tag
    return f"{header}:{base64.b64encode(nonce).decode()}:{base64.b64encode(body).decode()}"


def reveal(value: str, keys: Iterable[DataKey], where: str = "value") -> str:
    """The plain text of a sealed value; ``where`` names the field (or row) in errors."""
    parts = value.split(":")
    if len(parts) != 4 or parts[0] != VERSION:
        raise DecryptionError(f"{where}: not an {VERSION} envelope.")
    _version, key_id, nonce_b64, body_b64 = parts
    key = next((k for k in keys if k.id == key_id), None)
    if key is None:
        raise DecryptionError(
            f"{where}: encrypted under key {key_id!r}, which is not configured; add it to "
            "PERSONAL_DATA_KEYS or PERSONAL_DATA_KEY_FILE (old keys stay until rotate_key has run)."
        )
    try:
        nonce = base64.b64decode(nonce_b64, validate=True)
        body = base64.b64decode(body_b64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DecryptionError(f"{where}: the envelope is damaged (bad base64).") from exc
    if len(nonce) != NONCE_BYTES or len(body) < TAG_BYTES:
        raise DecryptionError(f"{where}: the envelope is damaged (bad nonce or tag length).")
    decryptor = Cipher(algorithms.SM4(key.secret), modes.GCM(nonce, body[-TAG_BYTES:])).decryptor()
    decryptor.authenticate_additional_data(f"{VERSION}:{key_id}".encode())
    try:
        plaintext = decryptor.update(body[:-TAG_BYTES]) + decryptor.finalize()
    except InvalidTag as exc:
        raise DecryptionError(
            f"{where}: authentication failed: key {key_id!r} is not the key this value was "
            "encrypted with, or the stored value was altered."
        ) from exc
    return plaintext.decode()


# --- the configured key ring -------------------------------------------------------------------
# Read from the settings on every call (a tuple lookup), so override_settings and a changed
# environment between processes need no cache invalidation.


def configured_keys() -> tuple[DataKey, ...]:
    return tuple(settings.PERSONAL_DATA_KEYS)


def encrypting() -> bool:
    """Whether writes encrypt: NATIONAL_CRYPTO on. Reads decrypt whenever a value is sealed."""
    return bool(settings.NATIONAL_CRYPTO)


def current_key() -> DataKey:
    """The key new values are encrypted under: the first of the ring."""
    keys = configured_keys()
    if not keys:
        raise ImproperlyConfigured(
            "NATIONAL_CRYPTO is on but no personal-data key is configured: "
            "set PERSONAL_DATA_KEYS or PERSONAL_DATA_KEY_FILE."
        )
    return keys[0]
