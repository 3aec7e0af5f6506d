"""Why a workflow step is refused, said once for every workflow (projects, inspections, grid
events) and turned into the platform's error shape in one place.

- ``NotAllowed``: the step does not apply to the record as it is — a 409 whose ``allowed`` lists
  the steps that do;
- ``Incomplete``: input is missing or wrong — a 400 naming each field;
- ``Forbidden``: not this caller's step, or a target outside their area — a 403.

A view wraps the call in ``with answered():``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rest_framework import status
from rest_framework.exceptions import APIException, PermissionDenied, ValidationError


class Refusal(Exception):
    def __init__(self, message: str, **detail: Any) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class NotAllowed(Refusal):
    """The step does not apply now (a 409, with ``allowed``)."""


class Incomplete(Refusal):
    """Input is missing or wrong (a 400 naming each of ``fields``)."""


class Forbidden(Refusal):
    """Not the caller's step (a 403)."""


class Conflict(APIException):
    """A 409 in the platform's error shape, with whatever the client needs to resolve it."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.extra = extra


@contextmanager
def answered() -> Iterator[None]:
    """A workflow's refusals as HTTP answers."""
    try:
        yield
    except NotAllowed as exc:
        raise Conflict(exc.message, allowed=exc.detail.get("allowed", [])) from exc
    except Incomplete as exc:
        raise ValidationError({field: [exc.message] for field in exc.detail["fields"]}) from exc
    except Forbidden as exc:
        raise PermissionDenied(exc.message) from exc
