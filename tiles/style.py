"""TileJSON documents and a MapLibre style that draws every public layer with no outside resources.

Its base map is the platform's own data: division and park names, roads, railways and rivers
(the ``transport`` layer), written with glyphs built into the static files (tiles.glyphs) and,
for Chinese, the browser's own font. No sprite: the symbols are circles and lines. Low-zoom
aggregates are drawn as circles whose size follows their ``count``; front ends label them with
their own HTML if they wish.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest
from django.utils import translation

from layers.models import Division

from . import basemap
from .cache import CACHE_DOWN, version_of, versions
from .config import SOURCE_MAXZOOM, TILE_LAYERS, TileLayer, division_level_for
from .glyphs import FONTSTACK, LOCAL_IDEOGRAPHS

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
    "transport": "#e8a33d",
}
# The base map's lines, bottom to top (rivers, railways, roads by class): colour, width at zoom 8
# and at zoom 14.
TRANSPORT_LINES = {
    "river": ("#8ab8e6", 1.4, 4),
    "waterway": ("#7aaee3", 3, 10),
    "air_route": ("#9aa5b8", 0.8, 1.2),
    "railway": ("#7d8594", 1.1, 2.5),
    "high_speed_rail": ("#5b6270", 1.4, 3),
    "county_road": ("#ffffff", 0.8, 3.5),
    "provincial_road": ("#f7dc9c", 1.2, 4.5),
    "national_road": ("#f2c46d", 1.6, 5.5),
    "expressway": ("#e8a33d", 2.2, 7),
}
HALO = {"text-halo-color": "#ffffff", "text-halo-width": 1.4}
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


def _width(narrow: float, wide: float) -> list[Any]:
    return ["interpolate", ["exponential", 1.6], ["zoom"], 8, narrow, 14, wide]


def _transport(base: dict[str, str]) -> list[dict[str, Any]]:
    """Rivers under railways under roads, each class its own colour and width; railways dashed."""
    out: list[dict[str, Any]] = []
    for kind, (colour, narrow, wide) in TRANSPORT_LINES.items():
        out.append(
            {
                "id": f"transport-{kind}",
                "type": "line",
                **base,
                "filter": ["==", ["get", "kind"], kind],
                "layout": {"line-join": "round", "line-cap": "round"},
                "paint": {"line-color": colour, "line-width": _width(narrow, wide)},
            }
        )
        if kind.endswith("rail") or kind == "railway":
            out.append(
                {
                    "id": f"transport-{kind}-ties",
                    "type": "line",
                    **base,
                    "minzoom": 10,
                    "filter": ["==", ["get", "kind"], kind],
                    "paint": {
                        "line-color": "#ffffff",
                        "line-width": _width(narrow * 0.5, wide * 0.5),
                        "line-dasharray": [2, 2],
                    },
                }
            )
    return out


def _name(lang: str) -> list[Any]:
    return ["coalesce", ["get", "name_en"], ["get", "name"]] if lang == "en" else ["get", "name"]


def _by_division_level(values: dict[str, Any]) -> list[Any]:
    """A ``step`` over the zoom that follows the division level the tiles show there
    (``division_level_for``), so a label's size changes where the boundaries do."""
    expr: list[Any] = ["step", ["zoom"], values[division_level_for(0)]]
    for z in range(1, SOURCE_MAXZOOM + 1):
        if division_level_for(z) != division_level_for(z - 1):
            expr += [z, values[division_level_for(z)]]
    return expr


def labels(layers: list[TileLayer], lang: str) -> list[dict[str, Any]]:
    """The base map's names: roads and rivers along their lines (a road by its number where it has
    one), divisions at their label points, sized by the level the zoom shows, parks from zoom 10."""
    font = {"text-font": [FONTSTACK]}
    names = {layer.name for layer in layers}
    out: list[dict[str, Any]] = []
    if "transport" in names:
        out.append(
            {
                "id": "transport-labels",
                "type": "symbol",
                "source": "transport",
                "source-layer": "transport",
                "minzoom": 9,
                "layout": {
                    **font,
                    "symbol-placement": "line",
                    "text-field": ["case", ["!=", ["get", "ref"], ""], ["get", "ref"], _name(lang)],
                    "text-size": 12,
                    "symbol-spacing": 400,
                },
                "paint": {"text-color": "#5a4a2f", **HALO},
            }
        )
    if "divisions" in names:
        sizes = {"county": 16, "town": 13, "village": 12}
        out.append(
            {
                "id": "divisions-labels",
                "type": "symbol",
                "source": "divisions",
                "source-layer": "divisions_labels",
                "layout": {
                    **font,
                    "text-field": _name(lang),
                    "text-size": _by_division_level(sizes),
                    "text-max-width": 8,
                    # Below the point: the pages put their count pills on the same label point.
                    "text-anchor": "top",
                    "text-offset": [0, 1.3],
                },
                "paint": {"text-color": "#3b4a63", **HALO},
            }
        )
    if "parks" in names:
        out.append(
            {
                "id": "parks-labels",
                "type": "symbol",
                "source": "parks",
                "source-layer": "parks_labels",
                "minzoom": 10,
                "layout": {**font, "text-field": _name(lang), "text-size": 12, "text-max-width": 9},
                "paint": {"text-color": "#1f6b43", **HALO},
            }
        )
    return out


def _draw(layer: TileLayer) -> list[dict[str, Any]]:
    name, colour = layer.name, COLOURS[layer.name]
    if name == "transport":
        return _transport({"source": name, "source-layer": name})
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
    order = [
        "divisions",
        "orthophotos",
        "transport",
        "parks",
        "parcels",
        "buildings",
        "amenities",
        "panoramas",
    ]
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
        "glyphs": request.build_absolute_uri(f"{settings.STATIC_URL}glyphs/") + "{fontstack}/{range}.pbf",
        "metadata": {"geoportal:localIdeographFontFamily": LOCAL_IDEOGRAPHS},
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
            *labels(public, lang),
        ],
    }
