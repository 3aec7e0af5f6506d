"""Server-side latency of the spatial functions, against their SQL floor and an in-memory peer.

    DEMO_SCALE=1 make run      # the demo city at scale 1 (about 200,000 parcels)
    .venv/bin/python scripts/bench/spatial.py [--runs 200] [--seed 7]

Measured in one run, on the same inputs, interleaved (one call of each variant per round, so a
noisy neighbour slows all of them alike):
- ours:     the Django WSGI handler called in-process with a real request (every middleware,
            authentication, DRF, the view, JSON rendering): server-side time without the socket;
- function: the spatial.queries function alone (no HTTP stack), to show where the time goes;
- floor:    the bare SQL in PostGIS, from a plain psycopg connection (prepared after 5 runs, the
            fastest a client can do), building the same answer (GeoJSON built in SQL where ours
            returns GeoJSON);
- peer:     what a Python developer would write in memory with shapely/geopandas (layers loaded
            once, spatial index built once; load time reported separately, not in the per-call time).
Prints one JSON document. Needs the dev database (DATABASE_URL) with the demo city loaded.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from common import Wsgi, report, setup_django

LOCAL_TM = "+proj=tmerc +lat_0=0 +lon_0=112.0 +k=1 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered), 3),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 3),
        "min_ms": round(ordered[0], 3),
        "runs": len(ordered),
    }


def interleaved(variants: dict[str, Callable[[int], Any]], runs: int, warmup: int = 5) -> dict[str, dict]:
    """Run each variant once per round, ``runs`` rounds; milliseconds per call."""
    for i in range(warmup):
        for fn in variants.values():
            fn(i)
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for i in range(runs):
        for name, fn in variants.items():
            started = time.perf_counter()
            fn(i)
            samples[name].append((time.perf_counter() - started) * 1000)
    return {name: summary(values) for name, values in samples.items()}


def ratios(stats: dict[str, dict], ours: str = "ours") -> dict[str, float]:
    out = {}
    for name in stats:
        if name != ours:
            out[f"ours_vs_{name}"] = round(stats[ours]["p50_ms"] / stats[name]["p50_ms"], 2)
    return out


def main() -> None:  # noqa: PLR0915 - one benchmark after another, in order
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200, help="rounds for the fast functions")
    parser.add_argument("--slow-runs", type=int, default=20, help="rounds for roll-up and match")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    setup_django()

    import geopandas
    import numpy as np
    import pandas
    import psycopg
    import shapely
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.gis.geos import Point
    from django.db import connection
    from django.db.models import Q
    from django.test import Client
    from pyproj import Transformer

    from layers.registry import LAYERS
    from spatial import matching, queries

    def geos_point(x: float, y: float) -> Point:
        return Point(x, y, srid=4326)

    rng = random.Random(args.seed)
    anonymous = AnonymousUser()
    db = connection.settings_dict
    floor_db = psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], password=db["PASSWORD"], dbname=db["NAME"],
        autocommit=True,
    )  # fmt: skip
    sqla = f"postgresql+psycopg://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"

    def floor_rows(sql: str, params: list) -> list:
        return floor_db.execute(sql, params).fetchall()

    counts = {}
    for table in ("division", "park", "landparcel", "building", "amenity", "gridcell"):
        counts[table] = floor_rows(f"SELECT count(*) FROM layers_{table}", [])[0][0]  # noqa: S608
    if counts["landparcel"] < 150_000:
        print(f"warning: {counts['landparcel']} parcels; the reference numbers are for scale 1 (~200,000)")

    # Points where something is: representative points of a fixed sample of public parcels.
    ids = [r[0] for r in floor_rows("SELECT id FROM layers_landparcel WHERE is_public ORDER BY id", [])]
    sample = sorted(rng.sample(ids, 500))
    points = floor_rows(
        "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM layers_landparcel "
        "WHERE id = ANY(%s) ORDER BY id) s",
        [sample],
    )
    wsgi = Wsgi()
    results: dict[str, Any] = {"rows": counts}

    # --- peer: the layers in memory, loaded once ----------------------------------------------
    from sqlalchemy import create_engine

    engine = create_engine(sqla)
    started = time.perf_counter()
    peer_layers = {
        "divisions": geopandas.read_postgis(
            "SELECT id, code, name, level, geom FROM layers_division WHERE is_public AND deleted_at IS NULL",
            engine,
            geom_col="geom",
        ),
        "parks": geopandas.read_postgis(
            "SELECT id, name, level, area_m2, geom FROM layers_park WHERE is_public AND deleted_at IS NULL",
            engine,
            geom_col="geom",
        ),
        "parcels": geopandas.read_postgis(
            "SELECT * FROM layers_landparcel WHERE is_public AND deleted_at IS NULL", engine, geom_col="geom"
        ),
        "buildings": geopandas.read_postgis(
            "SELECT id, name, kind, supply_status, geom FROM layers_building "
            "WHERE is_public AND deleted_at IS NULL AND ST_Dimension(geom) = 2",
            engine,
            geom_col="geom",
        ),
        "amenities": geopandas.read_postgis(
            "SELECT * FROM layers_amenity WHERE is_public AND deleted_at IS NULL", engine, geom_col="geom"
        ),
    }
    for frame in peer_layers.values():
        frame.sindex  # noqa: B018 - build the index now, not in the first timed call
    peer_load_s = round(time.perf_counter() - started, 2)
    level_rank = {"city": 0, "county": 1, "town": 2, "village": 3}

    # --- locate -----------------------------------------------------------------------------
    locate_sql, _ = queries.locate_statement(anonymous, 0.0, 0.0)
    per_point = locate_sql.count("ST_MakePoint")

    def locate_ours(i: int) -> None:
        x, y = points[i % len(points)]
        wsgi("GET", "/api/spatial/locate", f"lon={x}&lat={y}")

    def locate_function(i: int) -> None:
        x, y = points[i % len(points)]
        queries.locate(anonymous, x, y)

    def locate_floor(i: int) -> None:
        x, y = points[i % len(points)]
        floor_rows(locate_sql, [x, y] * per_point)

    def locate_peer(i: int) -> dict:
        x, y = points[i % len(points)]
        where = shapely.Point(x, y)
        out: dict[str, Any] = {}
        for name, frame in peer_layers.items():
            if name == "amenities":
                continue
            hits = frame.iloc[frame.sindex.query(where, predicate="intersects")]
            if name == "divisions":
                out[name] = sorted(
                    hits[["id", "code", "name", "level"]].to_dict("records"),
                    key=lambda d: level_rank[d["level"]],
                )
            elif len(hits):
                first = hits.sort_values("area_m2").iloc[0] if "area_m2" in hits else hits.iloc[0]
                out[name] = {k: first[k] for k in ("id", "name") if k in first}
        return out

    stats = interleaved(
        {"ours": locate_ours, "function": locate_function, "floor": locate_floor, "peer": locate_peer},
        args.runs,
    )
    results["locate"] = {
        **stats,
        **ratios(stats),
        "function_vs_floor": round(stats["function"]["p50_ms"] / stats["floor"]["p50_ms"], 2),
        "targets": "p50 <= 5 ms and <= 1.3x the SQL floor",
    }

    # --- nearby: the 10 nearest amenities within 10 km ---------------------------------------
    amenities = LAYERS["amenities"]
    where_sql, where_params = queries.visible_where(anonymous, amenities)
    nearby_floor_sql = f"""
        SELECT json_build_object('type', 'FeatureCollection',
                                 'features', coalesce(json_agg(f ORDER BY d), '[]'))
        FROM (
          SELECT d, json_build_object('type', 'Feature', 'id', id, 'geometry', ST_AsGeoJSON(geom, 7)::json,
                 'properties', to_jsonb(a) - 'geom'
                               || jsonb_build_object('distance_m', round(d::numeric, 2))) f
          FROM (
            SELECT k.*, ST_Distance(k.geom::geography, ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography) d
            FROM (SELECT * FROM layers_amenity WHERE {where_sql}
                  ORDER BY geom <-> ST_SetSRID(ST_MakePoint(%s, %s), 4326) LIMIT 30) k
          ) a WHERE d <= 10000 ORDER BY d LIMIT 10
        ) rows
    """  # noqa: S608 - the WHERE is our compiled permission filter; values are parameters
    to_metres = Transformer.from_crs(
        "EPSG:4326", "+proj=tmerc +lon_0=112.0 +ellps=WGS84 +units=m", always_xy=True
    )
    peer_amenities_m = geopandas.GeoSeries(
        shapely.points(*to_metres.transform(*shapely.get_coordinates(peer_layers["amenities"].geometry).T)),
        index=peer_layers["amenities"].index,
        crs=LOCAL_TM,
    )

    def nearby_ours(i: int) -> None:
        x, y = points[i % len(points)]
        wsgi("GET", "/api/spatial/nearby", f"layer=amenities&lon={x}&lat={y}&radius=10000&limit=10")

    def nearby_function(i: int) -> None:
        x, y = points[i % len(points)]
        queries.nearby(anonymous, amenities, geos_point(x, y), 10_000, 10)

    def nearby_floor(i: int) -> None:
        x, y = points[i % len(points)]
        floor_rows(nearby_floor_sql, [x, y, *where_params, x, y])

    def nearby_peer(i: int) -> str:
        x, y = points[i % len(points)]
        origin = shapely.Point(*to_metres.transform(x, y))
        distance = peer_amenities_m.distance(origin)
        nearest = distance[distance <= 10_000].nsmallest(10)
        rows = peer_layers["amenities"].loc[nearest.index].assign(distance_m=nearest.round(2).values)
        return rows.to_json(default=str)

    stats = interleaved(
        {"ours": nearby_ours, "function": nearby_function, "floor": nearby_floor, "peer": nearby_peer},
        args.runs,
    )
    results["nearby"] = {**stats, **ratios(stats), "targets": "p50 <= 10 ms"}

    # --- query: a circle holding about 500 public parcels -------------------------------------
    parcels = LAYERS["parcels"]
    cx, cy = points[len(points) // 2]
    low, high = 50.0, 20_000.0
    for _ in range(25):
        radius = (low + high) / 2
        [(hits,)] = floor_rows(
            "SELECT count(*) FROM layers_landparcel WHERE is_public AND deleted_at IS NULL AND "
            "ST_DWithin(geom::geography, ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography, %s)",
            [cx, cy, radius],
        )
        if abs(hits - 500) <= 10:
            break
        low, high = (radius, high) if hits < 500 else (low, radius)
    body = f'{{"layer": "parcels", "shape": "circle", "center": [{cx}, {cy}], "radius": {radius}}}'.encode()
    envelope = queries.expanded_envelope(geos_point(cx, cy), radius)
    pwhere, pparams = queries.visible_where(anonymous, parcels)
    query_floor_sql = f"""
        SELECT json_build_object('type', 'FeatureCollection', 'count', count(*) OVER (),
               'features', coalesce(json_agg(f ORDER BY id), '[]'))
        FROM (
          SELECT id, json_build_object('type', 'Feature', 'id', id, 'geometry', ST_AsGeoJSON(geom, 7)::json,
                 'properties', to_jsonb(layers_landparcel) - 'geom') f
          FROM layers_landparcel
          WHERE {pwhere} AND geom && ST_GeomFromEWKB(%s)
            AND ST_DWithin(geom::geography, ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography, %s)
          ORDER BY id LIMIT 1000
        ) rows
    """  # noqa: S608
    peer_parcels = peer_layers["parcels"]
    peer_parcels_m = geopandas.GeoSeries(
        shapely.transform(
            peer_parcels.geometry.values,
            lambda c: np.column_stack(to_metres.transform(c[:, 0], c[:, 1])),
        ),
        crs=LOCAL_TM,
    )
    peer_parcels_m.sindex  # noqa: B018

    def query_ours(i: int) -> None:
        wsgi("POST", "/api/spatial/query", "page_size=1000", body)

    def query_function(i: int) -> None:
        qs = queries.visible(anonymous, parcels).filter(queries.within_metres(geos_point(cx, cy), radius))
        list(qs.filter(Q()).order_by("id")[:1000])

    def query_floor(i: int) -> None:
        floor_rows(query_floor_sql, [*pparams, bytes(envelope.ewkb), cx, cy, radius])

    def query_peer(i: int) -> str:
        origin = shapely.Point(*to_metres.transform(cx, cy))
        idx = peer_parcels_m.sindex.query(origin, predicate="dwithin", distance=radius)
        return peer_parcels.iloc[np.sort(idx)].to_json(default=str)

    stats = interleaved(
        {"ours": query_ours, "function": query_function, "floor": query_floor, "peer": query_peer},
        max(20, args.runs // 5),
    )
    _code, first = wsgi("POST", "/api/spatial/query", "page_size=1000", body)
    results["query_circle"] = {
        "radius_m": round(radius, 1),
        "features": json.loads(first)["count"],
        **stats,
        **ratios(stats),
    }

    # --- roll-up: every parcel (city officer: the whole city) by county -----------------------
    officer = get_user_model().objects.filter(username="city").first()
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(officer)
    officer_wsgi = Wsgi(cookie=f"sessionid={client.cookies['sessionid'].value}")
    rwhere, rparams = queries.visible_where(officer, parcels)
    rollup_floor_sql = f"""
        SELECT d.code, d.name, coalesce(g.n, 0), coalesce(g.area, 0)
        FROM layers_division d LEFT JOIN (
          SELECT left(division_code, 6) AS prefix, count(*) AS n, sum(area_m2) AS area
          FROM layers_landparcel WHERE {rwhere} GROUP BY 1
        ) g ON g.prefix = left(d.code, 6)
        WHERE d.level = 'county' ORDER BY d.code
    """  # noqa: S608
    all_parcels = pandas.read_sql(
        "SELECT division_code, area_m2 FROM layers_landparcel WHERE deleted_at IS NULL", engine
    )
    names = pandas.read_sql("SELECT code, name FROM layers_division WHERE level = 'county'", engine)
    names["prefix"] = names.code.str[:6]

    def rollup_ours(i: int) -> None:
        officer_wsgi("GET", "/api/spatial/rollup", "layer=parcels&level=county")

    def rollup_function(i: int) -> None:
        queries.rollup(officer, parcels, "county", None, Q(), [])

    def rollup_floor(i: int) -> None:
        floor_rows(rollup_floor_sql, rparams)

    def rollup_peer(i: int) -> list:
        grouped = all_parcels.groupby(all_parcels.division_code.str[:6]).area_m2.agg(["count", "sum"])
        return names.merge(grouped, left_on="prefix", right_index=True, how="left").to_dict("records")

    stats = interleaved(
        {"ours": rollup_ours, "function": rollup_function, "floor": rollup_floor, "peer": rollup_peer},
        args.slow_runs,
        warmup=2,
    )
    results["rollup_parcels_by_county"] = {
        "parcels": counts["landparcel"],
        **stats,
        **ratios(stats),
        "targets": "<= 200 ms",
    }

    # --- site matching -----------------------------------------------------------------------
    county = floor_rows("SELECT code FROM layers_division WHERE level = 'county' ORDER BY code LIMIT 1", [])[
        0
    ][0]
    typical = json.dumps(
        {
            "carrier": "parcels",
            "land_use": ["industrial"],
            "area_min": 20,
            "area_max": 80,
            "area_unit": "mu",
            "max_price_wan_per_mu": 30,
            "districts": [county],
            "amenities": [
                {"category": "highway_exit", "max_distance_m": 5000},
                {"category": "hospital", "max_distance_m": 3000},
            ],
        }
    ).encode()
    factories = json.dumps(
        {
            "carrier": "buildings",
            "building_kind": ["standard_factory", "warehouse"],
            "area_min": 2000,
            "min_floor_load_kg_m2": 1000,
            "min_clear_height_m": 8,
            "max_rent_yuan_m2_month": 20,
            "amenities": [{"category": "highway_exit", "max_distance_m": 10000}],
        }
    ).encode()
    broad = json.dumps(
        {
            "area_min": 5000,
            "amenities": [
                {"category": "highway_exit", "max_distance_m": 5000},
                {"category": "hospital", "max_distance_m": 3000},
            ],
        }
    ).encode()
    stats = interleaved(
        {
            "industrial_land": lambda i: wsgi("POST", "/api/spatial/match", "", typical),
            "factories": lambda i: wsgi("POST", "/api/spatial/match", "", factories),
            "everything_available": lambda i: wsgi("POST", "/api/spatial/match", "", broad),
        },
        args.slow_runs,
        warmup=2,
    )
    candidates = {
        name: json.loads(wsgi("POST", "/api/spatial/match", "", payload)[1])["count"]
        for name, payload in (
            ("industrial_land", typical),
            ("factories", factories),
            ("everything_available", broad),
        )
    }
    results["match"] = {**stats, "candidates": candidates, "targets": "<= 300 ms"}
    results["peer_load_seconds"] = peer_load_s
    results["notes"] = (
        "ours = full Django stack in-process (WSGI handler, no socket); function = spatial.queries alone; "
        "floor = the same answer in bare SQL over psycopg (prepared); peer = shapely/geopandas in memory. "
        f"matching weights: {matching.DEFAULT_WEIGHTS}"
    )
    report("spatial", results)


if __name__ == "__main__":
    main()
