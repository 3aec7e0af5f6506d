"""How a resource declares its rules, and the one engine that evaluates them.

A ``Resource`` names its model (by label, so the policy package imports no domain code), the
fields that place a record (``ScopeFields``), and a table of grants: role → clauses. A clause
grants some actions on records that are inside the user's scope (``in_scope``), owned by the user
(``own``), both (``own_in_scope``), or anywhere (``anywhere``). Administrators may do everything
and are never listed. ``published`` names the flag that makes a record readable by everyone, and
``anyone`` the actions open even to anonymous visitors.

Every rule is evaluated twice from the same declaration, and the matrix test checks that the two
agree: as a queryset filter (``allowed_q``) and for one record in memory (``allows``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.apps import apps
from django.db.models import Model, Q

from accounts.roles import Role

from .actions import Action
from .scope import NOTHING, Scope, ScopeFields, role_of, scope_of


@dataclass(frozen=True)
class Clause:
    actions: frozenset[Action]
    scoped: bool
    owned: bool


class Grant(tuple[Clause, ...]):
    """Clauses joined with ``|``: an action is allowed when any clause that names it matches."""

    def __or__(self, other: object) -> Grant:
        if not isinstance(other, Grant):
            return NotImplemented
        return Grant((*self, *other))

    def actions(self) -> frozenset[Action]:
        return frozenset(a for clause in self for a in clause.actions)


def _clause(actions: Iterable[Action], *, scoped: bool, owned: bool) -> Grant:
    return Grant((Clause(frozenset(actions), scoped=scoped, owned=owned),))


def in_scope(*actions: Action) -> Grant:
    """On records inside the user's own division, park or grid cell."""
    return _clause(actions, scoped=True, owned=False)


def own(*actions: Action) -> Grant:
    """On records the user owns (the resource's ``owner`` field), wherever they are."""
    return _clause(actions, scoped=False, owned=True)


def own_in_scope(*actions: Action) -> Grant:
    """On records the user owns that are also inside their scope."""
    return _clause(actions, scoped=True, owned=True)


def anywhere(*actions: Action) -> Grant:
    """Whatever the record (for rules that have no records, such as seeing personal data)."""
    return _clause(actions, scoped=False, owned=False)


Roles = str | tuple[str, ...]


@dataclass(frozen=True)
class Resource:
    name: str
    model: str | None
    grants: Mapping[Roles, Grant]
    scope: ScopeFields = field(default_factory=ScopeFields)
    published: str | None = None
    owner: str | None = None
    anyone: frozenset[Action] = frozenset()
    # The binding (``SCOPE_BINDING``'s "division", "park" or "grid_cell") this resource's records
    # are places of. Their geometry decides what other users reach, so it is drawn only by a role
    # scoped above the record, within that role's own scope (``predicates.may_redraw``).
    defines_scope: str | None = None
    # Whether every part of a written geometry must lie in the writer's scope, not only the point
    # the record is filed by (``predicates.geometry_in_scope``).
    whole_geometry: bool = True
    # Fields naming the person who acted (a patrol's walker) -> the roles that may name someone
    # other than themselves; for everyone else the server sets the field to the caller.
    actors: Mapping[str, Roles] = field(default_factory=dict)

    @cached_property
    def table(self) -> dict[str, Grant]:
        """role → its clauses, with the role groups of the declaration spread out."""
        out: dict[str, Grant] = {}
        for roles, grant in self.grants.items():
            for role in (roles,) if isinstance(roles, str) else roles:
                if role == Role.ADMIN:
                    raise ValueError(f"{self.name}: administrators may do everything; do not list them")
                out[role] = out.get(role, Grant()) | grant
        return out

    @cached_property
    def model_class(self) -> type[Model]:
        if self.model is None:
            raise LookupError(f"{self.name} has no records")
        return apps.get_model(self.model)

    def clauses(self, user: Any, action: Action) -> list[Clause]:
        role = role_of(user)
        grant = self.table.get(role, Grant()) if role else Grant()
        return [c for c in grant if action in c.actions]


def role_allows(user: Any, resource: Resource, action: Action) -> bool:
    """May this user's role do ``action`` on some record of the resource at all, beyond reading
    what is published?"""
    return role_of(user) == Role.ADMIN or action in resource.anyone or bool(resource.clauses(user, action))


def assigns_actor(user: Any, resource: Resource, field_name: str) -> bool:
    """May this user's role file a record in someone else's name through ``field_name``?"""
    role = role_of(user)
    if role == Role.ADMIN:
        return True
    roles = resource.actors[field_name]
    return role is not None and role in ((roles,) if isinstance(roles, str) else roles)


def _owner_q(resource: Resource, user: Any) -> Q:
    if not resource.owner:
        return NOTHING
    return Q(**{resource.owner: user.pk})


def allowed_q(user: Any, resource: Resource, action: Action) -> Q:
    """The records on which the user may do ``action``, as a filter (``Q()`` means every record)."""
    if role_of(user) == Role.ADMIN or action in resource.anyone:
        return Q()
    parts: list[Q] = []
    if action == Action.READ and resource.published:
        parts.append(Q(**{resource.published: True}))
    scope: Scope | None = None
    for clause in resource.clauses(user, action):
        q = Q()
        if clause.scoped:
            scope = scope or scope_of(user)
            if not scope.everything:
                q &= scope.q(resource.scope)
        if clause.owned:
            q &= _owner_q(resource, user)
        if not q:  # an unconditional clause: no cut at all
            return Q()
        parts.append(q)
    if not parts:
        return NOTHING
    combined = parts[0]
    for q in parts[1:]:
        combined |= q
    return combined


def allows(user: Any, resource: Resource, action: Action, record: Any) -> bool:
    """``allowed_q`` for one record in memory (which may be unsaved)."""
    if role_of(user) == Role.ADMIN or action in resource.anyone:
        return True
    if action == Action.READ and resource.published and getattr(record, resource.published, False):
        return True
    for clause in resource.clauses(user, action):
        if clause.scoped and not scope_of(user).holds(resource.scope, record):
            continue
        if clause.owned and not _owns(resource, user, record):
            continue
        return True
    return False


def _owns(resource: Resource, user: Any, record: Any) -> bool:
    if not resource.owner or user is None or not user.is_authenticated:
        return False
    return getattr(record, f"{resource.owner}_id", None) == user.pk
