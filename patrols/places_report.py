"""组织场所报表 (issue 15, Places): how many places of each class (中类) and subclass (小类) each
division has, and how many of them are never patrolled or overdue for a patrol.

The rows are the divisions one level below the one looked at (``layers.api.filters.looked_at``:
the caller's own area, or a ``division`` inside it), every one listed with zeros when empty; places
are those the caller reads (``policy``, ``places``). A place counts under its own class, and a
中类's figure also holds the places of its 小类. *Never patrolled*: no run has reached it
(``PlaceVisit``). *Overdue*: its class asks for a patrol every so many days
(``PlaceClass.patrol_every_days``) and the last visit is older, or there is none — the same rule as
the monitor's ``places_due``. One grouped query whatever the number of places.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import (
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Left
from django.utils import timezone
from django.utils.translation import gettext as _

from layers.api.filters import looked_at
from layers.models import PREFIX_LENGTH, Place, PlaceClass
from policy.predicates import read_filter

from .models import PlaceVisit


def places_report(user: Any, division: str = "", now: datetime | None = None) -> dict[str, Any]:
    """The counts (module docstring) as ``{division, by, classes, rows, totals}``."""
    place = looked_at(user, division)
    now = now or timezone.now()
    places = Place.objects.filter(read_filter(user, "places"))
    if place.asked and place.division is not None:
        places = places.filter(division_code__startswith=place.division.prefix)
    last = PlaceVisit.objects.filter(place=OuterRef("pk")).order_by("-visited_at").values("visited_at")[:1]
    every = ExpressionWrapper(
        F("place_class__patrol_every_days") * Value(timedelta(days=1)), output_field=DurationField()
    )
    grouped = (
        places.annotate(
            key=Left("division_code", PREFIX_LENGTH[place.rows]),
            last_visit=Subquery(last),
            due_since=ExpressionWrapper(Value(now) - every, output_field=DateTimeField()),
        )
        .values("key", "place_class_id")
        .annotate(
            n=Count("id"),
            never=Count("id", filter=Q(last_visit__isnull=True)),
            overdue=Count(
                "id",
                filter=Q(place_class__patrol_every_days__gt=0)
                & (Q(last_visit__isnull=True) | Q(last_visit__lt=F("due_since"))),
            ),
        )
        .order_by()
    )
    classes = list(PlaceClass.objects.order_by("parent_id", "key"))
    parent_of = {c.pk: c.parent_id for c in classes}
    key_of = {c.pk: c.key for c in classes}
    rows = {
        code.ljust(12, "0")[: PREFIX_LENGTH[place.rows]]: _row(code, name) for code, name in place.children()
    }
    totals = _row("", _("合计"))
    for group in grouped:
        row = rows.get(group["key"] or "") or rows.setdefault("", _row("", _("不在任何村")))
        for target in (row, totals):
            target["total"] += group["n"]
            target["never_patrolled"] += group["never"]
            target["overdue_patrol"] += group["overdue"]
            # The class itself, and its 中类 when it is a 小类.
            for pk in {group["place_class_id"], parent_of.get(group["place_class_id"])} - {None}:
                target["by_class"][key_of[pk]] = target["by_class"].get(key_of[pk], 0) + group["n"]
    return {
        "division": (
            {"code": place.division.code, "name": place.division.name, "level": place.division.level}
            if place.division
            else None
        ),
        "by": place.rows,
        "classes": [
            {"key": c.key, "name": c.label, "parent": key_of.get(c.parent_id) if c.parent_id else None}
            for c in classes
        ],
        "rows": list(rows.values()),
        "totals": totals,
    }


def _row(code: str, name: str) -> dict[str, Any]:
    return {
        "division": code,
        "name": name,
        "total": 0,
        "never_patrolled": 0,
        "overdue_patrol": 0,
        "by_class": {},
    }


def sheet(found: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """The report as a workbook's header and rows: a column per class, 中类 before its 小类."""
    classes = found["classes"]
    header = [
        _("区划代码"),
        _("区划"),
        _("场所数"),
        _("从未巡查"),
        _("逾期未巡查"),
        *(c["name"] for c in classes),
    ]
    rows = [
        [
            r["division"],
            r["name"],
            r["total"],
            r["never_patrolled"],
            r["overdue_patrol"],
            *(r["by_class"].get(c["key"], 0) for c in classes),
        ]
        for r in [*found["rows"], found["totals"]]
    ]
    return header, rows
