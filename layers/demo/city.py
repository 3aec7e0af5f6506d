"""The synthetic city around Yunfu: pure functions from (scale, seed) to shapely geometries and attributes.

No Django here; layers.demo.load writes what ``build_city`` returns. Every random draw comes from
generators spawned off ``numpy.random.default_rng(seed)`` in a fixed order, so the same scale and
seed give the same city. Each stage has a generator of its own, so tuning one stage does not
reshuffle the others.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from shapely.geometry import Point, Polygon
from shapely.geometry.base import BaseGeometry

from . import vocab
from .activity import amenities, field_points, patrol_tracks, project_sites
from .geo import Frame, as_multipolygons, partition, rectangles
from .parcels import Parcels, buildings, land_parcels, overlap_copies, plant_overlaps
from .transport import expressways, transport_lines, xijiang

CITY_SIZE_M = (110_000, 80_000)
FULL_SCALE = 0.5  # from this scale on the division tree has its full size
CHINA = ZoneInfo("Asia/Shanghai")


@dataclass
class Region:
    """A division or grid cell. geom is a MultiPolygon, in metres until City.to_lonlat()."""

    code: str
    name: str
    level: str  # city, county, town, village or grid
    parent: str | None
    geom: BaseGeometry
    centre: tuple[float, float]
    kind: str = ""  # towns: street (街道) or town (镇)


@dataclass
class ParkSpec:
    name: str
    level: str
    industries: list[str]
    contact_name: str
    contact_phone: str
    policies: str
    policies_en: str
    town: str
    geom: BaseGeometry
    centre: tuple[float, float]


@dataclass
class City:
    scale: float
    seed: int
    frame: Frame
    divisions: list[Region]
    grid_cells: list[Region]
    parks: list[ParkSpec]
    parcels: Parcels
    buildings: dict[str, np.ndarray]
    amenities: dict[str, np.ndarray]
    transport: dict[str, np.ndarray]
    projects: dict[str, np.ndarray]
    field_points: dict[str, np.ndarray]
    tracks: dict[str, np.ndarray]
    panoramas: dict[str, np.ndarray]
    demo_cell: str  # the grid cell bound to the demo grid worker
    demo_park: int  # index into parks, bound to the demo park manager
    demo_county: str
    in_lonlat: bool = field(default=False)

    def to_lonlat(self) -> City:
        """Convert every geometry from the local metric frame to lon/lat, in place."""
        if self.in_lonlat:
            return self
        conv = self.frame.to_lonlat
        for items in (self.divisions, self.grid_cells, self.parks):
            if not items:
                continue
            centres = self.frame.to_lonlat_xy(np.array([r.centre for r in items], dtype=float))
            for item, geom, centre in zip(items, conv([r.geom for r in items]), centres, strict=True):
                item.geom, item.centre = geom, (float(centre[0]), float(centre[1]))
        self.parcels.geom = conv(self.parcels.geom)
        for table in (
            self.buildings,
            self.amenities,
            self.transport,
            self.projects,
            self.field_points,
            self.tracks,
            self.panoramas,
        ):
            table["geom"] = conv(table["geom"])
        self.in_lonlat = True
        return self


def children_per_parent(scale: float) -> int:
    # sqrt keeps a few levels of detail at small scales (the `make run` default is 0.05).
    return max(2, round(10 * math.sqrt(min(1.0, scale / FULL_SCALE))))


def city_outline(rng: np.random.Generator) -> Polygon:
    """An irregular but simple polygon: an ellipse whose radius wobbles with a few harmonics.

    The wobble amplitudes add up to well under 1, so the radius stays positive: star-shaped, hence simple.
    """
    theta = np.linspace(0, 2 * np.pi, 240, endpoint=False)
    wobble = 1 + rng.uniform(-0.012, 0.012, len(theta))
    for k in range(2, 13):
        wobble += rng.uniform(0.02, 0.12) / math.sqrt(k) * np.sin(k * theta + rng.uniform(0, 2 * np.pi))
    a, b = CITY_SIZE_M[0] / 2, CITY_SIZE_M[1] / 2
    radius = a * b / np.sqrt((b * np.cos(theta)) ** 2 + (a * np.sin(theta)) ** 2) * wobble
    return Polygon(np.column_stack([radius * np.cos(theta), radius * np.sin(theta)]))


def _county_order(cells: np.ndarray, centres: np.ndarray) -> list[int]:
    """Which cell gets which entry of vocab.COUNTIES: the centre cell is 云城区, the rest by direction."""
    order: list[int] = []
    free = list(range(len(cells)))
    for _code, _name, direction in vocab.COUNTIES:
        if direction is None:
            pick = next((i for i in free if cells[i].contains(Point(0, 0))), free[0])
        else:
            angles = np.degrees(np.arctan2(centres[free, 1], centres[free, 0])) % 360
            diff = np.abs((angles - direction + 180) % 360 - 180)
            pick = free[int(np.argmin(diff))]
        order.append(pick)
        free.remove(pick)
    return order


class _Names:
    """Two-character place names, never repeated within one city."""

    def __init__(self, rng: np.random.Generator) -> None:
        pairs = [a + b for a in vocab.NAME_FIRST for b in vocab.NAME_SECOND if a != b]
        self._names = [pairs[i] for i in rng.permutation(len(pairs))]
        self._next = 0

    def take(self) -> str:
        self._next += 1
        return self._names[self._next - 1]


def _by_distance(centres: np.ndarray, origin: tuple[float, float]) -> np.ndarray:
    return np.argsort(np.hypot(centres[:, 0] - origin[0], centres[:, 1] - origin[1]), kind="stable")


def _jitter(n: int, rng: np.random.Generator) -> int:
    return n + int(rng.integers(-1, 2)) if n >= 5 else n


def division_tree(scale: float, rng: np.random.Generator) -> tuple[list[Region], list[Region]]:
    """City, counties, towns and villages, and the grid cells of each village; children tile parents."""
    per = children_per_parent(scale)
    names = _Names(rng)
    outline = city_outline(rng)
    city = Region(vocab.CITY_CODE, vocab.CITY_NAME, "city", None, as_multipolygons([outline])[0], (0.0, 0.0))
    divisions, cells_out = [city], []
    county_cells, county_centres = partition(outline, len(vocab.COUNTIES), rng, relax=3)
    counties = []
    for (code, name, _), i in zip(vocab.COUNTIES, _county_order(county_cells, county_centres), strict=True):
        counties.append(
            Region(code + "000000", name, "county", city.code, county_cells[i], tuple(county_centres[i]))
        )
    counties.sort(key=lambda r: r.code)
    divisions += counties
    for county in counties:
        cells, centres = partition(county.geom, _jitter(per, rng), rng)
        order = _by_distance(centres, county.centre)
        streets = math.ceil(len(order) * (0.35 if county.name.endswith("区") else 0.15))
        for serial, i in enumerate(order, start=1):
            kind = "street" if serial <= streets else "town"
            name = names.take() + ("街道" if kind == "street" else "镇")
            town = Region(
                f"{county.code[:6]}{serial:03d}000",
                name,
                "town",
                county.code,
                cells[i],
                tuple(centres[i]),
                kind,
            )
            divisions.append(town)
            villages = _villages(town, _jitter(per, rng), names, rng)
            divisions += villages
            for village in villages:
                cells_out += _grid_cells(village, _jitter(per, rng), rng)
    return divisions, cells_out


def _villages(town: Region, n: int, names: _Names, rng: np.random.Generator) -> list[Region]:
    cells, centres = partition(town.geom, n, rng)
    out = []
    for serial, i in enumerate(_by_distance(centres, town.centre), start=1):
        # The village at a town's centre is a community (社区); so are most villages of a 街道.
        community = serial == 1 or (town.kind == "street" and rng.random() < 0.8)
        out.append(
            Region(
                f"{town.code[:9]}{serial:03d}",
                names.take() + ("社区" if community else "村"),
                "village",
                town.code,
                cells[i],
                tuple(centres[i]),
            )
        )
    return out


def _grid_cells(village: Region, n: int, rng: np.random.Generator) -> list[Region]:
    cells, centres = partition(village.geom, n, rng, relax=1)
    return [
        Region(
            f"{village.code}{serial:03d}",
            f"第{serial}网格",
            "grid",
            village.code,
            cells[i],
            tuple(centres[i]),
        )
        for serial, i in enumerate(_by_distance(centres, village.centre), start=1)
    ]


def person_name(rng: np.random.Generator) -> str:
    given = "".join(rng.choice(vocab.GIVEN_CHARS, size=int(rng.integers(1, 3))))
    return str(rng.choice(vocab.SURNAMES)) + given


def phone_number(rng: np.random.Generator) -> str:
    return (
        "1"
        + str(rng.choice(["35", "37", "38", "39", "58", "59", "88"]))
        + f"{int(rng.integers(0, 10**8)):08d}"
    )


def _park_shape(town: Region, area: float, rng: np.random.Generator) -> Polygon | None:
    """A compact park of about `area` m² inside the town, away from the town centre; None if it won't fit."""
    inner = town.geom.buffer(-300)
    side = math.sqrt(area)
    for attempt in range(12):
        reach = side * rng.uniform(0.8, 1.6) * (1 - attempt / 12)
        direction = rng.uniform(0, 2 * np.pi)
        cx, cy = town.centre[0] + reach * math.cos(direction), town.centre[1] + reach * math.sin(direction)
        aspect = rng.uniform(1.0, 1.8)
        rect = rectangles(
            np.array([cx]),
            np.array([cy]),
            np.array([side * math.sqrt(aspect)]),
            np.array([side / math.sqrt(aspect)]),
            np.array([rng.uniform(0, np.pi)]),
        )[0]
        # Cut one or two corners so that parks are not all perfect rectangles.
        corners = list(rect.exterior.coords)[:4]
        for corner in rng.choice(4, size=int(rng.integers(1, 3)), replace=False):
            rect = rect.difference(
                Point(corners[int(corner)]).buffer(side * rng.uniform(0.15, 0.3), quad_segs=1)
            )
        shape = rect.intersection(inner)
        if shape.geom_type == "Polygon" and shape.area > 0.6 * rect.area:
            return shapely.simplify(shape, 1.0)
    return None


