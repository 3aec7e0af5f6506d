"""``/api/events/``: grid events of your area and those dispatched to you, and their steps.

- ``GET /api/events/`` (filter ``state``, ``category``, ``urgent``); ``POST`` reports one:
  ``category`` (key), ``title``, ``lon``/``lat``, ``description``, ``urgent``, ``uuid`` (the
  client's id: the same report sent again is the event already opened, a 200), or
  ``field_point`` (上报为事件: the point's place, note and photos);
- ``POST /api/events/<id>/actions/<step>/`` with ``comment``, ``department`` / ``handler`` (ids,
  dispatch), ``feedback`` and ``photos``, ``score``: the steps of ``grid.workflow``; a step the
  state does not allow is a 409 listing those that do, a dispatch outside your area a 403;
- ``GET /api/events/<id>/timeline/``;
- ``/api/events/categories/`` (officers keep them; a bad deadline configuration is a 400 naming
  the field) and ``GET /api/events/departments/`` (those of your area).
"""

from __future__ import annotations

import copy
import json
import uuid as uuidlib
from typing import Any, cast

from django.contrib.gis.db.models.functions import AsGeoJSON
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from core.names import person_name
from core.refusals import answered
from layers.models import FieldPoint
from policy.actions import Action
from policy.drf import requires
from policy.predicates import (
    dispatch_people,
    may_report_event,
    read_filter,
    visible_departments,
    visible_events,
)
from policy.resources import EVENT_CONFIG, GRID_EVENTS

from . import workflow
from .duplicates import suspected_duplicates
from .listing import filter_events
from .models import Department, EventAction, EventCategory, GridEvent
from .opening import from_field_point, open_event

MayEvents = requires(
    GRID_EVENTS,
    {"*": Action.READ, "POST": Action.READ},
    {Action.READ: _("Grid events are for grid workers, staff and leaders of their area.")},
)


class GridEventSerializer(serializers.ModelSerializer):
    category: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="key", read_only=True)
    category_name = serializers.CharField(source="category.label", read_only=True)
    reporter_name = serializers.SerializerMethodField()
    department_name = serializers.CharField(source="department.name", default="", read_only=True)
    handler_name = serializers.SerializerMethodField()
    lon = serializers.SerializerMethodField()
    lat = serializers.SerializerMethodField()
    steps = serializers.SerializerMethodField(help_text="The steps the caller may take now.")

    class Meta:
        model = GridEvent
        fields = (
            "id",
            "code",
            "uuid",
            "category",
            "category_name",
            "title",
            "description",
            "photos",
            "lon",
            "lat",
            "division_code",
            "grid_cell",
            "source",
            "field_point",
            "urgent",
            "state",
            "state_entered_at",
            "reporter",
            "reporter_name",
            "department",
            "department_name",
            "handler",
            "handler_name",
            "due_on",
            "card",
            "escalation",
            "feedback",
            "feedback_photos",
            "score",
            "version",
            "created_at",
            "closed_at",
            "merged_into",
            "steps",
        )
        read_only_fields = fields

    def get_reporter_name(self, event: GridEvent) -> str:
        return person_name(event.reporter)

    def get_handler_name(self, event: GridEvent) -> str:
        return person_name(event.handler)

    def get_lon(self, event: GridEvent) -> float:
        return round(event.geom.x, 6)

    def get_lat(self, event: GridEvent) -> float:
        return round(event.geom.y, 6)

    def get_steps(self, event: GridEvent) -> list[str]:
        return workflow.available(event, self.context["request"].user)


class ReportSerializer(serializers.Serializer):
    category = serializers.SlugRelatedField(
        slug_field="key", queryset=EventCategory.objects.filter(active=True), required=False
    )
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    lon = serializers.FloatField(required=False, min_value=-180, max_value=180)
    lat = serializers.FloatField(required=False, min_value=-90, max_value=90)
    urgent = serializers.BooleanField(required=False, default=False)
    uuid = serializers.UUIDField(required=False)
    field_point = serializers.IntegerField(required=False)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if data.get("field_point") is None:
            missing = [name for name in ("category", "title", "lon", "lat") if data.get(name) in (None, "")]
            if missing:
                raise ValidationError(
                    {name: [_("Required unless you report a field point.")] for name in missing}
                )
        return data


class EventStepSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username", default="", read_only=True)

    class Meta:
        model = EventAction
        fields = ("at", "user", "step", "from_state", "to_state", "comment", "department", "handler")


class EventPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


# The map draws points, not clusters: past this many the desk asks for a smaller area.
MAP_LIMIT = 5000


@extend_schema(tags=["grid events"])
class GridEventViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """网格事件: of your area (本级及下级) and those dispatched to you."""

    serializer_class = GridEventSerializer
    permission_classes = [MayEvents]
    pagination_class = EventPagination
    queryset = GridEvent.objects.none()
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> QuerySet[GridEvent]:
        events = visible_events(self.request.user)
        if self.action in ("list", "map"):
            events = filter_events(events, self.request.query_params, self.request.user)
        return events.select_related(
            "category", "department", "field_point", "reporter", "handler"
        ).prefetch_related("department__members")

    @extend_schema(
        summary="The events of the list's filters as GeoJSON points, for the map (at most 5,000).",
        responses={200: OpenApiResponse(description="A GeoJSON FeatureCollection.")},
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def map(self, request: Request) -> Response:
        rows = (
            filter_events(visible_events(request.user), request.query_params, request.user)
            .annotate(shape=AsGeoJSON("geom", precision=6))
            .values("id", "code", "title", "state", "card", "urgent", "escalation", "category__key", "shape")[
                :MAP_LIMIT
            ]
        )
        features = [
            {
                "type": "Feature",
                "id": row["id"],
                "geometry": json.loads(row.pop("shape")),
                "properties": {**row, "category": row.pop("category__key")},
            }
            for row in rows
        ]
        return Response({"type": "FeatureCollection", "features": features})

    @extend_schema(
        summary="Open events of the same category reported nearby about the same time (疑似重复).",
        responses=GridEventSerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def duplicates(self, request: Request, pk: str | None = None) -> Response:
        event = self.get_object()
        found = suspected_duplicates(event, visible_events(request.user)).select_related(
            "category", "department", "reporter", "handler"
        )
        return Response(self.get_serializer(found, many=True).data)

    @extend_schema(request=ReportSerializer, responses={201: GridEventSerializer, 200: GridEventSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = ReportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        user: Any = request.user
        if data.get("field_point") is not None:
            point = FieldPoint.objects.filter(
                read_filter(user, "field_points"), pk=data["field_point"]
            ).first()
            if point is None:
                raise ValidationError({"field_point": [_("No such field point in your area.")]})
            try:
                event, created = from_field_point(point, data.get("category"))
            except LookupError:
                raise ValidationError(
                    {"category": [_("Choose the event category for this field point.")]}
                ) from None
        else:
            geom = Point(data["lon"], data["lat"], srid=4326)
            draft = GridEvent(geom=geom, reporter=user)
            draft.locate()
            if not may_report_event(user, draft):
                raise PermissionDenied(_("You may report events only in your own area."))
            event, created = open_event(
                reporter=user,
                category=data["category"],
                title=data["title"],
                geom=geom,
                description=data.get("description", ""),
                urgent=data.get("urgent", False),
                client_uuid=cast(uuidlib.UUID | None, data.get("uuid")),
            )
        return Response(
            self.get_serializer(event).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    @extend_schema(summary="The event's timeline of steps.", responses=EventStepSerializer(many=True))
    @action(detail=True, methods=["get"])
    def timeline(self, request: Request, pk: str | None = None) -> Response:
        return Response(EventStepSerializer(self.get_object().actions.select_related("user"), many=True).data)

    @extend_schema(
        summary="Take a step of grid.workflow.STEPS (accept, dispatch, feedback, verify, close, ...).",
        request=inline_serializer(
            "EventStep",
            {
                "comment": serializers.CharField(required=False),
                "department": serializers.IntegerField(required=False),
                "handler": serializers.IntegerField(required=False),
                "feedback": serializers.CharField(required=False),
                "photos": serializers.ListField(child=serializers.CharField(), required=False),
                "score": serializers.IntegerField(required=False),
                "into": serializers.IntegerField(required=False, help_text="merge: the event kept."),
            },
        ),
        responses={
            200: GridEventSerializer,
            400: OpenApiResponse(description="Missing input, named."),
            403: OpenApiResponse(description="Not your step, or a dispatch outside your area."),
            409: OpenApiResponse(description="Not allowed now (error.allowed lists what is)."),
        },
    )
    @action(detail=True, methods=["post"], url_path=r"actions/(?P<step>\w+)")
    def act(self, request: Request, pk: str | None = None, step: str = "") -> Response:
        event = self.get_object()
        data = request.data if isinstance(request.data, dict) else {}
        with answered():
            event = workflow.take(event, request.user, step, data)
        return Response(self.get_serializer(event).data)


MayConfigure = requires(
    EVENT_CONFIG,
    {"*": Action.READ, "POST": Action.CREATE, "PATCH": Action.UPDATE, "PUT": Action.UPDATE},
    {Action.READ: _("Event categories and departments are for staff and leaders.")},
)


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = EventCategory
        fields = (
            "id",
            "key",
            "name_zh",
            "name_en",
            "opens_from",
            "deadlines",
            "urgent_deadlines",
            "escalate_after_days",
            "duplicate_radius_m",
            "duplicate_hours",
            "active",
        )

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        """The model's own check of the deadlines, over the category as it would be saved."""
        draft = EventCategory() if self.instance is None else copy.copy(self.instance)
        for name, value in data.items():
            if name != "opens_from":
                setattr(draft, name, value)
        try:
            draft.clean()
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
        return data


@extend_schema(tags=["grid events"])
class EventCategoryViewSet(viewsets.ModelViewSet):
    """事件类别: the time limit of each step, the urgent channel, escalation and duplicates."""

    serializer_class = CategorySerializer
    permission_classes = [MayConfigure]
    queryset = EventCategory.objects.order_by("key")
    pagination_class = None
    http_method_names = ["get", "post", "patch", "head", "options"]


class DepartmentSerializer(serializers.ModelSerializer):
    division_code = serializers.CharField(source="division.code", read_only=True)

    class Meta:
        model = Department
        fields = ("id", "name", "division", "division_code", "is_control_centre")


@extend_schema(tags=["grid events"])
class DepartmentViewSet(viewsets.ReadOnlyModelViewSet):
    """部门 of your area, the targets you may dispatch to."""

    serializer_class = DepartmentSerializer
    permission_classes = [MayConfigure]
    queryset = Department.objects.none()
    pagination_class = None

    def get_queryset(self) -> QuerySet[Department]:
        return visible_departments(self.request.user).order_by("division__code", "name")


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.SerializerMethodField()
    role = serializers.CharField()
    place = serializers.SerializerMethodField(help_text="The division or grid cell they are bound to.")

    def get_name(self, user: Any) -> str:
        return person_name(user)

    def get_place(self, user: Any) -> str:
        bound = user.division or user.grid_cell
        return bound.name if bound is not None else ""


@extend_schema(tags=["grid events"])
class PersonViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The people you may dispatch an event to by name (grid workers and staff of your area)."""

    serializer_class = PersonSerializer
    permission_classes = [MayConfigure]
    queryset = Department.objects.none()
    pagination_class = None

    def get_queryset(self) -> QuerySet[Any]:
        return (
            dispatch_people(self.request.user)
            .select_related("division", "grid_cell")
            .order_by("role", "last_name", "first_name", "username")
        )
