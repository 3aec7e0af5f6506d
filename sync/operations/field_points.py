"""``field_point.create``: a point a grid worker tagged offline, through the layer API's own
serializer and checks (role, place, who reported it), as ``POST /api/field_points/`` does.

Its bulk variant writes a run of such points as an import does (``layers.derivation.derive_many``,
``geometries_in_scope``, one INSERT), then gives each point its history row and sends the
``post_save`` a single save sends, so the audit log, the tiles, the wall's feed and the grid see
each point as they would one saved alone. It leaves to the one-by-one handler every point it would
have to refuse or wait for, and those whose category opens an event (``grid.signals``), which is
the event workflow's to do one at a time."""

from __future__ import annotations

from typing import Any

from django.contrib.gis.geos import Point
from django.core.files.storage import default_storage
from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import post_save
from django.utils import timezone
from rest_framework import serializers

from grid.models import EventCategory
from layers.api.views import build_viewset
from layers.derivation import derive_many
from layers.models import FieldPoint, FieldPointCategory
from layers.registry import LAYERS
from policy.actions import Action
from policy.predicates import can_create, geometries_in_scope, may

from ..registry import Op, handles, handles_many
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


def _draft(op: Op, categories: dict[str, FieldPointCategory]) -> FieldPoint | None:
    """The point as the one-by-one handler would save it, or None when it would refuse or wait."""
    body = FieldPointData(data=op.data)
    if not body.is_valid():
        return None
    data = body.validated_data
    category = categories.get(data["category"])
    photos = data.get("photos", [])
    if category is None or not all(default_storage.exists(name) for name in photos):
        return None
    return FieldPoint(
        uuid=op.id,
        category=category,
        note=data["note"],
        photos=photos,
        accuracy_m=data.get("accuracy"),
        reported_at=op.happened_at or timezone.now(),
        geom=Point(data["lon"], data["lat"], srid=4326),
        reporter=op.user,
        created_by=op.user,
        updated_by=op.user,
    )


@handles_many("field_point.create")
def create_field_points(ops: list[Op]) -> list[dict[str, Any] | None]:
    user, spec = ops[0].user, LAYERS["field_points"]
    if not may(user, spec, Action.CREATE):
        return [None] * len(ops)
    keys = {str(op.data.get("category")) for op in ops}
    categories = {c.key: c for c in FieldPointCategory.objects.filter(active=True, key__in=keys)}
    opening = set(
        EventCategory.objects.filter(active=True, opens_from__in=categories.values()).values_list(
            "opens_from__key", flat=True
        )
    )
    quiet = {key: category for key, category in categories.items() if key not in opening}
    drafts = [(n, record) for n, op in enumerate(ops) if (record := _draft(op, quiet)) is not None]
    records = [record for _n, record in drafts]
    derive_many(records)
    whole = geometries_in_scope(user, spec, records)
    uuids = [record.uuid for record in records]
    taken = set(FieldPoint.all_objects.filter(uuid__in=uuids).values_list("uuid", flat=True))
    kept = [
        (n, record)
        for (n, record), inside in zip(drafts, whole, strict=True)
        if inside and record.uuid not in taken and can_create(user, spec, record)
    ]
    created = FieldPoint.objects.bulk_create([record for _n, record in kept])
    FieldPoint.history.bulk_history_create(created, default_user=user)
    for record in created:
        # Its history row is written above, with the others (django-simple-history reads this flag).
        record.skip_history_when_saving = True  # type: ignore[attr-defined]
        post_save.send(
            sender=FieldPoint,
            instance=record,
            created=True,
            update_fields=None,
            raw=False,
            using=DEFAULT_DB_ALIAS,
        )
    results: list[dict[str, Any] | None] = [None] * len(ops)
    for n, record in kept:
        results[n] = {"record": "field_points", "id": record.pk, "version": record.version}
    return results
