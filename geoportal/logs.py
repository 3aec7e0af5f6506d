"""One JSON object per log line (settings ``LOG_FORMAT=json``, the production default).

A log shipper (Loki, ELK) reads the fields without a parsing rule, and every line written while a
request or a job runs carries its ``request_id`` (``core.context``): the same id nginx logs, the
response's ``X-Request-ID`` header and the audit log's ``request_id`` column, so one id finds a
request in all four.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

# Attributes every LogRecord has; anything else was passed in ``extra=`` and is kept.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def _context() -> dict[str, Any]:
    """request_id, user, route, status and duration of the current request or job, where known."""
    try:
        from core.context import current_actor, current_request, request_id
    except Exception:  # noqa: BLE001 - logging before Django is set up
        return {}
    fields: dict[str, Any] = {}
    request = current_request()
    if request is not None:
        fields["request_id"] = request_id(request)
        user = getattr(request, "user", None)
        if user is not None and getattr(user, "is_authenticated", False):
            fields["user_id"] = user.pk
        match = getattr(request, "resolver_match", None)
        if match is not None:
            fields["route"] = match.route
        fields["method"] = request.method
        return fields
    actor = current_actor()
    if actor is not None:
        fields["request_id"] = actor.request_id
        fields["user_id"] = getattr(actor.user, "pk", None)
        fields["via"] = actor.via
    return fields


class JsonFormatter(logging.Formatter):
    """time, level, logger, message, the request context, ``extra=`` fields and the exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(_context())
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        # django.server / django.request pass the response status or the request itself.
        status = getattr(record, "status_code", None)
        if status is not None:
            entry["status"] = status
        # django.request logs a 4xx/5xx after the request context ended, with the request itself.
        request = entry.pop("request", None)
        if request is not None and hasattr(request, "META"):
            from core.context import request_id

            entry.setdefault("request_id", request_id(request))
            match = getattr(request, "resolver_match", None)
            if match is not None:
                entry.setdefault("route", match.route)
            user = getattr(request, "user", None)
            if user is not None and getattr(user, "is_authenticated", False):
                entry.setdefault("user_id", user.pk)
        duration = getattr(request, "metrics_duration", None)
        if duration is not None:
            entry["duration_ms"] = round(duration * 1000, 1)
        entry.pop("status_code", None)
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
