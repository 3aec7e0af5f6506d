"""The base map under the investment map, when one is configured (``BASEMAP_TILES`` or
``TIANDITU_KEY``; none by default, so nothing is downloaded at run time and the map draws the city
from its own layers).

- ``BASEMAP_TILES``: a self-hosted raster (XYZ URL templates), e.g. one rendered from OpenStreetMap
  data inside the government network, with ``BASEMAP_ATTRIBUTION``;
- ``TIANDITU_KEY``: 天地图, the national map service, in Web Mercator: its vector map (``vec_w``) and
  its labels, Chinese (``cva_w``) or English (``eva_w``) by the reader's language.

The style gets the raster sources and layers beneath everything else; the Content-Security-Policy
gets their origins (``origins``), or the browser would refuse the tiles.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

TIANDITU = (
    "https://t{n}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}"
    "&TILECOL={{x}}&tk={key}"
)
TIANDITU_ATTRIBUTION = "© 天地图 / National Platform for Common Geospatial Information Services"


def _tianditu(layer: str) -> list[str]:
    return [TIANDITU.format(n=n, layer=layer, key=settings.TIANDITU_KEY) for n in range(8)]


def rasters(lang: str) -> list[tuple[str, list[str], str]]:
    """The base map's raster sources, bottom first: (id, tile URL templates, attribution)."""
    if settings.BASEMAP_TILES:
        return [("basemap", list(settings.BASEMAP_TILES), settings.BASEMAP_ATTRIBUTION)]
    if settings.TIANDITU_KEY:
        labels = "eva" if lang == "en" else "cva"
        return [
            ("basemap", _tianditu("vec"), TIANDITU_ATTRIBUTION),
            ("basemap-labels", _tianditu(labels), TIANDITU_ATTRIBUTION),
        ]
    return []


def style_parts(lang: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The sources and layers the style adds for the base map (both empty when there is none)."""
    sources: dict[str, Any] = {}
    layers: list[dict[str, Any]] = []
    for name, tiles, attribution in rasters(lang):
        sources[name] = {"type": "raster", "tiles": tiles, "tileSize": 256, "attribution": attribution}
        layers.append({"id": name, "type": "raster", "source": name, "paint": {"raster-opacity": 0.85}})
    return sources, layers


def origins() -> list[str]:
    """Where the base map's tiles come from, for the Content-Security-Policy."""
    found = {f"{p.scheme}://{p.netloc}" for _n, tiles, _a in rasters("zh") for p in map(urlsplit, tiles)}
    return sorted(found)
