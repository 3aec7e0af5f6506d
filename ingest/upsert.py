"""Upsert imports: each feature of a file matched to a stored record by a key, and what it becomes.

A park manager's corrected survey holds the same plots as the layer, some redrawn or renamed, and a
few new ones: with ``mode=upsert`` a feature whose ``match_field`` (parcels: ``code``; buildings:
a field the user picks, such as ``name``) names a stored record in the importer's scope *updates*
it with the fields the file gives (an empty cell keeps the stored value), one with a new key is
*created*, and one that differs in no field and not in its geometry is *unchanged* and not written
at all. The preview shows exactly this before anything is written; the job decides again at commit
time, under row locks, from the state the layer is in then.

Everything is decided in a few set-based steps, whatever the number of features: one query for the
stored records of every key, one for the pending changesets that hold some of them, one per unique
field for values taken elsewhere, one for the scope of new or redrawn geometries, and geometry
comparison with shapely's vectorised functions.

A key found only outside the importer's scope is an error when the key is unique (creating it again
would collide); a non-unique key (a building's name) is only looked for among the records the
importer may change, so that "1号厂房" of another park does not block this park's own.
"""

from __future__ import annotations

import copy
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from editing.changesets import held_ids
from editing.imports import needs_review
from layers.derivation import derived_columns
from layers.models import LayerFeature
from layers.registry import LayerSpec
from policy.predicates import can_create, can_update, geometries_in_scope, may_redraw

from .report import unit_name
from .vector import EMPTY, _jsonable, writable_fields

# Two geometries closer than this everywhere (degrees, ~1 cm) are the same: a survey exported again
# rounds coordinates, reorders rings or adds a vertex on a straight edge without moving the plot.
GEOMETRY_TOLERANCE_DEG = 1e-7
QUERY_CHUNK = 5000


class MatchAction(models.TextChoices):
    """What a feature of an upsert import becomes."""

    CREATE = "create", gettext_lazy("新增")
    UPDATE = "update", gettext_lazy("修改")
    UNCHANGED = "unchanged", gettext_lazy("未变")
    ERROR = "error", gettext_lazy("无法匹配")


@dataclass
class Match:
    """One feature: the record the file describes, the stored record it matched, and the verdict."""

    row: int
    record: LayerFeature  # from the file, derived (unsaved)
    action: str = MatchAction.CREATE
    target: LayerFeature | None = None  # the stored record, as stored (update, unchanged)
    after: LayerFeature | None = None  # the stored record with the file's values (update)
    changes: list[dict[str, Any]] = field(default_factory=list)
    geometry_changed: bool = False
    errors: list[str] = field(default_factory=list)
    key: Any = None

    def fail(self, message: str) -> None:
        self.errors.append(message)

    def as_json(self) -> dict[str, Any]:
        """The preview's ``match`` of a feature."""
        return {
            "action": self.action,
            "record": self.target.pk if self.target is not None else None,
            "version": self.target.version if self.target is not None else None,
            "changes": self.changes,
            "geometry_changed": self.geometry_changed,
        }


def counts(matches: Sequence[Match]) -> dict[str, int]:
    """{create, update, unchanged, error}: a feature with any problem counts as an error only."""
    out = Counter({a: 0 for a in MatchAction.values})
    for m in matches:
        out[MatchAction.ERROR if m.errors else m.action] += 1
    return dict(out)


def reviewed(spec: LayerSpec, user: Any, matches: Sequence[Match]) -> bool:
    """Whether committing would stage the import in a changeset for review (the preview says so)."""
    return needs_review(spec, user, list(matches))


def as_creates(records: Sequence[LayerFeature], rows: Sequence[int]) -> list[Match]:
    """An insert-mode import as matches: every feature is new (its keys were checked to be free)."""
    return [Match(row, record) for record, row in zip(records, rows, strict=True)]


def _same_value(f: models.Field, old: Any, new: Any) -> bool:
    if old == new:
        return True
    if old in EMPTY and new in EMPTY:
        return True
    if isinstance(f, models.FloatField) and old is not None and new is not None:
        return math.isclose(float(old), float(new), rel_tol=1e-9, abs_tol=1e-9)
    return False


def _same_geometries(before: Sequence[Any], after: Sequence[Any]) -> np.ndarray:
    """Element-wise: whether each pair of GEOS geometries is the same shape within the tolerance.

    Exact equality with a tolerance first (the common case of an untouched plot, cheap), then the
    Hausdorff distance, which does not care where a ring starts or about a vertex added on an edge.
    """
    if not before:
        return np.zeros(0, dtype=bool)
    a = shapely.from_wkb([bytes(g.wkb) for g in before])
    b = shapely.from_wkb([bytes(g.wkb) for g in after])
    same = shapely.equals_exact(a, b, tolerance=GEOMETRY_TOLERANCE_DEG)
    rest = ~same
    if rest.any():
        same[rest] = shapely.hausdorff_distance(a[rest], b[rest]) < GEOMETRY_TOLERANCE_DEG
    return same


