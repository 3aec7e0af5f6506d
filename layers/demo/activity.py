"""Points and lines of the synthetic city: amenities, project sites, field points and patrol tracks."""

from __future__ import annotations

import math
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
import shapely
from shapely.geometry import MultiLineString
from shapely.geometry.base import BaseGeometry

from . import vocab
from .geo import allocate, sample_in, weighted_choice

if TYPE_CHECKING:
    from .city import ParkSpec, Region
    from .parcels import Parcels


def scatter(
    centres: np.ndarray,
    sigma: float | np.ndarray,
    regions: np.ndarray,
    rng: np.random.Generator,
    tries: int = 6,
) -> np.ndarray:
    """Gaussian scatter around each centre, redrawn until inside that point's region; else the centre."""
    n = len(centres)
    sigma = np.broadcast_to(np.asarray(sigma, dtype=float), (n,))
    out = centres.astype(float).copy()
    todo = np.arange(n)
    for _ in range(tries):
        xy = centres[todo] + rng.normal(0, 1, (len(todo), 2)) * sigma[todo, None]
        ok = shapely.contains_xy(regions[todo], xy[:, 0], xy[:, 1])
        out[todo[ok]] = xy[ok]
        todo = todo[~ok]
        if not len(todo):
            break
    return out


def _centres(regions: list[Region]) -> np.ndarray:
    return np.array([r.centre for r in regions], dtype=float)


def _nearest(centres: np.ndarray, xy: np.ndarray) -> np.ndarray:
    d = np.hypot(xy[:, None, 0] - centres[None, :, 0], xy[:, None, 1] - centres[None, :, 1])
    return d.argmin(axis=1) if len(xy) else np.empty(0, dtype=int)


