"""The one place the editor's edits are written (issue 17): staged in a changeset, or applied live.

Every write goes through the layer's own API code, so an edit in the editor is validated, checked
and saved exactly as ``PATCH /api/<layer>/<id>/`` would: the layer viewset's serializer (field
validation, geometry repair rules), its policy checks (role, scope, placement, actors), its unique
value refusal and its versioned save with history (``layers.api.views.LayerViewSet``). What this
module adds is the review: a park manager of a park whose edits need approval
(``policy.predicates.edits_need_review``) stages the edit as a ``ChangeItem`` of the park's working
changeset instead, and an officer of the park's division later applies the whole changeset in one
transaction (``approve``), or returns it with a comment (``return_``).

Locking: the live record's ``version`` (as the layer API), and for a pending item its ``revision``
too, so two managers editing the same plot meet in a conflict (409 ``stale_version``) instead of
one silently overwriting the other. A record with a pending item in a changeset awaiting review is
held (409 ``held``): nobody changes it until the officer has decided.
"""

from __future__ import annotations

import copy
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.geos import GEOSException, GEOSGeometry
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound, PermissionDenied, ValidationError

from audit.models import AuditAction
from audit.writer import record as audit_record
from inbox.models import MessageKind
from inbox.send import notify
from layers.api.serializers import READ_ONLY
from layers.crs import STORAGE_CRS
from layers.history import ensure_baseline, restore_values
from layers.registry import LAYERS, LayerSpec
from policy.actions import Action
from policy.predicates import (
    can_create,
    can_delete,
    can_update,
    edits_need_review,
    in_charge,
    may_review_changeset,
    may_submit_changeset,
    read_filter,
)
from policy.resources import OFFICERS, REVIEWED_LAYERS

from . import topology
from .models import PENDING_STATES, ChangeAction, ChangeItem, Changeset, ChangesetSource, ChangesetState

EDITABLE_STATES = (ChangesetState.OPEN, ChangesetState.RETURNED)
# Properties that are not the editor's to change: derived, kept by the platform, or our own.
NOT_WRITTEN = frozenset({*READ_ONLY, "pending", "deleted_at"})
# Properties that differ between any two versions and say nothing about the change itself.
NOT_SHOWN = frozenset({"id", "version", "created_at", "updated_at", "created_by", "updated_by", "pending"})
EDITOR_LINK = "/editor/?changeset={id}"


# --- errors ----------------------------------------------------------------------------------------


class StaleEdit(APIException):
    """The record (or its pending item) changed since the editor read it."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "stale_version"

    def __init__(self, record: Any, current_version: int | None, current: dict | None, mine: dict) -> None:
        super().__init__(
            _(
                "这条记录在您读取之后已被他人修改（当前版本 %(version)s）。"
                "请对照当前内容重新应用您的修改后再保存。"
            )
            % {"version": current_version}
        )
        self.extra = {"record": record, "current_version": current_version, "current": current, "mine": mine}


class Held(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "held"

    def __init__(self, record: Any, changeset_id: int) -> None:
        super().__init__(
            _("这条记录在变更集 #%(id)s 中等待审核，审核完成前不能修改。请等待招商专员通过或退回后再编辑。")
            % {"id": changeset_id}
        )
        self.extra = {"record": record, "changeset": changeset_id}


class TopologyRejected(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "topology"

    def __init__(self, issues: list[dict[str, Any]]) -> None:
        errors = sum(1 for i in issues if i["severity"] == "error")
        super().__init__(
            _("有 %(n)s 处拓扑错误（见地图上标出的位置），未保存任何修改。请修正后再保存。") % {"n": errors}
        )
        self.extra = {"issues": issues}


class WrongState(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "changeset_state"
    default_detail = gettext_lazy("变更集当前的状态不允许这个操作：请刷新后查看它的最新状态。")


class StaleItems(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "stale_items"

    def __init__(self, stale: list[dict[str, Any]]) -> None:
        super().__init__(
            _(
                "有 %(n)s 项变更所依据的线上记录已被修改，未写入任何变更。"
                "请退回变更集，由园区管理员对照最新内容重新编辑。"
            )
            % {"n": len(stale)}
        )
        self.extra = {"stale_items": stale}


# --- the layer API's own code ----------------------------------------------------------------------


class _Caller:
    """What the layer viewset reads of a request, for calls made outside one (a job)."""

    def __init__(self, user: Any) -> None:
        self.user = user
        self.query_params: dict[str, str] = {}
        self.data: dict[str, Any] = {}
        self.headers: dict[str, str] = {}


@cache
def _viewset(name: str) -> Any:
    """The layer's viewset class; ``Any`` because ``build_viewset`` sets ``serializer_class`` on
    the class it makes, which the DRF stubs type as optional."""
    from layers.api.views import build_viewset

    return build_viewset(LAYERS[name])


def layer_view(spec: LayerSpec | str, user: Any, action: str = "update") -> Any:
    """The layer's API viewset for ``user``, to validate and save as its endpoints do."""
    name = spec if isinstance(spec, str) else spec.name
    view = _viewset(name)(request=_Caller(user), format_kwarg=None, args=(), kwargs={}, action=action)
    return view


