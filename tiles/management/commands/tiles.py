"""``manage.py tiles seed`` pre-renders tiles into the cache; ``manage.py tiles export`` writes an
MBTiles or PMTiles archive for offline phones and the big screen.

Tiles are rendered for one viewer: anonymous by default (the public map), or ``--user NAME`` to
package that user's scope (e.g. a grid worker's own cell with its internal layers).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import mercantile
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.management.base import BaseCommand, CommandError
from django.test import RequestFactory

from policy.predicates import may_list_layer
from tiles.archive import write_mbtiles, write_pmtiles
from tiles.cache import lookup
from tiles.config import TILE_LAYERS
from tiles.render import cached_tile
from tiles.style import city_bounds, tilejson


class Command(BaseCommand):
    help = "Pre-render vector tiles into the cache (seed) or write an MBTiles/PMTiles archive (export)."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        for name in ("seed", "export"):
            p = sub.add_parser(name)
            p.add_argument(
                "--layers",
                default="parcels,buildings,parks,amenities,divisions",
                help="comma-separated layer names (a composite when more than one)",
            )
            p.add_argument("--minzoom", type=int, default=8)
            p.add_argument("--maxzoom", type=int, default=14)
            p.add_argument("--bbox", help="min_lon,min_lat,max_lon,max_lat (default: the city)")
            p.add_argument("--user", help="render for this user's scope instead of the public")
            if name == "export":
                p.add_argument("--output", required=True, help="path ending in .mbtiles or .pmtiles")

    def handle(self, *args, **opts) -> None:
        layers = [TILE_LAYERS.get(name) for name in opts["layers"].split(",")]
        if None in layers:
            raise CommandError(f"unknown layer in {opts['layers']}; choose from {', '.join(TILE_LAYERS)}")
        if not 0 <= opts["minzoom"] <= opts["maxzoom"] <= 22:
            raise CommandError("zooms must satisfy 0 ≤ --minzoom ≤ --maxzoom ≤ 22")
        user = self._user(opts["user"])
        denied = [layer.name for layer in layers if not may_list_layer(user, layer.spec)]
        if denied:
            raise CommandError(f"{opts['user'] or 'the public'} may not see {', '.join(denied)}")
        bounds = self._bounds(opts["bbox"])
        tiles = self._render(layers, bounds, opts["minzoom"], opts["maxzoom"], user)
        if opts["action"] == "seed":
            count = sum(1 for _ in tiles)
            self.stdout.write(self.style.SUCCESS(f"seeded {count} non-empty tiles"))
            return
        self._export(Path(opts["output"]), layers, tiles, bounds, opts)

    def _user(self, username: str | None):
        if not username:
            return AnonymousUser()
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user named {username}")
        return user

    def _bounds(self, raw: str | None) -> list[float]:
        if not raw:
            return city_bounds()
        try:
            west, south, east, north = (float(v) for v in raw.split(","))
        except ValueError:
            raise CommandError("--bbox is min_lon,min_lat,max_lon,max_lat") from None
        if not (-180 <= west < east <= 180 and -85 <= south < north <= 85):
            raise CommandError("--bbox is outside the world or inverted")
        return [west, south, east, north]

    def _render(self, layers, bounds, minzoom, maxzoom, user) -> Iterator[tuple[int, int, int, bytes]]:
        names = [layer.name for layer in layers]
        all_tiles = list(mercantile.tiles(*bounds, zooms=range(minzoom, maxzoom + 1)))
        started, total = time.monotonic(), len(all_tiles)
        for i, t in enumerate(all_tiles, 1):
            body = cached_tile(lookup(names, t.z, t.x, t.y, user, {}), layers, t.z, t.x, t.y, user, {})
            if i % 500 == 0 or i == total:
                self.stdout.write(
                    f"  {i}/{total} tiles ({i * 100 // total} %), {time.monotonic() - started:.0f} s"
                )
            if body:
                yield t.z, t.x, t.y, body

    def _export(self, path: Path, layers, tiles, bounds, opts) -> None:
        if path.suffix not in {".mbtiles", ".pmtiles"}:
            raise CommandError("--output must end in .mbtiles or .pmtiles")
        request = RequestFactory().get("/", HTTP_HOST="localhost")
        doc = tilejson(request, layers, bounds)
        metadata = {
            "name": doc["name"],
            "bounds": bounds,
            "minzoom": opts["minzoom"],
            "maxzoom": opts["maxzoom"],
            "center": [*doc["center"][:2], opts["minzoom"]],
            "vector_layers": doc["vector_layers"],
        }
        writer = write_mbtiles if path.suffix == ".mbtiles" else write_pmtiles
        count = writer(path, tiles, metadata)
        self.stdout.write(
            self.style.SUCCESS(f"wrote {count} tiles to {path} ({path.stat().st_size // 1024} KB)")
        )
