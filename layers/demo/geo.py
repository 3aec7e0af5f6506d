"""Geometry helpers for the synthetic city: a local metric frame, Voronoi partitions, rectangles.

Everything is generated in metres on a local frame and converted to lon/lat once at the end. The
frame is affine (a fixed metres-per-degree scale at the centre), so straight edges stay straight
and shared edges stay shared: a partition that tiles its parent in metres still tiles it exactly
in lon/lat. The ~0.3 % scale error at the edge of a 110 km city does not matter for synthetic
data; stored areas are measured on the ellipsoid by PostGIS anyway.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

# Yunfu city centre.
LON0, LAT0 = 112.04, 22.93


@dataclass(frozen=True)
class Frame:
    lon0: float = LON0
    lat0: float = LAT0

    @property
    def m_per_deg(self) -> tuple[float, float]:
        # Lengths of one degree on the WGS 84 ellipsoid at lat0 (series expansion, < 1 m error).
        phi = math.radians(self.lat0)
        lat = 111132.954 - 559.822 * math.cos(2 * phi) + 1.175 * math.cos(4 * phi)
        lon = 111412.84 * math.cos(phi) - 93.5 * math.cos(3 * phi) + 0.118 * math.cos(5 * phi)
        return lon, lat

    def to_lonlat_xy(self, xy: np.ndarray) -> np.ndarray:
        kx, ky = self.m_per_deg
        return np.column_stack([self.lon0 + xy[:, 0] / kx, self.lat0 + xy[:, 1] / ky])

    def to_lonlat(self, geoms: np.ndarray) -> np.ndarray:
        return shapely.transform(np.asarray(geoms, dtype=object), self.to_lonlat_xy)


def as_multipolygons(geoms: np.ndarray) -> np.ndarray:
    """Polygonal parts of each geometry as one MultiPolygon (drops line or point debris of clipping)."""
    geoms = np.asarray(geoms, dtype=object)
    parts, index = shapely.get_parts(geoms, return_index=True)
    keep = shapely.get_type_id(parts) == 3  # Polygon
    keep &= shapely.area(parts) > 0
    out = shapely.multipolygons(parts[keep], indices=index[keep], out=np.empty(len(geoms), dtype=object))
    missing = [i for i, g in enumerate(out) if g is None]
    if missing:
        raise ValueError(f"geometries {missing[:5]} have no polygonal part")
    return out


def sample_in(geom: BaseGeometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """n uniformly random points inside geom, as an (n, 2) array."""
    shapely.prepare(geom)
    x0, y0, x1, y1 = geom.bounds
    out = np.empty((0, 2))
    while len(out) < n:
        batch = max(16, 2 * (n - len(out)))
        xy = np.column_stack([rng.uniform(x0, x1, batch), rng.uniform(y0, y1, batch)])
        out = np.vstack([out, xy[shapely.contains_xy(geom, xy[:, 0], xy[:, 1])]])
    return out[:n]


def inside_or_surface(geoms: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """xy where it lies inside its geometry, else that geometry's point on surface."""
    ok = shapely.contains_xy(geoms, xy[:, 0], xy[:, 1])
    if not ok.all():
        xy = xy.copy()
        xy[~ok] = shapely.get_coordinates(shapely.point_on_surface(geoms[~ok]))
    return xy


def voronoi_cells(seeds: np.ndarray, parent: BaseGeometry) -> np.ndarray:
    """The Voronoi cells of seeds, clipped to parent, in the order of seeds."""
    cells = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=parent, ordered=True)
    return as_multipolygons(shapely.intersection(shapely.get_parts(cells), parent))


def partition(
    parent: BaseGeometry, n: int, rng: np.random.Generator, relax: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """Split parent into n cells that tile it exactly; returns (cells, centres).

    Lloyd relaxation (seeds moved to their cell's centroid) evens out the cell sizes, so no town is
    a sliver and none swallows its neighbours.
    """
    seeds = sample_in(parent, n, rng)
    for _ in range(relax):
        cells = voronoi_cells(seeds, parent)
        seeds = inside_or_surface(cells, shapely.get_coordinates(shapely.centroid(cells)))
    cells = voronoi_cells(seeds, parent)
    return cells, inside_or_surface(cells, seeds)


def rectangles(cx: np.ndarray, cy: np.ndarray, w: np.ndarray, h: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """Rectangles centred on (cx, cy), w x h in their own frame, rotated by angle (radians)."""
    local = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5], [-0.5, -0.5]])
    lx = local[None, :, 0] * np.asarray(w)[:, None]
    ly = local[None, :, 1] * np.asarray(h)[:, None]
    cos, sin = np.cos(angle)[:, None], np.sin(angle)[:, None]
    coords = np.stack([cx[:, None] + lx * cos - ly * sin, cy[:, None] + lx * sin + ly * cos], axis=-1)
    return shapely.polygons(coords)


def within_group_index(counts: np.ndarray) -> np.ndarray:
    """For groups of the given sizes laid end to end: 0, 1, ... restarting at each group."""
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(counts.sum()) - starts


def weighted_choice(rng: np.random.Generator, table: list[tuple[str, float]], size: int) -> np.ndarray:
    values = np.array([v for v, _ in table], dtype=object)
    weights = np.array([w for _, w in table], dtype=float)
    return values[rng.choice(len(values), size=size, p=weights / weights.sum())]


def allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Split an integer total in proportion to weights (largest remainder, so the sum is exact)."""
    weights = np.asarray(weights, dtype=float)
    if total <= 0 or len(weights) == 0:
        return np.zeros(len(weights), dtype=int)
    raw = total * weights / weights.sum()
    out = np.floor(raw).astype(int)
    rest = total - out.sum()
    out[np.argsort(-(raw - out), kind="stable")[:rest]] += 1
    return out
