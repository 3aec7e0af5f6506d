"""The public investment map (``/``), the big-screen wall's page (``/wall/``; its numbers are
``web.wall``'s), the privacy notice, search and the live stream of field points."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.auth import issue_ticket, refused, url_token, with_viewer
from policy.actions import Action
from policy.predicates import industry_targets_prefix, may, may_carry_url_token, may_watch_wall
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
        "styleUrl": f"{reverse('tile-style')}?lang={short_lang(code)}",
        "mediaUrl": settings.MEDIA_URL,
        # Whether the industry theme lists the counties' missing chain links (招商靶向) too.
        "industryTargets": industry_targets_prefix(request.user) is not None,
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
