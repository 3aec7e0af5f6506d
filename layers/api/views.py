"""The GeoJSON REST API: one generated viewset per registered layer, plus the catalogue."""

from __future__ import annotations

import copy
import json
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import (
    APIException,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView
from rest_framework_gis.pagination import GeoJsonPagination

from accounts.roles import Role
from layers.api.features import FeatureSource
from layers.crs import CRSError, output_crs
from layers.history import describe, ensure_baseline, history_entries, restore_values
from layers.registry import LAYERS, LayerSpec
from policy.actions import Action
from policy.predicates import (
    actor_fields,
    can_create,
    can_delete,
    can_read_history,
    can_update,
    edits_need_review,
    geometry_in_scope,
    may,
    may_list_layer,
    may_name_actor,
    may_redraw,
    read_filter,
    redrawers,
)
from policy.privacy import shown

from .filters import filter_queryset
from .locking import StaleVersion, etag, expected_version
from .serializers import build_serializer


class ReviewRequired(APIException):
    """A park manager's edit of a reviewed layer goes through the editor, where it waits for an
    officer's approval: written here it would be public at once (``policy.edits_need_review``)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "review_required"
    default_detail = gettext_lazy(
        "本园区的地块和楼宇修改须经审核后发布：请在编辑器（/editor/）中修改，"
        "或通过 /api/editing/edits/ 提交，修改会进入变更集，由辖区招商专员审核。"
    )


class GeoJSONParser(JSONParser):
    """GeoJSON bodies as GIS clients label them (OGC API Features Part 4 sends this type)."""

    media_type = "application/geo+json"


class MergePatchParser(JSONParser):
    """A partial Feature sent with PATCH as a JSON merge patch (RFC 7396)."""

    media_type = "application/merge-patch+json"


class FeaturePagination(GeoJsonPagination):
    page_size = 100
    max_page_size = 1000


COMMON_PARAMETERS = [
    OpenApiParameter("crs", str, description="Output CRS: EPSG:4326 (default), EPSG:4490 or EPSG:3857."),
]
LIST_PARAMETERS = [
    OpenApiParameter("bbox", str, description="min_lon,min_lat,max_lon,max_lat (EPSG:4326)."),
    OpenApiParameter("division", str, description="12-digit division code; includes everything below it."),
    OpenApiParameter("ordering", str, description="Comma-separated filter fields, '-' for descending."),
    OpenApiParameter("page_size", int, description="Features per page, at most 1000."),
]


class LayerViewSet(viewsets.ModelViewSet):
    """CRUD on one layer's features as GeoJSON. Set ``spec`` on a subclass (see build_viewset)."""

    spec: LayerSpec
    pagination_class = FeaturePagination
    parser_classes = [JSONParser, GeoJSONParser, MergePatchParser, FormParser, MultiPartParser]
    lookup_value_regex = r"\d+"

    # --- reading ------------------------------------------------------------------------------
    def get_queryset(self):
        qs = self.spec.model.objects.filter(read_filter(self.request.user, self.spec))
        if self.action == "list":
            qs = filter_queryset(qs, self.spec, self.request.query_params)
        return qs

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        """A page of features built in PostgreSQL (``layers.api.features``); the browsable API, which
        renders through the serializer, keeps DRF's own path."""
        if request.accepted_renderer.format != "json":
            return super().list(request, *args, **kwargs)
        queryset = self.get_queryset()
        size = self.paginator.get_page_size(request)
        raw = request.query_params.get(self.paginator.page_query_param) or "1"
        number = int(raw) if raw.isdigit() and int(raw) >= 1 else 0
        if not number:
            raise NotFound(_("Invalid page: give page as a number from 1."))
        source = FeatureSource(
            request.user,
            self.spec,
            queryset,
            crs=self.get_serializer_context()["output_crs"],
            media_base=request.build_absolute_uri(settings.MEDIA_URL),
        )
        page = source.page(queryset, size, offset=(number - 1) * size, count=True)
        if number > 1 and not page.returned:
            raise NotFound(_("Invalid page: there are only %(count)s features.") % {"count": page.matched})
        url = request.build_absolute_uri()
        param = self.paginator.page_query_param
        following = replace_query_param(url, param, number + 1) if page.more else None
        previous = None
        if number == 2:
            previous = remove_query_param(url, param)
        elif number > 2:
            previous = replace_query_param(url, param, number - 1)
        head = {"type": "FeatureCollection", "count": page.matched, "next": following, "previous": previous}
        body = json.dumps(head, ensure_ascii=False)[:-1] + ', "features": [' + page.text + "]}"
        return HttpResponse(body, content_type="application/json")

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        try:
            context["output_crs"] = output_crs(self.request.query_params.get("crs"))
        except CRSError as exc:
            raise ValidationError({"crs": [str(exc)]}) from exc
        return context

    def _feature_response(self, record, status_code: int = status.HTTP_200_OK, warnings=None) -> Response:
        data = self.get_serializer(record).data
        if warnings:
            data["warnings"] = warnings
        return Response(data, status=status_code, headers={"ETag": etag(record.version)})

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._feature_response(self.get_object())

    # --- writing ------------------------------------------------------------------------------
    def _locked_record(self):
        record = self.get_queryset().select_for_update().filter(pk=self.kwargs["pk"]).first()
        if record is None:
            raise NotFound()
        self._refuse_unreviewed(record)
        expected, via_header = expected_version(self.request)
        if expected != record.version:
            raise StaleVersion(expected, record.version, via_header, self.get_serializer(record).data)
        return record

    def _refuse_unreviewed(self, record) -> None:
        """Edits that need review do not go live through this API (409 ``review_required``)."""
        park = getattr(record, "park", None) if self.spec.has_park else None
        if edits_need_review(self.request.user, self.spec, park):
            raise ReviewRequired()

    def _deny(self, action: Action) -> None:
        messages = {
            Action.CREATE: _("You may not create this record: it is outside your role or your area."),
            Action.UPDATE: _("You may not change this record: it is outside your role or your area."),
            Action.DELETE: _("You may not delete this record: it is outside your role or your area."),
        }
        # Not inside the f-string: makemessages does not read into one, so it would go untranslated.
        ask = _("Ask an administrator if you need access.")
        raise PermissionDenied(f"{messages[action]} {ask}")

    def _require(self, action: Action) -> None:
        """The role check, before the input is read: validation errors (a code already taken) would
        otherwise tell callers who may not write here about records they cannot see."""
        if may(self.request.user, self.spec, action):
            return
        if not self.request.user.is_authenticated:
            raise NotAuthenticated()
        self._deny(action)

    def _check_placement(self, before, record) -> None:
        """What the geometry reaches, beyond the point the record is filed by (policy decides)."""
        user = self.request.user
        if not may_redraw(user, self.spec, before, record):
            roles = ", ".join(str(Role(r).label) for r in redrawers(self.spec))
            raise PermissionDenied(
                _(
                    "The boundary of a %(place)s decides who may see and edit what lies in it, so only "
                    "%(roles)s above it may change it, within their own area. Ask them to redraw it."
                )
                % {"place": self.spec.model._meta.verbose_name, "roles": roles}
            )
        if not geometry_in_scope(user, self.spec, before, record):
            raise PermissionDenied(
                _(
                    "The geometry reaches outside your area: every part of it must lie within your "
                    "division, park or grid cell. Split it, or ask the staff of the other area."
                )
            )

    def _check_actors(self, before, record) -> None:
        """Fields naming who acted are the caller, unless their role may name someone else."""
        user = self.request.user
        for name in actor_fields(self.spec):
            given = getattr(record, f"{name}_id")
            kept = before is not None and given == getattr(before, f"{name}_id")
            if before is None and given is None:
                setattr(record, name, user)
            elif not kept and given != user.pk and not may_name_actor(user, self.spec, name):
                raise PermissionDenied(
                    _("You may not act in someone else's name: %(field)s must be you.")
                    % {"field": self.spec.model._meta.get_field(name).verbose_name}
                )

    def _refuse_taken_values(self, record) -> None:
        """A unique value (a parcel code) already held by another record is refused with the same
        answer whether or not the caller may read that record, and only once the write is otherwise
        allowed.

        Global uniqueness makes every refusal say that the value is taken; what must not leak is
        anything more. A different answer for records the caller can read (naming the record, say)
        would tell them which codes belong to records outside their reach, unpublished or deleted;
        so nobody is told more than "taken". Deleted records keep their codes too.
        """
        model = type(record)
        for f in model._meta.concrete_fields:
            if not f.unique or f.primary_key:
                continue
            value = getattr(record, f.attname)
            if (
                value in (None, "")
                or not model.all_objects.filter(**{f.attname: value}).exclude(pk=record.pk).exists()
            ):
                continue
            raise ValidationError(
                {f.name: [_("this value is not available: another record holds it. Choose another.")]}
            )

    def _save(self, record) -> None:
        """Save, with taken unique values answered as ``_refuse_taken_values`` does, also when a
        concurrent write took the value between the check and the insert."""
        self._refuse_taken_values(record)
        try:
            with transaction.atomic():
                record.save()
        except IntegrityError:
            self._refuse_taken_values(record)
            raise

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self._require(Action.CREATE)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = self.spec.model(**serializer.validated_data)
        user = request.user
        record.derive()
        if not can_create(user, self.spec, record):
            self._deny(Action.CREATE)
        self._refuse_unreviewed(record)
        self._check_placement(None, record)
        self._check_actors(None, record)
        record.created_by = record.updated_by = user
        record._history_user = user
        self._save(record)
        return self._feature_response(record, status.HTTP_201_CREATED, serializer.context.get("warnings"))

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        self._require(Action.UPDATE)
        with transaction.atomic():
            record = self._locked_record()
            before = copy.copy(record)
            serializer = self.get_serializer(record, data=request.data, partial=partial)
            serializer.is_valid(raise_exception=True)
            for name, value in serializer.validated_data.items():
                setattr(record, name, value)
            record.derive()
            if not can_update(request.user, self.spec, before, record):
                self._deny(Action.UPDATE)
            self._check_placement(before, record)
            self._check_actors(before, record)
            self._save_version(before, record)
        return self._feature_response(record, warnings=serializer.context.get("warnings"))

    def _save_version(self, before, record, reason: str | None = None) -> None:
        ensure_baseline(before)
        record.version = before.version + 1
        record.updated_by = self.request.user
        record._history_user = self.request.user
        if reason:
            record._change_reason = reason
        self._save(record)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self._require(Action.DELETE)
        with transaction.atomic():
            record = self._locked_record()
            if not can_delete(request.user, self.spec, record):
                self._deny(Action.DELETE)
            ensure_baseline(record)
            record._history_user = request.user
            record.soft_delete(request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    # --- history ------------------------------------------------------------------------------
    def _check_history_access(self, record) -> None:
        if not can_read_history(self.request.user, self.spec, record):
            raise PermissionDenied(_("Change history is visible to staff responsible for this record."))

    @extend_schema(
        summary="Change history: who changed what and when, with field diffs and geometry before/after.",
        responses=OpenApiTypes.OBJECT,
    )
    @action(detail=True, methods=["get"])
    def history(self, request: Request, pk: str | None = None) -> Response:
        record = self.get_object()
        self._check_history_access(record)
        context = self.get_serializer_context()
        field = self.get_serializer().fields["geom"]
        field._context = context
        entries = [describe(row, prev, field.to_representation) for row, prev in history_entries(record)]
        # The diffs carry the same personal data as the record, masked the same way.
        for entry in entries:
            for change in entry["changes"]:
                if change["field"] in self.spec.personal_fields:
                    about = (record._meta.label_lower, record.pk)
                    change["old"] = shown(request.user, change["old"], name=change["field"], about=about)
                    change["new"] = shown(request.user, change["new"], name=change["field"], about=about)
        return Response(
            {"id": record.pk, "layer": self.spec.name, "version": record.version, "history": entries}
        )

    @extend_schema(
        summary="Revert the record to a version from its history (needs If-Match with the current version).",
        request=inline_serializer("RevertRequest", {"history_id": serializers.IntegerField()}),
        responses=OpenApiTypes.OBJECT,
    )
    @action(detail=True, methods=["post"])
    def revert(self, request: Request, pk: str | None = None) -> Response:
        history_id = request.data.get("history_id") if isinstance(request.data, dict) else None
        self._require(Action.UPDATE)
        if not isinstance(history_id, int):
            raise ValidationError({"history_id": [_("give the history_id of the version to return to.")]})
        with transaction.atomic():
            record = self._locked_record()
            row = record.history.filter(history_id=history_id).first()
            if row is None:
                raise ValidationError(
                    {"history_id": [_("no version %(id)s in this record's history.") % {"id": history_id}]}
                )
            before = copy.copy(record)
            restore_values(record, row)
            record.derive()
            if not can_update(request.user, self.spec, before, record):
                self._deny(Action.UPDATE)
            self._check_placement(before, record)
            self._check_actors(before, record)
            self._save_version(before, record, reason=f"revert to history #{history_id}")
        return self._feature_response(record)


def build_viewset(spec: LayerSpec) -> type[LayerViewSet]:
    serializer = build_serializer(spec)
    doc = f"{spec.title_zh} / {spec.title_en}: GeoJSON features (RFC 7946)."
    viewset = type(
        f"{spec.model.__name__}ViewSet",
        (LayerViewSet,),
        {"spec": spec, "serializer_class": serializer, "queryset": spec.model.objects.none(), "__doc__": doc},
    )
    return extend_schema(tags=[spec.name], parameters=COMMON_PARAMETERS)(
        extend_schema(methods=["GET"], parameters=LIST_PARAMETERS)(viewset)
    )


class CatalogueView(APIView):
    """The layers this user can see: names, titles, geometry, fields and tile URL."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        zh = (get_language() or "zh-hans").startswith("zh")
        layers = []
        for spec in LAYERS.values():
            if not may_list_layer(request.user, spec):
                continue
            layers.append(
                {
                    "name": spec.name,
                    "title": spec.title_zh if zh else spec.title_en,
                    "title_zh": spec.title_zh,
                    "title_en": spec.title_en,
                    "geometry_type": spec.geometry_type,
                    "geometry_types": list(spec.geometry_types),
                    "public": spec.public,
                    "fields": _fields(spec),
                    "url": f"/api/{spec.name}/",
                    "tile_url": f"/tiles/{spec.name}/{{z}}/{{x}}/{{y}}.mvt",
                    **_zooms(spec.name),
                }
            )
        return Response({"layers": layers})


def _zooms(name: str) -> dict[str, int]:
    """The layer's tile zooms, from their one home (tiles.config; the tiles own how layers are drawn)."""
    from tiles.config import TILE_LAYERS

    tile = TILE_LAYERS[name]
    return {"minzoom": tile.minzoom, "detail_minzoom": tile.detail_minzoom, "maxzoom": tile.maxzoom}


def _fields(spec: LayerSpec) -> list[dict[str, Any]]:
    out = []
    for f in spec.model._meta.concrete_fields:
        if f.name in {"geom", "deleted_at"}:
            continue
        editable = f.editable and f.name != "id" and f.name not in spec.server_fields
        entry = {
            "name": f.name,
            "type": f.get_internal_type(),
            "title": str(f.verbose_name),
            "help": str(f.help_text),
            "filterable": f.name in spec.filter_fields,
            "editable": editable,
            # What a form must ask for: a value the model can neither leave blank nor default.
            "required": editable and not f.blank and not f.has_default() and not f.null,
        }
        if f.choices:
            entry["choices"] = [{"value": k, "label": str(v)} for k, v in f.flatchoices]
        out.append(entry)
    return out