def _plain(data: Any) -> Any:
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def feature_json(spec: LayerSpec | str, record: Any) -> dict[str, Any]:
    """The record as the layer API's GeoJSON Feature (``GET /api/<layer>/<id>/``), as plain JSON.

    What a changeset stores as an item's ``before`` and ``after``: the same Feature the editor
    reads, so the reviewer's diff and the page's form show the same values. Works on unsaved
    records (a staged create: ``id`` null). Personal fields are masked as for an anonymous reader
    (parcels and buildings have none)."""
    return features_json(spec, [record])[0]


def features_json(spec: LayerSpec | str, records: Sequence[Any]) -> list[dict[str, Any]]:
    """``feature_json`` of many records with one serializer: its fields are built once instead of
    once per record (the bulk of the time for a 5,000-feature import)."""
    spec = LAYERS[spec] if isinstance(spec, str) else spec
    serializer = _viewset(spec.name).serializer_class(
        context={"request": _Caller(AnonymousUser()), "output_crs": STORAGE_CRS}
    )
    out = []
    for record in records:
        unsaved = record.pk is None
        if unsaved:  # the GeoJSON serializer writes the id as an integer; a staged create has none
            record = copy.copy(record)
            record.pk = 0
        feature = serializer.to_representation(record)
        if unsaved:
            feature["id"] = None
        out.append(feature)
    return _plain(out)


def held_ids(layer: LayerSpec | str, ids: Iterable[int]) -> dict[int, int]:
    """{record id: changeset id} for the records of ``layer`` among ``ids`` that have a pending item
    (a changeset open, submitted or returned). Each record has at most one pending item, so an
    import must not stage another for these: refuse them, or leave them out of the job."""
    name = layer if isinstance(layer, str) else layer.name
    ids = [i for i in ids if i is not None]
    if not ids:
        return {}
    rows = ChangeItem.objects.filter(
        layer=name, record_id__in=ids, changeset__state__in=PENDING_STATES
    ).values_list("record_id", "changeset_id")
    return {record_id: changeset_id for record_id, changeset_id in rows if record_id is not None}


def changes_of(before: dict | None, after: dict | None) -> tuple[dict[str, Any], dict | None]:
    """The writable properties that differ between two Features, and the new geometry if it differs:
    what applying ``after`` over the live record ``before`` writes."""
    if after is None:
        return {}, None
    old = (before or {}).get("properties") or {}
    props = {
        k: v
        for k, v in (after.get("properties") or {}).items()
        if k not in NOT_WRITTEN and (before is None or old.get(k) != v)
    }
    geometry = after.get("geometry")
    if before is not None and geometry == before.get("geometry"):
        geometry = None
    return props, geometry


def stage_import(user: Any, park: Any, job: Any, items: Sequence[dict[str, Any]]) -> Changeset:
    """Stage an import job's records as one changeset (``source=import``, ``import_job=job``).

    ``items``: ``{"layer", "record": live record or None, "action": "create"|"update"|"delete",
    "after": Feature|None, "before": Feature|None}``, the Features as ``feature_json`` gives them
    (``after`` carries the file's values; only properties and geometry that differ from ``before``
    are written at approval). The changeset is left *open* for the park's managers to look at in the
    editor (``/editor/?changeset=<id>``) and submit; topology warnings are stored on the items.
    Refuses (409 ``held``) a record that already has a pending item: check ``held_ids`` first."""
    with transaction.atomic():
        by_layer: dict[str, list[int]] = defaultdict(list)
        for item in items:
            if item.get("record") is not None:
                by_layer[item["layer"]].append(item["record"].pk)
        for layer, ids in by_layer.items():
            held = held_ids(layer, ids)
            if held:
                held_record, held_changeset = next(iter(held.items()))
                raise Held(held_record, held_changeset)
        changeset = Changeset.objects.create(
            park=park,
            source=ChangesetSource.IMPORT,
            import_job=job,
            created_by=user,
            title=(_("导入 %(file)s") % {"file": getattr(job, "filename", "") or getattr(job, "pk", "")})[
                :200
            ],
        )
        rows = []
        for item in items:
            record = item.get("record")
            rows.append(
                ChangeItem(
                    changeset=changeset,
                    layer=item["layer"],
                    record_id=record.pk if record is not None else None,
                    action=item["action"],
                    base_version=record.version if record is not None else None,
                    before=item.get("before"),
                    after=item.get("after") if item["action"] != ChangeAction.DELETE else None,
                    author=user,
                )
            )
        ChangeItem.objects.bulk_create(rows, batch_size=2000)
        _store_issues(park, rows, user)
    return changeset


