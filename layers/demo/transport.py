"""The demo city's roads, railways and rivers (交通水系): what the offline base map draws, and
what the highway exits, stations and ports of the amenities sit on.

In the local metric frame, like the rest of the city until ``City.to_lonlat``: two expressways,
a national road through the county seats, a provincial road north to south, a road from each town
centre to its county seat, a high-speed and a conventional railway, the navigable 西江 and a
meandering tributary.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString
from shapely.geometry.base import BaseGeometry

from layers.english import english_name

from . import vocab

# English names pinyin would spell badly (layers.english makes the rest).
ENGLISH = {
    "国道324线": "National Highway 324",
    "省道113线": "Provincial Road 113",
    "西江": "Xi River",
    "南江": "Nan River",
}

if TYPE_CHECKING:
    from .city import Region


def _multi(geom: BaseGeometry) -> MultiLineString | None:
    parts = [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, LineString) and not g.is_empty]
    return MultiLineString(parts) if parts else None


def _wavy(points: np.ndarray, rng: np.random.Generator, amplitude: float, step: float = 1500) -> LineString:
    """A line through the points, bent a little between them so it does not look ruled."""
    line = LineString(points)
    n = max(2, int(line.length / step))
    along = shapely.line_interpolate_point(line, np.linspace(0, 1, n), normalized=True)
    xy = shapely.get_coordinates(along)
    bend = amplitude * np.sin(np.linspace(0, rng.uniform(3, 7), n) + rng.uniform(0, 6))
    bend[[0, -1]] = 0
    heading = np.gradient(xy, axis=0)
    normal = np.column_stack([-heading[:, 1], heading[:, 0]])
    normal /= np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-9)
    return LineString(xy + normal * bend[:, None])


def expressways(city: Region, towns: list[Region], rng: np.random.Generator) -> list[BaseGeometry]:
    """Two expressways across the city: west-east through the southern towns, north-south through the east."""
    x0, y0, x1, y1 = city.geom.bounds
    seats = np.array([t.centre for t in towns if t.code.endswith("001000")], dtype=float)
    south = seats[seats[:, 1] < np.median(seats[:, 1])] if len(seats) > 2 else seats
    we = np.vstack([[x0 - 5000, rng.uniform(y0, 0) / 2], south[np.argsort(south[:, 0])], [x1 + 5000, 0]])
    ns = np.array(
        [
            [rng.uniform(0, x1 / 2), y1 + 5000],
            [rng.uniform(0, x1 / 2), 0],
            [rng.uniform(0, x1 / 2), y0 - 5000],
        ]
    )
    return [city.geom.intersection(LineString(we)), city.geom.intersection(LineString(ns))]


def xijiang(city: Region, rng: np.random.Generator) -> BaseGeometry:
    """The 西江 along the north of the city, meandering."""
    x0, _, x1, y1 = city.geom.bounds
    x = np.linspace(x0 - 5000, x1 + 5000, 60)
    y = y1 * 0.55 + 4000 * np.sin(x / 9000 + rng.uniform(0, 6)) + 1500 * np.sin(x / 3100)
    return city.geom.intersection(LineString(np.column_stack([x, y])))


def transport_lines(
    city: Region,
    towns: list[Region],
    highways: list[BaseGeometry],
    river: BaseGeometry,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    x0, y0, x1, y1 = city.geom.bounds
    seat_towns = [t for t in towns if t.code.endswith("001000")]
    seats = np.array([t.centre for t in seat_towns], dtype=float)
    rows: list[tuple[str, str, str, BaseGeometry]] = []
    for (name, ref), line in zip(vocab.HIGHWAYS, highways, strict=True):
        rows.append((name, ref, "expressway", line))
    rows.append(("西江", "", "waterway", river))
    by_x = seats[np.argsort(seats[:, 0])]
    national = _wavy(np.vstack([[x0 - 3000, by_x[0, 1]], by_x, [x1 + 3000, by_x[-1, 1]]]), rng, 600)
    rows.append(("国道324线", "G324", "national_road", national))
    middle = seats[np.argsort(np.abs(seats[:, 0]))][:2]
    provincial = _wavy(
        np.array([[middle[0, 0], y1 + 3000], *middle[np.argsort(-middle[:, 1])], [middle[-1, 0], y0 - 3000]]),
        rng,
        800,
    )
    rows.append(("省道113线", "S113", "provincial_road", provincial))
    for town in towns:
        if town.code.endswith("001000"):
            continue
        seat = next((t for t in seat_towns if t.code[:6] == town.code[:6]), None)
        if seat is not None:
            rows.append(
                (
                    f"{town.name.removesuffix('镇').removesuffix('街道')}公路",
                    "",
                    "county_road",
                    _wavy(np.array([town.centre, seat.centre]), rng, 300),
                )
            )
    hsr_y = y1 * 0.25
    rows.append(
        (
            "南广高速铁路",
            "",
            "high_speed_rail",
            _wavy(
                np.array([[x0 - 5000, hsr_y + 3000], [0, hsr_y], [x1 + 5000, hsr_y - 2000]]), rng, 1500, 3000
            ),
        )
    )
    rail = np.vstack([[x0 - 5000, y0 * 0.3], by_x[len(by_x) // 2 :], [x1 + 5000, y0 * 0.1]])
    rows.append(("三茂铁路", "", "railway", _wavy(rail, rng, 700)))
    tributary = np.column_stack(
        [np.full(8, x0 * 0.55) + rng.uniform(-2500, 2500, 8), np.linspace(y0 - 3000, y1 * 0.5, 8)]
    )
    rows.append(("南江", "", "river", _wavy(tributary, rng, 1800, 1000)))
    kept = [(n, r, k, _multi(city.geom.intersection(g))) for n, r, k, g in rows]
    kept = [row for row in kept if row[3] is not None]
    return {
        "name": np.array([n for n, _, _, _ in kept], dtype=object),
        "name_en": np.array([ENGLISH.get(n) or english_name(n) for n, _, _, _ in kept], dtype=object),
        "ref": np.array([r for _, r, _, _ in kept], dtype=object),
        "kind": np.array([k for _, _, k, _ in kept], dtype=object),
        "geom": np.array([g for _, _, _, g in kept], dtype=object),
    }
