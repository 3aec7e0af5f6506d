"""GeoJSON Feature serializers, one per layer, built from the layer registry."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework_gis.fields import GeometryField
from rest_framework_gis.serializers import GeoFeatureModelListSerializer, GeoFeatureModelSerializer

from layers.crs import STORAGE_CRS, CRSError, parse_crs
from layers.geometry import GeometryError, clean_geometry, to_geojson, to_geojson_many
from layers.models import FieldPointCategory
from layers.registry import LayerSpec
from policy.predicates import may_see_personal_data

# Never written by clients: derived on save, or kept by the platform.
READ_ONLY = (
    "id",
    "division_code",
    "version",
    "created_at",
    "updated_at",
    "created_by",
    "updated_by",
    "area_m2",
    "area_mu",
    "length_m",
    "park",
    "grid_cell",
    "reporter",
)


def mask_phone(value: str) -> str:
    """138****5678: enough to recognise, not enough to call."""
    return value[:3] + "****" + value[-4:] if len(value) >= 7 else "****"


class LayerGeometryField(GeometryField):
    """GeoJSON geometry in and out, through layers.geometry (CRS, range checks, safe repair)."""

    def __init__(self, spec: LayerSpec, **kwargs: Any) -> None:
        self.spec = spec
        super().__init__(**kwargs)

    def to_representation(self, value):
        if value is None:
            return None
        done = self.context.get(PAGE_GEOMETRIES, {}).get(id(value))
        return done if done is not None else to_geojson(value, self.context.get("output_crs", STORAGE_CRS))

    def to_internal_value(self, value):
        multi = self.spec.geometry_field.geom_type == "MULTIPOLYGON"
        try:
            cleaned = clean_geometry(value, self.spec.geometry_types, self.context.get("input_crs"), multi)
        except GeometryError as exc:
            raise serializers.ValidationError(str(exc)) from exc
        self.context.setdefault("warnings", []).extend(cleaned.warnings)
        return cleaned.geom


# Context key: the GeoJSON of a page's geometries, converted together, by id() of the geometry.
PAGE_GEOMETRIES = "page_geometries"


class FeatureListSerializer(GeoFeatureModelListSerializer):
    """A FeatureCollection whose geometries are converted in one batch (layers.geometry)."""

    def to_representation(self, data):
        records = list(data.all() if hasattr(data, "all") else data)
        geoms = [record.geom for record in records]
        converted = to_geojson_many(geoms, self.context.get("output_crs", STORAGE_CRS))
        # Keyed by id(): the geometries stay alive in ``records`` until the page is written.
        self.context[PAGE_GEOMETRIES] = {id(g): c for g, c in zip(geoms, converted, strict=True)}
        try:
            return super().to_representation(records)
        finally:
            self.context.pop(PAGE_GEOMETRIES, None)


class FeatureSerializer(GeoFeatureModelSerializer):
    """Base for every layer's serializer; ``spec`` is set on the generated subclass."""

    spec: LayerSpec

    def to_internal_value(self, data):
        if isinstance(data, dict) and data.get("crs") is not None:
            crs = data["crs"]
            # Accept the GeoJSON-2008 named CRS object as well as a plain name.
            if isinstance(crs, dict):
                crs = (crs.get("properties") or {}).get("name")
            try:
                self.context["input_crs"] = parse_crs(crs)
            except CRSError as exc:
                raise serializers.ValidationError({"crs": [str(exc)]}) from exc
        if isinstance(data, dict) and data.get("type", "Feature") != "Feature":
            raise serializers.ValidationError(
                {"type": [_('send a GeoJSON Feature: {"type": "Feature", "geometry": …, "properties": …}')]}
            )
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            # Clients speak GeoJSON: the geometry is "geometry", not our column name.
            if isinstance(exc.detail, dict) and "geom" in exc.detail:
                exc.detail["geometry"] = exc.detail.pop("geom")
            raise

    def to_representation(self, instance):
        feature = super().to_representation(instance)
        props = feature["properties"]
        if getattr(instance, "area_m2", None) is not None and "area_mu" in props:
            props["area_mu"] = round(props["area_mu"], 2)
        if not may_see_personal_data(self.context["request"].user):
            for name in self.spec.personal_fields:
                if props.get(name):
                    props[name] = mask_phone(props[name])
        return feature


def build_serializer(spec: LayerSpec) -> type[FeatureSerializer]:
    model = spec.model
    names = [f.name for f in model._meta.concrete_fields if f.name not in {"geom", "deleted_at"}]
    attrs: dict[str, Any] = {
        "spec": spec,
        "geom": LayerGeometryField(spec),
        "Meta": type(
            "Meta",
            (),
            {
                "model": model,
                "geo_field": "geom",
                "id_field": "id",
                "fields": [*names, "geom"],
                "read_only_fields": [n for n in names if n in READ_ONLY],
                "list_serializer_class": FeatureListSerializer,
            },
        ),
    }
    if spec.name == "field_points":
        attrs["category"] = serializers.SlugRelatedField(
            slug_field="key", queryset=FieldPointCategory.objects.filter(active=True)
        )
    return type(f"{model.__name__}FeatureSerializer", (FeatureSerializer,), attrs)
