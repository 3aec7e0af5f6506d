"""Tile archives for offline phones and the big screen: MBTiles (SQLite) and PMTiles (one file).

Tiles go in as stored in the cache: gzip-compressed MVT. Both writers take (z, x, y, bytes) in any
order; PMTiles needs them sorted by tile id, which ``write_pmtiles`` does.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import Writer

Tile = tuple[int, int, int, bytes]


def write_mbtiles(path: Path, tiles: Iterable[Tile], metadata: dict[str, Any]) -> int:
    path.unlink(missing_ok=True)
    count = 0
    with sqlite3.connect(path) as db:
        db.executescript(
            "CREATE TABLE metadata (name TEXT, value TEXT);"
            "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);"
            "CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);"
        )
        db.executemany(
            "INSERT INTO metadata VALUES (?, ?)",
            [
                ("name", metadata["name"]),
                ("format", "pbf"),
                ("type", "overlay"),
                ("minzoom", str(metadata["minzoom"])),
                ("maxzoom", str(metadata["maxzoom"])),
                ("bounds", ",".join(str(v) for v in metadata["bounds"])),
                ("center", ",".join(str(v) for v in metadata["center"])),
                ("json", json.dumps({"vector_layers": metadata["vector_layers"]})),
            ],
        )
        for z, x, y, data in tiles:
            # MBTiles rows count from the south (TMS); XYZ rows count from the north.
            db.execute("INSERT INTO tiles VALUES (?, ?, ?, ?)", (z, x, (2**z - 1) - y, data))
            count += 1
    return count


def write_pmtiles(path: Path, tiles: Iterable[Tile], metadata: dict[str, Any]) -> int:
    ordered = sorted(((zxy_to_tileid(z, x, y), data) for z, x, y, data in tiles), key=lambda t: t[0])
    west, south, east, north = metadata["bounds"]
    with open(path, "wb") as f:
        writer = Writer(f)
        for tile_id, data in ordered:
            writer.write_tile(tile_id, data)
        writer.finalize(
            {
                "tile_type": TileType.MVT,
                "tile_compression": Compression.GZIP,
                "min_zoom": metadata["minzoom"],
                "max_zoom": metadata["maxzoom"],
                "min_lon_e7": int(west * 1e7),
                "min_lat_e7": int(south * 1e7),
                "max_lon_e7": int(east * 1e7),
                "max_lat_e7": int(north * 1e7),
                "center_zoom": metadata["center"][2],
                "center_lon_e7": int(metadata["center"][0] * 1e7),
                "center_lat_e7": int(metadata["center"][1] * 1e7),
            },
            {"name": metadata["name"], "vector_layers": metadata["vector_layers"]},
        )
    return len(ordered)
