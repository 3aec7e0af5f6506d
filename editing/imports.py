"""An import's matched features written where they belong: a changeset for review, or the live layer.

``ingest.upsert`` decides what each feature of a file does (create, update, unchanged); this module
writes it, inside the ingest job's one transaction:

- a park manager of a park whose edits need approval (``policy.predicates.edits_need_review``) gets
  one changeset per park (``source=import``, ``import_job=job``, through
  ``editing.changesets.stage_import``), and nothing of it reaches the live layer before an officer
  approves it; this holds for inserts too, so no import goes around the review;
- everyone else writes to the live layer: creates through the ingest's bulk insert (the caller's),
  updates here, in bulk, each with the history a single save gives it (a baseline row for records
  loaded in bulk that have none, then a "changed" row with the importer as its user and
  ``import job #<id>`` as its reason) and ``version`` one up, so the editor's optimistic locking
  sees the change. One audit entry covers the whole import (the ingest job's ``import`` entry),
  as for its inserts: bulk writes send no per-record signals. Tiles move on once, after the commit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, Protocol

from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from layers.derivation import derived_columns
from layers.models import LayerFeature, Park
from layers.registry import LayerSpec
from policy.predicates import edits_need_review

from .changesets import features_json, stage_import
from .models import ChangeAction, Changeset

BATCH = 1000
# Kept as they were by an update: when and by whom the record was made, and its soft-delete mark.
KEPT = frozenset({"id", "created_at", "created_by", "deleted_at"})


class Write(Protocol):
    """One feature to write (``ingest.upsert.Match``): a create or an update of a stored record."""

    action: str
    record: LayerFeature  # the file's record (a create's new record)
    target: LayerFeature | None  # the stored record (update)
    after: LayerFeature | None  # the stored record with the file's values (update)


def _target(write: Write) -> LayerFeature:
    """An update's stored record (``ingest.upsert`` sets it on every update)."""
    assert write.target is not None
    return write.target


def _after(write: Write) -> LayerFeature:
    """An update's stored record with the file's values (set on every update)."""
    assert write.after is not None
    return write.after


def _park_id(spec: LayerSpec, write: Write) -> int | None:
    """The park a write belongs to: where the stored record is (update), or the new one lies."""
    if not spec.has_park:
        return None
    source = write.target if write.target is not None else write.record
    return getattr(source, "park_id", None)


def split_by_review(
    spec: LayerSpec, user: Any, writes: Sequence[Write]
) -> tuple[dict[int, tuple[Park, list[Write]]], list[Write]]:
    """({park id: (park, its writes)} that wait for review, the writes that go live now)."""
    ids = {pid for w in writes if (pid := _park_id(spec, w)) is not None}
    parks = Park.all_objects.in_bulk(ids) if ids else {}
    staged: dict[int, tuple[Park, list[Write]]] = {}
    live: list[Write] = []
    for write in writes:
        park = parks.get(_park_id(spec, write))
        if park is not None and edits_need_review(user, spec, park):
            staged.setdefault(park.pk, (park, []))[1].append(write)
        else:
            live.append(write)
    return staged, live


def needs_review(spec: LayerSpec, user: Any, writes: Sequence[Write]) -> bool:
    """Whether any of these writes would wait in a changeset instead of going live."""
    return bool(split_by_review(spec, user, writes)[0])


def stage(spec: LayerSpec, user: Any, park: Park, job: Any, writes: Sequence[Write]) -> Changeset:
    """One changeset of the park for these writes (an item each, as the editor would stage them)."""
    updates = [w for w in writes if w.action == ChangeAction.UPDATE]
    creates = [w for w in writes if w.action != ChangeAction.UPDATE]
    before = features_json(spec, [_target(w) for w in updates])
    after = features_json(spec, [_after(w) for w in updates] + [w.record for w in creates])
    items = [
        {"layer": spec.name, "record": w.target, "action": ChangeAction.UPDATE, "before": b, "after": a}
        for w, b, a in zip(updates, before, after[: len(updates)], strict=True)
    ] + [
        {"layer": spec.name, "record": None, "action": ChangeAction.CREATE, "before": None, "after": a}
        for a in after[len(updates) :]
    ]
    return stage_import(user, park, job, items)


def _baselines(spec: LayerSpec, records: Sequence[LayerFeature]) -> None:
    """``layers.history.ensure_baseline`` for many records: one query to find those without history,
    one insert for their baselines (the state as stored, before this update)."""
    history = spec.model.history.model
    ids = [r.pk for r in records]
    have = set(history.objects.filter(id__in=ids).values_list("id", flat=True).distinct())
    rows = []
    for record in records:
        if record.pk in have:
            continue
        rows.append(
            history(
                **{f.attname: getattr(record, f.attname) for f in history.tracked_fields},
                history_date=record.updated_at or record.created_at,
                history_type="+",
                history_user_id=record.created_by_id,
                history_change_reason="baseline",
            )
        )
    history.objects.bulk_create(rows, batch_size=BATCH)


def _changed_fields(spec: LayerSpec, writes: Sequence[Write]) -> list[str]:
    """The columns an update writes: those that differ in some record (a bulk UPDATE costs per
    column), the shape and what is derived from it if some shape moved, and the bookkeeping."""
    names = {"version", "updated_by", "updated_at"}
    for write in writes:
        for f in spec.model._meta.concrete_fields:
            if f.primary_key or f.name in KEPT or f.name in names:
                continue
            if getattr(write.after, f.attname) != getattr(write.target, f.attname):
                names.add(f.name)
    if "geom" in names:
        names.update(spec.model._meta.get_field(c).name for c in derived_columns(spec.model))
    return sorted(names)


def apply_updates(spec: LayerSpec, user: Any, writes: Sequence[Write], *, reason: str) -> list[int]:
    """Write the updates to the live layer in the current transaction; returns the record ids.

    The stored records (``target``) must have been read under ``select_for_update`` in this
    transaction (``ingest.upsert.match(lock=True)``), so the version raised here is the next one.
    """
    if not writes:
        return []
    _baselines(spec, [_target(w) for w in writes])
    now = timezone.now()
    afters = []
    for write in writes:
        after: Any = _after(write)  # simple_history reads _history_user and _change_reason
        after.version = _target(write).version + 1
        after.updated_by = user
        after.updated_at = now  # auto_now is not applied by bulk_update
        after._history_user = user
        after._change_reason = reason
        afters.append(after)
    fields = _changed_fields(spec, writes)
    bulk_update_with_history(
        afters,
        spec.model,
        fields,
        batch_size=BATCH,
        default_user=user,
        default_change_reason=reason,
        default_date=now,
        manager=spec.model.all_objects,
    )
    from tiles.cache import bump_after_commit

    bump_after_commit(spec.name)
    return [a.pk for a in afters]


def group_counts(writes: Sequence[Write]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for write in writes:
        out[str(write.action)] += 1
    return {"create": out.get(ChangeAction.CREATE, 0), "update": out.get(ChangeAction.UPDATE, 0)}
