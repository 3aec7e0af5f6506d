"""Topology checks of an editor save, in PostGIS, in one statement (SPEC §8, issue 17).

What a save makes of a park's plots is checked as a group, against the live neighbours and the
park's working copy:

- **invalid** / **self_intersection** (error): the geometry is not valid; a crossing boundary is
  named as such, with the point where it crosses (``ST_IsValidDetail``);
- **outside_park** (error): part of the plot lies outside the park; the issue carries that part;
- **overlap** (warning): the plot overlaps a neighbour by more than
  ``settings.EDITING_OVERLAP_TOLERANCE_M2`` (geodesic m²); the issue carries the overlapping area.

The neighbours are the live records of the same layer, minus the records this save replaces
(``replaced_ids``: a shared boundary moved in two plots at once is not an overlap with their own old
shapes), with the park's pending items in their working shape instead of the live one (a pending
delete is no neighbour), plus the other plots of the same save. A neighbour is named by its code or
name only when the caller may read it, otherwise generically: a warning must not tell a park manager
about records outside their reach.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry
from django.db import connection
from django.utils.translation import gettext as _

from layers.models import Park
from layers.registry import LAYERS, LayerSpec
from policy.predicates import read_sql

# How far (degrees, about 10 cm) a plot may stray over the park's edge before it is "outside": the
# same allowance as a writer's scope (policy.scope.COVER_TOLERANCE), so a plot snapped to the park
# boundary and rounded to the API's 7 decimals passes.
OUTSIDE_TOLERANCE = 1e-6
# How far (degrees, about 1 cm) a saved vertex may be from a neighbour's or the park boundary's and
# still be that vertex: the browser sees coordinates rounded to the API's 7 decimals
# (layers.geometry.to_geojson), so a vertex snapped to a neighbour's comes back up to 5e-8° off it.
SNAP_TOLERANCE = 1e-7


def snap_to_neighbours(
    spec: LayerSpec | str, geom: GEOSGeometry, *, park: Any, exclude: Iterable[int] = ()
) -> GEOSGeometry:
    """``geom`` with every vertex within ``SNAP_TOLERANCE`` of a live neighbour's vertex (or edge)
    or of the park boundary moved onto it exactly (``ST_Snap``): what the editor snapped to in the
    browser becomes, to the last bit, the vertex the neighbour stores, so PostGIS finds neither a
    sliver gap nor a sliver overlap between them. ``exclude``: the records the save replaces."""
    spec = _spec(spec)
    table = spec.model._meta.db_table
    sql = f"""
        WITH input AS (SELECT ST_GeomFromEWKB(%s) AS geom),
        reference AS (
            SELECT n.geom FROM {table} n, input i
            WHERE n.deleted_at IS NULL AND n.geom && ST_Expand(i.geom, %s) AND NOT n.id = ANY(%s)
            UNION ALL
            SELECT ST_Boundary(p.geom) FROM {Park._meta.db_table} p WHERE p.id = %s
        )
        SELECT ST_AsEWKB(
            CASE WHEN ST_GeometryType(i.geom) LIKE 'ST_Multi%%' THEN ST_Multi(s.geom) ELSE s.geom END
        )
        FROM input i,
        LATERAL (
            SELECT COALESCE(ST_Snap(i.geom, (SELECT ST_Collect(geom) FROM reference), %s), i.geom) AS geom
        ) s
    """
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [_ewkb(geom), SNAP_TOLERANCE, list(exclude), getattr(park, "pk", None), SNAP_TOLERANCE],
        )
        snapped = GEOSGeometry(memoryview(bytes(cursor.fetchone()[0])))
    return snapped


def _spec(layer: LayerSpec | str) -> LayerSpec:
    return LAYERS[layer] if isinstance(layer, str) else layer


def _label_column(spec: LayerSpec) -> str:
    names = {f.name for f in spec.model._meta.concrete_fields}
    return "code" if "code" in names else "name"


def _ewkb(geom: GEOSGeometry) -> bytes:
    if not geom.srid:
        geom = GEOSGeometry(geom.wkb, srid=4326)
    return bytes(geom.ewkb)


def pending_neighbours(
    spec: LayerSpec, park: Any, *, skip_items: Iterable[int] = (), skip_records: Iterable[int] = ()
) -> tuple[list[tuple[int | None, str, GEOSGeometry]], set[int]]:
    """The park's pending items of the layer, except ``skip_items`` and those about
    ``skip_records``: (record id or None, label, working geometry) for those with a shape, and the
    record ids whose live shape they replace (pending deletes included)."""
    from .models import PENDING_STATES, ChangeItem

    items = (
        ChangeItem.objects.filter(changeset__park=park, changeset__state__in=PENDING_STATES, layer=spec.name)
        .exclude(pk__in=list(skip_items))
        .values_list("record_id", "after")
    )
    skip = set(skip_records)
    shapes: list[tuple[int | None, str, GEOSGeometry]] = []
    replaced: set[int] = set()
    for record_id, after in items:
        if record_id is not None:
            if record_id in skip:
                continue
            replaced.add(record_id)
        after = after or {}
        geometry = after.get("geometry")
        if not geometry:
            continue
        props = after.get("properties") or {}
        label = str(props.get("code") or props.get("name") or "")
        shapes.append((record_id, label, GEOSGeometry(json.dumps(geometry), srid=4326)))
    return shapes, replaced


def check_many(
    layer_spec_or_name: LayerSpec | str,
    items: Sequence[dict[str, Any]],
    *,
    park: Any,
    replaced_ids: Iterable[int] = (),
    user: Any = None,
    skip_items: Iterable[int] = (),
    include_pending: bool = True,
) -> list[dict[str, Any]]:
    """The topology issues of ``items`` (each ``{"index", "record": id|None, "geom": GEOSGeometry}``)
    as the contract's issue JSON (plus ``index``, the item's place in the save), errors first.

    ``replaced_ids``: the live records the save replaces (never neighbours). ``skip_items``: pending
    items the save itself rewrites (their stored shape is no neighbour either). ``user`` decides
    which neighbours are named (``policy.predicates.read_sql``); without one, none is.
    One SQL statement, whatever the number of items."""
    spec = _spec(layer_spec_or_name)
    items = [i for i in items if i.get("geom") is not None]
    if not items:
        return []
    replaced = set(replaced_ids)
    pending: list[tuple[int | None, str, GEOSGeometry]] = []
    if include_pending and park is not None:
        pending, held = pending_neighbours(spec, park, skip_items=skip_items, skip_records=replaced)
        replaced |= held
    table = connection.ops.quote_name(spec.model._meta.db_table)
    label = _label_column(spec)
    readable_params: list[Any]
    if user is None:
        readable, readable_params = "FALSE", []
    else:
        readable, readable_params = read_sql(user, spec, "t")
    tolerance = float(getattr(settings, "EDITING_OVERLAP_TOLERANCE_M2", 1.0))
    sql = f"""
        WITH items AS (
            SELECT u.n, u.rid, ST_GeomFromEWKB(u.w) AS g
            FROM unnest(%s::int[], %s::bigint[], %s::bytea[]) AS u(n, rid, w)
        ),
        checked AS (SELECT n, rid, g, ST_IsValid(g) AS ok, ST_Dimension(g) = 2 AS areal FROM items),
        park AS (SELECT geom FROM layers_park WHERE id = %s),
        pend AS (
            SELECT p.pid, p.plabel, ST_GeomFromEWKB(p.w) AS g
            FROM unnest(%s::bigint[], %s::text[], %s::bytea[]) AS p(pid, plabel, w)
        ),
        invalid AS (
            SELECT c.n, c.rid, (ST_IsValidDetail(c.g)).reason AS reason,
                   (ST_IsValidDetail(c.g)).location AS loc
            FROM checked c WHERE NOT c.ok
        ),
        outside AS (
            SELECT c.n, c.rid, ST_Difference(c.g, park.geom) AS part
            FROM checked c, park
            WHERE c.ok AND NOT ST_CoveredBy(c.g, ST_Buffer(park.geom, %s))
        ),
        neighbours AS (
            SELECT c.n, c.rid, c.g, t.id AS other, NULL::int AS other_n,
                   CASE WHEN {readable} THEN t.{label}::text END AS label, t.geom AS og
            FROM checked c JOIN {table} t ON t.geom && c.g AND ST_Intersects(t.geom, c.g)
            WHERE c.ok AND c.areal AND t.deleted_at IS NULL AND NOT (t.id = ANY(%s::bigint[]))
                  AND ST_Dimension(t.geom) = 2
            UNION ALL
            SELECT c.n, c.rid, c.g, p.pid, NULL, p.plabel, p.g
            FROM checked c JOIN pend p ON p.g && c.g AND ST_Intersects(p.g, c.g)
            WHERE c.ok AND c.areal AND ST_Dimension(p.g) = 2
            UNION ALL
            SELECT c.n, c.rid, c.g, d.rid, d.n, NULL, d.g
            FROM checked c JOIN checked d ON d.n < c.n AND d.g && c.g AND ST_Intersects(d.g, c.g)
            WHERE c.ok AND c.areal AND d.ok AND d.areal
        ),
        overlapping AS (
            SELECT n, rid, other, other_n, label, ST_CollectionExtract(ST_Intersection(g, og), 3) AS x
            FROM neighbours
        )
        SELECT 'invalid', n, rid, NULL::bigint, NULL::int, reason, NULL::float8, ST_AsGeoJSON(loc, 7)
        FROM invalid
        UNION ALL
        SELECT 'outside_park', n, rid, NULL, NULL, NULL, ST_Area(part::geography), ST_AsGeoJSON(part, 7)
        FROM outside
        UNION ALL
        SELECT 'overlap', n, rid, other, other_n, label, a, ST_AsGeoJSON(x, 7)
        FROM (SELECT *, ST_Area(x::geography) AS a FROM overlapping WHERE NOT ST_IsEmpty(x)) o
        WHERE a > %s
        ORDER BY 2, 1
    """
    params: list[Any] = [
        [i["index"] for i in items],
        [i.get("record") for i in items],
        [_ewkb(i["geom"]) for i in items],
        getattr(park, "pk", None),
        [p[0] for p in pending],
        [p[1] for p in pending],
        [_ewkb(p[2]) for p in pending],
        OUTSIDE_TOLERANCE,
        *readable_params,
        sorted(replaced),
        tolerance,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    park_name = getattr(park, "name", "")
    issues = [_issue(spec, row, tolerance, park_name) for row in rows]
    issues.sort(key=lambda i: (i["severity"] != "error", i["index"]))
    return issues


def _issue(spec: LayerSpec, row: tuple, tolerance: float, park_name: str) -> dict[str, Any]:
    kind, index, record, other, other_index, text, area, geometry = row
    issue: dict[str, Any] = {
        "kind": kind,
        "severity": "warning" if kind == "overlap" else "error",
        "layer": spec.name,
        "index": index,
        "record": record,
        "other": other,
        "other_label": "",
        "area_m2": round(area, 2) if area is not None else None,
        "geometry": json.loads(geometry) if geometry else None,
    }
    if kind == "overlap":
        if other_index is not None:
            label = _("本次保存的第%(n)s项") % {"n": other_index + 1}
        else:
            label = text or _("相邻图斑")
        issue["other_label"] = label
        issue["message"] = _(
            "与%(other)s重叠 %(area).1f ㎡，超过容差 %(tolerance)s ㎡。"
            "请沿相邻图斑的边界修改，或确认重叠无误后再保存。"
        ) % {"other": label, "area": area, "tolerance": tolerance}
    elif kind == "outside_park":
        issue["message"] = _(
            "有 %(area).1f ㎡ 超出园区“%(park)s”的范围：图斑必须完全位于园区内。"
            "请把越界部分移回园区边界以内。"
        ) % {"area": area or 0.0, "park": park_name}
    elif (text or "").lower().startswith(("self-intersection", "ring self-intersection")):
        issue["kind"] = "self_intersection"
        issue["message"] = _(
            "边界自相交（见地图上标出的位置）：请移动交叉处的节点使边界不再交叉，或把它拆分为多个多边形。"
        )
    else:
        issue["message"] = _("几何无效（%(reason)s）：请重新绘制这个图形。") % {"reason": text or "?"}
    return issue
