"""The big-screen wall's numbers: headline figures per theme, month-by-month trends with 同比/环比,
the annual target, the heat map's points and the grid-event theme. Counts and sums only, each over
what the caller may read (a display token reads the layers the wall draws and nothing else)."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.gis.db.models.functions import PointOnSurface
from django.core.cache import cache
from django.db.models import CharField, Count, Exists, F, FloatField, Func, OuterRef, Q, QuerySet, Sum, Value
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotAuthenticated, PermissionDenied, ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from layers.models import Division, DivisionLevel, EventStatus, FieldPointCategory, ProjectStage, SupplyStatus
from layers.registry import LAYERS
from policy.actions import Action
from policy.drf import requires
from policy.predicates import may_watch_wall, read_filter, scope_key, visible
from policy.resources import GRID_EVENTS
from projects.models import Card, CountyTarget, Project
from projects.reports import introduced_by_month
from tiles.cache import versions

from . import trends

# --- the headline numbers -------------------------------------------------------------------------


def wall_summary(user: Any) -> dict[str, Any]:
    """The wall's headline numbers, by theme: ``carriers`` (available land by use), ``governance``
    (field points today, this week, by category this month, and their trend), ``projects`` (the
    funnel with its 黄/红 cards, signed projects and investment by month, and the year's target)."""

    def visible(layer: str) -> QuerySet:
        spec = LAYERS[layer]
        return spec.model.objects.filter(read_filter(user, spec))

    now = timezone.now()
    today = timezone.localdate(now)
    sites = visible("project_sites")
    counties = visible("divisions").filter(level=DivisionLevel.COUNTY).order_by("code")
    points = visible("field_points")
    return {
        "generated_at": now,
        **_projects(sites, counties, today),
        "field_points": _field_points(points, now),
        "carriers": _carriers(visible("parcels"), visible("buildings"), visible("parks")),
        "categories": list(FieldPointCategory.objects.values("key", "name_zh", "name_en").order_by("id")),
        "counties": [
            {
                "code": c.code,
                "name": c.name,
                "name_en": c.name_en,
                "point": [round(c.label.x, 5), round(c.label.y, 5)],
            }
            for c in counties.annotate(label=PointOnSurface("geom")).only("code", "name", "name_en")
        ],
    }


def _projects(sites: QuerySet, counties: QuerySet, today: date) -> dict[str, Any]:
    """The funnel (project sites by stage, with the 黄牌/红牌 of their live projects), the signed
    projects and investment month by month, and the year's target of the counties on the wall.
    A site names its project by code: counts and sums only, so the wall needs no right to read the
    projects themselves."""
    stages = dict(sites.values_list("stage").annotate(n=Count("id")).order_by())
    projects = Project.objects.filter(code__in=sites.values("project_code"))
    cards: dict[str, dict[str, int]] = {}
    warned = (
        projects.filter(ended_at__isnull=True, card__in=[Card.YELLOW, Card.RED])
        .values_list("stage", "card")
        .annotate(n=Count("id"))
        .order_by()
    )
    for stage, card, n in warned:
        cards.setdefault(stage, {})[card] = n
    signed = introduced_by_month(projects, trends.first_month_read(today))
    year = [v for month, v in signed.items() if month.year == today.year]
    targets = CountyTarget.objects.filter(year=today.year, division__in=counties).aggregate(
        projects=Sum("new_projects"), wan=Sum("investment_wan")
    )
    signed_n, signed_wan = sum(n for n, _wan in year), round(sum(wan for _n, wan in year), 2)
    target_wan = float(targets["wan"] or 0)
    return {
        "stages": [
            {
                "stage": value,
                "label": str(label),
                "count": stages.get(value, 0),
                "yellow": cards.get(value, {}).get(Card.YELLOW, 0),
                "red": cards.get(value, {}).get(Card.RED, 0),
            }
            for value, label in ProjectStage.choices
        ],
        "projects": sum(stages.values()),
        "signed": {
            "year": today.year,
            "projects": signed_n,
            "investment_wan": signed_wan,
            "by_month": trends.series({m: wan for m, (_n, wan) in signed.items()}, today),
        },
        "target": (
            {
                "year": today.year,
                "new_projects": targets["projects"] or 0,
                "investment_wan": round(target_wan, 2),
                "completion": round(signed_wan / target_wan, 4) if target_wan else None,
            }
            if targets["wan"] is not None
            else None
        ),
    }


def _field_points(points: QuerySet, now: datetime) -> dict[str, Any]:
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    month = midnight.replace(day=1)
    counts = points.aggregate(
        total=Count("id"),
        today=Count("id", filter=Q(reported_at__gte=midnight)),
        last_7d=Count("id", filter=Q(reported_at__gte=now - timedelta(days=7))),
        this_month=Count("id", filter=Q(reported_at__gte=month)),
    )
    by_category = (
        points.filter(reported_at__gte=month).values("category__key").annotate(n=Count("id")).order_by("-n")
    )
    return {
        **counts,
        "by_category": [{"key": r["category__key"], "count": r["n"]} for r in by_category],
        "by_month": trends.series(trends.counts_by_month(points, "reported_at", midnight.date())),
    }


def _carriers(parcels: QuerySet, buildings: QuerySet, parks: QuerySet) -> dict[str, Any]:
    available = SupplyStatus.AVAILABLE
    land = parcels.filter(supply_status=available)
    totals = land.aggregate(n=Count("id"), mu=Sum("area_mu"))
    free = buildings.filter(supply_status=available).aggregate(n=Count("id"), vacant=Sum("vacant_area_m2"))
    by_use = land.values("land_use").annotate(n=Count("id"), mu=Sum("area_mu")).order_by("-mu")
    return {
        "parcels_available": totals["n"],
        "parcels_available_mu": round(totals["mu"] or 0, 1),
        "buildings_available": free["n"],
        "buildings_vacant_m2": round(free["vacant"] or 0, 1),
        "parks": parks.count(),
        "by_land_use": [
            {"land_use": r["land_use"], "count": r["n"], "area_mu": round(r["mu"] or 0, 1)} for r in by_use
        ],
    }


class MayWatchWall(BasePermission):
    """The wall's data: for the display token and the staff who may read field points and projects."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not request.user.is_authenticated:
            raise NotAuthenticated()
        if not may_watch_wall(request.user):
            raise PermissionDenied(
                _("The wall's numbers are for the display, leaders, officers and administrators.")
            )
        return True


WALL_SUMMARY_LAYERS = ["project_sites", "field_points", "parcels", "buildings", "parks"]


class WallSummaryView(APIView):
    """Headline numbers for the big-screen wall: project funnel, field points, available carriers."""

    permission_classes = [MayWatchWall]

    @extend_schema(
        tags=["web"],
        summary="Project sites per stage, field-point counts, available carriers.",
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request) -> Response:
        # Keyed by the layers' data versions too (tiles.cache), so an edit shows at once.
        data_versions = versions(WALL_SUMMARY_LAYERS)
        digest = hashlib.sha256(json.dumps(data_versions, sort_keys=True).encode()).hexdigest()[:16]
        scope = ",".join(scope_key(request.user, layer) for layer in WALL_SUMMARY_LAYERS)
        key = f"web:wall-summary:{hashlib.sha256(scope.encode()).hexdigest()[:16]}:{digest}"
        data = cache.get(key)
        if data is None:
            data = wall_summary(request.user)
            cache.set(key, data, timeout=15)
        return Response(data)


class WallPointsView(APIView):
    """Recent field points as bare [lon, lat] pairs: the wall's heat map, without GeoJSON's weight."""

    permission_classes = [MayWatchWall]

    @extend_schema(
        tags=["web"],
        summary="Field points of the last N days as [lon, lat] pairs, newest first (for heat maps).",
        parameters=[
            OpenApiParameter("days", int, description="1–365, default 30."),
            OpenApiParameter("limit", int, description="1–20000, default 5000."),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request) -> Response:
        try:
            days = min(365, max(1, int(request.query_params.get("days", 30))))
            limit = min(20000, max(1, int(request.query_params.get("limit", 5000))))
        except ValueError:
            raise ValidationError({"days": [_("days and limit are whole numbers.")]}) from None
        spec = LAYERS["field_points"]
        since = timezone.now() - timedelta(days=days)
        rows = (
            spec.model.objects.filter(read_filter(request.user, spec), reported_at__gte=since)
            .order_by("-reported_at")
            .annotate(
                x=Func(F("geom"), function="ST_X", output_field=FloatField()),
                y=Func(F("geom"), function="ST_Y", output_field=FloatField()),
            )
            .values_list("x", "y")[:limit]
        )
        points = [[round(x, 5), round(y, 5)] for x, y in rows]
        return Response({"days": days, "count": len(points), "points": points})


# --- the wall's event theme -----------------------------------------------------------------------

WALL_EVENT_POINTS = 5000
WALL_EVENT_ALERTS = 30
WALL_EVENT_RECENT = 12
MayReadEvents = requires(
    GRID_EVENTS,
    {"*": Action.READ},
    {Action.READ: _lazy("The wall's events are for the display, leaders and staff of their area.")},
)


def _lon_lat(events: QuerySet) -> QuerySet:
    return events.annotate(
        x=Func(F("geom"), function="ST_X", output_field=FloatField()),
        y=Func(F("geom"), function="ST_Y", output_field=FloatField()),
    )


def wall_events(user: Any) -> dict[str, Any]:
    """The open grid events of the caller's area by status and by county, the late and escalated
    ones, the newest, and every open one as a point. *Late* is ``grid.stats``' overdue: past due in
    the state the event is in now."""
    from grid.models import EventWarning
    from grid.stats import OPEN_STATES

    events = visible(user, GRID_EVENTS)
    late = EventWarning.objects.filter(
        event=OuterRef("pk"), kind="overdue", state_entered_at=OuterRef("state_entered_at")
    )
    open_events = events.filter(state__in=OPEN_STATES).annotate(late=Exists(late))
    by_state = dict(open_events.values_list("state").annotate(n=Count("id")).order_by())
    county = Func(F("division_code"), Value(6), function="left", output_field=CharField())
    counties = (
        open_events.annotate(county=county)
        .values("county")
        .annotate(open=Count("id"), overdue=Count("id", filter=Q(late=True)))
        .order_by("county")
    )
    fields = ("id", "code", "title", "x", "y", "state", "escalation", "due_on", "division_code", "created_at")
    alerts = list(
        _lon_lat(open_events.filter(Q(late=True) | Q(escalation__gt=0)))
        .order_by("-escalation", F("due_on").asc(nulls_last=True), "id")
        .values(*fields, "late")[:WALL_EVENT_ALERTS]
    )
    recent = list(_lon_lat(events).order_by("-created_at", "-id").values(*fields)[:WALL_EVENT_RECENT])
    codes = {r["division_code"] for r in [*alerts, *recent]} | {c["county"].ljust(12, "0") for c in counties}
    named = Division.objects.filter(code__in=codes)
    names = dict(named.values_list("code", "name"))
    english = dict(named.values_list("code", "name_en"))
    points = _lon_lat(open_events).values_list("x", "y", "state", "late")[:WALL_EVENT_POINTS]

    def event(row: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": row["id"],
            "code": row["code"],
            "title": row["title"],
            "lon": round(row["x"], 6),
            "lat": round(row["y"], 6),
            "state": row["state"],
            "overdue": bool(row.get("late", False)),
            "escalation": row["escalation"],
            "due_on": row["due_on"],
            "division_code": row["division_code"],
            "division_name": names.get(row["division_code"], ""),
            "created_at": row["created_at"],
        }

    return {
        "generated_at": timezone.now(),
        "open": sum(by_state.values()),
        "overdue": open_events.filter(late=True).count(),
        "escalated": open_events.filter(escalation__gt=0).count(),
        "by_status": [
            {"state": value, "label": str(EventStatus(value).label), "count": by_state.get(value, 0)}
            for value in OPEN_STATES
        ],
        "by_county": [
            {
                "code": c["county"].ljust(12, "0") if c["county"] else "",
                "name": names.get(c["county"].ljust(12, "0"), ""),
                "name_en": english.get(c["county"].ljust(12, "0"), ""),
                "open": c["open"],
                "overdue": c["overdue"],
            }
            for c in counties
        ],
        "by_month": trends.series(trends.counts_by_month(events, "created_at")),
        "alerts": [event(r) for r in alerts],
        "recent": [event(r) for r in recent],
        "points": [[round(x, 5), round(y, 5), state, int(is_late)] for x, y, state, is_late in points],
    }


class WallEventsView(APIView):
    """The wall's event theme: open grid events by status and county, the late and escalated ones
    (blinking on the map), the newest, and every open one as a point coloured by status."""

    permission_classes = [MayWatchWall, MayReadEvents]

    @extend_schema(
        tags=["web"],
        summary="Open grid events by status and county, overdue/escalated ones, newest, points [lon, lat, "
        "state, overdue 0/1].",
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request) -> Response:
        return Response(wall_events(request.user))
