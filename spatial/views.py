"""The spatial functions of SPEC section 4 as an API: locate, judge, query, nearby, roll-up, overlay
checks and site matching. Every read goes through the caller's ``read_filter``."""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
from django.contrib.gis.geos import GEOSGeometry
from django.db import transaction
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_gis.fields import GeometryField
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from core.signals import finding_verified
from jobs.runner import enqueue
from layers.api.filters import ordering
from layers.api.serializers import build_serializer
from layers.api.views import FeaturePagination
from layers.crs import STORAGE_CRS
from layers.geometry import to_geojson
from layers.models import MU_M2, Division, DivisionLevel
from layers.registry import LAYERS
from policy.actions import Action
from policy.drf import requires
from policy.predicates import can_review_finding, can_run_check, visible
from policy.resources import OVERLAY_CHECKS

from . import matching, queries, shapes
from . import serializers as s
from .models import Finding, OverlayCheck, Verdict

TAGS = ["spatial"]
OUTPUT_CRS = OpenApiParameter(
    "crs", str, description="Output CRS: EPSG:4326 (default), EPSG:4490 or EPSG:3857."
)
PAGE = [
    OpenApiParameter("page", int, description="Page number, from 1."),
    OpenApiParameter("page_size", int, description="Features per page."),
]
ERROR_400 = OpenApiResponse(description='Bad input: {"error": {"code", "message", "fields": {name: [why]}}}.')


@cache
def feature_serializer(layer: str):
    return build_serializer(LAYERS[layer])


def _body(request: Request) -> dict[str, Any]:
    if not isinstance(request.data, dict):
        raise ValidationError({"non_field_errors": [_("send a JSON object.")]})
    return request.data


def _valid(serializer_class, data) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# --- locate --------------------------------------------------------------------------------------


