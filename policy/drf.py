"""The declarations as DRF permission classes: a view names its resource and the action of each
HTTP method, and gets a 401 for anonymous callers or a 403 with its message for the wrong role.
Querysets come from ``policy.visible``; object rules from the predicates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.functional import Promise
from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from .actions import Action
from .rules import Resource, role_allows
from .scope import role_of


def requires(
    resource: Resource, actions: Mapping[str, Action], messages: Mapping[Action, str | Promise] | None = None
) -> type[BasePermission]:
    """A permission class: for each HTTP method, the action the caller's role must be granted."""

    class ResourcePermission(BasePermission):
        def has_permission(self, request: Request, view: Any) -> bool:
            action = actions.get(request.method or "GET", actions.get("*", Action.READ))
            if role_allows(request.user, resource, action):
                return True
            if role_of(request.user) is None:
                raise NotAuthenticated()
            message = (messages or {}).get(action)
            # Translated here, in the request's language, when the message is lazy.
            raise PermissionDenied(str(message) if message is not None else None)

    ResourcePermission.__name__ = f"May{resource.name.title().replace('_', '')}"
    return ResourcePermission
