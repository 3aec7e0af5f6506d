"""``/api/sync/``: the phone's offline work, sent when it finds a network.

- ``POST /api/sync/`` with ``{"device_now", "operations": [{"id", "type", "at", "base_version",
  "data"}, ...]}`` (at most ``MAX_BATCH``): each operation is applied once, in its own transaction,
  and answered in order with its ``state``: ``applied`` (the record's ``id`` and ``version``),
  ``conflict`` (``current_version`` and the clashing ``fields``), ``rejected`` (``status``,
  ``code``, ``message``, ``fields``) or ``waiting`` (``photos`` not uploaded yet: send it again after
  them). The types are ``sync.registry.HANDLERS``. ``device_now`` is the phone's clock when it sent
  the batch: the server keeps each operation's ``at`` as sent and uses it moved by the difference
  of the clocks (``clock_offset``), so a phone hours off does not misdate or reorder its work;
- ``PUT /api/sync/photos/<sha256>/`` with ``Content-Range: bytes start-end/total`` appends a chunk
  (each at most Django's DATA_UPLOAD_MAX_MEMORY_SIZE); ``HEAD``/``GET`` answers how much arrived
  (``Upload-Offset``) and, once complete, the photo's ``path`` (``sync.photos``).
"""

from __future__ import annotations

import uuid as uuidlib
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import Rejected, error_body
from core.refusals import Conflict
from policy.actions import Action
from policy.drf import requires
from policy.resources import SYNC

from . import operations  # noqa: F401 - registers the handlers
from .models import OperationState, PhotoUpload
from .photos import progress, receive
from .registry import Op, apply_all

MAX_BATCH = 100
# A phone clock this close to the server's is taken as right: the difference is the batch's time on
# the network (and the phone's ordinary drift), not a clock set wrong.
CLOCK_TOLERANCE = timedelta(minutes=2)

MaySync = requires(SYNC, {"*": Action.CREATE}, {Action.CREATE: gettext_lazy("Sync is for signed-in staff.")})


def _refused(ident: Any, field: str, message: str) -> dict[str, Any]:
    """An operation too malformed to run (nor to be kept: without a valid id it cannot be replayed)."""
    return {
        "id": ident,
        "state": OperationState.REJECTED,
        "status": 400,
        "code": "invalid",
        "message": message,
        "fields": {field: [message]},
    }


def _time(raw: Any) -> datetime | None:
    """An ISO 8601 time (a naive one in the server's zone), or None when it is not one."""
    try:
        found = parse_datetime(raw) if isinstance(raw, str) else None
    except ValueError:  # well formed but not a date, such as month 13
        return None
    return found if found is None or timezone.is_aware(found) else timezone.make_aware(found)


def clock_offset(device_now: Any) -> timedelta | None:
    """What to add to the phone's times to read them on the server's clock (the server's now less
    the phone's when it sent the batch), 0 within ``CLOCK_TOLERANCE``; None when it did not say."""
    if device_now is None:
        return None
    sent = _time(device_now)
    if sent is None:
        raise Rejected(
            _(
                "device_now is the phone's clock when it sends the batch, in ISO 8601 with its zone, "
                "such as 2026-05-01T08:30:00+08:00."
            ),
            field="device_now",
        )
    offset = timezone.now() - sent
    return timedelta(0) if abs(offset) < CLOCK_TOLERANCE else offset


def _read(request: Request, raw: Any, offset: timedelta | None) -> tuple[Op, dict[str, Any]] | dict[str, Any]:
    """The operation to run with its raw body, or the answer refusing one too malformed to run."""
    if not isinstance(raw, dict):
        return _refused(None, "operation", _("Each operation is an object with id, type and data."))
    ident = raw.get("id")
    try:
        op_id = uuidlib.UUID(str(ident))
    except ValueError:
        return _refused(ident, "id", _("id is the UUID the phone gave the operation."))
    if not isinstance(raw.get("type"), str) or not raw["type"]:
        return _refused(ident, "type", _("type names the operation, such as field_point.create."))
    at = _time(raw.get("at"))
    if raw.get("at") is not None and at is None:
        return _refused(
            ident, "at", _("at is the phone's time in ISO 8601, such as 2026-05-01T08:30:00+08:00.")
        )
    base = raw.get("base_version")
    if base is not None and (not isinstance(base, int) or isinstance(base, bool)):
        return _refused(ident, "base_version", _("base_version is the version number you read, or null."))
    data = raw.get("data") if raw.get("data") is not None else {}
    if not isinstance(data, dict):
        return _refused(ident, "data", _("data is an object of the operation's fields."))
    op = Op(
        id=op_id, type=raw["type"], at=at, base_version=base, data=data, request=request, clock_offset=offset
    )
    return op, raw


