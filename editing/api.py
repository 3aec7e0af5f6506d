"""The editor's HTTP API, ``/api/editing/`` (issue 17): the working copy, saves, split and merge,
and the changesets' review. Errors are the platform's one shape (``core.errors``):

- 400 ``invalid``: per-item field messages in ``error.fields.items.<index>.<field>`` (the same
  messages as ``/api/<layer>/``);
- 409 ``stale_version`` (``record``, ``current_version``, ``current``: the working Feature now,
  ``mine``: the item as sent, ``index``), 409 ``held`` (``record``, ``changeset``), 409
  ``stale_items`` (``stale_items``: [{item, layer, record, base_version, current_version}]), 409
  ``changeset_state``;
- 422 ``topology`` with ``issues`` (each ``{kind, severity, layer, index, record, other,
  other_label, area_m2, geometry, message}``); 400 ``split`` / ``merge``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.gis.geos import GEOSGeometry
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotAuthenticated, NotFound, PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from layers.crs import STORAGE_CRS
from layers.geometry import to_geojson
from layers.models import Park
from layers.registry import LAYERS
from policy.actions import Action
from policy.predicates import (
    edits_need_review,
    in_scope,
    may,
    may_read_changeset,
    read_filter,
    visible_changesets,
)
from policy.resources import REVIEWED_LAYERS

from . import changesets as cs
from . import geometry
from .models import Changeset, ChangesetState

TAGS = ["editing"]
ERRORS = {
    400: OpenApiResponse(description="invalid (per item: error.fields.items.<index>), split, merge"),
    401: OpenApiResponse(description="not_authenticated"),
    403: OpenApiResponse(description="permission_denied"),
    404: OpenApiResponse(description="not_found"),
    409: OpenApiResponse(description="stale_version, held, stale_items or changeset_state"),
    422: OpenApiResponse(description="topology, with issues"),
}


def _signed_in(request: Request) -> Any:
    if not request.user.is_authenticated:
        raise NotAuthenticated()
    return request.user


def _park(user: Any, value: Any) -> Park:
    """The park of the editor, which the caller must keep or review (its changesets' readers)."""
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise ValidationError({"park": [_("请给出园区编号 park。")]}) from None
    park = Park.objects.filter(pk=pk).first()
    if park is None:
        raise NotFound(_("没有这个园区。"))
    if not may_read_changeset(user, Changeset(park=park)):
        raise PermissionDenied(_("编辑器只对本园区的园区管理员和辖区的招商专员开放。"))
    return park


def _layer(value: Any) -> str:
    if value not in REVIEWED_LAYERS:
        raise ValidationError({"layer": [_("layer 须为 parcels 或 buildings。")]})
    return value


def _changeset(user: Any, pk: int) -> Changeset:
    changeset = visible_changesets(user).select_related("park").filter(pk=pk).first()
    if changeset is None:
        raise NotFound()
    return changeset


class WorkingView(APIView):
    """The park's parcels or buildings in their working state (live, with pending items applied)."""

    @extend_schema(
        tags=TAGS,
        summary="The working copy of a park's layer: live records with pending edits applied.",
        parameters=[
            OpenApiParameter("park", int, required=True),
            OpenApiParameter("layer", str, required=True, enum=sorted(REVIEWED_LAYERS)),
            OpenApiParameter("view", str, enum=["working", "published"], description="published: live only."),
        ],
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        user = _signed_in(request)
        park = _park(user, request.query_params.get("park"))
        spec = LAYERS[_layer(request.query_params.get("layer"))]
        published = request.query_params.get("view") == "published"
        body = cs.working_collection(user, park, spec, published=published)
        body["park"] = {
            "id": park.pk,
            "name": park.name,
            "geometry": to_geojson(park.geom, STORAGE_CRS),
            "edits_need_approval": park.edits_need_approval,
        }
        body["reviewed"] = edits_need_review(user, spec, park)
        # Whether the page offers its tools; each save is still judged record by record.
        body["editable"] = not published and may(user, spec, Action.UPDATE)
        return Response(body)


EDIT_ITEM = inline_serializer(
    "EditItem",
    {
        "layer": serializers.ChoiceField(choices=sorted(REVIEWED_LAYERS)),
        "id": serializers.CharField(required=False, allow_null=True, help_text="record id or new-<item id>"),
        "action": serializers.ChoiceField(choices=["create", "update", "delete", "revert"]),
        "version": serializers.IntegerField(required=False, help_text="live version read"),
        "revision": serializers.IntegerField(
            required=False, help_text="pending item revision read, 0 if none"
        ),
        "properties": serializers.DictField(required=False),
        "geometry": serializers.DictField(required=False, help_text="GeoJSON geometry"),
        "history_id": serializers.IntegerField(required=False, help_text="revert only"),
    },
)


class EditsView(APIView):
    """Save the editor's edits: staged for review or applied live, all or nothing."""

    @extend_schema(
        tags=TAGS,
        summary="Save edits (one transaction): staged in the park's changeset or applied live.",
        request=inline_serializer(
            "EditsRequest",
            {
                "park": serializers.IntegerField(),
                "items": EDIT_ITEM.__class__(many=True),
                "dry_run": serializers.BooleanField(required=False, default=False),
            },
        ),
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        user = _signed_in(request)
        data = request.data if isinstance(request.data, dict) else {}
        park = _park(user, data.get("park"))
        result = cs.save_edits(user, park, data.get("items"), dry_run=bool(data.get("dry_run")))
        return Response(
            {
                "applied": result.applied,
                "changeset": cs.changeset_summary(result.changeset) if result.changeset else None,
                "features": result.features,
                "issues": result.issues,
            }
        )


def _editable_record(user: Any, layer: Any, pk: Any) -> Any:
    spec = LAYERS[_layer(layer)]
    if not may(user, spec, Action.UPDATE):
        raise PermissionDenied(_("您不能修改这个图层。"))
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise ValidationError({"id": [_("请给出记录编号。")]}) from None
    record = spec.model.objects.filter(read_filter(user, spec), pk=pk).first()
    if record is None or not in_scope(user, spec, record):
        raise NotFound()
    return record


def _shape(user: Any, layer: Any, value: Any) -> GEOSGeometry:
    """The shape to cut or join: the editor's working shape as sent (a GeoJSON geometry: it may be a
    plot drawn or changed and not saved yet), or a live record's by its id (scope checked)."""
    if isinstance(value, dict):
        if not may(user, LAYERS[_layer(layer)], Action.UPDATE):
            raise PermissionDenied(_("您不能修改这个图层。"))
        return geometry.polygon(value)
    return _editable_record(user, layer, value).geom


class SplitView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Split a plot with a line (nothing written): the parts as GeoJSON, largest first.",
        request=inline_serializer(
            "SplitRequest",
            {
                "layer": serializers.CharField(),
                "id": serializers.IntegerField(required=False, help_text="a live record, or"),
                "geometry": serializers.DictField(required=False, help_text="the working shape (GeoJSON)"),
                "line": serializers.DictField(),
            },
        ),
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        user = _signed_in(request)
        data = request.data if isinstance(request.data, dict) else {}
        shape = _shape(user, data.get("layer"), data.get("geometry", data.get("id")))
        return Response({"parts": geometry.split(shape, data.get("line"))})


class MergeView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Merge two adjacent plots (nothing written): the union as GeoJSON.",
        request=inline_serializer(
            "MergeRequest",
            {
                "layer": serializers.CharField(),
                "ids": serializers.ListField(
                    child=serializers.IntegerField(), required=False, help_text="two live records, or"
                ),
                "geometries": serializers.ListField(
                    child=serializers.DictField(), required=False, help_text="two working shapes (GeoJSON)"
                ),
            },
        ),
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        user = _signed_in(request)
        data = request.data if isinstance(request.data, dict) else {}
        given = data.get("geometries") if "geometries" in data else data.get("ids")
        if not isinstance(given, list) or len(given) != 2 or given[0] == given[1]:
            key = "geometries" if "geometries" in data else "ids"
            raise ValidationError({key: [_("请给出两个不同的图斑。")]})
        shapes = [_shape(user, data.get("layer"), value) for value in given]
        return Response({"geometry": geometry.merge(shapes)})


class ChangesetListView(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="editing_changesets_list",
        summary="Changesets in the caller's scope (park managers: their park; officers: their division).",
        parameters=[
            OpenApiParameter("park", int),
            OpenApiParameter("state", str, enum=ChangesetState.values),
        ],
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        user = _signed_in(request)
        qs = visible_changesets(user).select_related("park", "created_by", "submitted_by", "reviewed_by")
        park = request.query_params.get("park")
        if park:
            if not park.isdigit():
                raise ValidationError({"park": [_("园区编号是数字。")]})
            qs = qs.filter(park_id=int(park))
        state = request.query_params.get("state")
        if state:
            if state not in ChangesetState.values:
                raise ValidationError({"state": [_("state 须为 open、submitted、approved 或 returned。")]})
            qs = qs.filter(state=state)
        rows = list(qs.order_by("-created_at", "-pk")[:500])
        return Response({"count": len(rows), "results": [cs.changeset_summary(c) for c in rows]})


class ChangesetDetailView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="A changeset with its items: before/after Features, field changes, topology issues.",
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def get(self, request: Request, id: int) -> Response:
        user = _signed_in(request)
        return Response(cs.changeset_detail(_changeset(user, id)))


class SubmitView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Submit the changeset for review (the park's managers).",
        request=inline_serializer("SubmitRequest", {"title": serializers.CharField(required=False)}),
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def post(self, request: Request, id: int) -> Response:
        user = _signed_in(request)
        _changeset(user, id)
        title = request.data.get("title", "") if isinstance(request.data, dict) else ""
        return Response(cs.changeset_detail(cs.submit(user, id, title=str(title or ""))))


class ApproveView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Approve: apply every item to the live layers (officers of the park's division).",
        request=None,
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def post(self, request: Request, id: int) -> Response:
        user = _signed_in(request)
        _changeset(user, id)
        return Response(cs.changeset_detail(cs.approve(user, id)))


class ReturnView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Return the changeset to the park's managers with a comment (required).",
        request=inline_serializer("ReturnRequest", {"comment": serializers.CharField()}),
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def post(self, request: Request, id: int) -> Response:
        user = _signed_in(request)
        _changeset(user, id)
        comment = request.data.get("comment", "") if isinstance(request.data, dict) else ""
        return Response(cs.changeset_detail(cs.return_(user, id, comment=str(comment or ""))))


class ItemView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Discard one pending item (the park's managers, while the changeset is open or returned).",
        responses={204: None, **ERRORS},
    )
    def delete(self, request: Request, id: int, item_id: int) -> Response:
        user = _signed_in(request)
        _changeset(user, id)
        cs.discard_item(user, id, item_id)
        return Response(status=204)
