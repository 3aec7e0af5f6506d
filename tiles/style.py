"""TileJSON documents and a MapLibre style that draws every public layer with no outside resources.

The style has no ``glyphs`` or ``sprite``: both would be downloads. Low-zoom aggregates are drawn as
circles whose size follows their ``count``; front ends label them with their own HTML if they wish.
"""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest
from django.utils import translation

from layers.models import Division

from . import basemap
from .cache import CACHE_DOWN, version_of, versions
from .config import SOURCE_MAXZOOM, TILE_LAYERS, TileLayer

FALLBACK_BOUNDS = [111.3, 22.3, 112.9, 23.4]  # Yunfu, when no division is loaded yet

COLOURS = {
    "divisions": "#5b6b84",
    "parks": "#2e8b57",
    "parcels": "#d98c3a",
    "buildings": "#7a5cc2",
    "amenities": "#1f78b4",
    "panoramas": "#e31a1c",
    "orthophotos": "#999999",
    "grid_cells": "#66a61e",
    "project_sites": "#e7298a",
    "enterprises": "#1b9e77",
    "places": "#d95f02",
    "field_points": "#ff7f00",
    "patrol_tracks": "#a6761d",
}
LAND_USE_COLOURS = {
    "industrial": "#c8815a",
    "warehouse": "#b39b6b",
    "commercial": "#e15759",
    "mixed": "#f1a340",
    "residential": "#f6d55c",
    "public": "#76b7b2",
    "agricultural": "#9bcf6b",
    "forest": "#3f8f4f",
    "water": "#6fa8dc",
}
# Project sites by stage, from the first talk to full output (the wall's map and funnel).
STAGE_COLOURS = {
    "lead": "#5eead4",
    "first_talk": "#2dd4bf",
    "negotiating": "#14b8a6",
    "review": "#0ea5e9",
    "signed": "#3b82f6",
    "started": "#6366f1",
    "construction": "#8b5cf6",
    "completed": "#a855f7",
    "production": "#d946ef",
    "target_output": "#f43f5e",
}

# Grid events by status, from the report to the end (the wall's event theme).
EVENT_STATUS_COLOURS = {
    "reported": "#f97316",
    "accepted": "#facc15",
    "dispatched": "#38bdf8",
    "handling": "#818cf8",
    "replied": "#a78bfa",
    "verified": "#34d399",
    "closed": "#64748b",
    "rejected": "#475569",
    "merged": "#334155",
}


def city_bounds() -> list[float]:
    def compute() -> list[float]:
        if not Division.objects.exists():
            return FALLBACK_BOUNDS
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                "(SELECT ST_Extent(geom) e FROM layers_division WHERE level = 'city') s"
            )
            row = cursor.fetchone()
        return [round(v, 5) for v in row] if row and row[0] is not None else FALLBACK_BOUNDS

    return cache.get_or_set("tiles:city-bounds", compute, timeout=600)


def tile_url(request: HttpRequest, names: str, version: str | None = None) -> str:
    """The tile URL template; with ``version`` (the layers' data version) the tiles it names are
    served immutable, so CDNs, nginx and browsers keep them until an edit changes the URL."""
    url = request.build_absolute_uri(f"/tiles/{names}/") + "{z}/{x}/{y}.mvt"
    return f"{url}?v={version}" if version else url


def _fields(layer: TileLayer) -> dict[str, str]:
    model = layer.spec.model
    out = {}
    for name in layer.properties:
        field = next(f for f in model._meta.concrete_fields if f.attname == name)
        internal = field.get_internal_type()
        out[name] = (
            "Number"
            if internal
            in {
                "FloatField",
                "DecimalField",
                "IntegerField",
                "PositiveIntegerField",
                "PositiveSmallIntegerField",
                "BigAutoField",
                "ForeignKey",
                "BigIntegerField",
            }
            else "String"
        )
    if layer.aggregate:
        out.update(count="Number", aggregated="Boolean")
    return out


def tilejson(
    request: HttpRequest, layers: list[TileLayer], bounds: list[float], version: str | None = None
) -> dict[str, Any]:
    names = ",".join(layer.name for layer in layers)
    return {
        "tilejson": "3.0.0",
        "name": names,
        "description": " + ".join(f"{lyr.spec.title_zh} {lyr.spec.title_en}" for lyr in layers),
        "scheme": "xyz",
        "tiles": [tile_url(request, names, version)],
        "minzoom": min(layer.minzoom for layer in layers),
        "maxzoom": max(min(layer.maxzoom, 22) for layer in layers),
        "bounds": bounds,
        "center": [round((bounds[0] + bounds[2]) / 2, 5), round((bounds[1] + bounds[3]) / 2, 5), 9],
        "vector_layers": [
            {
                "id": layer.name,
                "fields": _fields(layer),
                "minzoom": layer.minzoom,
                "maxzoom": 22,
                "description": layer.spec.title_zh,
            }
            for layer in layers
        ],
    }


