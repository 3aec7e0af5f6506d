"""The industry theme's API (issue 20; seed 001 L487 重点产业招商地图).

- ``/api/industries/``: the key industries, each chain's links from upstream to downstream with
  the enterprises on them city-wide, the chain leaders (链主, published by design) and the public
  parks that lead the industry. Public: it is the legend of the investment map's industry theme.
- ``/api/industries/gaps/``: the investor's question, around one site or point: which links of a
  chain have nobody within reach ("no food packaging supplier within 30 km").
- ``/api/industries/targets/``: the officers' targeting list: per county in their scope, the links
  of the county's leading industries that nobody fills there (``INDUSTRY_TARGETS``).
"""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotAuthenticated, NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from layers.models import Division, DivisionLevel, Park
from layers.registry import LAYERS
from policy.predicates import industry_targets_prefix, read_filter

from . import queries
from .models import ChainLink, ChainStage, Industry

SITE_LAYERS = ("parcels", "buildings", "parks")
DEFAULT_RADIUS_KM = 30
MAX_RADIUS_KM = 200


def _lang() -> str:
    return "en" if (translation.get_language() or "").startswith("en") else "zh"


def _named(record: Industry | ChainLink, lang: str) -> str:
    return record.name_en if lang == "en" and record.name_en else record.name


def _chains() -> list[Industry]:
    return list(Industry.objects.prefetch_related("links"))


def _link(link: ChainLink, **extra: Any) -> dict[str, Any]:
    return {
        "id": link.pk,
        "code": link.code,
        "name": link.name,
        "name_en": link.name_en,
        "stage": link.stage,
        "stage_label": ChainStage(link.stage).label,
        **extra,
    }


def _industry(industry: Industry, **extra: Any) -> dict[str, Any]:
    return {"code": industry.code, "name": industry.name, "name_en": industry.name_en, **extra}


class IndustryListView(APIView):
    """The key industries and their chains, with enterprise counts per link, the chain leaders and
    the parks the caller may read that lead each industry."""

    @extend_schema(
        tags=["industries"],
        summary="Key industries, chain links upstream to downstream with enterprise counts, chain "
        "leaders and the parks that lead each industry.",
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request) -> Response:
        counts = queries.counts_by_link()
        parks: dict[str, list[int]] = {}
        readable = Park.objects.filter(read_filter(request.user, "parks"))
        for pk, codes in readable.order_by("pk").values_list("pk", "industries"):
            for code in codes:
                parks.setdefault(code, []).append(pk)
        leaders: dict[int, list[dict[str, str]]] = {}
        for name, link, code in queries.leaders():
            leaders.setdefault(link, []).append({"name": name, "division_code": code})
        return Response(
            {
                "stages": [{"value": s.value, "label": s.label} for s in ChainStage],
                "industries": [
                    _industry(
                        i,
                        links=[
                            _link(link, enterprises=counts.get(link.pk, 0), leaders=leaders.get(link.pk, []))
                            for link in i.links.all()
                        ],
                        enterprises=sum(counts.get(link.pk, 0) for link in i.links.all()),
                        parks=parks.get(i.code, []),
                    )
                    for i in _chains()
                ],
            }
        )


class GapsQuery(serializers.Serializer):
    layer = serializers.ChoiceField(
        choices=SITE_LAYERS, required=False, help_text="The site's layer; give it with id, or lon and lat."
    )
    id = serializers.IntegerField(required=False, min_value=1, help_text="The site's id in its layer.")
    lon = serializers.FloatField(required=False, min_value=-180, max_value=180)
    lat = serializers.FloatField(required=False, min_value=-90, max_value=90)
    radius_km = serializers.FloatField(
        required=False, default=DEFAULT_RADIUS_KM, min_value=0.1, max_value=MAX_RADIUS_KM
    )
    industry = serializers.ListField(
        child=serializers.CharField(max_length=40),
        required=False,
        help_text="Industry codes (repeat the parameter); by default the site's park's leading "
        "industries, or every key industry.",
    )

    def validate_industry(self, codes: list[str]) -> list[str]:
        known = set(Industry.objects.filter(code__in=codes).values_list("code", flat=True))
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise serializers.ValidationError(
                _("没有这些产业代码：%(codes)s。可选的代码见 /api/industries/。")
                % {"codes": "、".join(unknown)}
            )
        return codes

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        by_site = "layer" in data or "id" in data
        by_point = "lon" in data or "lat" in data
        if by_site == by_point or (by_site and not {"layer", "id"} <= data.keys()):
            raise serializers.ValidationError(
                _("请给出一个地点：layer 与 id（地块、楼宇或园区），或 lon 与 lat（经纬度）。")
            )
        if by_point and not {"lon", "lat"} <= data.keys():
            raise serializers.ValidationError(_("经纬度要成对给出：lon 与 lat。"))
        return data


