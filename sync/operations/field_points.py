"""``field_point.create``: a point a grid worker tagged offline, through the layer API's own
serializer and checks (role, place, who reported it), as ``POST /api/field_points/`` does."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from layers.api.views import build_viewset
from layers.registry import LAYERS
from policy.actions import Action
from policy.predicates import can_create

from ..registry import Op, handles
from .common import photos_field, read, uploaded

FieldPointViewSet = build_viewset(LAYERS["field_points"])


class FieldPointData(serializers.Serializer):
    category = serializers.CharField(help_text="The category's key.")
    note = serializers.CharField(required=False, allow_blank=True, default="")
    lon = serializers.FloatField(min_value=-180, max_value=180)
    lat = serializers.FloatField(min_value=-90, max_value=90)
    # The GPS fix's radius at capture, in metres: phones strip the location from a picked photo's
    # EXIF, so the app records the position and how sure it was. Beyond 10 km it is no fix at all.
    accuracy = serializers.FloatField(
        required=False, allow_null=True, min_value=0, max_value=10_000, help_text="Metres."
    )
    photos = photos_field()


@handles("field_point.create")
def create_field_point(op: Op) -> dict[str, Any]:
    data = read(FieldPointData, op.data)
    view = FieldPointViewSet(request=op.request, format_kwarg=None, args=(), kwargs={}, action="create")
    view._require(Action.CREATE)
    properties: dict[str, Any] = {
        "uuid": str(op.id),
        "category": data["category"],
        "note": data["note"],
        "photos": data.get("photos", []),
        "accuracy_m": data.get("accuracy"),
    }
    tagged = op.happened_at
    if tagged is not None:
        # Reported when it was tagged in the field (on the server's clock), not when the phone found
        # a network.
        properties["reported_at"] = tagged.isoformat()
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [data["lon"], data["lat"]]},
        "properties": properties,
    }
    serializer = view.get_serializer(data=feature)
    serializer.is_valid(raise_exception=True)
    record: Any = view.spec.model(**serializer.validated_data)
    record.derive()
    if not can_create(op.user, view.spec, record):
        view._deny(Action.CREATE)
    view._check_placement(None, record)
    view._check_actors(None, record)
    # Refusals first, which are final; the photos are only waited for.
    uploaded(record.photos)
    record.created_by = record.updated_by = op.user
    record._history_user = op.user
    view._save(record)
    return {"record": "field_points", "id": record.pk, "version": record.version}
