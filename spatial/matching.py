"""Site matching (智能选址): rank public carriers against an investor's needs, with reasons.

How a carrier is scored
-----------------------
*Filters* decide which carriers take part at all: the carrier layers asked for (parcels, buildings
or both), published records only, the supply status (default: available, 可供), and — when given —
the land-use classes (parcels) and building kinds (buildings). Everything else the investor states
is a *criterion*.

*Hard constraints* (``HARD``: area, price and district, unless the request's ``hard`` names fewer)
are needs a carrier must meet to be listed at all: a 50–100 亩 request lists no 45 亩 site, an
over-budget one or one in another county (nor one whose price is not published). How many each
constraint set aside is reported (``excluded``, in ``HARD`` order, each counting what the ones
before it left), so an empty answer says which need to relax. The other criteria are weighted
*preferences*, and only they make the score. Each criterion gives a satisfaction ``s`` between 0
and 1:

==============  =====================================================  ===========================
criterion       met (s = 1) when                                       partly met
==============  =====================================================  ===========================
area            area within [area_min, area_max]                       s falls linearly to 0 at
                (parcels: area; buildings: vacant, else leasable area)  50 % outside the range
price           price ≤ the maximum (万元/亩 for land sold, 元/㎡·月      to 0 at 30 % above it
                rent, 元/㎡ building sale price; the best that applies)
floor_load      floor load ≥ the minimum (buildings only)               to 0 at 30 % below it
clear_height    clear height ≥ the minimum (buildings only)             to 0 at 30 % below it
district        inside one of the preferred divisions                   no partial credit
industry        in a park leading it (by code, in either language)       no partial credit
amenity:<cat>   nearest <cat> within max_distance_m                     to 0 at twice the distance
==============  =====================================================  ===========================

A carrier that does not publish the value a criterion needs gets ``s = 0`` with the status
``unknown``; a criterion that does not apply to a kind of carrier (floor load of bare land) is left
out of that carrier's score and listed as ``not_applicable``.

``score = 100 × Σ(weight × s) / Σ(weight)`` over the preferences that apply (100 when there are
none). The default weights are ``DEFAULT_WEIGHTS``; a request may set any of them between
``WEIGHT_MIN`` and ``WEIGHT_MAX`` (0 turns a criterion off), and each amenity requirement may carry
its own weight. Equal scores are broken, in ``TIE_BREAKS`` order, by carrier layer (land first),
the lower price, the area nearer the middle of the range asked for, and the id, so pages are
stable; each result says how many share its score.

Distances to amenities are measured from the carrier's footprint (not its centre) in a transverse
Mercator projection centred on the carriers; within 100 km of its meridian the scale error is
below 0.02 %, i.e. under 1 m in 5 km.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import shapely
from django.db.models import Q
from pyproj import Transformer

from industries.models import Industry
from layers.models import MU_M2, AmenityCategory, Division
from layers.registry import LAYERS

from . import queries

DEFAULT_WEIGHTS: dict[str, float] = {
    "area": 3.0,
    "price": 2.0,
    "floor_load": 1.5,
    "clear_height": 1.5,
    "district": 1.5,
    "industry": 1.0,
    "amenity": 2.0,  # each amenity requirement, unless it gives its own weight
}
WEIGHT_MIN, WEIGHT_MAX = 0.0, 10.0
TOLERANCE = {"area": 0.5, "price": 0.3, "floor_load": 0.3, "clear_height": 0.3, "amenity": 1.0}
CARRIERS = ("parcels", "buildings")
MAX_AMENITY_DISTANCE_M = 50_000.0

MET, PARTIAL, MISSED, UNKNOWN, NOT_APPLICABLE = "met", "partial", "missed", "unknown", "not_applicable"
HARD = ("area", "price", "district")
TIE_BREAKS = ("layer", "price", "area_fit", "id")


@dataclass
class AmenityNeed:
    category: str
    max_distance_m: float
    weight: float


@dataclass
class Needs:
    carriers: tuple[str, ...] = CARRIERS
    area_min_m2: float | None = None
    area_max_m2: float | None = None
    area_unit: str = "m2"
    land_use: tuple[str, ...] = ()
    building_kind: tuple[str, ...] = ()
    supply_status: tuple[str, ...] = ("available",)
    max_price_wan_per_mu: float | None = None
    max_rent_yuan_m2_month: float | None = None
    max_sale_price_yuan_m2: float | None = None
    min_floor_load_kg_m2: float | None = None
    min_clear_height_m: float | None = None
    industry: Industry | None = None
    districts: tuple[Division, ...] = ()
    amenities: tuple[AmenityNeed, ...] = ()
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    hard: tuple[str, ...] = HARD


# --- candidates ----------------------------------------------------------------------------------


@dataclass
class Candidates:
    """Struct of arrays: one entry per carrier taking part (what scoring needs, nothing more)."""

    layer: np.ndarray
    id: np.ndarray
    area_m2: np.ndarray  # nan when unknown
    price_wan_per_mu: np.ndarray
    rent: np.ndarray
    sale_price: np.ndarray
    floor_load: np.ndarray
    clear_height: np.ndarray
    division_code: np.ndarray
    park_id: np.ndarray
    industries: list[list[str]]
    geom: np.ndarray | None  # shapely footprints (lon/lat), fetched only for amenity criteria

    def __len__(self) -> int:
        return len(self.id)


_PARCEL_COLUMNS = ("id", "area_m2", "price_wan_per_mu", "rent_yuan_m2_month", "division_code", "park_id")
_BUILDING_COLUMNS = (
    "id", "vacant_area_m2", "leasable_area_m2", "rent_yuan_m2_month", "sale_price_yuan_m2",
    "floor_load_kg_m2", "clear_height_m", "division_code", "park_id",
)  # fmt: skip


def _num(values: Sequence[Any]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def _columns(rows: list[tuple], width: int) -> list[tuple]:
    return list(zip(*rows, strict=True)) if rows else [()] * width


def load_candidates(needs: Needs) -> Candidates:
    parts: list[dict[str, Any]] = []
    with_geometry = bool(needs.amenities)
    if "parcels" in needs.carriers:
        q = Q(supply_status__in=list(needs.supply_status))
        if needs.land_use:
            q &= Q(land_use__in=list(needs.land_use))
        rows = queries.carrier_candidates(LAYERS["parcels"], q, _PARCEL_COLUMNS, with_geometry)
        cols = _columns(rows, len(_PARCEL_COLUMNS) + with_geometry)
        n = len(rows)
        parts.append(
            {
                "layer": ["parcels"] * n,
                "id": cols[0],
                "area_m2": _num(cols[1]),
                "price_wan_per_mu": _num(cols[2]),
                "rent": _num(cols[3]),
                "sale_price": np.full(n, np.nan),
                "floor_load": np.full(n, np.nan),
                "clear_height": np.full(n, np.nan),
                "division_code": cols[4],
                "park_id": cols[5],
                "wkb": cols[6] if with_geometry else (),
            }
        )
    if "buildings" in needs.carriers:
        q = Q(supply_status__in=list(needs.supply_status))
        if needs.building_kind:
            q &= Q(kind__in=list(needs.building_kind))
        rows = queries.carrier_candidates(LAYERS["buildings"], q, _BUILDING_COLUMNS, with_geometry)
        cols = _columns(rows, len(_BUILDING_COLUMNS) + with_geometry)
        n = len(rows)
        vacant, leasable = _num(cols[1]), _num(cols[2])
        parts.append(
            {
                "layer": ["buildings"] * n,
                "id": cols[0],
                "area_m2": np.where(np.isnan(vacant), leasable, vacant),
                "price_wan_per_mu": np.full(n, np.nan),
                "rent": _num(cols[3]),
                "sale_price": _num(cols[4]),
                "floor_load": _num(cols[5]),
                "clear_height": _num(cols[6]),
                "division_code": cols[7],
                "park_id": cols[8],
                "wkb": cols[9] if with_geometry else (),
            }
        )

    def join(name: str, dtype: Any = object) -> np.ndarray:
        arrays = [np.asarray(p[name], dtype=dtype) for p in parts]
        return np.concatenate(arrays) if arrays else np.empty(0, dtype=dtype)

    park_id = join("park_id")
    industries = queries.park_industries() if needs.industry else {}
    geom = None
    if with_geometry:
        wkb = join("wkb")
        geom = shapely.from_wkb(wkb) if len(wkb) else np.empty(0, dtype=object)
    return Candidates(
        layer=join("layer"),
        id=join("id", np.int64),
        area_m2=join("area_m2", float),
        price_wan_per_mu=join("price_wan_per_mu", float),
        rent=join("rent", float),
        sale_price=join("sale_price", float),
        floor_load=join("floor_load", float),
        clear_height=join("clear_height", float),
        division_code=join("division_code"),
        park_id=park_id,
        industries=[industries.get(k) or [] for k in park_id] if industries else [],
        geom=geom,
    )


# --- criteria -----------------------------------------------------------------------------------


@dataclass
class Criterion:
    """One criterion evaluated for every candidate at once."""

    name: str
    weight: float
    satisfaction: np.ndarray  # 0..1
    status: np.ndarray  # MET / PARTIAL / MISSED / UNKNOWN / NOT_APPLICABLE
    actual: np.ndarray  # the carrier's value (float, nan when unknown)
    wanted: Any
    unit: str
    extra: list[dict[str, Any]] | None = None  # per-candidate details (price unit)
    amenities: list[tuple] | None = None  # amenity criteria: (id, category, name, lon, lat)
    nearest: np.ndarray | None = None  # amenity criteria: index into ``amenities``, -1 if none in reach
    label: str = ""
    reach: float = 0.0


def _linear(shortfall: np.ndarray, tolerance: float) -> tuple[np.ndarray, np.ndarray]:
    """Satisfaction and status from a relative shortfall (≤ 0 means met)."""
    s = np.clip(1 - np.maximum(shortfall, 0) / tolerance, 0, 1)
    status = np.where(shortfall <= 0, MET, np.where(s > 0, PARTIAL, MISSED)).astype(object)
    return np.where(shortfall <= 0, 1.0, s), status


def _with_unknown(s, status, actual, applicable=None):
    unknown = np.isnan(actual)
    s = np.where(unknown, 0.0, s)
    status = np.where(unknown, UNKNOWN, status).astype(object)
    if applicable is not None:
        status = np.where(applicable, status, NOT_APPLICABLE).astype(object)
        s = np.where(applicable, s, 0.0)
    return np.nan_to_num(s), status


def area_criterion(c: Candidates, needs: Needs) -> Criterion | None:
    low, high = needs.area_min_m2, needs.area_max_m2
    if low is None and high is None:
        return None
    a = c.area_m2
    with np.errstate(invalid="ignore", divide="ignore"):
        below = (low - a) / low if low else np.full(len(c), -1.0)
        above = (a - high) / high if high else np.full(len(c), -1.0)
    s, status = _linear(np.fmax(below, above), TOLERANCE["area"])
    s, status = _with_unknown(s, status, a)
    return Criterion("area", needs.weights["area"], s, status, a, [low, high], "m2")


def price_criterion(c: Candidates, needs: Needs) -> Criterion | None:
    limits = [
        (needs.max_price_wan_per_mu, c.price_wan_per_mu, "wan_yuan_per_mu"),
        (needs.max_rent_yuan_m2_month, c.rent, "yuan_per_m2_month"),
        (needs.max_sale_price_yuan_m2, c.sale_price, "yuan_per_m2"),
    ]
    limits = [entry for entry in limits if entry[0] is not None]
    if not limits:
        return None
    n = len(c)
    best_s = np.full(n, np.nan)
    best_status = np.full(n, UNKNOWN, dtype=object)
    best_actual = np.full(n, np.nan)
    best_unit = np.full(n, limits[0][2], dtype=object)
    for limit, values, unit in limits:
        with np.errstate(invalid="ignore", divide="ignore"):
            shortfall = (values - limit) / limit if limit > 0 else np.where(values > 0, np.inf, -1.0)
        s, status = _linear(shortfall, TOLERANCE["price"])
        better = ~np.isnan(values) & (np.isnan(best_s) | (s > best_s))
        best_s = np.where(better, s, best_s)
        best_status = np.where(better, status, best_status)
        best_actual = np.where(better, values, best_actual)
        best_unit = np.where(better, unit, best_unit)
    wanted = {unit: limit for limit, _v, unit in limits}
    crit = Criterion(
        "price", needs.weights["price"], np.nan_to_num(best_s), best_status, best_actual, wanted, ""
    )
    crit.extra = [{"unit": u} for u in best_unit]
    return crit


def minimum_criterion(c: Candidates, needs: Needs, name: str, values: np.ndarray, minimum, unit: str):
    if minimum is None:
        return None
    with np.errstate(invalid="ignore", divide="ignore"):
        shortfall = (minimum - values) / minimum if minimum > 0 else np.full(len(c), -1.0)
    s, status = _linear(shortfall, TOLERANCE[name])
    s, status = _with_unknown(s, status, values, applicable=c.layer == "buildings")
    return Criterion(name, needs.weights[name], s, status, values, minimum, unit)


def district_criterion(c: Candidates, needs: Needs) -> Criterion | None:
    if not needs.districts:
        return None
    prefixes = tuple(d.prefix for d in needs.districts)
    inside = np.array([code.startswith(prefixes) for code in c.division_code], dtype=bool)
    status = np.where(inside, MET, MISSED).astype(object)
    wanted = [{"code": d.code, "name": d.name} for d in needs.districts]
    return Criterion(
        "district",
        needs.weights["district"],
        inside.astype(float),
        status,
        np.full(len(c), np.nan),
        wanted,
        "",
    )


def industry_criterion(c: Candidates, needs: Needs) -> Criterion | None:
    if not needs.industry:
        return None
    code = needs.industry.code
    has = np.array([code in industries for industries in c.industries], dtype=bool)
    status = np.where(has, MET, MISSED).astype(object)
    wanted = {"code": code, "name": needs.industry.name, "name_en": needs.industry.name_en}
    return Criterion(
        "industry", needs.weights["industry"], has.astype(float), status, np.full(len(c), np.nan), wanted, ""
    )


@lru_cache(maxsize=64)
def _projection(lon0: float) -> Transformer:
    """Lon/lat to metres in a transverse Mercator whose meridian runs through the carriers."""
    return Transformer.from_crs(
        "EPSG:4326",
        f"+proj=tmerc +lat_0=0 +lon_0={lon0:.1f} +k=1 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs",
        always_xy=True,
    )


def _project(geoms: np.ndarray, transformer: Transformer) -> np.ndarray:
    def fn(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, fn)


class Footprints:
    """Carrier footprints in metres, for "distance to the nearest amenity" over many carriers.

    Exact and fast: the amenity nearest to a footprint's centre (a point query) bounds the search,
    because the nearest amenity to the footprint lies within ``d_centre + r`` of the centre, ``r``
    being the footprint's largest vertex distance from its centre. Only those few candidates are
    measured against the footprint itself.
    """

    def __init__(self, geoms: np.ndarray) -> None:
        self.geoms = geoms
        self.centres = shapely.centroid(geoms)
        xy, owner = shapely.get_coordinates(geoms, return_index=True)
        centre_xy = shapely.get_coordinates(self.centres)
        self.radius = np.zeros(len(geoms))
        np.maximum.at(self.radius, owner, np.hypot(*(xy - centre_xy[owner]).T))

    def nearest(self, spots: np.ndarray, reach: float) -> tuple[np.ndarray, np.ndarray]:
        """Distance (nan beyond ``reach``) and index into ``spots`` of each footprint's nearest."""
        n = len(self.geoms)
        distance, nearest = np.full(n, np.nan), np.full(n, -1)
        if len(spots) == 0 or n == 0:
            return distance, nearest
        tree = shapely.STRtree(spots)
        slack = float(self.radius.max())
        (src, _dst), centre_d = tree.query_nearest(
            self.centres, max_distance=reach + slack, return_distance=True, all_matches=False
        )
        search = np.minimum(centre_d + self.radius[src], reach + self.radius[src])
        pair_src, pair_spot = tree.query(self.centres[src], predicate="dwithin", distance=search)
        owners = src[pair_src]
        metres = shapely.distance(self.geoms[owners], spots[pair_spot])
        keep = metres <= reach
        owners, pair_spot, metres = owners[keep], pair_spot[keep], metres[keep]
        by_far = np.argsort(-metres, kind="stable")  # the nearest is written last and wins
        distance[owners[by_far]] = metres[by_far]
        nearest[owners[by_far]] = pair_spot[by_far]
        return distance, nearest