def _site(request: Request, data: dict[str, Any]) -> tuple[float, float, list[str]]:
    """The point to measure from and the industries its park leads."""
    if "layer" not in data:
        return data["lon"], data["lat"], []
    spec = LAYERS[data["layer"]]
    record: Any = spec.model.objects.filter(read_filter(request.user, spec), pk=data["id"]).first()
    if record is None:
        raise NotFound(_("没有这个地点，或它不公开：请从地图上重新选择。"))
    point = record.geom.point_on_surface
    park = record if data["layer"] == "parks" else record.park
    return point.x, point.y, list(park.industries) if park else []


def gap_message(link: ChainLink, radius_km: float, lang: str) -> str:
    radius = f"{radius_km:g}"
    return _("%(radius)s 公里内没有“%(link)s”企业") % {"radius": radius, "link": _named(link, lang)}


class GapsView(APIView):
    """Around a site: the enterprises on each link of a chain within reach, and the links with none."""

    @extend_schema(
        tags=["industries"],
        summary="Chain links with and without enterprises within a radius of a site or point.",
        parameters=[GapsQuery],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request) -> Response:
        params: dict[str, Any] = request.query_params.dict()
        if "industry" in params:
            params["industry"] = request.query_params.getlist("industry")
        query = GapsQuery(data=params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        lon, lat, led = _site(request, data)
        wanted = data.get("industry") or led
        chains = [i for i in _chains() if not wanted or i.code in wanted]
        radius_km = data["radius_km"]
        links = [link for i in chains for link in i.links.all()]
        near = queries.links_near(lon, lat, radius_km * 1000, [link.pk for link in links])
        lang = _lang()
        out = []
        for industry in chains:
            rows = []
            for link in industry.links.all():
                n = near[link.pk]
                rows.append(
                    _link(
                        link,
                        count=n.count,
                        nearest_km=None if n.nearest_m is None else round(n.nearest_m / 1000, 1),
                        leaders=[{"name": name, "km": round(m / 1000, 1)} for name, m in n.leaders],
                    )
                )
            gaps = [link for link in industry.links.all() if near[link.pk].count == 0]
            out.append(
                _industry(
                    industry,
                    led_by_park=industry.code in led,
                    links=rows,
                    gaps=[link.code for link in gaps],
                    messages=[gap_message(link, radius_km, lang) for link in gaps],
                )
            )
        return Response({"lon": lon, "lat": lat, "radius_km": radius_km, "industries": out})


class TargetsView(APIView):
    """Per county in the caller's scope: the links of its leading industries that nobody fills there."""

    @extend_schema(
        tags=["industries"],
        summary="Missing and thin chain links per county (officers, leaders, the wall).",
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request) -> Response:
        if not request.user.is_authenticated:
            raise NotAuthenticated()
        prefix = industry_targets_prefix(request.user)
        if prefix is None:
            raise PermissionDenied(_("招商靶向清单供招商人员、领导和大屏查看。"))
        return Response(county_targets(prefix))


def county_targets(prefix: str) -> dict[str, Any]:
    """The targeting list of the counties under ``prefix``: for each industry a county's parks lead,
    its links with no enterprise in the county (missing) and with one (thin)."""
    counts = queries.counts_by_county(prefix)
    led = queries.parks_by_county(prefix)
    chains = _chains()
    counties = Division.objects.filter(level=DivisionLevel.COUNTY, code__startswith=prefix).order_by("code")
    out = []
    for county in counties:
        mine = led.get(county.prefix, set())
        industries = []
        for industry in chains:
            if industry.code not in mine:
                continue
            per_link = {link.pk: counts.get((county.prefix, link.pk), 0) for link in industry.links.all()}
            industries.append(
                _industry(
                    industry,
                    enterprises=sum(per_link.values()),
                    missing=[_link(link) for link in industry.links.all() if per_link[link.pk] == 0],
                    thin=[_link(link) for link in industry.links.all() if per_link[link.pk] == 1],
                )
            )
        out.append(
            {
                "code": county.code,
                "name": county.name,
                "name_en": county.name_en,
                "industries": industries,
                "missing": sum(len(i["missing"]) for i in industries),
            }
        )
    return {"counties": out}
