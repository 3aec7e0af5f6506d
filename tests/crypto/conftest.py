"""Encryption switched on for one test through the settings, as the environment would."""

from __future__ import annotations

import pytest

from crypto.keys import DataKey

K1 = DataKey("k1", bytes.fromhex("00112233445566778899aabbccddeeff"))
K2 = DataKey("k2", bytes.fromhex("ffeeddccbbaa99887766554433221100"))


@pytest.fixture
def encryption(settings):
    """NATIONAL_CRYPTO on with key k1; ``settings`` can change the ring further in the test."""
    settings.NATIONAL_CRYPTO = True
    settings.PERSONAL_DATA_KEYS = (K1,)
    return settings


def raw(model, pk, column):
    """The value as stored, past the field's decryption."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            f"SELECT {connection.ops.quote_name(column)} FROM {model._meta.db_table} "
            f"WHERE {connection.ops.quote_name(model._meta.pk.column)} = %s",
            [pk],
        )
        return cur.fetchone()[0]
