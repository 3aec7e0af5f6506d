"""KML placemarks as GeoJSON-like features, read through defusedxml (never through GDAL's parser).

KML coordinates are always WGS 84 lon,lat[,alt]. Names, descriptions and ExtendedData become
properties; the first geometry of a placemark (Point, LineString, Polygon, MultiGeometry) is kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _

from .xmlsafe import iterparse, local

GEOMETRIES = {"Point", "LineString", "LinearRing", "Polygon", "MultiGeometry"}


def _coords(text: str | None) -> list[list[float]]:
    out = []
    for token in (text or "").split():
        parts = token.split(",")
        if len(parts) < 2:
            raise ValueError(_("KML coordinate %(token)r is not lon,lat") % {"token": token[:40]})
        out.append([float(parts[0]), float(parts[1])])
    return out


def _child(element: Any, name: str) -> Any:
    for child in element:
        if local(child.tag) == name:
            return child
    return None


def _find(element: Any, name: str) -> Any:
    for child in element.iter():
        if local(child.tag) == name:
            return child
    return None


def _ring(element: Any) -> list[list[float]]:
    ring = _find(element, "coordinates")
    return _coords(ring.text if ring is not None else "")


def _geometry(element: Any) -> dict[str, Any]:
    kind = local(element.tag)
    if kind == "Point":
        coords = _coords(
            _child(element, "coordinates").text if _child(element, "coordinates") is not None else ""
        )
        if not coords:
            raise ValueError(_("KML Point has no coordinates"))
        return {"type": "Point", "coordinates": coords[0]}
    if kind in ("LineString", "LinearRing"):
        return {"type": "LineString", "coordinates": _ring(element)}
    if kind == "Polygon":
        outer = _child(element, "outerBoundaryIs")
        if outer is None:
            raise ValueError(_("KML Polygon has no outerBoundaryIs"))
        rings = [_ring(outer)]
        rings += [_ring(inner) for inner in element if local(inner.tag) == "innerBoundaryIs"]
        return {"type": "Polygon", "coordinates": rings}
    parts = [_geometry(child) for child in element if local(child.tag) in GEOMETRIES]
    types = {p["type"] for p in parts}
    if len(types) == 1:
        single = types.pop()
        return {"type": f"Multi{single}", "coordinates": [p["coordinates"] for p in parts]}
    return {"type": "GeometryCollection", "geometries": parts}


def _properties(placemark: Any) -> dict[str, Any]:
    props: dict[str, Any] = {}
    for name in ("name", "description"):
        child = _child(placemark, name)
        if child is not None and child.text:
            props[name] = child.text.strip()
    extended = _child(placemark, "ExtendedData")
    if extended is not None:
        for item in extended.iter():
            tag = local(item.tag)
            if tag == "Data" and item.get("name"):
                value = _child(item, "value")
                props[item.get("name")] = value.text if value is not None else None
            elif tag == "SimpleData" and item.get("name"):
                props[item.get("name")] = item.text
    return props


def placemarks(source: str | Path | IO[bytes]) -> Iterator[tuple[dict[str, Any] | None, dict[str, Any], str]]:
    """(geometry or None, properties, error) for every Placemark, in document order."""
    for _event, element in iterparse(source, events=("end",)):
        if local(element.tag) != "Placemark":
            continue
        props = _properties(element)
        geometry, error = None, ""
        node = next((c for c in element.iter() if local(c.tag) in GEOMETRIES and c is not element), None)
        if node is None:
            error = _("the placemark has no geometry")
        else:
            try:
                geometry = _geometry(node)
            except ValueError as exc:
                error = str(exc)
        element.clear()
        yield geometry, props, error