def _stored(spec: LayerSpec, attname: str, keys: list[Any], *, lock: bool) -> dict[Any, list[LayerFeature]]:
    """Every stored record (soft-deleted ones too) with one of ``keys``, by key: one query per 5,000."""
    out: dict[Any, list[LayerFeature]] = defaultdict(list)
    for start in range(0, len(keys), QUERY_CHUNK):
        qs = spec.model.all_objects.filter(**{f"{attname}__in": keys[start : start + QUERY_CHUNK]})
        if lock:
            qs = qs.select_for_update(of=("self",))
        for record in qs.order_by("pk"):
            out[getattr(record, attname)].append(record)
    return out


def match(
    spec: LayerSpec,
    user: Any,
    records: Sequence[LayerFeature],
    rows: Sequence[int],
    unit: str,
    match_field: str,
    *,
    lock: bool = False,
) -> list[Match]:
    """What each record (built from the file by ``vector._record``, derived) does to the layer.

    ``lock`` (the job's commit) locks the matched rows until the transaction ends, so nobody changes
    them between this decision and the write. Problems go into each match's ``errors``, with the
    message a user acts on.
    """
    f = spec.model._meta.get_field(match_field)
    label = str(f.verbose_name)
    matches = [Match(row, record) for record, row in zip(records, rows, strict=True)]
    first: dict[Any, int] = {}
    for m in matches:
        value = getattr(m.record, f.attname)
        if match_field not in getattr(m.record, "_ingest_fields", ()) or value in EMPTY:
            m.action = MatchAction.ERROR
            m.fail(
                _("%(field)s (%(label)s) is empty, so the feature cannot be matched to a record; fill it in")
                % {"field": match_field, "label": label}
            )
            continue
        if value in first:
            m.action = MatchAction.ERROR
            m.fail(
                _("%(field)s %(value)s is also in %(unit)s %(first)s; each record may be matched once")
                % {"field": match_field, "value": value, "unit": unit_name(unit), "first": first[value]}
            )
            continue
        first[value] = m.row
        m.key = value
    stored = _stored(spec, f.attname, list(first), lock=lock)
    for m in matches:
        if m.key is None:
            continue
        found = stored.get(m.key, [])
        live = [r for r in found if r.deleted_at is None]
        mine = [r for r in live if can_update(user, spec, r, r)]
        if len(mine) > 1:
            m.action = MatchAction.ERROR
            m.fail(
                _(
                    "%(field)s %(value)s names %(n)s records (%(ids)s), so it cannot say which one to "
                    "update; match by a field that is unique, such as the code"
                )
                % {
                    "field": match_field,
                    "value": m.key,
                    "n": len(mine),
                    "ids": ", ".join(f"#{r.pk}" for r in mine),
                }
            )
        elif mine:
            m.target = mine[0]
            m.action = MatchAction.UPDATE
        elif f.unique and live:
            m.action = MatchAction.ERROR
            m.fail(
                _(
                    "%(field)s %(value)s belongs to a record outside your area, which you may not change; "
                    "remove the feature from the file, or ask the staff responsible for that area"
                )
                % {"field": match_field, "value": m.key}
            )
        elif f.unique and found:
            m.action = MatchAction.ERROR
            m.fail(
                _(
                    "%(field)s %(value)s belongs to deleted record #%(pk)s; restore that record first, "
                    "or give the feature a new %(field)s"
                )
                % {"field": match_field, "value": m.key, "pk": found[0].pk}
            )
    _diff(spec, [m for m in matches if m.action == MatchAction.UPDATE])
    _check_held(spec, [m for m in matches if m.action == MatchAction.UPDATE])
    _check_unique(spec, match_field, matches, unit)
    _check_required(spec, [m for m in matches if m.action == MatchAction.CREATE], match_field)
    _check_permissions(spec, user, matches)
    return matches