def make_parks(towns: list[Region], counties: list[Region], rng: np.random.Generator) -> list[ParkSpec]:
    """About 20 parks, each a few km² inside one town, at most one per town."""
    county_names = {c.code: c.name for c in counties}
    parks = []
    for t in rng.permutation(len(towns))[: min(20, len(towns))]:
        town = towns[t]
        shape = _park_shape(town, rng.uniform(2e6, 7e6), rng)
        if shape is None:
            continue
        county = county_names[town.parent or ""]
        short = county[:-1] if len(county) > 2 else county
        industries = [
            str(x) for x in rng.choice(vocab.INDUSTRIES, size=int(rng.integers(2, 4)), replace=False)
        ]
        # In the order the generator has always drawn them, so a seed keeps making the same city.
        name = f"{short}{town.name[:2]}{rng.choice(vocab.PARK_SUFFIX)}"
        contact_name, contact_phone = person_name(rng), phone_number(rng)
        terms = {
            "invest": int(rng.integers(1, 6)),
            "years": int(rng.integers(2, 6)),
            "share": int(rng.choice([30, 50, 80, 100])),
            "rent_years": int(rng.integers(1, 4)),
            "days": int(rng.integers(3, 11)),
        }
        parks.append(
            ParkSpec(
                name=name,
                level=vocab.PARK_LEVELS[len(parks) % len(vocab.PARK_LEVELS)],
                industries=industries,
                contact_name=contact_name,
                contact_phone=contact_phone,
                policies=vocab.PARK_POLICY.format(**terms),
                policies_en=vocab.PARK_POLICY_EN.format(**terms),
                town=town.code,
                geom=shape,
                centre=tuple(shapely.get_coordinates(shape.centroid)[0]),
            )
        )
    return parks


