"""Who may do what to which layer record: the one place these rules live.

Two questions, kept apart:
- *role*: may this role perform this action on this layer at all? (``ROLE_ACTIONS``)
- *scope*: is this record inside the user's own division, park or grid cell, or below it?

Reads are filtered in the database with ``read_filter`` (a Q object, so lists, tiles, exports and
search all cut the same way). Writes check the record itself with ``can_create`` / ``can_update`` /
``can_delete``; an update is checked against the record both before and after the change.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.db.models import Q

from .roles import Role

if TYPE_CHECKING:
    from layers.models import LayerFeature
    from layers.registry import LayerSpec

    from .models import User


class Action(StrEnum):
    READ = "read"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


R, C, U, D = Action.READ, Action.CREATE, Action.UPDATE, Action.DELETE
ALL = frozenset(Action)
OFFICERS = (Role.DISTRICT_OFFICER, Role.CITY_OFFICER)
LEADERS = (Role.DISTRICT_LEADER, Role.CITY_LEADER)

# layer -> role -> actions beyond reading published public features. Administrators may do
# everything and are not listed. Reads listed here are reads of *internal* records in scope.
ROLE_ACTIONS: dict[str, dict[str, frozenset[Action]]] = {
    "divisions": {},
    "parks": {
        **dict.fromkeys(OFFICERS, ALL),
        **dict.fromkeys(LEADERS, frozenset({R})),
        Role.PARK_MANAGER: frozenset({R, U}),
        Role.DISPLAY: frozenset({R}),
    },
    "parcels": {
        **dict.fromkeys(OFFICERS, ALL),
        **dict.fromkeys(LEADERS, frozenset({R})),
        Role.PARK_MANAGER: ALL,
        Role.DISPLAY: frozenset({R}),
    },
    "buildings": {
        **dict.fromkeys(OFFICERS, ALL),
        **dict.fromkeys(LEADERS, frozenset({R})),
        Role.PARK_MANAGER: ALL,
        Role.DISPLAY: frozenset({R}),
    },
    "amenities": {**dict.fromkeys(OFFICERS, ALL)},
    "grid_cells": {
        **dict.fromkeys(OFFICERS, ALL),
        **dict.fromkeys(LEADERS, frozenset({R})),
        Role.GRID_WORKER: frozenset({R}),
        Role.DISPLAY: frozenset({R}),
    },
    "project_sites": {
        **dict.fromkeys(OFFICERS, ALL),
        **dict.fromkeys(LEADERS, frozenset({R})),
        Role.PARK_MANAGER: frozenset({R}),
        Role.DISPLAY: frozenset({R}),
    },
    "field_points": {
        **dict.fromkeys(OFFICERS, ALL),
        **dict.fromkeys(LEADERS, frozenset({R})),
        Role.GRID_WORKER: frozenset({R, C, U}),
        Role.DISPLAY: frozenset({R}),
    },
    "patrol_tracks": {
        **dict.fromkeys(OFFICERS, ALL),
        **dict.fromkeys(LEADERS, frozenset({R})),
        Role.GRID_WORKER: frozenset({R, C}),
        Role.DISPLAY: frozenset({R}),
    },
    "panoramas": {
        **dict.fromkeys(OFFICERS, ALL),
        **dict.fromkeys(LEADERS, frozenset({R})),
        Role.PARK_MANAGER: ALL,
        Role.DISPLAY: frozenset({R}),
    },
    "orthophotos": {
        **dict.fromkeys(OFFICERS, ALL),
        **dict.fromkeys(LEADERS, frozenset({R})),
        Role.DISPLAY: frozenset({R}),
    },
}

# Roles that may see personal data (phone numbers) unmasked.
PERSONAL_DATA_ROLES = frozenset({Role.ADMIN, *OFFICERS, *LEADERS})


def role_of(user: Any) -> str | None:
    """The user's role, or None for an anonymous visitor."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    return Role.ADMIN if user.is_superuser else user.role


def role_allows(user: User | Any, layer: LayerSpec, action: Action) -> bool:
    role = role_of(user)
    if role == Role.ADMIN:
        return True
    if role is None:
        return False
    return action in ROLE_ACTIONS.get(layer.name, {}).get(role, frozenset())


def sees_whole_city(user: User | Any) -> bool:
    return role_of(user) in {Role.ADMIN, Role.DISPLAY}


def may_see_personal_data(user: User | Any) -> bool:
    return role_of(user) in PERSONAL_DATA_ROLES