def _diff(spec: LayerSpec, updates: list[Match]) -> None:
    """Field changes and geometry change of each matched feature; no change at all is unchanged."""
    if not updates:
        return
    fields = writable_fields(spec)
    same_geometry = _same_geometries([m.target.geom for m in updates], [m.record.geom for m in updates])
    derived = list(derived_columns(spec.model))
    for m, same in zip(updates, same_geometry, strict=True):
        after = copy.copy(m.target)
        for name, f in fields.items():
            if name not in m.record._ingest_fields:
                continue
            old, new = getattr(m.target, f.attname), getattr(m.record, f.attname)
            if _same_value(f, old, new):
                continue
            setattr(after, f.attname, new)
            m.changes.append(
                {"field": name, "label": str(f.verbose_name), "old": _jsonable(old), "new": _jsonable(new)}
            )
        m.geometry_changed = not bool(same)
        if m.geometry_changed:
            after.geom = m.record.geom
            for name in derived:  # where the new shape lies, derived with the file's records
                setattr(after, name, getattr(m.record, name))
        if m.changes or m.geometry_changed:
            m.after = after
        else:
            m.action = MatchAction.UNCHANGED


def _check_held(spec: LayerSpec, updates: list[Match]) -> None:
    held = held_ids(spec, [m.target.pk for m in updates])
    for m in updates:
        changeset = held.get(m.target.pk)
        if changeset is not None:
            m.fail(
                _(
                    "record #%(pk)s has a change waiting in changeset #%(changeset)s; it can be updated "
                    "again once that changeset is approved or the change discarded (/editor/?changeset="
                    "%(changeset)s)"
                )
                % {"pk": m.target.pk, "changeset": changeset}
            )


def _check_unique(spec: LayerSpec, match_field: str, matches: list[Match], unit: str) -> None:
    """Unique fields other than the key: a value the file gives may not belong to another record."""
    writing = [m for m in matches if m.action in (MatchAction.CREATE, MatchAction.UPDATE)]
    for f in spec.model._meta.concrete_fields:
        if not f.unique or f.primary_key or f.name == match_field:
            continue
        given = [m for m in writing if f.name in m.record._ingest_fields]
        values = {getattr(m.record, f.attname) for m in given} - set(EMPTY)
        if not values:
            continue
        taken: dict[Any, int] = {}
        values_list = list(values)
        for start in range(0, len(values_list), QUERY_CHUNK):
            chunk = values_list[start : start + QUERY_CHUNK]
            taken.update(
                {
                    v: pk
                    for pk, v in spec.model.all_objects.filter(**{f"{f.attname}__in": chunk}).values_list(
                        "pk", f.attname
                    )
                }
            )
        for m in given:
            owner = taken.get(getattr(m.record, f.attname))
            if owner is not None and (m.target is None or owner != m.target.pk):
                m.fail(
                    _("%(field)s %(value)s already belongs to record #%(pk)s; it must be unique")
                    % {"field": f.name, "value": getattr(m.record, f.attname), "pk": owner}
                )


def _check_required(spec: LayerSpec, creates: list[Match], match_field: str) -> None:
    for m in creates:
        missing = getattr(m.record, "_missing_required", [])
        if missing:
            m.fail(
                _(
                    "no record has %(key)s %(value)s, so the feature would be a new record, which needs "
                    "%(fields)s; fill it in, or map a column to it"
                )
                % {"key": match_field, "value": m.key, "fields": ", ".join(missing)}
            )


def _check_permissions(spec: LayerSpec, user: Any, matches: list[Match]) -> None:
    """As an API create or update would: the role and scope, and the whole geometry in scope."""
    creates = [m for m in matches if m.action == MatchAction.CREATE and not m.errors]
    updates = [m for m in matches if m.action == MatchAction.UPDATE and not m.errors]
    for m, whole in zip(creates, geometries_in_scope(user, spec, [m.record for m in creates]), strict=True):
        if not (whole and can_create(user, spec, m.record)):
            where = m.record.division_code or _("outside every village of the city")
            m.fail(
                _(
                    "you may not create a %(layer)s record here (%(where)s): it is outside your role or your "
                    "area. Remove it from the file, or ask a colleague responsible for that area to import "
                    "it."
                )
                % {"layer": spec.name, "where": where}
            )
    redrawn = [m for m in updates if m.geometry_changed]
    inside = dict(
        zip(
            (id(m) for m in redrawn),
            geometries_in_scope(user, spec, [m.after for m in redrawn]),
            strict=True,
        )
    )
    for m in updates:
        if not can_update(user, spec, m.target, m.after) or not inside.get(id(m), True):
            m.fail(
                _(
                    "the change would move record #%(pk)s outside your area; every part of it must stay "
                    "within your division, park or grid cell"
                )
                % {"pk": m.target.pk}
            )
        elif not may_redraw(user, spec, m.target, m.after):
            m.fail(
                _(
                    "you may not redraw the boundary of record #%(pk)s: it decides who may edit what lies "
                    "in it"
                )
                % {"pk": m.target.pk}
            )
