"""The OGC API – Features endpoints.

Reads build their GeoJSON in PostgreSQL (``layers.api.features``) over ``readable(user, spec)``, the
same rows the REST API and the tiles show the caller. Writes (Part 4) are the layer's REST
viewset itself, subclassed: the same validation, policy, optimistic locking, history and audit,
with OGC's headers (``Content-Crs`` for the body's CRS, ``If-Match`` required, ``Location``).

Every answer is JSON unless the client asks for HTML (``f=html``, or a browser's ``Accept``).
"""

from __future__ import annotations

import contextlib
import datetime
import json
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import Polygon
from django.db import DataError, ProgrammingError, transaction
from django.db.models import Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework.exceptions import NotFound, ParseError, ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from layers.api.features import FeatureSource, readable
from layers.api.filters import attribute_filters
from layers.api.locking import VersionRequired, etag
from layers.api.urls import VIEWSETS
from layers.registry import LAYERS, LayerSpec
from policy.predicates import may_list_layer

from . import collections as meta
from . import cql
from .conformance import CONFORMANCE
from .crs import CRS84, SUPPORTED, OgcCRS, OgcCRSError
from .crs import parse as parse_crs
from .paging import Cursor, PagingError, key_sql, page_queryset, parse_sortby

GEOJSON = "application/geo+json"
DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
# Query parameters of the items resource that are not property filters.
ITEM_PARAMETERS = frozenset(
    {
        "f",
        "limit",
        "bbox",
        "bbox-crs",
        "datetime",
        "crs",
        "filter",
        "filter-lang",
        "filter-crs",
        "sortby",
        "cursor",
        "lang",
    }
)