def _store_issues(park: Any, rows: list[ChangeItem], user: Any) -> None:
    """Topology warnings of new items, kept on each (one statement per layer)."""
    for layer in {r.layer for r in rows}:
        mine = [r for r in rows if r.layer == layer]
        checks = []
        for n, row in enumerate(mine):
            geometry = (row.after or {}).get("geometry")
            if geometry:
                try:
                    checks.append({"index": n, "record": row.record_id, "geom": _geos(geometry)})
                except (GEOSException, ValueError, TypeError):
                    continue
        issues = topology.check_many(
            layer,
            checks,
            park=park,
            replaced_ids=[r.record_id for r in mine if r.record_id],
            user=user,
            skip_items=[r.pk for r in mine],
        )
        found: dict[int, list] = defaultdict(list)
        for issue in issues:
            found[issue["index"]].append(issue)
        changed = []
        for n, row in enumerate(mine):
            if found.get(n):
                row.issues = found[n]
                changed.append(row)
        ChangeItem.objects.bulk_update(changed, ["issues"], batch_size=2000)


def _geos(geometry: dict) -> GEOSGeometry:
    return GEOSGeometry(json.dumps(geometry), srid=4326)


# --- the working copy ------------------------------------------------------------------------------


def working_changeset(park: Any, *, create: bool) -> Changeset | None:
    """The park's editor changeset new staged edits join: a returned one being fixed, else the open
    one (made when ``create``)."""
    found = (
        Changeset.objects.select_for_update()
        .filter(park=park, source=ChangesetSource.EDITOR, state__in=EDITABLE_STATES)
        .order_by("-state", "created_at")  # "returned" before "open"
        .first()
    )
    if found is None and create:
        found = Changeset.objects.create(park=park, source=ChangesetSource.EDITOR)
    return found


def pending_info(item: ChangeItem) -> dict[str, Any]:
    return {
        "item": item.pk,
        "revision": item.revision,
        "action": item.action,
        "changeset": item.changeset_id,
        "state": item.changeset.state,
    }


def working_feature(item: ChangeItem, live_version: int | None) -> dict[str, Any] | None:
    """A pending item's Feature as the editor shows it (None for a pending delete)."""
    if item.after is None:
        return None
    feature = copy.deepcopy(item.after)
    feature["id"] = item.record_id if item.record_id is not None else f"new-{item.pk}"
    props = feature.setdefault("properties", {})
    props["version"] = live_version
    props["pending"] = pending_info(item)
    return feature


def live_feature(spec: LayerSpec, record: Any) -> dict[str, Any]:
    feature = feature_json(spec, record)
    feature["properties"]["pending"] = None
    return feature


def working_collection(user: Any, park: Any, spec: LayerSpec, *, published: bool = False) -> dict[str, Any]:
    """The park's records of ``spec`` the user reads, in their working state (live records with the
    park's pending items applied, pending creates added), or as published (``published``)."""
    model: Any = spec.model  # a layer model with a ``park`` field (``spec.has_park``)
    records = list(model.objects.filter(read_filter(user, spec), park=park).select_related().order_by("pk"))
    serializer = _viewset(spec.name).serializer_class(
        records, many=True, context={"request": _Caller(user), "output_crs": STORAGE_CRS}
    )
    features = _plain(serializer.data)["features"]
    for f in features:
        f["properties"]["pending"] = None
    if not published:
        items = {
            i.record_id: i
            for i in ChangeItem.objects.filter(
                changeset__park=park, changeset__state__in=PENDING_STATES, layer=spec.name
            ).select_related("changeset")
        }
        shown = []
        for f in features:
            item = items.pop(f["id"], None)
            if item is None:
                shown.append(f)
            elif item.after is not None:
                shown.append(working_feature(item, f["properties"].get("version")))
        # Pending creates (no record yet); items about records the user does not read stay out.
        shown.extend(working_feature(i, None) for key, i in items.items() if key is None)
        features = [f for f in shown if f is not None]
    return {"type": "FeatureCollection", "features": features}


# --- saving ----------------------------------------------------------------------------------------


@dataclass
class _Edit:
    index: int
    spec: LayerSpec
    action: str  # create, update, delete, revert
    sent: dict[str, Any]
    live: Any = None  # the locked live record (None for a create)
    item: ChangeItem | None = None  # its pending item, if any
    working: Any = None  # the record as it will be (None for a delete)
    geom: GEOSGeometry | None = None  # for the topology check
    reason: str | None = None
    warnings: list[str] = field(default_factory=list)
    issues: list[dict[str, Any]] = field(default_factory=list)


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _field_error(name: str, message: str) -> ValidationError:
    return ValidationError({name: [message]})


