"""``event.report`` and ``event.step``: grid events from the phone, through ``grid.opening`` and
``grid.workflow`` as the events API does.

A step that writes content (the handler's feedback) names the event version the phone read: if the
event moved on since, the step is a conflict with the server's version and the fields that differ,
for the phone to show its worker rather than overwrite what an officer did meanwhile.
"""

from __future__ import annotations

from typing import Any

from django.contrib.gis.geos import Point
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.exceptions import NotFound

from core.refusals import Forbidden, Incomplete, NotAllowed
from grid import workflow
from grid.models import EventCategory, GridEvent
from grid.opening import open_event
from layers.api.serializers import media_name
from policy.predicates import may_report_event, visible_events

from ..registry import Clash, Op, first_message, handles
from .common import photos_field, read, uploaded

# The steps that write content, each input to the event's field it fills.
CONTENT_STEPS: dict[str, dict[str, str]] = {"feedback": {"feedback": "feedback", "photos": "feedback_photos"}}


class ReportData(serializers.Serializer):
    category = serializers.SlugRelatedField(
        slug_field="key", queryset=EventCategory.objects.filter(active=True)
    )
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    lon = serializers.FloatField(min_value=-180, max_value=180)
    lat = serializers.FloatField(min_value=-90, max_value=90)
    urgent = serializers.BooleanField(required=False, default=False)
    photos = photos_field()


@handles("event.report")
def report_event(op: Op) -> dict[str, Any]:
    data = read(ReportData, op.data)
    geom = Point(data["lon"], data["lat"], srid=4326)
    draft = GridEvent(geom=geom, reporter=op.user)
    draft.locate()
    if not may_report_event(op.user, draft):
        raise Forbidden(_("You may report events only in your own area."))
    event, _created = open_event(
        reporter=op.user,
        category=data["category"],
        title=data["title"],
        geom=geom,
        description=data["description"],
        photos=uploaded(data.get("photos", [])),
        urgent=data["urgent"],
        client_uuid=op.id,
    )
    return {"record": "events", "id": event.pk, "version": event.version, "code": event.code}


class StepData(serializers.Serializer):
    event = serializers.IntegerField()
    step = serializers.ChoiceField(choices=list(workflow.STEPS))


def _photos(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise Incomplete(_("photos is a list of paths in our media library."), fields=["photos"])
    try:
        return [media_name(item) for item in value]
    except serializers.ValidationError as exc:
        raise Incomplete(first_message(exc.detail), fields=["photos"]) from exc


@handles("event.step")
def take_step(op: Op) -> dict[str, Any]:
    head = read(StepData, op.data)
    event = visible_events(op.user).filter(pk=head["event"]).first()
    if event is None:
        raise NotFound(_("No such event in your area."))
    name = head["step"]
    given = {key: value for key, value in op.data.items() if key not in {"event", "step"}}
    if "photos" in given:
        given["photos"] = _photos(given["photos"])
    edits = CONTENT_STEPS.get(name)
    if edits is not None:
        if op.base_version is None:
            raise Incomplete(_("Name the event version you read (base_version)."), fields=["base_version"])
        if event.version != op.base_version:
            clashing = [
                field for key, field in edits.items() if key in given and getattr(event, field) != given[key]
            ]
            raise Clash(event.version, clashing, record_state=event.state)
    uploaded(given.get("photos", []))
    try:
        event = workflow.take(event, op.user, name, given)
    except NotAllowed as exc:
        current = GridEvent.objects.values_list("version", "state").get(pk=event.pk)
        raise Clash(
            current[0], ["state"], exc.message, record_state=current[1], allowed=exc.detail.get("allowed", [])
        ) from exc
    return {"record": "events", "id": event.pk, "version": event.version, "state": event.state}
