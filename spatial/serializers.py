"""Request and response serializers of /api/spatial/: they validate types and document the API.

Range and meaning checks that need more than a type (a latitude, a radius, a shape, a filter) live
in ``spatial.shapes`` so that every endpoint words them the same way.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from industries.models import Industry
from layers.models import AmenityCategory, BuildingKind, LandUse, SupplyStatus
from layers.registry import LAYERS

from . import matching, shapes
from .models import CheckKind, Finding, OverlayCheck, Verdict
from .queries import ROLLUP_LEVELS

LAYER_NAMES = list(LAYERS)
CRS_HELP = "EPSG:4326 (default), EPSG:4490, EPSG:3857, EPSG:4491–4554 (CGCS2000 Gauss-Krüger), gcj02 or bd09."


# --- common shapes of output -----------------------------------------------------------------


class LonLatSerializer(serializers.Serializer):
    lon = serializers.FloatField(help_text="Longitude (EPSG:4326).")
    lat = serializers.FloatField(help_text="Latitude (EPSG:4326).")


class FeatureCollectionSerializer(serializers.Serializer):
    """A page of GeoJSON features (RFC 7946)."""

    type = serializers.CharField(default="FeatureCollection")
    count = serializers.IntegerField(help_text="All matching features, over every page.")
    next = serializers.URLField(allow_null=True, help_text="The next page (same method and body).")
    previous = serializers.URLField(allow_null=True)
    features = serializers.ListField(child=serializers.DictField(), help_text="GeoJSON Features.")


# --- locate --------------------------------------------------------------------------------------


class LocateParams(serializers.Serializer):
    lon = serializers.FloatField(help_text="Longitude (or easting in a projected crs).")
    lat = serializers.FloatField(help_text="Latitude (or northing in a projected crs).")
    crs = serializers.CharField(required=False, help_text="CRS of lon/lat: " + CRS_HELP)


class DivisionRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField(help_text="12-digit division code.")
    name = serializers.CharField()
    level = serializers.ChoiceField(choices=["city", "county", "town", "village"])


class LocateResponseSerializer(serializers.Serializer):
    point = LonLatSerializer(help_text="The point in EPSG:4326.")
    divisions = DivisionRefSerializer(many=True, help_text="City > county > town > village containing it.")
    park = serializers.DictField(allow_null=True, help_text="{id, name, level} of the smallest park.")
    parcel = serializers.DictField(
        allow_null=True, help_text="{id, code, name, land_use, supply_status, area_m2, area_mu}."
    )
    building = serializers.DictField(
        allow_null=True, help_text="{id, name, kind, supply_status} (footprints)."
    )
    grid_cell = serializers.DictField(
        allow_null=True, help_text="{id, code, name, parent} (sub-cell first); staff only."
    )


# --- shapes: judge and query -------------------------------------------------------------------


class ShapeFieldsSerializer(serializers.Serializer):
    shape = serializers.ChoiceField(choices=shapes.SHAPES, help_text="Which of the fields below describe it.")
    center = serializers.JSONField(required=False, help_text="circle: [lon, lat].")
    radius = serializers.FloatField(
        required=False, help_text=f"circle: metres, 0 < radius ≤ {int(shapes.MAX_RADIUS_M)} (geodesic)."
    )
    bbox = serializers.JSONField(required=False, help_text="rectangle: [min_lon, min_lat, max_lon, max_lat].")
    geometry = serializers.JSONField(
        required=False, help_text="polygon: a GeoJSON Polygon/MultiPolygon; buffer: a LineString."
    )
    distance = serializers.FloatField(
        required=False, help_text=f"buffer: metres either side of the line, ≤ {int(shapes.MAX_BUFFER_M)}."
    )
    division = serializers.CharField(required=False, help_text="division: 12-digit code.")
    crs = serializers.JSONField(required=False, help_text="CRS of every coordinate in the body: " + CRS_HELP)


class JudgeRequestSerializer(ShapeFieldsSerializer):
    lon = serializers.FloatField(help_text="The point to judge.")
    lat = serializers.FloatField()


class JudgeResponseSerializer(serializers.Serializer):
    inside = serializers.BooleanField(help_text="True when the point is inside the shape or on its edge.")
    distance_m = serializers.FloatField(help_text="Geodesic distance from the point to the shape; 0 inside.")
    center_distance_m = serializers.FloatField(
        required=False, help_text="circle: geodesic distance to the centre."
    )
    point = LonLatSerializer()
    shape = serializers.DictField(help_text="The shape as understood (EPSG:4326).")
    warnings = serializers.ListField(child=serializers.CharField(), required=False)


class QueryRequestSerializer(ShapeFieldsSerializer):
    layer = serializers.ChoiceField(choices=LAYER_NAMES, help_text="The layer to query.")
    filters = serializers.DictField(
        required=False,
        help_text='Attribute filters as in the layer API: {"land_use": "industrial", "area_m2__gte": 10000, '
        '"kind__in": ["office", "incubator"]}.',
    )
    ordering = serializers.CharField(
        required=False, help_text="Comma-separated filter fields, '-' descending."
    )


class QueryResponseSerializer(FeatureCollectionSerializer):
    layer = serializers.CharField()
    shape = serializers.DictField(help_text="The shape as understood (EPSG:4326).")
    warnings = serializers.ListField(child=serializers.CharField(), required=False)


# --- nearby --------------------------------------------------------------------------------------


class NearbyParams(serializers.Serializer):
    layer = serializers.ChoiceField(choices=LAYER_NAMES)
    lon = serializers.FloatField(required=False, help_text="The origin (or give feature).")
    lat = serializers.FloatField(required=False)
    feature = serializers.CharField(required=False, help_text="Origin as layer:id, e.g. parcels:42.")
    radius = serializers.FloatField(
        required=False, default=5000, help_text=f"Metres, 0 < radius ≤ {int(shapes.MAX_RADIUS_M)}."
    )
    limit = serializers.IntegerField(required=False, default=10, min_value=1, max_value=200)
    crs = serializers.CharField(required=False, help_text="CRS of lon/lat: " + CRS_HELP)
    out_crs = serializers.CharField(required=False, help_text="CRS of the output: EPSG:4326, 4490 or 3857.")
    division = serializers.CharField(required=False, help_text="Only features in this division.")


class NearbyResponseSerializer(serializers.Serializer):
    type = serializers.CharField(default="FeatureCollection")
    layer = serializers.CharField()
    origin = serializers.DictField(help_text="The origin point or feature reference.")
    radius_m = serializers.FloatField()
    limit = serializers.IntegerField()
    count = serializers.IntegerField(help_text="Features returned.")
    more = serializers.BooleanField(help_text="True if more features lie within the radius than returned.")
    features = serializers.ListField(
        child=serializers.DictField(), help_text="Nearest first; properties.distance_m is geodesic metres."
    )


# --- roll-ups ------------------------------------------------------------------------------------


class RollupParams(serializers.Serializer):
    layer = serializers.ChoiceField(choices=LAYER_NAMES)
    level = serializers.ChoiceField(choices=ROLLUP_LEVELS, help_text="city, county, town, village or grid.")
    division = serializers.CharField(required=False, help_text="Only rows inside this division.")
    sum = serializers.CharField(required=False, help_text="Comma-separated numeric fields to sum.")


class RollupRowSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.CharField()
    count = serializers.IntegerField()
    area_m2 = serializers.FloatField(required=False, help_text="Geodesic area (polygon layers).")
    area_mu = serializers.FloatField(required=False)
    sums = serializers.DictField(child=serializers.FloatField())


class RollupResponseSerializer(serializers.Serializer):
    layer = serializers.CharField()
    level = serializers.CharField()
    division = serializers.DictField(allow_null=True)
    sums = serializers.ListField(child=serializers.CharField())
    rows = RollupRowSerializer(many=True)
    unassigned = serializers.DictField(allow_null=True, help_text="Records in no listed division or cell.")
    total = serializers.DictField()


# --- overlay checks ------------------------------------------------------------------------------


class CheckCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CheckKind.choices)
    division = serializers.CharField(
        required=False, help_text="Check only inside this division (default: your whole area)."
    )
    min_area_m2 = serializers.FloatField(
        required=False,
        default=1.0,
        min_value=0,
        max_value=10_000,
        help_text="Ignore overlaps smaller than this.",
    )


class OverlayCheckSerializer(serializers.ModelSerializer):
    division = serializers.SerializerMethodField()
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    url = serializers.SerializerMethodField()
    findings_url = serializers.SerializerMethodField()
    verdicts = serializers.SerializerMethodField(help_text="Findings per verdict.")

    class Meta:
        model = OverlayCheck
        fields = [
            "id",
            "kind",
            "status",
            "progress",
            "division",
            "min_area_m2",
            "requested_by",
            "created_at",
            "started_at",
            "finished_at",
            "examined_count",
            "finding_count",
            "verdicts",
            "error",
            "url",
            "findings_url",
        ]
        read_only_fields = fields

    def get_division(self, check: OverlayCheck) -> dict:
        d = check.division
        return {"code": d.code, "name": d.name, "level": d.level}

    def get_url(self, check: OverlayCheck) -> str:
        return f"/api/spatial/checks/{check.pk}/"

    def get_findings_url(self, check: OverlayCheck) -> str:
        return f"/api/spatial/checks/{check.pk}/findings/"

    def get_verdicts(self, check: OverlayCheck) -> dict[str, int]:
        counts = getattr(check, "verdict_counts", None)
        if counts is None:
            counts = {}
            for verdict in check.findings.values_list("verdict", flat=True):
                counts[verdict] = counts.get(verdict, 0) + 1
        return {v: counts.get(v, 0) for v in Verdict.values}


class CheckDetailSerializer(OverlayCheckSerializer):
    findings = FeatureCollectionSerializer(read_only=True, help_text="The report, paged: ?page=&page_size=.")

    class Meta(OverlayCheckSerializer.Meta):
        fields = [*OverlayCheckSerializer.Meta.fields, "findings"]
        read_only_fields = fields


class FindingReviewSerializer(serializers.Serializer):
    verdict = serializers.ChoiceField(
        choices=Verdict.choices, help_text="verified (核实), false_positive (消除打点) or back to pending."
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class FindingPropertiesSerializer(serializers.ModelSerializer):
    check = serializers.IntegerField(source="check_run_id")
    reviewed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Finding
        fields = [
            "check",
            "overlap_area_m2",
            "subject_layer",
            "subject_id",
            "object_layer",
            "object_id",
            "division_code",
            "details",
            "verdict",
            "reviewed_by",
            "reviewed_at",
            "note",
        ]


# --- site matching -------------------------------------------------------------------------------


class AmenityNeedSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=AmenityCategory.choices)
    max_distance_m = serializers.FloatField(min_value=1, max_value=matching.MAX_AMENITY_DISTANCE_M)
    weight = serializers.FloatField(
        required=False, min_value=matching.WEIGHT_MIN, max_value=matching.WEIGHT_MAX
    )


class MatchRequestSerializer(serializers.Serializer):
    carrier = serializers.ChoiceField(
        choices=["any", *matching.CARRIERS], default="any", help_text="parcels, buildings or any."
    )
    area_min = serializers.FloatField(required=False, min_value=0)
    area_max = serializers.FloatField(required=False, min_value=0)
    area_unit = serializers.ChoiceField(choices=["m2", "mu"], default="m2", help_text="Unit of area_min/max.")
    land_use = serializers.ListField(
        child=serializers.ChoiceField(choices=LandUse.choices), required=False, help_text="Parcels: filter."
    )
    building_kind = serializers.ListField(
        child=serializers.ChoiceField(choices=BuildingKind.choices),
        required=False,
        help_text="Buildings: filter.",
    )
    supply_status = serializers.ListField(
        child=serializers.ChoiceField(choices=SupplyStatus.choices),
        required=False,
        help_text="Filter; default [available].",
    )
    max_price_wan_per_mu = serializers.FloatField(
        required=False, min_value=0, help_text="Land price, 万元/亩."
    )
    max_rent_yuan_m2_month = serializers.FloatField(required=False, min_value=0, help_text="Rent, 元/㎡·月.")
    max_sale_price_yuan_m2 = serializers.FloatField(
        required=False, min_value=0, help_text="Building sale price, 元/㎡."
    )
    min_floor_load_kg_m2 = serializers.FloatField(required=False, min_value=0, help_text="Factories.")
    min_clear_height_m = serializers.FloatField(required=False, min_value=0, help_text="Factories.")
    industry = serializers.CharField(
        required=False,
        max_length=40,
        help_text="A key industry's code (/api/industries/), matched against the codes of the park's "
        "leading industries, so a request ranks the same in either language.",
    )
    districts = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Preferred division codes."
    )
    amenities = AmenityNeedSerializer(many=True, required=False)
    hard = serializers.ListField(
        child=serializers.ChoiceField(choices=matching.HARD),
        required=False,
        help_text=f"The needs a carrier must meet to be listed (default all of {list(matching.HARD)}); "
        "the others given are weighted preferences. [] makes every need a preference.",
    )
    weights = serializers.DictField(
        child=serializers.FloatField(),
        required=False,
        help_text=f"Override default weights {matching.DEFAULT_WEIGHTS}; each between "
        f"{matching.WEIGHT_MIN} and {matching.WEIGHT_MAX}.",
    )

    def validate_industry(self, value: str) -> Industry:
        found = Industry.objects.filter(code=value).first()
        if found is None:
            raise serializers.ValidationError(
                _("没有产业代码“%(code)s”：请从 /api/industries/ 列出的重点产业中选择。") % {"code": value}
            )
        return found

    def validate_weights(self, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - set(matching.DEFAULT_WEIGHTS))
        if unknown:
            raise serializers.ValidationError(
                _("unknown criteria %(names)s; weights exist for: %(known)s.")
                % {"names": ", ".join(unknown), "known": ", ".join(matching.DEFAULT_WEIGHTS)}
            )
        for name, weight in value.items():
            if not matching.WEIGHT_MIN <= weight <= matching.WEIGHT_MAX:
                raise serializers.ValidationError(
                    _("weight of %(name)s must be between %(lo)s and %(hi)s.")
                    % {"name": name, "lo": matching.WEIGHT_MIN, "hi": matching.WEIGHT_MAX}
                )
        return value

    def validate(self, attrs):
        low, high = attrs.get("area_min"), attrs.get("area_max")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError({"area_max": [_("area_max must not be below area_min.")]})
        return attrs


class MatchResponseSerializer(FeatureCollectionSerializer):
    weights = serializers.DictField(child=serializers.FloatField(), help_text="The weights used.")
    criteria = serializers.ListField(child=serializers.CharField(), help_text="The criteria evaluated.")
    hard = serializers.ListField(child=serializers.CharField(), help_text="The hard constraints applied.")
    excluded = serializers.DictField(
        child=serializers.IntegerField(), help_text="Carriers set aside by each hard constraint, in order."
    )
    tie_breaks = serializers.ListField(child=serializers.CharField(), help_text="What orders equal scores.")