def _raw_invalid(geometry: Any) -> GEOSGeometry | None:
    """The sent geometry when it is invalid (a bow-tie): the editor reports it as a topology error
    with its location, where the layer API would refuse it as invalid input or repair it."""
    if not isinstance(geometry, dict):
        return None
    try:
        geom = _geos(geometry)
    except (GEOSException, ValueError, TypeError):
        return None
    return None if geom.valid else geom


def _validated(view: Any, instance: Any, props: dict, geometry: dict | None, *, partial: bool) -> tuple:
    """The layer serializer's validated data for a Feature of ``props`` and ``geometry`` (partial:
    only the fields sent), and its warnings. One serializer per view and mode, reused: building a
    model serializer's fields costs more than validating, and an approval validates a thousand."""
    feature: dict[str, Any] = {"type": "Feature", "properties": props}
    if geometry is not None:
        feature["geometry"] = geometry
    made = view.__dict__.setdefault("_editing_serializers", {})
    serializer = made.get(partial)
    if serializer is None:
        serializer = made[partial] = view.get_serializer(data={}, partial=partial)
    serializer.context["warnings"] = []
    serializer.context.pop("input_crs", None)
    data = serializer.run_validation(feature)
    return data, serializer.context.get("warnings") or []


class _Views:
    """The layer viewsets of one save or approval, one per layer and user."""

    def __init__(self) -> None:
        self._made: dict[tuple[str, Any], Any] = {}

    def __call__(self, spec: LayerSpec | str, user: Any) -> Any:
        name = spec if isinstance(spec, str) else spec.name
        key = (name, getattr(user, "pk", None))
        if key not in self._made:
            self._made[key] = layer_view(name, user)
        return self._made[key]


def _current(edit: _Edit) -> dict | None:
    """What the conflicting editor should see now: the working Feature of the record."""
    if edit.item is not None and edit.item.after is not None:
        return working_feature(edit.item, edit.live.version if edit.live is not None else None)
    if edit.live is not None:
        return live_feature(edit.spec, edit.live)
    return None


def _resolve(user: Any, park: Any, index: int, sent: dict[str, Any], *, staged: bool, view: Any) -> _Edit:
    """Lock the record and its pending item, and check the versions the editor read."""
    layer = sent.get("layer")
    if layer not in REVIEWED_LAYERS:
        raise _field_error("layer", _("编辑器只编辑地块（parcels）和楼宇（buildings）。"))
    spec = LAYERS[layer]
    action = sent.get("action")
    if action not in {"create", "update", "delete", "revert"}:
        raise _field_error("action", _("action 须为 create、update、delete 或 revert。"))
    edit = _Edit(index=index, spec=spec, action=action, sent=sent)
    needed = {"delete": Action.DELETE, "create": Action.CREATE}.get(action, Action.UPDATE)
    view._require(needed)
    ident = sent.get("id")
    revision = _int(sent.get("revision")) or 0
    if isinstance(ident, str) and ident.startswith("new-"):
        item = (
            ChangeItem.objects.select_for_update()
            .select_related("changeset")
            .filter(pk=_int(ident[4:]) or 0, layer=layer, record_id=None, changeset__park=park)
            .filter(changeset__state__in=PENDING_STATES)
            .first()
        )
        if item is None:
            raise NotFound(_("没有这个待审核的新增图斑：它可能已被放弃或已通过审核。请刷新后再编辑。"))
        if item.changeset.state not in EDITABLE_STATES or not staged:
            raise Held(ident, item.changeset_id)
        if revision != item.revision:
            raise StaleEdit(ident, None, working_feature(item, None), sent)
        if action in {"update", "revert"}:
            edit.action = "create"  # still a new record: editing it again is re-drawing the create
        if action == "revert":
            raise _field_error("action", _("新增的图斑还没有历史版本可以恢复。"))
        edit.item = item
        return edit
    record_id = _int(ident)
    if action == "create":
        if ident is not None:
            raise _field_error("id", _("新增时不要带 id（或用待审核新增的 new-<编号>）。"))
        return edit
    if record_id is None:
        raise _field_error("id", _("修改、删除或恢复时须给出记录编号 id。"))
    live = spec.model.objects.filter(read_filter(user, spec)).select_for_update().filter(pk=record_id).first()
    if live is None:
        raise NotFound()
    edit.live = live
    edit.item = (
        ChangeItem.objects.select_for_update()
        .select_related("changeset")
        .filter(layer=layer, record_id=record_id, changeset__state__in=PENDING_STATES)
        .first()
    )
    item = edit.item
    if item is not None and (
        item.changeset.state not in EDITABLE_STATES or (staged and item.changeset.park_id != park.pk)
    ):
        raise Held(record_id, item.changeset_id)
    version = _int(sent.get("version"))
    if version is None:
        raise _field_error("version", _("请给出读取时的版本号 version。"))
    if version != live.version:
        raise StaleEdit(record_id, live.version, _current(edit), sent)
    if staged and revision != (item.revision if item is not None else 0):
        raise StaleEdit(record_id, live.version, _current(edit), sent)
    if not staged:
        edit.item = None  # a live write leaves a draft elsewhere as it is (it turns stale at approval)
    return edit