def _along(line: BaseGeometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """n points spread evenly along a line, each jittered a little along it."""
    if n == 0 or line.is_empty:
        return np.empty((0, 2))
    frac = (np.arange(n) + 0.5 + rng.uniform(-0.3, 0.3, n)) / n
    return shapely.get_coordinates(shapely.line_interpolate_point(line, frac, normalized=True))


def _on_lines(lines: list[BaseGeometry], n: int, rng: np.random.Generator) -> np.ndarray:
    share = allocate(n, [ln.length for ln in lines])
    return np.vstack([_along(ln, int(k), rng) for ln, k in zip(lines, share, strict=True)])


def amenities(
    scale: float,
    city: Region,
    towns: list[Region],
    villages: list[Region],
    lines: list[BaseGeometry],
    river: BaseGeometry,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """About 3,000 x scale points of interest, at least two of every category: highway exits on the
    expressways, ports on the river (``layers.demo.transport``)."""
    total = round(3000 * scale)
    shares = allocate(total, list(vocab.AMENITY_SHARE.values()))
    counts = {c: max(2, int(k)) for c, k in zip(vocab.AMENITY_SHARE, shares, strict=True)}
    town_xy, town_geoms = _centres(towns), np.array([t.geom for t in towns], dtype=object)
    weights = np.array([2.0 if t.kind == "street" else 1.0 for t in towns])
    seats = town_xy[[i for i, t in enumerate(towns) if t.code.endswith("001000")]]
    village_xy, village_geoms = _centres(villages), np.array([v.geom for v in villages], dtype=object)

    def in_city(n: int) -> np.ndarray:
        return np.full(n, city.geom, dtype=object)

    def in_towns(n: int, rural_share: float = 0.0) -> np.ndarray:
        # Mostly around town centres; schools, clinics and bus stops also in villages.
        t = rng.choice(len(towns), n, p=weights / weights.sum())
        v = rng.integers(0, len(villages), n)
        rural = (rng.random(n) < rural_share)[:, None]
        return np.where(
            rural,
            scatter(village_xy[v], 250, village_geoms[v], rng),
            scatter(town_xy[t], 1000, town_geoms[t], rng),
        )

    placers = {
        "highway_exit": lambda n: _on_lines(lines, n, rng),
        "port": lambda n: _along(river, n, rng),
        "rail_station": lambda n: scatter(seats[np.arange(n) % len(seats)], 2000, in_city(n), rng),
        "petrol_station": lambda n: np.vstack(
            [scatter(_on_lines(lines, n // 2, rng), 250, in_city(n // 2), rng), in_towns(n - n // 2)]
        ),
        "school": lambda n: in_towns(n, 0.3),
        "hospital": lambda n: in_towns(n, 0.3),
        "transit_stop": lambda n: in_towns(n, 0.3),
    }
    xy_parts, category = [], []
    for name, n in counts.items():
        xy = placers.get(name, in_towns)(n)
        if len(xy) < n:  # a highway or the river missed the city outline
            xy = np.vstack([xy, sample_in(city.geom, n - len(xy), rng)])
        xy_parts.append(xy)
        category += [name] * n
    xy = np.vstack(xy_parts)
    town = _nearest(town_xy, xy)
    place = [towns[t].name[:-2] if towns[t].kind == "street" else towns[t].name[:-1] for t in town]
    county_names = {code: name for code, name, _ in vocab.COUNTIES}
    address = [
        f"{county_names[towns[t].code[:6]]}{towns[t].name}{rng.choice(vocab.ROADS)}{rng.integers(1, 300)}号"
        for t in town
    ]
    names = [_name(c, pl, rng) for c, pl in zip(category, place, strict=True)]
    return {
        "geom": shapely.points(xy),
        "category": np.array(category, dtype=object),
        "name": np.array(names, dtype=object),
        "address": np.array(address, dtype=object),
    }


def _name(category: str, place: str, rng: np.random.Generator) -> str:
    template = str(rng.choice(vocab.AMENITY_NAMES[category]))
    return template.format(place) if "{}" in template else place + template


def project_sites(
    scale: float,
    p: Parcels,
    bldg: dict[str, np.ndarray],
    parks: list[ParkSpec],
    towns: list[Region],
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """About 600 x scale investment projects; settled ones sit on a parcel or in a building."""
    n = max(10, round(600 * scale))
    stage = weighted_choice(rng, vocab.PROJECT_STAGE, n)
    # Every stage at least once, however small the city: the workspace's board has no empty column.
    stage[rng.permutation(n)[: len(vocab.PROJECT_STAGE)]] = [v for v, _w in vocab.PROJECT_STAGE]
    settled = np.isin(stage, vocab.SETTLED_STAGES)
    how = np.where(settled, np.select([rng.random(n) < 0.6, rng.random(n) < 0.6], [1, 2], 0), 0)
    use, status = p.attrs["land_use"], p.attrs["supply_status"]
    fits = np.isin(use, ("industrial", "warehouse", "mixed", "commercial")) & np.isin(
        status, ("sold", "in_use")
    )
    lots = np.concatenate(
        [
            rng.permutation(np.flatnonzero(fits & (p.park >= 0))),
            rng.permutation(np.flatnonzero(fits & (p.park < 0))),
        ]
    )
    premises = rng.permutation(
        np.flatnonzero(np.isin(bldg["kind"], ("standard_factory", "incubator", "office")) & ~bldg["planted"])
    )
    parcel, building = np.full(n, -1), np.full(n, -1)
    on_lot, in_building = np.flatnonzero(how == 1)[: len(lots)], np.flatnonzero(how == 2)[: len(premises)]
    parcel[on_lot] = lots[: len(on_lot)]
    building[in_building] = premises[: len(in_building)]
    parcel[in_building] = bldg["parcel"][building[in_building]]
    geom = np.empty(n, dtype=object)
    geom[on_lot] = shapely.point_on_surface(p.geom[parcel[on_lot]])
    geom[in_building] = shapely.centroid(bldg["geom"][building[in_building]])
    free = np.flatnonzero(geom == None)  # noqa: E711 - elementwise test on an object array
    near_park = (rng.random(len(free)) < 0.6) & bool(parks)
    park_pick = rng.integers(0, max(len(parks), 1), len(free))
    town_pick = rng.integers(0, len(towns), len(free))
    centres = np.where(
        near_park[:, None],
        np.array([parks[k].centre for k in park_pick]) if parks else 0,
        _centres(towns)[town_pick],
    )
    regions = np.array([t.geom for t in towns], dtype=object)[town_pick]
    regions[near_park] = [parks[k].geom for k in park_pick[near_park]]
    geom[free] = shapely.points(scatter(centres, 600, regions, rng))
    industry = np.where(parcel >= 0, p.industry[np.maximum(parcel, 0)], rng.choice(vocab.INDUSTRIES, n))
    brand = rng.choice(vocab.BRANDS, size=(n, 2))
    enterprise = [f"广东{a}{b}{ind}有限公司" for (a, b), ind in zip(brand, industry, strict=True)]
    names = [
        f"{e[2:4]}" + str(rng.choice(vocab.PROJECT_NAMES)).format(n=int(rng.integers(1, 50)), ind=ind)
        for e, ind in zip(enterprise, industry, strict=True)
    ]
    # A project that has land is the parcel's occupant, one in a building is among its occupants.
    p.attrs["occupant_enterprise"][parcel[on_lot]] = [enterprise[i] for i in on_lot]
    for i in in_building:
        bldg["occupants"][building[i]] = [*bldg["occupants"][building[i]], enterprise[i]]
    invest = np.clip(np.exp(rng.normal(math.log(20_000), 1.0, n)), 500, 800_000)
    return {
        "geom": geom,
        "parcel": parcel,
        "building": building,
        "stage": stage,
        "occupies": np.isin(np.arange(n), on_lot),
        "project_code": np.array([f"YFXM{i + 1:05d}" for i in range(n)], dtype=object),
        "project_name": np.array(names, dtype=object),
        "industry": industry.astype(object),
        "investment_wan": np.round(invest, -1),
    }


def _times(rng: np.random.Generator, as_of: datetime, n: int, days: float) -> list[datetime]:
    """Working-hours moments within the last `days` days before as_of."""
    midnight = as_of.replace(hour=0, minute=0, second=0, microsecond=0)
    day = rng.integers(1, int(days) + 1, n)
    second = rng.integers(8 * 3600, 18 * 3600, n)
    return [
        midnight - timedelta(days=int(d)) + timedelta(seconds=int(s))
        for d, s in zip(day, second, strict=True)
    ]


def field_points(
    scale: float,
    city: Region,
    towns: list[Region],
    villages: list[Region],
    demo_cell: Region,
    rng: np.random.Generator,
    as_of: datetime,
) -> dict[str, np.ndarray]:
    """About 20,000 x scale points tagged by grid workers, a cluster of them in the demo grid cell."""
    n = max(20, round(20_000 * scale))
    demo = max(5, round(0.005 * n))
    rest = n - demo
    n_town, n_village = round(rest * 0.55), round(rest * 0.3)
    cities = np.full(1, city.geom, dtype=object)
    t = rng.integers(0, len(towns), n_town)
    v = rng.integers(0, len(villages), n_village)
    xy = np.vstack(
        [
            sample_in(demo_cell.geom, demo, rng),
            scatter(_centres(towns)[t], 1200, np.repeat(cities, n_town), rng),
            scatter(_centres(villages)[v], 400, np.repeat(cities, n_village), rng),
            sample_in(city.geom, rest - n_town - n_village, rng),
        ]
    )
    keys = list(vocab.FIELD_POINT_CATEGORIES)
    shares = np.array([vocab.FIELD_POINT_CATEGORIES[k][2] for k in keys])
    category = np.array(keys, dtype=object)[rng.choice(len(keys), n, p=shares / shares.sum())]
    # Two years, so the wall's trend has a 同比 (the same month a year before) for every month.
    reported = _times(rng, as_of, n, 730)
    status = weighted_choice(rng, vocab.EVENT_STATUS, n)
    # Old reports are mostly dealt with by now.
    old = np.array([(as_of - r).days > 90 for r in reported]) & (rng.random(n) < 0.7)
    status[old] = "closed"
    notes = [str(rng.choice(vocab.FIELD_POINT_NOTES[c])) for c in category]
    return {
        "geom": shapely.points(xy),
        "category": category,
        "status": status,
        "note": np.array(notes, dtype=object),
        "reported_at": np.array(reported, dtype=object),
        "uuid": np.array([uuid.UUID(bytes=rng.bytes(16), version=4) for _ in range(n)], dtype=object),
    }


def _walk(rng: np.random.Generator, vertices: int) -> np.ndarray:
    heading = rng.uniform(0, 2 * np.pi) + np.cumsum(rng.normal(0, 0.4, vertices - 1))
    steps = rng.uniform(0.5, 1.5, vertices - 1)
    xy = np.cumsum(np.column_stack([steps * np.cos(heading), steps * np.sin(heading)]), axis=0)
    return np.vstack([[0.0, 0.0], xy])


def patrol_tracks(
    scale: float, cells: list[Region], demo_cell: Region, rng: np.random.Generator, as_of: datetime
) -> dict[str, np.ndarray]:
    """About 2,000 x scale walks of 20-200 vertices (a multi-line of one part each), each inside one
    grid cell, timed at walking speed."""
    n = max(5, round(2000 * scale))
    demo = max(3, round(0.01 * n))
    codes = [c.code for c in cells]
    pick = np.concatenate([np.full(demo, codes.index(demo_cell.code)), rng.integers(0, len(cells), n - demo)])
    unique, inverse = np.unique(pick, return_inverse=True)
    circles = shapely.maximum_inscribed_circle(np.array([cells[i].geom for i in unique], dtype=object))
    centre = shapely.get_coordinates(shapely.get_point(circles, 0))[inverse]
    radius = shapely.length(circles)[inverse]
    starts = _times(rng, as_of, n, 180)
    lines, stamps, checklists = [], [], []
    for i in range(n):
        xy = _walk(rng, int(rng.integers(20, 201)))
        mid = (xy.max(axis=0) + xy.min(axis=0)) / 2
        reach = max(float(np.hypot(*(xy - mid).T).max()), 1e-9)
        step = np.hypot(*np.diff(xy, axis=0).T)
        # Fit the walk inside the cell's largest inscribed circle, with steps no longer than ~35 m.
        k = min(0.85 * radius[i] / reach, 35 / float(step.mean()))
        xy = (xy - mid) * k + centre[i]
        seconds = np.concatenate(
            [[0.0], np.cumsum(step * k / rng.uniform(1.0, 1.5) + rng.uniform(0, 3, len(step)))]
        )
        stamps.append([starts[i] + timedelta(seconds=round(float(s), 1)) for s in seconds])
        lines.append(MultiLineString([xy]))  # one part: the demo's phones never stopped recording
        checklists.append(
            {item: ("异常" if rng.random() < 0.08 else "正常") for item in vocab.PATROL_CHECKLIST}
        )
    return {
        "geom": np.array(lines, dtype=object),
        "cell": np.array([codes[i] for i in pick], dtype=object),
        "started_at": np.array([s[0] for s in stamps], dtype=object),
        "ended_at": np.array([s[-1] for s in stamps], dtype=object),
        "timestamps": _object_list(stamps),
        "checklist_results": np.array(checklists, dtype=object),
    }


def _object_list(items: list) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out