class AnyAccept(BaseContentNegotiation):
    """The views choose JSON or HTML themselves (``wants_html``); DRF must not answer 406."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> Any:
        content_type = request.content_type.split(";")[0].strip()
        return next((p for p in parsers if p.media_type == content_type), None)

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> Any:
        first = next(iter(renderers))
        return first, first.media_type


def wants_html(request: Request) -> bool:
    f = request.query_params.get("f")
    if f:
        if f not in {"json", "html"}:
            raise ValidationError({"f": [_("f is json or html.")]})
        return f == "html"
    accept = request.headers.get("Accept", "")
    return "text/html" in accept and "json" not in accept.split("text/html")[0]


def _title(spec: LayerSpec) -> str:
    return spec.title_zh if (get_language() or "zh-hans").startswith("zh") else spec.title_en


def _url(request: Request, route: str, **kwargs: Any) -> str:
    return request.build_absolute_uri(reverse(f"ogc:{route}", kwargs=kwargs or None))


def _links(request: Request, route: str, title: str, **kwargs: Any) -> list[dict[str, str]]:
    """self and alternate links of a resource (with the request's own parameters), JSON first."""
    url = _url(request, route, **kwargs)
    html = wants_html(request)
    query = request.query_params.copy()

    def href(f: str) -> str:
        query["f"] = f
        return f"{url}?{query.urlencode()}"

    return [
        {
            "href": href("json"),
            "rel": "alternate" if html else "self",
            "type": "application/json",
            "title": title,
        },
        {"href": href("html"), "rel": "self" if html else "alternate", "type": "text/html", "title": title},
    ]


def _answer(
    request: Request, body: dict[str, Any], *, kind: str, content_type: str = "application/json"
) -> HttpResponse:
    if wants_html(request):
        return render(request._request, "ogc/page.html", _page(body, kind))
    return HttpResponse(json.dumps(body, ensure_ascii=False), content_type=content_type)


def _page(body: dict[str, Any], kind: str) -> dict[str, Any]:
    """What the HTML page shows of a JSON answer: links, lists, and features as a table."""
    features = body.get("features", [])
    headings = {"conformance": _("符合的标准"), "items": _("要素"), "schema": _("字段")}
    if kind == "items" and body.get("links"):
        headings["items"] = f"{body['links'][0]['title']} · {_('要素')}"
    heading = body.get("title") or (
        f"{_('要素')} {body['id']}" if kind == "item" else headings.get(kind, "OGC API Features")
    )
    return {
        "kind": kind,
        "heading": heading,
        "description": body.get("description", ""),
        "links": body.get("links", []),
        "conforms": body.get("conformsTo", []),
        "collections": [
            {
                "title": c["title"],
                "id": c["id"],
                "href": next(x["href"] for x in c["links"] if x["type"] == "text/html"),
            }
            for c in body.get("collections", [])
        ],
        "header": list(features[0]["properties"]) if features else [],
        "rows": [
            [f.get("id"), *("" if v is None else v for v in f["properties"].values())] for f in features
        ],
        "returned": body.get("numberReturned"),
        "matched": body.get("numberMatched"),
        "properties": body.get("properties", {}),
        "json": json.dumps(body, ensure_ascii=False, indent=2) if kind in {"collection", "schema"} else "",
    }


def _spec(user: Any, name: str) -> LayerSpec:
    spec = LAYERS.get(name)
    if spec is None or not may_list_layer(user, spec):
        raise NotFound(
            _("No collection %(name)s: the collections list shows those you may read.") % {"name": name}
        )
    return spec


class OgcView(APIView):
    content_negotiation_class = AnyAccept
    schema = None  # documented by its own OpenAPI document (/ogc/api), not the REST API's


class LandingView(OgcView):
    def get(self, request: Request) -> HttpResponse:
        body = {
            "title": _("城市载体资源与基层治理网格：OGC API Features 服务"),
            "description": _(
                "地块、楼宇厂房、园区、网格等图层，可在 QGIS、ArcGIS、GDAL 中浏览、筛选和编辑；"
                "权限与网页端相同：未登录只能看到公开发布的要素。"
            ),
            "links": [
                *_links(request, "landing", _("本页")),
                {
                    "href": _url(request, "openapi"),
                    "rel": "service-desc",
                    "type": "application/vnd.oai.openapi+json;version=3.0",
                    "title": "OpenAPI 3.0",
                },
                {
                    "href": request.build_absolute_uri("/api/docs/"),
                    "rel": "service-doc",
                    "type": "text/html",
                    "title": _("接口文档"),
                },
                {
                    "href": _url(request, "conformance"),
                    "rel": "conformance",
                    "type": "application/json",
                    "title": _("符合的标准"),
                },
                {
                    "href": _url(request, "collections"),
                    "rel": "data",
                    "type": "application/json",
                    "title": _("图层（要素集合）"),
                },
            ],
        }
        return _answer(request, body, kind="landing")


class ConformanceView(OgcView):
    def get(self, request: Request) -> HttpResponse:
        return _answer(request, {"conformsTo": list(CONFORMANCE)}, kind="conformance")


class OpenApiView(OgcView):
    def get(self, request: Request) -> HttpResponse:
        from .openapi import document

        body = document(
            request,
            [s for s in LAYERS.values() if may_list_layer(request.user, s)],
            max_limit=MAX_LIMIT,
            default_limit=DEFAULT_LIMIT,
        )
        return HttpResponse(
            json.dumps(body, ensure_ascii=False), content_type="application/vnd.oai.openapi+json;version=3.0"
        )


def collection_doc(request: Request, spec: LayerSpec) -> dict[str, Any]:
    name = spec.name
    items = _url(request, "items", name=name)
    return {
        "id": name,
        "title": _title(spec),
        "description": f"{spec.title_zh} / {spec.title_en}",
        "itemType": "feature",
        "extent": meta.extent(request.user, spec),
        "crs": list(SUPPORTED),
        "storageCrs": CRS84,
        "links": [
            *_links(request, "collection", _title(spec), name=name),
            {"href": f"{items}?f=json", "rel": "items", "type": GEOJSON, "title": _("要素")},
            {"href": f"{items}?f=html", "rel": "items", "type": "text/html", "title": _("要素")},
            {
                "href": _url(request, "queryables", name=name),
                "rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                "type": "application/schema+json",
                "title": _("可查询字段"),
            },
            # The same, under the name GDAL 3.6 looks for.
            {
                "href": _url(request, "queryables", name=name),
                "rel": "queryables",
                "type": "application/schema+json",
                "title": _("可查询字段"),
            },
            {
                "href": _url(request, "schema", name=name),
                "rel": "describedby",
                "type": "application/schema+json",
                "title": _("要素结构"),
            },
        ],
    }


class CollectionsView(OgcView):
    def get(self, request: Request) -> HttpResponse:
        docs = [collection_doc(request, s) for s in LAYERS.values() if may_list_layer(request.user, s)]
        body = {
            "links": _links(request, "collections", _("图层")),
            "collections": docs,
            "crs": list(SUPPORTED),
        }
        return _answer(request, body, kind="collections")


class CollectionView(OgcView):
    def get(self, request: Request, name: str) -> HttpResponse:
        return _answer(request, collection_doc(request, _spec(request.user, name)), kind="collection")


class QueryablesView(OgcView):
    def get(self, request: Request, name: str) -> HttpResponse:
        spec = _spec(request.user, name)
        body = meta.queryables_schema(spec, _url(request, "queryables", name=name))
        return _answer(request, body, kind="schema", content_type="application/schema+json")


class SchemaView(OgcView):
    def get(self, request: Request, name: str) -> HttpResponse:
        spec = _spec(request.user, name)
        body = meta.feature_schema(spec, _url(request, "schema", name=name))
        return _answer(request, body, kind="schema", content_type="application/schema+json")


class UnknownCollectionView(OgcView):
    """Any method on a collection that does not exist: the platform's 404, not Django's page."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        raise NotFound(
            _("No collection %(name)s: the collections list shows those you may read.")
            % {"name": kwargs.get("name")}
        )


# --- items: reading ------------------------------------------------------------------------------


def _crs(value: str | None, name: str) -> OgcCRS:
    try:
        return parse_crs(value, name)
    except OgcCRSError as exc:
        raise ValidationError({name: [str(exc)]}) from exc


def _limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    if not raw.isdigit() or int(raw) < 1:
        raise ValidationError(
            {"limit": [_("limit is a whole number from 1 to %(max)s.") % {"max": MAX_LIMIT}]}
        )
    return min(int(raw), MAX_LIMIT)


def _bbox(raw: str, crs: OgcCRS) -> Polygon:
    try:
        numbers = [float(v) for v in raw.split(",")]
    except ValueError:
        numbers = []
    if len(numbers) not in (4, 6):
        raise ValidationError(
            {"bbox": [_("bbox is four numbers (or six with heights): lower corner, then upper corner.")]}
        )
    lower, upper = (numbers[:2], numbers[2:]) if len(numbers) == 4 else (numbers[:2], numbers[3:5])
    if crs.north_first:
        lower, upper = lower[::-1], upper[::-1]
    if not (lower[0] < upper[0] and lower[1] < upper[1]):
        raise ValidationError(
            {"bbox": [_("bbox: each lower corner value must be below the upper corner's.")]}
        )
    box = Polygon.from_bbox((lower[0], lower[1], upper[0], upper[1]))
    box.srid = crs.crs.epsg or 4326  # GeoDjango transforms it to the column's CRS
    return box


def _moment(raw: str, *, end: bool) -> Any:
    if raw in ("", ".."):
        return None
    moment = parse_datetime(raw)
    if moment is None and (day := parse_date(raw)) is not None:
        moment = timezone.make_aware(
            datetime.datetime.combine(day, datetime.time.max if end else datetime.time.min)
        )
    if moment is None:
        raise ValidationError(
            {
                "datetime": [
                    _(
                        "datetime is an RFC 3339 time or an interval start/end, "
                        "such as 2026-01-01T00:00:00Z/.. ."
                    )
                ]
            }
        )
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _datetime(raw: str, field: str) -> Q:
    start_text, sep, end_text = raw.partition("/")
    if not sep:
        start, end = _moment(start_text, end=False), _moment(start_text, end=True)
    else:
        start, end = _moment(start_text, end=False), _moment(end_text, end=True)
    q = Q(**{f"{field}__isnull": False})
    if start is not None:
        q &= Q(**{f"{field}__gte": start})
    if end is not None:
        q &= Q(**{f"{field}__lte": end})
    return q


def filtered(request: Request, spec: LayerSpec) -> QuerySet:
    """The caller's readable features of ``spec`` narrowed by the items parameters."""
    params = request.query_params
    qs = readable(request.user, spec)
    if params.get("bbox"):
        qs = qs.filter(geom__intersects=_bbox(params["bbox"], _crs(params.get("bbox-crs"), "bbox-crs")))
    if params.get("datetime"):
        qs = qs.filter(_datetime(params["datetime"], meta.temporal_field(spec)))
    if params.get("filter"):
        try:
            q = cql.to_q(
                params["filter"],
                params.get("filter-lang"),
                meta.queryables(spec),
                _crs(params.get("filter-crs"), "filter-crs"),
            )
        except cql.FilterError as exc:
            raise ValidationError({"filter": [str(exc)]}) from exc
        qs = qs.filter(q)
    properties = {k: str(params[k]) for k in params if k not in ITEM_PARAMETERS}
    return qs.filter(attribute_filters(spec, properties))


class OgcFeatures:
    """Mixed into a layer's REST viewset: the OGC reads, and OGC's headers on its writes."""

    spec: LayerSpec
    request: Any
    kwargs: dict[str, Any]
    content_negotiation_class = AnyAccept
    schema = None

    # --- reading ----------------------------------------------------------------------------
    def _source(self, qs: QuerySet, out: OgcCRS) -> FeatureSource:
        return FeatureSource(
            self.request.user,
            self.spec,
            qs,
            crs=out.crs,
            lat_lon=out.north_first,
            media_base=self.request.build_absolute_uri(settings.MEDIA_URL),
        )

    def items(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        spec, params = _spec(request.user, self.spec.name), request.query_params
        out = _crs(params.get("crs"), "crs")
        limit = _limit(params.get("limit"))
        try:
            keys = parse_sortby(params.get("sortby"), meta.sortables(spec))
            cursor = Cursor.decode(params["cursor"], keys) if params.get("cursor") else None
            qs = filtered(request, spec)
            ordered = page_queryset(qs, keys, cursor)
        except PagingError as exc:
            raise ValidationError({exc.parameter: [str(exc)]}) from exc
        forward = cursor is None or cursor.forward
        try:
            # A filter comparing a property with a value of another type fails only in PostgreSQL;
            # the savepoint keeps a surrounding transaction usable after that 400.
            with transaction.atomic() if params.get("filter") else contextlib.nullcontext():
                page = self._source(ordered, out).page(
                    ordered,
                    limit,
                    key_sql=key_sql(spec.model, keys),
                    reverse=not forward,
                    count=cursor is None,
                )
        except (DataError, ProgrammingError, ValueError, TypeError) as exc:
            if not params.get("filter"):
                raise
            raise ValidationError(
                {
                    "filter": [
                        _("a value does not fit the property it is compared with: %(reason)s")
                        % {"reason": str(exc).splitlines()[0][:200]}
                    ]
                }
            ) from exc
        matched = page.matched if cursor is None else cursor.matched
        url = _url(request, "items", name=spec.name)
        links = _links(request, "items", _title(spec), name=spec.name)
        query = params.copy()
        query.pop("cursor", None)

        def link(rel: str, key: str | None, ahead: bool) -> None:
            if key is None:
                return
            query["cursor"] = Cursor(json.loads(key), ahead, matched).encode()
            links.append({"href": f"{url}?{query.urlencode()}", "rel": rel, "type": GEOJSON})

        if page.more if forward else page.returned:
            link("next", page.last_key, True)
        if (cursor is not None) if forward else page.more:
            link("prev", page.first_key, False)
        head = {
            "type": "FeatureCollection",
            "numberMatched": matched,
            "numberReturned": page.returned,
            "timeStamp": timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "links": links,
        }
        if wants_html(request):
            head["features"] = json.loads(f"[{page.text}]")
            return _answer(request, head, kind="items")
        body = json.dumps(head, ensure_ascii=False)[:-1] + ', "features": [' + page.text + "]}"
        return HttpResponse(body, content_type=GEOJSON, headers={"Content-Crs": f"<{out.uri}>"})

    def item(self, request: Request, *args: Any, pk: str = "", **kwargs: Any) -> HttpResponse:
        spec = _spec(request.user, self.spec.name)
        out = _crs(request.query_params.get("crs"), "crs")
        qs = readable(request.user, spec).filter(pk=pk)
        page = self._source(qs, out).page(qs, 1)
        if not page.returned:
            raise NotFound(
                _("No feature %(id)s in %(name)s that you may read.") % {"id": pk, "name": spec.name}
            )
        feature = json.loads(page.text)
        feature["links"] = [
            *_links(request, "item", f"{spec.name} {pk}", name=spec.name, pk=pk),
            {
                "href": _url(request, "collection", name=spec.name),
                "rel": "collection",
                "type": "application/json",
            },
        ]
        if wants_html(request):
            return _answer(request, feature, kind="item")
        headers = {"Content-Crs": f"<{out.uri}>", "ETag": etag(feature["properties"]["version"])}
        return HttpResponse(json.dumps(feature, ensure_ascii=False), content_type=GEOJSON, headers=headers)

    # --- writing (Part 4) -------------------------------------------------------------------------
    def _content_crs(self) -> OgcCRS:
        return _crs(self.request.headers.get("Content-Crs"), "Content-Crs")

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()  # type: ignore[misc]
        if self.request.method in {"POST", "PUT", "PATCH"}:
            context["input_crs"] = self._content_crs().crs
        return context

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        data = kwargs.get("data")
        if (
            isinstance(data, dict)
            and self._content_crs().north_first
            and isinstance(data.get("geometry"), dict)
        ):
            kwargs["data"] = {**data, "geometry": _swap(data["geometry"])}
        return super().get_serializer(*args, **kwargs)  # type: ignore[misc]

    def _require_if_match(self) -> None:
        if not self.request.headers.get("If-Match"):
            raise VersionRequired(_('Send If-Match with the ETag you read, such as If-Match: "7".'))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not isinstance(request.data, dict):
            raise ParseError(_("Send one GeoJSON Feature."))
        response = super().create(request, *args, **kwargs)  # type: ignore[misc]
        response["Location"] = _url(request, "item", name=self.spec.name, pk=response.data["id"])
        return response

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self._require_if_match()
        return super().update(request, *args, **kwargs)  # type: ignore[misc]

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self._require_if_match()
        return super().destroy(request, *args, **kwargs)  # type: ignore[misc]


def _swap(geometry: dict[str, Any]) -> dict[str, Any]:
    """A GeoJSON geometry written north first, as x/y."""

    def flip(coords: Any) -> Any:
        if coords and isinstance(coords[0], int | float):
            return [coords[1], coords[0], *coords[2:]]
        return [flip(c) for c in coords]

    if geometry.get("type") == "GeometryCollection":
        return {**geometry, "geometries": [_swap(g) for g in geometry.get("geometries", [])]}
    return {**geometry, "coordinates": flip(geometry.get("coordinates", []))}


def ogc_viewset(name: str) -> Any:
    """The OGC items views of one layer: its REST viewset with ``OgcFeatures`` mixed in."""
    base = VIEWSETS[name]
    return type(f"Ogc{base.__name__}", (OgcFeatures, base), {})


_ITEMS = {name: ogc_viewset(name).as_view({"get": "items", "post": "create"}) for name in LAYERS}
_ITEM = {
    name: ogc_viewset(name).as_view(
        {"get": "item", "put": "update", "patch": "partial_update", "delete": "destroy"}
    )
    for name in LAYERS
}
_UNKNOWN = UnknownCollectionView.as_view()


# The DRF views they dispatch to check CSRF themselves (for session logins), as DRF views do.
@csrf_exempt
def items(request: Any, name: str) -> Any:
    """``/collections/<name>/items``: GET pages of features, POST creates one (Part 4)."""
    view = _ITEMS.get(name)
    return view(request, name=name) if view else _UNKNOWN(request, name=name)


@csrf_exempt
def item(request: Any, name: str, pk: int) -> Any:
    """``/collections/<name>/items/<id>``: GET, PUT (replace), PATCH (update), DELETE."""
    view = _ITEM.get(name)
    return view(request, name=name, pk=pk) if view else _UNKNOWN(request, name=name)