def amenity_criteria(c: Candidates, needs: Needs) -> list[Criterion]:
    """One criterion per required amenity category: the distance from each carrier's footprint to
    the nearest public amenity of that category. The search stops at twice the wanted distance,
    where the satisfaction reaches 0 (so the score is exact); beyond it the reason says so."""
    if not needs.amenities or len(c) == 0:
        return []
    points = queries.amenity_points(sorted({a.category for a in needs.amenities}))
    lon0 = float(np.round(np.mean(shapely.get_coordinates(c.geom)[:, 0]), 1))
    transformer = _projection(lon0)
    carriers = _project(c.geom, transformer)
    footprints = Footprints(carriers)
    labels = dict(AmenityCategory.choices)
    out = []
    for need in needs.amenities:
        mine = [p for p in points if p[1] == need.category]
        reach = need.max_distance_m * (1 + TOLERANCE["amenity"])
        xs, ys = transformer.transform([p[3] for p in mine], [p[4] for p in mine]) if mine else ([], [])
        distance, nearest = footprints.nearest(shapely.points(xs, ys) if mine else np.empty(0), reach)
        with np.errstate(invalid="ignore"):
            shortfall = (distance - need.max_distance_m) / need.max_distance_m
        s, status = _linear(shortfall, TOLERANCE["amenity"])
        s, status = _with_unknown(s, status, distance)
        status = np.where(np.isnan(distance), MISSED, status).astype(object)
        crit = Criterion(
            f"amenity:{need.category}", need.weight, s, status, distance, need.max_distance_m, "m"
        )
        crit.amenities = mine
        crit.nearest = nearest
        crit.label = str(labels.get(need.category, need.category))
        crit.reach = reach
        out.append(crit)
    return out


