"""Building footprints inside parcels, and their attributes (in metres, like parcels.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import shapely

from . import vocab
from .geo import rectangles, weighted_choice, within_group_index

if TYPE_CHECKING:
    from .parcels import Parcels

# kind -> (floors low, high), (rent low, high), (sale price low, high) or None
KIND_RANGES = {
    "standard_factory": ((1, 4), (10, 25), (2_500, 5_000)),
    "warehouse": ((1, 2), (8, 18), (2_000, 4_000)),
    "office": ((5, 30), (25, 60), (5_000, 12_000)),
    "incubator": ((3, 12), (12, 30), None),
    "other": ((2, 18), None, None),
}
INDUSTRIAL_KINDS = ("standard_factory", "warehouse")


def place_footprints(
    p: Parcels,
    parcels: np.ndarray,
    counts: np.ndarray,
    rng: np.random.Generator,
    limit: int,
    small: bool = False,
) -> dict[str, np.ndarray]:
    """`counts[i]` rectangles side by side along the long axis of each parcel; those that do not fit
    inside the (possibly clipped) parcel are dropped, and at most `limit` are kept."""
    counts = np.asarray(counts, dtype=int)
    pidx = np.repeat(np.asarray(parcels, dtype=int), counts)
    k = within_group_index(counts)
    per = np.repeat(counts, counts)
    w, h = p.w[pidx], p.h[pidx]
    long_x = w >= h
    long, short = np.maximum(w, h), np.minimum(w, h)
    slot = long / per
    if small:
        length, width = rng.uniform(12, 30, len(pidx)), rng.uniform(8, 18, len(pidx))
    else:
        length, width = slot * rng.uniform(0.5, 0.8, len(pidx)), short * rng.uniform(0.35, 0.65, len(pidx))
    along = -long / 2 + (k + 0.5) * slot + rng.uniform(-0.4, 0.4, len(pidx)) * (slot - length)
    across = rng.uniform(-0.4, 0.4, len(pidx)) * (short - width)
    lx, ly = np.where(long_x, along, across), np.where(long_x, across, along)
    cos, sin = np.cos(p.angle[pidx]), np.sin(p.angle[pidx])
    rects = rectangles(
        p.x[pidx] + lx * cos - ly * sin,
        p.y[pidx] + lx * sin + ly * cos,
        np.where(long_x, length, width),
        np.where(long_x, width, length),
        p.angle[pidx],
    )
    fits = shapely.contains(p.geom[pidx], rects)
    return {"geom": rects[fits][:limit], "parcel": pidx[fits][:limit]}


def _steps(rng: np.random.Generator, lo: float, hi: float, step: float, n: int) -> np.ndarray:
    return np.round(rng.uniform(lo, hi, n) / step) * step


def _optional(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    out = np.full(len(values), None, dtype=object)
    out[mask] = [v.item() if hasattr(v, "item") else v for v in values[mask]]
    return out


def _companies(rng: np.random.Generator, industry: str, n: int) -> list[str]:
    brands = rng.choice(vocab.BRANDS, size=(n, 2))
    return [f"云浮{a}{b}{industry}{rng.choice(vocab.COMPANY_SUFFIX)}" for a, b in brands]


def building_attributes(
    p: Parcels, legal: dict[str, np.ndarray], planted: dict[str, np.ndarray], rng: np.random.Generator
) -> dict[str, np.ndarray]:
    geom = np.concatenate([legal["geom"], planted["geom"]])
    parcel = np.concatenate([legal["parcel"], planted["parcel"]])
    n, n_legal = len(geom), len(legal["geom"])
    use = p.attrs["land_use"][parcel]
    kind = np.array([vocab.BUILDING_KIND_BY_USE.get(u, ("other",))[0] for u in use], dtype=object)
    kind[n_legal:] = rng.choice(["other", "warehouse"], n - n_legal)
    status = weighted_choice(rng, vocab.BUILDING_STATUS, n)
    status[n_legal:] = "in_use"
    floors = np.ones(n, dtype=int)
    rent, sale = np.zeros(n), np.zeros(n)
    has_rent, has_sale = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    for name, (fl, rent_range, sale_range) in KIND_RANGES.items():
        m = kind == name
        floors[m] = rng.integers(fl[0], fl[1] + 1, int(m.sum()))
        if rent_range:
            rent[m], has_rent[m] = rng.uniform(*rent_range, int(m.sum())), True
        if sale_range:
            sale[m], has_sale[m] = rng.uniform(*sale_range, int(m.sum())), True
    floors[n_legal:] = rng.integers(1, 3, n - n_legal)
    floor_area = np.round(shapely.area(geom) * floors, 1)
    leasable = np.round(floor_area * rng.uniform(0.8, 0.95, n), 1)
    vacancy = np.select(
        [status == "available", status == "reserved", status == "sold"],
        [rng.uniform(0.6, 1.0, n), np.ones(n), np.zeros(n)],
        rng.uniform(0, 0.3, n),
    )
    industrial = np.isin(kind, INDUSTRIAL_KINDS)
    factory = kind == "standard_factory"
    crane = factory & (rng.random(n) < 0.35)
    load = np.where(kind == "incubator", _steps(rng, 500, 800, 50, n), _steps(rng, 500, 3000, 250, n))
    height = np.where(
        kind == "warehouse",
        _steps(rng, 8, 12, 0.5, n),
        np.where(kind == "incubator", _steps(rng, 4.5, 6, 0.5, n), _steps(rng, 6, 15, 0.5, n)),
    )
    kva_lo = np.select([factory, kind == "warehouse", kind == "office", kind == "incubator"], [3, 0, 5, 2], 0)
    kva_hi = np.select(
        [factory, kind == "warehouse", kind == "office", kind == "incubator"], [12, 5, 9, 7], 1
    )
    kva = np.array(vocab.POWER_KVA_STEPS)[rng.integers(kva_lo, kva_hi)]
    occupied = np.isin(status, vocab.OCCUPIED) & (kind != "other")
    many = np.select(
        [kind == "incubator", kind == "office"],
        [rng.integers(3, 9, n), rng.integers(2, 7, n)],
        rng.integers(1, 3, n),
    )
    industry = p.industry[parcel]
    occupants = [_companies(rng, industry[i], int(many[i])) if occupied[i] else [] for i in range(n)]
    names, nth = [], 0
    for i in range(n):
        nth = nth + 1 if i and parcel[i] == parcel[i - 1] else 1
        names.append(f"{p.zone_name[parcel[i]]}{vocab.BUILDING_LABEL[kind[i]]}{nth}栋")
    names[n_legal:] = [f"{p.zone_name[i]}简易棚房" for i in parcel[n_legal:]]
    public = rng.random(n) < np.where(status == "available", 0.9, 0.55)
    public[n_legal:] = False
    return {
        "geom": geom,
        "parcel": parcel,
        "planted": np.arange(n) >= n_legal,
        "kind": kind,
        "name": np.array(names),
        "supply_status": status,
        "floors": floors,
        "floor_area_m2": floor_area,
        "leasable_area_m2": leasable,
        "vacant_area_m2": np.round(leasable * vacancy, 1),
        "floor_load_kg_m2": _optional(load.astype(int), industrial | (kind == "incubator")),
        "clear_height_m": _optional(height, industrial | (kind == "incubator")),
        "crane": crane,
        "crane_tonnage": _optional(rng.choice(vocab.CRANE_TONNAGES, n).astype(float), crane),
        "power_kva": _optional(kva, kind != "other"),
        "rent_yuan_m2_month": _optional(np.round(rent, 2), has_rent),
        "sale_price_yuan_m2": _optional(np.round(sale, -1), has_sale),
        "occupants": _object_array(occupants),
        "is_public": public,
    }


def _object_array(items: list) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out
