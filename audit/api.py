"""The audit log for auditors: ``GET /api/audit/entries/`` (filtered, newest first, cursor-paged)
and ``GET /api/audit/entries/export.csv`` or ``.xlsx`` (the same filter, every row, streamed).

Reading the log is allowed by ``policy.resources.AUDIT_LOG``; exporting it is itself audited.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.views import APIView

from core.exports import XLSX, watermark_text, watermarked_xlsx
from policy.actions import Action
from policy.drf import requires
from policy.predicates import visible
from policy.resources import AUDIT_LOG

from . import chain
from .models import AuditAction, Channel, Entry, Outcome
from .writer import record

MayReadAudit = requires(
    AUDIT_LOG, {"*": Action.READ}, {Action.READ: _("The audit log is for auditors and administrators.")}
)

# What an auditor sees of an entry: everything the chain covers but the bare user id.
COLUMNS = tuple(name for name in chain.COVERED if name != "user_id")

FILTERS = [
    OpenApiParameter("user", str, description="Username, exact."),
    OpenApiParameter("action", str, enum=AuditAction.values),
    OpenApiParameter("outcome", str, enum=Outcome.values),
    OpenApiParameter("channel", str, enum=Channel.values),
    OpenApiParameter("object_type", str, description="e.g. layers.landparcel"),
    OpenApiParameter("object_id", str),
    OpenApiParameter("division", str, description="Division code or its prefix (445302 = that county)."),
    OpenApiParameter("request_id", str),
    OpenApiParameter("since", str, description="From this time (ISO 8601) or date (YYYY-MM-DD), inclusive."),
    OpenApiParameter("until", str, description="Before this time or date (a date means through that day)."),
]


class EntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = Entry
        fields = COLUMNS


def _moment(name: str, raw: str, *, end: bool) -> datetime:
    moment = parse_datetime(raw)
    if moment is None:
        day = parse_date(raw)
        if day is None:
            raise ValidationError(
                {name: [_("Give a time like 2026-12-01T08:00:00+08:00 or a date like 2026-12-01.")]}
            )
        moment = datetime.combine(day, datetime.min.time())
        if end:
            moment += timedelta(days=1)
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def filtered(user: Any, params: Any) -> QuerySet[Entry]:
    """The entries the caller may read, cut by the query parameters; a bad value is a 400."""
    entries = visible(user, AUDIT_LOG).order_by("-seq")
    choices = {"action": AuditAction, "outcome": Outcome, "channel": Channel}
    for name, kind in choices.items():
        value = params.get(name)
        if value:
            if value not in kind.values:
                raise ValidationError(
                    {name: [_("Choose one of: %(values)s.") % {"values": ", ".join(kind.values)}]}
                )
            entries = entries.filter(**{name: value})
    exact = {
        "user": "username",
        "object_type": "object_type",
        "object_id": "object_id",
        "request_id": "request_id",
    }
    for name, field in exact.items():
        if params.get(name):
            entries = entries.filter(**{field: params[name]})
    division = params.get("division", "")
    if division:
        if not division.isdigit() or len(division) > 12:
            raise ValidationError({"division": [_("A division code is up to 12 digits.")]})
        entries = entries.filter(division__startswith=division.rstrip("0") or division)
    if params.get("since"):
        entries = entries.filter(at__gte=_moment("since", params["since"], end=False))
    if params.get("until"):
        entries = entries.filter(at__lt=_moment("until", params["until"], end=True))
    return entries


class EntryPagination(CursorPagination):
    ordering = "-seq"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class EntryList(generics.ListAPIView):
    """审计日志: who did what, when, from where — newest first."""

    serializer_class = EntrySerializer
    permission_classes = [MayReadAudit]
    pagination_class = EntryPagination

    def get_queryset(self) -> QuerySet[Entry]:
        return filtered(self.request.user, self.request.query_params)

    @extend_schema(tags=["audit"], parameters=FILTERS)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        return super().get(request, *args, **kwargs)


def _row(entry: Entry) -> list[Any]:
    row = [getattr(entry, name) for name in COLUMNS]
    row[1] = timezone.localtime(entry.at).isoformat()
    return row


def _csv_lines(entries: QuerySet[Entry], header: list[str], watermark: str) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([watermark])  # the 看数水印 heads the file, as in the XLSX
    writer.writerow(header)
    for entry in entries.iterator(chunk_size=2000):
        writer.writerow(_row(entry))
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


class EntryExport(APIView):
    """导出审计日志: every entry the filter selects, as CSV (streamed) or XLSX."""

    permission_classes = [MayReadAudit]

    @extend_schema(
        tags=["audit"],
        parameters=FILTERS,
        responses={(200, "text/csv"): bytes, (200, XLSX): bytes},
    )
    def get(self, request: Request, kind: str) -> HttpResponse | StreamingHttpResponse:
        entries = filtered(request.user, request.query_params)
        record(
            AuditAction.EXPORT,
            object_type="audit.entry",
            detail={"format": kind, **request.query_params.dict()},
        )
        name = f"audit-{timezone.localtime():%Y%m%d-%H%M%S}.{kind}"
        if kind == "csv":
            response: HttpResponse | StreamingHttpResponse = StreamingHttpResponse(
                _csv_lines(entries, list(COLUMNS), watermark_text(request.user)),
                content_type="text/csv; charset=utf-8",
            )
        else:
            rows = (_xlsx_row(entry) for entry in entries.iterator(chunk_size=2000))
            body = watermarked_xlsx(request.user, _("审计日志"), list(COLUMNS), rows)
            response = HttpResponse(body, content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


def _xlsx_row(entry: Entry) -> list[Any]:
    row = _row(entry)
    row[COLUMNS.index("detail")] = json.dumps(entry.detail, ensure_ascii=False)
    return row
