"""``GET /api/events/stats/``: the grid event statistics of your area (what each figure means is in
``grid.stats``), as JSON or, with ``?format=xlsx``, as a watermarked workbook (audited as an export).

Parameters: ``division`` (a 12-digit code within your area: its children are the rows of
``by_division``; by default your own area's), ``category`` (a key), ``since`` / ``until`` (dates of
report, YYYY-MM-DD, inclusive). For whoever reads grid events (网格员, 网格治理工作人员, officers,
leaders): 401 anonymous, 403 other roles or a division outside your area, 400 naming a bad parameter.
"""

from __future__ import annotations

from typing import cast

from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.exports import XLSX, JsonOrXlsx
from policy.actions import Action
from policy.drf import requires
from policy.resources import GRID_EVENTS

from . import stats

MayReadEvents = requires(
    GRID_EVENTS,
    {"*": Action.READ},
    {
        Action.READ: cast(
            str, _lazy("Event statistics are for grid workers, staff and leaders of their area.")
        )
    },
)


class StepMediansSerializer(serializers.Serializer):
    accept = serializers.FloatField(allow_null=True)
    dispatch = serializers.FloatField(allow_null=True)
    handle = serializers.FloatField(allow_null=True)
    verify = serializers.FloatField(allow_null=True)


class StatsRowSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Events reported.")
    open = serializers.IntegerField(help_text="Not closed, rejected or merged.")
    closed = serializers.IntegerField()
    overdue = serializers.IntegerField(help_text="Open and past due in their current state.")
    escalated = serializers.IntegerField(help_text="Escalated at least once.")
    on_time_rate = serializers.FloatField(
        allow_null=True, help_text="Closed events never overdue ÷ closed events; null without closed."
    )
    median_hours = StepMediansSerializer()
    median_workdays = StepMediansSerializer()


class DivisionRowSerializer(StatsRowSerializer):
    division = serializers.CharField(help_text="12-digit code; empty for events outside every village.")
    name = serializers.CharField()


class CategoryRowSerializer(StatsRowSerializer):
    category = serializers.CharField(help_text="The category's key.")
    name = serializers.CharField(help_text="In the request's language.")


# "label" is a field of the answer and an attribute of every serializer: declared as a mapping.
STATUS_ROW = inline_serializer(
    "EventStatsStatusRow",
    {
        **StatsRowSerializer().get_fields(),
        "state": serializers.CharField(),
        "label": serializers.CharField(help_text="Translated."),
    },
    many=True,
)


STATS = inline_serializer(
    "EventStats",
    {
        "division": inline_serializer(
            "EventStatsDivision",
            {
                "code": serializers.CharField(),
                "name": serializers.CharField(),
                "level": serializers.CharField(),
            },
            allow_null=True,
        ),
        "by": serializers.CharField(help_text="The level of the by_division rows (county, town, village)."),
        "category": serializers.CharField(allow_null=True),
        "since": serializers.DateField(allow_null=True),
        "until": serializers.DateField(allow_null=True),
        "steps": inline_serializer(
            "EventStatsStep", {"key": serializers.CharField(), "label": serializers.CharField()}, many=True
        ),
        "totals": StatsRowSerializer(),
        "by_division": DivisionRowSerializer(many=True),
        "by_category": CategoryRowSerializer(many=True),
        "by_status": STATUS_ROW,
    },
)


class EventStatsView(JsonOrXlsx, APIView):
    """事件统计: by division, category and status, for your area."""

    permission_classes = [MayReadEvents]

    @extend_schema(
        tags=["grid events"],
        summary="Event statistics of your area: counts, on-time rate, step medians; ?format=xlsx (audited).",
        description=stats.__doc__,
        parameters=[
            OpenApiParameter("division", str, description="12-digit code within your area."),
            OpenApiParameter("category", str, description="An event category's key."),
            OpenApiParameter("since", str, description="First date of report (YYYY-MM-DD), inclusive."),
            OpenApiParameter("until", str, description="Last date of report, inclusive."),
            OpenApiParameter("format", str, enum=["json", "xlsx"], description="xlsx: the workbook."),
        ],
        responses={200: STATS, (200, XLSX): bytes},
    )
    def get(self, request: Request) -> HttpResponse | Response:
        found = stats.statistics(request.user, request.query_params)
        if not self.wants_xlsx():
            return Response(found)
        return self.xlsx(
            title=_("事件统计"),
            header=stats.sheet_header(),
            rows=stats.sheet_rows(found),
            object_type="grid.stats",
            object_id=found["division"]["code"] if found["division"] else "",
            filename="event-stats",
        )
