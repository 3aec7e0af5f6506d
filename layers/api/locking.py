"""Optimistic locking: a write names the version it read, and a stale write changes nothing.

The version travels as an ETag (``"7"``) and comes back as ``If-Match: "7"``, or as ``version``
in the Feature's properties. A missing version is 428; a stale one is 412 (If-Match) or 409
(body), and either answer carries the current version so the client can merge and retry.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.request import Request


class VersionRequired(APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_code = "version_required"
    default_detail = gettext_lazy(
        'State the version you read: send If-Match: "<version>" or properties.version.'
    )


class StaleVersion(APIException):
    default_code = "stale_version"

    def __init__(self, expected: int, current: int, via_header: bool, feature: dict[str, Any]) -> None:
        self.status_code = status.HTTP_412_PRECONDITION_FAILED if via_header else status.HTTP_409_CONFLICT
        super().__init__(
            _(
                "This record was changed by someone else: you sent version %(expected)s, the current "
                "version is %(current)s. Reload it, re-apply your change and save again."
            )
            % {"expected": expected, "current": current}
        )
        self.extra = {"current_version": current, "current": feature}


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(request: Request) -> tuple[int, bool]:
    """The version the client read, and whether it came in If-Match."""
    header = request.headers.get("If-Match")
    if header:
        value = header.strip().removeprefix("W/").strip('"')
        if value.isdigit():
            return int(value), True
        raise VersionRequired(_('If-Match must hold the version as an ETag, such as "7".'))
    props = request.data.get("properties") if isinstance(request.data, dict) else None
    version = (props or {}).get(
        "version", request.data.get("version") if isinstance(request.data, dict) else None
    )
    if isinstance(version, int) and not isinstance(version, bool):
        return version, False
    if isinstance(version, str) and version.isdigit():
        return int(version), False
    raise VersionRequired()
