"""GeoJSON Feature serializers, one per layer, built from the layer registry."""

from __future__ import annotations

import posixpath
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.validators import UniqueValidator
from rest_framework_gis.fields import GeometryField
from rest_framework_gis.serializers import GeoFeatureModelListSerializer, GeoFeatureModelSerializer

from layers.crs import STORAGE_CRS, CRSError, parse_crs
from layers.geometry import GeometryError, clean_geometry, to_geojson, to_geojson_many
from layers.registry import LayerSpec
from policy.privacy import mask_fields

# Never written by clients: derived on save, or kept by the platform. (Fields naming who acted, such
# as a field point's reporter, are the policy's: ``policy.predicates.actor_fields``.)
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
)


def media_name(value: Any) -> str:
    """A photo reference as the storage name of our own media, or ValidationError.

    Accepted: a storage name (``photos/p.jpg``) or the same under MEDIA_URL (``/media/photos/p.jpg``),
    kept as the storage name, which is what media access matches (``policy.media``). Refused: any
    other URL, scheme-relative ones (``//host/p.png``) included, since the public drawer would
    fetch it from the viewer's browser, and paths that climb out of the media folder.
    """
    if not isinstance(value, str) or not value.strip():
        raise serializers.ValidationError(_("each photo is the path of a file in our media library."))
    path = value.strip()
    media_url = settings.MEDIA_URL
    if path.startswith(media_url) and not path.startswith("//"):
        path = path[len(media_url) :]
    name = posixpath.normpath(path) if path else ""
    foreign = ":" in path.split("/", 1)[0] or path.startswith("/") or "\\" in path
    if foreign or name in ("", ".") or name.startswith("..") or "\x00" in name:
        raise serializers.ValidationError(
            _("%(value)s is not in our media library: give a path such as %(example)s.")
            % {"value": value[:100], "example": f"{media_url}photos/p.jpg"}
        )
    return name


class PhotosField(serializers.JSONField):
    """A list of photos, each in our own media (``media_name``)."""

    def to_internal_value(self, data: Any) -> list[str]:
        if not isinstance(data, list):
            raise serializers.ValidationError(_("photos is a list of paths in our media library."))
        return [media_name(item) for item in data]


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
        multi = self.spec.multi
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
        if isinstance(data, dict) and "properties" in data and not isinstance(data["properties"], dict):
            raise serializers.ValidationError(
                {"properties": [_('properties is an object of field values, such as {"name": "…"}.')]}
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
        mask_fields(
            self.context["request"].user,
            self.spec.personal_fields,
            props,
            about=(instance._meta.label_lower, instance.pk),
        )
        return feature

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # Unique values are checked by the view once the write is allowed, with an answer that does
        # not tell which records exist (``LayerViewSet._refuse_taken_values``), not here.
        for f in fields.values():
            f.validators = [v for v in f.validators if not isinstance(v, UniqueValidator)]
        return fields


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
                "read_only_fields": [n for n in names if n in READ_ONLY or n in spec.server_fields],
                "list_serializer_class": FeatureListSerializer,
            },
        ),
    }
    if "photos" in names:
        attrs["photos"] = PhotosField(required=False)
    for name, slug in spec.slug_fields:
        target = model._meta.get_field(name).related_model
        # Only active choices are offered to writers (a retired category stays readable).
        active = target._default_manager.filter(active=True) if hasattr(target, "active") else None
        attrs[name] = serializers.SlugRelatedField(
            slug_field=slug, queryset=active if active is not None else target._default_manager.all()
        )
    return type(f"{model.__name__}FeatureSerializer", (FeatureSerializer,), attrs)
