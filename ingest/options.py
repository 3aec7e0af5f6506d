"""The options a job accepts, per kind: validated, normalised and hashed for idempotency."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from layers.crs import CRSError, parse_crs

from .models import ImportMode
from .orthophoto import COMPRESSIONS


class CRSField(serializers.CharField):
    def to_internal_value(self, data: Any) -> str:
        try:
            return parse_crs(str(data)).key
        except CRSError as exc:
            raise serializers.ValidationError(str(exc)) from exc


class CommonOptions(serializers.Serializer):
    is_public = serializers.BooleanField(
        required=False, help_text="Publish the imported records (default: no)."
    )


class VectorOptions(CommonOptions):
    crs = CRSField(required=False, help_text="Source CRS; overrides what the file declares (e.g. gcj02).")
    mapping = serializers.DictField(
        child=serializers.CharField(),
        required=False,
        help_text='Target field -> source column, e.g. {"code": "DKBH"}.',
    )
    defaults = serializers.DictField(required=False, help_text="Values for fields the file lacks.")
    layer_name = serializers.CharField(
        required=False, help_text="The layer of a GeoPackage, or the Shapefile in a zip."
    )
    sheet = serializers.CharField(required=False, help_text="The worksheet of an XLSX (default: the first).")
    x_field = serializers.CharField(required=False, help_text="Longitude / x column of a CSV or XLSX.")
    y_field = serializers.CharField(required=False, help_text="Latitude / y column of a CSV or XLSX.")
    wkt_field = serializers.CharField(required=False, help_text="WKT geometry column of a CSV or XLSX.")
    encoding = serializers.ChoiceField(
        ["UTF-8", "GBK", "GB18030", "BIG5", "CP936", "ISO-8859-1"],
        required=False,
        help_text="Text encoding of a Shapefile without a .cpg file (Chinese Shapefiles are often GBK).",
    )
    mode = serializers.ChoiceField(
        list(ImportMode.values),
        required=False,
        help_text=(
            "insert (default): every feature is a new record, and a key that exists already is an error. "
            "upsert: features are matched to existing records by match_field; a match is updated, the "
            "rest created, and records that did not change are left alone."
        ),
    )
    match_field = serializers.CharField(
        required=False,
        help_text=(
            "upsert: the field that matches a feature to an existing record (default: the layer's unique "
            "key, e.g. code for parcels; buildings have none, so name one, e.g. name)."
        ),
    )


class GpsOptions(CommonOptions):
    crs = CRSField(required=False, help_text="Source CRS of the coordinates (GPX is WGS 84; gcj02, bd09...).")
    max_speed_kmh = serializers.FloatField(
        required=False,
        min_value=1,
        max_value=2000,
        help_text="A fix faster than this from the last good one is dropped (default 200).",
    )
    track_gap_minutes = serializers.FloatField(
        required=False,
        min_value=0.1,
        max_value=1440,
        help_text="NMEA/CSV: start a new track after a gap this long (default 30).",
    )
    category = serializers.CharField(
        required=False, help_text="Field-point category of waypoints (default: other)."
    )
    date = serializers.DateField(
        required=False, help_text="Date of an NMEA log that has GGA but no RMC/ZDA sentences."
    )
    time_field = serializers.CharField(required=False, help_text="Time column of a CSV.")
    track_field = serializers.CharField(required=False, help_text="Track id column of a CSV.")
    x_field = serializers.CharField(required=False, help_text="Longitude column of a CSV.")
    y_field = serializers.CharField(required=False, help_text="Latitude column of a CSV.")


class PanoramaOptions(CommonOptions):
    lon = serializers.FloatField(
        required=False, help_text="Position, when the photo has no EXIF GPS (or to correct it)."
    )
    lat = serializers.FloatField(
        required=False, help_text="Position, when the photo has no EXIF GPS (or to correct it)."
    )
    crs = CRSField(required=False, help_text="CRS of lon/lat (e.g. gcj02 if picked on an AMap map).")
    heading = serializers.FloatField(
        required=False,
        min_value=0,
        max_value=360,
        help_text="Compass heading of the image centre, in degrees.",
    )
    title = serializers.CharField(required=False, max_length=100)
    tolerance_m = serializers.FloatField(
        required=False,
        min_value=0,
        max_value=1000,
        help_text="Link to the nearest parcel/building within this many metres (default 50).",
    )
    captured_at = serializers.DateTimeField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("lon" in attrs) != ("lat" in attrs):
            raise serializers.ValidationError(
                {"lat" if "lon" in attrs else "lon": [_("give both lon and lat.")]}
            )
        return attrs


class OrthophotoOptions(CommonOptions):
    title = serializers.CharField(required=False, max_length=100)
    captured_on = serializers.DateField(
        required=False, help_text="Flight date (default: the TIFF's DateTime tag)."
    )
    compress = serializers.ChoiceField(
        list(COMPRESSIONS), required=False, help_text="COG compression (default deflate)."
    )


OPTIONS = {
    "vector": VectorOptions,
    "gps": GpsOptions,
    "panorama": PanoramaOptions,
    "orthophoto": OrthophotoOptions,
}


def validate_options(kind: str, raw: Any) -> dict[str, Any]:
    """Validated, JSON-ready options; unknown names are refused so a typo is not silently ignored."""
    if raw in (None, ""):
        raw = {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise serializers.ValidationError(
                {"options": [_("options must be a JSON object: %(e)s") % {"e": exc}]}
            ) from exc
    if not isinstance(raw, dict):
        raise serializers.ValidationError({"options": [_("options must be a JSON object.")]})
    serializer = OPTIONS[kind](data=raw)
    unknown = sorted(set(raw) - set(serializer.fields))
    if unknown:
        raise serializers.ValidationError(
            {
                "options": [
                    _("unknown option(s) %(names)s for a %(kind)s import; accepted: %(accepted)s.")
                    % {"names": ", ".join(unknown), "kind": kind, "accepted": ", ".join(serializer.fields)}
                ]
            }
        )
    if not serializer.is_valid():
        raise serializers.ValidationError({"options": [serializer.errors]})
    # Back through to_representation for JSON-friendly dates.
    data = dict(serializer.validated_data)
    return json.loads(json.dumps(data, default=str, sort_keys=True))


def options_hash(kind: str, options: dict[str, Any]) -> str:
    canonical = json.dumps(
        {"kind": kind, "options": options}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