class LocateView(APIView):
    """点与辖区: what contains a point."""

    renderer_classes = [JSONRenderer]  # the hottest endpoint: no browsable-API negotiation

    @extend_schema(
        tags=TAGS,
        summary="Divisions (city > county > town > village), park, parcel, building, grid cell at a point.",
        parameters=[s.LocateParams],
        responses={200: s.LocateResponseSerializer, 400: ERROR_400},
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        where = shapes.point(params.get("lon"), params.get("lat"), shapes.input_crs(params.get("crs")))
        return Response(
            {"point": {"lon": where.x, "lat": where.y}, **queries.locate(request.user, where.x, where.y)}
        )


# --- judge ---------------------------------------------------------------------------------------


class JudgeView(APIView):
    """空间判断: is a point inside a circle, rectangle, polygon, buffer or division?"""

    @extend_schema(
        tags=TAGS,
        summary="Whether a point is inside a circle (metres), rectangle, polygon, line buffer or division.",
        request=s.JudgeRequestSerializer,
        responses={200: s.JudgeResponseSerializer, 400: ERROR_400},
    )
    def post(self, request: Request) -> Response:
        body = _body(request)
        _valid(s.JudgeRequestSerializer, body)
        crs = shapes.input_crs(body.get("crs"))
        where = shapes.point(body.get("lon"), body.get("lat"), crs)
        shape = shapes.shape(body, request.user, crs)
        verdict = shape.judge(where)
        data: dict[str, Any] = {
            "inside": verdict.inside,
            "distance_m": round(verdict.distance_m, 3),
            "point": {"lon": where.x, "lat": where.y},
            "shape": shape.describe(STORAGE_CRS),
        }
        if verdict.center_distance_m is not None:
            data["center_distance_m"] = round(verdict.center_distance_m, 3)
        if shape.warnings:
            data["warnings"] = list(shape.warnings)
        return Response(data)


# --- shape query ---------------------------------------------------------------------------------


class QueryView(APIView):
    """空间查询: features of a layer inside a shape, with attribute filters, as paged GeoJSON."""

    @extend_schema(
        tags=TAGS,
        summary="Features of one layer in a polygon, circle, rectangle, line buffer or division (paged).",
        description="Repeat the same body on the `next` URL for the next page.",
        request=s.QueryRequestSerializer,
        parameters=[OUTPUT_CRS, *PAGE],
        responses={200: s.QueryResponseSerializer, 400: ERROR_400},
    )
    def post(self, request: Request) -> Response:
        body = _body(request)
        data = _valid(s.QueryRequestSerializer, body)
        spec = LAYERS[data["layer"]]
        crs = shapes.input_crs(body.get("crs"))
        out = shapes.response_crs(request.query_params.get("crs"))
        shape = shapes.shape(body, request.user, crs)
        attrs = shapes.filters(spec, body.get("filters"))
        qs = (
            queries.visible(request.user, spec)
            .filter(shape.q())
            .filter(attrs)
            .order_by(*ordering(spec, data.get("ordering")))
        )
        paginator = FeaturePagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        features = feature_serializer(spec.name)(
            page, many=True, context={"request": request, "output_crs": out}
        )
        response = paginator.get_paginated_response(features.data)
        response.data = {"layer": spec.name, "shape": shape.describe(STORAGE_CRS), **response.data}
        if shape.warnings:
            response.data["warnings"] = list(shape.warnings)
        return response


# --- nearby --------------------------------------------------------------------------------------


class NearbyView(APIView):
    """周边查询: the nearest features of a layer, with geodesic distances."""

    @extend_schema(
        tags=TAGS,
        summary="The N nearest features of a layer within R metres of a point or feature (index KNN).",
        description="Other query parameters are attribute filters of the layer, e.g. category=highway_exit.",
        parameters=[s.NearbyParams],
        responses={200: s.NearbyResponseSerializer, 400: ERROR_400},
    )
    def get(self, request: Request) -> Response:
        p = request.query_params
        spec = shapes.layer(p.get("layer"))
        out = shapes.response_crs(p.get("out_crs"))
        ask = shapes.nearby_ask(spec, p, request.user)
        radius, limit, described = ask.radius, ask.limit, ask.described
        found = queries.nearby(request.user, spec, ask.origin, radius, limit, ask.extra, ask.exclude)
        records = queries.visible(request.user, spec).in_bulk([rid for rid, _d in found.rows])
        ordered = [records[rid] for rid, _d in found.rows]
        context = {"request": request, "output_crs": out}
        features = feature_serializer(spec.name)(ordered, many=True, context=context).data["features"]
        for feature, (_rid, metres) in zip(features, found.rows, strict=True):
            feature["properties"]["distance_m"] = round(metres, 2)
        return Response(
            {
                "type": "FeatureCollection",
                "layer": spec.name,
                "origin": described,
                "radius_m": radius,
                "limit": limit,
                "count": len(features),
                "more": found.more,
                "features": features,
            }
        )


# --- roll-ups ------------------------------------------------------------------------------------


class RollupView(APIView):
    """统计汇总: counts, areas and sums per division or grid cell."""

    @extend_schema(
        tags=TAGS,
        summary="Counts, geodesic areas (m², mu) and sums per division at a level, or per grid cell.",
        description="Other query parameters are attribute filters of the layer, e.g. land_use=industrial.",
        parameters=[s.RollupParams],
        responses={200: s.RollupResponseSerializer, 400: ERROR_400},
    )
    def get(self, request: Request) -> Response:
        p = request.query_params
        spec = shapes.layer(p.get("layer"))
        ask = shapes.rollup_ask(spec, p, request.user)
        level, within, sums = ask.level, ask.within, ask.sums
        result = queries.rollup(request.user, spec, level, within, ask.extra, sums)
        if not result.pop("has_area"):
            for row in [*result["rows"], result["unassigned"] or {}, result["total"]]:
                row.pop("area_m2", None)
                row.pop("area_mu", None)
        return Response(
            {
                "layer": spec.name,
                "level": level,
                "division": {"code": within.code, "name": within.name, "level": within.level}
                if within
                else None,
                "sums": sums,
                **result,
            }
        )


# --- overlay checks ------------------------------------------------------------------------------


class FindingGeometryField(GeometryField):
    def to_representation(self, value):
        return to_geojson(value, self.context.get("output_crs", STORAGE_CRS))


class FindingFeatureSerializer(GeoFeatureModelSerializer):
    check = serializers.IntegerField(source="check_run_id", read_only=True)
    reviewed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    geom = FindingGeometryField(read_only=True)

    class Meta:
        model = Finding
        geo_field = "geom"
        id_field = "id"
        fields = ["id", "geom", *s.FindingPropertiesSerializer.Meta.fields]


class CheckPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


CheckPermission = requires(
    OVERLAY_CHECKS,
    {"GET": Action.READ, "POST": Action.CREATE, "PATCH": Action.REVIEW},
    {
        Action.READ: _lazy("Overlay checks are for investment officers, leaders and administrators."),
        Action.CREATE: _lazy("Only investment officers and administrators may start overlay checks."),
        Action.REVIEW: _lazy("Only investment officers and administrators may review findings."),
    },
)


def _checks_for(user: Any):
    return visible(user, OVERLAY_CHECKS).select_related("division", "requested_by")


def _with_verdicts(qs):
    counts = {f"n_{v}": Count("findings", filter=Q(findings__verdict=v)) for v in Verdict.values}
    return qs.annotate(**counts).order_by("-created_at", "-id")


def _attach_verdicts(checks) -> None:
    for check in checks:
        check.verdict_counts = {v: getattr(check, f"n_{v}", 0) for v in Verdict.values}


def _findings_page(request: Request, view: APIView, check: OverlayCheck) -> dict[str, Any]:
    out = shapes.response_crs(request.query_params.get("crs"))
    findings = check.findings.select_related("reviewed_by").order_by("-overlap_area_m2", "id")
    verdict = request.query_params.get("verdict")
    if verdict:
        if verdict not in Verdict.values:
            raise ValidationError({"verdict": [_("one of: %(v)s.") % {"v": ", ".join(Verdict.values)}]})
        findings = findings.filter(verdict=verdict)
    paginator = FeaturePagination()
    page = paginator.paginate_queryset(findings, request, view=view)
    data = FindingFeatureSerializer(page, many=True, context={"request": request, "output_crs": out}).data
    return paginator.get_paginated_response(data).data


class CheckListView(APIView):
    """叠加分析: start an overlay check, or list the checks in your area."""

    permission_classes = [CheckPermission]

    @extend_schema(
        tags=TAGS,
        summary="Overlay checks in your area, newest first (paged).",
        parameters=PAGE,
        responses=s.OverlayCheckSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        paginator = CheckPagination()
        page = paginator.paginate_queryset(_with_verdicts(_checks_for(request.user)), request, view=self)
        _attach_verdicts(page)
        return paginator.get_paginated_response(s.OverlayCheckSerializer(page, many=True).data)

    @extend_schema(
        tags=TAGS,
        summary="Start an overlay check (officers and administrators); it runs in the background.",
        description="illegal_land_use: buildings on agricultural, forest, water or unused land "
        "(疑似违法用地). parcel_overlap: parcels of one park that overlap. Poll the returned url for "
        "status and progress.",
        request=s.CheckCreateSerializer,
        responses={202: s.OverlayCheckSerializer, 400: ERROR_400},
    )
    def post(self, request: Request) -> Response:
        user = request.user
        data = _valid(s.CheckCreateSerializer, _body(request))
        if data.get("division"):
            division = shapes.division(data["division"], user)
        else:
            # The caller's own division; the whole city for those bound to none (administrators).
            division = (
                user.division or Division.objects.filter(level=DivisionLevel.CITY).order_by("code").first()
            )
        if division is None:
            raise ValidationError({"division": [_("no division to check: load the divisions first.")]})
        check = OverlayCheck(
            kind=data["kind"], division=division, min_area_m2=data["min_area_m2"], requested_by=user
        )
        if not can_run_check(user, check):
            raise PermissionDenied(_("%(name)s is outside your area.") % {"name": division.name})
        with transaction.atomic():
            check.language = get_language() or ""
            check.save()
            enqueue(check)
        check.refresh_from_db()
        return Response(
            s.OverlayCheckSerializer(check).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": f"/api/spatial/checks/{check.pk}/"},
        )


class CheckDetailView(APIView):
    permission_classes = [CheckPermission]

    @extend_schema(
        tags=TAGS,
        summary="Status, progress and report of an overlay check; findings as paged GeoJSON.",
        parameters=[OUTPUT_CRS, *PAGE, OpenApiParameter("verdict", str, description="Only this verdict.")],
        responses=s.CheckDetailSerializer,
    )
    def get(self, request: Request, pk: int) -> Response:
        check = get_object_or_404(_checks_for(request.user), pk=pk)
        data = s.OverlayCheckSerializer(check).data
        data["findings"] = _findings_page(request, self, check)
        return Response(data)


class FindingListView(APIView):
    permission_classes = [CheckPermission]

    @extend_schema(
        tags=TAGS,
        operation_id="spatial_checks_findings_list",
        summary="The findings of an overlay check as paged GeoJSON, largest overlap first.",
        parameters=[OUTPUT_CRS, *PAGE, OpenApiParameter("verdict", str, description="Only this verdict.")],
        responses=s.FeatureCollectionSerializer,
    )
    def get(self, request: Request, pk: int) -> Response:
        check = get_object_or_404(_checks_for(request.user), pk=pk)
        return Response(_findings_page(request, self, check))


class FindingDetailView(APIView):
    permission_classes = [CheckPermission]

    def _finding(self, request: Request, pk: int, fid: int) -> Finding:
        check = get_object_or_404(_checks_for(request.user), pk=pk)
        return get_object_or_404(check.findings.select_related("reviewed_by"), pk=fid)

    @extend_schema(
        tags=TAGS,
        operation_id="spatial_checks_finding_retrieve",
        summary="One finding as a GeoJSON Feature.",
        parameters=[OUTPUT_CRS],
        responses=FindingFeatureSerializer,
    )
    def get(self, request: Request, pk: int, fid: int) -> Response:
        finding = self._finding(request, pk, fid)
        out = shapes.response_crs(request.query_params.get("crs"))
        return Response(FindingFeatureSerializer(finding, context={"output_crs": out}).data)

    @extend_schema(
        tags=TAGS,
        summary="Mark a finding verified (核实) or a false positive (消除打点), with a note.",
        request=s.FindingReviewSerializer,
        responses={200: FindingFeatureSerializer, 400: ERROR_400},
    )
    def patch(self, request: Request, pk: int, fid: int) -> Response:
        data = _valid(s.FindingReviewSerializer, _body(request))
        with transaction.atomic():
            finding = self._finding(request, pk, fid)
            if not can_review_finding(request.user, finding.check_run):
                raise PermissionDenied(_("Only investment officers and administrators may review findings."))
            finding = Finding.objects.select_for_update().get(pk=finding.pk)
            finding.verdict = data["verdict"]
            if "note" in data:
                finding.note = data["note"]
            pending = finding.verdict == Verdict.PENDING
            finding.reviewed_by = None if pending else request.user
            finding.reviewed_at = None if pending else timezone.now()
            finding.save()
            if finding.verdict == Verdict.VERIFIED:
                finding_verified.send(sender=Finding, finding=finding, user=request.user)
        return Response(FindingFeatureSerializer(finding).data)


# --- site matching -------------------------------------------------------------------------------


class MatchPagination(FeaturePagination):
    page_size = 20
    max_page_size = 200


class _RankedPage:
    """The ranking as a sequence the paginator can count and slice."""

    def __init__(self, ranking: matching.Ranking) -> None:
        self.ranking = ranking

    def __len__(self) -> int:
        return len(self.ranking)

    def __getitem__(self, item):
        positions = range(len(self))[item]
        return [(pos, int(self.ranking.order[pos])) for pos in positions]


def _needs(data: dict[str, Any], user: Any) -> matching.Needs:
    factor = MU_M2 if data["area_unit"] == "mu" else 1.0
    weights = {**matching.DEFAULT_WEIGHTS, **data.get("weights", {})}
    districts = tuple(shapes.division(code, user, "districts") for code in data.get("districts", []))
    carrier = data["carrier"]
    return matching.Needs(
        carriers=matching.CARRIERS if carrier == "any" else (carrier,),
        area_min_m2=data["area_min"] * factor if data.get("area_min") is not None else None,
        area_max_m2=data["area_max"] * factor if data.get("area_max") is not None else None,
        area_unit=data["area_unit"],
        land_use=tuple(data.get("land_use", ())),
        building_kind=tuple(data.get("building_kind", ())),
        supply_status=tuple(data.get("supply_status") or ("available",)),
        max_price_wan_per_mu=data.get("max_price_wan_per_mu"),
        max_rent_yuan_m2_month=data.get("max_rent_yuan_m2_month"),
        max_sale_price_yuan_m2=data.get("max_sale_price_yuan_m2"),
        min_floor_load_kg_m2=data.get("min_floor_load_kg_m2"),
        min_clear_height_m=data.get("min_clear_height_m"),
        industry=data.get("industry") or None,
        districts=districts,
        amenities=tuple(
            matching.AmenityNeed(a["category"], a["max_distance_m"], a.get("weight", weights["amenity"]))
            for a in data.get("amenities", [])
        ),
        weights=weights,
        hard=tuple(data.get("hard", matching.HARD)),
    )


class MatchView(APIView):
    """智能选址: rank public carriers against an investor's needs, with the reasons."""

    @extend_schema(
        tags=TAGS,
        summary="Rank public parcels and buildings against an investor's needs, with per-criterion reasons.",
        description=(matching.__doc__ or "").replace("=", "-"),
        request=s.MatchRequestSerializer,
        parameters=[OUTPUT_CRS, *PAGE],
        responses={200: s.MatchResponseSerializer, 400: ERROR_400},
    )
    def post(self, request: Request) -> Response:
        data = _valid(s.MatchRequestSerializer, _body(request))
        out = shapes.response_crs(request.query_params.get("crs"))
        needs = _needs(data, request.user)
        ranking = matching.rank(needs)
        paginator = MatchPagination()
        page = paginator.paginate_queryset(_RankedPage(ranking), request, view=self)
        features = _match_features(ranking, page, out)
        response = paginator.get_paginated_response({"features": features})
        response.data = {
            **response.data,
            "weights": needs.weights,
            "criteria": [crit.name for crit in ranking.criteria],
            "hard": list(ranking.hard),
            "excluded": ranking.excluded,
            "tie_breaks": list(matching.TIE_BREAKS),
        }
        return response


_DETAIL_COLUMNS = {
    "parcels": ("name", "name_en", "code", "land_use", "supply_status"),
    "buildings": ("name", "name_en", "kind", "supply_status"),
}


def _match_features(ranking: matching.Ranking, page: list[tuple[int, int]], out) -> list[dict[str, Any]]:
    c = ranking.candidates
    details = {
        layer: queries.carrier_details(
            LAYERS[layer], [int(c.id[i]) for _pos, i in page if c.layer[i] == layer], cols
        )
        for layer, cols in _DETAIL_COLUMNS.items()
    }
    features = []
    for position, i in page:
        layer, rid = str(c.layer[i]), int(c.id[i])
        row = details[layer][rid]
        name, name_en, code = row[0], row[1], row[2] if layer == "parcels" else ""
        kind, supply_status, wkb = row[-3], row[-2], row[-1]
        geom = GEOSGeometry(memoryview(bytes(wkb)), srid=4326)
        area = None if np.isnan(c.area_m2[i]) else round(float(c.area_m2[i]), 2)
        features.append(
            {
                "type": "Feature",
                "id": f"{layer}.{rid}",
                "geometry": to_geojson(geom, out),
                "properties": {
                    "rank": position + 1,
                    "score": float(ranking.score[i]),
                    "tied": int(ranking.tied[i]),
                    "layer": layer,
                    "record_id": rid,
                    "url": f"/api/{layer}/{rid}/",
                    "name": name,
                    "name_en": name_en,
                    "code": code,
                    "kind": kind,
                    "supply_status": supply_status,
                    "area_m2": area,
                    "area_mu": None if area is None else round(area / MU_M2, 2),
                    "division_code": c.division_code[i],
                    "park": c.park_id[i],
                    "reasons": matching.reasons(ranking, i),
                },
            }
        )
    return features