def _draw(layer: TileLayer) -> list[dict[str, Any]]:
    name, colour = layer.name, COLOURS[layer.name]
    geometry = layer.spec.geometry_types
    base = {"source": name, "source-layer": name}
    out: list[dict[str, Any]] = []
    if layer.aggregate:
        out.append(
            {
                "id": f"{name}-aggregates",
                "type": "circle",
                **base,
                "maxzoom": layer.detail_minzoom,
                "filter": ["==", ["get", "aggregated"], True],
                "paint": {
                    "circle-color": colour,
                    "circle-opacity": 0.75,
                    "circle-stroke-color": "#ffffff",
                    "circle-stroke-width": 1,
                    "circle-radius": ["interpolate", ["linear"], ["sqrt", ["get", "count"]], 1, 6, 100, 30],
                },
            }
        )
    detail = {"minzoom": layer.detail_minzoom} if layer.detail_minzoom else {}
    if "Polygon" in geometry or "MultiPolygon" in geometry:
        by_use = [item for pair in LAND_USE_COLOURS.items() for item in pair]
        fill = ["match", ["get", "land_use"], *by_use, colour] if name == "parcels" else colour
        out.append(
            {
                "id": f"{name}-fill",
                "type": "fill",
                **base,
                **detail,
                "filter": ["in", ["geometry-type"], ["literal", ["Polygon", "MultiPolygon"]]],
                "paint": {"fill-color": fill, "fill-opacity": 0.05 if name == "divisions" else 0.45},
            }
        )
        out.append(
            {
                "id": f"{name}-line",
                "type": "line",
                **base,
                **detail,
                "filter": ["in", ["geometry-type"], ["literal", ["Polygon", "MultiPolygon"]]],
                "paint": {"line-color": colour, "line-width": 1.5 if name == "divisions" else 0.8},
            }
        )
    if "LineString" in geometry:
        out.append(
            {
                "id": f"{name}-line",
                "type": "line",
                **base,
                **detail,
                "paint": {"line-color": colour, "line-width": 2},
            }
        )
    if "Point" in geometry:
        out.append(
            {
                "id": f"{name}-points",
                "type": "circle",
                **base,
                **detail,
                "filter": ["all", ["==", ["geometry-type"], "Point"], ["!=", ["get", "aggregated"], True]],
                "paint": {
                    "circle-color": colour,
                    "circle-radius": 4,
                    "circle-stroke-color": "#ffffff",
                    "circle-stroke-width": 1,
                },
            }
        )
    return out


def maplibre_style(request: HttpRequest, bounds: list[float]) -> dict[str, Any]:
    """The investment map's style: a configured base map (tiles.basemap) at the bottom, then the
    public layers."""
    lang = "en" if (translation.get_language() or "").startswith("en") else "zh"
    base_sources, base_layers = basemap.style_parts(lang)
    public = [layer for layer in TILE_LAYERS.values() if layer.spec.public]
    order = ["divisions", "orthophotos", "parks", "parcels", "buildings", "amenities", "panoramas"]
    public.sort(key=lambda layer: order.index(layer.name) if layer.name in order else len(order))
    try:
        tokens: dict[str, str] = versions(layer.name for layer in public)
    except CACHE_DOWN:  # Redis down: unversioned URLs, which still work
        tokens = {}
    return {
        "version": 8,
        "name": "Geoportal",
        "center": [round((bounds[0] + bounds[2]) / 2, 5), round((bounds[1] + bounds[3]) / 2, 5)],
        "zoom": 9,
        "sources": {
            **base_sources,
            **{
                layer.name: {
                    "type": "vector",
                    "tiles": [
                        tile_url(request, layer.name, version_of([tokens[layer.name]]) if tokens else None)
                    ],
                    "minzoom": layer.minzoom,
                    "maxzoom": SOURCE_MAXZOOM,
                    "bounds": bounds,
                    "promoteId": "id",
                }
                for layer in public
            },
        },
        "layers": [
            {"id": "background", "type": "background", "paint": {"background-color": "#f4f1ea"}},
            *base_layers,
            *[drawn for layer in public for drawn in _draw(layer)],
        ],
    }
