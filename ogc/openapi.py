"""The OpenAPI 3.0 document of ``/ogc/`` (the landing page's ``service-desc``).

Written per collection, as GDAL and QGIS read it: each items path declares its ``limit`` with the
maximum the service serves (GDAL pages with it) and its queryables as query parameters.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.request import Request

from layers.registry import LayerSpec

from . import collections as meta
from . import cql

GEOJSON = "application/geo+json"


def _param(
    name: str, description: str, schema: dict[str, Any], *, where: str = "query", required: bool = False
) -> dict[str, Any]:
    return (
        {
            "name": name,
            "in": where,
            "required": required,
            "description": description,
            "schema": schema,
            "style": "form",
            "explode": False,
        }
        if where == "query"
        else {"name": name, "in": where, "required": required, "description": description, "schema": schema}
    )


def _ok(description: str, media: str = "application/json") -> dict[str, Any]:
    return {
        "200": {"description": description, "content": {media: {"schema": {"type": "object"}}}},
        "400": {"$ref": "#/components/responses/Error"},
    }


def _items_parameters(spec: LayerSpec, *, max_limit: int, default_limit: int) -> list[dict[str, Any]]:
    props = meta.queryables_schema(spec, "")["properties"]
    own = [
        _param(
            name,
            str(schema.get("title", name)),
            {k: v for k, v in schema.items() if k in {"type", "format", "enum"}} or {"type": "string"},
        )
        for name, schema in props.items()
        if name != "geometry" and schema.get("type") in {"string", "integer", "number", "boolean"}
    ]
    return [
        _param(
            "limit",
            _("每页要素数。"),
            {"type": "integer", "minimum": 1, "maximum": max_limit, "default": default_limit},
        ),
        _param(
            "bbox",
            _("范围：最小经度,最小纬度,最大经度,最大纬度（bbox-crs 中的坐标）。"),
            {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
        ),
        _param("bbox-crs", _("bbox 的坐标系 URI，缺省为 CRS84。"), {"type": "string", "format": "uri"}),
        _param("datetime", _("时间或时段（RFC 3339，如 2026-01-01T00:00:00Z/..）。"), {"type": "string"}),
        _param("crs", _("输出坐标系 URI，缺省为 CRS84。"), {"type": "string", "format": "uri"}),
        _param("filter", _("CQL2 过滤条件。"), {"type": "string"}),
        _param(
            "filter-lang",
            _("过滤语言。"),
            {"type": "string", "enum": list(cql.LANGUAGES), "default": cql.TEXT},
        ),
        _param("filter-crs", _("过滤条件中几何的坐标系 URI。"), {"type": "string", "format": "uri"}),
        _param(
            "sortby", _("排序字段，逗号分隔，-表示降序。"), {"type": "array", "items": {"type": "string"}}
        ),
        _param("cursor", _("翻页游标：照 next/prev 链接使用。"), {"type": "string"}),
        _param("f", _("json 或 html。"), {"type": "string", "enum": ["json", "html"]}),
        *own,
    ]


def _collection_paths(spec: LayerSpec, *, max_limit: int, default_limit: int) -> dict[str, Any]:
    name = spec.name
    tag = [name]
    fid = _param("featureId", _("要素编号"), {"type": "integer"}, where="path", required=True)
    if_match = _param(
        "If-Match", _("读取时的 ETag（乐观锁）。"), {"type": "string"}, where="header", required=True
    )
    content_crs = _param(
        "Content-Crs", _("请求体坐标系 URI，缺省为 CRS84。"), {"type": "string"}, where="header"
    )
    body = {
        "required": True,
        "content": {
            GEOJSON: {"schema": {"type": "object"}},
            "application/json": {"schema": {"type": "object"}},
        },
    }
    written = {
        "400": {"$ref": "#/components/responses/Error"},
        "403": {"$ref": "#/components/responses/Error"},
        "412": {"$ref": "#/components/responses/Error"},
        "428": {"$ref": "#/components/responses/Error"},
    }
    return {
        f"/collections/{name}": {
            "get": {
                "tags": tag,
                "summary": f"{spec.title_zh} / {spec.title_en}",
                "operationId": f"describe_{name}",
                "responses": _ok(_("集合说明")),
            }
        },
        f"/collections/{name}/queryables": {
            "get": {
                "tags": tag,
                "operationId": f"queryables_{name}",
                "responses": _ok(_("可查询字段"), "application/schema+json"),
            }
        },
        f"/collections/{name}/schema": {
            "get": {
                "tags": tag,
                "operationId": f"schema_{name}",
                "responses": _ok(_("要素结构"), "application/schema+json"),
            }
        },
        f"/collections/{name}/items": {
            "get": {
                "tags": tag,
                "operationId": f"items_{name}",
                "parameters": _items_parameters(spec, max_limit=max_limit, default_limit=default_limit),
                "responses": _ok(_("要素"), GEOJSON),
            },
            "post": {
                "tags": tag,
                "operationId": f"create_{name}",
                "parameters": [content_crs],
                "requestBody": body,
                "responses": {"201": {"description": _("已创建")}, **written},
            },
        },
        f"/collections/{name}/items/{{featureId}}": {
            "get": {
                "tags": tag,
                "operationId": f"item_{name}",
                "parameters": [fid, _param("crs", _("输出坐标系 URI。"), {"type": "string"})],
                "responses": {**_ok(_("要素"), GEOJSON), "404": {"$ref": "#/components/responses/Error"}},
            },
            "put": {
                "tags": tag,
                "operationId": f"replace_{name}",
                "parameters": [fid, if_match, content_crs],
                "requestBody": body,
                "responses": {"200": {"description": _("已替换")}, **written},
            },
            "patch": {
                "tags": tag,
                "operationId": f"update_{name}",
                "parameters": [fid, if_match, content_crs],
                "requestBody": body,
                "responses": {"200": {"description": _("已修改")}, **written},
            },
            "delete": {
                "tags": tag,
                "operationId": f"delete_{name}",
                "parameters": [fid, if_match],
                "responses": {"204": {"description": _("已删除")}, **written},
            },
        },
    }


def document(
    request: Request, specs: list[LayerSpec], *, max_limit: int, default_limit: int
) -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/": {"get": {"tags": ["service"], "operationId": "landing", "responses": _ok(_("服务首页"))}},
        "/conformance": {
            "get": {"tags": ["service"], "operationId": "conformance", "responses": _ok(_("符合的标准"))}
        },
        "/collections": {
            "get": {"tags": ["service"], "operationId": "collections", "responses": _ok(_("图层"))}
        },
    }
    for spec in specs:
        paths.update(_collection_paths(spec, max_limit=max_limit, default_limit=default_limit))
    return {
        "openapi": "3.0.3",
        "info": {
            "title": _("城市载体资源与基层治理网格：OGC API Features 服务"),
            "version": "1.0.0",
            "description": _("权限与网页端相同；登录用户以 Authorization: Token <令牌> 访问。"),
        },
        "servers": [{"url": request.build_absolute_uri("/ogc")}],
        "paths": paths,
        "components": {
            "responses": {
                "Error": {
                    "description": _("错误：error.code、error.message 说明原因和处理办法。"),
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            },
            "securitySchemes": {"token": {"type": "apiKey", "in": "header", "name": "Authorization"}},
        },
        "security": [{}, {"token": []}],
        "tags": [
            {"name": "service"},
            *({"name": s.name, "description": f"{s.title_zh} / {s.title_en}"} for s in specs),
        ],
    }