def _build(user: Any, park: Any, edit: _Edit, view: Any) -> None:
    """The record as the edit makes it, validated and checked as the layer API does."""
    spec, sent = edit.spec, edit.sent
    props = sent.get("properties") or {}
    if not isinstance(props, dict):
        raise _field_error("properties", _("properties 是字段值对象。"))
    geometry = sent.get("geometry")
    raw_invalid = _raw_invalid(geometry)
    if edit.action == "delete":
        if edit.live is not None and not can_delete(user, spec, edit.live):
            view._deny(Action.DELETE)
        return
    if raw_invalid is not None:
        edit.geom = raw_invalid  # reported by the topology check, with its location
        return
    if edit.action == "revert":
        history_id = _int(sent.get("history_id"))
        row = edit.live.history.filter(history_id=history_id).first() if history_id else None
        if row is None:
            raise _field_error("history_id", _("这条记录的历史中没有这个版本：请给出要恢复的 history_id。"))
        working = copy.copy(edit.live)
        restore_values(working, row)
        edit.reason = f"revert to history #{history_id}"
    elif edit.live is None:
        base_props, base_geometry = changes_of(None, edit.item.after) if edit.item else ({}, None)
        data, edit.warnings = _validated(
            view, None, {**base_props, **props}, geometry or base_geometry, partial=False
        )
        working = spec.model(**data)
    else:
        base_props, base_geometry = changes_of(edit.item.before, edit.item.after) if edit.item else ({}, None)
        working = copy.copy(edit.live)
        data, edit.warnings = _validated(
            view, working, {**base_props, **props}, geometry or base_geometry, partial=True
        )
        for name, value in data.items():
            setattr(working, name, value)
    if geometry is not None and working.geom is not None:
        exclude = [edit.live.pk] if edit.live is not None else []
        working.geom = topology.snap_to_neighbours(spec, working.geom, park=park, exclude=exclude)
    working.derive()
    before = edit.live
    if before is None:
        if not can_create(user, spec, working):
            view._deny(Action.CREATE)
    elif not can_update(user, spec, before, working):
        view._deny(Action.UPDATE)
    view._check_placement(before, working)
    view._check_actors(before, working)
    view._refuse_taken_values(working)
    edit.working = working
    edit.geom = working.geom


@dataclass
class SaveResult:
    applied: bool
    changeset: Changeset | None
    features: list[dict[str, Any] | None]
    issues: list[dict[str, Any]]


def save_edits(
    user: Any, park: Any, items: Sequence[dict[str, Any]] | None, *, dry_run: bool = False
) -> SaveResult:
    """Check and save one editor save (the contract's ``POST /api/editing/edits/`` items), all or
    nothing: staged in the park's working changeset when the user's edits need review, else applied
    to the live layers. Raises the API errors (400 per item, 403, 404, 409, 422 ``topology``).
    ``dry_run``: everything is checked, nothing is written (the issues come back)."""
    if not isinstance(items, list | tuple) or not items:
        raise _field_error("items", _("items 是要保存的修改列表，至少一项。"))
    layers = {i["layer"] for i in items if isinstance(i, dict) and i.get("layer") in REVIEWED_LAYERS}
    staged = any(edits_need_review(user, layer, park) for layer in layers)
    with transaction.atomic():
        edits: list[_Edit] = []
        errors: dict[str, Any] = {}
        views = _Views()
        for index, sent in enumerate(items):
            if not isinstance(sent, dict):
                errors[str(index)] = {"non_field_errors": [_("每一项是一个对象。")]}
                continue
            layer = sent.get("layer")
            view = views(layer if isinstance(layer, str) and layer in LAYERS else "parcels", user)
            try:
                edit = _resolve(user, park, index, sent, staged=staged, view=view)
                _build(user, park, edit, view)
            except ValidationError as exc:
                errors[str(index)] = exc.detail
                continue
            except APIException as exc:
                extra = getattr(exc, "extra", None)
                if isinstance(extra, dict):
                    extra.setdefault("index", index)
                raise
            edits.append(edit)
        if errors:
            raise ValidationError({"items": errors})
        issues = _check(user, park, edits)
        if any(i["severity"] == "error" for i in issues):
            raise TopologyRejected(issues)
        if dry_run:
            features = [feature_json(e.spec, e.working) if e.working is not None else None for e in edits]
            return SaveResult(applied=not staged, changeset=None, features=features, issues=issues)
        if staged:
            changeset = working_changeset(park, create=True)
            assert changeset is not None  # create=True makes one when there is none
            features = [_stage(user, changeset, e) for e in edits]
            return SaveResult(applied=False, changeset=changeset, features=features, issues=issues)
        features = [_apply_live(user, e, views(e.spec, user)) for e in edits]
    return SaveResult(applied=True, changeset=None, features=features, issues=issues)


