"""The one way other packages change a carrier's supply (ARCHITECTURE: projects never write a
carrier's fields directly). Each change is a save: the carrier's history records it, the audit log
logs it, and the tile cache and the public map follow on commit."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .models import Building, LandParcel, SupplyStatus

Carrier = LandParcel | Building


def set_supply(
    carriers: Iterable[Carrier], status: SupplyStatus, *, occupant: str = "", by: Any = None
) -> int:
    """Put these carriers in ``status`` (and name their occupant); returns how many changed."""
    changed = 0
    for carrier in carriers:
        occupant_now = (
            occupant if status in {SupplyStatus.SOLD, SupplyStatus.LEASED, SupplyStatus.RESERVED} else ""
        )
        if carrier.supply_status == status and getattr(carrier, "occupant_enterprise", "") == occupant_now:
            continue
        carrier.supply_status = status
        if hasattr(carrier, "occupant_enterprise"):
            carrier.occupant_enterprise = occupant_now
        carrier.version += 1
        carrier.updated_by = by if getattr(by, "pk", None) else None
        carrier.save()
        changed += 1
    return changed