def build_city(scale: float, seed: int = 2026, as_of: datetime | None = None) -> City:
    """Generate the whole city (in lon/lat). as_of anchors the timestamps (default: now, to the hour)."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    # Working hours are Beijing time, whatever the server's time zone.
    as_of = (as_of or datetime.now(CHINA)).astimezone(CHINA).replace(minute=0, second=0, microsecond=0)
    streams = np.random.default_rng(seed).spawn(9)
    divisions, cells = division_tree(scale, streams[0])
    towns = [d for d in divisions if d.level == "town"]
    counties = [d for d in divisions if d.level == "county"]
    villages = [d for d in divisions if d.level == "village"]
    parks = make_parks(towns, counties, streams[1])
    parcels = land_parcels(scale, towns, villages, parks, streams[2])
    plant_overlaps(parcels, parks, streams[3])
    bldg = buildings(scale, parcels, streams[4])
    demo_cell = _demo_cell(cells, towns, counties[0])
    roads = np.random.default_rng([seed, 324])
    highways, river = expressways(divisions[0], towns, roads), xijiang(divisions[0], roads)
    city = City(
        scale=scale,
        seed=seed,
        frame=Frame(),
        divisions=divisions,
        grid_cells=cells,
        parks=parks,
        parcels=parcels,
        buildings=bldg,
        amenities=amenities(scale, divisions[0], towns, villages, highways, river, streams[5]),
        transport=transport_lines(divisions[0], towns, highways, river, roads),
        projects=project_sites(scale, parcels, bldg, parks, towns, streams[6]),
        field_points=field_points(scale, divisions[0], towns, villages, demo_cell, streams[7], as_of),
        tracks=patrol_tracks(scale, cells, demo_cell, streams[8], as_of),
        panoramas={},
        demo_cell=demo_cell.code,
        demo_park=next((i for i, p in enumerate(parks) if p.town.startswith(counties[0].code[:6])), 0),
        demo_county=counties[0].code,
    )
    city.panoramas = _panoramas(city, np.random.default_rng([seed, 99]), as_of)
    return city.to_lonlat()


def _demo_cell(cells: list[Region], towns: list[Region], county: Region) -> Region:
    """The grid cell at the centre of the county seat: busy enough to have points and patrols."""
    seat = next(t for t in towns if t.parent == county.code)
    point = Point(seat.centre)
    return next(
        (c for c in cells if c.code.startswith(seat.code[:9]) and c.geom.contains(point)),
        next(c for c in cells if c.code.startswith(seat.code[:9])),
    )


def _panoramas(city: City, rng: np.random.Generator, as_of: datetime) -> dict[str, np.ndarray]:
    """Five panoramas in public parcels, preferring parcels on offer in different parks."""
    p = city.parcels
    # Public, not one of the planted overlaps; parcels on offer first, then those in parks, then by lot.
    public = np.flatnonzero(p.attrs["is_public"] & ~overlap_copies(p))
    park_of = p.park
    ranked = public[
        np.lexsort(
            (rng.random(len(public)), park_of[public] < 0, p.attrs["supply_status"][public] != "available")
        )
    ]
    chosen: list[int] = []
    for i in ranked:
        if park_of[i] < 0 or park_of[i] not in [park_of[j] for j in chosen]:
            chosen.append(int(i))
        if len(chosen) == 5:
            break
    chosen += [int(i) for i in ranked if int(i) not in chosen][: 5 - len(chosen)]
    idx = np.array(chosen, dtype=int)
    titles = []
    for n, i in enumerate(idx):
        place = city.parks[park_of[i]].name if park_of[i] >= 0 else str(p.attrs["name"][i])
        titles.append(f"{place}·{vocab.PANORAMA_TITLES[n % len(vocab.PANORAMA_TITLES)]}")
    days = rng.uniform(10, 200, len(idx))
    return {
        "geom": shapely.point_on_surface(p.geom[idx]),
        "parcel": idx,
        "title": np.array(titles, dtype=object),
        "heading_deg": np.round(rng.uniform(0, 360, len(idx)), 1),
        "captured_at": np.array([as_of - timedelta(days=float(d)) for d in days], dtype=object),
        "image_seed": rng.integers(0, 2**31, len(idx)),
    }


__all__ = ["City", "ParkSpec", "Region", "build_city", "children_per_parent"]
