"""The public investment map (``/``), the big-screen wall (``/wall/``) and the small read APIs the
two pages need beyond the layer, tile and spatial APIs: search, wall summary and the live stream."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import CharField, Count, Exists, F, FloatField, Func, OuterRef, Q, QuerySet, Sum, Value
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotAuthenticated, PermissionDenied, ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.auth import issue_ticket, refused, url_token, with_viewer
from layers.models import Division, DivisionLevel, EventStatus, FieldPointCategory, ProjectStage, SupplyStatus
from layers.registry import LAYERS
from policy.actions import Action
from policy.drf import requires
from policy.predicates import may, may_carry_url_token, may_watch_wall, read_filter, scope_key, visible
from policy.resources import GRID_EVENTS
from projects.models import Card, Project
from tiles.cache import versions
from tiles.style import city_bounds

from . import stream
from .language import page_language, short_lang, with_language_cookie
from .search import DEFAULT_LIMIT, LAYER_SEARCH, MAX_LIMIT, search

WALL_ROTATE_DEFAULT = 30


# --- pages ----------------------------------------------------------------------------------------


@ensure_csrf_cookie
def investment_map(request: HttpRequest) -> HttpResponse:
    code, explicit = page_language(request)
    config = {
        "lang": short_lang(code),
        "styleUrl": reverse("tile-style"),
        "mediaUrl": settings.MEDIA_URL,
        "pannellum": {
            "js": static("vendor/pannellum/pannellum.js"),
            "css": static("vendor/pannellum/pannellum.css"),
        },
    }
    response = render(request, "web/map.html", {"config": config, "lang": config["lang"]})
    return with_language_cookie(response, code, explicit)


def privacy_notice(request: HttpRequest) -> HttpResponse:
    """The investors' privacy notice, which the expression-of-interest form's consent links to. It
    says the contact details are stored encrypted only when they are (``NATIONAL_CRYPTO``)."""
    code, explicit = page_language(request)
    page = render(request, "web/privacy.html", {"encrypted": settings.NATIONAL_CRYPTO})
    return with_language_cookie(page, code, explicit)


def _bounded(raw: str | None, cast: type, low: float, high: float, default: Any) -> Any:
    """A number from the query string, clamped to [low, high]; ``default`` when absent or not a number."""
    try:
        return min(high, max(low, cast(raw))) if raw else default
    except ValueError:
        return default


@never_cache
def wall(request: HttpRequest) -> HttpResponse:
    """The big-screen wall. ``?token=`` a display token; ``?rotate=`` seconds per theme (5–3600);
    ``?pixelratio=`` the map's drawing resolution (0.25–2; by default the screen's, or half on a
    4K screen that has no GPU, see frontend/src/wall/main.js)."""
    code, explicit = page_language(request)
    lang = short_lang(code)
    key = request.GET.get("token", "")
    config: dict[str, Any] = {
        "lang": lang,
        "rotate": _bounded(request.GET.get("rotate"), int, 5, 3600, WALL_ROTATE_DEFAULT),
        "pixelRatio": _bounded(request.GET.get("pixelratio"), float, 0.25, 2, None),
        "stream": reverse("web:stream-field-points"),
        "bounds": city_bounds(),  # in the page, so the map starts without a round trip
        "chartsJs": static("web/wall-charts.js"),
    }
    if key:
        token = url_token(key)
        user = token.user if token is not None else None
        if token is None or not may_carry_url_token(user):
            # A token on a wall's URL is visible to anyone in the room: only display tokens, which
            # open nothing but the wall (policy.predicates.may_use_display_token).
            return render(request, "web/wall_denied.html", {"lang": lang, "reason": "token"}, status=403)
        # The page's scripts send the token as a header (tiles, the wall's numbers) and the ticket
        # on the stream's URL; neither reaches the rest of the API.
        config.update(token=key, ticket=issue_ticket(token))
    elif request.user.is_authenticated and may_watch_wall(request.user):
        config.update(token=None, ticket=None)
    else:
        return render(request, "web/wall_denied.html", {"lang": lang, "reason": "login"}, status=403)
    viewer = user if key else request.user  # named in the 看数水印 (web/watermark_meta.html)
    response = render(request, "web/wall.html", {"config": config, "lang": lang, "viewer": viewer})
    response["Referrer-Policy"] = "no-referrer"
    return with_language_cookie(response, code, explicit)


# --- search ---------------------------------------------------------------------------------------


class SearchView(APIView):
    """Divisions, parks, carriers, amenities and places by name, code, address or category, in one
    ranked list of what you may see (``web.search``)."""

    @extend_schema(
        tags=["web"],
        summary=(
            "Search divisions, parks, parcels, buildings, amenities and places: exact and prefix matches "
            "first, places before carriers before amenities."
        ),
        parameters=[
            OpenApiParameter(
                "q", str, description="At least one character; matched anywhere, case-insensitive."
            ),
            OpenApiParameter("layers", str, description="Comma-separated subset of the searched layers."),
            OpenApiParameter(
                "limit", int, description=f"Hits in all (1–{MAX_LIMIT}, default {DEFAULT_LIMIT}), best first."
            ),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request) -> Response:
        q = (request.query_params.get("q") or "").strip()
        if not q or len(q) > 60:
            raise ValidationError({"q": [_("give one to 60 characters to search for.")]})
        wanted = [n for n in (request.query_params.get("layers") or ",".join(LAYER_SEARCH)).split(",") if n]
        unknown = [n for n in wanted if n not in LAYER_SEARCH]
        if unknown:
            raise ValidationError(
                {
                    "layers": [
                        _("cannot search %(bad)s; use: %(ok)s.")
                        % {"bad": ", ".join(unknown), "ok": ", ".join(LAYER_SEARCH)}
                    ]
                }
            )
        try:
            limit = min(MAX_LIMIT, max(1, int(request.query_params.get("limit", DEFAULT_LIMIT))))
        except ValueError:
            raise ValidationError({"limit": [_("limit is a whole number from 1 to 20.")]}) from None
        results = search(request.user, q, wanted, limit)
        return Response({"q": q, "count": len(results), "results": results})


# --- the wall's numbers -------------------------------------------------------------------------


def wall_summary(user: Any) -> dict[str, Any]:
    def visible(layer: str):
        spec = LAYERS[layer]
        return spec.model.objects.filter(read_filter(user, spec))

    stages = dict(visible("project_sites").values_list("stage").annotate(n=Count("id")).order_by())
    # 黄牌 / 红牌 by stage, of the live projects whose sites the wall shows (a site names its
    # project by code): counts only, so the wall needs no right to read the projects themselves.
    cards: dict[str, dict[str, int]] = {}
    warned = (
        Project.objects.filter(
            ended_at__isnull=True,
            card__in=[Card.YELLOW, Card.RED],
            code__in=visible("project_sites").values("project_code"),
        )
        .values_list("stage", "card")
        .annotate(n=Count("id"))
        .order_by()
    )
    for stage, card, n in warned:
        cards.setdefault(stage, {})[card] = n
    now = timezone.now()
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    points = visible("field_points").aggregate(
        total=Count("id"),
        today=Count("id", filter=Q(reported_at__gte=midnight)),
        last_7d=Count("id", filter=Q(reported_at__gte=now - timedelta(days=7))),
    )
    available = SupplyStatus.AVAILABLE
    parcels = visible("parcels").filter(supply_status=available).aggregate(n=Count("id"), mu=Sum("area_mu"))
    buildings = (
        visible("buildings")
        .filter(supply_status=available)
        .aggregate(n=Count("id"), vacant=Sum("vacant_area_m2"))
    )
    return {
        "generated_at": now,
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
        "field_points": points,
        "carriers": {
            "parcels_available": parcels["n"],
            "parcels_available_mu": round(parcels["mu"] or 0, 1),
            "buildings_available": buildings["n"],
            "buildings_vacant_m2": round(buildings["vacant"] or 0, 1),
            "parks": visible("parks").count(),
        },
        "categories": list(FieldPointCategory.objects.values("key", "name_zh", "name_en").order_by("id")),
        "counties": list(
            visible("divisions").filter(level=DivisionLevel.COUNTY).order_by("code").values("code", "name")
        ),
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
    names = dict(Division.objects.filter(code__in=codes).values_list("code", "name"))
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
                "open": c["open"],
                "overdue": c["overdue"],
            }
            for c in counties
        ],
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


# --- the live stream ------------------------------------------------------------------------------


@with_viewer
def field_point_stream(request: HttpRequest, *, viewer: Any) -> HttpResponse:
    """``text/event-stream`` of new field points (see ``web.stream``)."""
    if not may(viewer, "field_points", Action.READ):
        return refused(viewer, _("The live feed is for staff who may see field points."))
    raw = request.headers.get("Last-Event-ID") or request.GET.get("last_event_id") or ""
    last = int(raw) if raw.isdigit() else None
    response = StreamingHttpResponse(
        stream.events(stream.field_points(viewer), last), content_type="text/event-stream; charset=utf-8"
    )
    response["Cache-Control"] = "no-cache, no-transform"
    response["X-Accel-Buffering"] = "no"
    return response
