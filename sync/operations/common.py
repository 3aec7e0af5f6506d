"""What the handlers share: reading an operation's data with a serializer, and its photos."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from layers.api.serializers import PhotosField

from ..photos import require_photos


def read(serializer: type[serializers.Serializer], data: dict[str, Any]) -> dict[str, Any]:
    """The operation's data, validated (a ValidationError naming each wrong field)."""
    body = serializer(data=data)
    body.is_valid(raise_exception=True)
    return dict(body.validated_data)


def uploaded(photos: list[str]) -> list[str]:
    """The photos (storage names), once every one is uploaded (else ``PhotoMissing``)."""
    require_photos(photos)
    return photos


def photos_field() -> PhotosField:
    return PhotosField(required=False)
