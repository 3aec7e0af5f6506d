"""Assertions shared by the ingest tests."""

from __future__ import annotations

from layers import models as m

WRITTEN_LAYERS = (
    m.LandParcel,
    m.Building,
    m.Amenity,
    m.Park,
    m.FieldPoint,
    m.PatrolTrack,
    m.Panorama,
    m.Orthophoto,
    m.GridCell,
    m.ProjectSite,
)


def layer_counts() -> dict[str, int]:
    return {model.__name__: model.all_objects.count() for model in WRITTEN_LAYERS}


def error_message(response) -> str:
    body = response.json()
    return body["error"]["message"]
