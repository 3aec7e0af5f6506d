"""Change history of layer records, on django-simple-history.

Bulk-loaded records (the demo city, ingest) have no history row yet. Before their first edit we
store a *baseline* row with the state as it was, so the first diff has a "before" and a revert
can go back to the loaded state.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from .models import LayerFeature

AUDIT_FIELDS = frozenset(
    {"id", "version", "created_at", "created_by", "updated_at", "updated_by", "deleted_at"}
)


def ensure_baseline(record: LayerFeature) -> None:
    if record.history.exists():
        return
    stored = type(record).all_objects.get(pk=record.pk)
    history_model = record.history.model
    values = {f.attname: getattr(stored, f.attname) for f in history_model.tracked_fields}
    history_model.objects.create(
        **values,
        history_date=stored.updated_at or stored.created_at,
        history_type="+",
        history_user_id=stored.created_by_id,
        history_change_reason="baseline",
    )


def _changes(new: Any, old: Any) -> list[dict[str, Any]]:
    if old is None:
        return []
    delta = new.diff_against(old)
    return [{"field": c.field, "old": c.old, "new": c.new} for c in delta.changes]


def history_entries(record: Any) -> list[tuple[Any, Any]]:
    """(historical record, the one before it), newest first."""
    rows = list(record.history.select_related("history_user").order_by("-history_date", "-history_id"))
    return [(row, rows[i + 1] if i + 1 < len(rows) else None) for i, row in enumerate(rows)]


def describe(row: Any, previous: Any, geometry_out) -> dict[str, Any]:
    changes = _changes(row, previous)
    geometry = None
    for change in changes:
        if change["field"] == "geom":
            geometry = {
                "before": geometry_out(change["old"]) if change["old"] else None,
                "after": geometry_out(change["new"]) if change["new"] else None,
            }
    return {
        "history_id": row.history_id,
        "version": row.version,
        "date": row.history_date,
        "user": row.history_user.get_username() if row.history_user else None,
        "type": {"+": "created", "~": "changed", "-": "deleted"}[row.history_type],
        "reason": row.history_change_reason,
        "changes": [{**c, "old": None, "new": None} if c["field"] == "geom" else _plain(c) for c in changes],
        "geometry": geometry,
    }


def _plain(change: dict[str, Any]) -> dict[str, Any]:
    def value(v: Any) -> Any:
        return v.pk if isinstance(v, models.Model) else v

    return {"field": change["field"], "old": value(change["old"]), "new": value(change["new"])}


def restore_values(record: LayerFeature, row: Any) -> None:
    """Copy a historical row's editable state onto the live record (audit fields stay as they are)."""
    for f in row.tracked_fields:
        if f.name not in AUDIT_FIELDS:
            setattr(record, f.attname, getattr(row, f.attname))