def criteria(c: Candidates, needs: Needs) -> list[Criterion]:
    found = [
        area_criterion(c, needs),
        price_criterion(c, needs),
        minimum_criterion(c, needs, "floor_load", c.floor_load, needs.min_floor_load_kg_m2, "kg_per_m2"),
        minimum_criterion(c, needs, "clear_height", c.clear_height, needs.min_clear_height_m, "m"),
        district_criterion(c, needs),
        industry_criterion(c, needs),
        *amenity_criteria(c, needs),
    ]
    return [crit for crit in found if crit is not None]


# --- ranking ---------------------------------------------------------------------------------


@dataclass
class Ranking:
    candidates: Candidates
    criteria: list[Criterion]
    order: np.ndarray  # indices of the candidates that meet every hard constraint, best first
    score: np.ndarray  # 0..100 per candidate
    hard: tuple[str, ...] = ()  # the hard constraints applied (those the request gave)
    excluded: dict[str, int] = field(default_factory=dict)  # set aside by each, in HARD order
    tied: np.ndarray = field(default_factory=lambda: np.empty(0, int))  # per candidate: same score

    def __len__(self) -> int:
        return len(self.order)


def _tie_keys(c: Candidates, needs: Needs, crits: list[Criterion]) -> list[np.ndarray]:
    """The keys that order equal scores (``TIE_BREAKS``): land before buildings, the lower price
    (the price criterion's, else the carrier's own), the area nearer the middle of the range."""
    n = len(c)
    layer_rank = np.array([CARRIERS.index(v) for v in c.layer], dtype=int)
    price = next((crit.actual for crit in crits if crit.name == "price"), None)
    if price is None:
        price = np.where(c.layer == "parcels", c.price_wan_per_mu, c.rent)
    low, high = needs.area_min_m2, needs.area_max_m2
    if low is not None or high is not None:
        middle = ((low or 0) + high) / 2 if high is not None else low
        area_fit = np.abs(c.area_m2 - middle) / max(middle or 1.0, 1.0)
    else:
        area_fit = np.zeros(n)
    last = np.inf  # an unknown price or area orders after every known one
    return [layer_rank, np.nan_to_num(price, nan=last), np.nan_to_num(area_fit, nan=last), c.id]


