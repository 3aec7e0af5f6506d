"""The demo city's changesets (``manage.py seed_demo``, after the layers): the demo park manager
(``park``) has proposed changes to three of their park's plots — one reserved (or released), one renamed and
re-priced, one redrawn a little larger — and submitted them, so the district officer (``district``)
finds a changeset to review in /editor/ and a message in their inbox, and the public map still
shows the plots as they were. Written through ``editing.changesets``, as the editor writes them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.gis.geos import MultiPolygon

from layers.models import LandParcel

from . import changesets

Say = Callable[[str], None]


def _grown(geom: Any) -> dict[str, Any]:
    """The plot's outline pushed out by about 5 m on its east side: a surveyor's correction."""
    ring = [list(p) for p in geom[0][0]]
    east = max(x for x, _y in ring)
    shifted = [[x + 0.00005 if x == east else x, y] for x, y in ring]
    return {"type": "MultiPolygon", "coordinates": [[shifted]]}


def load_changesets(say: Say) -> dict[str, int]:
    """Call inside a transaction, after the layers (the demo park manager and their park's plots)."""
    manager = get_user_model().objects.select_related("park").filter(username="park").first()
    if manager is None or manager.park is None:
        return {}
    plots = list(LandParcel.objects.filter(park=manager.park).order_by("code")[:3])
    if len(plots) < 3 or not isinstance(plots[2].geom, MultiPolygon):
        return {}
    reserved, renamed, redrawn = plots
    status = "available" if reserved.supply_status == "reserved" else "reserved"
    items = [
        {"layer": "parcels", "id": reserved.pk, "action": "update", "version": reserved.version,
         "properties": {"supply_status": status}},
        {"layer": "parcels", "id": renamed.pk, "action": "update", "version": renamed.version,
         "properties": {"name": f"{renamed.name or renamed.code}（东区）", "price_wan_per_mu": 36}},
        {"layer": "parcels", "id": redrawn.pk, "action": "update", "version": redrawn.version,
         "geometry": _grown(redrawn.geom)},
    ]  # fmt: skip
    saved = changesets.save_edits(manager, manager.park, items)
    assert saved.changeset is not None, "the demo park's edits need approval"
    changesets.submit(manager, saved.changeset.pk, title="地块状态、名称与边界修正")
    say(f"  {'changesets':<16} {1:>9,} submitted for review ({len(items)} plots)")
    return {"changesets": 1}
