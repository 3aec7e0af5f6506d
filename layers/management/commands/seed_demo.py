"""manage.py seed_demo: load the synthetic demo city (see layers.demo)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from layers.demo.city import build_city
from layers.demo.load import flush_demo, has_demo_data, load_city
from layers.models import Division


class Command(BaseCommand):
    help = (
        "Load a deterministic synthetic city around Yunfu: divisions, grid cells, parks, parcels, buildings, "
        "amenities, projects, field points, patrol tracks, panoramas and one demo account per role. "
        "--scale 1 is about 200,000 parcels."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scale",
            type=float,
            default=0.05,
            help="size of the city; 1 = 200,000 parcels, 50,000 buildings (default 0.05)",
        )
        parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
        parser.add_argument("--if-empty", action="store_true", help="do nothing when divisions already exist")
        parser.add_argument(
            "--flush",
            action="store_true",
            help="first delete all layer data and the demo users (in the same transaction)",
        )
        parser.add_argument(
            "--as-of",
            type=datetime.fromisoformat,
            default=None,
            help="anchor for timestamps (ISO date); default: now, so the demo has recent activity",
        )

    def handle(
        self,
        *args: Any,
        scale: float,
        seed: int,
        if_empty: bool,
        flush: bool,
        as_of: datetime | None,
        **options: Any,
    ) -> None:
        if not 0 < scale <= 5:
            raise CommandError("--scale must be in (0, 5]")
        if if_empty and Division.all_objects.exists():
            self.stdout.write(
                f"Demo data not loaded: {Division.all_objects.count():,} divisions already exist."
            )
            return
        if not flush and has_demo_data():
            raise CommandError(
                "The database already has layer data or demo users. Run with --flush to delete them first "
                "(all layer records and the demo users), or with --if-empty to skip loading."
            )
        started = time.monotonic()
        if as_of is not None and timezone.is_naive(as_of):
            as_of = timezone.make_aware(as_of)
        say = self.stdout.write
        say(f"Seeding the demo city: scale {scale:g}, seed {seed}")
        t = time.monotonic()
        city = build_city(scale, seed, as_of)
        say(f"  {'generate':<16} {len(city.parcels):>9,} parcels {time.monotonic() - t:>4.1f} s")
        with transaction.atomic():
            if flush:
                flush_demo(say)
            counts = load_city(city, say)
            if apps.is_installed("projects"):
                # The pipeline sits above the layers: its demo hangs off the project sites just loaded.
                from projects.demo import load_projects

                counts.update(load_projects(say, as_of, seed))
            if apps.is_installed("grid"):
                from grid.demo import load_grid

                counts.update(load_grid(say, as_of, seed))
            if apps.is_installed("patrols"):
                # Patrol runs open grid events: after the grid's categories and departments.
                from patrols.demo import load_patrols

                counts.update(load_patrols(say, as_of, seed))
            if apps.is_installed("editing"):
                # A park manager's edits waiting for the district officer's review.
                from editing.demo import load_changesets

                counts.update(load_changesets(say))
            t = time.monotonic()
        # Deferred foreign-key checks run at commit.
        say(f"  {'commit':<16} {'':>14} {time.monotonic() - t:>7.1f} s")
        _invalidate_tiles(say)
        summary = ", ".join(f"{n:,} {name}" for name, n in counts.items())
        say(self.style.SUCCESS(f"Loaded {summary} in {time.monotonic() - started:.1f} s"))


def _invalidate_tiles(say: Callable[[str], None]) -> None:
    """Bulk writes send no post_save signals, so tell the tile cache that every layer changed."""
    if not apps.is_installed("tiles"):
        return
    from tiles.cache import bump

    try:
        bump()
    except Exception as exc:  # a cache outage must not fail a load that has already committed
        say(f"  warning: could not invalidate cached tiles ({exc}); they expire within a day")
