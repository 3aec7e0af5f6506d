"""Tile attributes never carry personal data: a tile is shared by every viewer who reads the same
rows, so it cannot be masked per viewer (tiles.sql leaves personal fields out)."""

from __future__ import annotations

from tiles.config import TILE_LAYERS, TileLayer
from tiles.sql import _columns


def test_personal_fields_are_left_out_of_tile_attributes():
    parks = TILE_LAYERS["parks"]
    assert "contact_phone" in parks.spec.personal_fields
    columns = _columns(TileLayer(parks.spec, ("name", "contact_phone", "level")))
    assert "contact_phone" not in columns and '"name"' in columns and '"level"' in columns


def test_no_tile_layer_asks_for_a_personal_field():
    for layer in TILE_LAYERS.values():
        assert not set(layer.properties) & set(layer.spec.personal_fields), layer.name
