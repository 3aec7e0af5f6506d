"""Land parcels and buildings: rotated street grids cut into rectangular lots, in metres.

A zone (a park, a town centre, a village's fields) lays a street grid around its centre, cuts each
block into one or two rows of lots and keeps the lots nearest the centre until it has its quota.
Zones are clipped to disjoint regions, and lots in a block keep a 1 m gap, so no two parcels
overlap unless ``plant_overlaps`` makes them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from . import vocab
from .geo import allocate, as_multipolygons, rectangles, weighted_choice, within_group_index
from .structures import building_attributes, place_footprints

if TYPE_CHECKING:
    from .city import ParkSpec, Region

PARCELS_AT_SCALE_1 = 200_000
BUILDINGS_AT_SCALE_1 = 50_000
MIN_AREA, MAX_AREA = 2_500.0, 60_000.0
GAP = 1.0  # metres between neighbouring lots, so shared edges never read as overlaps
OVERLAP_MARK = "(重叠)"  # ends the name of each parcel planted to overlap another
RURAL_USES = ("agricultural", "forest", "water", "unused")
BUILDING_WEIGHT = {"industrial": 4.0, "warehouse": 3.0, "commercial": 3.0, "mixed": 3.0, "transport": 0.5}


class ZoneSpec(NamedTuple):
    block_w: tuple[float, float]
    block_h: tuple[float, float]
    street: tuple[float, float]
    lot_area: tuple[float, float]
    two_rows_from: float  # a block this deep (short side, m) may hold two rows of lots


PARK_ZONE = ZoneSpec((280, 480), (200, 360), (24, 40), (8_000, 40_000), 160)
CENTRE_ZONE = ZoneSpec((110, 240), (90, 200), (14, 28), (3_000, 14_000), 100)
VILLAGE_ZONE = ZoneSpec((220, 420), (160, 320), (6, 12), (10_000, 50_000), 160)


@dataclass
class Parcels:
    """Struct of arrays. The frame (x, y, w, h, angle) is the uncut lot, used to place buildings."""

    geom: np.ndarray
    x: np.ndarray
    y: np.ndarray
    w: np.ndarray
    h: np.ndarray
    angle: np.ndarray
    zone: np.ndarray  # park, core, mid, edge or village
    zone_name: np.ndarray
    park: np.ndarray  # index into parks, -1 outside
    county: np.ndarray  # 6-digit county code
    town_name: np.ndarray
    industry: np.ndarray  # preferred industry of occupants
    attrs: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.geom)

    @classmethod
    def concat(cls, chunks: list[Parcels]) -> Parcels:
        arrays = {name: np.concatenate([getattr(c, name) for c in chunks]) for name in ARRAY_FIELDS}
        # Codes and names are (re)assigned after concatenation, so a chunk may lack them.
        attrs = {
            name: np.concatenate([c.attrs.get(name, np.full(len(c), "", dtype=object)) for c in chunks])
            for name in chunks[0].attrs
        }
        return cls(**arrays, attrs=attrs)


ARRAY_FIELDS = (
    "geom",
    "x",
    "y",
    "w",
    "h",
    "angle",
    "zone",
    "zone_name",
    "park",
    "county",
    "town_name",
    "industry",
)


def _street_grid(
    centre: tuple[float, float], radius: float, angle: float, spec: ZoneSpec, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Lots of a street grid covering a disk; x/y are lot centres in metres, dist their distance to centre."""
    axes = []
    for lo, hi in (spec.block_w, spec.block_h):
        n = int(2 * radius / lo) + 2
        size = rng.uniform(lo, hi, n)
        street = rng.uniform(*spec.street, n)
        end = np.cumsum(size + street) - street
        start = end - size
        shift = (end[-1] + start[0]) / 2 + rng.uniform(-hi, hi) / 2
        axes.append(((start + end) / 2 - shift, size))
    (bx, bw), (by, bh) = axes
    ci, ri = np.meshgrid(np.arange(len(bx)), np.arange(len(by)), indexing="ij")
    bx, bw, by, bh = bx[ci.ravel()], bw[ci.ravel()], by[ri.ravel()], bh[ri.ravel()]
    keep = np.hypot(bx, by) <= radius
    bx, bw, by, bh = bx[keep], bw[keep], by[keep], bh[keep]
    long_x = bw >= bh
    long, short = np.maximum(bw, bh), np.minimum(bw, bh)
    rows = np.where((short >= spec.two_rows_from) & (rng.random(len(bx)) < 0.6), 2, 1)
    target = rng.uniform(*spec.lot_area, len(bx))
    cols = np.clip(np.round(long * short / (rows * target)), 1, 10).astype(int)
    counts = cols * rows
    block = np.repeat(np.arange(len(bx)), counts)
    k = within_group_index(counts)
    i, j = k // rows[block], k % rows[block]
    seg_long, seg_short = long[block] / cols[block], short[block] / rows[block]
    along = -long[block] / 2 + (i + 0.5) * seg_long
    across = -short[block] / 2 + (j + 0.5) * seg_short
    lx = bx[block] + np.where(long_x[block], along, across)
    ly = by[block] + np.where(long_x[block], across, along)
    w = np.where(long_x[block], seg_long, seg_short) - GAP
    h = np.where(long_x[block], seg_short, seg_long) - GAP
    cos, sin = math.cos(angle), math.sin(angle)
    return {
        "x": centre[0] + lx * cos - ly * sin,
        "y": centre[1] + lx * sin + ly * cos,
        "w": w,
        "h": h,
        "dist": np.hypot(lx, ly),
        "block": block,
        "sub": k + 1,
    }


