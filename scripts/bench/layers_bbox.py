"""p50 latency of a bbox query returning about 1,000 parcels (issue: spatial layers).

    make run   # with DEMO_SCALE=1 for the reference numbers
    .venv/bin/python scripts/bench/layers_bbox.py [--url http://127.0.0.1:8000] [--runs 50]

Measured in one run, on the same bbox:
- ours:  GET /api/parcels/?bbox=…&page_size=1000 through the server `make run` started;
- floor: the bare PostGIS query that builds the same GeoJSON FeatureCollection in SQL;
- peer:  geopandas.read_postgis of the same rows, then GeoDataFrame.to_json().
It also reports the database size and the row counts of the demo city.
"""

from __future__ import annotations

import argparse
import urllib.request

from common import ratio, report, setup_django, summary, timed

FLOOR_SQL = """
SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(f), '[]'))::text
FROM (
  SELECT json_build_object('type', 'Feature', 'id', id, 'geometry', ST_AsGeoJSON(geom, 7)::json,
                           'properties', to_jsonb(p) - 'geom') AS f
  FROM layers_landparcel p
  WHERE deleted_at IS NULL AND is_public AND geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)
    AND ST_Intersects(geom, ST_MakeEnvelope(%s, %s, %s, %s, 4326))
  ORDER BY id LIMIT 1000
) rows
"""


def find_bbox(cursor, target: int = 1000) -> tuple[float, float, float, float]:
    """A square around the densest public parcels that holds about ``target`` of them."""
    cursor.execute(
        "SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_PointOnSurface(geom) c FROM layers_landparcel "
        "WHERE is_public AND deleted_at IS NULL ORDER BY id "
        "LIMIT 1 OFFSET (SELECT count(*) / 2 FROM layers_landparcel)) s"
    )
    x, y = cursor.fetchone()
    low, high = 0.0005, 0.5
    for _ in range(30):
        half = (low + high) / 2
        box = (x - half, y - half, x + half, y + half)
        cursor.execute(
            "SELECT count(*) FROM layers_landparcel WHERE deleted_at IS NULL AND is_public "
            "AND ST_Intersects(geom, ST_MakeEnvelope(%s, %s, %s, %s, 4326))",
            box,
        )
        count = cursor.fetchone()[0]
        if abs(count - target) <= target * 0.03:
            break
        low, high = (half, high) if count < target else (low, half)
    return box


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    setup_django()

    import geopandas
    from django.db import connection

    with connection.cursor() as cursor:
        box = find_bbox(cursor)
        cursor.execute(
            "SELECT count(*) FROM layers_landparcel WHERE deleted_at IS NULL AND is_public "
            "AND ST_Intersects(geom, ST_MakeEnvelope(%s, %s, %s, %s, 4326))",
            box,
        )
        hits = cursor.fetchone()[0]
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        size = cursor.fetchone()[0]
        counts = {}
        for table in (
            "division",
            "park",
            "landparcel",
            "building",
            "amenity",
            "gridcell",
            "fieldpoint",
            "patroltrack",
            "projectsite",
        ):
            cursor.execute(f"SELECT count(*) FROM layers_{table}")  # noqa: S608 - fixed table names
            counts[table] = cursor.fetchone()[0]

    url = f"{args.url}/api/parcels/?bbox={','.join(f'{v:.6f}' for v in box)}&page_size=1000"
    first = urllib.request.urlopen(url).read()
    ours = summary(timed(lambda: urllib.request.urlopen(url).read(), args.runs))

    def floor() -> None:
        with connection.cursor() as cursor:
            cursor.execute(FLOOR_SQL, [*box, *box])
            cursor.fetchone()

    floor_stats = summary(timed(floor, args.runs))

    engine_url = connection.settings_dict
    from sqlalchemy import create_engine

    engine = create_engine(
        f"postgresql+psycopg://{engine_url['USER']}:{engine_url['PASSWORD']}@{engine_url['HOST']}:"
        f"{engine_url['PORT']}/{engine_url['NAME']}"
    )
    peer_sql = (
        "SELECT * FROM layers_landparcel WHERE deleted_at IS NULL AND is_public "
        "AND ST_Intersects(geom, ST_MakeEnvelope(%s, %s, %s, %s, 4326)) ORDER BY id LIMIT 1000"
    )

    def peer() -> None:
        frame = geopandas.read_postgis(peer_sql, engine, geom_col="geom", params=box)
        frame.to_json(default=str)

    peer_stats = summary(timed(peer, max(10, args.runs // 5)))
    report(
        "layers_bbox",
        {
            "bbox": box,
            "features_in_bbox": hits,
            "response_bytes": len(first),
            "ours_api": ours,
            "floor_postgis_geojson": floor_stats,
            "peer_geopandas_read_postgis_to_json": peer_stats,
            "ratio_vs_floor": ratio(ours, floor_stats),
            "ratio_vs_peer": ratio(ours, peer_stats),
            "database_size": size,
            "rows": counts,
        },
    )


if __name__ == "__main__":
    main()
