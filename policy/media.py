"""Uploaded files follow the record that owns them: who may read the record may read its files.

``media_owners()`` says, by the file's storage name, which resource's records own it and how to find
them; ``can_read_media`` asks the owners' read rule. Anything else is unreadable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db.models import Q, QuerySet

from .actions import Action
from .predicates import visible_events
from .resources import GRID_EVENTS, INGEST_JOBS, LAYER_RULES, PROJECTS
from .rules import Resource, allowed_q


@dataclass(frozen=True)
class MediaOwner:
    resource: Resource
    owns: Callable[[str], Q | None]  # the filter naming the records that own a file, or None
    # The records the user reads, where that is more than the resource's read rule (a grid event
    # is read by whoever it is dispatched to as well).
    readable: Callable[[Any], QuerySet] | None = None


def _panorama(name: str) -> Q | None:
    parts = name.split("/")
    if parts[0] != "panoramas":
        return None
    if len(parts) > 3 and parts[1] == "tiles":
        return Q(tiles_path="/".join(parts[:3]))
    return Q(image=name) | Q(thumbnail=name)


def _prefixed(prefix: str, owns: Callable[[str], Q]) -> Callable[[str], Q | None]:
    return lambda name: owns(name) if name.startswith(prefix) else None


def _photo(name: str) -> Q | None:
    if name.startswith(("panoramas/", "orthophotos/", "ingest/", "projects/")):
        return None
    return Q(photos__contains=[name])


def _event_photo(name: str) -> Q | None:
    """A grid event's photos: those it was reported with and those of its report back."""
    owns = _photo(name)
    return None if owns is None else owns | Q(feedback_photos__contains=[name])


@cache
def media_owners() -> list[MediaOwner]:
    """Built on first use: it reads the models' fields, so the app registry must be ready."""
    return [
        MediaOwner(INGEST_JOBS, _prefixed("ingest/", lambda name: Q(file=name))),
        # A project's attachments are read by whoever reads the project.
        MediaOwner(PROJECTS, _prefixed("projects/", lambda name: Q(attachments__file=name))),
        MediaOwner(LAYER_RULES["panoramas"], _panorama),
        MediaOwner(LAYER_RULES["orthophotos"], _prefixed("orthophotos/", lambda name: Q(cog=name))),
        MediaOwner(GRID_EVENTS, _event_photo, readable=visible_events),
        # Carrier photos (and any other layer with a photo list).
        *(
            MediaOwner(rules, _photo)
            for rules in LAYER_RULES.values()
            if "photos" in {f.name for f in rules.model_class._meta.fields}
        ),
    ]


def can_read_media(user: Any, name: str) -> bool:
    """Whether this user may download the media file ``name`` (a cleaned storage name)."""
    for owner in media_owners():
        owns = owner.owns(name)
        if owns is None:
            continue
        model = owner.resource.model_class
        readable = (
            owner.readable(user)
            if owner.readable is not None
            else model._default_manager.filter(allowed_q(user, owner.resource, Action.READ))
        )
        if readable.filter(owns).exists():
            return True
    return False