def may_watch_wall(user: User | Any) -> bool:
    """The big-screen wall's data: field points and project sites, both readable."""
    from layers.registry import LAYERS

    return role_allows(user, LAYERS["field_points"], Action.READ) and role_allows(
        user, LAYERS["project_sites"], Action.READ
    )


# Leads (线索) from the investment map are followed by the investment staff of the area.
LEAD_READERS = frozenset({Role.ADMIN, *OFFICERS, *LEADERS})


def may_read_leads(user: User | Any) -> bool:
    return role_of(user) in LEAD_READERS


def leads_filter(user: User | Any) -> Q:
    """The leads in the user's area (本级及下级), by the division code the lead was assigned."""
    role = role_of(user)
    if role == Role.ADMIN:
        return Q()
    if role in LEAD_READERS and user.division_id:
        return Q(division_code__startswith=user.division.prefix)
    return Q(pk__in=[])


# --- scope: the same rule twice, as a database filter and as a test of one record -------------


def _grid_cell_ids(user: User) -> list[int]:
    from layers.models import GridCell

    return [
        user.grid_cell_id,
        *GridCell.objects.filter(parent_id=user.grid_cell_id).values_list("id", flat=True),
    ]


def scope_filter(user: User | Any, layer: LayerSpec) -> Q:
    """Records inside the user's own scope (whatever their publication state)."""
    role = role_of(user)
    if sees_whole_city(user):
        return Q()
    if role in {*OFFICERS, *LEADERS} and user.division_id:
        return Q(division_code__startswith=user.division.prefix)
    if role == Role.PARK_MANAGER and user.park_id:
        if layer.name == "parks":
            return Q(pk=user.park_id)
        if layer.has_park:
            return Q(park_id=user.park_id)
    if role == Role.GRID_WORKER and user.grid_cell_id:
        cells = _grid_cell_ids(user)
        if layer.name == "grid_cells":
            return Q(pk__in=cells)
        if layer.has_grid_cell:
            return Q(grid_cell_id__in=cells)
    return Q(pk__in=[])


def in_scope(user: User | Any, layer: LayerSpec, record: LayerFeature) -> bool:
    """``scope_filter`` for one record in memory (for writes, before and after the change)."""
    role = role_of(user)
    if sees_whole_city(user):
        return True
    if role in {*OFFICERS, *LEADERS} and user.division_id:
        return record.division_code.startswith(user.division.prefix)
    if role == Role.PARK_MANAGER and user.park_id:
        if layer.name == "parks":
            return record.pk == user.park_id
        return layer.has_park and record.park_id == user.park_id
    if role == Role.GRID_WORKER and user.grid_cell_id:
        if layer.name == "grid_cells":
            return record.pk in _grid_cell_ids(user)
        return layer.has_grid_cell and record.grid_cell_id in _grid_cell_ids(user)
    return False


# --- the predicates the API calls ----------------------------------------------------------


def read_filter(user: User | Any, layer: LayerSpec) -> Q:
    """Everything this user may read in a layer: published public features, plus their scope."""
    published = Q(is_public=True) if layer.public else Q(pk__in=[])
    if not role_allows(user, layer, Action.READ):
        return published
    scope = scope_filter(user, layer)
    # An empty Q means "no cut"; OR-ing it with another Q would silently drop it.
    return published | scope if scope else Q()


def can_read(user: User | Any, layer: LayerSpec, record: LayerFeature) -> bool:
    if layer.public and record.is_public:
        return True
    return role_allows(user, layer, Action.READ) and in_scope(user, layer, record)


def can_create(user: User | Any, layer: LayerSpec, record: LayerFeature) -> bool:
    """``record`` is the unsaved record with its derived fields filled in."""
    return role_allows(user, layer, Action.CREATE) and in_scope(user, layer, record)


def can_update(user: User | Any, layer: LayerSpec, before: LayerFeature, after: LayerFeature) -> bool:
    """Both the stored record and the changed one must be in scope: nobody moves a record out."""
    return (
        role_allows(user, layer, Action.UPDATE)
        and in_scope(user, layer, before)
        and in_scope(user, layer, after)
        and _owns_if_worker(user, layer, before)
    )


def can_delete(user: User | Any, layer: LayerSpec, record: LayerFeature) -> bool:
    return role_allows(user, layer, Action.DELETE) and in_scope(user, layer, record)


def _owns_if_worker(user: User | Any, layer: LayerSpec, record: LayerFeature) -> bool:
    # A grid worker corrects their own reports, not a colleague's.
    if role_of(user) == Role.GRID_WORKER and layer.name == "field_points":
        return record.reporter_id == user.pk
    return True