OperationIn = inline_serializer(
    "SyncOperation",
    {
        "id": serializers.UUIDField(help_text="Made on the phone; the same id is the same operation."),
        "type": serializers.CharField(
            help_text="field_point.create, event.report, event.step, patrol.start or patrol.finish."
        ),
        "at": serializers.DateTimeField(required=False, help_text="The phone's time of the action."),
        "base_version": serializers.IntegerField(required=False, allow_null=True),
        "data": serializers.DictField(),
    },
)


class SyncView(APIView):
    """离线同步: a batch of the phone's operations, each applied exactly once."""

    permission_classes = [MaySync]

    @extend_schema(
        tags=["sync"],
        request=inline_serializer(
            "SyncBatch",
            {
                "device_now": serializers.DateTimeField(
                    required=False,
                    help_text="The phone's clock as it sends the batch: its times are corrected by the "
                    "difference (none within 2 minutes).",
                ),
                "operations": serializers.ListField(child=OperationIn),
            },
        ),
        responses={
            200: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description='{"operations": [{"id", "state", ...}]}, in the order sent.',
            ),
            400: OpenApiResponse(description="Not a list of operations, more than 100, or a bad device_now."),
        },
    )
    def post(self, request: Request) -> Response:
        batch = request.data.get("operations") if isinstance(request.data, dict) else None
        if not isinstance(batch, list):
            raise Rejected(_('Send {"operations": [...]}, a list of operations.'), field="operations")
        if len(batch) > MAX_BATCH:
            raise Rejected(
                _("At most %(max)s operations a batch: send the rest in the next one.") % {"max": MAX_BATCH},
                field="operations",
            )
        offset = clock_offset(request.data.get("device_now"))
        read = [_read(request, raw, offset) for raw in batch]
        runnable = [item for item in read if isinstance(item, tuple)]
        answered = iter(apply_all(runnable))
        return Response(
            {"operations": [next(answered) if isinstance(item, tuple) else item for item in read]}
        )


SHA256 = OpenApiParameter("sha256", str, OpenApiParameter.PATH, description="The photo's SHA-256, in hex.")
Progress = inline_serializer(
    "PhotoProgress",
    {
        "received": serializers.IntegerField(),
        "total": serializers.IntegerField(allow_null=True),
        "complete": serializers.BooleanField(),
        "path": serializers.CharField(help_text="Where operations name the photo, once complete."),
    },
)


def _answer(upload: PhotoUpload | None, status_code: int = status.HTTP_200_OK) -> Response:
    body = progress(upload)
    return Response(body, status=status_code, headers={"Upload-Offset": str(body["received"])})


class PhotoUploadView(APIView):
    """A photo in resumable chunks, under its SHA-256."""

    permission_classes = [MaySync]

    @extend_schema(tags=["sync"], parameters=[SHA256], responses={200: Progress})
    def get(self, request: Request, sha256: str) -> Response:
        return _answer(PhotoUpload.objects.filter(sha256=sha256).first())

    @extend_schema(
        tags=["sync"],
        parameters=[
            SHA256,
            OpenApiParameter(
                "Content-Range",
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="bytes start-end/total",
            ),
        ],
        request={"application/octet-stream": OpenApiTypes.BINARY},
        responses={
            200: Progress,
            201: Progress,
            400: OpenApiResponse(description="A bad Content-Range, a hash mismatch, not an image."),
            409: OpenApiResponse(
                description="The chunk does not start at the received offset (error.received)."
            ),
            413: OpenApiResponse(description="Larger than SYNC_PHOTO_MAX_MB."),
        },
    )
    def put(self, request: Request, sha256: str) -> Response:
        try:
            chunk = request.body
        except RequestDataTooBig:
            raise Rejected(
                _("Send the photo in smaller chunks."), code="chunk_too_large", status_code=413
            ) from None
        try:
            upload, completed = receive(request.user, sha256, request.headers.get("Content-Range", ""), chunk)
        except Conflict as exc:
            body = error_body("conflict", str(exc.detail), **exc.extra)
            return Response(
                body, status=exc.status_code, headers={"Upload-Offset": str(exc.extra["received"])}
            )
        return _answer(upload, status.HTTP_201_CREATED if completed else status.HTTP_200_OK)