def _check(user: Any, park: Any, edits: list[_Edit]) -> list[dict[str, Any]]:
    issues: list[dict[str, Any]] = []
    replaced = [e.live.pk for e in edits if e.live is not None]
    skip = [e.item.pk for e in edits if e.item is not None]
    for spec in {e.spec.name: e.spec for e in edits}.values():
        checks = [
            {"index": e.index, "record": e.live.pk if e.live is not None else None, "geom": e.geom}
            for e in edits
            if e.spec.name == spec.name and e.geom is not None
        ]
        issues.extend(
            topology.check_many(spec, checks, park=park, replaced_ids=replaced, user=user, skip_items=skip)
        )
    issues.sort(key=lambda i: (i["severity"] != "error", i["index"]))
    by_index: dict[int, list] = defaultdict(list)
    for issue in issues:
        by_index[issue["index"]].append(issue)
    for e in edits:
        e.issues = by_index.get(e.index, [])
    return issues


def _stage(user: Any, changeset: Changeset, edit: _Edit) -> dict[str, Any] | None:
    item = edit.item
    if edit.action == "delete" and edit.live is None:  # discarding a pending create
        assert item is not None  # without a live record, _resolve has locked the pending item
        item.delete()
        return None
    before = live_feature(edit.spec, edit.live) if edit.live is not None else None
    after = feature_json(edit.spec, edit.working) if edit.working is not None else None
    if after is not None:
        after["properties"].pop("pending", None)
    if before is not None:
        before["properties"].pop("pending", None)
    if edit.action != "delete" and before is not None:
        props, geometry = changes_of(before, after)
        if not props and geometry is None:  # back to the live state: nothing pending any more
            if item is not None:
                item.delete()
            return live_feature(edit.spec, edit.live)
    if item is None:
        item = ChangeItem(changeset=changeset, layer=edit.spec.name, revision=0)
    item.record_id = edit.live.pk if edit.live is not None else None
    item.action = (
        ChangeAction.DELETE
        if edit.action == "delete"
        else (ChangeAction.CREATE if edit.live is None else ChangeAction.UPDATE)
    )
    item.base_version = edit.live.version if edit.live is not None else None
    item.revision += 1
    item.before = before
    item.after = after
    item.issues = edit.issues
    item.author = user
    item.save()
    return working_feature(item, item.base_version)


def _apply_live(user: Any, edit: _Edit, view: Any) -> dict[str, Any] | None:
    """The write ``LayerViewSet`` makes for the same edit: history, version + 1, audit, tiles."""
    if edit.action == "delete":
        ensure_baseline(edit.live)
        edit.live._history_user = user
        edit.live.soft_delete(user)
        return None
    record = edit.working
    if edit.live is None:
        record.created_by = record.updated_by = user
        record._history_user = user
        view._save(record)
    else:
        view._save_version(edit.live, record, reason=edit.reason)
    return live_feature(edit.spec, record)


# --- the changeset's life: submit, approve, return, discard ------------------------------------------


def authors_of(changeset: Changeset) -> set[int]:
    ids = set(changeset.items.exclude(author=None).values_list("author_id", flat=True))
    ids.update(i for i in (changeset.created_by_id, changeset.submitted_by_id) if i)
    return ids


def _locked(changeset_id: int) -> Changeset:
    changeset = Changeset.objects.select_for_update().select_related("park").filter(pk=changeset_id).first()
    if changeset is None:
        raise NotFound()
    return changeset


def _park_code(changeset: Changeset) -> str:
    return changeset.park.division_code or ""


def submit(user: Any, changeset_id: int, *, title: str = "") -> Changeset:
    """Freeze the changeset for review and tell the officers of the park's division."""
    with transaction.atomic():
        changeset = _locked(changeset_id)
        if not may_submit_changeset(user, changeset):
            raise PermissionDenied(_("只有本园区的园区管理员可以提交这个变更集。"))
        if changeset.state not in EDITABLE_STATES:
            raise WrongState()
        if not changeset.items.exists():
            raise _field_error("items", _("变更集中还没有任何修改，无需提交。"))
        changeset.state = ChangesetState.SUBMITTED
        changeset.title = (title or changeset.title)[:200]
        changeset.submitted_by = user
        changeset.submitted_at = timezone.now()
        changeset.save()
        authors = authors_of(changeset)
        officers = [u for u in in_charge(OFFICERS, _park_code(changeset)) if u.pk not in authors]
        notify(
            officers,
            kind=MessageKind.REVIEW,
            title=_("%(park)s 的数据变更待审核") % {"park": changeset.park.name},
            body=changeset.title,
            key=f"changeset:{changeset.pk}:submit:{changeset.submitted_at.timestamp():.0f}",
            link=EDITOR_LINK.format(id=changeset.pk),
            about=changeset,
        )
    return changeset


