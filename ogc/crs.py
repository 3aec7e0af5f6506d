"""CRS by reference (OGC API Features Part 2): the URIs clients send and the axis order they mean.

The platform's own names (``layers.crs``) say which systems exist; here they get their OGC URIs.
``http://www.opengis.net/def/crs/OGC/1.3/CRS84`` is longitude first, as GeoJSON is. The EPSG
URIs mean the authority's axis order, which for EPSG:4326 and EPSG:4490 is latitude first and
for the CGCS2000 Gauss-Krüger zones northing first; pyproj says which, so nothing is listed by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from django.utils.translation import gettext as _
from pyproj import CRS as ProjCRS

from layers.crs import CRS, GAUSS_KRUGER_EPSG, STORAGE_CRS, parse_crs

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/{code}"
_URI = re.compile(r"^\[?(?:https?://www\.opengis\.net/def/crs/EPSG/0/|EPSG:)([0-9]{4,5})\]?$", re.I)
_CRS84 = re.compile(r"^\[?(?:https?://www\.opengis\.net/def/crs/OGC/1\.3/CRS84|OGC:CRS84|CRS84)\]?$", re.I)

# Every CRS a collection answers in: CRS84 first (the default), then the EPSG systems.
SUPPORTED = (CRS84, *(EPSG_URI.format(code=c) for c in (4326, 4490, 3857, *GAUSS_KRUGER_EPSG)))


class OgcCRSError(ValueError):
    """A CRS URI this service does not offer; the message lists what it offers."""


@dataclass(frozen=True)
class OgcCRS:
    uri: str
    crs: CRS
    # Whether coordinates are written in the authority's order that puts north (latitude) first.
    north_first: bool


@cache
def _north_first(epsg: int) -> bool:
    axis = ProjCRS.from_epsg(epsg).axis_info
    return bool(axis) and axis[0].direction.lower() == "north"


def parse(value: str | None, name: str = "crs") -> OgcCRS:
    """The CRS a parameter or header names (CRS84 when absent)."""
    text = (value or "").strip().strip("<>")
    if not text or _CRS84.match(text):
        return OgcCRS(CRS84, STORAGE_CRS, north_first=False)
    match = _URI.match(text)
    if match:
        code = int(match.group(1))
        uri = EPSG_URI.format(code=code)
        if uri in SUPPORTED:
            return OgcCRS(uri, parse_crs(code), north_first=_north_first(code))
    raise OgcCRSError(
        _(
            "%(name)s %(value)s is not offered; use one of the URIs in the collection's crs list, "
            "such as %(example)s."
        )
        % {"name": name, "value": text[:100], "example": EPSG_URI.format(code=4490)}
    )