def rank(needs: Needs) -> Ranking:
    c = load_candidates(needs)
    crits = criteria(c, needs)
    n = len(c)
    keep = np.ones(n, dtype=bool)
    excluded = {}
    hard = [crit for name in HARD for crit in crits if crit.name == name and name in needs.hard]
    for crit in hard:
        met = crit.status == MET
        excluded[crit.name] = int((keep & ~met).sum())
        keep &= met
    points = np.zeros(n)
    total = np.zeros(n)
    for crit in crits:
        if crit in hard:
            continue
        applies = crit.status != NOT_APPLICABLE
        points += np.where(applies, crit.weight * crit.satisfaction, 0.0)
        total += np.where(applies, crit.weight, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(total > 0, 100 * points / total, 100.0)
    score = np.round(score, 1)
    if n:
        layer_rank, price, area_fit, ids = _tie_keys(c, needs, crits)
        ranked = np.lexsort((ids, area_fit, price, layer_rank, -score))
        order = ranked[keep[ranked]]
        values, counts = np.unique(score[order], return_counts=True)
        tied = np.zeros(n, dtype=int)
        tied[order] = counts[np.searchsorted(values, score[order])] - 1
    else:
        order, tied = np.empty(0, int), np.empty(0, int)
    return Ranking(c, crits, order, score, tuple(crit.name for crit in hard), excluded, tied)


def reasons(ranking: Ranking, i: int) -> list[dict[str, Any]]:
    """Why candidate ``i`` scored what it did: one entry per criterion."""
    c = ranking.candidates
    out = []
    for crit in ranking.criteria:
        status = crit.status[i]
        actual = crit.actual[i]
        entry: dict[str, Any] = {
            "criterion": crit.name,
            "status": status,
            "weight": crit.weight,
            "satisfaction": round(float(crit.satisfaction[i]), 3),
            "points": 0.0
            if status == NOT_APPLICABLE
            else round(float(crit.weight * crit.satisfaction[i]), 3),
            "wanted": crit.wanted,
            "actual": None if np.isnan(actual) else round(float(actual), 2),
            "unit": crit.unit,
            "hard": crit.name in ranking.hard,
        }
        if crit.name == "price":
            entry["unit"] = crit.extra[i]["unit"]
            entry["wanted"] = crit.wanted.get(entry["unit"])
        if crit.amenities is not None:
            entry["category_label"] = crit.label
            j = int(crit.nearest[i])
            if j >= 0:
                entry["amenity_id"], entry["amenity_name"] = crit.amenities[j][0], crit.amenities[j][2]
        entry["by"] = _by_how_much(crit, entry)
        if crit.name == "area" and entry["actual"] is not None:
            entry["actual_mu"] = round(entry["actual"] / MU_M2, 2)
        entry["message"] = _message(crit, entry, c, i)
        out.append(entry)
    return out


def _by_how_much(crit: Criterion, entry: dict[str, Any]) -> float | None:
    """Signed margin in the criterion's unit: positive = to spare, negative = short."""
    actual, wanted = entry["actual"], entry["wanted"]
    if actual is None or wanted is None:
        return None
    if crit.name == "area":
        low, high = wanted
        if low is not None and actual < low:
            return round(actual - low, 2)
        if high is not None and actual > high:
            return round(high - actual, 2)
        margins = [
            m
            for m in (
                (actual - low) if low is not None else None,
                (high - actual) if high is not None else None,
            )
            if m is not None
        ]
        return round(min(margins), 2)
    if crit.name in {"floor_load", "clear_height"}:
        return round(actual - wanted, 2)
    return round(wanted - actual, 2)  # price and amenity distance: below the maximum is good


def _message(crit: Criterion, e: dict[str, Any], c: Candidates, i: int) -> str:
    status, actual, by = e["status"], e["actual"], e["by"]
    if status == NOT_APPLICABLE:
        return f"{crit.name} does not apply to {c.layer[i]}"
    if crit.name == "area":
        low, high = e["wanted"]
        span = (
            f"{_fmt_area(low)}–{_fmt_area(high)}"
            if low and high
            else (f"≥ {_fmt_area(low)}" if low else f"≤ {_fmt_area(high)}")
        )
        if actual is None:
            return "area not published"
        return f"area {_fmt_area(actual)} {'within' if status == MET else 'outside'} {span}"
    if crit.name == "price":
        if actual is None:
            return "no comparable price published"
        word = "within" if status == MET else "above"
        return f"price {actual:g} {e['unit']} {word} the maximum {e['wanted']:g} ({by:+g})"
    if crit.name in {"floor_load", "clear_height"}:
        if actual is None:
            return f"{crit.name} not published"
        word = "meets" if status == MET else "below"
        return f"{crit.name} {actual:g} {crit.unit} {word} the minimum {e['wanted']:g} ({by:+g})"
    if crit.name == "district":
        names = ", ".join(d["name"] for d in e["wanted"])
        return f"in {names}" if status == MET else f"not in {names}"
    if crit.name == "industry":
        return (
            f"park's leading industries include {e['wanted']['name_en']}"
            if status == MET
            else f"not in a park leading in {e['wanted']['name_en']}"
        )
    label = e.get("category_label", crit.name)
    if actual is None:
        return f"no {label} within {crit.reach / 1000:g} km (wanted within {e['wanted'] / 1000:g} km)"
    word = "within" if status == MET else "beyond"
    return (
        f"nearest {label} {e.get('amenity_name', '')} at {actual / 1000:.2f} km, "
        f"{word} {e['wanted'] / 1000:g} km"
    )


def _fmt_area(m2: float | None) -> str:
    if m2 is None:
        return "?"
    return f"{m2:,.0f} m² ({m2 / MU_M2:,.1f} mu)"