def _may_review(user: Any, changeset: Changeset) -> None:
    if not may_review_changeset(user, changeset, authors_of(changeset)):
        raise PermissionDenied(
            _("变更集由园区所在辖区的招商专员审核，且不能审核自己参与编辑的变更。请联系辖区的招商专员。")
        )


def _tell_authors(changeset: Changeset, kind: str, title: str, step: str) -> None:
    from accounts.models import User

    authors = User.objects.filter(pk__in=authors_of(changeset), is_active=True)
    assert changeset.reviewed_at is not None  # set by the review step that tells them
    notify(
        authors,
        kind=kind,
        title=title,
        body=changeset.review_comment,
        key=f"changeset:{changeset.pk}:{step}:{changeset.reviewed_at.timestamp():.0f}",
        link=EDITOR_LINK.format(id=changeset.pk),
        about=changeset,
    )


def return_(user: Any, changeset_id: int, *, comment: str) -> Changeset:
    """Send the changeset back to the park's managers with what to fix; it opens for editing again."""
    comment = (comment or "").strip()
    if not comment:
        raise _field_error("comment", _("退回时请写明需要修改什么。"))
    with transaction.atomic():
        changeset = _locked(changeset_id)
        _may_review(user, changeset)
        if changeset.state != ChangesetState.SUBMITTED:
            raise WrongState()
        changeset.state = ChangesetState.RETURNED
        changeset.review_comment = comment
        changeset.reviewed_by = user
        changeset.reviewed_at = timezone.now()
        changeset.save()
        _tell_authors(
            changeset,
            MessageKind.RETURNED,
            _("%(park)s 的数据变更被退回") % {"park": changeset.park.name},
            "return",
        )
        audit_record(
            AuditAction.RETURN,
            object_type="editing.changeset",
            object_id=changeset.pk,
            division=_park_code(changeset),
            detail={"items": changeset.items.count()},
        )
    return changeset


def approve(user: Any, changeset_id: int) -> Changeset:
    """Apply every item to the live layers in one transaction, with history (reason
    ``changeset #<id>``, the item's author as the history user) and one audit entry per record (the
    post_save receivers) plus one for the approval. Nothing is written when any item's record
    changed since it was staged (409 ``stale_items``)."""
    with transaction.atomic():
        changeset = _locked(changeset_id)
        _may_review(user, changeset)
        if changeset.state != ChangesetState.SUBMITTED:
            raise WrongState()
        items = list(changeset.items.select_related("author").order_by("pk"))
        live: dict[tuple[str, int | None], Any] = {}
        for layer in {i.layer for i in items}:
            ids = [i.record_id for i in items if i.layer == layer and i.record_id is not None]
            for record in LAYERS[layer].model.all_objects.select_for_update().filter(pk__in=ids):
                live[(layer, record.pk)] = record
        stale = []
        for item in items:
            if item.record_id is None:
                continue
            current = live.get((item.layer, item.record_id))
            if current is None or current.deleted_at is not None or current.version != item.base_version:
                stale.append(
                    {
                        "item": item.pk,
                        "layer": item.layer,
                        "record": item.record_id,
                        "base_version": item.base_version,
                        "current_version": current.version if current is not None else None,
                    }
                )
        if stale:
            raise StaleItems(stale)
        reason = f"changeset #{changeset.pk}"
        errors: dict[str, Any] = {}
        ensure_baselines(live.values())
        views = _Views()
        for n, item in enumerate(items):
            try:
                _apply_item(
                    item, live.get((item.layer, item.record_id)), reason, views(item.layer, item.author)
                )
            except ValidationError as exc:
                errors[str(n)] = {"item": item.pk, **(exc.detail if isinstance(exc.detail, dict) else {})}
        if errors:
            raise ValidationError({"items": errors})
        ChangeItem.objects.bulk_update(items, ["applied_id"], batch_size=2000)
        changeset.state = ChangesetState.APPROVED
        changeset.reviewed_by = user
        changeset.reviewed_at = timezone.now()
        changeset.save()
        counts = Counter(i.action for i in items)
        audit_record(
            AuditAction.APPROVE,
            object_type="editing.changeset",
            object_id=changeset.pk,
            division=_park_code(changeset),
            detail={"items": len(items), **counts},
        )
        _tell_authors(
            changeset,
            MessageKind.RESULT,
            _("%(park)s 的数据变更已审核通过并发布") % {"park": changeset.park.name},
            "approve",
        )
    return changeset


