"""OpenAPI for our Feature serializers.

drf-spectacular's rest_framework_gis extension pops ``id`` from the properties, which a request
schema (split from the response) does not have because ``id`` is read-only. Requests carry no id.
"""

from drf_spectacular.contrib.rest_framework_gis import GeoFeatureModelSerializerExtension


class FeatureSerializerExtension(GeoFeatureModelSerializerExtension):
    target_class = "layers.api.serializers.FeatureSerializer"
    match_subclasses = True
    priority = 1

    def map_serializer(self, auto_schema, direction):
        base_schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        base_schema["properties"].setdefault("id", {"type": "integer", "readOnly": True})
        schema = self.map_geo_feature_model_serializer(self.target, base_schema)
        if direction == "request":
            schema["properties"].pop("id", None)
            schema["properties"]["crs"] = {
                "type": "string",
                "description": "CRS of the geometry: EPSG:4326 (default), EPSG:4490, EPSG:3857, "
                "EPSG:4491–4554 (CGCS2000 Gauss-Krüger), gcj02 or bd09.",
            }
        return schema