def _fitting(
    region: BaseGeometry, lots: dict[str, np.ndarray], ranked: np.ndarray, angle: float, quota: int
) -> tuple[np.ndarray, np.ndarray]:
    """The first `quota` of the ranked lots that fit the region, clipped where they cross its edge.

    Clipping is the slow part, so lots are tried in batches only as far down the ranking as needed.
    """
    kept, geoms, pos = [], [], 0
    while sum(len(k) for k in kept) < quota and pos < len(ranked):
        batch = ranked[pos : pos + int((quota - sum(len(k) for k in kept)) * 1.3) + 8]
        pos += len(batch)
        rects = rectangles(
            lots["x"][batch], lots["y"][batch], lots["w"][batch], lots["h"][batch], np.full(len(batch), angle)
        )
        shapes = rects.copy()
        cut = ~shapely.contains_properly(region, rects)
        if cut.any():
            shapes[cut] = shapely.intersection(rects[cut], region)
        area = shapely.area(shapes)
        ok = (area >= MIN_AREA) & (area >= 0.5 * shapely.area(rects)) & (area <= MAX_AREA)
        kept.append(batch[ok])
        geoms.append(shapes[ok])
    if not kept:
        return np.empty(0, dtype=int), np.empty(0, dtype=object)
    return np.concatenate(kept)[:quota], np.concatenate(geoms)[:quota]


def _fill_zone(
    region: BaseGeometry,
    centre: tuple[float, float],
    radius: float,
    spec: ZoneSpec,
    quota: int,
    rng: np.random.Generator,
    grow: bool = True,
) -> dict[str, np.ndarray]:
    """The `quota` lots nearest the centre that fit in region; the street grid grows until they do."""
    # Half a gap inside the region, so lots clipped on both sides of a shared boundary (two villages,
    # two towns) keep the same 1 m gap as lots within a block instead of touching.
    region = region.buffer(-GAP / 2)
    shapely.prepare(region)
    angle = rng.uniform(0, np.pi / 2)
    for _attempt in range(6):
        lots = _street_grid(centre, radius, angle, spec, rng)
        inside = shapely.contains_xy(region, lots["x"], lots["y"])
        ranked = np.flatnonzero(inside)[np.argsort(lots["dist"][inside], kind="stable")]
        order, geoms = _fitting(region, lots, ranked, angle, quota)
        if len(order) >= quota or not grow:
            break
        radius *= 1.5
    out = {key: values[order] for key, values in lots.items()}
    out["block"] = np.unique(out["block"], return_inverse=True)[1]  # number the blocks in use 0, 1, ...
    out["geom"] = as_multipolygons(geoms)
    out["angle"] = np.full(len(order), angle)
    return out


def _company(rng: np.random.Generator, industries: np.ndarray) -> np.ndarray:
    brand = rng.choice(vocab.BRANDS, size=(len(industries), 2))
    suffix = rng.choice(vocab.COMPANY_SUFFIX, size=len(industries))
    return np.array(
        [f"广东{a}{b}{ind}{suf}" for (a, b), ind, suf in zip(brand, industries, suffix, strict=True)],
        dtype=object,
    )


def _round_or_none(values: np.ndarray, mask: np.ndarray, digits: int) -> np.ndarray:
    return np.array(
        [round(float(v), digits) if m else None for v, m in zip(values, mask, strict=True)], dtype=object
    )


