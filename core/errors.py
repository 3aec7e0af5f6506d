"""One JSON shape for every API error.

    {"error": {"code": "invalid", "message": "…", "fields": {"lat": ["…"]}}}

``code`` is stable and machine-readable, ``message`` is for people (translated), ``fields``
names the input that was wrong, when there is one.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .signals import access_denied


def error_body(code: str, message: str, fields: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    error.update(extra)
    return {"error": error}


def json_error(
    status_code: int, code: str, message: str, fields: dict[str, Any] | None = None, **headers: str
) -> JsonResponse:
    """The error shape for the plain Django views (tiles, raster tiles, media, the live stream)."""
    return JsonResponse(error_body(code, message, fields), status=status_code, headers=headers or None)


def _flatten_message(detail: Any) -> str:
    if isinstance(detail, dict):
        for key, value in detail.items():
            return f"{key}: {_flatten_message(value)}"
    if isinstance(detail, list) and detail:
        return _flatten_message(detail[0])
    return str(detail)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None

    if isinstance(exc, exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        message = _("Invalid input. %(detail)s") % {"detail": _flatten_message(fields)}
        response.data = error_body("invalid", message, fields)
    else:
        detail = getattr(exc, "detail", None) or str(exc)
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        extra = getattr(exc, "extra", {}) or {}
        response.data = error_body(str(code), _flatten_message(detail), **extra)
    if response.status_code == status.HTTP_401_UNAUTHORIZED:
        response.data["error"]["message"] += " " + _("Log in or send 'Authorization: Token <key>'.")
    if response.status_code in (status.HTTP_401_UNAUTHORIZED, status.HTTP_403_FORBIDDEN):
        request = context.get("request")
        if request is not None:
            access_denied.send(
                sender=exception_handler,
                request=request._request,
                status=response.status_code,
                reason=response.data["error"]["message"],
            )
    return response


class Rejected(APIException):
    """A 4xx in the platform's error shape with a specific code (and the field at fault)."""

    status_code: int = status.HTTP_400_BAD_REQUEST

    def __init__(
        self, message: str, code: str = "invalid", field: str | None = None, status_code: int = 400
    ) -> None:
        super().__init__(detail=message, code=code)
        self.status_code = status_code
        self.extra = {"fields": {field: [message]}} if field else {}
