"""Keyset paging and ``sortby`` for the items of a collection.

A page's ``next`` and ``prev`` links carry a cursor: the sort key of the page's last (or first)
row, the direction, and the number matched, counted once on the first page. The next page is
"rows after this key" in the sort order, an index range scan, so the thousandth page costs what
the first does; OFFSET would read and throw away every row before it.

Sorting follows PostgreSQL's defaults (NULLs last going up, first going down), and the key
comparison treats NULL the same way, so nullable sort properties page without gaps or repeats.
The id is always the last sort key: it makes every key unique.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any, cast

from django.db import connection, models
from django.db.models import Q
from django.utils.translation import gettext as _


class PagingError(ValueError):
    """A sortby or cursor we cannot use; the message says why, ``parameter`` which."""

    def __init__(self, message: str, parameter: str = "cursor") -> None:
        super().__init__(message)
        self.parameter = parameter


@dataclass(frozen=True)
class SortKey:
    name: str
    descending: bool

    def order(self, *, reverse: bool = False) -> str:
        return f"{'-' if self.descending != reverse else ''}{self.name}"


def parse_sortby(raw: str | None, sortables: dict[str, str]) -> list[SortKey]:
    """``sortby=-area_mu,+code`` → keys, with ``id`` added last unless already there."""
    keys: list[SortKey] = []
    for part in (raw or "").split(","):
        part = part.strip()
        if not part:
            continue
        descending = part.startswith("-")
        name = part.lstrip("+-").strip()
        if name not in sortables:
            raise PagingError(
                _("%(name)s is not a sortable property; use one of: %(known)s.")
                % {"name": name, "known": ", ".join(sorted(sortables))},
                "sortby",
            )
        keys.append(SortKey(sortables[name], descending))
    if not any(k.name == "id" for k in keys):
        keys.append(SortKey("id", False))
    return keys


def key_sql(model: type[models.Model], keys: list[SortKey]) -> str:
    """A row's sort key as JSON text, in SQL (returned with each page's first and last rows)."""
    table = connection.ops.quote_name(model._meta.db_table)
    fields = [cast(models.Field, model._meta.get_field(k.name)) for k in keys]
    cols = ", ".join(f"{table}.{connection.ops.quote_name(f.column)}" for f in fields)
    return f"json_build_array({cols})::text"


@dataclass(frozen=True)
class Cursor:
    key: list[Any]
    forward: bool
    matched: int | None

    def encode(self) -> str:
        raw = json.dumps({"k": self.key, "f": self.forward, "m": self.matched}, separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str, keys: list[SortKey]) -> Cursor:
        try:
            data = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            cursor = cls(list(data["k"]), bool(data["f"]), data.get("m"))
        except (binascii.Error, ValueError, KeyError, TypeError):
            raise PagingError(
                _("cursor is not one this service made; follow the next and prev links as given.")
            ) from None
        if len(cursor.key) != len(keys):
            raise PagingError(_("cursor belongs to another sort order; start again from the first page."))
        return cursor


def _after(model: type[models.Model], keys: list[SortKey], values: list[Any], *, forward: bool) -> Q:
    """Rows strictly after ``values`` in the order of ``keys`` (before them when not ``forward``)."""
    result = Q(pk__in=[])
    equal = Q()
    for key, raw in zip(keys, values, strict=True):
        field = cast(models.Field, model._meta.get_field(key.name))
        value = None if raw is None else field.to_python(raw)
        # Going up, NULLs come last; going down, first (PostgreSQL's defaults either way).
        ascending = key.descending != forward
        if value is None:
            beyond = Q(pk__in=[]) if ascending else Q(**{f"{key.name}__isnull": False})
            same = Q(**{f"{key.name}__isnull": True})
        else:
            beyond = Q(**{f"{key.name}__{'gt' if ascending else 'lt'}": value})
            if ascending:
                beyond |= Q(**{f"{key.name}__isnull": True})
            same = Q(**{key.name: value})
        result |= equal & beyond
        equal &= same
    return result


def page_queryset(qs: models.QuerySet, keys: list[SortKey], cursor: Cursor | None) -> models.QuerySet:
    """``qs`` ordered for the page a cursor asks for (reversed when reading backwards)."""
    forward = cursor is None or cursor.forward
    ordered = qs.order_by(*(k.order(reverse=not forward) for k in keys))
    if cursor is None:
        return ordered
    try:
        return ordered.filter(_after(qs.model, keys, cursor.key, forward=forward))
    except Exception as exc:  # a doctored cursor value that the field cannot parse
        raise PagingError(
            _("cursor holds a value this sort order cannot use; start again from the first page.")
        ) from exc