def _land_use(p: Parcels, rng: np.random.Generator) -> np.ndarray:
    """Mostly one use per street block (a block of houses, a block of factories), a few odd lots."""
    tables = {
        "park": vocab.PARK_LAND_USE,
        "core": vocab.CORE_LAND_USE,
        "mid": vocab.MID_LAND_USE,
        "edge": vocab.EDGE_LAND_USE,
        "village": vocab.VILLAGE_LAND_USE,
    }
    blocks = np.array([name.rsplit("-", 1)[0] for name in p.zone_name], dtype=object)
    first, block = np.unique(blocks, return_index=True, return_inverse=True)[1:]
    per_block, own = np.empty(len(first), dtype=object), np.empty(len(p), dtype=object)
    for name, table in tables.items():
        mask = p.zone[first] == name
        per_block[mask] = weighted_choice(rng, table, int(mask.sum()))
        mask = p.zone == name
        own[mask] = weighted_choice(rng, table, int(mask.sum()))
    return np.where(rng.random(len(p)) < 0.8, per_block[block], own)


def parcel_attributes(p: Parcels, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Land use, supply and planning attributes, consistent with each lot's zone."""
    n = len(p)
    use = _land_use(p, rng)
    rural = np.isin(use, RURAL_USES)
    status = weighted_choice(rng, vocab.SUPPLY_STATUS, n)
    status[rural] = weighted_choice(rng, vocab.RURAL_SUPPLY_STATUS, int(rural.sum()))
    lease = (status == "leased") | ((status == "available") & (rng.random(n) < 0.15))
    mode = np.where(lease, "lease", "transfer").astype(object)
    priced = np.array([u in vocab.PRICE_WAN_PER_MU for u in use]) & ~lease
    lo = np.array([vocab.PRICE_WAN_PER_MU.get(u, (0, 0))[0] for u in use], dtype=float)
    hi = np.array([vocab.PRICE_WAN_PER_MU.get(u, (0, 0))[1] for u in use], dtype=float)
    planned = np.array([u in vocab.PLANNING for u in use])
    planning = {}
    for k, name in enumerate(("plot_ratio", "building_density", "green_ratio", "height_limit_m")):
        plo = np.array([vocab.PLANNING[u][k][0] if u in vocab.PLANNING else 0 for u in use], dtype=float)
        phi = np.array([vocab.PLANNING[u][k][1] if u in vocab.PLANNING else 0 for u in use], dtype=float)
        planning[name] = _round_or_none(rng.uniform(plo, phi), planned, 1 if name == "height_limit_m" else 2)
    term = np.array(
        [20 if ls else vocab.TERM_YEARS.get(u) for u, ls in zip(use, lease, strict=True)], dtype=object
    )
    term[rural] = None
    serviced = np.where(
        p.zone == "park", rng.choice(["9+1", "7+1", "7+1", "5+1"], n), rng.choice(vocab.SERVICED_LEVELS, n)
    ).astype(object)
    serviced[rural] = ""
    occupied = np.isin(status, vocab.OCCUPIED)
    occupant = np.full(n, "", dtype=object)
    business = occupied & np.isin(use, ("industrial", "warehouse", "commercial", "mixed"))
    occupant[business] = _company(rng, p.industry[business])
    housing = occupied & (use == "residential")
    occupant[housing] = [
        f"云浮{a}{b}{vocab.RESIDENTIAL_DEVELOPER_SUFFIX}"
        for a, b in rng.choice(vocab.BRANDS, size=(int(housing.sum()), 2))
    ]
    farm = occupied & rural
    occupant[farm] = [f"{name}{vocab.COOPERATIVE_SUFFIX}" for name in p.zone_name[farm]]
    civic = occupied & np.isin(use, ("public", "transport"))
    occupant[civic] = [f"{town}人民政府" for town in p.town_name[civic]]
    public = rng.random(n) < np.where(status == "available", 0.92, 0.56)
    return {
        "land_use": use,
        "supply_status": status,
        "supply_mode": mode,
        "price_wan_per_mu": _round_or_none(rng.uniform(lo, hi), priced, 2),
        "rent_yuan_m2_month": _round_or_none(rng.uniform(3, 18, n), lease & ~rural, 2),
        "term_years": term,
        **planning,
        "serviced_level": serviced,
        "occupant_enterprise": occupant,
        "is_public": public,
    }


def _zone_parcels(
    lots: dict[str, np.ndarray],
    zone: np.ndarray,
    zone_name: str,
    park: int,
    town: Region,
    industries: list[str],
    rng: np.random.Generator,
) -> Parcels:
    n = len(lots["geom"])
    return Parcels(
        geom=lots["geom"],
        x=lots["x"],
        y=lots["y"],
        w=lots["w"],
        h=lots["h"],
        angle=lots["angle"],
        zone=zone,
        zone_name=np.array(
            [f"{zone_name}{b + 1:02d}-{s}" for b, s in zip(lots["block"], lots["sub"], strict=True)],
            dtype=object,
        ),
        park=np.full(n, park),
        county=np.full(n, town.code[:6], dtype=object),
        town_name=np.full(n, town.name, dtype=object),
        industry=rng.choice(industries, size=n).astype(object),
    )


def _centre_radius(quota: int, lot_area: float) -> float:
    return math.sqrt(max(quota, 1) * lot_area * 1.6 / math.pi) + 300


def land_parcels(
    scale: float, towns: list[Region], villages: list[Region], parks: list[ParkSpec], rng: np.random.Generator
) -> Parcels:
    """About 200,000 x scale parcels: industry in parks, town centres, fields around villages."""
    total = max(20, round(PARCELS_AT_SCALE_1 * scale))
    chunks: list[Parcels] = []
    park_quota = allocate(round(total * 0.10), [p.geom.area for p in parks])
    town_index = {t.code: t for t in towns}
    reserved: dict[str, list[BaseGeometry]] = {t.code: [] for t in towns}
    for k, (park, quota) in enumerate(zip(parks, park_quota, strict=True)):
        town = town_index[park.town]
        lots = _fill_zone(park.geom, park.centre, 4000, PARK_ZONE, int(quota), rng, grow=False)
        chunks.append(
            _zone_parcels(
                lots,
                np.full(len(lots["geom"]), "park", dtype=object),
                park.name,
                k,
                town,
                park.industries,
                rng,
            )
        )
        reserved[town.code].append(park.geom.buffer(40))
    done = sum(len(c) for c in chunks)
    weights = [2.0 if t.kind == "street" else 1.0 for t in towns]
    for town, quota in zip(towns, allocate(round((total - done) * 0.72), weights), strict=True):
        region = (
            town.geom.difference(shapely.union_all(reserved[town.code])) if reserved[town.code] else town.geom
        )
        lots = _fill_zone(
            region, town.centre, _centre_radius(int(quota), 9_000), CENTRE_ZONE, int(quota), rng
        )
        reach = float(lots["dist"].max()) if len(lots["dist"]) else 0.0
        rel = lots["dist"] / max(reach, 1.0)
        zone = np.where(rel < 0.35, "core", np.where(rel < 0.75, "mid", "edge")).astype(object)
        chunks.append(
            _zone_parcels(
                lots,
                zone,
                town.name[:-2] if town.kind == "street" else town.name[:-1],
                -1,
                town,
                vocab.INDUSTRIES,
                rng,
            )
        )
        # Keep villages' fields off every lot of the centre: the disk reaches past each lot's far corner.
        corner = (
            float((lots["dist"] + np.hypot(lots["w"], lots["h"]) / 2).max()) if len(lots["dist"]) else 0.0
        )
        reserved[town.code].append(Point(town.centre).buffer(corner + 40))
    done = sum(len(c) for c in chunks)
    regions = [
        village.geom.difference(shapely.union_all(reserved[village.parent or ""])) for village in villages
    ]
    # Quotas follow the room left outside parks and town centres, so no village is asked for more
    # than it can hold; what one still cannot hold, the next takes.
    shares = allocate(total - done, [r.area for r in regions])
    carry = 0
    for village, region, share in zip(villages, regions, shares, strict=True):
        quota = int(share) + carry
        town = town_index[village.parent or ""]
        if quota == 0 or region.is_empty:
            carry = quota
            continue
        lots = _fill_zone(region, village.centre, _centre_radius(quota, 30_000), VILLAGE_ZONE, quota, rng)
        carry = quota - len(lots["geom"])
        chunks.append(
            _zone_parcels(
                lots,
                np.full(len(lots["geom"]), "village", dtype=object),
                village.name,
                -1,
                town,
                vocab.INDUSTRIES,
                rng,
            )
        )
    parcels = Parcels.concat(chunks)
    parcels.attrs = parcel_attributes(parcels, rng)
    assign_codes(parcels, 0)
    return parcels


def overlap_copies(p: Parcels) -> np.ndarray:
    """Which parcels plant_overlaps added."""
    return np.char.endswith(p.zone_name.astype(str), OVERLAP_MARK)


def assign_codes(p: Parcels, start: int) -> None:
    """Codes YF-<county>-<serial>, numbered per county in generation order, from index `start` on."""
    codes = list(p.attrs.get("code", np.empty(0, dtype=object))[:start])
    seen: dict[str, int] = {}
    for county in p.county[:start]:
        seen[county] = seen.get(county, 0) + 1
    for county in p.county[start:]:
        seen[county] = seen.get(county, 0) + 1
        codes.append(f"YF-{county}-{seen[county]:06d}")
    p.attrs["code"] = np.array(codes, dtype=object)
    p.attrs["name"] = np.array([f"{z}号地块" for z in p.zone_name], dtype=object)


def plant_overlaps(p: Parcels, parks: list[ParkSpec], rng: np.random.Generator) -> int:
    """Add ~0.1 % parcels that overlap an existing one, in the park with the most parcels (spilling over
    to the next parks only at large scales), for the overlap check to find."""
    want = max(2, round(0.001 * len(p)))
    by_park = sorted(range(len(parks)), key=lambda k: -int((p.park == k).sum()))
    picks: list[int] = []
    built = ~np.isin(p.attrs["land_use"], RURAL_USES)  # keep the 疑似违法用地 check free of side effects
    for k in by_park:
        members = np.flatnonzero((p.park == k) & built)
        picks += [int(i) for i in rng.permutation(members)[: min(want - len(picks), len(members) // 2)]]
        if len(picks) >= want:
            break
    idx = np.array(picks, dtype=int)
    if len(idx) == 0:
        return 0
    shift = rng.uniform(0.3, 0.45, len(idx)) * p.w[idx] * rng.choice([-1, 1], len(idx))
    x = p.x[idx] + shift * np.cos(p.angle[idx])
    y = p.y[idx] + shift * np.sin(p.angle[idx])
    rects = rectangles(x, y, p.w[idx], p.h[idx], p.angle[idx])
    geoms = shapely.intersection(rects, np.array([parks[k].geom for k in p.park[idx]], dtype=object))
    ok = shapely.area(geoms) >= MIN_AREA
    idx, geoms, x, y = idx[ok], geoms[ok], x[ok], y[ok]
    extra = Parcels(
        geom=as_multipolygons(geoms),
        x=x,
        y=y,
        w=p.w[idx],
        h=p.h[idx],
        angle=p.angle[idx],
        zone=p.zone[idx],
        zone_name=np.array([z + OVERLAP_MARK for z in p.zone_name[idx]], dtype=object),
        park=p.park[idx],
        county=p.county[idx],
        town_name=p.town_name[idx],
        industry=p.industry[idx],
    )
    # The same land registered twice with a shifted boundary: the copy keeps the original's attributes.
    extra.attrs = {name: values[idx].copy() for name, values in p.attrs.items()}
    start = len(p)
    merged = Parcels.concat([p, extra])
    for name in (*ARRAY_FIELDS, "attrs"):
        setattr(p, name, getattr(merged, name))
    assign_codes(p, start)
    return len(idx)


def buildings(scale: float, p: Parcels, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """About 50,000 x scale footprints on built-up parcels, plus ~0.2 % planted on farmland or forest."""
    total = max(10, round(BUILDINGS_AT_SCALE_1 * scale))
    illegal = max(2, round(0.002 * total))
    use, status = p.attrs["land_use"], p.attrs["supply_status"]
    eligible = np.isin(use, list(vocab.BUILDING_KIND_BY_USE)) & np.isin(status, vocab.OCCUPIED)
    eligible &= ~overlap_copies(p)
    in_park = eligible & (p.park >= 0)
    # Parks first, then a weighted draw that favours the carriers investors ask about (factories,
    # warehouses, offices) over houses and public buildings (Efraimidis-Spirakis keys).
    outside = np.flatnonzero(eligible & ~in_park)
    weight = np.array([BUILDING_WEIGHT.get(u, 1.0) for u in use[outside]])
    order = np.concatenate(
        [
            rng.permutation(np.flatnonzero(in_park)),
            outside[np.argsort(-(rng.random(len(outside)) ** (1 / weight)))],
        ]
    )
    lo = np.array([vocab.BUILDING_KIND_BY_USE[u][1] for u in use[order]])
    hi = np.array([vocab.BUILDING_KIND_BY_USE[u][2] for u in use[order]])
    per = rng.integers(lo, hi + 1)
    cut = int(np.searchsorted(np.cumsum(per), (total - illegal) * 1.15)) + 1
    legal = place_footprints(p, order[:cut], per[:cut], rng, limit=total - illegal)
    farms = np.flatnonzero(np.isin(use, ("agricultural", "forest")))
    planted = place_footprints(
        p,
        rng.permutation(farms)[: illegal * 2],
        np.ones(min(len(farms), illegal * 2), dtype=int),
        rng,
        limit=illegal,
        small=True,
    )
    return building_attributes(p, legal, planted, rng)