def ensure_baselines(records: Iterable[Any]) -> None:
    """``layers.history.ensure_baseline`` for many records at once (bulk-loaded or imported records
    have no history row yet): one query to find them, one insert per layer."""
    by_model: dict[type[Any], list[Any]] = defaultdict(list)
    for record in records:
        by_model[type(record)].append(record)
    for model, found in by_model.items():
        history = model.history.model
        ids = [r.pk for r in found]
        have = set(history.objects.filter(id__in=ids).values_list("id", flat=True).distinct())
        rows = [
            history(
                **{f.attname: getattr(r, f.attname) for f in history.tracked_fields},
                history_date=r.updated_at or r.created_at,
                history_type="+",
                history_user_id=r.created_by_id,
                history_change_reason="baseline",
            )
            for r in found
            if r.pk not in have
        ]
        history.objects.bulk_create(rows, batch_size=1000)


def _apply_item(item: ChangeItem, record: Any, reason: str, view: Any) -> None:
    spec = LAYERS[item.layer]
    author = item.author
    if item.action == ChangeAction.DELETE:
        ensure_baseline(record)
        record._history_user = author
        record._change_reason = reason
        record.soft_delete(author)
        item.applied_id = record.pk
        return
    props, geometry = changes_of(item.before, item.after)
    if item.action == ChangeAction.CREATE:
        data, _warnings = _validated(view, None, props, geometry, partial=False)
        new: Any = spec.model(**data)  # simple_history reads _history_user and _change_reason
        new.created_by = new.updated_by = author
        new._history_user = author
        new._change_reason = reason
        view._save(new)
        item.applied_id = new.pk
        return
    before = copy.copy(record)
    data, _warnings = _validated(view, record, props, geometry, partial=True)
    for name, value in data.items():
        setattr(record, name, value)
    view._save_version(before, record, reason=reason)
    item.applied_id = record.pk


def discard_item(user: Any, changeset_id: int, item_id: int) -> None:
    """Drop one pending item (its record stays as it is live) while the changeset is being edited."""
    with transaction.atomic():
        changeset = _locked(changeset_id)
        if not may_submit_changeset(user, changeset):
            raise PermissionDenied(_("只有本园区的园区管理员可以放弃变更集中的修改。"))
        if changeset.state not in EDITABLE_STATES:
            raise WrongState()
        deleted, _rows = changeset.items.filter(pk=item_id).delete()
        if not deleted:
            raise NotFound()


# --- what the API shows ------------------------------------------------------------------------------


def _who(user: Any) -> str | None:
    return user.get_username() if user is not None else None


def changeset_summary(changeset: Changeset) -> dict[str, Any]:
    counts = Counter(changeset.items.values_list("action", flat=True))
    return {
        "id": changeset.pk,
        "park": changeset.park_id,
        "park_name": changeset.park.name,
        "state": changeset.state,
        "state_label": str(changeset.get_state_display()),
        "source": changeset.source,
        "title": changeset.title,
        "import_job": changeset.import_job_id,
        "created_by": _who(changeset.created_by),
        "created_at": changeset.created_at.isoformat(),
        "submitted_by": _who(changeset.submitted_by),
        "submitted_at": changeset.submitted_at.isoformat() if changeset.submitted_at else None,
        "reviewed_by": _who(changeset.reviewed_by),
        "reviewed_at": changeset.reviewed_at.isoformat() if changeset.reviewed_at else None,
        "review_comment": changeset.review_comment,
        "counts": {a: counts.get(a, 0) for a in ChangeAction.values},
    }


def field_changes(spec: LayerSpec, before: dict | None, after: dict | None) -> list[dict[str, Any]]:
    """[{field, label, old, new}] between two Features; a changed geometry is the field "geometry"
    (its old and new shapes are the Features' own)."""
    old = (before or {}).get("properties") or {}
    new = (after or {}).get("properties") or {}
    labels = {f.name: str(f.verbose_name) for f in spec.model._meta.concrete_fields}
    out = []
    for name in dict.fromkeys([*old, *new]):
        if name in NOT_SHOWN or old.get(name) == new.get(name):
            continue
        label = labels.get(name, name)
        out.append({"field": name, "label": label, "old": old.get(name), "new": new.get(name)})
    if (before or {}).get("geometry") != (after or {}).get("geometry"):
        out.append({"field": "geometry", "label": labels.get("geom", "geometry"), "old": None, "new": None})
    return out


def changeset_detail(changeset: Changeset) -> dict[str, Any]:
    items = []
    for item in changeset.items.select_related("author").order_by("pk"):
        spec = LAYERS[item.layer]
        items.append(
            {
                "id": item.pk,
                "layer": item.layer,
                "record_id": item.record_id,
                "action": item.action,
                "base_version": item.base_version,
                "revision": item.revision,
                "author": _who(item.author),
                "updated_at": item.updated_at.isoformat(),
                "applied_id": item.applied_id,
                "before": item.before,
                "after": item.after,
                "changes": field_changes(spec, item.before, item.after),
                "issues": item.issues,
            }
        )
    return {**changeset_summary(changeset), "items": items}
